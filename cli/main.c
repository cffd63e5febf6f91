/* mxtune's entry point: a table of subcommands and one runner (cli/). The
 * runner dispatches, then checks that stdout was written without error. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "mxt_common.h"

static const struct cli_command commands[] = {
#define CLI_CMD(n, f, s) {n, f, s},
#include "commands.def"
#undef CLI_CMD
};

static void usage(FILE *f) {
    fprintf(f, "usage: mxtune <command> [options]\n\n"
               "mxtune models and tunes matrix kernels (GEMM, sparse, low-rank) for this CPU.\n\n"
               "commands:\n");
    for (size_t i = 0; i < MXT_ARRAY_LEN(commands); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nEvery command takes --help, --db PATH and (where it prints results) --json.\n"
               "Default database: $MXTUNE_DB, else $XDG_DATA_HOME/mxtune/mxtune.db.\n"
               "Exit codes: 0 ok, 1 run-time failure, 2 bad usage, 130 interrupted.\n");
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "mxtune%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'mxtune%s%s --help')\n", cmd ? " " : "", cmd ? cmd : "");
    return CLI_USAGE;
}

int cli_exit_code(int code) {
    if (code == 0) return CLI_OK;
    if (code == MXT_EINVAL || code == MXT_ERANGE) return CLI_USAGE;
    if (code == MXT_EINTR) return CLI_INTERRUPTED;
    return CLI_FAIL;
}

int cli_fail(const char *cmd, int code) {
    const char *msg = mxt_last_error();
    fprintf(stderr, "mxtune %s: %s\n", cmd, msg[0] ? msg : mxt_strerror(code));
    return cli_exit_code(code);
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts) {
    opterr = 0;
    int c = getopt_long(argc, argv, shortopts, longopts, NULL);
    if (c == '?' || c == ':') {
        if (c == ':' || (optopt && strchr(shortopts, optopt)))
            cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        else
            cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        return '?';
    }
    return c;
}

int cli_print_json(char *doc) {
    int rc = (fputs(doc, stdout) == EOF || fputc('\n', stdout) == EOF) ? CLI_FAIL : CLI_OK;
    free(doc);
    return rc;
}

static void on_sigint(int sig) {
    (void)sig;
    if (mxt_interrupted) _exit(130);
    mxt_interrupted = 1;
}

void cli_install_sigint(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("mxtune %s\n", MXT_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < MXT_ARRAY_LEN(commands); i++) {
        if (strcmp(commands[i].name, name) != 0) continue;
        cli_install_sigint();
        optind = 1;
        int rc = commands[i].run(argc - 1, argv + 1);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "mxtune %s: cannot write to stdout: %s\n", name, strerror(errno));
            if (rc == 0) rc = CLI_FAIL;
        }
        if (mxt_interrupted && rc == CLI_OK) rc = CLI_INTERRUPTED;
        return rc;
    }
    return cli_usage_error(NULL, "unknown command '%s'", name);
}
