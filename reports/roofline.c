/* The roofline (reports/): ceilings from the stored profile, attainable GFLOP/s
 * = min(peak, bandwidth x FLOP/byte) (Williams, Waterman, Patterson, CACM 52(4),
 * 2009), and points for measured runs and model predictions from the caller. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include "mxt_common.h"
#include "report_internal.h"

#define ROOF_ALL_THREADS_MIN 0.9 /* an all-thread figure below 0.9x one thread's is a failure */

static void note(struct mxt_roofline *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(struct mxt_roofline *r, const char *fmt, ...) {
    if (r->n_notes >= MXT_ROOFLINE_NOTES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->n_notes++], MXT_NOTE_LEN, fmt, ap);
    va_end(ap);
}

static void add(struct mxt_roofline *r, const char *name, enum mxt_ceiling_kind kind, double value,
                const char *source) {
    if (r->n >= MXT_CEILINGS_MAX) return;
    struct mxt_ceiling *c = &r->c[r->n++];
    mxt_strlcpy(c->name, name, sizeof c->name);
    c->kind = kind;
    c->value = value;
    mxt_strlcpy(c->source, source, sizeof c->source);
}

/* One cache level's memory ceiling (k: its index in m->caches and its row
 * in curves->level_bw). */
static void level_ceiling(const struct mxt_machine *m, const struct mxt_probe_curves *cv, int k,
                          struct mxt_roofline *r) {
    const struct mxt_cache *c = &m->caches[k];
    char name[16], source[64];
    snprintf(name, sizeof name, "L%d", c->level);
    int have_row = cv && k < cv->n_levels - 1;
    double one = have_row ? cv->level_bw[k][0][0] : 0, all = have_row ? cv->level_bw[k][0][1] : 0;
    if (all > 0 && all >= ROOF_ALL_THREADS_MIN * one) {
        add(r, name, MXT_CEILING_MEMORY, all, "probe: load, all threads");
        return;
    }
    if (all > 0)
        note(r,
             "%s: the all-thread load bandwidth %.3g GB/s is below one thread's %.3g GB/s (a "
             "failed measurement): not used",
             name, all, one);
    double per = c->bw_read_GBps > 0 ? c->bw_read_GBps : one;
    int cores = m->cores > 0 ? m->cores : 1;
    int instances = c->shared_by <= 1 ? cores : cores / c->shared_by;
    if (instances < 1) instances = 1;
    if (!(per > 0)) {
        note(r, "%s: no bandwidth measured: no ceiling", name);
        return;
    }
    if (c->shared_by <= 1)
        snprintf(source, sizeof source, "1-core read x %d cores", instances);
    else
        snprintf(source, sizeof source, "1-core read x %d instance%s shared by %d cores", instances,
                 instances > 1 ? "s" : "", c->shared_by);
    add(r, name, MXT_CEILING_MEMORY, per * instances, source);
}

/* A peak: the all-core figure, unless it is below one core's (then one
 * core's times the cores, with a note). */
static void peak_ceiling(const struct mxt_machine *m, const char *dtype, double all, double one,
                         struct mxt_roofline *r) {
    char name[16], source[64];
    snprintf(name, sizeof name, "%s_peak", dtype);
    if (all > 0 && all >= ROOF_ALL_THREADS_MIN * one) {
        snprintf(source, sizeof source, "compute.%s_all", dtype);
        add(r, name, MXT_CEILING_COMPUTE, all, source);
        return;
    }
    if (all > 0)
        note(r,
             "%s peak: the all-core %.3g GFLOP/s is below one core's %.3g GFLOP/s (a failed "
             "measurement): not used",
             dtype, all, one);
    if (!(one > 0)) {
        note(r, "%s peak not measured: no ceiling", dtype);
        return;
    }
    int cores = m->cores > 0 ? m->cores : 1;
    snprintf(source, sizeof source, "compute.%s_1t x %d cores", dtype, cores);
    add(r, name, MXT_CEILING_COMPUTE, one * cores, source);
}

