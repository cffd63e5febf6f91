/* Small helpers shared by the benchmark programs (bench/) and the peers'
 * harnesses (bench/peers/, which the bench scripts compile on their own, so
 * this header needs nothing from the project): a monotonic clock, a comparison
 * for qsort, and the xorshift generator that makes mxtune's and the peers'
 * operands the same numbers. */
#ifndef MXT_BENCH_UTIL_H
#define MXT_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

static inline double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* xorshift64, seeded by bench_seed: uniform numbers in [0, 1). */
static uint64_t bench_rng;
static inline void bench_seed(uint64_t seed) {
    bench_rng = seed * 2654435761u + 0x9E3779B97F4A7C15ull;
}
static inline double rnd01(void) {
    bench_rng ^= bench_rng << 13;
    bench_rng ^= bench_rng >> 7;
    bench_rng ^= bench_rng << 17;
    return (double)(bench_rng >> 11) / 9007199254740992.0;
}

#endif
