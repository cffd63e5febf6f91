/* Unit tests for export (reports/export*.c) and the tuner's rows in reports
 * (db_points.c, plot_model.c): a fixture database built through the db API,
 * the header compiled alone, hostile names, JSON, BLIS, defaults, empty and stale
 * databases, roofline points under their ceilings, the model picture's data. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_db_tune.h"
#include "mxt_export.h"
#include "mxt_reports.h"
#include "mxt_test.h"

#define FP "fixture-export-01"

extern char **environ;

/* ---- helpers ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *dir) {
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int make_tmpdir(char *dir, size_t size) {
    if (mxt_strlcpy(dir, "/tmp/mxt_export_XXXXXX", size) >= size) return -1;
    return mkdtemp(dir) ? 0 : -1;
}

/* Run argv (no shell), stdout and stderr to /dev/null unless keep; exit status or -1. */
static int run(char *const argv[], int keep) {
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status = 0;
    if (posix_spawn_file_actions_init(&fa) != 0) return -1;
    if (!keep) {
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    }
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Compile a C file strictly (out NULL: syntax only); 0 when it compiles. */
static int compile_strict(const char *file, const char *out) {
    char *argv[16];
    int n = 0;
    static const char *const flags[] = {MXT_TEST_CC, "-std=c11", "-Wall", "-Wextra", "-Werror",
                                        "-pedantic", "-Wshadow", "-x",    "c"};
    for (size_t i = 0; i < MXT_ARRAY_LEN(flags); i++)
        argv[n++] = (char *)flags[i];
    argv[n++] = (char *)file;
    argv[n++] = out ? "-o" : "-fsyntax-only";
    if (out) argv[n++] = (char *)out;
    argv[n] = NULL;
    return run(argv, 1);
}

/* A file's text (malloc'd) or NULL. Not inlined: GCC 12 takes the buffer for
 * the local pointer that receives it (-Wdangling-pointer false positive). */
__attribute__((noinline)) static char *slurp(const char *path) {
    char *text = NULL;
    if (mxt_read_file(path, &text, NULL) != 0) return NULL;
    return text;
}

static struct mxt_config cfg_of(enum mxt_schedule s, int mr, int nr, int64_t mc, int64_t kc,
                                int64_t nc, double alpha, int threads) {
    return (struct mxt_config){.schedule = s,
                               .isa = MXT_ISA_AVX2,
                               .mr = mr,
                               .nr = nr,
                               .mc = mc,
                               .kc = kc,
                               .nc = nc,
                               .alpha = alpha,
                               .threads = threads};
}

/* Store one measurement of (dtype, m, n, k) and, when win, make it the winner. */
static int measure(struct mxt_db *db, const char *fp, enum mxt_dtype dt, int64_t m, int64_t n,
                   int64_t k, struct mxt_config c, double gflops, double pred_ratio, int win) {
    struct mxt_db_problem p;
    struct mxt_db_measurement ms;
    int64_t id = 0;
    int rc;
    mxt_db_problem_init(&p, "gemm", dt, m, n, k, c.threads);
    memset(&ms, 0, sizeof ms);
    ms.config = c;
    mxt_strlcpy(ms.kernel_version, MXT_KERNEL_VERSION, sizeof ms.kernel_version);
    ms.median_s = 2.0 * (double)m * (double)n * (double)k / (gflops * 1e9);
    ms.min_s = ms.median_s * 0.97;
    ms.q20_s = ms.median_s * 0.98;
    ms.q80_s = ms.median_s * 1.03;
    ms.repeats = 9;
    ms.gflops = gflops;
    ms.predicted_s = ms.median_s * pred_ratio;
    ms.seed = 1;
    mxt_strlcpy(ms.strategy, "anneal", sizeof ms.strategy);
    if ((rc = mxt_db_add_measurement(db, fp, &p, &ms, &id))) return rc;
    return win ? mxt_db_set_tuned(db, fp, &p, id, "{\"strategy\":\"anneal\",\"measured\":3}") : 0;
}

/* The recorded i9-10900K (10 cores, f32 peak 1500, f64 750 GFLOP/s, DRAM 38
 * GB/s) under FP with brand and name as given (NULL: as recorded), and
 * winners: f32 512x384x256 goto, 1024^3 cake-kmn, 2048^3 goto (the goto
 * configuration wins twice), and f64 1024^3 goto when with_f64. */
static int fixture(const char *dir, const char *brand, const char *name, int with_f64,
                   char *db_path, size_t size) {
    struct mxt_machine m;
    struct mxt_db *db = NULL;
    int rc;
    snprintf(db_path, size, "%s/fixture.db", dir);
    if ((rc = mxt_machine_load_file(MXT_TEST_DATA "/machines/i9-10900k.json", &m))) return rc;
    mxt_strlcpy(m.fingerprint, FP, sizeof m.fingerprint);
    if (brand) mxt_strlcpy(m.brand, brand, sizeof m.brand);
    if (name) mxt_strlcpy(m.name, name, sizeof m.name);
    if ((rc = mxt_db_open(db_path, MXT_DB_CREATE, &db))) return rc;
    struct mxt_config g = cfg_of(MXT_SCHED_GOTO, 16, 6, 96, 256, 4092, 0, 10);
    struct mxt_config g2 = cfg_of(MXT_SCHED_GOTO, 16, 6, 144, 256, 4092, 0, 10);
    struct mxt_config c = cfg_of(MXT_SCHED_CAKE_KMN, 16, 6, 96, 96, 960, 1, 10);
    struct mxt_config d = cfg_of(MXT_SCHED_GOTO, 8, 6, 96, 256, 4092, 0, 10);
    if ((rc = mxt_db_store_probe(db, &m, "default", NULL, NULL)) ||
        (rc = measure(db, FP, MXT_F32, 512, 384, 256, g, 310, 0.8, 1)) ||
        (rc = measure(db, FP, MXT_F32, 512, 384, 256, c, 250, 1.3, 0)) ||
        (rc = measure(db, FP, MXT_F32, 1024, 1024, 1024, g2, 940, 1.1, 0)) ||
        (rc = measure(db, FP, MXT_F32, 1024, 1024, 1024, c, 1010, 0.95, 1)) ||
        (rc = measure(db, FP, MXT_F32, 2048, 2048, 2048, g, 1150, 0.92, 1)) ||
        (rc = measure(db, FP, MXT_F32, 2048, 2048, 2048, c, 1120, 1.05, 0)))
        goto out;
    if (with_f64) rc = measure(db, FP, MXT_F64, 1024, 1024, 1024, d, 520, 0.88, 1);
out:
    mxt_db_close(db);
    return rc;
}

static int load(const char *db_path, const char *op, struct mxt_export *x) {
    struct mxt_db *db = NULL;
    int rc = mxt_db_open(db_path, MXT_DB_READONLY, &db);
    if (rc == 0) rc = mxt_export_load(db, FP, op, x, NULL, 0);
    mxt_db_close(db);
    return rc;
}

/* Write the header of x into dir/name; 0 on success. */
static int write_header(const struct mxt_export *x, const char *dir, const char *name, char *path,
                        size_t size) {
    snprintf(path, size, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int rc = mxt_export_header(f, x);
    return fclose(f) != 0 ? -1 : rc;
}

/* The value of `#define NAME value` in text, copied into buf ("" if absent). */
static const char *define_of(const char *text, const char *name, char *buf, size_t size) {
    char key[160];
    snprintf(key, sizeof key, "\n#define %s ", name);
    const char *p = strstr(text, key);
    buf[0] = '\0';
    if (!p) return buf;
    p += strlen(key);
    size_t n = strcspn(p, "\n");
    if (n >= size) n = size - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

/* ---- the header ---- */

MXT_TEST(header_compiles_alone) {
    char dir[64], db[PATH_MAX], h[PATH_MAX];
    struct mxt_export x;
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture(dir, NULL, NULL, 1, db, sizeof db), 0);
    CHECK_EQ_INT(load(db, "gemm", &x), 0);
    CHECK_EQ_INT(x.n, 4);
    CHECK_EQ_INT(write_header(&x, dir, "mxtune_tiles.h", h, sizeof h), 0);
    CHECK_EQ_INT(compile_strict(h, NULL), 0);
    /* Included twice and used from a program: the guard holds, the table and
     * the lookup functions work. */
    char prog[PATH_MAX], exe[PATH_MAX];
    snprintf(prog, sizeof prog, "%s/use.c", dir);
    snprintf(exe, sizeof exe, "%s/use", dir);
    FILE *f = fopen(prog, "w");
    CHECK(f != NULL);
    fprintf(f, "#include \"mxtune_tiles.h\"\n#include \"mxtune_tiles.h\"\n"
               "int main(void) {\n"
               "    const struct mxtune_gemm_tile *t = mxtune_gemm_tiles_find(MXTUNE_DTYPE_F32, "
               "1024, 1024, 1024, 0);\n"
               "    const struct mxtune_gemm_tile *d = mxtune_gemm_tiles_pick(MXTUNE_DTYPE_F64, "
               "7, 7, 7, 0);\n"
               "    if (!t || t->schedule != MXTUNE_SCHED_CAKE_KMN || t->mc != 96) return 1;\n"
               "    if (mxtune_gemm_tiles_find(MXTUNE_DTYPE_F32, 7, 7, 7, 0)) return 2;\n"
               "    if (d->mr != MXTUNE_GEMM_F64_DEFAULT_MR || d->gflops != 0) return 3;\n"
               "    if (MXTUNE_GEMM_TILES_COUNT != 4) return 4;\n"
               "    return MXTUNE_GEMM_F32_M2048_N2048_K2048_SCHEDULE == MXTUNE_SCHED_GOTO ? 0 : "
               "5;\n}\n");
    CHECK(fclose(f) == 0);
    CHECK_EQ_INT(compile_strict(prog, exe), 0);
    char *argv[] = {exe, NULL};
    CHECK_EQ_INT(run(argv, 1), 0);
    mxt_export_release(&x);
    rm_tree(dir);
}

MXT_TEST(header_defines_and_provenance) {
    char dir[64], db[PATH_MAX], h[PATH_MAX], v[128];
    struct mxt_export x;
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture(dir, NULL, NULL, 1, db, sizeof db), 0);
    CHECK_EQ_INT(load(db, "gemm", &x), 0);
    CHECK_EQ_INT(write_header(&x, dir, "t.h", h, sizeof h), 0);
    char *text = slurp(h);
    CHECK(text != NULL);
    /* include guard, provenance block */
    CHECK(strstr(text, "#ifndef MXTUNE_TILES_H\n#define MXTUNE_TILES_H\n") != NULL);
    CHECK(strstr(text, "#endif /* MXTUNE_TILES_H */\n") != NULL);
    CHECK(strstr(text, " * machine      " FP "\n") != NULL);
    CHECK(strstr(text, "i9-10900K") != NULL);
    CHECK(strstr(text, " * mxtune       " MXT_VERSION "\n") != NULL);
    CHECK(strstr(text, " * exported     ") != NULL);
    /* 1150 of 1500 GFLOP/s f32 peak on all 10 cores */
    CHECK(strstr(text, "1150.0 GFLOP/s, 76.7 % of 1500 GFLOP/s peak") != NULL);
    /* per shape */
    CHECK(strcmp(define_of(text, "MXTUNE_GEMM_F32_M1024_N1024_K1024_SCHEDULE", v, sizeof v),
                 "MXTUNE_SCHED_CAKE_KMN") == 0);
    CHECK(strcmp(define_of(text, "MXTUNE_GEMM_F32_M1024_N1024_K1024_MR", v, sizeof v), "16") == 0);
    CHECK(strcmp(define_of(text, "MXTUNE_GEMM_F32_M1024_N1024_K1024_NC", v, sizeof v), "960") == 0);
    CHECK(strcmp(define_of(text, "MXTUNE_GEMM_F32_M1024_N1024_K1024_THREADS", v, sizeof v), "10") ==
          0);
    CHECK(strcmp(define_of(text, "MXTUNE_GEMM_F32_M512_N384_K256_KC", v, sizeof v), "256") == 0);
    CHECK(strcmp(define_of(text, "MXTUNE_GEMM_F64_M1024_N1024_K1024_MR", v, sizeof v), "8") == 0);
    /* named schedule values equal enum mxt_schedule */
    snprintf(v, sizeof v, "%d", (int)MXT_SCHED_CAKE_KMN);
    char w[32];
    CHECK(strcmp(define_of(text, "MXTUNE_SCHED_CAKE_KMN", w, sizeof w), v) == 0);
    snprintf(v, sizeof v, "%d", (int)MXT_SCHED_GOTO);
    CHECK(strcmp(define_of(text, "MXTUNE_SCHED_GOTO", w, sizeof w), v) == 0);
    /* default: the goto configuration won 2 of 3 f32 shapes */
    CHECK(strcmp(define_of(text, "MXTUNE_GEMM_F32_DEFAULT_SOURCE", v, sizeof v),
                 "\"most_common_winner\"") == 0);
    CHECK(strcmp(define_of(text, "MXTUNE_GEMM_F32_DEFAULT_SCHEDULE", v, sizeof v),
                 "MXTUNE_SCHED_GOTO") == 0);
    CHECK(strcmp(define_of(text, "MXTUNE_GEMM_F32_DEFAULT_MC", v, sizeof v), "96") == 0);
    CHECK(strstr(text, "2 of 3 tuned f32 shapes") != NULL);
    CHECK_EQ_INT(x.def[MXT_F32].wins, 2);
    CHECK_EQ_INT(x.def[MXT_F32].of, 3);
    free(text);
    mxt_export_release(&x);
    rm_tree(dir);
}

/* Without f64 winners the f64 default is the model's pick, and says so. */
MXT_TEST(default_from_model_when_dtype_untuned) {
    char dir[64], db[PATH_MAX], h[PATH_MAX], v[128];
    struct mxt_export x;
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture(dir, NULL, NULL, 0, db, sizeof db), 0);
    CHECK_EQ_INT(load(db, "gemm", &x), 0);
    CHECK_EQ_INT(x.n, 3);
    CHECK_EQ_INT(x.def[MXT_F64].source, MXT_EXPORT_DEFAULT_MODEL);
    CHECK(x.def[MXT_F64].config.mr > 0 && x.def[MXT_F64].config.mc > 0);
    CHECK_EQ_INT(x.def[MXT_F64].config.mc % x.def[MXT_F64].config.mr, 0);
    CHECK_EQ_INT(x.blis[MXT_F64].config.schedule, MXT_SCHED_GOTO);
    CHECK(strstr(x.def[MXT_F64].why, "model") != NULL);
    CHECK_EQ_INT(write_header(&x, dir, "t.h", h, sizeof h), 0);
    char *text = slurp(h);
    CHECK(text != NULL);
    CHECK(strcmp(define_of(text, "MXTUNE_GEMM_F64_DEFAULT_SOURCE", v, sizeof v), "\"model\"") == 0);
    CHECK(strstr(text, "nothing f64 tuned: the model's pick for 2048^3") != NULL);
    free(text);
    CHECK_EQ_INT(compile_strict(h, NULL), 0);
    mxt_export_release(&x);
    rm_tree(dir);
}