void mxt_roofline_ceilings(const struct mxt_machine *m, const struct mxt_probe_curves *cv,
                           struct mxt_roofline *r) {
    memset(r, 0, sizeof *r);
    peak_ceiling(m, "f32", m->compute.f32_all, m->compute.f32_1t, r);
    peak_ceiling(m, "f64", m->compute.f64_all, m->compute.f64_1t, r);
    for (int k = 0; k < m->n_caches && k < MXT_MAX_LEVELS; k++)
        level_ceiling(m, cv, k, r);
    double dram_row = cv && cv->n_levels > 0 ? cv->level_bw[cv->n_levels - 1][0][1] : 0;
    if (m->dram.read_all > 0)
        add(r, "DRAM", MXT_CEILING_MEMORY, m->dram.read_all, "dram.read_all");
    else if (dram_row > 0)
        add(r, "DRAM", MXT_CEILING_MEMORY, dram_row, "probe: DRAM load, all threads");
    else if (m->dram.read_1t > 0)
        add(r, "DRAM", MXT_CEILING_MEMORY, m->dram.read_1t, "dram.read_1t (one thread)");
    else
        note(r, "DRAM bandwidth not measured: no ceiling");
}

static void tops(const struct mxt_roofline *r, double *peak, double *bw) {
    *peak = *bw = 0;
    for (int i = 0; i < r->n; i++) {
        double *t = r->c[i].kind == MXT_CEILING_COMPUTE ? peak : bw;
        if (r->c[i].value > *t) *t = r->c[i].value;
    }
}

double mxt_roofline_roof(const struct mxt_roofline *r, double intensity) {
    double peak, bw;
    tops(r, &peak, &bw);
    if (!(bw > 0)) return peak;
    if (!(peak > 0)) return bw * intensity;
    return fmin(peak, bw * intensity);
}

const struct mxt_ceiling *mxt_roofline_bound(const struct mxt_roofline *r, double intensity,
                                             double gflops) {
    const struct mxt_ceiling *best = NULL;
    double best_v = 0, peak, bw;
    tops(r, &peak, &bw);
    for (int i = 0; i < r->n; i++) {
        const struct mxt_ceiling *c = &r->c[i];
        /* A slope ends where it meets the highest peak. */
        double v = c->kind == MXT_CEILING_COMPUTE ? c->value : c->value * intensity;
        if (c->kind == MXT_CEILING_MEMORY && peak > 0) v = fmin(v, peak);
        if (v >= gflops && (!best || v < best_v)) {
            best = c;
            best_v = v;
        }
    }
    return best;
}

/* A point's own roof: the highest one, under its dtype's peak when it has one. */
static double point_roof(const struct mxt_roofline *r, const struct mxt_roof_point *p) {
    double roof = mxt_roofline_roof(r, p->intensity);
    return p->peak_gflops > 0 ? fmin(roof, p->peak_gflops) : roof;
}

/* ---- the picture ---- */

struct frame {
    double xlo, xhi, ylo, yhi; /* axis ranges */
    double peak, bw;           /* the highest compute and memory ceilings */
};

/* Axis ranges: every ridge point (peak / bandwidth) an octave or three inside,
 * every point inside, room above the peak for its label. */
static void frame_of(const struct mxt_roofline *r, const struct mxt_roof_point *pts, size_t n,
                     struct frame *fr) {
    double rmin = 0, rmax = 0, bmin = 0;
    tops(r, &fr->peak, &fr->bw);
    for (int i = 0; i < r->n; i++) {
        if (r->c[i].kind != MXT_CEILING_MEMORY) continue;
        double ridge = fr->peak > 0 ? fr->peak / r->c[i].value : 1;
        rmin = rmin == 0 || ridge < rmin ? ridge : rmin;
        rmax = ridge > rmax ? ridge : rmax;
        bmin = bmin == 0 || r->c[i].value < bmin ? r->c[i].value : bmin;
    }
    if (rmax == 0) rmin = rmax = 1;
    fr->xlo = rmin / 8;
    fr->xhi = rmax * 8;
    for (size_t i = 0; i < n; i++) {
        if (!(pts[i].intensity > 0)) continue;
        fr->xlo = fmin(fr->xlo, pts[i].intensity / 2);
        /* room on the right of the points for the peaks' labels */
        fr->xhi = fmax(fr->xhi, pts[i].intensity * 16);
    }
    fr->xlo = exp2(floor(log2(fr->xlo)));
    fr->xhi = exp2(ceil(log2(fr->xhi)));
    double top = fr->peak > 0 ? fr->peak : fr->bw * fr->xhi;
    fr->yhi = top * 2.5;
    for (size_t i = 0; i < n; i++) /* a point above the roof stays in the picture */
        fr->yhi = fmax(fr->yhi, pts[i].gflops * 2);
    fr->ylo = bmin > 0 ? bmin * fr->xlo : top / 100;
    for (int i = 0; i < r->n; i++)
        if (r->c[i].kind == MXT_CEILING_COMPUTE) fr->ylo = fmin(fr->ylo, r->c[i].value / 4);
    for (size_t i = 0; i < n; i++)
        if (pts[i].gflops > 0) fr->ylo = fmin(fr->ylo, pts[i].gflops / 2);
    fr->ylo = pow(10.0, floor(log10(fr->ylo) * 2) / 2); /* a half decade below */
}

