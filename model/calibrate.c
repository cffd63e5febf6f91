/* Calibration of the model's efficiency constants (model/): a least-squares
 * fit with GSL of measured seconds against the compute term and the barriers
 * of compute-bound predictions (MODELS.md §6). Not on the scoring path. */
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include "model_internal.h"
#include "mxt_common.h"

int mxt_model_calibrate(const struct mxt_model_sample *s, int n, struct mxt_model_calib *calib) {
    if (!s || !calib || n < 3)
        return mxt_error(MXT_EINVAL, "calibration needs at least 3 samples (got %d)", n);
    int with_sync = 0;
    for (int i = 0; i < n; i++) {
        if (!(s[i].seconds > 0) || !(s[i].compute_seconds > 0) || !isfinite(s[i].seconds) ||
            !isfinite(s[i].compute_seconds) || !(s[i].syncs >= 0) || !isfinite(s[i].syncs))
            return mxt_error(MXT_EINVAL, "calibration sample %d is not a positive measurement", i);
        if (s[i].syncs > 0) with_sync = 1;
    }
    const size_t np = with_sync ? 2 : 1;
    gsl_matrix *X = gsl_matrix_alloc((size_t)n, np);
    gsl_vector *y = gsl_vector_alloc((size_t)n), *c = gsl_vector_alloc(np);
    gsl_matrix *cov = gsl_matrix_alloc(np, np);
    gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc((size_t)n, np);
    int rc = 0;
    if (!X || !y || !c || !cov || !w) {
        rc = mxt_error(MXT_ENOMEM, "out of memory calibrating the model");
        goto done;
    }
    /* seconds ~ compute_seconds * (1 / eta0) + syncs * sync_seconds */
    for (int i = 0; i < n; i++) {
        gsl_matrix_set(X, (size_t)i, 0, s[i].compute_seconds);
        if (with_sync) gsl_matrix_set(X, (size_t)i, 1, s[i].syncs);
        gsl_vector_set(y, (size_t)i, s[i].seconds);
    }
    double chisq;
    if (gsl_multifit_linear(X, y, c, cov, &chisq, w) != 0) {
        rc = mxt_error(MXT_EINVAL, "calibration fit failed");
        goto done;
    }
    double inv_eta = gsl_vector_get(c, 0);
    double sync = with_sync ? gsl_vector_get(c, 1) : calib->sync_seconds;
    if (!(inv_eta > 0) || !isfinite(inv_eta) || !isfinite(sync)) {
        rc = mxt_error(MXT_EINVAL, "calibration fit is degenerate (1/eta0 = %g)", inv_eta);
        goto done;
    }
    calib->eta0 = fmin(1.0, 1.0 / inv_eta);
    calib->sync_seconds = sync > 0 ? sync : 0;
    calib->calibrated = 1;
done:
    gsl_multifit_linear_free(w);
    gsl_matrix_free(cov);
    gsl_vector_free(c);
    gsl_vector_free(y);
    gsl_matrix_free(X);
    return rc;
}
