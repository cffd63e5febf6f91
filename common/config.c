/* Names of schedules, ISAs and data types for the CLI and JSON (common/). */
#include <string.h>
#include "mxt_common.h"
#include "mxtune/config.h"

static const char *const sched_names[] = {"cake",     "cake-kmn", "cake-mkn",
                                          "cake-nkm", "goto",     "goto-jc"};
static const char *const isa_names[] = {"auto", "generic", "avx2", "avx512"};
static const char *const dtype_names[] = {"f32", "f64"};

static int lookup(const char *const *names, int n, const char *name) {
    for (int i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

const char *mxt_schedule_name(enum mxt_schedule s) {
    return (unsigned)s < MXT_ARRAY_LEN(sched_names) ? sched_names[s] : "unknown";
}
int mxt_schedule_parse(const char *name, enum mxt_schedule *out) {
    int i = lookup(sched_names, (int)MXT_ARRAY_LEN(sched_names), name);
    if (i < 0)
        return mxt_error(
            MXT_EINVAL, "unknown schedule '%s' (cake, cake-kmn, cake-mkn, cake-nkm, goto, goto-jc)",
            name ? name : "");
    *out = (enum mxt_schedule)i;
    return 0;
}
const char *mxt_isa_name(enum mxt_isa isa) {
    return (unsigned)isa < MXT_ARRAY_LEN(isa_names) ? isa_names[isa] : "unknown";
}
int mxt_isa_parse(const char *name, enum mxt_isa *out) {
    int i = lookup(isa_names, (int)MXT_ARRAY_LEN(isa_names), name);
    if (i < 0)
        return mxt_error(MXT_EINVAL, "unknown ISA '%s' (auto, generic, avx2, avx512)",
                         name ? name : "");
    *out = (enum mxt_isa)i;
    return 0;
}
const char *mxt_dtype_name(enum mxt_dtype d) {
    return (unsigned)d < MXT_ARRAY_LEN(dtype_names) ? dtype_names[d] : "unknown";
}
int mxt_dtype_parse(const char *name, enum mxt_dtype *out) {
    int i = lookup(dtype_names, (int)MXT_ARRAY_LEN(dtype_names), name);
    if (i < 0) return mxt_error(MXT_EINVAL, "unknown dtype '%s' (f32, f64)", name ? name : "");
    *out = (enum mxt_dtype)i;
    return 0;
}
