/* `mxtune export --format header` (reports/): the winners as a C header that
 * compiles on its own (-std=c11 -Wall -Wextra -Werror -pedantic): provenance
 * comment, #defines per op/dtype and shape, a run-time table and a default. */
#include <math.h>
#include <string.h>
#include "mxt_common.h"
#include "mxt_export.h"

#define N_SCHED (MXT_SCHED_LAST + 1) /* enum mxt_schedule: cake .. goto-jc */
#define N_ISA 4                      /* enum mxt_isa: auto .. avx512 */

/* A value of an enum as its named constant (prefix + the name as an
 * identifier), or the bare number for a value this build does not know. */
static void named(FILE *f, const char *prefix, const char *name, int value, int n) {
    char id[32];
    if (value < 0 || value >= n) {
        fprintf(f, "%d", value);
        return;
    }
    mxt_export_ident(name, id, sizeof id);
    fprintf(f, "%s%s", prefix, id);
}

static void sched(FILE *f, enum mxt_schedule s) {
    named(f, "MXTUNE_SCHED_", mxt_schedule_name(s), (int)s, N_SCHED);
}

static void isa(FILE *f, enum mxt_isa i) {
    named(f, "MXTUNE_ISA_", mxt_isa_name(i), (int)i, N_ISA);
}

/* A double as a C floating constant (always with a '.' or an exponent). */
static void c_double(FILE *f, double v, int digits) {
    char buf[48];
    if (!isfinite(v)) v = 0;
    snprintf(buf, sizeof buf, "%.*g", digits, v);
    fputs(buf, f);
    if (!strpbrk(buf, ".eE")) fputs(".0", f);
}

static void config_defines(FILE *f, const char *stem, const struct mxt_config *c, double gflops) {
    fprintf(f, "#define %s_SCHEDULE ", stem);
    sched(f, c->schedule);
    fprintf(f, "\n#define %s_ISA ", stem);
    isa(f, c->isa);
    fprintf(f, "\n#define %s_MR %d\n#define %s_NR %d\n", stem, c->mr, stem, c->nr);
    fprintf(f, "#define %s_MC %lld\n#define %s_KC %lld\n#define %s_NC %lld\n", stem,
            (long long)c->mc, stem, (long long)c->kc, stem, (long long)c->nc);
    fprintf(f, "#define %s_ALPHA ", stem);
    c_double(f, c->alpha, 17);
    fprintf(f, "\n#define %s_THREADS %d\n", stem, c->threads);
    if (gflops > 0) {
        fprintf(f, "#define %s_GFLOPS ", stem);
        c_double(f, gflops, 6);
        fputc('\n', f);
    }
}

static void comment_line(FILE *f, const char *label, const char *text) {
    fprintf(f, " * %-12s ", label);
    mxt_export_comment_text(f, text, 200);
    fputc('\n', f);
}

static void provenance_block(FILE *f, const struct mxt_export *x) {
    const struct mxt_machine *m = &x->machine;
    char buf[256];
    fprintf(f, "/* mxtune_tiles.h: tuned ");
    mxt_export_comment_text(f, x->op, 16);
    fprintf(f, " configurations exported by mxtune ");
    mxt_export_comment_text(f, x->version, 16);
    fprintf(f, " (`mxtune export --format header`).\n * Generated: edit the database and "
               "export again rather than this file.\n *\n");
    comment_line(f, "machine", m->fingerprint);
    comment_line(f, "cpu", m->brand[0] ? m->brand : "(brand not recorded)");
    if (m->name[0]) comment_line(f, "name", m->name);
    snprintf(buf, sizeof buf, "%d cores, %d thread%s per core", m->cores,
             m->threads_per_core > 0 ? m->threads_per_core : 1, m->threads_per_core > 1 ? "s" : "");
    comment_line(f, "cores", buf);
    snprintf(buf, sizeof buf, "f32 %.4g GFLOP/s, f64 %.4g GFLOP/s (the profile, all cores)",
             m->compute.f32_all, m->compute.f64_all);
    comment_line(f, "peak", buf);
    comment_line(f, "exported", x->created);
    comment_line(f, "database", x->db_path);
    comment_line(f, "mxtune", x->version);
    if (x->stale) {
        snprintf(buf, sizeof buf, "%d winner%s measured by another kernel version left out",
                 x->stale, x->stale == 1 ? "" : "s");
        comment_line(f, "stale", buf);
    }
    fprintf(f,
            " *\n * Shapes are column-major C = A B with beta 0 on all %d cores unless the name "
            "says\n * otherwise: _P<n> n threads, _ROWMAJOR, _TA / _TB transposed, _BETA "
            "C accumulated.\n * GFLOP/s measured (median); %% of the profile's peak for the "
            "dtype at the\n * threads used.\n *\n",
            m->cores);
    for (size_t i = 0; i < x->n; i++) {
        const struct mxt_export_entry *e = &x->e[i];
        const struct mxt_config *c = &e->t.best.config;
        fprintf(f, " * %s\n *     %.1f GFLOP/s", e->name, e->t.best.gflops);
        if (e->peak_gflops > 0)
            fprintf(f, ", %.1f %% of %.4g GFLOP/s peak", e->pct_peak, e->peak_gflops);
        fprintf(f, "; %s %s %dx%d; measured ", mxt_schedule_name(c->schedule), mxt_isa_name(c->isa),
                c->mr, c->nr);
        mxt_export_comment_text(f, e->t.best.created, 31);
        fprintf(f, " by ");
        mxt_export_comment_text(f, e->t.best.strategy[0] ? e->t.best.strategy : "?", 15);
        fprintf(f, "\n *     provenance ");
        mxt_export_comment_text(f, e->t.provenance, 160);
        fputc('\n', f);
    }
    fprintf(f, " *\n * Defaults for shapes that were not tuned:\n");
    for (int dt = MXT_F32; dt <= MXT_F64; dt++) {
        fprintf(f, " *   %s: ", mxt_dtype_name((enum mxt_dtype)dt));
        mxt_export_comment_text(f, x->def[dt].why, 160);
        fputc('\n', f);
    }
    fprintf(f,
            " *\n * Use: fill a struct mxt_config (mxtune/config.h) from "
            "MXTUNE_<OP>_<DTYPE>_<SHAPE>_*,\n * or at run time from %s_pick(), and call "
            "mxt_sgemm_ex / mxt_dgemm_ex\n * (mxtune/gemm.h, link libmxtune). The constants "
            "equal the enums of mxtune/config.h.\n */\n",
            "mxtune_<op>_tiles");
}