/* ---- hostile names ---- */

MXT_TEST(identifiers_sanitized) {
    char id[32];
    CHECK_EQ_INT(mxt_export_ident("gemm", id, sizeof id), 0);
    CHECK(strcmp(id, "GEMM") == 0);
    CHECK_EQ_INT(mxt_export_ident("ge mm*/\n#x", id, sizeof id), 1);
    CHECK(strcmp(id, "GE_MM____X") == 0);
    CHECK_EQ_INT(mxt_export_ident("", id, sizeof id), 1);
    CHECK(strcmp(id, "X") == 0);
    CHECK_EQ_INT(mxt_export_ident("\xc3\xa9t\xc3\xa9", id, sizeof id), 1);
    CHECK(strcmp(id, "__T__") == 0);
    char small[4];
    mxt_export_ident("abcdef", small, sizeof small);
    CHECK(strcmp(small, "ABC") == 0);
}

MXT_TEST(comment_and_string_escaping) {
    char buf[512];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    CHECK(f != NULL);
    mxt_export_comment_text(f, "a */ b /* c ?\?/ d\\\n#define E 1 \x01\xff end*", 200);
    fputc('|', f);
    mxt_export_c_string(f, "q\"b\\s?\?/n\n\x7f");
    CHECK(fclose(f) == 0);
    CHECK(strstr(buf, "*/") == NULL);
    CHECK(strstr(buf, "/*") == NULL);
    CHECK(strstr(buf, "??") == NULL);
    CHECK(strchr(buf, '\n') == NULL);
    CHECK(strcmp(buf, "a * / b / * c ? ?/ d/?#define E 1 ? ? end* |"
                      "\"q\\\"b\\\\s\\?\\?/n\\012\\177\"") == 0);
}

