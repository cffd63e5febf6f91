/* index.html of a report (reports/): one self-contained page (no external
 * resources) with the machine's table, the roofline's ceilings and points, and
 * the pictures by relative path; every stored string is HTML-escaped. */
#include <limits.h>
#include <string.h>
#include "mxt_common.h"
#include "report_internal.h"

static void esc(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
        }
    }
}

static void cell_value(FILE *f, double v, const char *unit) {
    char b[32];
    if (!(v > 0)) {
        fputs("<td class=\"n\">&ndash;</td>", f);
        return;
    }
    rpt_value(v, b, sizeof b);
    fprintf(f, "<td class=\"n\">%s%s%s</td>", b, unit[0] ? " " : "", unit);
}

static void cell_bytes(FILE *f, uint64_t v) {
    char b[32];
    if (!v) {
        fputs("<td class=\"n\">&ndash;</td>", f);
        return;
    }
    mxt_format_bytes(v, b, sizeof b);
    fprintf(f, "<td class=\"n\">%s</td>", b);
}

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em auto;max-width:1000px;color:#222;padding:0 1em}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}"
    "th{background:#f2f2f2}td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-"
    "nums}"
    "figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #ddd}"
    "figcaption{font-size:.9em;color:#555}.note{color:#8a5a00}code{background:#f4f4f4}";

/* Writes body data-loaded="N/M" once every image has loaded or failed, so a
 * headless browser can check the page rendered with its pictures. */
static const char loaded_script[] =
    "<script>window.addEventListener('load',function(){var im=document.images,ok=0;"
    "for(var i=0;i<im.length;i++)if(im[i].complete&&im[i].naturalWidth>0)ok++;"
    "document.body.setAttribute('data-loaded',ok+'/'+im.length);});</script>\n";

static void machine_section(FILE *f, const struct mxt_machine *m, const struct mxt_roofline *r) {
    fprintf(f, "<h2>Machine</h2>\n<p>");
    esc(f, m->brand[0] ? m->brand : "(unknown CPU)");
    if (m->name[0]) {
        fputs(" &mdash; ", f);
        esc(f, m->name);
    }
    fprintf(f, "<br>");
    esc(f, m->vendor);
    fprintf(f, " family %d model %d stepping %d, %d cores &times; %d threads, fingerprint <code>",
            m->family, m->model, m->stepping, m->cores,
            m->threads_per_core ? m->threads_per_core : 1);
    esc(f, m->fingerprint);
    fprintf(f, "</code>");
    if (m->n_isa) fprintf(f, "<br>ISA:");
    for (int i = 0; i < m->n_isa; i++) {
        fputc(' ', f);
        esc(f, m->isa[i]);
    }
    fprintf(f, "</p>\n<table>\n<tr><th>level</th><th>size</th><th>usable</th><th>line</th>"
               "<th>ways</th><th>shared by</th><th>latency</th><th>read, 1 core</th>"
               "<th>roofline ceiling, all cores</th><th>provenance</th><th>confidence</th></tr>\n");
    for (int i = 0; i < m->n_caches; i++) {
        const struct mxt_cache *c = &m->caches[i];
        char lv[8], name[16];
        double ceiling = 0;
        rpt_level_name(c, lv, sizeof lv);
        snprintf(name, sizeof name, "L%d", c->level);
        for (int k = 0; k < r->n; k++)
            if (strcmp(r->c[k].name, name) == 0) ceiling = r->c[k].value;
        fprintf(f, "<tr><th>%s</th>", lv);
        cell_bytes(f, c->size_bytes);
        cell_bytes(f, c->usable_bytes);
        fprintf(f, "<td class=\"n\">%d B</td><td class=\"n\">%d</td><td class=\"n\">%d</td>",
                c->line_bytes, c->ways, c->shared_by);
        cell_value(f, c->latency_ns, "ns");
        cell_value(f, c->bw_read_GBps, "GB/s");
        cell_value(f, ceiling, "GB/s");
        fprintf(f, "<td>%s</td><td class=\"n\">%.2f</td></tr>\n",
                mxt_provenance_name(c->provenance), c->confidence);
    }
    const struct mxt_dram *d = &m->dram;
    fprintf(f, "<tr><th>DRAM</th><td></td><td></td><td></td><td></td><td></td>");
    cell_value(f, d->latency_ns, "ns");
    cell_value(f, d->read_1t, "GB/s");
    cell_value(f, d->read_all, "GB/s");
    fprintf(f, "<td>%s</td><td></td></tr>\n</table>\n", mxt_provenance_name(d->provenance));
}