static void constants(FILE *f) {
    fprintf(f, "/* Schedules and ISAs: the values of enum mxt_schedule and enum mxt_isa, and "
               "the\n * dtypes of enum mxt_dtype (mxtune/config.h). */\n#ifndef "
               "MXTUNE_TILES_CONSTANTS\n#define MXTUNE_TILES_CONSTANTS\n");
    for (int s = 0; s < N_SCHED; s++) {
        fprintf(f, "#define ");
        sched(f, (enum mxt_schedule)s);
        fprintf(f, " %d\n", s);
    }
    for (int i = 0; i < N_ISA; i++) {
        fprintf(f, "#define ");
        isa(f, (enum mxt_isa)i);
        fprintf(f, " %d\n", i);
    }
    fprintf(f, "#define MXTUNE_DTYPE_F32 %d\n#define MXTUNE_DTYPE_F64 %d\n", MXT_F32, MXT_F64);
    /* A header may well be included where one of its helpers goes unused. */
    fprintf(f, "#if defined(__GNUC__) || defined(__clang__)\n#define MXTUNE_TILES_UNUSED "
               "__attribute__((unused))\n#else\n#define MXTUNE_TILES_UNUSED\n#endif\n#endif\n\n");
}

/* One initializer of the table. */
static void table_row(FILE *f, const struct mxt_db_problem *p, const struct mxt_config *c,
                      double gflops) {
    fprintf(f, "    {MXTUNE_DTYPE_%s, %lld, %lld, %lld, %d, %d, %d, %d, %d, ",
            p->dtype == MXT_F64 ? "F64" : "F32", (long long)p->m, (long long)p->n, (long long)p->k,
            p->threads, p->col_major, p->trans_a, p->trans_b, p->beta_zero);
    sched(f, c->schedule);
    fprintf(f, ", ");
    isa(f, c->isa);
    fprintf(f, ", %d, %d, %lld, %lld, %lld, ", c->mr, c->nr, (long long)c->mc, (long long)c->kc,
            (long long)c->nc);
    c_double(f, c->alpha, 17);
    fprintf(f, ", %d, ", c->threads);
    c_double(f, gflops, 6);
    fprintf(f, "}");
}