/* A brand, a name and an op from the database that try to end the comment,
 * start a preprocessor line or a trigraph: the header still compiles
 * strictly and nothing from them is a directive. */
MXT_TEST(hostile_names_never_injected) {
    char dir[64], db[PATH_MAX], h[PATH_MAX];
    struct mxt_export x;
    const char *brand = "Evil */ #define EVIL 1 /* ?\?/";
    const char *name = "box\n#error injected\n*/ int evil; /*";
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture(dir, brand, name, 1, db, sizeof db), 0);
    /* An op spelled in a way no identifier can carry, stored behind the API's
     * back (the schema's CHECK would refuse it: a database another tool wrote). */
    sqlite3 *s = NULL;
    CHECK(sqlite3_open(db, &s) == SQLITE_OK);
    CHECK(sqlite3_exec(s,
                       "PRAGMA ignore_check_constraints = ON; UPDATE problem SET op = 'ge-mm */ "
                       "#x' WHERE dtype = 'f32'",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(s);
    CHECK_EQ_INT(load(db, "ge-mm */ #x", &x), 0);
    CHECK_EQ_INT(x.n, 3);
    CHECK(strcmp(x.op_id, "GE_MM_____X") == 0);
    CHECK(strcmp(x.e[0].name, "MXTUNE_GE_MM_____X_F32_M512_N384_K256") == 0);
    CHECK_EQ_INT(write_header(&x, dir, "t.h", h, sizeof h), 0);
    CHECK_EQ_INT(compile_strict(h, NULL), 0);
    char *text = slurp(h);
    CHECK(text != NULL);
    /* Every line that starts a directive is one of ours. */
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        const char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '#') continue;
        CHECK(strncmp(q, "#define MXTUNE_", 15) == 0 || strncmp(q, "#ifndef MXTUNE_", 15) == 0 ||
              strncmp(q, "#endif", 6) == 0 || strncmp(q, "#if defined(__GNUC__)", 21) == 0 ||
              strncmp(q, "#else", 5) == 0);
    }
    /* the texts are there, but inside the comment, never at a line's start */
    CHECK(strstr(text, "box?#error injected?* / int evil; / * ") != NULL);
    CHECK(strstr(text, "\n#error") == NULL && strstr(text, "\n#define EVIL") == NULL);
    /* the string literal keeps the brand, escaped */
    CHECK(strstr(text, "#define MXTUNE_TILES_CPU \"Evil */ #define EVIL 1 /* \\?\\?/\"") != NULL);
    free(text);
    /* A program that would fail if EVIL were defined or evil declared. */
    char prog[PATH_MAX];
    snprintf(prog, sizeof prog, "%s/use.c", dir);
    FILE *f = fopen(prog, "w");
    CHECK(f != NULL);
    fprintf(f, "#include \"t.h\"\n#ifdef EVIL\n#error EVIL defined\n#endif\nint evil(void);\n"
               "int evil(void) { return MXTUNE_GE_MM_____X_F32_M512_N384_K256_MR; }\n");
    CHECK(fclose(f) == 0);
    CHECK_EQ_INT(compile_strict(prog, NULL), 0);
    mxt_export_release(&x);
    rm_tree(dir);
}