/* DRAM bandwidths and peak GFLOP/s, one thread and all cores. */
static void compute_section(FILE *f, const struct mxt_machine *m) {
    const struct mxt_dram *d = &m->dram;
    const struct mxt_compute *c = &m->compute;
    fprintf(f, "<table>\n<tr><th></th><th>one thread</th><th>all cores</th></tr>\n");
    static const char *const rows[] = {"DRAM read", "DRAM copy", "DRAM triad"};
    const double v[3][2] = {
        {d->read_1t, d->read_all}, {d->copy_1t, d->copy_all}, {d->triad_1t, d->triad_all}};
    for (int i = 0; i < 3; i++) {
        fprintf(f, "<tr><th>%s</th>", rows[i]);
        cell_value(f, v[i][0], "GB/s");
        cell_value(f, v[i][1], "GB/s");
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "<tr><th>peak f32</th>");
    cell_value(f, c->f32_1t, "GFLOP/s");
    cell_value(f, c->f32_all, "GFLOP/s");
    fprintf(f, "</tr>\n<tr><th>peak f64</th>");
    cell_value(f, c->f64_1t, "GFLOP/s");
    cell_value(f, c->f64_all, "GFLOP/s");
    fprintf(f,
            "</tr>\n</table>\n<p>%d-bit vectors, %d FMA per cycle, FMA latency %.1f cycles, "
            "core clock %.2f GHz (TSC %.2f GHz); compute %s. GB = 10<sup>9</sup> bytes, "
            "bytes read plus written; an FMA counts 2 FLOP.</p>\n",
            c->vector_bits, c->fma_per_cycle, c->fma_latency_cycles, c->clock_ghz, c->tsc_ghz,
            mxt_provenance_name(c->provenance));
}

/* The ceiling that bounds a point: as mxt_roofline_bound, but a point that
 * knows its dtype's peak is bounded by that peak, never by the other dtype's. */
static const struct mxt_ceiling *point_bound(const struct mxt_roofline *r,
                                             const struct mxt_roof_point *p) {
    if (!(p->peak_gflops > 0)) return mxt_roofline_bound(r, p->intensity, p->gflops);
    struct mxt_roofline own = *r;
    own.n = 0;
    for (int i = 0; i < r->n; i++)
        if (r->c[i].kind != MXT_CEILING_COMPUTE || r->c[i].value == p->peak_gflops)
            own.c[own.n++] = r->c[i];
    const struct mxt_ceiling *b = mxt_roofline_bound(&own, p->intensity, p->gflops);
    for (int i = 0; b && i < r->n; i++) /* the same ceiling in r, not in the local copy */
        if (strcmp(r->c[i].name, b->name) == 0) return &r->c[i];
    return NULL;
}

