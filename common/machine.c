/* The machine profile: helpers and the mxtune.machine/1 JSON form (common/).
 * Reading fills the defaults of CLI.md for a hand-written file and lists each
 * default used under `assumed`. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxt_common.h"
#include "mxtune/machine.h"

static const char *const prov_names[] = {"none",    "measured", "sysfs",  "cpuid",
                                         "sysconf", "file",     "default"};
static const char *const cache_type_names[] = {"unified", "data", "instruction"};

const char *mxt_provenance_name(enum mxt_provenance p) {
    return (unsigned)p < MXT_ARRAY_LEN(prov_names) ? prov_names[p] : "none";
}

static enum mxt_provenance prov_parse(const char *s) {
    for (size_t i = 1; s && i < MXT_ARRAY_LEN(prov_names); i++)
        if (strcmp(s, prov_names[i]) == 0) return (enum mxt_provenance)i;
    return MXT_PROV_FILE;
}

void mxt_machine_init(struct mxt_machine *m) {
    memset(m, 0, sizeof *m);
}

const struct mxt_cache *mxt_machine_cache(const struct mxt_machine *m, int level) {
    for (int i = 0; i < m->n_caches; i++)
        if (m->caches[i].level == level) return &m->caches[i];
    return NULL;
}

int mxt_machine_has_isa(const struct mxt_machine *m, const char *name) {
    for (int i = 0; i < m->n_isa; i++)
        if (strcmp(m->isa[i], name) == 0) return 1;
    return 0;
}

void mxt_machine_warn(struct mxt_machine *m, const char *fmt, ...) {
    if (m->n_warnings >= MXT_MAX_NOTES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->warnings[m->n_warnings++], MXT_NOTE_LEN, fmt, ap);
    va_end(ap);
}

void mxt_machine_add_prior(struct mxt_machine *m, const char *what, uint64_t value,
                           enum mxt_provenance source, int used, const char *why) {
    if (m->n_priors >= MXT_MAX_PRIORS) return;
    struct mxt_prior *p = &m->priors[m->n_priors++];
    mxt_strlcpy(p->what, what, sizeof p->what);
    p->value = value;
    p->source = source;
    p->used = used;
    mxt_strlcpy(p->why, why ? why : "", sizeof p->why);
}

/* ---- writing ---- */

/* Round to a few significant digits so the document reads well. */
static double tidy(double v) {
    if (v == 0 || !isfinite(v)) return 0;
    double mag = pow(10.0, floor(log10(fabs(v))) - 3);
    return round(v / mag) * mag;
}

static void add_num(cJSON *o, const char *k, double v) {
    cJSON_AddNumberToObject(o, k, tidy(v));
}

