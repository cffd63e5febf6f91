/* What the exporters write (reports/): one machine's current winners of one op
 * from the database, each named as a C identifier stem, with the defaults for
 * shapes that were not tuned, and the sanitizers every writer shares. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_export.h"
#include "mxtune/gemm.h"
#include "mxtune/model.h"
#include "probes.h"

const char *mxt_export_default_source_name(enum mxt_export_default_source s) {
    switch (s) {
    case MXT_EXPORT_DEFAULT_WINNER:
        return "most_common_winner";
    case MXT_EXPORT_DEFAULT_MODEL:
        return "model";
    case MXT_EXPORT_DEFAULT_KERNELS:
        return "kernels";
    }
    return "kernels";
}

/* ---- sanitizers ---- */

int mxt_export_ident(const char *s, char *out, size_t size) {
    size_t j = 0;
    int changed = 0;
    if (size == 0) return 1;
    for (const unsigned char *p = (const unsigned char *)s; *p && j + 1 < size; p++) {
        unsigned char c = *p;
        if (c >= 'a' && c <= 'z')
            out[j++] = (char)(c - 'a' + 'A');
        else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            out[j++] = (char)c;
        else {
            out[j++] = '_';
            changed = 1;
        }
    }
    if (j == 0 && size > 1) {
        out[j++] = 'X';
        changed = 1;
    }
    out[j] = '\0';
    return changed;
}

void mxt_export_comment_text(FILE *f, const char *s, size_t max) {
    int prev = ' ';
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (; *p && n < max; p++, n++) {
        int c = *p;
        if (c < 0x20 || c > 0x7e || c == '\\') c = c == '\\' ? '/' : '?';
        /* "*" then "/" would close the comment, "/" then "*" open a nested one
         * (-Wcomment), "??" start a trigraph: a space between keeps them apart. */
        if ((prev == '*' && c == '/') || (prev == '/' && c == '*') || (prev == '?' && c == '?'))
            fputc(' ', f);
        fputc(c, f);
        prev = c;
    }
    /* The caller writes on after the text: a trailing '*' or '/' must not
     * pair with its next character. */
    if (prev == '*' || prev == '/') fputc(' ', f);
    if (*p) fputs(prev == '.' ? " ..." : "...", f); /* cut at max */
}

