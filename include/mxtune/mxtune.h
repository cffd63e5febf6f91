/* libmxtune's umbrella header: the whole public API.
 *
 *   errors.h             error codes and mxt_last_error()
 *   config.h             a tiling configuration (schedule, micro-kernel, blocks, threads)
 *   machine.h            the machine profile (mxtune.machine/1)
 *   model.h              the analytical model (blocks, traffic per level, time, bound)
 *   gemm.h               packed GEMM with an explicit configuration (mxt_sgemm_ex, ...)
 *   mxtune_gemm_auto.h   mxt_sgemm / mxt_dgemm: the tuned configuration, else the model's
 *   lookup.h             tuned configurations for other libraries (exact, nearest, model)
 *   sparse.h             Rosko sparse x dense (mxt_spmm) and the low-rank chain
 *
 * Link with -lmxtune (pkg-config mxtune, or find_package(mxtune) in CMake).
 */
#ifndef MXTUNE_MXTUNE_H
#define MXTUNE_MXTUNE_H

#include "mxtune/errors.h"
#include "mxtune/config.h"
#include "mxtune/machine.h"
#include "mxtune/model.h"
#include "mxtune/gemm.h"
#include "mxtune/mxtune_gemm_auto.h"
#include "mxtune/lookup.h"
#include "mxtune/sparse.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *mxt_version(void);

#ifdef __cplusplus
}
#endif
#endif
