/* The probe pictures (reports/): latency and one-thread read bandwidth against
 * working-set size from the newest stored probe run, each cache level marked
 * solid at its nominal size, dashed at its usable size (PROBES.md, phase 6). */
#include <limits.h>
#include <math.h>
#include <string.h>
#include "mxt_common.h"
#include "report_internal.h"

/* What differs between the two pictures. */
struct probe_picture {
    const char *name;   /* file stem */
    const char *title;  /* picture title, the machine's brand is appended */
    const char *ylabel; /* with its unit */
    const char *ycol;   /* .dat column name */
    const char *curve_title;
    int latency; /* 1: latency (levels by latency_ns), 0: bandwidth */
};

static const struct probe_picture probe_pictures[] = {
    {"latency", "Load-to-use latency against working-set size", "latency per dependent load (ns)",
     "ns", "measured latency", 1},
    {"bandwidth", "Read bandwidth of one thread against working-set size",
     "read bandwidth, one thread (GB/s)", "GBps", "measured read bandwidth", 0},
};

/* The curve's y at x, interpolated in log-log (clamped at the ends). */
static double curve_at(const struct mxt_curve *c, double x) {
    if (c->n == 0) return 0;
    if (x <= c->x[0]) return c->y[0];
    for (int i = 1; i < c->n; i++) {
        if (x > c->x[i]) continue;
        double t = (log(x) - log(c->x[i - 1])) / (log(c->x[i]) - log(c->x[i - 1]));
        return exp(log(c->y[i - 1]) + t * (log(c->y[i]) - log(c->y[i - 1])));
    }
    return c->y[c->n - 1];
}

/* The geometric middle of the widest stretch of x without a level line. */
static double widest_gap(const struct mxt_machine *m, double xlo, double xhi) {
    double xs[2 * MXT_MAX_LEVELS + 2];
    int n = 0;
    xs[n++] = xlo;
    xs[n++] = xhi;
    for (int k = 0; k < m->n_caches; k++) {
        double v[2] = {(double)m->caches[k].size_bytes, (double)m->caches[k].usable_bytes};
        for (int i = 0; i < 2; i++)
            if (v[i] > xlo && v[i] < xhi) xs[n++] = v[i];
    }
    for (int i = 1; i < n; i++) /* insertion sort: a handful of values */
        for (int j = i; j > 0 && xs[j] < xs[j - 1]; j--) {
            double t = xs[j];
            xs[j] = xs[j - 1];
            xs[j - 1] = t;
        }
    /* A level's label stands just right of its line: start the gap after it. */
    double best = sqrt(xlo * xhi), gap = 0;
    for (int i = 1; i < n; i++)
        if (xs[i] / xs[i - 1] > gap) {
            gap = xs[i] / xs[i - 1];
            best = sqrt(xs[i] * xs[i - 1] * 1.3);
        }
    return best;
}

static void write_dat(FILE *f, const struct probe_picture *p, const struct mxt_machine *m,
                      const struct mxt_curve *c) {
    fprintf(f, "# mxtune %s curve of machine %s (", p->name, m->fingerprint);
    for (const char *s = m->brand; *s; s++) /* a newline would end the comment */
        fputc((unsigned char)*s >= 0x20 && *s != 0x7f ? *s : '?', f);
    fprintf(f,
            "), newest stored probe run\n"
            "# units: bytes, ns, GB/s (10^9 bytes/s)\n"
            "# index 0: the curve\n# bytes %s\n",
            p->ycol);
    for (int i = 0; i < c->n; i++)
        fprintf(f, "%.17g %.17g\n", c->x[i], c->y[i]);
    fprintf(f, "\n\n# index 1: the levels of the stored profile\n"
               "# level nominal_bytes usable_bytes latency_ns bw_read_GBps\n");
    for (int k = 0; k < m->n_caches; k++) {
        const struct mxt_cache *cc = &m->caches[k];
        fprintf(f, "%d %llu %llu %.17g %.17g\n", cc->level, (unsigned long long)cc->size_bytes,
                (unsigned long long)cc->usable_bytes, cc->latency_ns, cc->bw_read_GBps);
    }
}