int mxt_machine_to_json(const struct mxt_machine *m, int pretty, char **out) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return mxt_error(MXT_ENOMEM, "out of memory writing the machine profile");
    cJSON_AddStringToObject(root, "schema", "mxtune.machine/1");
    if (m->name[0]) cJSON_AddStringToObject(root, "name", m->name);
    cJSON_AddStringToObject(root, "fingerprint", m->fingerprint);
    cJSON *cpu = cJSON_AddObjectToObject(root, "cpu");
    cJSON_AddStringToObject(cpu, "vendor", m->vendor);
    cJSON_AddNumberToObject(cpu, "family", m->family);
    cJSON_AddNumberToObject(cpu, "model", m->model);
    cJSON_AddNumberToObject(cpu, "stepping", m->stepping);
    cJSON_AddStringToObject(cpu, "brand", m->brand);
    cJSON_AddNumberToObject(root, "cores", m->cores);
    cJSON_AddNumberToObject(root, "threads_per_core",
                            m->threads_per_core ? m->threads_per_core : 1);
    cJSON *isa = cJSON_AddArrayToObject(root, "isa");
    for (int i = 0; i < m->n_isa; i++)
        cJSON_AddItemToArray(isa, cJSON_CreateString(m->isa[i]));
    cJSON *caches = cJSON_AddArrayToObject(root, "caches");
    for (int i = 0; i < m->n_caches; i++) {
        const struct mxt_cache *c = &m->caches[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "level", c->level);
        cJSON_AddStringToObject(o, "type", cache_type_names[c->type]);
        cJSON_AddNumberToObject(o, "size_bytes", (double)c->size_bytes);
        cJSON_AddNumberToObject(o, "usable_bytes", (double)c->usable_bytes);
        cJSON_AddNumberToObject(o, "line_bytes", c->line_bytes);
        cJSON_AddNumberToObject(o, "ways", c->ways);
        cJSON_AddNumberToObject(o, "shared_by", c->shared_by);
        add_num(o, "latency_ns", c->latency_ns);
        add_num(o, "latency_cycles", c->latency_cycles);
        add_num(o, "bw_read_GBps", c->bw_read_GBps);
        cJSON_AddStringToObject(o, "provenance", mxt_provenance_name(c->provenance));
        cJSON_AddNumberToObject(o, "confidence", round(c->confidence * 100) / 100);
        cJSON_AddItemToArray(caches, o);
    }
    cJSON *dram = cJSON_AddObjectToObject(root, "dram");
    add_num(dram, "latency_ns", m->dram.latency_ns);
    cJSON *bw = cJSON_AddObjectToObject(dram, "bw_GBps");
    add_num(bw, "read_1t", m->dram.read_1t);
    add_num(bw, "read_all", m->dram.read_all);
    add_num(bw, "copy_1t", m->dram.copy_1t);
    add_num(bw, "copy_all", m->dram.copy_all);
    add_num(bw, "triad_1t", m->dram.triad_1t);
    add_num(bw, "triad_all", m->dram.triad_all);
    cJSON_AddStringToObject(dram, "provenance", mxt_provenance_name(m->dram.provenance));
    cJSON *cmp = cJSON_AddObjectToObject(root, "compute");
    add_num(cmp, "clock_ghz", m->compute.clock_ghz);
    add_num(cmp, "tsc_ghz", m->compute.tsc_ghz);
    add_num(cmp, "fma_latency_cycles", m->compute.fma_latency_cycles);
    cJSON_AddNumberToObject(cmp, "fma_per_cycle", m->compute.fma_per_cycle);
    cJSON_AddNumberToObject(cmp, "vector_registers", m->compute.vector_registers);
    cJSON_AddNumberToObject(cmp, "vector_bits", m->compute.vector_bits);
    cJSON *pk = cJSON_AddObjectToObject(cmp, "peak_gflops");
    add_num(pk, "f32_1t", m->compute.f32_1t);
    add_num(pk, "f32_all", m->compute.f32_all);
    add_num(pk, "f64_1t", m->compute.f64_1t);
    add_num(pk, "f64_all", m->compute.f64_all);
    for (int w = 0; w < 3; w++)
        for (int d = 0; d < 2; d++) {
            char key[32];
            snprintf(key, sizeof key, "%s_1t_%db", d ? "f64" : "f32", 128 << w);
            if (m->compute.width_1t[w][d] > 0) add_num(pk, key, m->compute.width_1t[w][d]);
        }
    cJSON_AddStringToObject(cmp, "provenance", mxt_provenance_name(m->compute.provenance));
    cJSON *pri = cJSON_AddArrayToObject(root, "priors");
    for (int i = 0; i < m->n_priors; i++) {
        const struct mxt_prior *p = &m->priors[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "what", p->what);
        cJSON_AddNumberToObject(o, "value", (double)p->value);
        cJSON_AddStringToObject(o, "source", mxt_provenance_name(p->source));
        cJSON_AddBoolToObject(o, "used", p->used);
        cJSON_AddStringToObject(o, "why", p->why);
        cJSON_AddItemToArray(pri, o);
    }
    cJSON *w = cJSON_AddArrayToObject(root, "warnings");
    for (int i = 0; i < m->n_warnings; i++)
        cJSON_AddItemToArray(w, cJSON_CreateString(m->warnings[i]));
    if (m->n_assumed) {
        cJSON *a = cJSON_AddArrayToObject(root, "assumed");
        for (int i = 0; i < m->n_assumed; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(m->assumed[i]));
    }
    char *s = pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!s) return mxt_error(MXT_ENOMEM, "out of memory writing the machine profile");
    *out = s;
    return 0;
}

/* ---- reading ---- */