/* Names that spell alike get _2; threads other than all cores get _P. */
MXT_TEST(names_unique) {
    char dir[64], db[PATH_MAX];
    struct mxt_export x;
    struct mxt_db *h = NULL;
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture(dir, NULL, NULL, 0, db, sizeof db), 0);
    CHECK_EQ_INT(mxt_db_open(db, MXT_DB_CREATE, &h), 0);
    CHECK_EQ_INT(measure(h, FP, MXT_F32, 1024, 1024, 1024,
                         cfg_of(MXT_SCHED_GOTO, 16, 6, 96, 256, 4092, 0, 4), 400, 1, 1),
                 0);
    mxt_db_close(h);
    CHECK_EQ_INT(load(db, "gemm", &x), 0);
    CHECK_EQ_INT(x.n, 4);
    int p4 = 0;
    for (size_t i = 0; i < x.n; i++) {
        p4 += strcmp(x.e[i].name, "MXTUNE_GEMM_F32_M1024_N1024_K1024_P4") == 0;
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(x.e[i].name, x.e[j].name) != 0);
    }
    CHECK_EQ_INT(p4, 1);
    /* 4 threads of 10: the peak is one core's x 4 (163.2 x 4) */
    for (size_t i = 0; i < x.n; i++)
        if (x.e[i].t.problem.threads == 4) CHECK_NEAR(x.e[i].peak_gflops, 652.8, 1e-9);
    mxt_export_release(&x);
    /* Two densities that round alike (per ten thousand): the second gets _2. */
    CHECK_EQ_INT(mxt_db_open(db, MXT_DB_CREATE, &h), 0);
    for (int i = 0; i < 2; i++) {
        struct mxt_db_problem p;
        struct mxt_db_measurement ms;
        int64_t id;
        mxt_db_problem_init(&p, "spmm", MXT_F32, 256, 256, 256, 10);
        p.density = i ? 0.50002 : 0.50001;
        memset(&ms, 0, sizeof ms);
        ms.config = cfg_of(MXT_SCHED_GOTO, 16, 6, 96, 256, 4092, 0, 10);
        mxt_strlcpy(ms.kernel_version, MXT_KERNEL_VERSION, sizeof ms.kernel_version);
        ms.median_s = ms.min_s = ms.q20_s = ms.q80_s = 0.001;
        ms.gflops = 10;
        mxt_strlcpy(ms.strategy, "test", sizeof ms.strategy);
        CHECK_EQ_INT(mxt_db_add_measurement(h, FP, &p, &ms, &id), 0);
        CHECK_EQ_INT(mxt_db_set_tuned(h, FP, &p, id, NULL), 0);
    }
    mxt_db_close(h);
    CHECK_EQ_INT(load(db, "spmm", &x), 0);
    CHECK_EQ_INT(x.n, 2);
    CHECK(strcmp(x.e[0].name, "MXTUNE_SPMM_F32_M256_N256_K256_D5000") == 0);
    CHECK(strcmp(x.e[1].name, "MXTUNE_SPMM_F32_M256_N256_K256_D5000_2") == 0);
    mxt_export_release(&x);
    rm_tree(dir);
}