/* A ceiling as a segment: a slope from the left edge up to the highest peak,
 * a peak from where it meets the highest slope to the right edge. */
static void segment(const struct mxt_ceiling *c, const struct frame *fr, double *x0, double *y0,
                    double *x1, double *y1) {
    if (c->kind == MXT_CEILING_COMPUTE) {
        *x0 = fr->bw > 0 ? fmax(fr->xlo, c->value / fr->bw) : fr->xlo;
        *x1 = fr->xhi;
        *y0 = *y1 = c->value;
        return;
    }
    *x0 = fr->xlo;
    *x1 = fr->peak > 0 ? fmin(fr->xhi, fr->peak / c->value) : fr->xhi;
    *y0 = c->value * *x0;
    *y1 = c->value * *x1;
}

static void ceiling_text(const struct mxt_ceiling *c, char *buf, size_t size) {
    char v[32];
    rpt_value(c->value, v, sizeof v);
    if (c->kind == MXT_CEILING_COMPUTE)
        snprintf(buf, size, "%s peak %s GFLOP/s", strncmp(c->name, "f64", 3) ? "f32" : "f64", v);
    else
        snprintf(buf, size, "%s %s GB/s", c->name, v);
}

static const char *ceiling_colour(const struct mxt_ceiling *c) {
    if (c->kind == MXT_CEILING_COMPUTE) return strncmp(c->name, "f64", 3) ? "#8b0000" : "#e377c2";
    if (strcmp(c->name, "DRAM") == 0) return rpt_level_colour(0);
    return rpt_level_colour(c->name[1] - '0');
}

static void write_dat(FILE *f, const struct mxt_machine *m, const struct mxt_roofline *r,
                      const struct frame *fr, const struct mxt_roof_point *pts, size_t n) {
    fprintf(f, "# mxtune roofline of machine %s (%d cores)\n", m->fingerprint, m->cores);
    fprintf(f, "# x: arithmetic intensity (FLOP/byte); y: GFLOP/s (an FMA counts 2); "
               "bandwidths in GB/s (10^9 bytes/s)\n");
    for (int i = 0; i < r->n_notes; i++)
        fprintf(f, "# note: %s\n", r->notes[i]);
    fprintf(f, "# index 0: the ceilings\n# name kind value unit source\n");
    for (int i = 0; i < r->n; i++) {
        const struct mxt_ceiling *c = &r->c[i];
        int compute = c->kind == MXT_CEILING_COMPUTE;
        fprintf(f, "%s %s %.17g %s ", c->name, compute ? "compute" : "memory", c->value,
                compute ? "GFLOP/s" : "GB/s");
        dat_string(f, c->source);
        fputc('\n', f);
    }
    fprintf(f, "\n\n# index 1: each ceiling as a segment, in the order above, one block each\n"
               "# intensity gflops\n");
    for (int i = 0; i < r->n; i++) {
        double x0, y0, x1, y1;
        segment(&r->c[i], fr, &x0, &y0, &x1, &y1);
        fprintf(f, "%s%.17g %.17g\n%.17g %.17g\n", i ? "\n" : "", x0, y0, x1, y1);
    }
    fprintf(f, "\n\n# index 2: the points (roof_gflops: the highest roof, under the point's "
               "dtype peak when known; above_roof 1: above it, a measurement or a ceiling is "
               "wrong)\n# label kind intensity gflops roof_gflops above_roof\n");
    for (size_t i = 0; i < n; i++) {
        const struct mxt_roof_point *p = &pts[i];
        double roof = point_roof(r, p);
        dat_string(f, p->label);
        fprintf(f, " %s %.17g %.17g %.17g %d\n", p->kind == MXT_POINT_MODEL ? "model" : "measured",
                p->intensity, p->gflops, roof, roof > 0 && p->gflops > roof * 1.0000001);
    }
}