static void roofline_section(FILE *f, const struct mxt_roofline *r,
                             const struct mxt_report_input *in) {
    fprintf(f, "<h2>Roofline ceilings</h2>\n<table>\n<tr><th>ceiling</th><th>value</th>"
               "<th>from</th></tr>\n");
    for (int i = 0; i < r->n; i++) {
        const struct mxt_ceiling *c = &r->c[i];
        fprintf(f, "<tr><th>");
        esc(f, c->name);
        fprintf(f, "</th>");
        cell_value(f, c->value, c->kind == MXT_CEILING_COMPUTE ? "GFLOP/s" : "GB/s");
        fprintf(f, "<td>");
        esc(f, c->source);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table>\n");
    for (int i = 0; i < r->n_notes; i++) {
        fprintf(f, "<p class=\"note\">");
        esc(f, r->notes[i]);
        fprintf(f, "</p>\n");
    }
    if (!in->n_points) {
        fprintf(f, "<p>No measured runs or model predictions to place on the roofline yet "
                   "(<code>mxtune search</code> stores them).</p>\n");
        return;
    }
    fprintf(f, "<table>\n<tr><th>run</th><th>kind</th><th>FLOP/byte</th><th>GFLOP/s</th>"
               "<th>roof</th><th>of roof</th><th>of peak</th><th>bound by</th></tr>\n");
    double peak = 0;
    for (int i = 0; i < r->n; i++)
        if (r->c[i].kind == MXT_CEILING_COMPUTE && r->c[i].value > peak) peak = r->c[i].value;
    for (size_t i = 0; i < in->n_points; i++) {
        const struct mxt_roof_point *p = &in->points[i];
        double roof = mxt_roofline_roof(r, p->intensity);
        if (p->peak_gflops > 0 && p->peak_gflops < roof) roof = p->peak_gflops;
        double its_peak = p->peak_gflops > 0 ? p->peak_gflops : peak; /* its dtype's */
        const struct mxt_ceiling *b = point_bound(r, p);
        fprintf(f, "<tr><td>");
        if (p->label[0])
            esc(f, p->label);
        else /* an unlabelled model point predicts the run above it */
            fputs("&#8627; the model for the run above", f);
        fprintf(f, "</td><td>%s</td>", p->kind == MXT_POINT_MODEL ? "model" : "measured");
        cell_value(f, p->intensity, "");
        cell_value(f, p->gflops, "");
        cell_value(f, roof, "");
        fprintf(f, "<td class=\"n\">%.0f %%</td>", roof > 0 ? 100 * p->gflops / roof : 0);
        fprintf(f, "<td class=\"n\">%.0f %%</td><td>",
                its_peak > 0 ? 100 * p->gflops / its_peak : 0);
        if (b)
            esc(f, b->name);
        else
            fputs("<span class=\"note\">above every ceiling: check the run</span>", f);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table>\n");
}

static const struct {
    const char *name, *caption;
} captions[] = {
    {"roofline", "Roofline: attainable GFLOP/s against arithmetic intensity; the ceilings come "
                 "from the measured profile."},
    {"model", "The model against the measurements: predicted against measured time of every "
              "measured configuration (log-log), winners ringed; the title gives the error "
              "statistics."},
    {"latency", "Load-to-use latency against working-set size; solid lines: nominal size of each "
                "detected level, dashed: usable size."},
    {"bandwidth", "Read bandwidth of one thread against working-set size, levels marked as "
                  "above."},
};

static void picture(FILE *f, const char *name) {
    const char *caption = "";
    for (size_t i = 0; i < MXT_ARRAY_LEN(captions); i++)
        if (strcmp(captions[i].name, name) == 0) caption = captions[i].caption;
    fprintf(f,
            "<figure id=\"%s\"><a href=\"%s.svg\"><img src=\"%s.png\" width=\"%d\" "
            "height=\"%d\" alt=\"%s picture\"></a>\n<figcaption>%s "
            "<a href=\"%s.svg\">SVG</a> &middot; <a href=\"%s.dat\">data</a> &middot; "
            "<a href=\"%s.gp\">gnuplot script</a></figcaption></figure>\n",
            name, name, name, RPT_WIDTH, RPT_HEIGHT, name, caption, name, name, name);
}

static void priors_section(FILE *f, const struct mxt_machine *m) {
    int header = 0;
    for (int i = 0; i < m->n_priors; i++) {
        const struct mxt_prior *p = &m->priors[i];
        if (p->used) continue;
        if (!header++)
            fprintf(f, "<h2>Rejected priors</h2>\n<table>\n<tr><th>what</th><th>value</th>"
                       "<th>source</th><th>why it was not used</th></tr>\n");
        fprintf(f, "<tr><td>");
        esc(f, p->what);
        fprintf(f, "</td>");
        if (strstr(p->what, "size"))
            cell_bytes(f, p->value);
        else
            fprintf(f, "<td class=\"n\">%llu</td>", (unsigned long long)p->value);
        fprintf(f, "<td>%s</td><td>", mxt_provenance_name(p->source));
        esc(f, p->why);
        fprintf(f, "</td></tr>\n");
    }
    if (header) fprintf(f, "</table>\n");
    if (m->n_warnings) fprintf(f, "<h2>Warnings of the probe</h2>\n<ul>\n");
    for (int i = 0; i < m->n_warnings; i++) {
        fprintf(f, "<li>");
        esc(f, m->warnings[i]);
        fprintf(f, "</li>\n");
    }
    if (m->n_warnings) fprintf(f, "</ul>\n");
}

int mxt_report_write_index(const char *dir, const struct mxt_report_input *in,
                           const char *const *names, size_t n_names,
                           struct mxt_report_files *files) {
    const struct mxt_machine *m = &in->machine;
    struct mxt_roofline r;
    char path[PATH_MAX];
    FILE *f = NULL;
    int rc = rpt_open(dir, "index.html", path, sizeof path, &f);
    if (rc) return rc;
    mxt_roofline_ceilings(m, in->have_curves ? &in->curves : NULL, &r);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<title>mxtune report: ");
    esc(f, m->brand[0] ? m->brand : m->fingerprint);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>mxtune report: ", style);
    esc(f, m->brand[0] ? m->brand : m->fingerprint);
    fprintf(f, "</h1>\n");
    if (n_names) fprintf(f, "<p>Pictures:");
    for (size_t i = 0; i < n_names; i++)
        fprintf(f, " <a href=\"#%s\">%s</a>", names[i], names[i]);
    if (n_names) fprintf(f, "</p>\n");
    machine_section(f, m, &r);
    compute_section(f, m);
    roofline_section(f, &r, in);
    if (n_names) fprintf(f, "<h2>Pictures</h2>\n");
    for (size_t i = 0; i < n_names; i++)
        picture(f, names[i]);
    priors_section(f, m);
    fprintf(f,
            "<p><small>Written by mxtune %s. Each picture NAME is drawn from NAME.dat by "
            "NAME.gp: run <code>gnuplot NAME.gp</code> in this directory to draw it again."
            "</small></p>\n%s</body>\n</html>\n",
            MXT_VERSION, loaded_script);
    return rpt_close(f, path, files);
}