/* ---- JSON and BLIS ---- */

MXT_TEST(json_document) {
    char dir[64], db[PATH_MAX], *doc = NULL;
    struct mxt_export x;
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture(dir, "CPU \"quoted\" \\ name", NULL, 1, db, sizeof db), 0);
    CHECK_EQ_INT(load(db, "gemm", &x), 0);
    CHECK_EQ_INT(mxt_export_json(&x, &doc), 0);
    cJSON *root = cJSON_Parse(doc);
    CHECK(root != NULL);
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    CHECK(cJSON_IsString(schema) && strcmp(schema->valuestring, "mxtune.export/1") == 0);
    const cJSON *machine = cJSON_GetObjectItemCaseSensitive(root, "machine");
    CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(machine, "brand")->valuestring,
                 "CPU \"quoted\" \\ name") == 0);
    CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(machine, "fingerprint")->valuestring, FP) == 0);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(root, "entries");
    CHECK_EQ_INT(cJSON_GetArraySize(entries), 4);
    const cJSON *e = cJSON_GetArrayItem(entries, 1); /* f32 1024^3 */
    CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(e, "name")->valuestring,
                 "MXTUNE_GEMM_F32_M1024_N1024_K1024") == 0);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "config");
    CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(c, "schedule")->valuestring, "cake-kmn") == 0);
    CHECK_EQ_INT(cJSON_GetObjectItemCaseSensitive(c, "nc")->valuedouble, 960);
    const cJSON *meas = cJSON_GetObjectItemCaseSensitive(e, "measured");
    CHECK_NEAR(cJSON_GetObjectItemCaseSensitive(meas, "gflops")->valuedouble, 1010, 1e-12);
    CHECK_NEAR(cJSON_GetObjectItemCaseSensitive(e, "pct_peak")->valuedouble, 100 * 1010 / 1500.,
               1e-9);
    const cJSON *prov = cJSON_GetObjectItemCaseSensitive(e, "provenance");
    CHECK(cJSON_IsObject(prov));
    CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(prov, "strategy")->valuestring, "anneal") == 0);
    const cJSON *defs = cJSON_GetObjectItemCaseSensitive(root, "defaults");
    const cJSON *d32 = cJSON_GetObjectItemCaseSensitive(defs, "f32");
    CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(d32, "source")->valuestring,
                 "most_common_winner") == 0);
    CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "blis"), "f64"));
    cJSON_Delete(root);
    free(doc);
    mxt_export_release(&x);
    rm_tree(dir);
}