static void assume(struct mxt_machine *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void assume(struct mxt_machine *m, const char *fmt, ...) {
    if (m->n_assumed >= MXT_MAX_NOTES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->assumed[m->n_assumed++], sizeof m->assumed[0], fmt, ap);
    va_end(ap);
}

/* A number field: absent -> 0 (returns 0), wrong type or negative -> error. */
static int get_num(const cJSON *o, const char *key, const char *ctx, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = 0;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0)
        return mxt_error(MXT_EFORMAT, "machine file: %s%s must be a non-negative number", ctx, key);
    *out = v->valuedouble;
    return 1;
}

static void get_str(const cJSON *o, const char *key, char *dst, size_t size) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v) && v->valuestring) mxt_strlcpy(dst, v->valuestring, size);
}

static enum mxt_provenance get_prov(const cJSON *o) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "provenance");
    return cJSON_IsString(v) ? prov_parse(v->valuestring) : MXT_PROV_FILE;
}

#define NUM(obj, key, ctx, dst)                                                                    \
    do {                                                                                           \
        double v_;                                                                                 \
        int r_ = get_num(obj, key, ctx, &v_);                                                      \
        if (r_ < 0) return r_;                                                                     \
        dst = v_;                                                                                  \
    } while (0)

static int parse_cache(const cJSON *o, int idx, int cores, struct mxt_machine *m,
                       struct mxt_cache *c) {
    char ctx[32];
    snprintf(ctx, sizeof ctx, "caches[%d].", idx);
    if (!cJSON_IsObject(o))
        return mxt_error(MXT_EFORMAT, "machine file: caches[%d] is not an object", idx);
    double v;
    if (get_num(o, "level", ctx, &v) != 1 || v < 1 || v > 4 || v != floor(v))
        return mxt_error(MXT_EFORMAT, "machine file: caches[%d].level missing or not 1..4", idx);
    c->level = (int)v;
    if (get_num(o, "size_bytes", ctx, &v) != 1 || v < 1024 || v > 1e13)
        return mxt_error(MXT_EFORMAT,
                         "machine file: caches[%d].size_bytes missing or not a size in bytes", idx);
    c->size_bytes = (uint64_t)v;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "type");
    if (cJSON_IsString(t)) {
        int found = 0;
        for (int i = 0; i < 3; i++)
            if (strcmp(t->valuestring, cache_type_names[i]) == 0) {
                c->type = (enum mxt_cache_type)i;
                found = 1;
            }
        if (!found)
            return mxt_error(MXT_EFORMAT, "machine file: caches[%d].type '%s' unknown", idx,
                             t->valuestring);
    } else {
        c->type = c->level == 1 ? MXT_CACHE_DATA : MXT_CACHE_UNIFIED;
        assume(m, "L%d type %s", c->level, cache_type_names[c->type]);
    }
    int r = get_num(o, "usable_bytes", ctx, &v);
    if (r < 0) return r;
    if (r && v > 0)
        c->usable_bytes = (uint64_t)v;
    else {
        c->usable_bytes = c->size_bytes;
        assume(m, "L%d usable_bytes = size_bytes", c->level);
    }
    r = get_num(o, "line_bytes", ctx, &v);
    if (r < 0) return r;
    if (r && v > 0)
        c->line_bytes = (int)v;
    else {
        c->line_bytes = 64;
        assume(m, "L%d line_bytes 64", c->level);
    }
    r = get_num(o, "ways", ctx, &v);
    if (r < 0) return r;
    if (r && v > 0)
        c->ways = (int)v;
    else {
        c->ways = c->level == 1 ? 8 : 16;
        assume(m, "L%d ways %d", c->level, c->ways);
    }
    r = get_num(o, "shared_by", ctx, &v);
    if (r < 0) return r;
    c->shared_by = r && v > 0 ? (int)v : -1; /* resolved after all levels are read */
    (void)cores;
    NUM(o, "latency_ns", ctx, c->latency_ns);
    NUM(o, "latency_cycles", ctx, c->latency_cycles);
    NUM(o, "bw_read_GBps", ctx, c->bw_read_GBps);
    NUM(o, "confidence", ctx, c->confidence);
    c->provenance = get_prov(o);
    return 0;
}

static int cache_cmp(const void *a, const void *b) {
    return ((const struct mxt_cache *)a)->level - ((const struct mxt_cache *)b)->level;
}

