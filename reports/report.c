/* The report as a whole (reports/): output directory, list of written files,
 * loading from the database, and the order of work -- data and scripts, then
 * index.html, then gnuplot -- so a missing gnuplot still leaves everything. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mxt_common.h"
#include "mxt_db.h"
#include "report_internal.h"

int mxt_report_files_add(struct mxt_report_files *f, const char *path) {
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        char **p = realloc(f->path, cap * sizeof *p);
        if (!p) return mxt_error(MXT_ENOMEM, "out of memory listing report files");
        f->path = p;
        f->cap = cap;
    }
    char *copy = strdup(path);
    if (!copy) return mxt_error(MXT_ENOMEM, "out of memory listing report files");
    f->path[f->n++] = copy;
    return 0;
}

void mxt_report_files_release(struct mxt_report_files *f) {
    for (size_t i = 0; i < f->n; i++)
        free(f->path[i]);
    free(f->path);
    memset(f, 0, sizeof *f);
}

int rpt_open(const char *dir, const char *name, char *path, size_t size, FILE **f) {
    *f = NULL;
    int n = snprintf(path, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size)
        return mxt_error(MXT_EINVAL, "output path '%s/%s' is too long", dir, name);
    *f = fopen(path, "w");
    if (!*f) return mxt_error(MXT_EIO, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}

int rpt_close(FILE *f, const char *path, struct mxt_report_files *files) {
    if (!f) return 0;
    int bad = ferror(f);
    int saved = errno;
    if (fclose(f) != 0) {
        bad = 1;
        saved = errno;
    }
    if (bad) return mxt_error(MXT_EIO, "cannot write '%s': %s", path, strerror(saved));
    return files ? mxt_report_files_add(files, path) : 0;
}

static int dir_error(const char *dir, int err) {
    return mxt_error(MXT_EIO, "cannot write to output directory '%s': %s", dir, strerror(err));
}

int mxt_report_prepare_dir(const char *dir) {
    char buf[PATH_MAX];
    struct stat st;
    if (!dir || !dir[0]) return mxt_error(MXT_EINVAL, "the output directory is empty");
    if (mxt_strlcpy(buf, dir, sizeof buf) >= sizeof buf)
        return mxt_error(MXT_EINVAL, "output directory '%s' is too long", dir);
    /* mkdir -p: each prefix ending before a '/', then the whole path. */
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return dir_error(dir, errno);
        *p = saved;
        if (saved == '\0') break;
    }
    if (stat(dir, &st) != 0) return dir_error(dir, errno);
    if (!S_ISDIR(st.st_mode)) return dir_error(dir, ENOTDIR);
    if (access(dir, W_OK | X_OK) != 0) return dir_error(dir, errno);
    return 0;
}

int mxt_report_load(struct mxt_db *db, const char *fingerprint, struct mxt_report_input *in) {
    char *json = NULL;
    int rc = mxt_db_get_machine(db, fingerprint, &in->machine);
    if (rc) return rc;
    in->have_curves = 0;
    rc = mxt_db_latest_curves(db, fingerprint, &json);
    if (rc == MXT_ENOTFOUND) {
        mxt_error_clear();
        return 0;
    }
    if (rc) return rc;
    rc = mxt_probe_curves_from_json(json, &in->curves);
    free(json);
    if (rc) {
        char why[256];
        mxt_strlcpy(why, mxt_last_error(), sizeof why);
        return mxt_error(MXT_EFORMAT, "the stored probe curves of '%s' are malformed (%s)",
                         fingerprint, why);
    }
    in->have_curves = 1;
    return 0;
}

/* The pictures index.html knows, in page order, and which report draws them. */
static const struct {
    const char *name;
    unsigned what;
} pictures[] = {
    {"roofline", MXT_REPORT_ROOFLINE},
    {"model", MXT_REPORT_MODEL},
    {"latency", MXT_REPORT_PROBE},
    {"bandwidth", MXT_REPORT_PROBE},
};

static int file_exists(const char *dir, const char *name, const char *ext) {
    char path[PATH_MAX];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/%s%s", dir, name, ext);
    return n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int mxt_report_write(const struct mxt_report_opts *o, const struct mxt_report_input *in,
                     struct mxt_report_files *files) {
    const char *names[MXT_ARRAY_LEN(pictures)];
    size_t n_names = 0;
    char gnuplot[PATH_MAX];
    int rc;
    if (!o || !in || !files || !o->out_dir ||
        !(o->what & (MXT_REPORT_PROBE | MXT_REPORT_ROOFLINE | MXT_REPORT_MODEL)))
        return mxt_error(MXT_EINVAL, "mxt_report_write: missing argument");
    if ((o->what & MXT_REPORT_PROBE) && !in->have_curves)
        return mxt_error(MXT_ENODATA,
                         "no probe curves stored for machine '%s': run 'mxtune probe' again",
                         in->machine.fingerprint);
    if ((o->what & MXT_REPORT_MODEL) && !in->n_pairs)
        return mxt_report_write_model(o->out_dir, in, files); /* its MXT_ENODATA */
    if ((rc = mxt_report_prepare_dir(o->out_dir))) return rc;
    if ((o->what & MXT_REPORT_PROBE) && (rc = mxt_report_write_probe(o->out_dir, in, files)))
        return rc;
    if ((o->what & MXT_REPORT_ROOFLINE) &&
        (rc = mxt_report_write_roofline(o->out_dir, &in->machine,
                                        in->have_curves ? &in->curves : NULL, in->points,
                                        in->n_points, files)))
        return rc;
    if ((o->what & MXT_REPORT_MODEL) && (rc = mxt_report_write_model(o->out_dir, in, files)))
        return rc;
    /* The page shows this run's pictures and those an earlier run left here. */
    for (size_t i = 0; i < MXT_ARRAY_LEN(pictures); i++)
        if ((o->what & pictures[i].what) || file_exists(o->out_dir, pictures[i].name, ".gp"))
            names[n_names++] = pictures[i].name;
    if ((rc = mxt_report_write_index(o->out_dir, in, names, n_names, files))) return rc;

    if ((rc =
             mxt_report_find_program(o->gnuplot ? o->gnuplot : "gnuplot", gnuplot, sizeof gnuplot)))
        return rc;
    for (size_t i = 0; i < MXT_ARRAY_LEN(pictures); i++) {
        if (!(o->what & pictures[i].what)) continue;
        if ((rc = mxt_report_plot(gnuplot, o->out_dir, pictures[i].name, files))) return rc;
    }
    return 0;
}
