/* Unit tests for reports/: ceilings and .dat writers against a fixture database
 * (recorded machine file and curves stored through the db API), quoting of stored
 * names, gnuplot missing or failing, unwritable output directories. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_reports.h"
#include "mxt_test.h"

#define FIXTURE_FP "fixture00000001"

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
    if (mxt_strlcpy(dir, "/tmp/mxt_reports_XXXXXX", size) >= size) return -1;
    return mkdtemp(dir) ? 0 : -1;
}

static int exists(const char *dir, const char *name) {
    char p[PATH_MAX];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0 && st.st_size > 0;
}

static char *slurp(const char *dir, const char *name) {
    char p[PATH_MAX], *text = NULL;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return mxt_read_file(p, &text, NULL) == 0 ? text : NULL;
}

/* The recorded i9-10900K machine file with the recorded Xeon curves (three
 * levels and DRAM in level_bw, like the profile), stored under FIXTURE_FP. */
static int fixture_db(const char *dir, const char *curves_file, char *db_path, size_t size) {
    struct mxt_machine m;
    struct mxt_db *db = NULL;
    char path[PATH_MAX], *curves = NULL;
    int rc;
    snprintf(db_path, size, "%s/fixture.db", dir);
    if ((rc = mxt_machine_load_file(MXT_TEST_DATA "/machines/i9-10900k.json", &m))) return rc;
    mxt_strlcpy(m.fingerprint, FIXTURE_FP, sizeof m.fingerprint);
    if (curves_file) {
        snprintf(path, sizeof path, "%s/curves/%s", MXT_TEST_DATA, curves_file);
        if ((rc = mxt_read_file(path, &curves, NULL))) return rc;
    }
    if ((rc = mxt_db_open(db_path, MXT_DB_CREATE, &db)) == 0)
        rc = mxt_db_store_probe(db, &m, "default", curves, NULL);
    mxt_db_close(db);
    free(curves);
    return rc;
}

static int fixture_input(const char *dir, const char *curves_file, struct mxt_report_input *in) {
    char db_path[PATH_MAX];
    struct mxt_db *db = NULL;
    int rc = fixture_db(dir, curves_file, db_path, sizeof db_path);
    if (rc) return rc;
    memset(in, 0, sizeof *in);
    if ((rc = mxt_db_open(db_path, MXT_DB_READONLY, &db))) return rc;
    rc = mxt_report_load(db, FIXTURE_FP, in);
    mxt_db_close(db);
    return rc;
}

/* Rows of one index (blocks separated by two blank lines) of a .dat file. */
struct dat_rows {
    int n;
    char line[128][256];
};

static int dat_index(const char *text, int index, struct dat_rows *rows) {
    int blanks = 0, at = 0;
    rows->n = 0;
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0) {
            if (++blanks == 2) at++;
        } else {
            blanks = 0;
            if (p[0] != '#' && at == index && rows->n < 128 && len < 256) {
                memcpy(rows->line[rows->n], p, len);
                rows->line[rows->n++][len] = '\0';
            }
        }
        if (!end) break;
        p = end + 1;
    }
    return rows->n;
}

/* The value of the ceiling `name` in roofline.dat's index 0 (-1 if absent). */
static double dat_ceiling(const struct dat_rows *rows, const char *name, char *kind) {
    for (int i = 0; i < rows->n; i++) {
        char n[32], k[16];
        double v;
        if (sscanf(rows->line[i], "%31s %15s %lf", n, k, &v) == 3 && strcmp(n, name) == 0) {
            if (kind) mxt_strlcpy(kind, k, 16);
            return v;
        }
    }
    return -1;
}

struct path_guard {
    char saved[4096];
    int had;
};

static void path_set(struct path_guard *g, const char *value) {
    const char *p = getenv("PATH");
    g->had = p != NULL;
    if (p) mxt_strlcpy(g->saved, p, sizeof g->saved);
    setenv("PATH", value, 1);
}

static void path_restore(const struct path_guard *g) {
    if (g->had)
        setenv("PATH", g->saved, 1);
    else
        unsetenv("PATH");
}

