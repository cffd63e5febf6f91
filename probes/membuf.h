/* Probe buffers (probes/): anonymous mappings aligned to 2 MiB, advised for
 * transparent huge pages and pre-faulted with a non-zero pattern (a zero page
 * would be shared and never reach the caches). */
#ifndef MXT_MEMBUF_H
#define MXT_MEMBUF_H

#include <stddef.h>

struct mxt_membuf {
    void *base;  /* aligned start */
    size_t size; /* usable bytes */
    void *map;   /* what munmap takes */
    size_t map_len;
    int huge; /* 1 if madvise(MADV_HUGEPAGE) was accepted */
};

int mxt_membuf_alloc(struct mxt_membuf *b, size_t size);
/* The same without pre-faulting: the caller first-touches (per thread). */
int mxt_membuf_alloc_untouched(struct mxt_membuf *b, size_t size);
void mxt_membuf_free(struct mxt_membuf *b);

/* A small xorshift generator for chain building (deterministic per seed). */
struct mxt_rng {
    unsigned long long s;
};
static inline unsigned long long mxt_rng_next(struct mxt_rng *r) {
    unsigned long long x = r->s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return r->s = x;
}
/* Uniform in [0, n). */
static inline size_t mxt_rng_below(struct mxt_rng *r, size_t n) {
    __extension__ typedef unsigned __int128 u128;
    return (size_t)(((u128)mxt_rng_next(r) * n) >> 64);
}

#endif
