/* `mxtune probe`: measure this machine and store the profile (cli/). The
 * database is opened before measuring, so a bad path fails at once; nothing
 * is stored when the probe is interrupted or fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "mxt_common.h"
#include "mxt_db.h"
#include "priors.h"
#include "probes.h"

static const char usage_text[] =
    "usage: mxtune probe [--quick | --thorough] [--json] [--db PATH] [--max-memory SIZE]\n"
    "\n"
    "Measure this machine by microbenchmarks -- cache sizes (nominal and usable), latencies,\n"
    "line size, L1 ways, bandwidth per level and DRAM (1 thread and all), FMA latency and\n"
    "peak FLOP/s -- and store the profile under the machine's fingerprint.\n"
    "\n"
    "  --quick            about 3 s (sweep to 64 MiB, fewer repeats)\n"
    "  --thorough         about 60 s (sweep to 1 GiB, more points and repeats)\n"
    "  --json             print the mxtune.machine/1 document instead of the table\n"
    "  --db PATH          database file (default $MXTUNE_DB, else "
    "$XDG_DATA_HOME/mxtune/mxtune.db)\n"
    "  --max-memory SIZE  cap the latency sweep's buffer (e.g. 64M); it is also capped at\n"
    "                     25 %% of the available memory\n"
    "  --no-store         measure and print, store nothing\n"
    "  --save-curves FILE also write the raw curves (mxtune.curves/1 JSON) to FILE\n"
    "  --dump-cpuid       print this CPU's raw CPUID leaves (the format of tests/data/cpuid)\n"
    "                     and exit; with --save-curves, for recording test fixtures\n"
    "  --help             this text\n"
    "\n"
    "Progress goes to stderr. Ctrl-C stops the probe and stores nothing (exit 130).\n";

struct progress {
    double t0;
    char last[48];
    int tty;
};

static void on_progress(const char *phase, double frac, void *ctx) {
    struct progress *p = ctx;
    double t = mxt_clock_monotonic(NULL) - p->t0;
    if (strcmp(phase, p->last) != 0) {
        if (p->tty && p->last[0]) fputc('\n', stderr);
        mxt_strlcpy(p->last, phase, sizeof p->last);
        if (p->tty)
            fprintf(stderr, "[%5.1f s] %s", t, phase);
        else
            fprintf(stderr, "mxtune probe: [%5.1f s] %s\n", t, phase);
    } else if (p->tty && frac > 0 && frac < 1) {
        fprintf(stderr, "\r[%5.1f s] %s %3.0f%%", t, phase, frac * 100);
    }
    if (p->tty && frac >= 1) fputc('\n', stderr);
    fflush(stderr);
}

int cmd_probe(int argc, char **argv) {
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},       {"quick", no_argument, NULL, 'q'},
        {"thorough", no_argument, NULL, 't'},   {"json", no_argument, NULL, 'j'},
        {"db", required_argument, NULL, 'd'},   {"max-memory", required_argument, NULL, 'M'},
        {"no-store", no_argument, NULL, 'n'},   {"save-curves", required_argument, NULL, 'S'},
        {"dump-cpuid", no_argument, NULL, 'C'}, {NULL, 0, NULL, 0},
    };
    struct mxt_probe_opts po = {.mode = MXT_PROBE_DEFAULT};
    const char *db_path = NULL, *curves_path = NULL;
    int json = 0, quick = 0, thorough = 0, store = 1, c;
    while ((c = cli_getopt("probe", argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            return CLI_OK;
        case 'q':
            quick = 1;
            break;
        case 't':
            thorough = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'd':
            db_path = optarg;
            break;
        case 'n':
            store = 0;
            break;
        case 'S':
            curves_path = optarg;
            break;
        case 'C': {
            int rc = mxt_priors_dump_cpuid(stdout);
            return rc ? cli_fail("probe", rc) : CLI_OK;
        }
        case 'M': {
            uint64_t v;
            if (mxt_parse_size(optarg, "--max-memory", &v)) return cli_fail("probe", MXT_EINVAL);
            if (v < ((uint64_t)1 << 20))
                return cli_usage_error("probe", "--max-memory '%s' is below 1 MiB", optarg);
            po.max_sweep_bytes = (size_t)v;
            break;
        }
        default:
            return CLI_USAGE;
        }
    }
    if (optind < argc) return cli_usage_error("probe", "unexpected argument '%s'", argv[optind]);
    if (quick && thorough) return cli_usage_error("probe", "--quick and --thorough conflict");
    po.mode = quick ? MXT_PROBE_QUICK : thorough ? MXT_PROBE_THOROUGH : MXT_PROBE_DEFAULT;

    struct mxt_db *db = NULL;
    int rc;
    if (store && (rc = mxt_db_open(db_path, MXT_DB_CREATE, &db))) return cli_fail("probe", rc);

    struct progress pg = {.t0 = mxt_clock_monotonic(NULL), .tty = isatty(2)};
    po.progress = on_progress;
    po.progress_ctx = &pg;
    struct mxt_machine *m = malloc(sizeof *m);
    struct mxt_probe_curves *cv = malloc(sizeof *cv);
    char *doc = NULL, *curves = NULL;
    int exit_code = CLI_OK;
    if (!m || !cv) {
        exit_code = cli_fail("probe", mxt_error(MXT_ENOMEM, "out of memory"));
        goto done;
    }
    rc = mxt_probe_run(&po, m, cv);
    if (rc == MXT_EINTR || mxt_interrupted) {
        fprintf(stderr, "\nmxtune probe: interrupted: nothing stored\n");
        exit_code = CLI_INTERRUPTED;
        goto done;
    }
    if (rc) {
        exit_code = cli_fail("probe", rc);
        goto done;
    }
    if ((rc = mxt_probe_curves_to_json(cv, &curves))) {
        exit_code = cli_fail("probe", rc);
        goto done;
    }
    if (curves_path) {
        FILE *f = fopen(curves_path, "w");
        int bad = !f;
        if (f) {
            bad = fputs(curves, f) == EOF;
            bad |= fclose(f) != 0;
        }
        if (bad) {
            exit_code =
                cli_fail("probe", mxt_error(MXT_EIO, "cannot write curves to '%s'", curves_path));
            goto done;
        }
    }
    int64_t run_id = 0;
    int kept =
        db && po.mode == MXT_PROBE_QUICK && mxt_db_machine_has_full_probe(db, m->fingerprint);
    if (db) {
        rc = mxt_db_store_probe(db, m,
                                po.mode == MXT_PROBE_QUICK      ? "quick"
                                : po.mode == MXT_PROBE_THOROUGH ? "thorough"
                                                                : "default",
                                curves, &run_id);
        if (rc) {
            exit_code = cli_fail("probe", rc);
            goto done;
        }
    }
    if (json) {
        if ((rc = mxt_machine_to_json(m, 1, &doc))) {
            exit_code = cli_fail("probe", rc);
            goto done;
        }
        exit_code = cli_print_json(doc);
        doc = NULL;
    } else {
        cli_print_machine(stdout, m);
    }
    if (db)
        fprintf(stderr, "mxtune probe: %.1f s; stored as probe run %lld in %s%s\n", cv->seconds,
                (long long)run_id, mxt_db_path(db),
                kept ? " (the profile of the earlier default/thorough probe is kept: a quick run "
                       "does not replace it)"
                     : "");
    else
        fprintf(stderr, "mxtune probe: %.1f s; not stored (--no-store)\n", cv->seconds);
done:
    free(doc);
    free(curves);
    free(m);
    free(cv);
    mxt_db_close(db);
    return exit_code;
}
