/* Calibration and accuracy of the model (tuner/): per micro-kernel, a least-squares
 * fit of its efficiency constants over stored compute-bound measurements, stored per
 * machine and kernel; and the model's median error and rank correlation. */
#include <cjson/cJSON.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxt_db_tune.h"
#include "mxtune/gemm.h"
#include "tuner_internal.h"

/* One current measurement of this machine. */
struct row {
    struct mxt_problem pb;
    int threads;
    int kernel; /* registry index */
    struct mxt_config cfg;
    double seconds;
    int censored; /* cut off at 3x the best: the time is only a lower bound */
};

/* A measurement of fewer timed runs was cut off (tuner/session.c stops a
 * candidate after its first slow run, twice): its time is a lower bound. */
#define MIN_REPEATS 3

struct rows {
    int n, cap;
    struct row *r;
    int oom;
};

static int kernel_index(enum mxt_dtype dt, const struct mxt_config *cfg) {
    const struct mxt_kernel_info *k = mxt_kernels_find(cfg->isa, dt, cfg->mr, cfg->nr);
    for (int i = 0; k && i < mxt_kernels_count(); i++)
        if (mxt_kernels_get(i) == k) return i;
    return -1;
}

static int collect(const struct mxt_db_problem *p, const struct mxt_db_measurement *m, void *ctx) {
    struct rows *rs = ctx;
    /* GEMM only: spmm's Rosko tiles are not registry micro-kernels and its
     * sparse constants are not what this fit estimates; a lowrank row times a
     * chain of two GEMMs of different shapes, not one kernel */
    if (m->stale || strcmp(p->op, "gemm") != 0 || !(m->median_s > 0)) return 0;
    if (!p->col_major || p->trans_a || p->trans_b || p->batch > 1) return 0;
    int k = kernel_index(p->dtype, &m->config);
    if (k < 0) return 0;
    if (rs->n == rs->cap) {
        int cap = rs->cap ? rs->cap * 2 : 256;
        struct row *r = realloc(rs->r, (size_t)cap * sizeof *r);
        if (!r) {
            rs->oom = 1;
            return 1;
        }
        rs->r = r;
        rs->cap = cap;
    }
    struct row *x = &rs->r[rs->n++];
    memset(x, 0, sizeof *x);
    x->pb.op = MXT_OP_GEMM;
    x->pb.dtype = p->dtype;
    x->pb.m = p->m;
    x->pb.n = p->n;
    x->pb.k = p->k;
    x->pb.beta = !p->beta_zero;
    x->threads = p->threads;
    x->kernel = k;
    x->cfg = m->config;
    x->seconds = m->median_s;
    x->censored = m->repeats < MIN_REPEATS;
    return 0;
}

static int load_rows(struct mxt_tuner *t, struct rows *rs) {
    memset(rs, 0, sizeof *rs);
    if (!t->db) return mxt_error(MXT_ENOTFOUND, "no database");
    int rc = mxt_db_list_measurements(t->db, t->fingerprint, NULL, collect, rs);
    if (rs->oom) rc = mxt_error(MXT_ENOMEM, "out of memory reading measurements");
    if (rc) {
        free(rs->r);
        rs->r = NULL;
        rs->n = 0;
    }
    return rc;
}

/* Evaluate a stored configuration (blocks explicit: alpha only records them). */
static int predict(const struct mxt_model_machine *mm, const struct row *x,
                   struct mxt_prediction *p) {
    struct mxt_config c = x->cfg;
    if (c.mc && c.kc && c.nc) c.alpha = 0;
    return mxt_model_evaluate(mm, &x->pb, &c, MXT_SIZING_DEFAULT, p);
}

/* The name a calibration is stored under: the micro-kernel's, prefixed by the
 * schedule's for a per-schedule fit (sched 0: every schedule). */
static void calib_name(int k, int sched, char *buf, size_t size) {
    const char *kn = mxt_kernels_get(k)->name;
    if (sched == 0)
        snprintf(buf, size, "%s", kn);
    else
        snprintf(buf, size, "%s/%s", mxt_schedule_name((enum mxt_schedule)sched), kn);
}

/* 1 when a valid calibration is stored under name (into *c), 0 when none, or an
 * error of the database. */
static int load_one(struct mxt_tuner *t, const char *name, struct mxt_model_calib *c) {
    char *json = NULL;
    int rc = mxt_db_get_calibration(t->db, t->fingerprint, name, &json);
    if (rc == MXT_ENOTFOUND) return 0;
    if (rc) return rc;
    cJSON *doc = cJSON_Parse(json);
    free(json);
    const cJSON *eta = cJSON_GetObjectItemCaseSensitive(doc, "eta0");
    const cJSON *sync = cJSON_GetObjectItemCaseSensitive(doc, "sync_seconds");
    int ok = cJSON_IsNumber(eta) && eta->valuedouble > 0 && eta->valuedouble <= 1 &&
             cJSON_IsNumber(sync) && sync->valuedouble >= 0;
    if (ok) {
        c->eta0 = eta->valuedouble;
        c->sync_seconds = sync->valuedouble;
        c->calibrated = 1;
    }
    cJSON_Delete(doc);
    return ok;
}