static void table(FILE *f, const struct mxt_export *x) {
    char op[16];
    size_t len = mxt_strlcpy(op, x->op_id, sizeof op);
    for (size_t i = 0; i < len; i++)
        if (op[i] >= 'A' && op[i] <= 'Z') op[i] = (char)(op[i] - 'A' + 'a');
    fprintf(f,
            "/* The same winners as a table, for programs that choose at run time. A row: the\n"
            " * problem (dtype, m, n, k, threads, col_major, trans_a, trans_b, beta_zero), then\n"
            " * the configuration (fields of struct mxt_config) and the measured GFLOP/s. */\n"
            "struct mxtune_%s_tile {\n"
            "    int dtype;\n    long long m, n, k;\n"
            "    int threads, col_major, trans_a, trans_b, beta_zero;\n"
            "    int schedule, isa, mr, nr;\n    long long mc, kc, nc;\n    double alpha;\n"
            "    int config_threads;\n    double gflops; /* 0 for a default */\n};\n\n",
            op);
    fprintf(f, "static const struct mxtune_%s_tile mxtune_%s_tiles[] MXTUNE_TILES_UNUSED = {\n", op,
            op);
    for (size_t i = 0; i < x->n; i++) {
        const struct mxt_export_entry *e = &x->e[i];
        table_row(f, &e->t.problem, &e->t.best.config, e->t.best.gflops);
        fprintf(f, "%s /* %s */\n", i + 1 < x->n ? "," : "", e->name);
    }
    fprintf(f,
            "};\n#define MXTUNE_%s_TILES_COUNT (sizeof mxtune_%s_tiles / sizeof "
            "mxtune_%s_tiles[0])\n\n",
            x->op_id, op, op);
    fprintf(f,
            "/* The defaults, by dtype (MXTUNE_DTYPE_F32, MXTUNE_DTYPE_F64). */\n"
            "static const struct mxtune_%s_tile mxtune_%s_defaults[2] MXTUNE_TILES_UNUSED = {\n",
            op, op);
    for (int dt = MXT_F32; dt <= MXT_F64; dt++) {
        struct mxt_db_problem p;
        mxt_db_problem_init(&p, x->op, (enum mxt_dtype)dt, 0, 0, 0, x->def[dt].config.threads);
        table_row(f, &p, &x->def[dt].config, 0);
        fprintf(f, "%s\n", dt == MXT_F32 ? "," : "");
    }
    fprintf(f, "};\n\n");
    fprintf(f,
            "/* The tuned row of an exact column-major problem on `threads` threads (0: any),\n"
            " * or NULL. */\n"
            "MXTUNE_TILES_UNUSED static inline const struct mxtune_%s_tile "
            "*\nmxtune_%s_tiles_find(int dtype, long long "
            "m, long long n,\n        long long k, int threads) {\n"
            "    unsigned long i;\n"
            "    for (i = 0; i < MXTUNE_%s_TILES_COUNT; i++) {\n"
            "        const struct mxtune_%s_tile *t = &mxtune_%s_tiles[i];\n"
            "        if (t->dtype == dtype && t->m == m && t->n == n && t->k == k && t->col_major "
            "&&\n            !t->trans_a && !t->trans_b && (threads == 0 || t->threads == "
            "threads))\n"
            "            return t;\n    }\n    return 0;\n}\n\n",
            op, op, x->op_id, op, op);
    fprintf(f,
            "/* The tuned row, else the default of the dtype (never NULL for F32 or F64). */\n"
            "MXTUNE_TILES_UNUSED static inline const struct mxtune_%s_tile "
            "*\nmxtune_%s_tiles_pick(int dtype, long long "
            "m, long long n,\n        long long k, int threads) {\n"
            "    const struct mxtune_%s_tile *t = mxtune_%s_tiles_find(dtype, m, n, k, threads);\n"
            "    return t ? t : &mxtune_%s_defaults[dtype == MXTUNE_DTYPE_F64];\n}\n\n",
            op, op, op, op, op);
}

int mxt_export_header(FILE *f, const struct mxt_export *x) {
    char stem[64];
    provenance_block(f, x);
    fprintf(f, "#ifndef MXTUNE_TILES_H\n#define MXTUNE_TILES_H\n\n");
    fprintf(f, "#define MXTUNE_TILES_MXTUNE_VERSION ");
    mxt_export_c_string(f, x->version);
    fprintf(f, "\n#define MXTUNE_TILES_FINGERPRINT ");
    mxt_export_c_string(f, x->machine.fingerprint);
    fprintf(f, "\n#define MXTUNE_TILES_CPU ");
    mxt_export_c_string(f, x->machine.brand);
    fprintf(f, "\n#define MXTUNE_TILES_CORES %d\n#define MXTUNE_TILES_EXPORTED ", x->machine.cores);
    mxt_export_c_string(f, x->created);
    fprintf(f, "\n\n");
    constants(f);
    for (size_t i = 0; i < x->n; i++) {
        const struct mxt_export_entry *e = &x->e[i];
        const struct mxt_db_problem *p = &e->t.problem;
        fprintf(f, "/* %s %s %lld x %lld x %lld, %d thread%s: %.1f GFLOP/s", x->op_id,
                mxt_dtype_name(p->dtype), (long long)p->m, (long long)p->n, (long long)p->k,
                p->threads, p->threads == 1 ? "" : "s", e->t.best.gflops);
        if (e->peak_gflops > 0) fprintf(f, " (%.1f %% of peak)", e->pct_peak);
        fprintf(f, " */\n");
        config_defines(f, e->name, &e->t.best.config, e->t.best.gflops);
        fputc('\n', f);
    }
    for (int dt = MXT_F32; dt <= MXT_F64; dt++) {
        const struct mxt_export_default *d = &x->def[dt];
        snprintf(stem, sizeof stem, "MXTUNE_%s_%s_DEFAULT", x->op_id,
                 dt == MXT_F64 ? "F64" : "F32");
        fprintf(f, "/* Default %s for shapes that were not tuned: ", mxt_dtype_name(dt));
        mxt_export_comment_text(f, d->why, 160);
        fprintf(f, ". */\n#define %s_SOURCE ", stem);
        mxt_export_c_string(f, mxt_export_default_source_name(d->source));
        fputc('\n', f);
        config_defines(f, stem, &d->config, 0);
        fputc('\n', f);
    }
    table(f, x);
    fprintf(f, "#endif /* MXTUNE_TILES_H */\n");
    return ferror(f) ? mxt_error(MXT_EIO, "write error") : 0;
}
