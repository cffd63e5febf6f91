/* gnuplot for the reports (reports/): found on $PATH, run without a shell
 * (posix_spawn, in the output directory), and the script pieces every picture
 * shares: quoting of stored strings, terminals, tics on log axes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mxt_common.h"
#include "report_internal.h"

extern char **environ;

static int is_executable(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static int not_found(const char *prog) {
    if (strcmp(prog, "gnuplot") == 0)
        return mxt_error(MXT_ENOTFOUND,
                         "gnuplot not found: install gnuplot-nox (apt-get install gnuplot-nox)");
    return mxt_error(MXT_ENOTFOUND, "'%s' not found on PATH", prog);
}

int mxt_report_find_program(const char *prog, char *path, size_t size) {
    if (strchr(prog, '/')) {
        if (!is_executable(prog)) return not_found(prog);
        if (mxt_strlcpy(path, prog, size) >= size)
            return mxt_error(MXT_EINVAL, "program path '%s' is too long", prog);
        return 0;
    }
    /* As execvp would search, but an empty entry (the current directory) is
     * skipped: a report never runs a program from where it happens to be. */
    const char *dirs = getenv("PATH");
    if (!dirs) dirs = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = dirs; *p;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0 && len < size) {
            int n = snprintf(path, size, "%.*s/%s", (int)len, p, prog);
            if (n > 0 && (size_t)n < size && is_executable(path)) return 0;
        }
        if (!end) break;
        p = end + 1;
    }
    return not_found(prog);
}

int mxt_report_plot(const char *gnuplot_path, const char *dir, const char *name,
                    struct mxt_report_files *files) {
    char script[NAME_MAX + 1], out[PATH_MAX];
    posix_spawn_file_actions_t fa;
    int have_fa = 0, rc = 0, status = 0, err;
    pid_t pid;
    if (snprintf(script, sizeof script, "%s.gp", name) >= (int)sizeof script)
        return mxt_error(MXT_EINVAL, "picture name '%s' is too long", name);
    /* -d: no ~/.gnuplot or system init file, so every run draws the same. */
    char *argv[] = {(char *)gnuplot_path, "-d", script, NULL};

    if ((err = posix_spawn_file_actions_init(&fa)) != 0) goto spawn_failed;
    have_fa = 1;
    if ((err = posix_spawn_file_actions_addchdir_np(&fa, dir)) != 0 ||
        (err = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) !=
            0 ||
        (err = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)) != 0)
        goto spawn_failed;
    if ((err = posix_spawn(&pid, gnuplot_path, &fa, NULL, argv, environ)) != 0) goto spawn_failed;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            rc = mxt_error(MXT_EIO, "waiting for gnuplot on '%s/%s': %s", dir, script,
                           strerror(errno));
            goto done;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFEXITED(status))
            rc = mxt_error(MXT_EIO, "gnuplot failed on '%s/%s' (exit %d)", dir, script,
                           WEXITSTATUS(status));
        else
            rc = mxt_error(MXT_EIO, "gnuplot failed on '%s/%s' (signal %d)", dir, script,
                           WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        goto done;
    }
    static const char *const exts[] = {".png", ".svg"};
    for (size_t i = 0; i < MXT_ARRAY_LEN(exts); i++) {
        struct stat st;
        snprintf(out, sizeof out, "%s/%s%s", dir, name, exts[i]);
        if (stat(out, &st) != 0 || st.st_size == 0) {
            rc = mxt_error(MXT_EIO, "gnuplot wrote no '%s'", out);
            goto done;
        }
        if ((rc = mxt_report_files_add(files, out))) goto done;
    }
    goto done;
spawn_failed:
    rc = mxt_error(MXT_EIO, "cannot run '%s': %s", gnuplot_path, strerror(err));
done:
    if (have_fa) posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* ---- script pieces ---- */

void gp_string(FILE *f, const char *s) {
    fputc('\'', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\'')
            fputs("''", f);
        else
            fputc(ch >= 0x20 && ch < 0x7f ? ch : '?', f);
    }
    fputc('\'', f);
}

void dat_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        fputc(ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' ? ch : '\'', f);
    }
    fputc('"', f);
}

void gp_png(FILE *f, const char *name) {
    fprintf(f, "set terminal pngcairo size %d,%d noenhanced font '%s' background '#ffffff'\n",
            RPT_WIDTH, RPT_HEIGHT, RPT_FONT);
    fprintf(f, "set output '%s.png'\n", name);
}

void gp_svg(FILE *f, const char *name) {
    fprintf(f,
            "set terminal svg size %d,%d dynamic noenhanced font '%s' background '#ffffff'\n"
            "set output '%s.svg'\nreplot\nset output\n",
            RPT_WIDTH, RPT_HEIGHT, RPT_FONT, name);
}

void gp_byte_tics(FILE *f, const char *axis, double lo, double hi) {
    if (!(lo > 0) || !(hi > lo)) return;
    int k0 = (int)ceil(log2(lo) - 0.05), k1 = (int)floor(log2(hi) + 0.05); /* tics inside */
    int step = 1;
    while ((k1 - k0) / step > 10)
        step *= 2; /* at most about ten labels */
    fprintf(f, "set %stics (", axis);
    int first = 1;
    for (int k = k0; k <= k1; k++) {
        if (k % step != 0) continue;
        char b[32];
        mxt_format_bytes((uint64_t)1 << k, b, sizeof b);
        fprintf(f, "%s'%s' %.17g", first ? "" : ", ", b, ldexp(1.0, k));
        first = 0;
    }
    fprintf(f, ")\nset m%stics %d\n", axis, step > 1 ? step : 2);
}

void gp_decade_tics_with(FILE *f, const char *axis, double lo, double hi, int max_decades,
                         void (*label)(double v, char *buf, size_t size)) {
    static const double steps[] = {1, 2, 5};
    if (!(lo > 0) || !(hi > lo)) return;
    size_t n_steps = log10(hi / lo) > max_decades ? 1 : MXT_ARRAY_LEN(steps);
    fprintf(f, "set %stics (", axis);
    int first = 1;
    for (int e = (int)floor(log10(lo)); e <= (int)ceil(log10(hi)); e++)
        for (size_t i = 0; i < n_steps; i++) {
            double v = steps[i] * pow(10.0, e);
            if (v < lo * 0.999 || v > hi * 1.001) continue;
            char b[32];
            label(v, b, sizeof b);
            fprintf(f, "%s'%s' %.17g", first ? "" : ", ", b, v);
            first = 0;
        }
    fprintf(f, ")\n");
}

void gp_decade_tics(FILE *f, const char *axis, double lo, double hi) {
    gp_decade_tics_with(f, axis, lo, hi, 5, rpt_value);
}

void rpt_value(double v, char *buf, size_t size) {
    if (v >= 100 || v == floor(v))
        snprintf(buf, size, "%.0f", v);
    else if (v >= 10)
        snprintf(buf, size, "%.1f", v);
    else if (v >= 1)
        snprintf(buf, size, "%.2f", v);
    else
        snprintf(buf, size, "%.3g", v);
}

void rpt_level_name(const struct mxt_cache *c, char *buf, size_t size) {
    snprintf(buf, size, "L%d%s", c->level, c->type == MXT_CACHE_DATA ? "d" : "");
}

const char *rpt_level_colour(int level) {
    static const char *const colours[] = {"#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#d62728"};
    if (level >= 1 && level <= 4) return colours[level - 1];
    return colours[4]; /* DRAM */
}
