/* `mxtune bench` (cli/): one GEMM configuration through the tuner's timing method:
 * GFLOP/s best and median, the configuration, the model's prediction beside it and the
 * error against a higher-precision reference. A table or one mxtune.bench/1 document. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_tuner.h"
#include "mxtune/gemm.h"
#include "mxtune/machine.h"
#include "mxtune/model.h"

static const char *const cmd = "bench";

static void usage(FILE *f) {
    fprintf(f,
            "usage: mxtune bench --op gemm -m M -n N -k K [configuration flags] [options]\n"
            "\n"
            "Run one GEMM configuration (column-major, C = A B) with a warm-up and repetitions\n"
            "and print GFLOP/s (best and median), seconds, the configuration as run, the\n"
            "model's prediction beside it and the largest error against a reference computed\n"
            "in double (long double for f64), checked against |C - ref| <= c K u (|A||B|) with\n"
            "c = %g and u the unit round-off. Blocks not given come from the model's sizing\n"
            "rule (the kernels' fallbacks when this machine has no profile). The result is\n"
            "stored with this machine's measurements unless --no-store.\n"
            "\n"
            "  --op gemm         the operation (spmm and lowrank have no kernels yet)\n"
            "  -m M -n N -k K    C (M x N) = A (M x K) B (K x N)\n"
            "%s"
            "  --reps R          exactly R timed runs after the warm-up (default: runs until\n"
            "                    0.1 s and at least 5)\n"
            "  --min-time S      time at least this long (default 0.1 s)\n"
            "  --flush           flush the caches before every timed run\n"
            "  --seed S          seed of the random operands (default 1)\n"
            "  --machine FILE    predict with a machine file instead of the stored profile\n"
            "                    (nothing is stored)\n"
            "  --no-store        do not store the measurement\n"
            "  --no-wait         exit 1 at once if another process is measuring\n"
            "  --json            one mxtune.bench/1 document on stdout\n"
            "  --db PATH         the database (default $MXTUNE_DB, else\n"
            "                    $XDG_DATA_HOME/mxtune/mxtune.db)\n"
            "  -h, --help        this text\n"
            "\n"
            "Exit codes: 0 ok, 1 run-time failure (sizes that cannot be allocated, a result\n"
            "outside the bound), 2 bad usage (an illegal configuration, with the reason).\n",
            MXT_MEASURE_BOUND_C, cli_config_help);
}

enum {
    OPT_OP = 256,
    OPT_REPS,
    OPT_MIN_TIME,
    OPT_FLUSH,
    OPT_SEED,
    OPT_MACHINE,
    OPT_NO_STORE,
    OPT_NO_WAIT,
    OPT_JSON,
    OPT_DB
};

static const struct option longopts[] = {
    {"op", required_argument, NULL, OPT_OP},
    CLI_CONFIG_OPTIONS,
    {"reps", required_argument, NULL, OPT_REPS},
    {"min-time", required_argument, NULL, OPT_MIN_TIME},
    {"flush", no_argument, NULL, OPT_FLUSH},
    {"seed", required_argument, NULL, OPT_SEED},
    {"machine", required_argument, NULL, OPT_MACHINE},
    {"no-store", no_argument, NULL, OPT_NO_STORE},
    {"no-wait", no_argument, NULL, OPT_NO_WAIT},
    {"json", no_argument, NULL, OPT_JSON},
    {"db", required_argument, NULL, OPT_DB},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct opts {
    struct cli_config cc;
    int64_t m, n, k;
    int have_m, have_n, have_k;
    int reps;
    double min_time;
    int flush, no_store, no_wait, json;
    uint64_t seed;
    const char *machine, *db;
};

static int parse(int argc, char **argv, struct opts *o) {
    int c, rc = 0;
    while ((c = cli_getopt(cmd, argc, argv, "m:n:k:h", longopts)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return -1;
        case 'm':
        case 'n':
        case 'k':
            rc = cli_dim_option(c, optarg, &o->m, &o->n, &o->k, &o->have_m, &o->have_n, &o->have_k);
            break;
        case OPT_OP: {
            enum mxt_op op;
            rc = mxt_op_parse(optarg, &op);
            if (!rc && op != MXT_OP_GEMM)
                return cli_usage_error(cmd, "--op %s: only gemm has kernels to run yet", optarg);
            break;
        }
        case OPT_REPS:
            rc = mxt_parse_int(optarg, 1, 100000, "--reps", &o->reps);
            break;
        case OPT_MIN_TIME:
            rc = mxt_parse_double(optarg, 1e-6, 60, "--min-time", &o->min_time);
            break;
        case OPT_FLUSH:
            o->flush = 1;
            break;
        case OPT_SEED: {
            int64_t v;
            rc = mxt_parse_i64(optarg, 0, INT64_MAX, "--seed", &v);
            o->seed = (uint64_t)v;
            break;
        }
        case OPT_MACHINE:
            o->machine = optarg;
            break;
        case OPT_NO_STORE:
            o->no_store = 1;
            break;
        case OPT_NO_WAIT:
            o->no_wait = 1;
            break;
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_DB:
            o->db = optarg;
            break;
        default:
            if (!cli_is_config_option(c)) return CLI_USAGE;
            rc = cli_config_option(c, optarg, &o->cc);
            break;
        }
        if (rc) return cli_fail(cmd, rc);
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!o->have_m) return cli_usage_error(cmd, "missing -m (rows of A and C)");
    if (!o->have_n) return cli_usage_error(cmd, "missing -n (columns of B and C)");
    if (!o->have_k) return cli_usage_error(cmd, "missing -k (the summed dimension)");
    if (o->reps && o->min_time > 0)
        return cli_usage_error(cmd, "--reps and --min-time conflict: give one");
    return 0;
}

/* An illegal configuration is a usage error (exit 2) whatever the code. */
static int illegal(int rc) {
    fprintf(stderr, "mxtune %s: illegal configuration: %s\n", cmd,
            mxt_last_error()[0] ? mxt_last_error() : mxt_strerror(rc));
    return CLI_USAGE;
}

