/* The tuner's winners as roofline points (reports/): measured GFLOP/s and the
 * model's, at the intensity of the model's DRAM traffic for the winner's own
 * configuration; measured points above their ceilings are flagged. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxt_common.h"
#include "mxt_db_tune.h"
#include "mxt_reports.h"
#include "mxtune/model.h"

struct load {
    struct mxt_report_points *out;
    const struct mxt_model_machine *mm;
    const struct mxt_roofline *roof;
    int rc;
};

static void pts_note(struct mxt_report_points *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void pts_note(struct mxt_report_points *o, const char *fmt, ...) {
    if (o->n_notes >= MXT_POINT_NOTES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->notes[o->n_notes++], MXT_NOTE_LEN, fmt, ap);
    va_end(ap);
}

static int grow(struct mxt_report_points *o) {
    if (o->n + 2 <= o->cap) return 0;
    size_t cap = o->cap ? 2 * o->cap : 16;
    struct mxt_roof_point *p = realloc(o->p, cap * sizeof *p);
    if (!p) return mxt_error(MXT_ENOMEM, "out of memory reading the winners");
    o->p = p;
    char(*l)[MXT_POINT_LABEL] = realloc(o->label, cap * sizeof *l);
    if (!l) return mxt_error(MXT_ENOMEM, "out of memory reading the winners");
    o->label = l;
    o->cap = cap;
    return 0;
}

/* A short name of a problem: "f32 1024^3" or "f64 1000x500x250". */
static void shape_text(const struct mxt_db_problem *p, char *buf, size_t size) {
    int gemm = strcmp(p->op, "gemm") == 0;
    if (p->m == p->n && p->n == p->k)
        snprintf(buf, size, "%s%s%s %lld^3", gemm ? "" : p->op, gemm ? "" : " ",
                 mxt_dtype_name(p->dtype), (long long)p->m);
    else
        snprintf(buf, size, "%s%s%s %lldx%lldx%lld", gemm ? "" : p->op, gemm ? "" : " ",
                 mxt_dtype_name(p->dtype), (long long)p->m, (long long)p->n, (long long)p->k);
}

/* The model's view of a stored problem: the column-major shape (a row-major
 * one runs as its transpose, N x M), with the op's extra parameters.
 * MXT_EUNSUPPORTED for contractions (their sizes are not in the row). */
static int model_problem(const struct mxt_db_problem *p, struct mxt_problem *pb) {
    memset(pb, 0, sizeof *pb);
    enum mxt_op op;
    if (mxt_op_parse(p->op, &op) != 0 || op == MXT_OP_CONTRACT)
        return mxt_error(MXT_EUNSUPPORTED, "op '%s' is not drawn", p->op);
    pb->op = op;
    pb->dtype = p->dtype;
    pb->m = p->col_major ? p->m : p->n;
    pb->n = p->col_major ? p->n : p->m;
    pb->k = p->k;
    pb->density = p->density;
    pb->rank = p->rank;
    pb->beta = !p->beta_zero;
    return 0;
}

static double dtype_peak(const struct mxt_roofline *r, enum mxt_dtype dt) {
    const char *name = dt == MXT_F64 ? "f64_peak" : "f32_peak";
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->c[i].name, name) == 0) return r->c[i].value;
    return 0;
}

static int add_winner(const struct mxt_db_tuned *t, void *ctx) {
    struct load *L = ctx;
    struct mxt_report_points *o = L->out;
    struct mxt_problem pb;
    struct mxt_prediction pr;
    char shape[48];
    if (t->stale || t->best.stale) return 0;
    shape_text(&t->problem, shape, sizeof shape);
    /* A stored configuration is resolved: CAKE's alpha is implied by nc then
     * (the model takes one of the two, as the tuner's own predictions do). */
    struct mxt_config cfg = t->best.config;
    if (cfg.mc && cfg.kc && cfg.nc) cfg.alpha = 0;
    if (model_problem(&t->problem, &pb) != 0 ||
        mxt_model_evaluate(L->mm, &pb, &cfg, MXT_SIZING_DEFAULT, &pr) != 0 ||
        !(pr.bytes[MXT_LVL_DRAM] > 0) || !(pr.flops > 0) || !(t->best.gflops > 0)) {
        pts_note(o, "%s: not drawn: the model cannot evaluate its configuration (%s)", shape,
                 mxt_last_error());
        mxt_error_clear();
        o->skipped++;
        return 0;
    }
    if ((L->rc = grow(o))) return L->rc;
    double intensity = pr.flops / pr.bytes[MXT_LVL_DRAM];
    double gflops = t->best.gflops;
    double peak = dtype_peak(L->roof, t->problem.dtype);
    double roof = mxt_roofline_roof(L->roof, intensity);
    double limit = peak > 0 ? (roof > 0 ? fmin(peak, roof) : peak) : roof;
    int above = limit > 0 && gflops > limit * 1.0000001;
    size_t i = o->n;
    snprintf(o->label[i], MXT_POINT_LABEL, "%s %s%s", shape,
             mxt_schedule_name(t->best.config.schedule), above ? " (ABOVE CEILING)" : "");
    o->p[i] = (struct mxt_roof_point){NULL, intensity, gflops, MXT_POINT_MEASURED, peak};
    /* Unlabelled on the picture: it sits straight above or below its run. */
    o->label[i + 1][0] = '\0';
    o->p[i + 1] = (struct mxt_roof_point){NULL, intensity, pr.gflops, MXT_POINT_MODEL, peak};
    o->n += pr.gflops > 0 ? 2 : 1;
    if (above) {
        o->flagged++;
        pts_note(o,
                 "%s: measured %.4g GFLOP/s is above its ceiling %.4g GFLOP/s (%s) at %.3g "
                 "FLOP/byte: a measurement or a ceiling is wrong",
                 shape, gflops, limit, peak > 0 && limit == peak ? "its dtype's peak" : "the roof",
                 intensity);
    }
    return 0;
}

int mxt_report_load_points(struct mxt_db *db, const struct mxt_machine *m,
                           const struct mxt_probe_curves *curves, struct mxt_report_points *out) {
    struct mxt_model_machine *mm = malloc(sizeof *mm);
    struct mxt_roofline *roof = malloc(sizeof *roof);
    struct load L = {.out = out, .mm = mm, .roof = roof};
    int rc;
    memset(out, 0, sizeof *out);
    if (!mm || !roof) {
        rc = mxt_error(MXT_ENOMEM, "out of memory");
        goto out;
    }
    mxt_roofline_ceilings(m, curves, roof);
    if (mxt_model_machine_init(mm, m) != 0) { /* no points, but the ceilings still draw */
        pts_note(out, "the tuned winners are not drawn: the model cannot read the profile (%s)",
                 mxt_last_error());
        mxt_error_clear();
        rc = 0;
        goto out;
    }
    rc = mxt_db_list_tuned(db, m->fingerprint, add_winner, &L);
    if (!rc) rc = L.rc;
    /* Labels are pointed at once the array stops moving. */
    for (size_t i = 0; !rc && i < out->n; i++)
        out->p[i].label = out->label[i];
out:
    free(mm);
    free(roof);
    return rc;
}

void mxt_report_points_release(struct mxt_report_points *pts) {
    if (!pts) return;
    free(pts->p);
    free(pts->label);
    memset(pts, 0, sizeof *pts);
}