MXT_TEST(blis_block_sizes) {
    char dir[64], db[PATH_MAX], buf[8192];
    struct mxt_export x;
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture(dir, "Brand\nwith a line", NULL, 1, db, sizeof db), 0);
    CHECK_EQ_INT(load(db, "gemm", &x), 0);
    FILE *f = fmemopen(buf, sizeof buf, "w");
    CHECK(f != NULL);
    CHECK_EQ_INT(mxt_export_blis(f, &x), 0);
    CHECK(fclose(f) == 0);
    /* every line a comment or a datatype line; the two datatypes once each */
    int s = 0, d = 0;
    long long v[5];
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        char dt;
        CHECK_EQ_INT(sscanf(line, "%c MR=%lld NR=%lld MC=%lld KC=%lld NC=%lld", &dt, &v[0], &v[1],
                            &v[2], &v[3], &v[4]),
                     6);
        if (dt == 's') {
            s++;
            CHECK(v[0] == 16 && v[1] == 6 && v[2] == 96 && v[3] == 256 && v[4] == 4092);
        } else {
            CHECK(dt == 'd');
            d++;
            CHECK(v[0] == 8 && v[1] == 6 && v[2] == 96 && v[3] == 256 && v[4] == 4092);
        }
        CHECK_EQ_INT(v[2] % v[0], 0); /* MC a multiple of MR, NC of NR */
        CHECK_EQ_INT(v[4] % v[1], 0);
    }
    CHECK(s == 1 && d == 1);
    mxt_export_release(&x);
    rm_tree(dir);
}

/* ---- bad input ---- */

MXT_TEST(empty_database) {
    char dir[64], db[PATH_MAX];
    struct mxt_export x;
    struct mxt_db *h = NULL;
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    snprintf(db, sizeof db, "%s/empty.db", dir);
    CHECK_EQ_INT(mxt_db_open(db, MXT_DB_CREATE, &h), 0);
    CHECK_EQ_INT(mxt_export_load(h, NULL, "gemm", &x, NULL, 0), MXT_ENOTFOUND);
    CHECK(strstr(mxt_last_error(), "run 'mxtune probe' and 'mxtune search' first") != NULL);
    mxt_export_release(&x);
    /* a profile but nothing tuned */
    struct mxt_machine m;
    CHECK_EQ_INT(mxt_machine_load_file(MXT_TEST_DATA "/machines/i9-10900k.json", &m), 0);
    mxt_strlcpy(m.fingerprint, FP, sizeof m.fingerprint);
    CHECK_EQ_INT(mxt_db_store_probe(h, &m, "default", NULL, NULL), 0);
    CHECK_EQ_INT(mxt_export_load(h, FP, "gemm", &x, NULL, 0), MXT_ENOTFOUND);
    CHECK(strstr(mxt_last_error(), "nothing tuned for gemm") != NULL);
    CHECK(strstr(mxt_last_error(), "run 'mxtune probe' and 'mxtune search' first") != NULL);
    mxt_export_release(&x);
    /* an unknown fingerprint */
    CHECK_EQ_INT(mxt_export_load(h, "nope", "gemm", &x, NULL, 0), MXT_ENOTFOUND);
    CHECK(strstr(mxt_last_error(), "no machine with fingerprint 'nope'") != NULL);
    mxt_export_release(&x);
    /* no fingerprint: this machine is not there, the only machine is taken */
    char note[256];
    CHECK_EQ_INT(mxt_export_load(h, NULL, "gemm", &x, note, sizeof note), MXT_ENOTFOUND);
    CHECK(strstr(mxt_last_error(), "nothing tuned for gemm on machine '" FP "'") != NULL);
    mxt_export_release(&x);
    mxt_db_close(h);
    rm_tree(dir);
}