/* Plot area, fixed in screen fractions so a slope's angle on the page is known. */
#define PL 0.09
#define PR 0.97
#define PB 0.10
#define PT 0.92

static void write_gp(FILE *f, const struct mxt_machine *m, const struct mxt_roofline *r,
                     const struct frame *fr, const struct mxt_roof_point *pts, size_t n) {
    fprintf(f, "# mxtune roofline picture. Re-plot: run `gnuplot roofline.gp` in this directory;\n"
               "# it reads roofline.dat and writes roofline.png and roofline.svg.\n"
               "reset\nset title ");
    char title[256];
    snprintf(title, sizeof title, "Roofline -- %s, %d cores (ceilings measured by mxtune probe)",
             m->brand[0] ? m->brand : m->fingerprint, m->cores);
    gp_string(f, title);
    fprintf(f,
            "\nset xlabel 'arithmetic intensity (FLOP/byte, log scale)'\n"
            "set ylabel 'performance (GFLOP/s, log scale)'\n"
            "set logscale xy\nset xrange [%.17g:%.17g]\nset yrange [%.17g:%.17g]\n"
            "set lmargin at screen %g\nset rmargin at screen %g\n"
            "set bmargin at screen %g\nset tmargin at screen %g\n",
            fr->xlo, fr->xhi, fr->ylo, fr->yhi, PL, PR, PB, PT);
    fprintf(f, "set xtics (");
    for (int k = (int)lround(log2(fr->xlo)), first = 1; k <= (int)lround(log2(fr->xhi)); k++) {
        if (k < 0)
            fprintf(f, "%s'1/%.0f' %.17g", first ? "" : ", ", exp2(-k), exp2(k));
        else
            fprintf(f, "%s'%.0f' %.17g", first ? "" : ", ", exp2(k), exp2(k));
        first = 0;
    }
    fprintf(f, ")\n");
    gp_decade_tics(f, "y", fr->ylo, fr->yhi);
    fprintf(f, "set grid xtics ytics lc rgb '#e0e0e0' lt 1\n"
               "set key inside bottom right box lc rgb '#aaaaaa' opaque spacing 1.2\n"
               "set style textbox opaque noborder margins 0.5,0.5\n");

    /* The angle of a slope-1 line on the page, for labels along the slopes. */
    double px_x = (PR - PL) * RPT_WIDTH / log10(fr->xhi / fr->xlo);
    double px_y = (PT - PB) * RPT_HEIGHT / log10(fr->yhi / fr->ylo);
    double angle = atan2(px_y, px_x);
    double label_x = fr->xlo * 1.3, prev_bw = 0;
    for (int i = 0; i < r->n; i++) {
        const struct mxt_ceiling *c = &r->c[i];
        char text[64];
        double x0, y0, x1, y1;
        segment(c, fr, &x0, &y0, &x1, &y1);
        ceiling_text(c, text, sizeof text);
        fprintf(f, "set label %d ", i + 1);
        gp_string(f, text);
        if (c->kind == MXT_CEILING_COMPUTE) {
            fprintf(f, " at %.17g, %.17g right offset -0.5,0.8 tc rgb '%s' boxed front\n", x1, y1,
                    ceiling_colour(c));
            continue;
        }
        /* Along the slope, above it. A slope close under the previous one
         * would put its label on that one: the lowest slope takes its label
         * below instead, any other one further right. */
        double side = 0.7;
        if (prev_bw > 0 && prev_bw / c->value < 1.8) {
            if (i == r->n - 1)
                side = -1.6;
            else
                label_x *= 3.2;
        }
        prev_bw = c->value;
        double lx = fmin(label_x, x1 / 2.5);
        fprintf(f,
                " at %.17g, %.17g left rotate by %.1f offset %.2f,%.2f tc rgb '%s' boxed front\n",
                lx, c->value * lx, angle * 180 / M_PI, -side * sin(angle), side * cos(angle),
                ceiling_colour(c));
    }
    /* Measured runs are numbered on the picture and named in the key: full
     * labels beside points that sit close together would overlap. */
    for (size_t i = 0, k = 0; i < n; i++) {
        if (pts[i].kind == MXT_POINT_MODEL) continue;
        k++;
        fprintf(f,
                "set label %zu '%zu' at %.17g, %.17g left offset 0.6,0.6 font ',10' "
                "tc rgb '#000000' front\n",
                100 + k, k, pts[i].intensity, pts[i].gflops);
    }
    gp_png(f, "roofline");
    fprintf(f, "plot ");
    for (int i = 0; i < r->n; i++) {
        const struct mxt_ceiling *c = &r->c[i];
        char text[96];
        ceiling_text(c, text, sizeof text);
        size_t len = strlen(text);
        snprintf(text + len, sizeof text - len, " (%s)", c->source);
        fprintf(f,
                "%s'roofline.dat' index 1 every :::%d::%d using 1:2 with lines lw %s dt %s "
                "lc rgb '%s' title ",
                i ? ", \\\n     " : "", i, i, c->kind == MXT_CEILING_COMPUTE ? "2.5" : "2",
                c->kind == MXT_CEILING_COMPUTE && strncmp(c->name, "f64", 3) == 0 ? "2" : "1",
                ceiling_colour(c));
        gp_string(f, text);
    }
    int measured = 0, model = 0, above = 0;
    for (size_t i = 0; i < n; i++) {
        if (pts[i].kind == MXT_POINT_MODEL)
            model++;
        else
            measured++;
        above += pts[i].gflops > point_roof(r, &pts[i]) * 1.0000001;
    }
    if (measured)
        fprintf(f, ", \\\n     'roofline.dat' index 2 using 3:(strcol(2) eq 'measured' ? $4 : NaN) "
                   "with points pt 7 ps 1.2 lc rgb '#000000' title 'measured run'");
    for (size_t i = 0, k = 0; i < n; i++) { /* the numbers' names, in the key */
        if (pts[i].kind == MXT_POINT_MODEL) continue;
        char text[96];
        snprintf(text, sizeof text, "%zu  %s", ++k, pts[i].label);
        fprintf(f, ", \\\n     NaN with lines lc rgb '#ffffff' title ");
        gp_string(f, text);
    }
    if (model)
        fprintf(f, ", \\\n     'roofline.dat' index 2 using 3:(strcol(2) eq 'model' ? $4 : NaN) "
                   "with points pt 6 ps 1.4 lw 2 lc rgb '#7f00ff' title 'model prediction', \\\n"
                   "     '' index 2 using 3:(strcol(2) eq 'model' ? $4 : NaN):1 with labels "
                   "left offset 0.8,-0.7 font ',9' tc rgb '#7f00ff' notitle");
    if (above) /* column 6 of index 2 is above_roof */
        fprintf(f, ", \\\n     'roofline.dat' index 2 using 3:($6 > 0 ? $4 : NaN) with points "
                   "pt 6 ps 2.6 lw 2 lc rgb '#ff0000' title 'above the roof: check it'");
    fprintf(f, "\n");
    gp_svg(f, "roofline");
}