static void notify_lock(const char *msg, void *ctx) {
    (void)ctx;
    fprintf(stderr, "mxtune bench: %s\n", msg);
}

static int emit_json(const struct opts *o, const struct mxt_config *cfg,
                     const struct mxt_prediction *pred, const struct mxt_measure_result *r,
                     double flops, int stored) {
    cJSON *d = cJSON_CreateObject();
    if (!d) return cli_fail(cmd, mxt_error(MXT_ENOMEM, "out of memory"));
    cJSON_AddStringToObject(d, "schema", "mxtune.bench/1");
    cJSON_AddStringToObject(d, "op", "gemm");
    cJSON_AddStringToObject(d, "dtype", mxt_dtype_name(o->cc.dtype));
    cJSON_AddNumberToObject(d, "m", (double)o->m);
    cJSON_AddNumberToObject(d, "n", (double)o->n);
    cJSON_AddNumberToObject(d, "k", (double)o->k);
    cJSON_AddStringToObject(d, "layout", "column-major");
    cJSON_AddItemToObject(d, "config", cli_config_json(cfg));
    cJSON_AddNumberToObject(d, "gflops", flops / r->min_s / 1e9);
    cJSON_AddNumberToObject(d, "gflops_median", flops / r->median_s / 1e9);
    cJSON_AddNumberToObject(d, "seconds", r->median_s);
    cJSON_AddNumberToObject(d, "seconds_min", r->min_s);
    cJSON_AddNumberToObject(d, "seconds_q20", r->q20_s);
    cJSON_AddNumberToObject(d, "seconds_q80", r->q80_s);
    cJSON_AddNumberToObject(d, "runs", r->runs);
    if (pred) {
        cJSON_AddNumberToObject(d, "predicted_seconds", pred->seconds);
        cJSON_AddNumberToObject(d, "predicted_gflops", pred->gflops);
        cJSON_AddStringToObject(d, "predicted_bound", mxt_bound_name(pred->bound));
    } else {
        cJSON_AddNullToObject(d, "predicted_seconds");
        cJSON_AddNullToObject(d, "predicted_gflops");
        cJSON_AddNullToObject(d, "predicted_bound");
    }
    cJSON_AddNumberToObject(d, "max_rel_error", r->max_rel_error);
    cJSON_AddNumberToObject(d, "error_bound", r->error_bound);
    cJSON_AddNumberToObject(d, "error_bound_c", MXT_MEASURE_BOUND_C);
    cJSON_AddNumberToObject(d, "checked_entries", r->checked);
    cJSON_AddBoolToObject(d, "within_bound", r->within_bound);
    cJSON_AddBoolToObject(d, "stored", stored);
    char *text = cJSON_Print(d);
    cJSON_Delete(d);
    if (!text) return cli_fail(cmd, mxt_error(MXT_ENOMEM, "out of memory writing JSON"));
    return cli_print_json(text);
}

