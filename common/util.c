/* Small utilities for every module: strict number parsing, strings, files,
 * hashing, and the injectable clock (common/). */
#include <sched.h>
#include <unistd.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mxt_common.h"

volatile int mxt_interrupted = 0;

double mxt_clock_monotonic(void *ctx) {
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const struct mxt_clock mxt_clock_default = {mxt_clock_monotonic, NULL};

int mxt_parse_i64(const char *s, int64_t lo, int64_t hi, const char *what, int64_t *out) {
    if (!s || !*s) return mxt_error(MXT_EINVAL, "%s: empty value", what);
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0')
        return mxt_error(MXT_EINVAL, "%s: '%s' is not an integer", what, s);
    if (errno == ERANGE || v < lo || v > hi)
        return mxt_error(MXT_ERANGE, "%s: '%s' is out of range [%lld, %lld]", what, s,
                         (long long)lo, (long long)hi);
    *out = (int64_t)v;
    return 0;
}

int mxt_parse_int(const char *s, int lo, int hi, const char *what, int *out) {
    int64_t v;
    int rc = mxt_parse_i64(s, lo, hi, what, &v);
    if (rc == 0) *out = (int)v;
    return rc;
}

int mxt_parse_double(const char *s, double lo, double hi, const char *what, double *out) {
    if (!s || !*s) return mxt_error(MXT_EINVAL, "%s: empty value", what);
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0') return mxt_error(MXT_EINVAL, "%s: '%s' is not a number", what, s);
    if (errno == ERANGE || !isfinite(v) || v < lo || v > hi)
        return mxt_error(MXT_ERANGE, "%s: '%s' is out of range [%g, %g]", what, s, lo, hi);
    *out = v;
    return 0;
}

int mxt_parse_size(const char *s, const char *what, uint64_t *out) {
    if (!s || !*s) return mxt_error(MXT_EINVAL, "%s: empty value", what);
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v) || v <= 0)
        return mxt_error(MXT_EINVAL, "%s: '%s' is not a positive size", what, s);
    double mult = 1;
    if (*end) {
        char u = (char)toupper((unsigned char)*end);
        if (u == 'K')
            mult = 1024.0;
        else if (u == 'M')
            mult = 1024.0 * 1024;
        else if (u == 'G')
            mult = 1024.0 * 1024 * 1024;
        else if (u != 'B')
            return mxt_error(MXT_EINVAL, "%s: '%s' has an unknown unit", what, s);
        end++;
        if (u != 'B' && (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0 || *end == '\0'))
            end += strlen(end);
        if (*end) return mxt_error(MXT_EINVAL, "%s: '%s' has an unknown unit", what, s);
    }
    v *= mult;
    if (v > 9.0e18) return mxt_error(MXT_ERANGE, "%s: '%s' is too large", what, s);
    *out = (uint64_t)v;
    return 0;
}

size_t mxt_strlcpy(char *dst, const char *src, size_t size) {
    size_t n = strlen(src);
    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

void mxt_format_bytes(uint64_t b, char *buf, size_t size) {
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    if (fabs(v - round(v)) < 1e-9)
        snprintf(buf, size, "%.0f %s", v, units[u]);
    else
        snprintf(buf, size, "%.3g %s", v, units[u]);
}

int mxt_read_file(const char *path, char **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return mxt_error(MXT_EIO, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int rc = 0;
    if (!buf) {
        rc = mxt_error(MXT_ENOMEM, "out of memory reading '%s'", path);
        goto done;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                rc = mxt_error(MXT_ENOMEM, "out of memory reading '%s'", path);
                goto done;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) break;
    }
    if (ferror(f)) rc = mxt_error(MXT_EIO, "cannot read '%s'", path);
done:
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return 0;
}

uint64_t mxt_fnv1a64(const void *data, size_t len, uint64_t h) {
    const unsigned char *p = data;
    if (h == 0) h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int mxt_cpus_allowed(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 1 << 20 ? (int)n : 1;
}