void mxt_export_c_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\' || *p == '?')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p > 0x7e)
            fprintf(f, "\\%03o", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* ---- loading ---- */

struct collect {
    struct mxt_export *x;
    size_t cap;
    int rc;
};

static int collect_row(const struct mxt_db_tuned *t, void *ctx) {
    struct collect *c = ctx;
    struct mxt_export *x = c->x;
    if (strcmp(t->problem.op, x->op) != 0) return 0;
    if (t->stale || t->best.stale) {
        x->stale++;
        return 0;
    }
    if (x->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        struct mxt_export_entry *e = realloc(x->e, cap * sizeof *e);
        if (!e) return c->rc = mxt_error(MXT_ENOMEM, "out of memory reading the winners");
        x->e = e;
        c->cap = cap;
    }
    memset(&x->e[x->n], 0, sizeof x->e[x->n]);
    x->e[x->n++].t = *t;
    return 0;
}

static int cmp_entry(const void *a, const void *b) {
    const struct mxt_db_problem *p = &((const struct mxt_export_entry *)a)->t.problem;
    const struct mxt_db_problem *q = &((const struct mxt_export_entry *)b)->t.problem;
    if (p->dtype != q->dtype) return (int)p->dtype - (int)q->dtype;
    if (p->m != q->m) return p->m < q->m ? -1 : 1;
    if (p->n != q->n) return p->n < q->n ? -1 : 1;
    if (p->k != q->k) return p->k < q->k ? -1 : 1;
    if (p->threads != q->threads) return p->threads - q->threads;
    return memcmp(p, q, sizeof *p);
}

/* The profile's peak for dtype on `threads` threads (GFLOP/s, 0: unknown):
 * the all-core figure for all cores (one core's x cores when the all-core one
 * is a failed measurement, as the roofline does), else one core's x threads
 * capped by the all-core figure. */
static double peak_at(const struct mxt_machine *m, enum mxt_dtype dt, int threads) {
    double one = dt == MXT_F64 ? m->compute.f64_1t : m->compute.f32_1t;
    double all = dt == MXT_F64 ? m->compute.f64_all : m->compute.f32_all;
    int cores = m->cores > 0 ? m->cores : 1;
    if (threads >= cores) return all > 0 && all >= 0.9 * one ? all : one * cores;
    if (one > 0) return all > 0 ? fmin(one * threads, all) : one * threads;
    return all > 0 ? all * threads / cores : 0;
}

static void name_entry(const struct mxt_export *x, struct mxt_export_entry *e) {
    const struct mxt_db_problem *p = &e->t.problem;
    char dt[8];
    size_t len;
    mxt_export_ident(mxt_dtype_name(p->dtype), dt, sizeof dt);
    snprintf(e->name, sizeof e->name, "MXTUNE_%s_%s_M%lld_N%lld_K%lld", x->op_id, dt,
             (long long)p->m, (long long)p->n, (long long)p->k);
    /* Only what differs from the common case is spelled out. */
#define APPEND(...)                                                                                \
    do {                                                                                           \
        len = strlen(e->name);                                                                     \
        snprintf(e->name + len, sizeof e->name - len, __VA_ARGS__);                                \
    } while (0)
    if (p->threads != x->machine.cores) APPEND("_P%d", p->threads);
    if (!p->col_major) APPEND("_ROWMAJOR");
    if (p->trans_a) APPEND("_TA");
    if (p->trans_b) APPEND("_TB");
    if (!p->beta_zero) APPEND("_BETA");
    if (p->batch != 1) APPEND("_B%lld", (long long)p->batch);
    if (p->rank > 0) APPEND("_R%lld", (long long)p->rank);
    if (p->density != 1) APPEND("_D%ld", lround(p->density * 1e4)); /* per ten thousand */
    if (p->spec[0])
        APPEND("_S%08llx",
               (unsigned long long)(mxt_fnv1a64(p->spec, strlen(p->spec), 0) & 0xffffffffULL));
#undef APPEND
}

/* Names are unique: the problem's columns are, but two of them may still
 * spell alike (a density rounded, a spec hashed): the later gets _2, _3... */
static void dedupe_names(struct mxt_export *x) {
    for (size_t i = 1; i < x->n; i++) {
        char base[sizeof x->e[i].name];
        mxt_strlcpy(base, x->e[i].name, sizeof base);
        for (int k = 2;; k++) {
            int clash = 0;
            for (size_t j = 0; j < i && !clash; j++)
                clash = strcmp(x->e[j].name, x->e[i].name) == 0;
            if (!clash) break;
            size_t len = strlen(base);
            if (len > sizeof base - 12) len = sizeof base - 12;
            snprintf(x->e[i].name, sizeof x->e[i].name, "%.*s_%d", (int)len, base, k);
        }
    }
}

static int same_config(const struct mxt_config *a, const struct mxt_config *b) {
    return a->schedule == b->schedule && a->isa == b->isa && a->mr == b->mr && a->nr == b->nr &&
           a->mc == b->mc && a->kc == b->kc && a->nc == b->nc && a->alpha == b->alpha &&
           a->threads == b->threads;
}

/* The configuration that won most shapes of dtype (goto_only: among goto
 * winners); a tie goes to the one of the larger problem (more work, less
 * edge effect), then the faster. 0 when there is none. */
static int most_common(const struct mxt_export *x, enum mxt_dtype dt, int goto_only,
                       struct mxt_export_default *d) {
    int best_wins = 0, of = 0;
    double best_work = 0, best_gflops = 0;
    for (size_t i = 0; i < x->n; i++) {
        const struct mxt_export_entry *e = &x->e[i];
        if (e->t.problem.dtype != dt) continue;
        if (goto_only && !mxt_schedule_is_goto(e->t.best.config.schedule)) continue;
        of++;
        int wins = 0;
        double work = 0;
        for (size_t j = 0; j < x->n; j++) {
            const struct mxt_export_entry *o = &x->e[j];
            if (o->t.problem.dtype != dt || !same_config(&o->t.best.config, &e->t.best.config))
                continue;
            wins++;
            double w = (double)o->t.problem.m * (double)o->t.problem.n * (double)o->t.problem.k;
            work = fmax(work, w);
        }
        int better = wins > best_wins ||
                     (wins == best_wins &&
                      (work > best_work || (work == best_work && e->t.best.gflops > best_gflops)));
        if (!better) continue;
        best_wins = wins;
        best_work = work;
        best_gflops = e->t.best.gflops;
        mxt_gemm_config_from_model(&e->t.best.config, &d->config); /* the kernels' form */
    }
    if (!best_wins) return 0;
    d->source = MXT_EXPORT_DEFAULT_WINNER;
    d->wins = best_wins;
    d->of = of;
    snprintf(d->why, sizeof d->why, "the most common %swinner: %d of %d tuned %s shapes",
             goto_only ? "goto " : "", best_wins, of, mxt_dtype_name(dt));
    return 1;
}

/* The model's pick for an MXT_EXPORT_MODEL_SHAPE cube on all cores with the
 * default micro-kernel of the machine's widest ISA: the faster of cake and
 * goto (goto only for BLIS, whose loops are Goto's), blocks by the default
 * sizing rule. Without a model (no peak or bandwidth in the profile): all 0,
 * the kernels' own fallbacks. */
static void model_pick(const struct mxt_machine *m, enum mxt_dtype dt, int goto_only,
                       struct mxt_export_default *d) {
    static const enum mxt_schedule scheds[] = {MXT_SCHED_GOTO, MXT_SCHED_CAKE};
    struct mxt_model_machine *mm = malloc(sizeof *mm);
    double best = 0;
    char why[96] = "";
    memset(&d->config, 0, sizeof d->config);
    d->source = MXT_EXPORT_DEFAULT_KERNELS;
    if (!mm || mxt_model_machine_init(mm, m) != 0) {
        mxt_strlcpy(why, "the model cannot read the profile", sizeof why);
        goto out;
    }
    for (size_t i = 0; i < (goto_only ? 1u : MXT_ARRAY_LEN(scheds)); i++) {
        struct mxt_problem pb = {.op = MXT_OP_GEMM,
                                 .dtype = dt,
                                 .m = MXT_EXPORT_MODEL_SHAPE,
                                 .n = MXT_EXPORT_MODEL_SHAPE,
                                 .k = MXT_EXPORT_MODEL_SHAPE};
        struct mxt_config cfg = {.schedule = scheds[i],
                                 .isa = mm->isa,
                                 .mr = mm->kernel_mr[dt],
                                 .nr = mm->kernel_nr[dt],
                                 .threads = mm->cores};
        struct mxt_prediction p;
        if (mxt_model_evaluate(mm, &pb, &cfg, MXT_SIZING_DEFAULT, &p) != 0) {
            snprintf(why, sizeof why, "the model cannot predict (%.60s)", mxt_last_error());
            continue;
        }
        if (best > 0 && p.seconds >= best) continue;
        best = p.seconds;
        d->config = p.config;
        d->source = MXT_EXPORT_DEFAULT_MODEL;
    }
out:
    mxt_error_clear();
    free(mm);
    if (d->source == MXT_EXPORT_DEFAULT_MODEL)
        snprintf(d->why, sizeof d->why,
                 "nothing %s%s tuned: the model's pick for %d^3 on all cores",
                 goto_only ? "goto " : "", mxt_dtype_name(dt), MXT_EXPORT_MODEL_SHAPE);
    else
        snprintf(d->why, sizeof d->why,
                 "nothing %s tuned and %s: all 0, the kernels choose (mxt_gemm_resolve_config)",
                 mxt_dtype_name(dt), why);
}

static void now_iso(char *buf, size_t size) {
    time_t t = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH"); /* reproducible output */
    if (sde && *sde) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(sde, &end, 10);
        if (errno == 0 && end && *end == '\0' && v >= 0) t = (time_t)v;
    }
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        mxt_strlcpy(buf, "unknown", size);
}