/* Winners measured by another kernel version are left out and counted. */
MXT_TEST(stale_left_out) {
    char dir[64], db[PATH_MAX], note[512];
    struct mxt_export x;
    struct mxt_db *h = NULL;
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture(dir, NULL, NULL, 1, db, sizeof db), 0);
    CHECK_EQ_INT(mxt_db_open(db, MXT_DB_READONLY, &h), 0);
    CHECK_EQ_INT(mxt_db_set_kernel_version(h, "999"), 0);
    CHECK_EQ_INT(mxt_export_load(h, FP, "gemm", &x, note, sizeof note), MXT_ENOTFOUND);
    CHECK(strstr(mxt_last_error(), "nothing current tuned") != NULL);
    CHECK_EQ_INT(x.stale, 4);
    mxt_export_release(&x);
    mxt_db_close(h);
    rm_tree(dir);
}

/* ---- the tuner's rows in the reports ---- */

/* Every winner becomes a measured point and a model point at the intensity
 * of the model's DRAM bytes; each measured one lies at or under its ceilings,
 * also as roofline.dat records them, and the ceilings are the profile's. */
MXT_TEST(roofline_measured_points_under_ceilings) {
    char dir[64], db[PATH_MAX], path[PATH_MAX];
    struct mxt_db *h = NULL;
    struct mxt_machine m;
    struct mxt_report_points pts;
    struct mxt_report_files files = {0};
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture(dir, NULL, NULL, 1, db, sizeof db), 0);
    CHECK_EQ_INT(mxt_db_open(db, MXT_DB_READONLY, &h), 0);
    CHECK_EQ_INT(mxt_db_get_machine(h, FP, &m), 0);
    CHECK_EQ_INT(mxt_report_load_points(h, &m, NULL, &pts), 0);
    mxt_db_close(h);
    CHECK_EQ_INT(pts.n, 8);
    CHECK_EQ_INT(pts.flagged, 0);
    CHECK_EQ_INT(pts.skipped, 0);
    for (size_t i = 0; i < pts.n; i += 2) {
        CHECK_EQ_INT(pts.p[i].kind, MXT_POINT_MEASURED);
        CHECK_EQ_INT(pts.p[i + 1].kind, MXT_POINT_MODEL);
        CHECK(pts.p[i].intensity == pts.p[i + 1].intensity && pts.p[i].intensity > 0);
        CHECK(pts.p[i].label[0] != '\0' && pts.p[i + 1].label[0] == '\0');
    }
    CHECK(strcmp(pts.p[0].label, "f32 512x384x256 goto") == 0);
    CHECK_EQ_INT(mxt_report_write_roofline(dir, &m, NULL, pts.p, pts.n, &files), 0);
    snprintf(path, sizeof path, "%s/roofline.dat", dir);
    char *text = slurp(path);
    CHECK(text != NULL);
    /* ceilings: the profile's peaks and DRAM bandwidth */
    CHECK(strstr(text, "\nf32_peak compute 1500 GFLOP/s") != NULL);
    CHECK(strstr(text, "\nf64_peak compute 750 GFLOP/s") != NULL);
    CHECK(strstr(text, "\nDRAM memory 38 GB/s") != NULL);
    /* the points: measured ones at or under min(dtype peak, roof), flag 0 */
    int measured = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] != '"') continue;
        char *end = strchr(line + 1, '"');
        CHECK(end != NULL);
        char kind[16];
        double x, y, roof;
        int above;
        CHECK_EQ_INT(sscanf(end + 1, "%15s %lf %lf %lf %d", kind, &x, &y, &roof, &above), 5);
        if (strcmp(kind, "measured") != 0) continue;
        measured++;
        double peak = strncmp(line + 1, "f64", 3) == 0 ? 750 : 1500;
        CHECK(y <= roof && y <= peak && roof <= peak); /* its roof: under its dtype's peak */
        CHECK_EQ_INT(above, 0);
    }
    CHECK_EQ_INT(measured, 4);
    free(text);
    mxt_report_files_release(&files);
    mxt_report_points_release(&pts);
    rm_tree(dir);
}

/* A run faster than its dtype's peak is flagged: in the label, the notes and
 * the .dat (its roof is under its dtype's peak). */
