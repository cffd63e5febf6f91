/* The probe's raw curves as JSON (probes/): stored with every probe run for
 * reports, and read back by the replay tests of level detection. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include "probes.h"

static const char *const bw_cols[4] = {"load", "store", "copy", "triad"};

static cJSON *curve_json(const struct mxt_curve *c, const char *xname, const char *yname) {
    cJSON *o = cJSON_CreateObject();
    cJSON *x = cJSON_AddArrayToObject(o, xname), *y = cJSON_AddArrayToObject(o, yname);
    for (int i = 0; i < c->n; i++) {
        cJSON_AddItemToArray(x, cJSON_CreateNumber(c->x[i]));
        cJSON_AddItemToArray(y, cJSON_CreateNumber(c->y[i]));
    }
    return o;
}

int mxt_probe_curves_to_json(const struct mxt_probe_curves *c, char **out) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return mxt_error(MXT_ENOMEM, "out of memory writing curves");
    cJSON_AddStringToObject(root, "schema", "mxtune.curves/1");
    cJSON_AddItemToObject(root, "latency", curve_json(&c->latency, "bytes", "ns"));
    cJSON_AddItemToObject(root, "bandwidth", curve_json(&c->bandwidth, "bytes", "GBps"));
    cJSON_AddItemToObject(root, "line", curve_json(&c->line, "distance", "ns"));
    cJSON_AddItemToObject(root, "ways", curve_json(&c->ways, "addresses", "ns"));
    cJSON_AddItemToObject(root, "fma", curve_json(&c->fma, "bits", "GFLOPs"));
    cJSON *lb = cJSON_AddArrayToObject(root, "level_bw");
    for (int k = 0; k < c->n_levels && k <= MXT_MAX_LEVELS; k++) {
        cJSON *row = cJSON_CreateObject();
        if (k == c->n_levels - 1)
            cJSON_AddStringToObject(row, "level", "DRAM");
        else
            cJSON_AddNumberToObject(row, "level", k + 1);
        for (int i = 0; i < 4; i++) {
            cJSON *pair = cJSON_CreateArray();
            cJSON_AddItemToArray(pair, cJSON_CreateNumber(c->level_bw[k][i][0]));
            cJSON_AddItemToArray(pair, cJSON_CreateNumber(c->level_bw[k][i][1]));
            cJSON_AddItemToObject(row, bw_cols[i], pair);
        }
        cJSON_AddItemToArray(lb, row);
    }
    cJSON_AddNumberToObject(root, "clock_before_ghz", c->clock_before_ghz);
    cJSON_AddNumberToObject(root, "clock_after_ghz", c->clock_after_ghz);
    cJSON_AddNumberToObject(root, "noise_spread", c->noise_cv);
    cJSON_AddNumberToObject(root, "seconds", c->seconds);
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!s) return mxt_error(MXT_ENOMEM, "out of memory writing curves");
    *out = s;
    return 0;
}

static int curve_from(const cJSON *root, const char *key, const char *xname, const char *yname,
                      struct mxt_curve *c) {
    memset(c, 0, sizeof *c);
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!o) return 0;
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, xname);
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(o, yname);
    if (!cJSON_IsArray(x) || !cJSON_IsArray(y) || cJSON_GetArraySize(x) != cJSON_GetArraySize(y))
        return mxt_error(MXT_EFORMAT, "curves: '%s' needs arrays '%s' and '%s' of equal length",
                         key, xname, yname);
    int n = cJSON_GetArraySize(x);
    for (int i = 0; i < n && i < MXT_CURVE_MAX; i++) {
        const cJSON *xi = cJSON_GetArrayItem(x, i), *yi = cJSON_GetArrayItem(y, i);
        if (!cJSON_IsNumber(xi) || !cJSON_IsNumber(yi))
            return mxt_error(MXT_EFORMAT, "curves: '%s' point %d is not numeric", key, i);
        mxt_curve_add(c, xi->valuedouble, yi->valuedouble);
    }
    return 0;
}

int mxt_probe_curves_from_json(const char *text, struct mxt_probe_curves *c) {
    memset(c, 0, sizeof *c);
    cJSON *root = cJSON_Parse(text);
    if (!root) return mxt_error(MXT_EFORMAT, "curves: not valid JSON");
    int rc = 0;
    if ((rc = curve_from(root, "latency", "bytes", "ns", &c->latency))) goto done;
    if ((rc = curve_from(root, "bandwidth", "bytes", "GBps", &c->bandwidth))) goto done;
    if ((rc = curve_from(root, "line", "distance", "ns", &c->line))) goto done;
    if ((rc = curve_from(root, "ways", "addresses", "ns", &c->ways))) goto done;
    if ((rc = curve_from(root, "fma", "bits", "GFLOPs", &c->fma))) goto done;
    const cJSON *lb = cJSON_GetObjectItemCaseSensitive(root, "level_bw"), *row;
    cJSON_ArrayForEach(row, lb) {
        if (c->n_levels > MXT_MAX_LEVELS) break;
        for (int i = 0; i < 4; i++) {
            const cJSON *pair = cJSON_GetObjectItemCaseSensitive(row, bw_cols[i]);
            for (int t = 0; t < 2; t++) {
                const cJSON *v = cJSON_GetArrayItem(pair, t);
                c->level_bw[c->n_levels][i][t] = cJSON_IsNumber(v) ? v->valuedouble : 0;
            }
        }
        c->n_levels++;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "seconds");
    if (cJSON_IsNumber(v)) c->seconds = v->valuedouble;
done:
    cJSON_Delete(root);
    return rc;
}
