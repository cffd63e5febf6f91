/* Huge-page-friendly, pre-faulted probe buffers (probes/). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "membuf.h"
#include "mxt_common.h"

#define HUGE_ALIGN ((size_t)2 << 20)

static int map_buffer(struct mxt_membuf *b, size_t size, int prefault) {
    memset(b, 0, sizeof *b);
    size_t len = size + HUGE_ALIGN;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return mxt_error(MXT_ENOMEM, "cannot map %zu bytes for a probe buffer: %s", size,
                         strerror(errno));
    uintptr_t a = ((uintptr_t)p + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1);
    b->map = p;
    b->map_len = len;
    b->base = (void *)a;
    b->size = size;
#ifdef MADV_HUGEPAGE
    b->huge = madvise(b->base, (size + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1), MADV_HUGEPAGE) == 0;
#endif
    /* Pre-fault with a non-zero pattern. */
    if (prefault) {
        unsigned char *q = b->base;
        for (size_t i = 0; i < size; i += 4096)
            q[i] = 0x5a;
    }
    return 0;
}

int mxt_membuf_alloc(struct mxt_membuf *b, size_t size) {
    return map_buffer(b, size, 1);
}

int mxt_membuf_alloc_untouched(struct mxt_membuf *b, size_t size) {
    return map_buffer(b, size, 0);
}

void mxt_membuf_free(struct mxt_membuf *b) {
    if (b->map) munmap(b->map, b->map_len);
    memset(b, 0, sizeof *b);
}
