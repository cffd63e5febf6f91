/* The model against the measurements (reports/): measured and predicted time of
 * every current measurement of a machine, their error statistics, and the
 * picture model.{dat,gp} (log-log scatter around y = x with a +-25 % band). */
#include <gsl/gsl_statistics_double.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "mxt_common.h"
#include "mxt_db_tune.h"
#include "mxtune/model.h"
#include "report_internal.h"

#define BAND 0.25    /* the band drawn around y = x, and the "within" statistic */
#define STATS_X 0.66 /* left edge of the statistics, in screen fractions */

/* ---- loading ---- */

struct pair_load {
    struct mxt_model_pairs *out;
    struct mxt_db *db;
    const struct mxt_machine *m;
    const struct mxt_model_machine *mm;
    int rc;
};

static int same_config(const struct mxt_config *a, const struct mxt_config *b) {
    return a->schedule == b->schedule && a->isa == b->isa && a->mr == b->mr && a->nr == b->nr &&
           a->mc == b->mc && a->kc == b->kc && a->nc == b->nc && a->alpha == b->alpha &&
           a->threads == b->threads;
}

static int add_pair(const struct mxt_db_problem *p, const struct mxt_db_measurement *ms,
                    void *ctx) {
    struct pair_load *L = ctx;
    struct mxt_model_pairs *o = L->out;
    struct mxt_model_pair q;
    if (ms->stale || !(ms->median_s > 0)) return 0;
    memset(&q, 0, sizeof q);
    q.dtype = p->dtype;
    q.schedule = ms->config.schedule;
    q.measured_s = ms->median_s;
    q.predicted_s = ms->predicted_s;
    q.stored = ms->predicted_s > 0;
    if (!q.stored && !L->mm) {
        o->skipped++;
        return 0;
    }
    if (!q.stored) { /* predicted now, on the column-major shape the kernels run */
        enum mxt_op op;
        struct mxt_prediction pr;
        struct mxt_problem pb = {.dtype = p->dtype,
                                 .m = p->col_major ? p->m : p->n,
                                 .n = p->col_major ? p->n : p->m,
                                 .k = p->k,
                                 .density = p->density,
                                 .rank = p->rank,
                                 .beta = !p->beta_zero};
        struct mxt_config cfg = ms->config; /* resolved: alpha is implied by nc */
        if (cfg.mc && cfg.kc && cfg.nc) cfg.alpha = 0;
        if (mxt_op_parse(p->op, &op) != 0 || op == MXT_OP_CONTRACT ||
            (pb.op = op, mxt_model_evaluate(L->mm, &pb, &cfg, MXT_SIZING_DEFAULT, &pr)) != 0 ||
            !(pr.seconds > 0)) {
            mxt_error_clear();
            o->skipped++;
            return 0;
        }
        q.predicted_s = pr.seconds;
    }
    struct mxt_db_tuned t;
    if (mxt_db_get_tuned(L->db, L->m->fingerprint, p, &t) == 0)
        q.winner = same_config(&t.best.config, &ms->config);
    else
        mxt_error_clear();
    if (p->m == p->n && p->n == p->k)
        snprintf(q.label, sizeof q.label, "%s %lld^3 %s %dx%d", mxt_dtype_name(p->dtype),
                 (long long)p->m, mxt_schedule_name(q.schedule), ms->config.mr, ms->config.nr);
    else
        snprintf(q.label, sizeof q.label, "%s %lldx%lldx%lld %s %dx%d", mxt_dtype_name(p->dtype),
                 (long long)p->m, (long long)p->n, (long long)p->k, mxt_schedule_name(q.schedule),
                 ms->config.mr, ms->config.nr);
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 64;
        struct mxt_model_pair *np = realloc(o->p, cap * sizeof *np);
        if (!np) return L->rc = mxt_error(MXT_ENOMEM, "out of memory reading measurements");
        o->p = np;
        o->cap = cap;
    }
    o->p[o->n++] = q;
    return 0;
}

int mxt_report_load_pairs(struct mxt_db *db, const struct mxt_machine *m,
                          struct mxt_model_pairs *out) {
    struct mxt_model_machine *mm = malloc(sizeof *mm);
    struct pair_load L = {.out = out, .db = db, .m = m, .mm = mm};
    int rc;
    memset(out, 0, sizeof *out);
    if (!mm) return mxt_error(MXT_ENOMEM, "out of memory");
    if (mxt_model_machine_init(mm, m) != 0) { /* only stored predictions then */
        mxt_error_clear();
        free(mm);
        L.mm = mm = NULL;
    }
    rc = mxt_db_list_measurements(db, m->fingerprint, NULL, add_pair, &L);
    if (!rc) rc = L.rc;
    free(mm);
    return rc;
}

