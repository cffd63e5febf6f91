/* Sample statistics through GSL (common/): min, quantiles, median, CV. */
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <string.h>
#include "mxt_common.h"

void mxt_stats_compute(double *x, int n, struct mxt_stats *s) {
    memset(s, 0, sizeof *s);
    s->n = n;
    if (n <= 0) return;
    gsl_sort(x, 1, (size_t)n);
    s->min = x[0];
    s->max = x[n - 1];
    s->median = gsl_stats_median_from_sorted_data(x, 1, (size_t)n);
    s->p10 = gsl_stats_quantile_from_sorted_data(x, 1, (size_t)n, 0.10);
    s->p20 = gsl_stats_quantile_from_sorted_data(x, 1, (size_t)n, 0.20);
    s->p80 = gsl_stats_quantile_from_sorted_data(x, 1, (size_t)n, 0.80);
    s->p90 = gsl_stats_quantile_from_sorted_data(x, 1, (size_t)n, 0.90);
    s->mean = gsl_stats_mean(x, 1, (size_t)n);
    s->cv = (n > 1 && s->mean != 0) ? gsl_stats_sd_m(x, 1, (size_t)n, s->mean) / s->mean : 0.0;
}