/* The script: levels as arrows and rotated labels, DRAM as a horizontal line. */
static void write_gp(FILE *f, const struct probe_picture *p, const struct mxt_machine *m,
                     const struct mxt_curve *c) {
    double xlo = c->x[0], xhi = c->x[c->n - 1], ylo = c->y[0], yhi = c->y[0];
    for (int i = 0; i < c->n; i++) {
        ylo = c->y[i] < ylo ? c->y[i] : ylo;
        yhi = c->y[i] > yhi ? c->y[i] : yhi;
    }
    double dram = p->latency ? m->dram.latency_ns : m->dram.read_1t;
    if (dram > 0) {
        ylo = dram < ylo ? dram : ylo;
        yhi = dram > yhi ? dram : yhi;
    }
    /* Whole octaves, a hair wider so gnuplot keeps the tics at both ends. */
    xlo = exp2(floor(log2(xlo))) / 1.02;
    xhi = exp2(ceil(log2(xhi))) * 1.02;
    /* Room above and below the curve for the level labels. */
    ylo /= 1.6;
    yhi *= 1.6;

    fprintf(f,
            "# mxtune %s picture. Re-plot: run `gnuplot %s.gp` in this directory;\n"
            "# it reads %s.dat and writes %s.png and %s.svg.\n",
            p->name, p->name, p->name, p->name, p->name);
    fprintf(f, "reset\nset title ");
    char title[256];
    snprintf(title, sizeof title, "%s -- %s", p->title, m->brand[0] ? m->brand : m->fingerprint);
    gp_string(f, title);
    fprintf(f, "\nset xlabel 'working-set size (bytes, log scale)'\nset ylabel ");
    gp_string(f, p->ylabel);
    fprintf(f,
            "\nset logscale x 2\nset logscale y 10\n"
            "set xrange [%.17g:%.17g]\nset yrange [%.17g:%.17g]\n",
            xlo, xhi, ylo, yhi);
    gp_byte_tics(f, "x", xlo, xhi);
    gp_decade_tics(f, "y", ylo, yhi);
    fprintf(f, "set grid xtics ytics lc rgb '#e0e0e0' lt 1\n"
               "set lmargin at screen 0.09\nset rmargin at screen 0.95\n"
               "set bmargin at screen 0.18\nset tmargin at screen 0.92\n"
               "set key at screen 0.5,0.02 center bottom horizontal maxcols 2 box "
               "lc rgb '#aaaaaa'\n"
               "set style textbox opaque noborder margins 1,1\n");
    int tag = 1;
    for (int k = 0; k < m->n_caches; k++) {
        const struct mxt_cache *cc = &m->caches[k];
        const char *col = rpt_level_colour(cc->level);
        char lv[8], sz[32], text[64];
        double x = (double)cc->size_bytes, u = (double)cc->usable_bytes;
        if (!(x > 0)) continue;
        rpt_level_name(cc, lv, sizeof lv);
        mxt_format_bytes(cc->size_bytes, sz, sizeof sz);
        snprintf(text, sizeof text, "%s %s", lv, sz);
        if (x >= xlo && x <= xhi)
            fprintf(f,
                    "set arrow %d from %.17g, graph 0 to %.17g, graph 1 nohead lw 1.5 dt 1 "
                    "lc rgb '%s' back\n",
                    tag++, x, x, col);
        if (u > 0 && u < x && u >= xlo)
            fprintf(f,
                    "set arrow %d from %.17g, graph 0 to %.17g, graph 1 nohead lw 1.5 dt 2 "
                    "lc rgb '%s' back\n",
                    tag++, u, u, col);
        if (x < xlo || x > xhi) continue;
        /* The label goes right of the nominal line, at the end of the plot
         * the curve is far from there: the top where the curve is low. */
        double yc = curve_at(c, x * 1.3);
        int low = log(yc / ylo) < 0.5 * log(yhi / ylo);
        fprintf(f, "set label %d ", k + 1);
        gp_string(f, text);
        fprintf(f, " at %.17g, graph %s rotate by 90 %s offset 1.4,0 tc rgb '%s' boxed front\n", x,
                low ? "0.97" : "0.03", low ? "right" : "left", col);
    }
    if (dram > 0) {
        char v[32], text[64];
        rpt_value(dram, v, sizeof v);
        snprintf(text, sizeof text, p->latency ? "DRAM %s ns" : "DRAM %s GB/s", v);
        fprintf(f,
                "set arrow %d from graph 0, first %.17g to graph 1, first %.17g nohead lw 1.5 "
                "dt 3 lc rgb '%s' back\n",
                tag++, dram, dram, rpt_level_colour(0));
        fprintf(f, "set label %d ", MXT_MAX_LEVELS + 1);
        gp_string(f, text);
        /* In the widest gap between level lines, on the side away from the
         * curve: above for latency (the curve is below DRAM), below for bandwidth. */
        fprintf(f, " at %.17g, %.17g center offset 0,%s tc rgb '%s' boxed front\n",
                widest_gap(m, xlo, xhi), dram, p->latency ? "0.8" : "-0.8", rpt_level_colour(0));
    }
    gp_png(f, p->name);
    fprintf(f,
            "plot '%s.dat' index 0 using 1:2 with linespoints pt 7 ps 0.7 lw 2 "
            "lc rgb '#222222' title ",
            p->name);
    gp_string(f, p->curve_title);
    fprintf(f, ", \\\n     NaN with lines lw 1.5 dt 1 lc rgb '#666666' "
               "title 'nominal size of a level', \\\n"
               "     NaN with lines lw 1.5 dt 2 lc rgb '#666666' title 'usable size'");
    if (dram > 0)
        fprintf(f, ", \\\n     NaN with lines lw 1.5 dt 3 lc rgb '%s' title '%s'",
                rpt_level_colour(0), p->latency ? "DRAM latency" : "DRAM read, one thread");
    fprintf(f, "\n");
    gp_svg(f, p->name);
}

int mxt_report_write_probe(const char *dir, const struct mxt_report_input *in,
                           struct mxt_report_files *files) {
    char path[PATH_MAX];
    FILE *f = NULL;
    int rc = 0;
    if (!in->have_curves)
        return mxt_error(MXT_ENODATA, "no probe curves stored for machine '%s'",
                         in->machine.fingerprint);
    for (size_t i = 0; i < MXT_ARRAY_LEN(probe_pictures); i++) {
        const struct probe_picture *p = &probe_pictures[i];
        const struct mxt_curve *c = p->latency ? &in->curves.latency : &in->curves.bandwidth;
        char file[32];
        if (c->n < 2)
            return mxt_error(MXT_ENODATA, "the stored %s curve of '%s' has %d points", p->name,
                             in->machine.fingerprint, c->n);
        snprintf(file, sizeof file, "%s.dat", p->name);
        if ((rc = rpt_open(dir, file, path, sizeof path, &f))) goto fail;
        write_dat(f, p, &in->machine, c);
        rc = rpt_close(f, path, files);
        f = NULL;
        if (rc) goto fail;
        snprintf(file, sizeof file, "%s.gp", p->name);
        if ((rc = rpt_open(dir, file, path, sizeof path, &f))) goto fail;
        write_gp(f, p, &in->machine, c);
        rc = rpt_close(f, path, files);
        f = NULL;
        if (rc) goto fail;
    }
    return 0;
fail:
    if (f) fclose(f);
    return rc;
}
