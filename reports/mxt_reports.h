/* The reports module's interface (internal to mxtune): pictures of a stored
 * machine drawn with gnuplot, and the HTML page that ties them together.
 *
 * Every picture NAME is written as NAME.dat (the numbers, with a commented
 * header) and NAME.gp (a gnuplot script that reads NAME.dat and writes
 * NAME.png and NAME.svg when run as `gnuplot NAME.gp` inside the output
 * directory); both are kept so a person can re-plot. gnuplot is run without a
 * shell. Units: bytes, ns, GB/s (10^9 bytes/s), GFLOP/s (an FMA counts 2),
 * arithmetic intensity in FLOP per byte.
 *
 * Pictures: latency and bandwidth (`probe`), roofline (`roofline`), model
 * against measured time (`model`).
 */
#ifndef MXT_REPORTS_H
#define MXT_REPORTS_H

#include <stddef.h>
#include "mxtune/config.h"
#include "mxtune/machine.h"
#include "probes.h"

struct mxt_db;

/* ---- the roofline ---- */

enum mxt_ceiling_kind { MXT_CEILING_COMPUTE = 0, MXT_CEILING_MEMORY };

/* One ceiling: a peak (GFLOP/s, horizontal) or a bandwidth (GB/s, a slope). */
struct mxt_ceiling {
    char name[16]; /* "f32_peak", "f64_peak", "L1", "L2", "L3", "L4", "DRAM" */
    enum mxt_ceiling_kind kind;
    double value;    /* GFLOP/s (compute) or GB/s (memory) */
    char source[64]; /* where the value comes from, e.g. "level_bw.load.all" */
};

#define MXT_CEILINGS_MAX (2 + MXT_MAX_LEVELS + 1)
#define MXT_ROOFLINE_NOTES 8

struct mxt_roofline {
    int n; /* compute ceilings first (f32, f64), then memory from L1 to DRAM */
    struct mxt_ceiling c[MXT_CEILINGS_MAX];
    int n_notes; /* values that were not used, and why */
    char notes[MXT_ROOFLINE_NOTES][MXT_NOTE_LEN];
};

/* The ceilings of a stored profile. Compute: compute.f32_all and f64_all
 * when at least 0.9x the one-core peak (else one core's peak x cores, with a
 * note). Memory, per cache level: the all-thread load bandwidth measured at that
 * level (curves->level_bw) when present and at least 0.9x the one-thread load
 * (a smaller figure is a failed measurement and is listed in notes); else the
 * one-core read bandwidth (bw_read_GBps) times the number of instances that
 * serve all cores (cores for a private level, cores / shared_by for a shared
 * one). DRAM: dram.read_all, else the level_bw DRAM row, else read_1t. A value
 * that is absent is left out with a note. curves may be NULL. Never fails. */
void mxt_roofline_ceilings(const struct mxt_machine *m, const struct mxt_probe_curves *curves,
                           struct mxt_roofline *out);

/* Attainable GFLOP/s at an intensity under the highest roof:
 * min(highest compute ceiling, highest bandwidth x intensity); 0 if there are
 * no ceilings. */
double mxt_roofline_roof(const struct mxt_roofline *r, double intensity);

/* The ceiling that bounds a point: the lowest ceiling whose attainable value
 * at the intensity (a slope's capped at the highest peak) is at least gflops
 * (NULL when the point is above every ceiling, which means a measurement or a
 * ceiling is wrong). */
const struct mxt_ceiling *mxt_roofline_bound(const struct mxt_roofline *r, double intensity,
                                             double gflops);

/* A point on the roofline: a measured kernel run, or a model prediction. The
 * tuner supplies them; strings are borrowed. */
enum mxt_point_kind { MXT_POINT_MEASURED = 0, MXT_POINT_MODEL };
struct mxt_roof_point {
    const char *label; /* e.g. "sgemm 2048^3 cake-kmn 32x12" */
    double intensity;  /* FLOP/byte (DRAM traffic) */
    double gflops;
    enum mxt_point_kind kind;
    double peak_gflops; /* the compute ceiling of the run's dtype (0: the highest): its
                           roof is min(this, the highest roof) */
};

/* The tuner's winners of a machine as roofline points (reports/db_points.c):
 * for each current winner, a measured point (its GFLOP/s) and a model point
 * (the model's GFLOP/s for the same configuration), both at the intensity
 * flops / the model's DRAM bytes for that configuration (the traffic the
 * kernel cannot avoid at its blocking; measured counters are not available).
 * A measured point above its ceilings -- its dtype's peak, or the highest
 * roof at its intensity -- is flagged: counted, described in notes, and its
 * label ends in " (ABOVE CEILING)". Each model point follows its measured
 * one and has an empty label. The labels are owned here. */
#define MXT_POINT_LABEL 80
#define MXT_POINT_NOTES 8
struct mxt_report_points {
    size_t n, cap;
    struct mxt_roof_point *p;
    char (*label)[MXT_POINT_LABEL];
    int skipped; /* winners the model could not evaluate (not drawn) */
    int flagged; /* measured points above their ceilings */
    int n_notes;
    char notes[MXT_POINT_NOTES][MXT_NOTE_LEN];
};
int mxt_report_load_points(struct mxt_db *db, const struct mxt_machine *m,
                           const struct mxt_probe_curves *curves, struct mxt_report_points *out);
void mxt_report_points_release(struct mxt_report_points *pts);