int mxt_report_write_roofline(const char *dir, const struct mxt_machine *m,
                              const struct mxt_probe_curves *curves,
                              const struct mxt_roof_point *points, size_t n_points,
                              struct mxt_report_files *files) {
    struct mxt_roofline r;
    struct frame fr;
    char path[PATH_MAX];
    FILE *f = NULL;
    int rc;
    mxt_roofline_ceilings(m, curves, &r);
    if (r.n == 0)
        return mxt_error(MXT_ENODATA,
                         "the profile of '%s' has no peak and no bandwidth: no roofline to draw",
                         m->fingerprint);
    for (size_t i = 0; i < n_points; i++)
        if (!(points[i].intensity > 0) || !(points[i].gflops > 0) || !points[i].label)
            return mxt_error(MXT_EINVAL,
                             "roofline point %zu: needs a label and positive "
                             "intensity and GFLOP/s",
                             i);
    frame_of(&r, points, n_points, &fr);
    if ((rc = rpt_open(dir, "roofline.dat", path, sizeof path, &f))) return rc;
    write_dat(f, m, &r, &fr, points, n_points);
    if ((rc = rpt_close(f, path, files))) return rc;
    if ((rc = rpt_open(dir, "roofline.gp", path, sizeof path, &f))) return rc;
    write_gp(f, m, &r, &fr, points, n_points);
    return rpt_close(f, path, files);
}
