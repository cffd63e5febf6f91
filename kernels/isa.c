/* Which instruction sets this CPU and build can run (kernels/), the MXT_ISA
 * environment variable that forces one (e.g. MXT_ISA=avx2 under valgrind, which
 * cannot run AVX-512), and the ISA a configuration runs with. Read-only after
 * start: safe from any thread. */
#include <stdlib.h>
#include <string.h>
#include "mxt_common.h"
#include "mxt_kernels.h"

int mxt_kernels_isa_supported(enum mxt_isa isa) {
    switch (isa) {
    case MXT_ISA_AUTO:
    case MXT_ISA_GENERIC:
        return 1;
#ifdef MXT_KERNELS_X86
    case MXT_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case MXT_ISA_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    default:
        return 0;
    }
}

int mxt_kernels_default_isa(enum mxt_isa *out) {
    const char *env = getenv("MXT_ISA");
    if (env && *env) {
        static const struct {
            const char *name;
            enum mxt_isa isa;
        } names[] = {
            {"avx512", MXT_ISA_AVX512}, {"avx2", MXT_ISA_AVX2}, {"generic", MXT_ISA_GENERIC}};
        for (size_t i = 0; i < MXT_ARRAY_LEN(names); i++) {
            if (strcmp(env, names[i].name) != 0) continue;
            if (!mxt_kernels_isa_supported(names[i].isa))
                return mxt_error(MXT_EUNSUPPORTED,
                                 "MXT_ISA='%s' but this CPU or build cannot run it", env);
            *out = names[i].isa;
            return 0;
        }
        return mxt_error(MXT_EINVAL, "MXT_ISA='%s' is not avx512, avx2 or generic", env);
    }
    if (mxt_kernels_isa_supported(MXT_ISA_AVX512))
        *out = MXT_ISA_AVX512;
    else if (mxt_kernels_isa_supported(MXT_ISA_AVX2))
        *out = MXT_ISA_AVX2;
    else
        *out = MXT_ISA_GENERIC;
    return 0;
}

/* Both variables the kernels read (MXT_HUGEPAGES, MXT_ISA), and the ISA cap. */
static int environment(enum mxt_isa *cap) {
    int rc = mxt_pack_env_check();
    return rc ? rc : mxt_kernels_default_isa(cap);
}

int mxt_kernels_check_environment(void) {
    enum mxt_isa cap;
    return environment(&cap);
}

int mxt_kernels_resolve_isa(enum mxt_isa want, enum mxt_isa *out) {
    enum mxt_isa cap;
    int rc = environment(&cap);
    if (rc) return rc;
    if (want == MXT_ISA_AUTO) return *out = cap, 0;
    if (want < MXT_ISA_GENERIC || want > MXT_ISA_AVX512)
        return mxt_error(MXT_EINVAL, "unknown isa %d in the configuration", (int)want);
    if (!mxt_kernels_isa_supported(want))
        return mxt_error(MXT_EUNSUPPORTED, "isa '%s' cannot run on this CPU or build",
                         mxt_isa_name(want));
    const char *forced = getenv("MXT_ISA");
    if (forced && *forced && want > cap)
        return mxt_error(MXT_EUNSUPPORTED, "the configuration asks for isa '%s' but MXT_ISA='%s'",
                         mxt_isa_name(want), forced);
    *out = want;
    return 0;
}
