/* One measuring process per machine (db/): an exclusive flock(2) on
 * "<db path>.lock", holding the owner's pid as text so that a waiter can say
 * whom it waits for. The kernel drops the lock when the holder dies. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include "db_internal.h"
#include "mxt_common.h"

struct mxt_db_lock {
    int fd;
};

/* The pid written by the holder (0 if unreadable). */
static long holder_pid(int fd) {
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = '\0';
    char *end = NULL;
    long pid = strtol(buf, &end, 10);
    return end != buf && pid > 0 ? pid : 0;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        if (mxt_interrupted) return;
    }
}

int mxt_db_lock_measure(const char *db_path, int wait, double timeout_s,
                        void (*notify)(const char *msg, void *ctx), void *ctx,
                        struct mxt_db_lock **out) {
    char path[PATH_MAX + 8], dbp[PATH_MAX], msg[160];
    struct mxt_db_lock *lock = NULL;
    int fd = -1, rc = 0, told = 0;
    if (!out) return mxt_error(MXT_EINVAL, "mxt_db_lock_measure: no handle to fill");
    *out = NULL;
    if (!db_path) {
        if ((rc = mxt_db_default_path(dbp, sizeof dbp)) != 0) return rc;
        db_path = dbp;
    }
    if (snprintf(path, sizeof path, "%s.lock", db_path) >= (int)sizeof path)
        return mxt_error(MXT_EINVAL, "database path '%.64s...' is too long", db_path);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return mxt_error(MXT_EIO, "cannot open the lock file '%s': %s", path, strerror(errno));
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) break;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            rc = mxt_error(MXT_EIO, "cannot lock '%s': %s", path, strerror(errno));
            goto fail;
        }
        long pid = holder_pid(fd);
        if (!wait) {
            rc = mxt_error(MXT_EBUSY,
                           "another mxtune (pid %ld) is measuring on this machine "
                           "(lock '%s')",
                           pid, path);
            goto fail;
        }
        if (!told && notify) {
            snprintf(msg, sizeof msg,
                     "waiting for another mxtune measuring on this machine "
                     "(pid %ld)...",
                     pid);
            notify(msg, ctx);
        }
        told = 1;
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double waited = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (timeout_s > 0 && waited >= timeout_s) {
            rc = mxt_error(MXT_EBUSY,
                           "gave up after %.0f s waiting for another mxtune (pid %ld) "
                           "measuring on this machine (lock '%s')",
                           timeout_s, pid, path);
            goto fail;
        }
        if (mxt_interrupted) {
            rc = mxt_error(MXT_EINTR, "interrupted while waiting for the lock '%s'", path);
            goto fail;
        }
        sleep_ms(50);
    }
    /* Ours now: record who holds it (best effort, for the waiters' message). */
    char pid_text[32];
    int n = snprintf(pid_text, sizeof pid_text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, pid_text, (size_t)n, 0) != n) {
        /* the message of a waiter then says pid 0; the lock itself holds */
    }
    if (!(lock = malloc(sizeof *lock))) {
        rc = mxt_error(MXT_ENOMEM, "out of memory taking the lock");
        goto fail;
    }
    lock->fd = fd;
    *out = lock;
    return 0;
fail:
    close(fd);
    return rc;
}

void mxt_db_unlock(struct mxt_db_lock *lock) {
    if (!lock) return;
    /* Leave the file in place: removing it would race a waiter that opened it. */
    if (ftruncate(lock->fd, 0) != 0) {
        /* a stale pid in the file is harmless: the lock is what counts */
    }
    close(lock->fd);
    free(lock);
}