static void emit_text(const struct opts *o, const struct mxt_config *cfg,
                      const struct mxt_prediction *pred, const struct mxt_measure_result *r,
                      double flops) {
    char t[160];
    mxt_tuner_config_text(cfg, t, sizeof t);
    printf("gemm       %s %lldx%lldx%lld, column-major, %d threads\n", mxt_dtype_name(o->cc.dtype),
           (long long)o->m, (long long)o->n, (long long)o->k, cfg->threads);
    printf("config     %s", t);
    if (cfg->schedule != MXT_SCHED_GOTO && cfg->alpha > 0) printf(" (alpha %.4g)", cfg->alpha);
    printf("\nmeasured   %.1f GFLOP/s best, %.1f GFLOP/s median (%.4g s median, %.4g s min, "
           "q20-q80 %.4g-%.4g s, %d runs%s)\n",
           flops / r->min_s / 1e9, flops / r->median_s / 1e9, r->median_s, r->min_s, r->q20_s,
           r->q80_s, r->runs, o->flush ? ", caches flushed" : "");
    if (pred)
        printf("model      %.4g s, %.1f GFLOP/s, bound %s (measured / predicted time %.2f)\n",
               pred->seconds, pred->gflops, mxt_bound_name(pred->bound),
               r->median_s / pred->seconds);
    else
        printf("model      - (no machine profile: run 'mxtune probe')\n");
    printf("error      max |C - ref| / (|A||B|) = %.3g over %d entries; bound %g K u = %.3g: %s\n",
           r->max_rel_error, r->checked, MXT_MEASURE_BOUND_C, r->error_bound,
           r->within_bound ? "within" : "OUTSIDE THE BOUND");
}

