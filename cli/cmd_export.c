/* `mxtune export --format header|json|blis`: one machine's tuned configurations
 * for other code (cli/). reports/ reads and writes them; this parses the flags,
 * picks the output (stdout or --out FILE) and maps errors to exit codes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_export.h"

static const char *const cmd = "export";

static void usage(FILE *f) {
    fprintf(f, "usage: mxtune export [--format header|json|blis] [--op gemm] [--fingerprint FP]\n"
               "                     [--out FILE] [--db PATH]\n"
               "\n"
               "Write one machine's tuned configurations for other code (docs/formats.md):\n"
               "\n"
               "  header  a C header (default): provenance comment, #defines per dtype and shape\n"
               "          (MXTUNE_GEMM_F32_M1024_N1024_K1024_MC, ...), a default for shapes not\n"
               "          tuned (MXTUNE_GEMM_F32_DEFAULT_*), a table and lookup functions; it\n"
               "          compiles alone with -std=c11 -Wall -Wextra -Werror -pedantic\n"
               "  json    one mxtune.export/1 document\n"
               "  blis    block sizes per datatype as a BLIS context takes them:\n"
               "          lines 's MR=.. NR=.. MC=.. KC=.. NC=..' and 'd ...'\n"
               "\n"
               "  --format F        header, json or blis\n"
               "  --op OP           gemm (default), spmm, lowrank, contract\n"
               "  --fingerprint FP  the machine stored under FP (default: this machine, else the\n"
               "                    database's only machine; see 'mxtune machine list')\n"
               "  --out FILE        write FILE instead of stdout\n"
               "  --db PATH         the database (default $MXTUNE_DB, else\n"
               "                    $XDG_DATA_HOME/mxtune/mxtune.db)\n"
               "  -h, --help        this text\n"
               "\n"
               "Winners measured by an older kernel version (stale) are left out, with a note.\n"
               "Run 'mxtune probe' and 'mxtune search' first.\n");
}

enum { OPT_FORMAT = 256, OPT_OP, OPT_FP, OPT_OUT, OPT_DB };
enum format { FMT_HEADER = 0, FMT_JSON, FMT_BLIS };

static const struct option longopts[] = {{"format", required_argument, NULL, OPT_FORMAT},
                                         {"op", required_argument, NULL, OPT_OP},
                                         {"fingerprint", required_argument, NULL, OPT_FP},
                                         {"out", required_argument, NULL, OPT_OUT},
                                         {"db", required_argument, NULL, OPT_DB},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};

struct opts {
    enum format format;
    const char *op, *fingerprint, *out, *db;
};

/* 0, -1 after --help, or an exit code. */
static int parse(int argc, char **argv, struct opts *o) {
    static const char *const formats[] = {"header", "json", "blis"};
    static const char *const ops[] = {"gemm", "spmm", "lowrank", "contract"};
    int c, found;
    o->op = "gemm";
    while ((c = cli_getopt(cmd, argc, argv, "h", longopts)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return -1;
        case OPT_FORMAT:
            found = 0;
            for (size_t i = 0; i < MXT_ARRAY_LEN(formats); i++)
                if (strcmp(optarg, formats[i]) == 0) {
                    o->format = (enum format)i;
                    found = 1;
                }
            if (!found)
                return cli_usage_error(cmd, "unknown format '%s' (header, json or blis)", optarg);
            break;
        case OPT_OP:
            o->op = NULL;
            for (size_t i = 0; i < MXT_ARRAY_LEN(ops); i++)
                if (strcmp(optarg, ops[i]) == 0) o->op = ops[i];
            if (!o->op)
                return cli_usage_error(cmd, "unknown op '%s' (gemm, spmm, lowrank, contract)",
                                       optarg);
            break;
        case OPT_FP:
            if (!optarg[0] || strlen(optarg) >= 40)
                return cli_usage_error(cmd, "'%s' is not a fingerprint", optarg);
            o->fingerprint = optarg;
            break;
        case OPT_OUT:
            if (!optarg[0]) return cli_usage_error(cmd, "--out needs a file name");
            o->out = optarg;
            break;
        case OPT_DB:
            if (!optarg[0]) return cli_usage_error(cmd, "--db needs a path");
            o->db = optarg;
            break;
        default:
            return CLI_USAGE;
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* Open the database read-only; a missing file says what to run. */
static int open_db(const char *path, struct mxt_db **db) {
    int rc = mxt_db_open(path, MXT_DB_READONLY, db);
    if (rc != MXT_ENOTFOUND) return rc;
    char where[4096] = "";
    if (path)
        mxt_strlcpy(where, path, sizeof where);
    else if (mxt_db_default_path(where, sizeof where) != 0)
        mxt_strlcpy(where, "(default location)", sizeof where);
    return mxt_error(MXT_ENOTFOUND,
                     "no database at '%s': run 'mxtune probe' and 'mxtune search' first", where);
}

static int write_doc(FILE *f, enum format format, const struct mxt_export *x) {
    char *doc = NULL;
    int rc;
    switch (format) {
    case FMT_HEADER:
        return mxt_export_header(f, x);
    case FMT_BLIS:
        return mxt_export_blis(f, x);
    case FMT_JSON:
        if ((rc = mxt_export_json(x, &doc))) return rc;
        rc = fputs(doc, f) == EOF || fputc('\n', f) == EOF ? mxt_error(MXT_EIO, "write error") : 0;
        free(doc);
        return rc;
    }
    return mxt_error(MXT_EINVAL, "unknown format");
}

int cmd_export(int argc, char **argv) {
    struct opts o = {0};
    struct mxt_export *x = NULL;
    struct mxt_db *db = NULL;
    FILE *f = NULL;
    char note[512];
    int rc, exit_code = CLI_OK;

    optind = 1;
    if ((rc = parse(argc, argv, &o))) return rc < 0 ? CLI_OK : rc;
    if (!(x = calloc(1, sizeof *x))) {
        exit_code = cli_fail(cmd, mxt_error(MXT_ENOMEM, "out of memory"));
        goto done;
    }
    if ((rc = open_db(o.db, &db)) ||
        (rc = mxt_export_load(db, o.fingerprint, o.op, x, note, sizeof note))) {
        exit_code = cli_fail(cmd, rc);
        goto done;
    }
    if (note[0]) fprintf(stderr, "mxtune export: note: %s\n", note);

    /* The document is complete in memory before the file is touched. */
    f = o.out ? fopen(o.out, "w") : stdout;
    if (!f) {
        exit_code =
            cli_fail(cmd, mxt_error(MXT_EIO, "cannot write '%s': %s", o.out, strerror(errno)));
        goto done;
    }
    rc = write_doc(f, o.format, x);
    if (o.out) {
        int err = fclose(f) != 0 ? errno : 0;
        f = NULL;
        if (!rc && err) rc = mxt_error(MXT_EIO, "cannot write '%s': %s", o.out, strerror(err));
        if (rc && strstr(mxt_last_error(), o.out) == NULL) {
            char why[256];
            mxt_strlcpy(why, mxt_last_error(), sizeof why);
            rc = mxt_error(MXT_EIO, "cannot write '%s': %s", o.out, why);
        }
        /* No half-written file left behind (a device such as /dev/full stays). */
        struct stat st;
        if (rc && stat(o.out, &st) == 0 && S_ISREG(st.st_mode)) remove(o.out);
    } else if (!rc && fflush(stdout) != 0) {
        rc = mxt_error(MXT_EIO, "cannot write to stdout: %s", strerror(errno));
    }
    if (rc) exit_code = cli_fail(cmd, rc);
done:
    mxt_export_release(x);
    free(x);
    mxt_db_close(db);
    return exit_code;
}
