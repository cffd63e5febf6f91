/* Packing buffers (kernels/): 64-byte aligned, recycled through a small process-wide
 * cache guarded by a mutex, so that repeated GEMM calls do not pay page faults for
 * fresh memory on every call (several milliseconds per call in virtual machines).
 * MXT_HUGEPAGES=1 marks large buffers for transparent huge pages. It is off by
 * default: on our Zen 5 guests, huge-page packing buffers made one 2048^3 f64 call
 * in three 10-25 % slow and 4096^3 f64 calls 20 % slow (README.md, "Environment
 * of the GEMM kernels").
 * mxt_kernels_release_cache() returns the cached memory. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "mxt_common.h"
#include "mxt_kernels.h"

#define POOL_SLOTS 16
#define POOL_MAX_BYTES ((size_t)1 << 30) /* cached memory kept at most */
#define HUGE_BYTES ((size_t)2 << 20)
#define HEADER MXT_PACK_ALIGN /* holds the usable size, keeps the data aligned */

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static void *pool_buf[POOL_SLOTS];
static size_t pool_size[POOL_SLOTS];
static size_t pool_bytes;

static atomic_int hugepages = -1; /* MXT_HUGEPAGES: -1 not read yet, 0 off, 1 on */

int mxt_pack_env_check(void) {
    const char *env = getenv("MXT_HUGEPAGES");
    int on;
    if (!env || !*env || !strcmp(env, "0") || !strcmp(env, "off"))
        on = 0;
    else if (!strcmp(env, "1") || !strcmp(env, "on"))
        on = 1;
    else
        return mxt_error(MXT_EINVAL, "MXT_HUGEPAGES='%s' is not 0, 1, off or on", env);
    atomic_store(&hugepages, on);
    return 0;
}

static size_t *header_of(void *data) {
    return (size_t *)((char *)data - HEADER);
}

void *mxt_pack_alloc(size_t count, size_t esz) {
    if (count == 0) count = 1;
    if (esz == 0 || count > (SIZE_MAX - HEADER - HUGE_BYTES) / esz) return NULL;
    size_t bytes = (count * esz + MXT_PACK_ALIGN - 1) / MXT_PACK_ALIGN * MXT_PACK_ALIGN;
    /* Reuse the smallest cached buffer that fits and wastes at most half of itself. */
    void *data = NULL;
    pthread_mutex_lock(&pool_lock);
    int best = -1;
    for (int i = 0; i < POOL_SLOTS; i++)
        if (pool_buf[i] && pool_size[i] >= bytes && pool_size[i] / 2 <= bytes &&
            (best < 0 || pool_size[i] < pool_size[best]))
            best = i;
    if (best >= 0) {
        data = pool_buf[best];
        pool_bytes -= pool_size[best];
        pool_buf[best] = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    if (data) return data;
    if (atomic_load(&hugepages) < 0 && mxt_pack_env_check()) atomic_store(&hugepages, 0);
    const int huge = atomic_load(&hugepages) == 1;
    const size_t align = huge && bytes >= HUGE_BYTES ? HUGE_BYTES : MXT_PACK_ALIGN;
    const size_t total = (HEADER + bytes + align - 1) / align * align;
    char *base = aligned_alloc(align, total);
    if (!base) return NULL;
#ifdef MADV_HUGEPAGE
    if (align == HUGE_BYTES) madvise(base, total, MADV_HUGEPAGE); /* a hint: failure is fine */
#endif
    data = base + HEADER;
    *header_of(data) = bytes;
    return data;
}

void mxt_pack_free(void *data) {
    if (!data) return;
    const size_t bytes = *header_of(data);
    pthread_mutex_lock(&pool_lock);
    int slot = -1;
    for (int i = 0; i < POOL_SLOTS && slot < 0; i++)
        if (!pool_buf[i]) slot = i;
    if (slot >= 0 && pool_bytes + bytes <= POOL_MAX_BYTES) {
        pool_buf[slot] = data;
        pool_size[slot] = bytes;
        pool_bytes += bytes;
        data = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    if (data) free(header_of(data));
}

void mxt_kernels_release_cache(void) {
    pthread_mutex_lock(&pool_lock);
    for (int i = 0; i < POOL_SLOTS; i++) {
        if (pool_buf[i]) free(header_of(pool_buf[i]));
        pool_buf[i] = NULL;
    }
    pool_bytes = 0;
    pthread_mutex_unlock(&pool_lock);
}