/* Measured against predicted time of every current measurement of a machine
 * (reports/plot_model.c). predicted: the prediction the tuner stored with the
 * measurement (what ranked the candidate), else the model's prediction now
 * (stored 0). */
struct mxt_model_pair {
    char label[MXT_POINT_LABEL]; /* "f32 1024^3 goto avx2 16x6 mc=..,kc=..,nc=.." */
    enum mxt_dtype dtype;
    enum mxt_schedule schedule;
    double measured_s, predicted_s;
    int stored; /* 1: predicted_s as stored by the tuner; 0: predicted now */
    int winner; /* 1: the tuned winner of its problem */
};
struct mxt_model_pairs {
    size_t n, cap;
    struct mxt_model_pair *p;
    int skipped; /* measurements without a stored prediction the model cannot evaluate */
};
/* Error statistics of the pairs: |predicted - measured| / measured in %,
 * the geometric mean of predicted / measured (bias: < 1 optimistic), the
 * share within 25 %, and Spearman's rank correlation over all pairs. */
struct mxt_model_stats {
    int n;
    double median_abs_pct, p90_abs_pct, geo_ratio, within25, spearman;
};
int mxt_report_load_pairs(struct mxt_db *db, const struct mxt_machine *m,
                          struct mxt_model_pairs *out);
void mxt_report_pairs_release(struct mxt_model_pairs *pairs);
void mxt_model_pairs_stats(const struct mxt_model_pair *p, size_t n, struct mxt_model_stats *s);

/* ---- the list of written files ---- */

struct mxt_report_files {
    size_t n, cap;
    char **path; /* DIR/NAME, in the order written */
};
int mxt_report_files_add(struct mxt_report_files *f, const char *path);
void mxt_report_files_release(struct mxt_report_files *f);

/* ---- what a report is drawn from ---- */

struct mxt_report_input {
    struct mxt_machine machine;
    struct mxt_probe_curves curves; /* valid when have_curves */
    int have_curves;
    const struct mxt_roof_point *points; /* borrowed, may be NULL */
    size_t n_points;
    const struct mxt_model_pair *pairs; /* borrowed, may be NULL (`model`) */
    size_t n_pairs;
};

/* Fill in->machine from the stored profile of fingerprint and in->curves from
 * its newest probe run that stored curves (have_curves 0 when there is none).
 * MXT_ENOTFOUND: no such machine. points are left as they are. */
int mxt_report_load(struct mxt_db *db, const char *fingerprint, struct mxt_report_input *in);

/* ---- the pictures, one writer each: NAME.dat and NAME.gp into dir ---- */

/* latency.{dat,gp} and bandwidth.{dat,gp}: the curves against working-set
 * size with the profile's levels marked (solid at nominal size, dashed at
 * usable size). MXT_ENODATA when in has no curves. */
int mxt_report_write_probe(const char *dir, const struct mxt_report_input *in,
                           struct mxt_report_files *files);

/* roofline.{dat,gp}: the ceilings of mxt_roofline_ceilings and the points
 * (points above the highest roof are flagged in the .dat). */
int mxt_report_write_roofline(const char *dir, const struct mxt_machine *m,
                              const struct mxt_probe_curves *curves,
                              const struct mxt_roof_point *points, size_t n_points,
                              struct mxt_report_files *files);

/* model.{dat,gp}: measured (x) against predicted (y) seconds, log-log, one
 * point per measurement by schedule, winners ringed, the line y = x and a
 * +-25 % band, the statistics in the title and the .dat header.
 * MXT_ENODATA when there are no pairs. */
int mxt_report_write_model(const char *dir, const struct mxt_report_input *in,
                           struct mxt_report_files *files);

/* index.html: self-contained (no external resources): the machine table,
 * the roofline ceilings and points, and every picture in names[] (each
 * NAME.png shown, NAME.svg linked). */
int mxt_report_write_index(const char *dir, const struct mxt_report_input *in,
                           const char *const *names, size_t n_names,
                           struct mxt_report_files *files);

/* ---- gnuplot ---- */

/* Look prog up in $PATH (or take it as a path when it holds a '/'); MXT_ENOTFOUND
 * with "gnuplot not found: install gnuplot-nox (apt-get install gnuplot-nox)"
 * for gnuplot. */
int mxt_report_find_program(const char *prog, char *path, size_t size);

/* Run `gnuplot NAME.gp` in dir (posix_spawn, no shell, stdout to /dev/null,
 * stderr passed through) and add NAME.png and NAME.svg to files. */
int mxt_report_plot(const char *gnuplot_path, const char *dir, const char *name,
                    struct mxt_report_files *files);

/* ---- everything ---- */

enum { MXT_REPORT_PROBE = 1, MXT_REPORT_ROOFLINE = 2, MXT_REPORT_MODEL = 4 };

struct mxt_report_opts {
    const char *out_dir; /* created (mkdir -p) if missing */
    unsigned what;       /* MXT_REPORT_* bits */
    const char *gnuplot; /* NULL = "gnuplot" from $PATH */
};

/* Write the data and scripts of every picture asked for, index.html (which
 * also shows the pictures of earlier runs whose NAME.gp is in the directory),
 * then run gnuplot. Without gnuplot the files are still written and
 * MXT_ENOTFOUND is returned. files lists what was written, also on failure. */
int mxt_report_write(const struct mxt_report_opts *o, const struct mxt_report_input *in,
                     struct mxt_report_files *files);

/* mkdir -p dir and check a file can be created in it (MXT_EIO naming dir). */
int mxt_report_prepare_dir(const char *dir);

#endif