static int have_gnuplot(void) {
    char p[PATH_MAX];
    int rc = mxt_report_find_program("gnuplot", p, sizeof p);
    mxt_error_clear();
    return rc == 0;
}

/* ---- ceilings ---- */

/* The ceilings written to roofline.dat equal the stored profile's values:
 * peaks are compute.f32_all/f64_all, DRAM is dram.read_all, a level with a
 * plausible all-thread load uses it, one with a failed figure (Xeon L1: 52
 * GB/s on all threads against 211 on one) falls back to bw_read x cores. */
MXT_TEST(roofline_dat_equals_profile) {
    char dir[64];
    struct mxt_report_files files = {0};
    struct mxt_report_input *in = calloc(1, sizeof *in);
    char *dat = NULL;
    struct dat_rows *rows = calloc(1, sizeof *rows);
    CHECK(in && rows && make_tmpdir(dir, sizeof dir) == 0);
    int rc = fixture_input(dir, "xeon-emr-16c-kvm-default.json", in);
    CHECK_EQ_INT(rc, 0);
    CHECK(in->have_curves);
    const struct mxt_machine *m = &in->machine;
    rc = mxt_report_write_roofline(dir, m, &in->curves, NULL, 0, &files);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(files.n, 2);
    CHECK((dat = slurp(dir, "roofline.dat")) != NULL);
    CHECK_EQ_INT(dat_index(dat, 0, rows), 6); /* every ceiling, nothing else */
    char kind[16];
    CHECK(dat_ceiling(rows, "f32_peak", kind) == m->compute.f32_all &&
          strcmp(kind, "compute") == 0);
    CHECK(dat_ceiling(rows, "f64_peak", kind) == m->compute.f64_all &&
          strcmp(kind, "compute") == 0);
    CHECK(m->compute.f32_all == 1500.0 && m->compute.f64_all == 750.0);
    CHECK(dat_ceiling(rows, "L1", kind) == m->caches[0].bw_read_GBps * m->cores);
    CHECK(strcmp(kind, "memory") == 0);
    CHECK(dat_ceiling(rows, "L1", NULL) == 3000.0);
    CHECK(dat_ceiling(rows, "L2", NULL) == in->curves.level_bw[1][0][1]);
    CHECK(dat_ceiling(rows, "L2", NULL) == 1296.7161682086974);
    CHECK(dat_ceiling(rows, "L3", NULL) == in->curves.level_bw[2][0][1]);
    CHECK(dat_ceiling(rows, "DRAM", NULL) == m->dram.read_all);
    CHECK(m->dram.read_all == 38.0);
    /* The rejected L1 figure is said in the file. */
    CHECK(strstr(dat, "# note: L1: the all-thread load bandwidth") != NULL);
    /* One segment per ceiling; each slope ends on the f32 peak at its ridge. */
    CHECK_EQ_INT(dat_index(dat, 1, rows), 12);
    double x, y;
    CHECK(sscanf(rows->line[11], "%lf %lf", &x, &y) == 2); /* DRAM's upper end */
    CHECK_NEAR(x, 1500.0 / 38.0, 1e-12);
    CHECK_NEAR(y, 1500.0, 1e-12);
    CHECK_EQ_INT(dat_index(dat, 2, rows), 0); /* no points */
    free(dat);
    free(rows);
    free(in);
    mxt_report_files_release(&files);
    rm_tree(dir);
}

/* Quick-mode curves carry no per-level bandwidth: private levels fall back
 * to one core's read x cores, the shared L3 to one core's read per instance. */