MXT_TEST(roofline_point_above_ceiling_flagged) {
    char dir[64], db[PATH_MAX], path[PATH_MAX];
    struct mxt_db *h = NULL;
    struct mxt_machine m;
    struct mxt_report_points pts;
    struct mxt_report_files files = {0};
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture(dir, NULL, NULL, 0, db, sizeof db), 0);
    CHECK_EQ_INT(mxt_db_open(db, MXT_DB_CREATE, &h), 0);
    /* f64 at 1000 GFLOP/s: above the f64 peak (750), under the f32 one */
    CHECK_EQ_INT(measure(h, FP, MXT_F64, 1024, 1024, 1024,
                         cfg_of(MXT_SCHED_GOTO, 8, 6, 96, 256, 4092, 0, 10), 1000, 1, 1),
                 0);
    /* f32 at 5000 GFLOP/s: above everything */
    CHECK_EQ_INT(measure(h, FP, MXT_F32, 4096, 4096, 4096,
                         cfg_of(MXT_SCHED_GOTO, 16, 6, 96, 256, 4092, 0, 10), 5000, 1, 1),
                 0);
    CHECK_EQ_INT(mxt_db_get_machine(h, FP, &m), 0);
    CHECK_EQ_INT(mxt_report_load_points(h, &m, NULL, &pts), 0);
    mxt_db_close(h);
    CHECK_EQ_INT(pts.flagged, 2);
    int flagged_labels = 0, notes = 0;
    for (size_t i = 0; i < pts.n; i++)
        flagged_labels += strstr(pts.p[i].label, "(ABOVE CEILING)") != NULL;
    for (int i = 0; i < pts.n_notes; i++)
        notes += strstr(pts.notes[i], "above its ceiling") != NULL;
    CHECK_EQ_INT(flagged_labels, 2);
    CHECK_EQ_INT(notes, 2);
    CHECK_EQ_INT(mxt_report_write_roofline(dir, &m, NULL, pts.p, pts.n, &files), 0);
    snprintf(path, sizeof path, "%s/roofline.dat", dir);
    char *text = slurp(path);
    CHECK(text != NULL);
    CHECK(strstr(text, "\"f32 4096^3 goto (ABOVE CEILING)\" measured") != NULL);
    /* the f64 run's roof is the f64 peak: above_roof 1 although under the f32 one */
    /* (its intensity counts the first touch of goto's packing buffers in the DRAM bytes) */
    CHECK(strstr(text,
                 "\"f64 1024^3 goto (ABOVE CEILING)\" measured 20.483200500078137 1000 750 1\n") !=
          NULL);
    char *row = strstr(text, "\"f32 4096^3 goto (ABOVE CEILING)\"");
    char *eol = row ? strchr(row, '\n') : NULL;
    CHECK(eol && eol - row > 2 && eol[-1] == '1' && eol[-2] == ' '); /* above_roof 1 */
    snprintf(path, sizeof path, "%s/roofline.gp", dir);
    free(text);
    text = slurp(path);
    CHECK(text && strstr(text, "above the roof: check it") != NULL);
    free(text);
    mxt_report_files_release(&files);
    mxt_report_points_release(&pts);
    rm_tree(dir);
}

MXT_TEST(model_pairs_and_picture_data) {
    char dir[64], db[PATH_MAX], path[PATH_MAX];
    struct mxt_db *h = NULL;
    struct mxt_model_pairs pairs;
    struct mxt_report_files files = {0};
    struct mxt_report_input *in = calloc(1, sizeof *in);
    CHECK(in != NULL);
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture(dir, NULL, NULL, 1, db, sizeof db), 0);
    CHECK_EQ_INT(mxt_db_open(db, MXT_DB_READONLY, &h), 0);
    CHECK_EQ_INT(mxt_report_load(h, FP, in), 0);
    CHECK_EQ_INT(mxt_report_load_pairs(h, &in->machine, &pairs), 0);
    mxt_db_close(h);
    CHECK_EQ_INT(pairs.n, 7);
    int winners = 0;
    for (size_t i = 0; i < pairs.n; i++) {
        winners += pairs.p[i].winner;
        CHECK_EQ_INT(pairs.p[i].stored, 1);
    }
    CHECK_EQ_INT(winners, 4);
    /* ratios 0.8, 1.3, 1.1, 0.95, 0.92, 1.05, 0.88: |errors| 20 30 10 5 8 5 12 */
    struct mxt_model_stats s;
    mxt_model_pairs_stats(pairs.p, pairs.n, &s);
    CHECK_EQ_INT(s.n, 7);
    CHECK_NEAR(s.median_abs_pct, 10, 1e-6);
    CHECK_NEAR(s.within25, 6.0 / 7, 1e-12);
    CHECK_NEAR(s.geo_ratio, pow(0.8 * 1.3 * 1.1 * 0.95 * 0.92 * 1.05 * 0.88, 1.0 / 7), 1e-9);
    CHECK(s.spearman > 0.9);
    in->pairs = pairs.p;
    in->n_pairs = pairs.n;
    CHECK_EQ_INT(mxt_report_write_model(dir, in, &files), 0);
    CHECK_EQ_INT(files.n, 2);
    snprintf(path, sizeof path, "%s/model.dat", dir);
    char *text = slurp(path);
    CHECK(text != NULL);
    CHECK(strstr(text, "# stats: n 7, median |error| 10 %") != NULL);
    CHECK(strstr(text, "\"f32 1024^3 cake-kmn 16x6\" f32 cake-kmn ") != NULL);
    free(text);
    /* no pairs: nothing to draw */
    in->n_pairs = 0;
    CHECK_EQ_INT(mxt_report_write_model(dir, in, &files), MXT_ENODATA);
    CHECK(strstr(mxt_last_error(), "run 'mxtune search' first") != NULL);
    mxt_report_files_release(&files);
    mxt_report_pairs_release(&pairs);
    free(in);
    rm_tree(dir);
}