int mxt_machine_from_json(const char *text, struct mxt_machine *m) {
    mxt_machine_init(m);
    cJSON *root = cJSON_Parse(text);
    int rc = 0;
    if (!root) return mxt_error(MXT_EFORMAT, "machine file: not valid JSON");
    if (!cJSON_IsObject(root)) {
        rc = mxt_error(MXT_EFORMAT, "machine file: top level is not an object");
        goto done;
    }
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    if (schema &&
        (!cJSON_IsString(schema) || strncmp(schema->valuestring, "mxtune.machine/", 15) != 0)) {
        rc = mxt_error(MXT_EFORMAT, "machine file: schema is not mxtune.machine/1");
        goto done;
    }
    if (schema && strcmp(schema->valuestring, "mxtune.machine/1") != 0) {
        rc = mxt_error(MXT_EFORMAT, "machine file: schema '%s' is newer than this mxtune reads",
                       schema->valuestring);
        goto done;
    }
    get_str(root, "name", m->name, sizeof m->name);
    get_str(root, "fingerprint", m->fingerprint, sizeof m->fingerprint);
    const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(root, "cpu");
    if (cJSON_IsObject(cpu)) {
        double v;
        get_str(cpu, "vendor", m->vendor, sizeof m->vendor);
        get_str(cpu, "brand", m->brand, sizeof m->brand);
        if (get_num(cpu, "family", "cpu.", &v) > 0) m->family = (int)v;
        if (get_num(cpu, "model", "cpu.", &v) > 0) m->model = (int)v;
        if (get_num(cpu, "stepping", "cpu.", &v) > 0) m->stepping = (int)v;
    }
    double v;
    if (get_num(root, "cores", "", &v) != 1 || v < 1 || v > 4096 || v != floor(v)) {
        rc = mxt_error(MXT_EFORMAT, "machine file: 'cores' missing or not a positive integer");
        goto done;
    }
    m->cores = (int)v;
    rc = get_num(root, "threads_per_core", "", &v);
    if (rc < 0) goto done;
    m->threads_per_core = rc && v >= 1 ? (int)v : 1;
    rc = 0;
    const cJSON *isa = cJSON_GetObjectItemCaseSensitive(root, "isa");
    const cJSON *it;
    cJSON_ArrayForEach(it, isa) {
        if (cJSON_IsString(it) && m->n_isa < MXT_MAX_ISA)
            mxt_strlcpy(m->isa[m->n_isa++], it->valuestring, sizeof m->isa[0]);
    }
    const cJSON *caches = cJSON_GetObjectItemCaseSensitive(root, "caches");
    if (!cJSON_IsArray(caches) || cJSON_GetArraySize(caches) == 0) {
        rc = mxt_error(MXT_EFORMAT, "machine file: 'caches' missing or empty");
        goto done;
    }
    int idx = 0;
    cJSON_ArrayForEach(it, caches) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "type");
        if (cJSON_IsString(t) && strcmp(t->valuestring, "instruction") == 0) {
            idx++;
            continue; /* the model needs data caches only */
        }
        if (m->n_caches >= MXT_MAX_LEVELS) {
            rc = mxt_error(MXT_EFORMAT, "machine file: more than %d cache levels", MXT_MAX_LEVELS);
            goto done;
        }
        rc = parse_cache(it, idx++, m->cores, m, &m->caches[m->n_caches]);
        if (rc) goto done;
        for (int j = 0; j < m->n_caches; j++)
            if (m->caches[j].level == m->caches[m->n_caches].level) {
                rc = mxt_error(MXT_EFORMAT, "machine file: cache level %d given twice",
                               m->caches[j].level);
                goto done;
            }
        m->n_caches++;
    }
    qsort(m->caches, (size_t)m->n_caches, sizeof m->caches[0], cache_cmp);
    for (int i = 0; i < m->n_caches; i++) {
        struct mxt_cache *c = &m->caches[i];
        if (c->shared_by < 0) {
            c->shared_by = i == m->n_caches - 1 ? m->cores : 1;
            assume(m, "L%d shared_by %d", c->level, c->shared_by);
        }
    }
    const cJSON *dram = cJSON_GetObjectItemCaseSensitive(root, "dram");
    if (cJSON_IsObject(dram)) {
        if ((rc = get_num(dram, "latency_ns", "dram.", &v)) < 0) goto done;
        m->dram.latency_ns = v;
        const cJSON *bw = cJSON_GetObjectItemCaseSensitive(dram, "bw_GBps");
        if (cJSON_IsObject(bw)) {
            double *dst[] = {&m->dram.read_1t,  &m->dram.read_all, &m->dram.copy_1t,
                             &m->dram.copy_all, &m->dram.triad_1t, &m->dram.triad_all};
            const char *keys[] = {"read_1t",  "read_all", "copy_1t",
                                  "copy_all", "triad_1t", "triad_all"};
            for (int i = 0; i < 6; i++) {
                if ((rc = get_num(bw, keys[i], "dram.bw_GBps.", &v)) < 0) goto done;
                *dst[i] = v;
            }
        }
        m->dram.provenance = get_prov(dram);
    }
    const cJSON *cmp = cJSON_GetObjectItemCaseSensitive(root, "compute");
    if (cJSON_IsObject(cmp)) {
        struct mxt_compute *c = &m->compute;
        if ((rc = get_num(cmp, "clock_ghz", "compute.", &c->clock_ghz)) < 0) goto done;
        if ((rc = get_num(cmp, "tsc_ghz", "compute.", &c->tsc_ghz)) < 0) goto done;
        if ((rc = get_num(cmp, "fma_latency_cycles", "compute.", &c->fma_latency_cycles)) < 0)
            goto done;
        if ((rc = get_num(cmp, "fma_per_cycle", "compute.", &v)) < 0) goto done;
        c->fma_per_cycle = (int)v;
        if ((rc = get_num(cmp, "vector_registers", "compute.", &v)) < 0) goto done;
        c->vector_registers = (int)v;
        if ((rc = get_num(cmp, "vector_bits", "compute.", &v)) < 0) goto done;
        c->vector_bits = (int)v;
        const cJSON *pk = cJSON_GetObjectItemCaseSensitive(cmp, "peak_gflops");
        if (cJSON_IsObject(pk)) {
            if ((rc = get_num(pk, "f32_1t", "compute.peak_gflops.", &c->f32_1t)) < 0) goto done;
            if ((rc = get_num(pk, "f32_all", "compute.peak_gflops.", &c->f32_all)) < 0) goto done;
            if ((rc = get_num(pk, "f64_1t", "compute.peak_gflops.", &c->f64_1t)) < 0) goto done;
            if ((rc = get_num(pk, "f64_all", "compute.peak_gflops.", &c->f64_all)) < 0) goto done;
            for (int w = 0; w < 3; w++)
                for (int d = 0; d < 2; d++) {
                    char key[32];
                    snprintf(key, sizeof key, "%s_1t_%db", d ? "f64" : "f32", 128 << w);
                    if ((rc = get_num(pk, key, "compute.peak_gflops.", &c->width_1t[w][d])) < 0)
                        goto done;
                }
        }
        c->provenance = get_prov(cmp);
    }
    rc = 0;
    const cJSON *pri = cJSON_GetObjectItemCaseSensitive(root, "priors");
    cJSON_ArrayForEach(it, pri) {
        char what[32] = "", why[MXT_NOTE_LEN] = "";
        get_str(it, "what", what, sizeof what);
        get_str(it, "why", why, sizeof why);
        double val = 0;
        get_num(it, "value", "priors[].", &val);
        const cJSON *src = cJSON_GetObjectItemCaseSensitive(it, "source");
        const cJSON *used = cJSON_GetObjectItemCaseSensitive(it, "used");
        mxt_machine_add_prior(m, what, (uint64_t)val,
                              cJSON_IsString(src) ? prov_parse(src->valuestring) : MXT_PROV_FILE,
                              cJSON_IsTrue(used), why);
    }
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "warnings");
    cJSON_ArrayForEach(it, w) {
        if (cJSON_IsString(it)) mxt_machine_warn(m, "%s", it->valuestring);
    }
done:
    cJSON_Delete(root);
    return rc < 0 ? rc : 0;
}

int mxt_machine_load_file(const char *path, struct mxt_machine *m) {
    char *text = NULL;
    int rc = mxt_read_file(path, &text, NULL);
    if (rc) return rc;
    rc = mxt_machine_from_json(text, m);
    free(text);
    return rc;
}