static int count_machine(const struct mxt_db_machine_row *row, void *ctx) {
    char *only = ctx;
    if (only[0] == '\0')
        mxt_strlcpy(only, row->fingerprint, 40);
    else
        only[0] = '\x01'; /* more than one */
    return 0;
}

/* Which machine: the one asked for, else this one if stored, else the only one. */
static int pick_machine(struct mxt_db *db, const char *fingerprint, struct mxt_export *x,
                        char *note, size_t note_size) {
    char only[40] = "";
    int rc = mxt_db_list_machines(db, count_machine, only);
    if (rc) return rc;
    if (only[0] == '\0')
        return mxt_error(MXT_ENOTFOUND,
                         "no machine profile in '%s': run 'mxtune probe' and 'mxtune search' first",
                         mxt_db_path(db));
    if (fingerprint) {
        rc = mxt_db_get_machine(db, fingerprint, &x->machine);
        if (rc == MXT_ENOTFOUND)
            return mxt_error(MXT_ENOTFOUND,
                             "no machine with fingerprint '%s' in '%s' (see 'mxtune machine list')",
                             fingerprint, mxt_db_path(db));
        return rc;
    }
    struct mxt_machine *id = malloc(sizeof *id);
    if (!id) return mxt_error(MXT_ENOMEM, "out of memory");
    rc = mxt_probe_identify(NULL, id);
    if (rc == 0) rc = mxt_db_get_machine(db, id->fingerprint, &x->machine);
    if (rc == 0) goto out;
    if (only[0] == '\x01') {
        rc = mxt_error(MXT_ENOTFOUND,
                       "this machine (fingerprint %s) is not in '%s' and it holds several: "
                       "choose one with --fingerprint (see 'mxtune machine list'), or run "
                       "'mxtune probe' and 'mxtune search' here first",
                       rc == MXT_ENOTFOUND ? id->fingerprint : "unknown", mxt_db_path(db));
        goto out;
    }
    if ((rc = mxt_db_get_machine(db, only, &x->machine))) goto out;
    if (note)
        snprintf(note, note_size,
                 "this machine is not in '%s': exporting its only machine, '%s' (%s)",
                 mxt_db_path(db), only, x->machine.brand[0] ? x->machine.brand : "unnamed");
out:
    free(id);
    return rc;
}

