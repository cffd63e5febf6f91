/* `mxtune report probe|roofline|model|all`: pictures and an HTML page of a stored
 * machine (cli/). Resolves which machine, then reports/ writes the .dat and
 * .gp files, index.html, and runs gnuplot; the written files go to stdout. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_reports.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: mxtune report probe|roofline|model|all [--out DIR] [--fingerprint FP]\n"
            "                     [--json] [--db PATH]\n"
            "\n"
            "Pictures of a stored machine, drawn with gnuplot, and an HTML page with its table.\n"
            "Each picture NAME is written as NAME.dat and NAME.gp (kept: run 'gnuplot NAME.gp'\n"
            "in DIR to draw it again), NAME.png and NAME.svg; index.html shows them all.\n"
            "\n"
            "  probe             latency and read bandwidth against working-set size, with the\n"
            "                    detected cache levels marked (latency, bandwidth)\n"
            "  roofline          GFLOP/s against FLOP/byte: f32 and f64 peak, L1, L2, L3 and\n"
            "                    DRAM bandwidth ceilings, the tuned winners measured and as\n"
            "                    the model predicts them (roofline)\n"
            "  model             predicted against measured time of every measurement, with\n"
            "                    the error statistics (model)\n"
            "  all               all of them (model skipped, with a note, before any search)\n"
            "  --out DIR         where to write (default ./mxtune-report, created if missing)\n"
            "  --fingerprint FP  the machine stored under FP (default: this machine; see\n"
            "                    'mxtune machine list')\n"
            "  --json            print {\"schema\":\"mxtune.report/1\",\"files\":[...]} instead "
            "of\n"
            "                    one written file per line\n"
            "  --db PATH         the database (default $MXTUNE_DB, else\n"
            "                    $XDG_DATA_HOME/mxtune/mxtune.db)\n"
            "  -h, --help        this text\n"
            "\n"
            "Without gnuplot the .dat, .gp and index.html files are still written and the\n"
            "command exits 1 (install gnuplot-nox).\n");
}

static int count_row(const struct mxt_db_machine_row *row, void *ctx) {
    (void)row;
    (*(int *)ctx)++;
    return 0;
}

/* Which machine, its profile and curves, and the tuner's rows the pictures in
 * `what` draw: winners as roofline points, measurements as model pairs. */
static int load_input(const char *db_path, const char *fingerprint, unsigned what,
                      struct mxt_report_input *in, struct mxt_report_points *pts,
                      struct mxt_model_pairs *pairs) {
    struct mxt_db *db = NULL;
    int n = 0, rc = mxt_db_open(db_path, MXT_DB_READONLY, &db);
    if (rc) return rc;
    if ((rc = mxt_db_list_machines(db, count_row, &n))) goto done;
    if (n == 0) {
        rc = mxt_error(MXT_ENOTFOUND, "no machine profile in '%s': run 'mxtune probe' first",
                       mxt_db_path(db));
        goto done;
    }
    if (!fingerprint) { /* this machine, by its fingerprint */
        if ((rc = cli_load_this_machine(db_path, &in->machine))) goto done;
        fingerprint = in->machine.fingerprint;
    }
    rc = mxt_report_load(db, fingerprint, in);
    if (rc == MXT_ENOTFOUND)
        rc = mxt_error(MXT_ENOTFOUND,
                       "no machine with fingerprint '%s' in '%s' (see 'mxtune machine list')",
                       fingerprint, mxt_db_path(db));
    if (rc) goto done;
    if ((what & MXT_REPORT_ROOFLINE) &&
        (rc = mxt_report_load_points(db, &in->machine, in->have_curves ? &in->curves : NULL, pts)))
        goto done;
    if ((what & MXT_REPORT_MODEL) && (rc = mxt_report_load_pairs(db, &in->machine, pairs)))
        goto done;
    in->points = pts->p;
    in->n_points = pts->n;
    in->pairs = pairs->p;
    in->n_pairs = pairs->n;
done:
    mxt_db_close(db);
    return rc;
}

static int print_files(const struct mxt_report_files *files, int json) {
    if (!json) {
        for (size_t i = 0; i < files->n; i++)
            puts(files->path[i]);
        return CLI_OK;
    }
    cJSON *root = cJSON_CreateObject(), *list = NULL;
    int ok = root && cJSON_AddStringToObject(root, "schema", "mxtune.report/1") &&
             (list = cJSON_AddArrayToObject(root, "files"));
    for (size_t i = 0; ok && i < files->n; i++) {
        cJSON *s = cJSON_CreateString(files->path[i]);
        ok = s && cJSON_AddItemToArray(list, s);
        if (!ok) cJSON_Delete(s);
    }
    char *doc = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!doc) return cli_fail("report", mxt_error(MXT_ENOMEM, "out of memory writing JSON"));
    return cli_print_json(doc);
}

