/* Problems for the tuner (tuner/): the shapes file of `mxtune search --shapes`
 * ("M N K [dtype]" per line, '#' comments) and the built-in problem set tuned
 * when no sizes are given, drawn from common ML layers (docs/tuner.md). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxt_tuner.h"

/* The default set: one square reference and the shapes that dominate
 * transformer and CNN inference and training, each a few GFLOP or less so that
 * the whole set tunes in about two minutes on two cores. */
static const struct mxt_shape defaults[] = {
    {1024, 1024, 1024, MXT_F32, 0, "square reference"},
    {1024, 4096, 1024, MXT_F32, 0, "MLP up-projection: 1024 tokens, 1024 -> 4096 features"},
    {1024, 1024, 4096, MXT_F32, 0, "MLP down-projection: 1024 tokens, 4096 -> 1024 features"},
    {4096, 64, 1024, MXT_F32, 0, "small-batch inference: 4096 x 1024 weights, batch 64"},
    {512, 512, 64, MXT_F32, 0, "attention scores: 512 queries x 512 keys, head size 64"},
    {3136, 64, 576, MXT_F32, 0, "3x3 convolution as im2col: 56x56 pixels, 64 -> 64 channels"},
};

int mxt_shapes_default(const struct mxt_shape **out) {
    *out = defaults;
    return (int)MXT_ARRAY_LEN(defaults);
}

#define MAX_TOKENS 5

static int split(char *s, char **tok) {
    int n = 0;
    for (;;) {
        while (*s && isspace((unsigned char)*s))
            s++;
        if (!*s) break;
        if (n < MAX_TOKENS) tok[n] = s;
        n++;
        while (*s && !isspace((unsigned char)*s))
            s++;
        if (!*s) break;
        *s++ = '\0';
    }
    return n;
}

int mxt_shapes_parse(const char *text, const char *name, enum mxt_dtype default_dtype,
                     struct mxt_shape **out, int *count) {
    *out = NULL;
    *count = 0;
    size_t len = strlen(text);
    char *buf = malloc(len + 1);
    int cap = 16, n = 0, rc = 0;
    struct mxt_shape *v = malloc((size_t)cap * sizeof *v);
    if (!buf || !v) {
        rc = mxt_error(MXT_ENOMEM, "out of memory");
        goto fail;
    }
    memcpy(buf, text, len + 1);
    int line = 0;
    for (char *p = buf; p && *p;) {
        char *end = strchr(p, '\n');
        if (end) *end = '\0';
        line++;
        char *hash = strchr(p, '#');
        if (hash) *hash = '\0';
        char *tok[MAX_TOKENS];
        int nt = split(p, tok);
        p = end ? end + 1 : NULL;
        if (nt == 0) continue;
        if (nt < 3 || nt > 4) {
            rc = mxt_error(MXT_EFORMAT, "%s:%d: expected 'M N K [dtype]', got %d field%s", name,
                           line, nt, nt == 1 ? "" : "s");
            goto fail;
        }
        struct mxt_shape s = {.dtype = default_dtype, .line = line};
        int64_t *dims[3] = {&s.m, &s.n, &s.k};
        static const char *const what[3] = {"M", "N", "K"};
        for (int i = 0; i < 3; i++) {
            if (mxt_parse_i64(tok[i], 1, MXT_MODEL_MAX_DIM, what[i], dims[i])) {
                rc = mxt_error(MXT_EFORMAT, "%s:%d: %s = '%s' is not a size in [1, 2^40]", name,
                               line, what[i], tok[i]);
                goto fail;
            }
        }
        if (nt == 4 && mxt_dtype_parse(tok[3], &s.dtype)) {
            rc = mxt_error(MXT_EFORMAT, "%s:%d: unknown dtype '%s' (f32, f64)", name, line, tok[3]);
            goto fail;
        }
        int dup = 0;
        for (int i = 0; i < n; i++)
            dup |= v[i].m == s.m && v[i].n == s.n && v[i].k == s.k && v[i].dtype == s.dtype;
        if (dup) continue;
        if (n == cap) {
            struct mxt_shape *w = realloc(v, (size_t)cap * 2 * sizeof *v);
            if (!w) {
                rc = mxt_error(MXT_ENOMEM, "out of memory");
                goto fail;
            }
            v = w;
            cap *= 2;
        }
        v[n++] = s;
    }
    if (n == 0) {
        rc = mxt_error(MXT_EFORMAT, "%s: no shapes (one 'M N K [dtype]' per line)", name);
        goto fail;
    }
    free(buf);
    *out = v;
    *count = n;
    return 0;
fail:
    free(buf);
    free(v);
    return rc;
}

int mxt_shapes_load(const char *path, enum mxt_dtype default_dtype, struct mxt_shape **out,
                    int *n) {
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    *n = 0;
    int rc = mxt_read_file(path, &text, &len);
    if (rc) return rc;
    if (strlen(text) != len) {
        free(text);
        return mxt_error(MXT_EFORMAT, "%s: not a text file (contains a NUL byte)", path);
    }
    rc = mxt_shapes_parse(text, path, default_dtype, out, n);
    free(text);
    return rc;
}
