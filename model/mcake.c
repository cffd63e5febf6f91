/* mCAKE in the model (model/): an einsum-like contraction parsed, its indices
 * classified (I, J, P, batch) and tiled so that group products meet the CB block
 * targets; a matmul or batched matmul reduces to the gemm numbers (MODELS.md §3). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "model_internal.h"
#include "mxt_common.h"

static int find(const char *s, char c) {
    const char *p = strchr(s, c);
    return p ? (int)(p - s) : -1;
}

/* Copy an operand of the spec and check it: letters only, none twice. */
static int operand(const char *spec, const char *from, size_t len, const char *label, char *dst) {
    if (len > MXT_MAX_INDICES)
        return mxt_error(MXT_EINVAL, "spec '%s': %s has more than %d indices", spec, label,
                         MXT_MAX_INDICES);
    for (size_t i = 0; i < len; i++) {
        char c = from[i];
        if (!isalpha((unsigned char)c))
            return mxt_error(MXT_EINVAL, "spec '%s': '%c' is not an index letter", spec, c);
        if (memchr(from, c, i))
            return mxt_error(MXT_EINVAL, "spec '%s': index '%c' repeated in %s", spec, c, label);
        dst[i] = c;
    }
    dst[len] = '\0';
    return 0;
}

static int parse_spec(const char *spec, struct mxt_contraction *ct) {
    char buf[4 * MXT_MAX_INDICES + 8];
    size_t n = 0;
    if (!spec || !*spec) return mxt_error(MXT_EINVAL, "empty contraction spec");
    for (const char *p = spec; *p; p++) {
        if (isspace((unsigned char)*p)) continue;
        if (n + 1 >= sizeof buf) return mxt_error(MXT_EINVAL, "spec '%s' is too long", spec);
        buf[n++] = *p;
    }
    buf[n] = '\0';
    char *arrow = strstr(buf, "->");
    if (!arrow)
        return mxt_error(MXT_EINVAL, "spec '%s' has no '->' (expected e.g. \"abc,cd->abd\")", spec);
    *arrow = '\0';
    const char *rhs = arrow + 2;
    char *comma = strchr(buf, ',');
    if (!comma || strchr(comma + 1, ','))
        return mxt_error(MXT_EINVAL, "spec '%s' needs exactly two inputs separated by ','", spec);
    if (strstr(rhs, "->") || strchr(rhs, ','))
        return mxt_error(MXT_EINVAL, "spec '%s' has more than one output", spec);
    *comma = '\0';
    if (!buf[0] || !comma[1])
        return mxt_error(MXT_EINVAL, "spec '%s': an input has no indices", spec);
    int rc;
    if ((rc = operand(spec, buf, strlen(buf), "the first input", ct->a)) ||
        (rc = operand(spec, comma + 1, strlen(comma + 1), "the second input", ct->b)) ||
        (rc = operand(spec, rhs, strlen(rhs), "the output", ct->c)))
        return rc;
    /* classify every index */
    char all[3 * MXT_MAX_INDICES + 1];
    snprintf(all, sizeof all, "%s%s%s", ct->a, ct->b, ct->c);
    for (const char *p = all; *p; p++) {
        if (find(ct->c, *p) >= 0 && find(ct->a, *p) < 0 && find(ct->b, *p) < 0)
            return mxt_error(MXT_EINVAL, "spec '%s': output index '%c' is in neither input", spec,
                             *p);
        int seen = 0;
        for (int i = 0; i < ct->count; i++)
            seen |= ct->name[i] == *p;
        if (seen) continue;
        int ia = find(ct->a, *p) >= 0, ib = find(ct->b, *p) >= 0, ic = find(ct->c, *p) >= 0;
        enum mxt_index_class cls;
        if (ia && ib && ic)
            cls = MXT_IDX_BATCH;
        else if (ia && ib)
            cls = MXT_IDX_P;
        else if (ia && ic)
            cls = MXT_IDX_I;
        else if (ib && ic)
            cls = MXT_IDX_J;
        else
            return mxt_error(MXT_EINVAL,
                             "spec '%s': index '%c' appears only in the %s input and not in the "
                             "output (a single-operand sum is not a contraction)",
                             spec, *p, ia ? "first" : "second");
        if (ct->count >= MXT_MAX_INDICES)
            return mxt_error(MXT_EINVAL, "spec '%s' has more than %d distinct indices", spec,
                             MXT_MAX_INDICES);
        ct->name[ct->count] = *p;
        ct->cls[ct->count] = cls;
        ct->count++;
    }
    return 0;
}

