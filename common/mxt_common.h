/* Internal helpers shared by every module: error recording, number parsing,
 * the injectable clock, small string utilities. Not part of the public API.
 */
#ifndef MXT_COMMON_H
#define MXT_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include "mxtune/errors.h"

#define MXT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Record a message for mxt_last_error() and return code (for `return mxt_error(...)`). */
int mxt_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mxt_error_clear(void);

/* Strict number parsing: the whole string must be a number in range.
 * Return 0 or MXT_EINVAL / MXT_ERANGE (with a message naming `what`). */
int mxt_parse_i64(const char *s, int64_t lo, int64_t hi, const char *what, int64_t *out);
int mxt_parse_int(const char *s, int lo, int hi, const char *what, int *out);
int mxt_parse_double(const char *s, double lo, double hi, const char *what, double *out);
/* Sizes with optional binary suffix: 48K, 1M, 1.5MiB, 2G (K = 1024). */
int mxt_parse_size(const char *s, const char *what, uint64_t *out);

/* Bounded string copy that always terminates; returns strlen(src). */
size_t mxt_strlcpy(char *dst, const char *src, size_t size);

/* Format a byte count as "48 KiB", "1 MiB", "1.25 MiB". */
void mxt_format_bytes(uint64_t bytes, char *buf, size_t size);

/* The injectable clock. The default reads CLOCK_MONOTONIC; tests install a
 * fake one. Seconds as a double. */
typedef double (*mxt_clock_fn)(void *ctx);
struct mxt_clock {
    mxt_clock_fn now;
    void *ctx;
};
double mxt_clock_monotonic(void *ctx);
extern const struct mxt_clock mxt_clock_default;
static inline double mxt_clock_now(const struct mxt_clock *c) {
    return c->now(c->ctx);
}

/* Interruption flag set by the CLI's SIGINT handler; long loops poll it. */
extern volatile int mxt_interrupted;

/* Read a whole file into a NUL-terminated malloc'd buffer. */
int mxt_read_file(const char *path, char **out, size_t *len);

/* FNV-1a 64-bit hash (fingerprints). */
uint64_t mxt_fnv1a64(const void *data, size_t len, uint64_t seed);

/* Statistics on a sample (the array is sorted in place). GSL underneath. */
struct mxt_stats {
    double min, max, median, p10, p20, p80, p90, mean, cv;
    int n;
};
void mxt_stats_compute(double *x, int n, struct mxt_stats *s);

/* CPUs this process may run on (its affinity mask; the online count when the
 * mask cannot be read; at least 1). */
int mxt_cpus_allowed(void);

#endif