int cmd_report(int argc, char **argv) {
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"fingerprint", required_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    struct mxt_report_opts ro = {.out_dir = "mxtune-report"};
    struct mxt_report_files files = {0};
    struct mxt_report_input *in = NULL;
    struct mxt_report_points pts = {0};
    struct mxt_model_pairs pairs = {0};
    const char *db_path = NULL, *fingerprint = NULL, *out = NULL;
    char dir[PATH_MAX];
    int json = 0, c, rc, exit_code = CLI_OK;

    if (argc < 2)
        return cli_usage_error("report", "missing subcommand: probe, roofline, model or all");
    const char *verb = argv[1];
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(verb, "probe") == 0)
        ro.what = MXT_REPORT_PROBE;
    else if (strcmp(verb, "roofline") == 0)
        ro.what = MXT_REPORT_ROOFLINE;
    else if (strcmp(verb, "model") == 0)
        ro.what = MXT_REPORT_MODEL;
    else if (strcmp(verb, "all") == 0)
        ro.what = MXT_REPORT_PROBE | MXT_REPORT_ROOFLINE | MXT_REPORT_MODEL;
    else
        return cli_usage_error("report", "unknown subcommand '%s' (probe, roofline, model or all)",
                               verb);

    optind = 1;
    while ((c = cli_getopt("report", argc - 1, argv + 1, ":h", opts)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return CLI_OK;
        case 'j':
            json = 1;
            break;
        case 'd':
            db_path = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'f':
            fingerprint = optarg;
            break;
        default:
            return CLI_USAGE;
        }
    }
    if (optind < argc - 1)
        return cli_usage_error("report", "unexpected argument '%s'", argv[1 + optind]);
    if (db_path && !db_path[0]) return cli_usage_error("report", "--db needs a path");
    if (out && !out[0]) return cli_usage_error("report", "--out needs a directory");
    if (fingerprint && (!fingerprint[0] || strlen(fingerprint) >= sizeof in->machine.fingerprint))
        return cli_usage_error("report", "'%s' is not a fingerprint", fingerprint);
    if (out) { /* without trailing slashes, so the listed paths read DIR/NAME */
        if (mxt_strlcpy(dir, out, sizeof dir) >= sizeof dir)
            return cli_usage_error("report", "--out '%s' is too long", out);
        for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
            dir[n - 1] = '\0';
        ro.out_dir = dir;
    }

    if (!(in = calloc(1, sizeof *in))) {
        exit_code = cli_fail("report", mxt_error(MXT_ENOMEM, "out of memory"));
        goto done;
    }
    if ((rc = load_input(db_path, fingerprint, ro.what, in, &pts, &pairs))) {
        exit_code = cli_fail("report", rc);
        goto done;
    }
    if ((ro.what & MXT_REPORT_PROBE) && !in->have_curves && ro.what != MXT_REPORT_PROBE) {
        fprintf(stderr,
                "mxtune report: no probe curves stored for '%s': latency and bandwidth "
                "pictures skipped (run 'mxtune probe' again)\n",
                in->machine.fingerprint);
        ro.what &= ~(unsigned)MXT_REPORT_PROBE;
    }
    if ((ro.what & MXT_REPORT_MODEL) && !in->n_pairs && ro.what != MXT_REPORT_MODEL) {
        fprintf(stderr,
                "mxtune report: no measurements stored for '%s': the model picture is skipped "
                "(run 'mxtune search')\n",
                in->machine.fingerprint);
        ro.what &= ~(unsigned)MXT_REPORT_MODEL;
    }
    if ((ro.what & MXT_REPORT_MODEL) && pairs.skipped)
        fprintf(stderr,
                "mxtune report: note: %d measurement%s without a stored prediction the model "
                "cannot evaluate: not in the model picture\n",
                pairs.skipped, pairs.skipped == 1 ? "" : "s");
    if (ro.what & MXT_REPORT_ROOFLINE) /* winners left out or above their ceilings */
        for (int i = 0; i < pts.n_notes; i++)
            fprintf(stderr, "mxtune report: %s: %s\n",
                    strstr(pts.notes[i], "above its ceiling") ? "warning" : "note", pts.notes[i]);
    if (ro.what & MXT_REPORT_ROOFLINE) { /* values of the profile the roofline leaves out */
        struct mxt_roofline r;
        mxt_roofline_ceilings(&in->machine, in->have_curves ? &in->curves : NULL, &r);
        for (int i = 0; i < r.n_notes; i++)
            fprintf(stderr, "mxtune report: note: %s\n", r.notes[i]);
    }
    rc = mxt_report_write(&ro, in, &files);
    /* What was written is listed also when gnuplot is missing or failed. */
    if (files.n || !rc) exit_code = print_files(&files, json);
    if (rc) exit_code = cli_fail("report", rc);
done:
    mxt_report_files_release(&files);
    mxt_report_points_release(&pts);
    mxt_report_pairs_release(&pairs);
    free(in);
    return exit_code;
}