int mxt_export_load(struct mxt_db *db, const char *fingerprint, const char *op,
                    struct mxt_export *x, char *note, size_t note_size) {
    struct collect c = {.x = x};
    int rc;
    memset(x, 0, sizeof *x);
    if (note && note_size) note[0] = '\0';
    if (!db || !op || !op[0]) return mxt_error(MXT_EINVAL, "mxt_export_load: missing argument");
    if (mxt_strlcpy(x->op, op, sizeof x->op) >= sizeof x->op)
        return mxt_error(MXT_EINVAL, "'%s' is not an op (gemm, spmm, lowrank, contract)", op);
    mxt_export_ident(op, x->op_id, sizeof x->op_id);
    mxt_strlcpy(x->db_path, mxt_db_path(db), sizeof x->db_path);
    x->version = MXT_VERSION;
    now_iso(x->created, sizeof x->created);
    if ((rc = pick_machine(db, fingerprint, x, note, note_size))) return rc;
    if ((rc = mxt_db_list_tuned(db, x->machine.fingerprint, collect_row, &c))) return rc;
    if (c.rc) return c.rc;
    if (x->n == 0)
        return mxt_error(MXT_ENOTFOUND,
                         "nothing %stuned for %s on machine '%s' in '%s': run 'mxtune probe' and "
                         "'mxtune search' first",
                         x->stale ? "current " : "", op, x->machine.fingerprint, x->db_path);
    qsort(x->e, x->n, sizeof *x->e, cmp_entry);
    for (size_t i = 0; i < x->n; i++) {
        struct mxt_export_entry *e = &x->e[i];
        name_entry(x, e);
        e->peak_gflops = peak_at(&x->machine, e->t.problem.dtype, e->t.problem.threads);
        e->pct_peak = e->peak_gflops > 0 ? 100 * e->t.best.gflops / e->peak_gflops : 0;
    }
    dedupe_names(x);
    for (int dt = MXT_F32; dt <= MXT_F64; dt++) {
        if (!most_common(x, (enum mxt_dtype)dt, 0, &x->def[dt]))
            model_pick(&x->machine, (enum mxt_dtype)dt, 0, &x->def[dt]);
        if (!most_common(x, (enum mxt_dtype)dt, 1, &x->blis[dt]))
            model_pick(&x->machine, (enum mxt_dtype)dt, 1, &x->blis[dt]);
    }
    if (note && x->stale) {
        size_t len = strlen(note);
        snprintf(note + len, note_size - len,
                 "%s%d winner%s measured by another kernel version left out (stale: run "
                 "'mxtune search --rerun')",
                 len ? "; " : "", x->stale, x->stale == 1 ? "" : "s");
    }
    return 0;
}

void mxt_export_release(struct mxt_export *x) {
    if (!x) return;
    free(x->e);
    x->e = NULL;
    x->n = 0;
}
