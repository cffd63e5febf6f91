/* Shared pieces of the command-line program: the command table entry, option
 * parsing helpers and the exit-code conventions of CLI.md (cli/). */
#ifndef MXT_CLI_H
#define MXT_CLI_H

#include <getopt.h>
#include <stdio.h>
#include "mxtune/config.h"
#include "mxtune/errors.h"
#include "mxtune/model.h"

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
int cmd_search(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* ---- configuration flags shared by model, bench and search (cli_config.c) ---- */

enum {
    CLI_OPT_DTYPE = 0x1000,
    CLI_OPT_SCHEDULE,
    CLI_OPT_SIZING,
    CLI_OPT_MR,
    CLI_OPT_NR,
    CLI_OPT_MC,
    CLI_OPT_KC,
    CLI_OPT_NC,
    CLI_OPT_ALPHA,
    CLI_OPT_ISA,
    CLI_OPT_THREADS,
    CLI_OPT_CONFIG_END
};

/* Entries for a getopt_long table. */
/* clang-format off */
#define CLI_CONFIG_OPTIONS                                                                         \
    {"dtype", required_argument, NULL, CLI_OPT_DTYPE},                                             \
    {"schedule", required_argument, NULL, CLI_OPT_SCHEDULE},                                       \
    {"sizing", required_argument, NULL, CLI_OPT_SIZING},                                           \
    {"mr", required_argument, NULL, CLI_OPT_MR},                                                   \
    {"nr", required_argument, NULL, CLI_OPT_NR},                                                   \
    {"mc", required_argument, NULL, CLI_OPT_MC},                                                   \
    {"kc", required_argument, NULL, CLI_OPT_KC},                                                   \
    {"nc", required_argument, NULL, CLI_OPT_NC},                                                   \
    {"alpha", required_argument, NULL, CLI_OPT_ALPHA},                                             \
    {"isa", required_argument, NULL, CLI_OPT_ISA},                                                 \
    {"threads", required_argument, NULL, CLI_OPT_THREADS}
/* clang-format on */

struct cli_config {
    enum mxt_dtype dtype;   /* f32 */
    struct mxt_config cfg;  /* schedule cake, everything else 0 */
    enum mxt_sizing sizing; /* default (per schedule) */
    unsigned given;         /* a bit per flag given: CLI_CONFIG_GIVEN */
};
#define CLI_CONFIG_GIVEN(c, opt) (((c)->given >> ((opt)-CLI_OPT_DTYPE)) & 1u)

/* -m, -n, -k (opt is 'm', 'n' or 'k'): a size in [1, MXT_MODEL_MAX_DIM] into *m,
 * *n or *k, and the matching have flag set. 0 or MXT_EINVAL / MXT_ERANGE. */
int cli_dim_option(int opt, const char *arg, int64_t *m, int64_t *n, int64_t *k, int *have_m,
                   int *have_n, int *have_k);

/* --op, --density and --rank of the commands that run kernels (bench, search):
 * which is 'o', 'd' or 'r'. --op takes the ops with kernels (gemm, spmm,
 * lowrank; `verb` names the command in the refusal, e.g. "bench runs"), --density
 * a number in (0, 1], --rank an integer in [1, MXT_MODEL_MAX_DIM]; the have flag
 * is set for --density and --rank. 0 or MXT_EINVAL / MXT_ERANGE with the reason. */
int cli_op_option(int which, const char *verb, const char *arg, enum mxt_op *op, double *density,
                  int *have_density, int64_t *rank, int *have_rank);

/* The flags' help lines, for the commands' usage texts. */
extern const char cli_config_help[];
/* The environment the kernels read (MXT_ISA, MXT_HUGEPAGES), for bench and search. */
extern const char cli_env_help[];
void cli_config_init(struct cli_config *c);
static inline int cli_is_config_option(int opt) {
    return opt >= CLI_OPT_DTYPE && opt < CLI_OPT_CONFIG_END;
}
/* Parse one configuration flag: 0 or MXT_EINVAL / MXT_ERANGE naming the value. */
int cli_config_option(int opt, const char *arg, struct cli_config *c);

/* `mxtune model accuracy`: the model against this machine's measurements. */
int cli_model_accuracy(const char *db_path, int json);
int cmd_report(int argc, char **argv);
int cmd_lookup(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