int mxt_tuner_load_calibration(struct mxt_tuner *t) {
    const int nk = mxt_kernels_count();
    t->n_fits = 0;
    for (int k = 0; k < nk; k++) {
        struct mxt_model_calib *pool = &t->calib[MXT_CALIB_INDEX(k, 0)];
        *pool = t->mm.calib; /* a narrower ISA's lower peak is in the model's compute term */
        pool->calibrated = 0;
        char name[96];
        if (t->db) {
            calib_name(k, 0, name, sizeof name);
            int rc = load_one(t, name, pool);
            if (rc < 0) return rc;
            t->n_fits += rc;
        }
        for (int sc = 1; sc < MXT_CALIB_SCHEDS; sc++) {
            struct mxt_model_calib *c = &t->calib[MXT_CALIB_INDEX(k, sc)];
            *c = *pool;
            if (!t->db) continue;
            calib_name(k, sc, name, sizeof name);
            int rc = load_one(t, name, c);
            if (rc < 0) return rc;
            t->n_fits += rc;
        }
    }
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Drop the samples whose time per unit of compute lies far from the others
 * (more than 3 scaled MADs, and more than 5 % from the median): runs slowed by
 * another process on a shared machine must not pull the fit. Returns the
 * number kept, in place. */
static int trim_outliers(struct mxt_model_sample *s, int n) {
    if (n < 5) return n;
    double *q = malloc((size_t)n * sizeof *q), *d = malloc((size_t)n * sizeof *d);
    if (!q || !d) {
        free(q);
        free(d);
        return n;
    }
    for (int i = 0; i < n; i++)
        q[i] = s[i].seconds / s[i].compute_seconds;
    memcpy(d, q, (size_t)n * sizeof *d);
    qsort(d, (size_t)n, sizeof *d, cmp_double);
    double med = gsl_stats_median_from_sorted_data(d, 1, (size_t)n);
    for (int i = 0; i < n; i++)
        d[i] = fabs(q[i] - med);
    qsort(d, (size_t)n, sizeof *d, cmp_double);
    double mad = gsl_stats_median_from_sorted_data(d, 1, (size_t)n);
    double lim = fmax(3 * 1.4826 * mad, 0.05 * med);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (fabs(q[i] - med) <= lim) s[m++] = s[i];
    free(q);
    free(d);
    return m;
}

/* Fit the constants of micro-kernel k on schedule sched (0: every schedule)
 * from the rows: 1 when fitted (into *c), 0 when too few samples. */
static int fit_group(const struct mxt_model_machine *mm, const struct rows *rs, int k, int sched,
                     struct mxt_model_sample *smp, struct mxt_model_calib *c) {
    int ns = 0;
    for (int i = 0; i < rs->n; i++) {
        const struct row *x = &rs->r[i];
        struct mxt_prediction p;
        if (x->kernel != k || x->censored) continue;
        if (sched && (int)x->cfg.schedule != sched) continue;
        if (predict(mm, x, &p) || p.bound != MXT_BOUND_COMPUTE) continue;
        /* seconds ~ compute(eta0 = 1) / eta0 + syncs * sync_seconds: take the
         * packing time (the rest of the overhead term) off the measurement */
        double syncs = x->cfg.threads > 1 ? p.syncs : 0;
        double pack = p.time[MXT_BOUND_OVERHEAD] - syncs * mm->calib.sync_seconds;
        double y = x->seconds - (pack > 0 ? pack : 0);
        if (!(y > 0)) continue;
        smp[ns++] =
            (struct mxt_model_sample){.seconds = y,
                                      .compute_seconds = p.time[MXT_BOUND_COMPUTE] * mm->calib.eta0,
                                      .syncs = syncs};
    }
    ns = trim_outliers(smp, ns);
    if (ns < 3) return 0;
    *c = mm->calib;
    return mxt_model_calibrate(smp, ns, c) == 0 ? ns : 0; /* degenerate: no fit */
}

static int store_fit(struct mxt_tuner *t, int k, int sched, const struct mxt_model_calib *c,
                     int samples) {
    char name[96], json[256];
    calib_name(k, sched, name, sizeof name);
    snprintf(json, sizeof json,
             "{\"eta0\":%.6g,\"sync_seconds\":%.6g,\"samples\":%d,\"kernel_version\":\"%s\"}",
             c->eta0, c->sync_seconds, samples, MXT_KERNEL_VERSION);
    return mxt_db_store_calibration(t->db, t->fingerprint, name, json);
}

int mxt_tuner_calibrate(struct mxt_tuner *t, int *fitted) {
    *fitted = 0;
    struct rows rs;
    int rc = load_rows(t, &rs);
    if (rc) return rc;
    struct mxt_model_sample *smp = malloc(((size_t)rs.n + 1) * sizeof *smp);
    if (!smp) {
        free(rs.r);
        return mxt_error(MXT_ENOMEM, "out of memory");
    }
    const struct mxt_model_machine *mm = &t->mm; /* uncalibrated: the fit starts afresh */
    /* each micro-kernel over every schedule, then on each schedule; a schedule
     * without enough samples uses the micro-kernel's fit (when loaded back) */
    for (int k = 0; k < mxt_kernels_count() && !rc; k++) {
        for (int sc = 0; sc < MXT_CALIB_SCHEDS && !rc; sc++) {
            struct mxt_model_calib c;
            int n = fit_group(mm, &rs, k, sc, smp, &c);
            if (!n) continue;
            if (!(rc = store_fit(t, k, sc, &c, n))) (*fitted)++;
        }
    }
    free(smp);
    free(rs.r);
    if (rc == 0) rc = mxt_tuner_load_calibration(t); /* what is stored now, counted */
    return rc;
}

static int same_problem(const struct row *a, const struct row *b) {
    return a->pb.dtype == b->pb.dtype && a->pb.m == b->pb.m && a->pb.n == b->pb.n &&
           a->pb.k == b->pb.k && a->threads == b->threads && a->pb.beta == b->pb.beta;
}

int mxt_tuner_accuracy(struct mxt_tuner *t, struct mxt_accuracy *acc) {
    memset(acc, 0, sizeof *acc);
    struct rows rs;
    int rc = load_rows(t, &rs);
    if (rc) return rc;
    double *pred = malloc(((size_t)rs.n + 1) * sizeof *pred);
    double *meas = malloc(((size_t)rs.n + 1) * sizeof *meas);
    double *err = malloc(((size_t)rs.n + 1) * sizeof *err);
    double *gp = malloc(((size_t)rs.n + 1) * sizeof *gp);
    double *gm = malloc(((size_t)rs.n + 1) * sizeof *gm);
    double *work = malloc(((size_t)rs.n + 1) * 2 * sizeof *work);
    char *used = calloc((size_t)rs.n + 1, 1);
    struct mxt_model_machine *w = malloc(sizeof *w);
    if (!pred || !meas || !err || !gp || !gm || !work || !used || !w) {
        rc = mxt_error(MXT_ENOMEM, "out of memory");
        goto out;
    }
    *w = t->mm;
    int n = 0;
    for (int i = 0; i < rs.n; i++) {
        const struct row *x = &rs.r[i];
        w->calib = t->calib[MXT_CALIB_INDEX(x->kernel, x->cfg.schedule)];
        struct mxt_prediction p;
        acc->censored += x->censored;
        if (x->censored || predict(w, x, &p) || !(p.seconds > 0)) {
            used[i] = 1; /* the model cannot evaluate it (e.g. another machine's kernel) */
            pred[i] = meas[i] = 0;
            continue;
        }
        pred[i] = p.seconds;
        meas[i] = x->seconds;
        err[n++] = 100.0 * fabs(p.seconds - x->seconds) / x->seconds;
    }
    if (n == 0) {
        rc = mxt_error(MXT_ENOTFOUND, "no measurements of this machine to compare the model with: "
                                      "run 'mxtune search' first");
        goto out;
    }
    acc->count = n;
    qsort(err, (size_t)n, sizeof *err, cmp_double);
    acc->median_abs_pct_error = gsl_stats_median_from_sorted_data(err, 1, (size_t)n);
    /* rank correlation within each problem: the model's job is to order the
     * candidates of one problem */
    double wsum = 0, rsum = 0;
    for (int i = 0; i < rs.n; i++) {
        if (used[i]) continue;
        int g = 0;
        for (int j = i; j < rs.n; j++) {
            if (used[j] || !same_problem(&rs.r[i], &rs.r[j])) continue;
            used[j] = 1;
            gp[g] = pred[j];
            gm[g] = meas[j];
            g++;
        }
        if (g < 3) continue;
        double r = gsl_stats_spearman(gp, 1, gm, 1, (size_t)g, work);
        if (!isfinite(r)) continue;
        rsum += r * g;
        wsum += g;
        acc->problems++;
    }
    acc->spearman = wsum > 0 ? rsum / wsum : NAN;
    int m = 0;
    for (int i = 0; i < rs.n; i++) {
        if (!(pred[i] > 0)) continue;
        gp[m] = pred[i];
        gm[m] = meas[i];
        m++;
    }
    acc->spearman_pooled = m >= 3 ? gsl_stats_spearman(gp, 1, gm, 1, (size_t)m, work) : NAN;
    acc->calibrated_kernels = t->n_fits;
out:
    free(pred);
    free(meas);
    free(err);
    free(gp);
    free(gm);
    free(work);
    free(used);
    free(w);
    free(rs.r);
    return rc;
}
