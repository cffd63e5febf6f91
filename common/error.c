/* Error codes and the per-thread last-error message (common/). */
#include <stdarg.h>
#include <stdio.h>
#include "mxt_common.h"

static _Thread_local char last_msg[512];

static const struct {
    int code;
    const char *name;
} err_names[] = {
    {MXT_OK, "success"},
    {MXT_EINVAL, "invalid argument"},
    {MXT_ENOMEM, "out of memory"},
    {MXT_EIO, "input/output error"},
    {MXT_EFORMAT, "malformed input"},
    {MXT_EDB, "database error"},
    {MXT_EDBNEWER, "database written by a newer mxtune"},
    {MXT_EDBCORRUPT, "not an mxtune database"},
    {MXT_ENOTFOUND, "not found"},
    {MXT_EUNSUPPORTED, "not supported"},
    {MXT_EINTR, "interrupted"},
    {MXT_ENODATA, "missing data"},
    {MXT_EBUSY, "busy"},
    {MXT_ERANGE, "value out of range"},
    {MXT_EMEASURE, "measurement failed"},
};

const char *mxt_strerror(int code) {
    for (size_t i = 0; i < MXT_ARRAY_LEN(err_names); i++)
        if (err_names[i].code == code) return err_names[i].name;
    return "unknown error";
}

const char *mxt_last_error(void) {
    return last_msg;
}

void mxt_error_clear(void) {
    last_msg[0] = '\0';
}

int mxt_error(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    return code;
}