int cmd_bench(int argc, char **argv) {
    struct opts o;
    memset(&o, 0, sizeof o);
    cli_config_init(&o.cc);
    o.seed = 1;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? CLI_OK : rc;

    int exit_code = CLI_OK, have_model = 0, stored = 0;
    struct mxt_machine *m = calloc(1, sizeof *m);
    struct mxt_model_machine *mm = calloc(1, sizeof *mm);
    struct mxt_gemm_bench *bench = NULL;
    struct mxt_db *db = NULL;
    struct mxt_db_lock *lock = NULL;
    struct mxt_prediction pred;
    if (!m || !mm) {
        rc = mxt_error(MXT_ENOMEM, "out of memory");
        goto fail;
    }
    rc = o.machine ? mxt_machine_load_file(o.machine, m) : cli_load_this_machine(o.db, m);
    if (rc == MXT_ENOTFOUND && !o.machine) {
        fprintf(stderr, "mxtune bench: %s; running without the model's prediction\n",
                mxt_last_error());
    } else if (rc) {
        goto fail;
    } else {
        if ((rc = mxt_model_machine_init(mm, m))) goto fail;
        have_model = 1;
    }

    /* the configuration as run: the model's sizing for what was not given */
    struct mxt_problem pb = {.op = MXT_OP_GEMM, .dtype = o.cc.dtype, .m = o.m, .n = o.n, .k = o.k};
    struct mxt_config cfg, kcfg;
    if (have_model) {
        rc = mxt_model_evaluate(mm, &pb, &o.cc.cfg, o.cc.sizing, &pred);
        if (rc == MXT_EINVAL || rc == MXT_ERANGE) {
            exit_code = illegal(rc);
            goto out;
        }
        if (rc) goto fail;
        cfg = pred.config;
    } else {
        struct mxt_config asked, res;
        mxt_tuner_kernel_config(&o.cc.cfg, &asked);
        if ((rc =
                 mxt_gemm_resolve_config(o.cc.dtype, MXT_COL_MAJOR, o.m, o.n, o.k, &asked, &res))) {
            exit_code = illegal(rc);
            goto out;
        }
        mxt_tuner_kernel_config(&res, &cfg); /* back to the command line's convention */
        cfg.alpha = res.alpha;
    }
    if (cfg.schedule == MXT_SCHED_CAKE_NKM) {
        struct mxt_config a = cfg;
        if (mxt_tuner_align_nkm(&a) &&
            (CLI_CONFIG_GIVEN(&o.cc, CLI_OPT_MC) || CLI_CONFIG_GIVEN(&o.cc, CLI_OPT_NC))) {
            int64_t g = cfg.mr, h = cfg.nr;
            while (h) {
                int64_t r = g % h;
                g = h;
                h = r;
            }
            mxt_error(MXT_EINVAL,
                      "cake-nkm needs mc and nc multiples of lcm(mr, nr) = %lld (the kernels "
                      "read the two blocks the other way round): mc = %lld, nc = %lld",
                      (long long)(cfg.mr / g * cfg.nr), (long long)cfg.mc, (long long)cfg.nc);
            exit_code = illegal(MXT_EINVAL);
            goto out;
        }
        cfg = a; /* the model's sizing, rounded up */
    }
    mxt_tuner_kernel_config(&cfg, &kcfg);
    if ((rc = mxt_gemm_check_config(o.cc.dtype, &kcfg))) {
        exit_code = illegal(rc);
        goto out;
    }
    if (have_model) {
        /* predict the configuration exactly as it runs */
        struct mxt_config e = cfg;
        if (e.mc && e.kc && e.nc) e.alpha = 0;
        if (mxt_model_evaluate(mm, &pb, &e, MXT_SIZING_DEFAULT, &pred) == 0) {
            cfg.alpha = pred.config.alpha;
            pred.config = cfg;
        }
    }

    const int store = have_model && !o.machine && !o.no_store;
    if (store) {
        if ((rc = mxt_db_open(o.db, MXT_DB_CREATE, &db))) goto fail;
        if ((rc = mxt_db_lock_measure(mxt_db_path(db), !o.no_wait, 600, notify_lock, NULL, &lock)))
            goto fail;
    }
    if ((rc = mxt_gemm_bench_create(o.cc.dtype, o.m, o.n, o.k, o.seed, &bench))) goto fail;
    struct mxt_measure_opts mo;
    mxt_measure_defaults(&mo);
    if (o.reps) {
        mo.min_runs = mo.max_runs = o.reps;
        mo.min_time_s = 0;
    }
    if (o.min_time > 0) mo.min_time_s = o.min_time;
    mo.flush = o.flush;
    struct mxt_measure_result r;
    if ((rc = mxt_gemm_bench_measure(bench, &cfg, &mo, &r))) {
        if (rc == MXT_EINVAL || rc == MXT_EUNSUPPORTED) {
            exit_code = illegal(rc);
            goto out;
        }
        goto fail;
    }
    const double flops = 2.0 * (double)o.m * (double)o.n * (double)o.k;
    if (store && r.within_bound) {
        struct mxt_db_problem dp;
        mxt_tuner_db_problem(&pb, cfg.threads, &dp);
        struct mxt_db_measurement ms;
        memset(&ms, 0, sizeof ms);
        ms.config = cfg;
        mxt_strlcpy(ms.kernel_version, MXT_KERNEL_VERSION, sizeof ms.kernel_version);
        ms.median_s = r.median_s;
        ms.min_s = r.min_s;
        ms.q20_s = r.q20_s;
        ms.q80_s = r.q80_s;
        ms.repeats = r.runs;
        ms.gflops = flops / r.median_s / 1e9;
        ms.predicted_s = pred.seconds;
        ms.seed = o.seed;
        mxt_strlcpy(ms.strategy, "bench", sizeof ms.strategy);
        if ((rc = mxt_db_add_measurement(db, m->fingerprint, &dp, &ms, NULL))) goto fail;
        stored = 1;
    }
    if (o.json)
        exit_code = emit_json(&o, &cfg, have_model ? &pred : NULL, &r, flops, stored);
    else
        emit_text(&o, &cfg, have_model ? &pred : NULL, &r, flops);
    if (!r.within_bound) {
        fprintf(stderr,
                "mxtune bench: wrong result: max relative error %.3g is above the bound %.3g\n",
                r.max_rel_error, r.error_bound);
        exit_code = CLI_FAIL;
    }
    goto out;
fail:
    exit_code = cli_fail(cmd, rc);
out:
    mxt_gemm_bench_destroy(bench);
    if (lock) mxt_db_unlock(lock);
    mxt_db_close(db);
    free(mm);
    free(m);
    return exit_code;
}
