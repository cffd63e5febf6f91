/* Where a GEMM's time goes (kernels/): the wall time spent inside mxt_pack_a,
 * mxt_pack_b and mxt_macro_kernel, summed over the threads that called them, while
 * switched on (`gemm_run --breakdown`). Switched off, a call costs one relaxed
 * atomic load. */
#include <stdatomic.h>
#include "mxt_common.h"
#include "mxt_kernels.h"

static atomic_int prof_on;
static _Atomic uint64_t prof_ns[MXT_PROF_PARTS];
static _Atomic uint64_t prof_stolen;

void mxt_kernels_profile(int on) {
    atomic_store_explicit(&prof_on, on != 0, memory_order_relaxed);
}

void mxt_kernels_profile_take(uint64_t ns[MXT_PROF_PARTS]) {
    for (int i = 0; i < MXT_PROF_PARTS; i++)
        ns[i] = atomic_exchange_explicit(&prof_ns[i], 0, memory_order_relaxed);
}

uint64_t mxt_kernels_profile_take_stolen(void) {
    return atomic_exchange_explicit(&prof_stolen, 0, memory_order_relaxed);
}

void mxt_prof_count_stolen(int64_t micro_panels) {
    if (atomic_load_explicit(&prof_on, memory_order_relaxed))
        atomic_fetch_add_explicit(&prof_stolen, (uint64_t)micro_panels, memory_order_relaxed);
}

double mxt_prof_start(void) {
    return atomic_load_explicit(&prof_on, memory_order_relaxed) ? mxt_clock_monotonic(NULL) : 0;
}

void mxt_prof_stop(enum mxt_prof_part part, double t0) {
    if (t0 > 0)
        atomic_fetch_add_explicit(&prof_ns[part],
                                  (uint64_t)((mxt_clock_monotonic(NULL) - t0) * 1e9),
                                  memory_order_relaxed);
}