MXT_TEST(roofline_fallbacks) {
    struct mxt_report_input *in = calloc(1, sizeof *in);
    struct mxt_roofline r;
    char dir[64];
    CHECK(in && make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture_input(dir, "xeon-emr-16c-kvm-quick.json", in), 0);
    mxt_roofline_ceilings(&in->machine, &in->curves, &r);
    CHECK_EQ_INT(r.n, 6);
    CHECK(strcmp(r.c[2].name, "L1") == 0 && r.c[2].value == 300.0 * 10);
    CHECK(strcmp(r.c[3].name, "L2") == 0 && r.c[3].value == 150.0 * 10);
    CHECK(strcmp(r.c[4].name, "L3") == 0 && r.c[4].value == 60.0); /* shared by all 10 */
    CHECK(strcmp(r.c[5].name, "DRAM") == 0 && r.c[5].value == 38.0);
    CHECK_EQ_INT(r.n_notes, 0);

    /* Without curves, peak or DRAM: what is missing is left out and noted. */
    in->machine.compute.f64_all = in->machine.compute.f64_1t = 0;
    in->machine.dram.read_all = 0;
    mxt_roofline_ceilings(&in->machine, NULL, &r);
    CHECK_EQ_INT(r.n, 5);
    CHECK(strcmp(r.c[4].name, "DRAM") == 0 && r.c[4].value == 20.0); /* read_1t */
    CHECK(strstr(r.c[4].source, "one thread") != NULL);
    CHECK_EQ_INT(r.n_notes, 1);
    CHECK(strstr(r.notes[0], "f64 peak not measured") != NULL);

    /* An all-core peak below one core's is a failed measurement (seen from
     * quick probes on a busy 2-vCPU guest: 0.01 GFLOP/s): one core's x cores. */
    in->machine.compute.f32_all = 0.0102;
    mxt_roofline_ceilings(&in->machine, NULL, &r);
    CHECK(strcmp(r.c[0].name, "f32_peak") == 0 && r.c[0].value == 163.2 * 10);
    CHECK(strstr(r.c[0].source, "f32_1t x 10 cores") != NULL);
    CHECK_EQ_INT(r.n_notes, 2);
    CHECK(strstr(r.notes[0], "f32 peak: the all-core 0.0102 GFLOP/s is below") != NULL);

    /* Nothing at all: no roofline, a clear error. */
    struct mxt_machine empty;
    mxt_machine_init(&empty);
    struct mxt_report_files files = {0};
    CHECK_EQ_INT(mxt_report_write_roofline(dir, &empty, NULL, NULL, 0, &files), MXT_ENODATA);
    CHECK_EQ_INT(files.n, 0);
    free(in);
    rm_tree(dir);
}

MXT_TEST(roofline_roof_and_bound) {
    struct mxt_machine m;
    struct mxt_roofline r;
    CHECK_EQ_INT(mxt_machine_load_file(MXT_TEST_DATA "/machines/i9-10900k.json", &m), 0);
    mxt_roofline_ceilings(&m, NULL, &r);
    /* Roof: min(1500, L1 3000 x I). */
    CHECK_NEAR(mxt_roofline_roof(&r, 0.25), 750.0, 1e-12);
    CHECK_NEAR(mxt_roofline_roof(&r, 100), 1500.0, 1e-12);
    /* 5 GFLOP/s at 1/4 FLOP/byte: DRAM (9.5) bounds it. */
    const struct mxt_ceiling *b = mxt_roofline_bound(&r, 0.25, 5);
    CHECK(b && strcmp(b->name, "DRAM") == 0);
    /* 12 GFLOP/s is above DRAM's 9.5: the shared L3 (60 x 0.25 = 15) bounds it. */
    b = mxt_roofline_bound(&r, 0.25, 12);
    CHECK(b && strcmp(b->name, "L3") == 0);
    /* 700 at 64 FLOP/byte: under the f64 peak (750). */
    b = mxt_roofline_bound(&r, 64, 700);
    CHECK(b && strcmp(b->name, "f64_peak") == 0);
    CHECK(mxt_roofline_bound(&r, 64, 2000) == NULL); /* above every ceiling */
}

