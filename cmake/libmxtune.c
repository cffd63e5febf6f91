/* libmxtune's own translation unit (cmake/): the library is the module
 * archives linked whole; this file only carries the version string. */
#include "mxtune/mxtune.h"

const char *mxt_version(void) {
    return MXT_VERSION;
}