static int parse_sizes(const char *sizes, struct mxt_contraction *ct) {
    char list[MXT_MAX_INDICES + 1];
    for (int i = 0; i < ct->count; i++)
        list[i] = ct->name[i];
    list[ct->count] = '\0';
    if (!sizes || !*sizes)
        return mxt_error(MXT_EINVAL, "no index sizes given (e.g. --sizes %c=64,...)", ct->name[0]);
    const char *p = sizes;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[64];
        if (len == 0 || len >= sizeof item)
            return mxt_error(MXT_EINVAL, "malformed sizes '%s' (expected index=size,...)", sizes);
        memcpy(item, p, len);
        item[len] = '\0';
        char *eq = strchr(item, '=');
        if (!eq || eq != item + 1 || !isalpha((unsigned char)item[0]))
            return mxt_error(MXT_EINVAL, "malformed sizes entry '%s' (expected index=size)", item);
        int at = find(list, item[0]);
        if (at < 0)
            return mxt_error(MXT_EINVAL, "unknown index '%c' in sizes (the spec has %s)", item[0],
                             list);
        if (ct->size[at]) return mxt_error(MXT_EINVAL, "index '%c' given twice in sizes", item[0]);
        char what[32];
        snprintf(what, sizeof what, "size of index '%c'", item[0]);
        int64_t v;
        int rc = mxt_parse_i64(eq + 1, 1, MXT_MODEL_MAX_DIM, what, &v);
        if (rc) return rc;
        ct->size[at] = v;
        p = end ? end + 1 : p + len;
        if (end && !*p) return mxt_error(MXT_EINVAL, "malformed sizes '%s' (trailing ',')", sizes);
    }
    for (int i = 0; i < ct->count; i++)
        if (!ct->size[i])
            return mxt_error(MXT_EINVAL, "no size for index '%c' (add %c=N to the sizes)",
                             ct->name[i], ct->name[i]);
    return 0;
}

int mxt_contraction_parse(const char *spec, const char *sizes, struct mxt_contraction *out) {
    memset(out, 0, sizeof *out);
    int rc = parse_spec(spec, out);
    if (!rc) rc = parse_sizes(sizes, out);
    if (rc) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    /* group products, checked to stay exact in a double */
    double g[4] = {1, 1, 1, 1};
    for (int i = 0; i < out->count; i++) {
        g[out->cls[i]] *= (double)out->size[i];
        if (g[out->cls[i]] > 9007199254740992.0)
            return mxt_error(MXT_ERANGE, "contraction too large: the %s indices multiply past 2^53",
                             mxt_index_class_name(out->cls[i]));
    }
    double lim = 9007199254740992.0;
    if (g[3] * g[0] * g[2] > lim || g[3] * g[2] * g[1] > lim || g[3] * g[0] * g[1] > lim)
        return mxt_error(MXT_ERANGE, "contraction too large: an operand has more than 2^53 "
                                     "elements");
    out->m = (int64_t)g[MXT_IDX_I];
    out->n = (int64_t)g[MXT_IDX_J];
    out->k = (int64_t)g[MXT_IDX_P];
    out->batch = (int64_t)g[MXT_IDX_BATCH];
    return 0;
}

/* The indices of a class, innermost first: I and J by their place in C, P by
 * its place in A (row-major: the last index has unit stride). */
static void gather(const struct mxt_contraction *ct, enum mxt_index_class cls, int *idx, int *g) {
    const char *layout = cls == MXT_IDX_P ? ct->a : ct->c;
    *g = 0;
    for (int pos = (int)strlen(layout) - 1; pos >= 0; pos--)
        for (int i = 0; i < ct->count; i++)
            if (ct->name[i] == layout[pos] && ct->cls[i] == cls) idx[(*g)++] = i;
}

/* Per-index tiles whose product meets target: the innermost index takes as
 * much as it can, the next ones what is left (MODELS.md §3). */
static void tile_group(const struct mxt_contraction *ct, const int *idx, int g, int64_t target,
                       struct group *gr, int64_t *tile_of) {
    int64_t rem = target;
    gr->g = g;
    for (int j = 0; j < g; j++) {
        int64_t size = ct->size[idx[j]], t;
        if (rem <= 1) {
            t = 1;
        } else if (size <= rem) {
            t = size;
            rem /= size;
        } else {
            t = rem;
            rem = 1;
        }
        gr->size[j] = size;
        gr->tile[j] = t;
        tile_of[idx[j]] = t;
    }
}

int model_contract(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                   const struct mxt_config *cfg, enum mxt_sizing sizing,
                   struct mxt_prediction *out) {
    const struct mxt_contraction *ct = pb->contraction;
    if (!ct || ct->count < 1) return mxt_error(MXT_EINVAL, "contract: no contraction given");
    int rc;
    if ((rc = model_check_machine(mm, pb->dtype))) return rc;
    struct resolved r;
    rc = model_resolve(mm, MXT_OP_GEMM, pb->dtype, ct->m, ct->n, ct->k, 1.0, cfg, sizing, &r);
    if (rc) return rc;
    int64_t blk[3], q[3], tile_of[MXT_MAX_INDICES];
    model_block_extents(&r, blk, q);
    static const enum mxt_index_class cls_of[3] = {MXT_IDX_I, MXT_IDX_J, MXT_IDX_P};
    struct group gr[3];
    for (int dim = 0; dim < 3; dim++) {
        int idx[MXT_MAX_INDICES], g;
        gather(ct, cls_of[dim], idx, &g);
        tile_group(ct, idx, g, blk[dim], &gr[dim], tile_of);
    }
    struct job jb = {.dtype = pb->dtype,
                     .m = ct->m,
                     .n = ct->n,
                     .k = ct->k,
                     .batch = ct->batch,
                     .grp = gr,
                     .beta = pb->beta != 0,
                     .density = 1.0};
    if ((rc = model_engine(mm, &jb, &r, out))) return rc;
    out->batch = ct->batch;
    if (ct->batch > 1) out->assumed |= MXT_ASSUME_BATCH_TILE;
    out->n_tiles = ct->count;
    for (int i = 0; i < ct->count; i++) {
        out->tiles[i].index = ct->name[i];
        out->tiles[i].cls = ct->cls[i];
        out->tiles[i].size = ct->size[i];
        out->tiles[i].tile = ct->cls[i] == MXT_IDX_BATCH ? 1 : tile_of[i];
    }
    return 0;
}
