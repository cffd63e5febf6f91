/* `mxtune export --format json` (reports/): the winners as one JSON document of
 * schema mxtune.export/1 (docs/formats.md), built with cJSON so every string
 * from the database is escaped by the library. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include "mxt_common.h"
#include "mxt_export.h"
#include "mxt_db_tune.h"

/* Each adder returns 0 when out of memory (the document is then dropped). */
static int add_str(cJSON *o, const char *key, const char *v) {
    return cJSON_AddStringToObject(o, key, v ? v : "") != NULL;
}
static int add_num(cJSON *o, const char *key, double v) {
    return cJSON_AddNumberToObject(o, key, v) != NULL;
}
static int add_bool(cJSON *o, const char *key, int v) {
    return cJSON_AddBoolToObject(o, key, v) != NULL;
}

static int add_item(cJSON *o, const char *key, cJSON *item) {
    if (!item) return 0;
    if (!cJSON_AddItemToObject(o, key, item)) {
        cJSON_Delete(item);
        return 0;
    }
    return 1;
}

static cJSON *problem_json(const struct mxt_db_problem *p) {
    cJSON *o = cJSON_CreateObject();
    int ok = o && add_str(o, "op", p->op) && add_str(o, "dtype", mxt_dtype_name(p->dtype)) &&
             add_num(o, "m", (double)p->m) && add_num(o, "n", (double)p->n) &&
             add_num(o, "k", (double)p->k) && add_num(o, "threads", p->threads) &&
             add_str(o, "layout", p->col_major ? "col-major" : "row-major") &&
             add_bool(o, "trans_a", p->trans_a) && add_bool(o, "trans_b", p->trans_b) &&
             add_bool(o, "beta_zero", p->beta_zero) && add_num(o, "batch", (double)p->batch) &&
             add_num(o, "rank", (double)p->rank) && add_num(o, "density", p->density) &&
             add_str(o, "spec", p->spec);
    if (ok) return o;
    cJSON_Delete(o);
    return NULL;
}

static cJSON *measured_json(const struct mxt_db_measurement *m) {
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)m->seed);
    cJSON *o = cJSON_CreateObject();
    int ok = o && add_num(o, "gflops", m->gflops) && add_num(o, "median_s", m->median_s) &&
             add_num(o, "min_s", m->min_s) && add_num(o, "q20_s", m->q20_s) &&
             add_num(o, "q80_s", m->q80_s) && add_num(o, "repeats", m->repeats) &&
             add_num(o, "predicted_s", m->predicted_s) && add_str(o, "strategy", m->strategy) &&
             add_str(o, "seed", seed) && add_str(o, "kernel_version", m->kernel_version) &&
             add_str(o, "mxtune_version", m->mxtune_version) &&
             add_str(o, "compiler", m->compiler) && add_str(o, "created", m->created);
    if (ok) return o;
    cJSON_Delete(o);
    return NULL;
}

static cJSON *entry_json(const struct mxt_export_entry *e) {
    cJSON *o = cJSON_CreateObject();
    /* Provenance is stored as JSON; anything that does not parse is kept as a string. */
    cJSON *prov = cJSON_Parse(e->t.provenance);
    if (!prov) prov = cJSON_CreateString(e->t.provenance);
    int ok = o && add_str(o, "name", e->name) &&
             add_item(o, "problem", problem_json(&e->t.problem)) &&
             add_item(o, "config", mxt_db_config_json(&e->t.best.config)) &&
             add_item(o, "measured", measured_json(&e->t.best)) &&
             add_num(o, "peak_gflops", e->peak_gflops) && add_num(o, "pct_peak", e->pct_peak) &&
             add_str(o, "tuned", e->t.created) && add_item(o, "provenance", prov);
    prov = NULL;
    if (ok) return o;
    cJSON_Delete(o);
    return NULL;
}

static cJSON *default_json(const struct mxt_export_default *d) {
    cJSON *o = cJSON_CreateObject();
    int ok = o && add_str(o, "source", mxt_export_default_source_name(d->source)) &&
             add_str(o, "why", d->why) && add_item(o, "config", mxt_db_config_json(&d->config));
    if (ok && d->source == MXT_EXPORT_DEFAULT_WINNER)
        ok = add_num(o, "wins", d->wins) && add_num(o, "of", d->of);
    if (ok) return o;
    cJSON_Delete(o);
    return NULL;
}

static cJSON *machine_json(const struct mxt_machine *m) {
    cJSON *o = cJSON_CreateObject(), *peak = NULL;
    int ok = o && add_str(o, "fingerprint", m->fingerprint) && add_str(o, "name", m->name) &&
             add_str(o, "vendor", m->vendor) && add_str(o, "brand", m->brand) &&
             add_num(o, "cores", m->cores) && add_num(o, "threads_per_core", m->threads_per_core) &&
             (peak = cJSON_AddObjectToObject(o, "peak_gflops")) &&
             add_num(peak, "f32_1t", m->compute.f32_1t) &&
             add_num(peak, "f32_all", m->compute.f32_all) &&
             add_num(peak, "f64_1t", m->compute.f64_1t) &&
             add_num(peak, "f64_all", m->compute.f64_all);
    if (ok) return o;
    cJSON_Delete(o);
    return NULL;
}

int mxt_export_json(const struct mxt_export *x, char **out) {
    cJSON *root = cJSON_CreateObject(), *list = NULL, *defs = NULL, *blis = NULL;
    *out = NULL;
    int ok = root && add_str(root, "schema", "mxtune.export/1") &&
             add_str(root, "mxtune_version", x->version) && add_str(root, "created", x->created) &&
             add_str(root, "database", x->db_path) &&
             add_item(root, "machine", machine_json(&x->machine)) && add_str(root, "op", x->op) &&
             add_num(root, "stale_left_out", x->stale) &&
             (list = cJSON_AddArrayToObject(root, "entries")) &&
             (defs = cJSON_AddObjectToObject(root, "defaults")) &&
             (blis = cJSON_AddObjectToObject(root, "blis"));
    for (size_t i = 0; ok && i < x->n; i++) {
        cJSON *e = entry_json(&x->e[i]);
        ok = e && cJSON_AddItemToArray(list, e);
        if (!ok) cJSON_Delete(e);
    }
    for (int dt = MXT_F32; ok && dt <= MXT_F64; dt++)
        ok = add_item(defs, mxt_dtype_name((enum mxt_dtype)dt), default_json(&x->def[dt])) &&
             add_item(blis, mxt_dtype_name((enum mxt_dtype)dt), default_json(&x->blis[dt]));
    if (ok) *out = cJSON_Print(root);
    cJSON_Delete(root);
    return *out ? 0 : mxt_error(MXT_ENOMEM, "out of memory writing the JSON export");
}