/* The hook for the tuner: points land in index 2, one above the roof flagged. */
MXT_TEST(roofline_points) {
    char dir[64];
    struct mxt_report_files files = {0};
    struct mxt_machine m;
    struct dat_rows *rows = calloc(1, sizeof *rows);
    char *dat = NULL, *gp = NULL;
    const struct mxt_roof_point pts[] = {
        {"sgemm 2048^3 cake", 40.0, 1200.0, MXT_POINT_MEASURED, 0},
        {"sgemm 2048^3 cake (model)", 40.0, 1350.0, MXT_POINT_MODEL, 0},
        {"under the roof", 0.5, 900.0, MXT_POINT_MEASURED, 0}, /* roof: min(1500, 3000 x 0.5) */
        {"way too fast", 0.25, 900.0, MXT_POINT_MEASURED, 0},
    };
    CHECK(rows && make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(mxt_machine_load_file(MXT_TEST_DATA "/machines/i9-10900k.json", &m), 0);
    CHECK_EQ_INT(mxt_report_write_roofline(dir, &m, NULL, pts, 4, &files), 0);
    CHECK((dat = slurp(dir, "roofline.dat")) && (gp = slurp(dir, "roofline.gp")));
    CHECK_EQ_INT(dat_index(dat, 2, rows), 4);
    CHECK(strstr(rows->line[0], "\"sgemm 2048^3 cake\" measured 40 1200 1500 0") != NULL);
    CHECK(strstr(rows->line[1], " model ") != NULL);
    CHECK(strstr(rows->line[2], " 0.5 900 1500 0") != NULL);
    CHECK(strstr(rows->line[3], " 0.25 900 750 1") != NULL);
    CHECK(strstr(gp, "'measured run'") && strstr(gp, "'model prediction'"));
    /* A point without intensity is refused. */
    const struct mxt_roof_point bad = {"x", 0, 10, MXT_POINT_MEASURED, 0};
    CHECK_EQ_INT(mxt_report_write_roofline(dir, &m, NULL, &bad, 1, &files), MXT_EINVAL);
    char gnuplot[PATH_MAX]; /* the points' part of the script draws */
    if (mxt_report_find_program("gnuplot", gnuplot, sizeof gnuplot) == 0)
        CHECK_EQ_INT(mxt_report_plot(gnuplot, dir, "roofline", &files), 0);
    free(rows);
    free(dat);
    free(gp);
    mxt_report_files_release(&files);
    rm_tree(dir);
}

/* ---- probe pictures ---- */

MXT_TEST(probe_dat_equals_curves_and_levels) {
    char dir[64];
    struct mxt_report_files files = {0};
    struct mxt_report_input *in = calloc(1, sizeof *in);
    struct dat_rows *rows = calloc(1, sizeof *rows);
    char *lat = NULL, *bw = NULL, *gp = NULL;
    CHECK(in && rows && make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture_input(dir, "xeon-emr-16c-kvm-default.json", in), 0);
    CHECK_EQ_INT(mxt_report_write_probe(dir, in, &files), 0);
    CHECK_EQ_INT(files.n, 4);
    CHECK((lat = slurp(dir, "latency.dat")) && (bw = slurp(dir, "bandwidth.dat")));
    CHECK((gp = slurp(dir, "latency.gp")) != NULL);
    /* Index 0: the curve, point for point. */
    const struct mxt_curve *c = &in->curves.latency;
    CHECK(c->n > 10 && dat_index(lat, 0, rows) == c->n);
    for (int i = 0; i < rows->n; i++) {
        double x, y;
        CHECK(sscanf(rows->line[i], "%lf %lf", &x, &y) == 2);
        CHECK(x == c->x[i] && y == c->y[i]);
    }
    c = &in->curves.bandwidth;
    CHECK_EQ_INT(dat_index(bw, 0, rows), c->n);
    for (int i = 0; i < rows->n; i++) {
        double x, y;
        CHECK(sscanf(rows->line[i], "%lf %lf", &x, &y) == 2);
        CHECK(x == c->x[i] && y == c->y[i]);
    }
    /* Index 1: the profile's levels. */
    const struct mxt_machine *m = &in->machine;
    CHECK_EQ_INT(dat_index(lat, 1, rows), m->n_caches);
    for (int k = 0; k < m->n_caches; k++) {
        int level;
        unsigned long long size, usable;
        double ns, gbps;
        CHECK(sscanf(rows->line[k], "%d %llu %llu %lf %lf", &level, &size, &usable, &ns, &gbps) ==
              5);
        CHECK_EQ_INT(level, m->caches[k].level);
        CHECK(size == m->caches[k].size_bytes && usable == m->caches[k].usable_bytes);
        CHECK(ns == m->caches[k].latency_ns && gbps == m->caches[k].bw_read_GBps);
    }
    /* Each level marked and labelled at its nominal size. */
    CHECK(strstr(gp, "'L1d 32 KiB' at 32768, graph") != NULL);
    CHECK(strstr(gp, "'L2 256 KiB' at 262144, graph") != NULL);
    CHECK(strstr(gp, "'L3 20 MiB' at 20971520, graph") != NULL);
    CHECK(strstr(gp, "from 32768, graph 0 to 32768, graph 1 nohead") != NULL);
    CHECK(strstr(gp, "'DRAM 70 ns'") != NULL);
    free(lat);
    free(bw);
    free(gp);
    free(rows);
    free(in);
    mxt_report_files_release(&files);
    rm_tree(dir);
}

/* A machine stored without curves: the roofline still draws, probe does not. */
MXT_TEST(no_curves) {
    char dir[64], out[80];
    struct mxt_report_files files = {0};
    struct mxt_report_input *in = calloc(1, sizeof *in);
    CHECK(in && make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture_input(dir, NULL, in), 0);
    CHECK(!in->have_curves);
    snprintf(out, sizeof out, "%s/out", dir);
    struct mxt_report_opts o = {.out_dir = out, .what = MXT_REPORT_PROBE};
    CHECK_EQ_INT(mxt_report_write(&o, in, &files), MXT_ENODATA);
    CHECK(strstr(mxt_last_error(), "run 'mxtune probe'") != NULL);
    CHECK_EQ_INT(mxt_report_write_probe(out, in, &files), MXT_ENODATA);
    struct path_guard g;
    path_set(&g, dir); /* no gnuplot in there: data, scripts and the page only */
    o.what = MXT_REPORT_ROOFLINE;
    int rc = mxt_report_write(&o, in, &files);
    path_restore(&g);
    CHECK_EQ_INT(rc, MXT_ENOTFOUND);
    CHECK(exists(out, "roofline.dat") && exists(out, "index.html"));
    free(in);
    mxt_report_files_release(&files);
    rm_tree(dir);
}

/* ---- quoting ---- */

static void hostile(struct mxt_machine *m) {
    mxt_strlcpy(m->brand, "Evil' `touch pwned` @x\n<script>alert(1)</script> & \"co\"",
                sizeof m->brand);
    mxt_strlcpy(m->warnings[0], "<img src=x onerror=alert(1)>", sizeof m->warnings[0]);
    m->n_warnings = 1;
}

MXT_TEST(names_quoted_in_scripts_and_html) {
    char dir[64], out[80];
    struct mxt_report_files files = {0};
    struct mxt_report_input *in = calloc(1, sizeof *in);
    char *gp = NULL, *html = NULL, *dat = NULL;
    CHECK(in && make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture_input(dir, "xeon-emr-16c-kvm-default.json", in), 0);
    hostile(&in->machine);
    snprintf(out, sizeof out, "%s/out", dir);
    struct mxt_report_opts o = {.out_dir = out, .what = MXT_REPORT_PROBE | MXT_REPORT_ROOFLINE};
    int rc = mxt_report_write(&o, in, &files);
    CHECK(rc == 0 || (rc == MXT_ENOTFOUND && !have_gnuplot()));
    CHECK((gp = slurp(out, "latency.gp")) && (html = slurp(out, "index.html")));
    CHECK((dat = slurp(out, "latency.dat")) != NULL);
    /* One single-quoted string on one line: the quote doubled, the newline gone. */
    CHECK(strstr(gp, "-- Evil'' `touch pwned` @x?<script>alert(1)</script> & \"co\"'\n") != NULL);
    CHECK(strstr(dat, "(Evil' `touch pwned` @x?<script>") != NULL); /* a comment, one line */
    CHECK(!exists(out, "pwned"));
    CHECK(strstr(html, "<script>alert") == NULL && strstr(html, "<img src=x") == NULL);
    CHECK(strstr(html, "Evil&#39; `touch pwned` @x &lt;script&gt;alert(1)&lt;/script&gt; &amp; "
                       "&quot;co&quot;") != NULL);
    CHECK(strstr(html, "&lt;img src=x onerror=alert(1)&gt;") != NULL);
    free(gp);
    free(html);
    free(dat);
    free(in);
    mxt_report_files_release(&files);
    rm_tree(dir);
}

/* ---- the whole report ---- */

/* index.html is self-contained and points at every picture by relative path. */
MXT_TEST(index_self_contained) {
    char dir[64];
    struct mxt_report_files files = {0};
    struct mxt_report_input *in = calloc(1, sizeof *in);
    char *html = NULL;
    static const char *const names[] = {"roofline", "latency", "bandwidth"};
    CHECK(in && make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture_input(dir, "xeon-emr-16c-kvm-default.json", in), 0);
    CHECK_EQ_INT(mxt_report_write_index(dir, in, names, 3, &files), 0);
    CHECK((html = slurp(dir, "index.html")) != NULL);
    CHECK(strstr(html, "<img src=\"roofline.png\"") && strstr(html, "<img src=\"latency.png\"") &&
          strstr(html, "<img src=\"bandwidth.png\""));
    CHECK(strstr(html, "href=\"latency.svg\"") != NULL);
    CHECK(strstr(html, "http:") == NULL && strstr(html, "https:") == NULL &&
          strstr(html, "src=\"/") == NULL && strstr(html, "<link") == NULL);
    /* The machine table: levels, sizes, usable, latency, bandwidth, peak, priors. */
    CHECK(strstr(html, "<th>L1d</th><td class=\"n\">32 KiB</td>") != NULL);
    CHECK(strstr(html, "<th>L3</th><td class=\"n\">20 MiB</td>") != NULL);
    CHECK(strstr(html, "0.8 ns") && strstr(html, "300 GB/s") && strstr(html, "1500 GFLOP/s"));
    CHECK(strstr(html, "data-loaded") != NULL);
    free(html);
    free(in);
    mxt_report_files_release(&files);
    rm_tree(dir);
}

/* Without gnuplot on PATH every .dat, .gp and index.html is still written,
 * no picture, and the error says what to install. */
MXT_TEST(gnuplot_missing) {
    char dir[64], out[80], empty[80];
    struct mxt_report_files files = {0};
    struct mxt_report_input *in = calloc(1, sizeof *in);
    CHECK(in && make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture_input(dir, "xeon-emr-16c-kvm-default.json", in), 0);
    snprintf(out, sizeof out, "%s/a/b/out", dir);
    snprintf(empty, sizeof empty, "%s/emptybin", dir);
    CHECK(mkdir(empty, 0700) == 0);
    struct mxt_report_opts o = {.out_dir = out, .what = MXT_REPORT_PROBE | MXT_REPORT_ROOFLINE};
    struct path_guard g;
    path_set(&g, empty);
    int rc = mxt_report_write(&o, in, &files);
    path_restore(&g);
    CHECK_EQ_INT(rc, MXT_ENOTFOUND);
    CHECK(strcmp(mxt_last_error(),
                 "gnuplot not found: install gnuplot-nox (apt-get install gnuplot-nox)") == 0);
    static const char *const want[] = {"latency.dat",  "latency.gp",   "bandwidth.dat",
                                       "bandwidth.gp", "roofline.dat", "roofline.gp",
                                       "index.html"};
    CHECK_EQ_INT(files.n, MXT_ARRAY_LEN(want));
    for (size_t i = 0; i < MXT_ARRAY_LEN(want); i++) {
        CHECK(exists(out, want[i]));
        CHECK(strstr(files.path[i], want[i]) != NULL);
    }
    CHECK(!exists(out, "latency.png") && !exists(out, "roofline.svg"));
    /* An explicit program path that is not there is also "not found". */
    char p[PATH_MAX];
    CHECK_EQ_INT(mxt_report_find_program("/nonexistent/gnuplot", p, sizeof p), MXT_ENOTFOUND);
    free(in);
    mxt_report_files_release(&files);
    rm_tree(dir);
}

/* With gnuplot: PNG and SVG for every picture, listed after the data. */
MXT_TEST(gnuplot_draws) {
    if (!have_gnuplot()) MXT_SKIP("gnuplot not on PATH");
    char dir[64], out[80];
    struct mxt_report_files files = {0};
    struct mxt_report_input *in = calloc(1, sizeof *in);
    char *svg = NULL, *png = NULL;
    CHECK(in && make_tmpdir(dir, sizeof dir) == 0);
    CHECK_EQ_INT(fixture_input(dir, "xeon-emr-16c-kvm-default.json", in), 0);
    snprintf(out, sizeof out, "%s/out", dir);
    struct mxt_report_opts o = {.out_dir = out, .what = MXT_REPORT_PROBE | MXT_REPORT_ROOFLINE};
    int rc = mxt_report_write(&o, in, &files);
    if (rc) fprintf(stderr, "%s\n", mxt_last_error());
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(files.n, 13);
    static const char *const names[] = {"roofline", "latency", "bandwidth"};
    for (size_t i = 0; i < 3; i++) {
        char f[32];
        snprintf(f, sizeof f, "%s.png", names[i]);
        CHECK((png = slurp(out, f)) != NULL);
        CHECK(memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
        free(png);
        png = NULL;
        snprintf(f, sizeof f, "%s.svg", names[i]);
        CHECK((svg = slurp(out, f)) != NULL);
        CHECK(strstr(svg, "<svg") != NULL);
        free(svg);
        svg = NULL;
    }
    free(in);
    mxt_report_files_release(&files);
    rm_tree(dir);
}

/* A gnuplot that fails is reported with its script named. */
MXT_TEST(gnuplot_fails) {
    char dir[64], fake[96];
    struct mxt_report_files files = {0};
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    snprintf(fake, sizeof fake, "%s/gnuplot", dir);
    FILE *f = fopen(fake, "w");
    CHECK(f != NULL);
    fputs("#!/bin/sh\nexit 3\n", f);
    CHECK(fclose(f) == 0 && chmod(fake, 0755) == 0);
    int rc = mxt_report_plot(fake, dir, "roofline", &files);
    CHECK_EQ_INT(rc, MXT_EIO);
    CHECK(strstr(mxt_last_error(), "roofline.gp' (exit 3)") != NULL);
    CHECK_EQ_INT(files.n, 0);
    rm_tree(dir);
}

MXT_TEST(unwritable_out_dir) {
    char dir[64], file[80], out[96];
    CHECK(make_tmpdir(dir, sizeof dir) == 0);
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *f = fopen(file, "w");
    CHECK(f && fclose(f) == 0);
    /* Under a regular file (root may write anywhere, so no chmod test). */
    snprintf(out, sizeof out, "%s/sub", file);
    CHECK_EQ_INT(mxt_report_prepare_dir(out), MXT_EIO);
    CHECK(strstr(mxt_last_error(), out) != NULL);
    CHECK(strstr(mxt_last_error(), "cannot write to output directory") != NULL);
    CHECK_EQ_INT(mxt_report_prepare_dir(file), MXT_EIO); /* a file, not a directory */
    CHECK_EQ_INT(mxt_report_prepare_dir("/proc/mxt-no-such-dir/out"), MXT_EIO);
    CHECK(strstr(mxt_last_error(), "'/proc/mxt-no-such-dir/out'") != NULL);
    CHECK_EQ_INT(mxt_report_prepare_dir(""), MXT_EINVAL);
    /* mkdir -p of a fresh nested path works, twice. */
    snprintf(out, sizeof out, "%s/x/y/z", dir);
    CHECK_EQ_INT(mxt_report_prepare_dir(out), 0);
    CHECK_EQ_INT(mxt_report_prepare_dir(out), 0);
    rm_tree(dir);
}
