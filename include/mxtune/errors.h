/* mxtune error codes.
 *
 * Every library function returns 0 on success or one of the negative MXT_E*
 * codes below, and records a one-line message (lower case, no final stop) that
 * mxt_last_error() returns for the calling thread. Library code never prints
 * and never exits; only the command-line program does.
 */
#ifndef MXTUNE_ERRORS_H
#define MXTUNE_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

enum mxt_err {
    MXT_OK = 0,
    MXT_EINVAL = -1,       /* a bad argument: size, flag value, pointer */
    MXT_ENOMEM = -2,       /* an allocation failed */
    MXT_EIO = -3,          /* a file could not be read or written */
    MXT_EFORMAT = -4,      /* a file or document is malformed */
    MXT_EDB = -5,          /* the database failed (locked, full, ...) */
    MXT_EDBNEWER = -6,     /* the database was written by a newer mxtune */
    MXT_EDBCORRUPT = -7,   /* the file is not an mxtune database */
    MXT_ENOTFOUND = -8,    /* nothing stored under that key */
    MXT_EUNSUPPORTED = -9, /* the machine or build cannot do this */
    MXT_EINTR = -10,       /* interrupted (Ctrl-C) */
    MXT_ENODATA = -11,     /* a needed value is missing (e.g. no DRAM bandwidth) */
    MXT_EBUSY = -12,       /* a lock is held by someone else */
    MXT_ERANGE = -13,      /* a value is out of range */
    MXT_EMEASURE = -14     /* a measurement could not be made */
};

/* Static name of an error code, e.g. "invalid argument". Never NULL. */
const char *mxt_strerror(int code);

/* The message recorded by the last failing call on this thread (borrowed,
 * valid until the next failing call on this thread). Empty string if none. */
const char *mxt_last_error(void);

#ifdef __cplusplus
}
#endif
#endif