void mxt_report_pairs_release(struct mxt_model_pairs *pairs) {
    if (!pairs) return;
    free(pairs->p);
    memset(pairs, 0, sizeof *pairs);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void mxt_model_pairs_stats(const struct mxt_model_pair *p, size_t n, struct mxt_model_stats *s) {
    memset(s, 0, sizeof *s);
    s->spearman = NAN;
    if (n == 0) return;
    double *err = malloc(n * sizeof *err), *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    double *work = malloc(2 * n * sizeof *work);
    if (!err || !x || !y || !work) goto out;
    double log_sum = 0;
    int within = 0;
    for (size_t i = 0; i < n; i++) {
        double r = p[i].predicted_s / p[i].measured_s;
        err[i] = 100 * fabs(r - 1);
        log_sum += log(r);
        within += fabs(r - 1) <= BAND;
        x[i] = p[i].measured_s;
        y[i] = p[i].predicted_s;
    }
    qsort(err, n, sizeof *err, cmp_double);
    s->n = (int)n;
    s->median_abs_pct = gsl_stats_median_from_sorted_data(err, 1, n);
    s->p90_abs_pct = gsl_stats_quantile_from_sorted_data(err, 1, n, 0.9);
    s->geo_ratio = exp(log_sum / (double)n);
    s->within25 = (double)within / (double)n;
    if (n >= 3) s->spearman = gsl_stats_spearman(x, 1, y, 1, n, work);
out:
    free(err);
    free(x);
    free(y);
    free(work);
}

/* ---- the picture ---- */

/* Schedules drawn as separate series, each in its own colour and symbol. */
static const struct {
    enum mxt_schedule s;
    const char *colour;
    int pt;
} series[] = {
    {MXT_SCHED_GOTO, "#1f77b4", 7},      {MXT_SCHED_GOTO_JC, "#9467bd", 13},
    {MXT_SCHED_CAKE_KMN, "#d62728", 5},  {MXT_SCHED_CAKE_MKN, "#2ca02c", 9},
    {MXT_SCHED_CAKE_NKM, "#ff7f0e", 11},
};

/* "2 ms", "500 us", "1 s": tic labels for times. */
static void time_text(double v, char *buf, size_t size) {
    if (v >= 1)
        snprintf(buf, size, "%g s", v);
    else if (v >= 1e-3)
        snprintf(buf, size, "%g ms", v * 1e3);
    else if (v >= 1e-6)
        snprintf(buf, size, "%g us", v * 1e6);
    else
        snprintf(buf, size, "%g ns", v * 1e9);
}

static void write_dat(FILE *f, const struct mxt_report_input *in, const struct mxt_model_stats *s,
                      double lo, double hi) {
    fprintf(f, "# mxtune model against measurement, machine %s\n", in->machine.fingerprint);
    fprintf(f, "# x: measured seconds (median of repeats); y: predicted seconds\n");
    fprintf(f,
            "# stats: n %d, median |error| %.4g %%, p90 |error| %.4g %%, geometric mean "
            "predicted/measured %.4g, within %.0f %%: %.4g, spearman %.4g\n",
            s->n, s->median_abs_pct, s->p90_abs_pct, s->geo_ratio, 100 * BAND, s->within25,
            s->spearman);
    fprintf(f, "# index 0: one row per measurement\n"
               "# label dtype schedule measured_s predicted_s error_pct prediction winner\n");
    for (size_t i = 0; i < in->n_pairs; i++) {
        const struct mxt_model_pair *p = &in->pairs[i];
        dat_string(f, p->label);
        fprintf(f, " %s %s %.17g %.17g %.6g %s %d\n", mxt_dtype_name(p->dtype),
                mxt_schedule_name(p->schedule), p->measured_s, p->predicted_s,
                100 * (p->predicted_s / p->measured_s - 1), p->stored ? "stored" : "now",
                p->winner);
    }
    fprintf(f, "\n\n# index 1: y = x, then y = (1 - %g) x and y = (1 + %g) x\n# x y\n", BAND, BAND);
    const double k[] = {1, 1 - BAND, 1 + BAND};
    for (size_t i = 0; i < MXT_ARRAY_LEN(k); i++)
        fprintf(f, "%s%.17g %.17g\n%.17g %.17g\n", i ? "\n" : "", lo, lo * k[i], hi, hi * k[i]);
}

static void write_gp(FILE *f, const struct mxt_report_input *in, const struct mxt_model_stats *s,
                     double lo, double hi) {
    const struct mxt_machine *m = &in->machine;
    char title[320], sp[32];
    fprintf(f, "# mxtune model-versus-measured picture. Re-plot: run `gnuplot model.gp` in this\n"
               "# directory; it reads model.dat and writes model.png and model.svg.\n"
               "reset\nset title ");
    if (isfinite(s->spearman))
        snprintf(sp, sizeof sp, "%.2f", s->spearman);
    else
        snprintf(sp, sizeof sp, "n/a (under 3 runs)");
    snprintf(title, sizeof title, "Model vs measured -- %s",
             m->brand[0] ? m->brand : m->fingerprint);
    gp_string(f, title);
    /* The statistics, one label a line, right of the square plot. */
    char line[6][96];
    snprintf(line[0], sizeof line[0], "%d measured configurations", s->n);
    snprintf(line[1], sizeof line[1], "median |error|: %.1f %%", s->median_abs_pct);
    snprintf(line[2], sizeof line[2], "90th percentile |error|: %.1f %%", s->p90_abs_pct);
    snprintf(line[3], sizeof line[3], "predicted / measured: %.2fx (geo. mean)", s->geo_ratio);
    snprintf(line[4], sizeof line[4], "within +-25 %%: %.0f %% of runs", 100 * s->within25);
    snprintf(line[5], sizeof line[5], "Spearman rank correlation: %s", sp);
    fprintf(f, "\nset label 1 'Error statistics' at screen %g, screen 0.86 left font ',12'\n",
            STATS_X);
    for (int i = 0; i < 6; i++) {
        fprintf(f, "set label %d ", i + 2);
        gp_string(f, line[i]);
        fprintf(f, " at screen %g, screen %g left\n", STATS_X, 0.80 - 0.05 * i);
    }
    fprintf(f,
            "set label 8 'error = (predicted - measured) / measured' at screen %g, screen %g "
            "left tc rgb '#666666' font ',9'\n",
            STATS_X, 0.80 - 0.05 * 6 - 0.01);
    fprintf(f,
            "set xlabel 'measured time (seconds, median of repeats, log scale)'\n"
            "set ylabel 'predicted time (seconds, log scale)'\n"
            "set logscale xy\nset xrange [%.17g:%.17g]\nset yrange [%.17g:%.17g]\n"
            "set lmargin at screen 0.10\nset rmargin at screen 0.62\n"
            "set bmargin at screen 0.11\nset tmargin at screen 0.91\n",
            lo, hi, lo, hi);
    gp_decade_tics_with(f, "x", lo, hi, 4, time_text);
    gp_decade_tics_with(f, "y", lo, hi, 4, time_text);
    fprintf(f, "set grid xtics ytics lc rgb '#e0e0e0' lt 1\n"
               "set key inside top left box lc rgb '#aaaaaa' opaque spacing 1.2\n");
    gp_png(f, "model");
    fprintf(f, "plot 'model.dat' index 1 every :::0::0 using 1:2 with lines lw 2 lc rgb '#444444' "
               "title 'predicted = measured', \\\n"
               "     '' index 1 every :::1::2 using 1:2 with lines lw 1 dt 2 lc rgb '#888888' "
               "title '+-25 %%'");
    for (size_t i = 0; i < MXT_ARRAY_LEN(series); i++) {
        int any = 0;
        for (size_t j = 0; j < in->n_pairs && !any; j++)
            any = in->pairs[j].schedule == series[i].s;
        if (!any) continue;
        const char *name = mxt_schedule_name(series[i].s);
        fprintf(f,
                ", \\\n     'model.dat' index 0 using 4:(strcol(3) eq '%s' ? $5 : NaN) with "
                "points pt %d ps 1.1 lc rgb '%s' title '%s'",
                name, series[i].pt, series[i].colour, name);
    }
    int winners = 0;
    for (size_t j = 0; j < in->n_pairs; j++)
        winners += in->pairs[j].winner;
    if (winners)
        fprintf(f, ", \\\n     'model.dat' index 0 using 4:($8 > 0 ? $5 : NaN) with points pt 6 "
                   "ps 2.4 lw 2 lc rgb '#000000' title 'tuned winner'");
    fprintf(f, "\n");
    gp_svg(f, "model");
}

int mxt_report_write_model(const char *dir, const struct mxt_report_input *in,
                           struct mxt_report_files *files) {
    struct mxt_model_stats s;
    char path[PATH_MAX];
    FILE *f = NULL;
    int rc;
    if (!in->n_pairs)
        return mxt_error(MXT_ENODATA,
                         "no measurements of machine '%s' to compare the model with: run "
                         "'mxtune search' first",
                         in->machine.fingerprint);
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < in->n_pairs; i++) {
        const struct mxt_model_pair *p = &in->pairs[i];
        if (!(p->measured_s > 0) || !(p->predicted_s > 0))
            return mxt_error(MXT_EINVAL, "model pair %zu: times must be positive", i);
        lo = fmin(lo, fmin(p->measured_s, p->predicted_s));
        hi = fmax(hi, fmax(p->measured_s, p->predicted_s));
    }
    /* A square frame, a half decade beyond the extreme points. */
    lo = pow(10.0, floor(log10(lo) * 2 - 0.5) / 2);
    hi = pow(10.0, ceil(log10(hi) * 2 + 0.5) / 2);
    mxt_model_pairs_stats(in->pairs, in->n_pairs, &s);
    if ((rc = rpt_open(dir, "model.dat", path, sizeof path, &f))) return rc;
    write_dat(f, in, &s, lo, hi);
    if ((rc = rpt_close(f, path, files))) return rc;
    if ((rc = rpt_open(dir, "model.gp", path, sizeof path, &f))) return rc;
    write_gp(f, in, &s, lo, hi);
    return rpt_close(f, path, files);
}
