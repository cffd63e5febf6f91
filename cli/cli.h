/* Shared pieces of the command-line program: the command table entry, option
 * parsing helpers and the exit-code conventions of CLI.md (cli/). */
#ifndef MXT_CLI_H
#define MXT_CLI_H

#include <getopt.h>
#include <stdio.h>
#include "mxtune/errors.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_INTERRUPTED = 130 };

struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* Options every command takes. */
struct cli_common {
    const char *db_path; /* --db, NULL = default location */
    int json;            /* --json */
};

/* Print "mxtune <cmd>: <message>" on stderr; return CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report a library error (its recorded message) and map the code to an exit code:
 * MXT_EINVAL/MXT_ERANGE -> 2, MXT_EINTR -> 130, everything else -> 1. */
int cli_fail(const char *cmd, int code);
/* Exit code for a library code, without printing. */
int cli_exit_code(int code);

/* getopt_long wrapper that reports unknown options as usage errors: returns the
 * option, -1 at the end, or '?' after printing the error. */
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* Write a JSON document followed by a newline to stdout; frees it. */
int cli_print_json(char *doc);

/* Install the SIGINT handler that sets mxt_interrupted (second Ctrl-C kills). */
void cli_install_sigint(void);

struct mxt_machine;
/* This machine's stored profile (by fingerprint); MXT_ENOTFOUND with a message
 * saying to run 'mxtune probe' when there is none. */
int cli_load_this_machine(const char *db_path, struct mxt_machine *m);
/* The profile as a readable table (levels, DRAM, peak, rejected priors, warnings). */
void cli_print_machine(FILE *f, const struct mxt_machine *m);

int cmd_probe(int argc, char **argv);
int cmd_machine(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
