/* CLI helpers around the machine profile (cli/): this machine's stored
 * profile, and the human-readable profile table used by `probe` and
 * `machine show`. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "mxt_common.h"
#include "mxt_db.h"
#include "probes.h"

int cli_load_this_machine(const char *db_path, struct mxt_machine *m) {
    struct mxt_machine id;
    int rc = mxt_probe_identify(NULL, &id);
    if (rc) return rc;
    struct mxt_db *db = NULL;
    rc = mxt_db_open(db_path, MXT_DB_READONLY, &db);
    if (rc) return rc;
    rc = mxt_db_get_machine(db, id.fingerprint, m);
    if (rc == MXT_ENOTFOUND)
        rc = mxt_error(MXT_ENOTFOUND,
                       "no profile for this machine (fingerprint %s) in '%s': run 'mxtune probe' "
                       "first",
                       id.fingerprint, mxt_db_path(db));
    mxt_db_close(db);
    return rc;
}

static void bw_text(double v, char *buf, size_t n) {
    if (v > 0)
        snprintf(buf, n, "%.1f GB/s", v);
    else
        snprintf(buf, n, "-");
}

void cli_print_machine(FILE *f, const struct mxt_machine *m) {
    fprintf(f, "machine   %s%s%s\n", m->brand[0] ? m->brand : "(unknown CPU)",
            m->name[0] ? " -- " : "", m->name);
    fprintf(f,
            "          %s family %d model %d stepping %d, %d cores x %d threads, fingerprint %s\n",
            m->vendor, m->family, m->model, m->stepping, m->cores,
            m->threads_per_core ? m->threads_per_core : 1, m->fingerprint);
    fprintf(f, "\n%-6s %10s %10s %9s %8s %12s %5s %5s %4s  %s\n", "level", "size", "usable",
            "latency", "cycles", "read (1 core)", "ways", "line", "conf", "provenance");
    for (int i = 0; i < m->n_caches; i++) {
        const struct mxt_cache *c = &m->caches[i];
        char lv[8], sz[24], us[24], bw[24], lat[24], cyc[24];
        snprintf(lv, sizeof lv, "L%d%s", c->level, c->type == MXT_CACHE_DATA ? "d" : "");
        mxt_format_bytes(c->size_bytes, sz, sizeof sz);
        mxt_format_bytes(c->usable_bytes, us, sizeof us);
        bw_text(c->bw_read_GBps, bw, sizeof bw);
        if (c->latency_ns > 0)
            snprintf(lat, sizeof lat, "%.2f ns", c->latency_ns);
        else
            snprintf(lat, sizeof lat, "-");
        if (c->latency_cycles > 0)
            snprintf(cyc, sizeof cyc, "%.1f", c->latency_cycles);
        else
            snprintf(cyc, sizeof cyc, "-");
        fprintf(f, "%-6s %10s %10s %9s %8s %12s %5d %5d %4.2f  %s\n", lv, sz, us, lat, cyc, bw,
                c->ways, c->line_bytes, c->confidence, mxt_provenance_name(c->provenance));
    }
    const struct mxt_dram *d = &m->dram;
    if (d->provenance != MXT_PROV_NONE || d->latency_ns > 0) {
        char lat[24];
        if (d->latency_ns > 0)
            snprintf(lat, sizeof lat, "%.1f ns", d->latency_ns);
        else
            snprintf(lat, sizeof lat, "-");
        fprintf(f, "%-6s %10s %10s %9s %8s %12s\n", "DRAM", "", "", lat, "", "");
        const double x[6] = {d->read_1t,  d->read_all, d->copy_1t,
                             d->copy_all, d->triad_1t, d->triad_all};
        char v[6][24];
        for (int i = 0; i < 6; i++)
            bw_text(x[i], v[i], sizeof v[i]); /* "-": not measured */
        fprintf(
            f,
            "       bandwidth (1 thread / all): read %s / %s, copy %s / %s, triad %s / %s  [%s]\n",
            v[0], v[1], v[2], v[3], v[4], v[5], mxt_provenance_name(d->provenance));
    }
    const struct mxt_compute *c = &m->compute;
    if (c->provenance != MXT_PROV_NONE) {
        fprintf(f, "\npeak      f32 %.1f GFLOP/s (1 core), %.1f (all); f64 %.1f, %.1f  [%s]\n",
                c->f32_1t, c->f32_all, c->f64_1t, c->f64_all, mxt_provenance_name(c->provenance));
        fprintf(f,
                "          %d-bit vectors, %d FMA/cycle, FMA latency %.1f cycles, core clock "
                "%.2f GHz (TSC %.2f GHz)\n",
                c->vector_bits, c->fma_per_cycle, c->fma_latency_cycles, c->clock_ghz, c->tsc_ghz);
    }
    int header = 0;
    for (int i = 0; i < m->n_priors; i++) {
        const struct mxt_prior *p = &m->priors[i];
        if (p->used) continue;
        if (!header++) fprintf(f, "\nrejected priors\n");
        char v[24];
        if (strstr(p->what, "size"))
            mxt_format_bytes(p->value, v, sizeof v);
        else
            snprintf(v, sizeof v, "%llu", (unsigned long long)p->value);
        fprintf(f, "  %-14s %-10s (%s): %s\n", p->what, v, mxt_provenance_name(p->source), p->why);
    }
    if (m->n_warnings) fprintf(f, "\nwarnings\n");
    for (int i = 0; i < m->n_warnings; i++)
        fprintf(f, "  %s\n", m->warnings[i]);
}
