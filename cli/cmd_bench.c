/* `mxtune bench` (cli/): one configuration of gemm, spmm (Rosko) or the low-rank
 * product through the tuner's timing method: GFLOP/s best and median, the
 * configuration, the model's prediction beside it and the error against a
 * higher-precision reference. A table or one mxtune.bench/1 document. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cli.h"
#include "mxt_db_tune.h"
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_tuner.h"
#include "mxtune/gemm.h"
#include "mxtune/machine.h"
#include "mxtune/model.h"
#include "mxtune/sparse.h"

static const char *const cmd = "bench";

static void usage(FILE *f) {
    fprintf(f,
            "usage: mxtune bench [--op gemm] -m M -n N -k K [configuration flags] [options]\n"
            "       mxtune bench --op spmm --density D -m M -n N -k K [configuration flags] ...\n"
            "       mxtune bench --op lowrank --rank R -m M -n N -k K [--order O] [config ...]\n"
            "\n"
            "Run one configuration (column-major) with a warm-up and repetitions and print\n"
            "GFLOP/s (best and median), seconds, the configuration as run, the model's\n"
            "prediction beside it and the largest error against a reference computed in\n"
            "double (long double for f64), checked against |C - ref| <= c K u (|A||B|)\n"
            "with c = %g and u the unit round-off. The result is stored with this machine's\n"
            "measurements unless --no-store.\n"
            "\n"
            "  --op gemm         C (M x N) = A (M x K) B (K x N), f32 or f64 (default).\n"
            "                    Blocks not given come from the model's sizing rule (the\n"
            "                    kernels' fallbacks when this machine has no profile).\n"
            "  --op spmm         the same with A sparse (Rosko kernels, f32 only): A is random,\n"
            "                    every element nonzero with probability --density, from --seed.\n"
            "                    Knobs: --schedule cake-kmn (the only order), --isa (avx512 or\n"
            "                    generic), --mr (tile rows, <= 255) and --kc (tile columns) of\n"
            "                    the packed A, --nr (16, 32, 48, 64), --mc, --nc or --alpha,\n"
            "                    --threads; fields not given are what mxt_spmm runs without a\n"
            "                    configuration. A is packed once, outside the timed runs (its\n"
            "                    packing time is printed apart); B is packed inside mxt_spmm\n"
            "                    and timed. GFLOP/s count the useful flops, 2 nnz(A) N.\n"
            "  --op lowrank      Y (M x N) = (U V) X with U M x R, V R x K, X K x N, f32 or\n"
            "                    f64, through mxt_lowrank_gemm: one GEMM configuration for both\n"
            "                    stages (blocks not given: the model's sizing of the stage with\n"
            "                    more flops). GFLOP/s count the flops of the order run; the\n"
            "                    bound has K + R in place of K.\n"
            "  -m M -n N -k K    the sizes\n"
            "  --density D       spmm (required): density of A, in (0, 1]\n"
            "  --rank R          lowrank (required): the rank, in [1, min(M, K)]\n"
            "  --order O         lowrank: auto (default: the order mxt_lowrank_gemm picks by\n"
            "                    flops), 'U(VX)' (or u-vx) or '(UV)X' (or uv-x)\n"
            "%s"
            "                    (spmm: --sizing does not apply)\n"
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
    fputs(cli_env_help, f);
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
    OPT_DB,
    OPT_DENSITY,
    OPT_RANK,
    OPT_ORDER
};

static const struct option longopts[] = {
    {"op", required_argument, NULL, OPT_OP},
    {"density", required_argument, NULL, OPT_DENSITY},
    {"rank", required_argument, NULL, OPT_RANK},
    {"order", required_argument, NULL, OPT_ORDER},
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
    enum mxt_op op;
    int64_t m, n, k;
    int have_m, have_n, have_k;
    double density; /* spmm */
    int64_t rank;   /* lowrank */
    int order;      /* lowrank: enum mxt_lowrank_order */
    int have_density, have_rank, have_order;
    int reps;
    double min_time;
    int flush, no_store, no_wait, json;
    uint64_t seed;
    const char *machine, *db;
};

static int parse_order(const char *arg, int *out) {
    if (strcasecmp(arg, "auto") == 0)
        *out = MXT_LOWRANK_AUTO;
    else if (strcasecmp(arg, "U(VX)") == 0 || strcasecmp(arg, "u-vx") == 0)
        *out = MXT_LOWRANK_U_VX;
    else if (strcasecmp(arg, "(UV)X") == 0 || strcasecmp(arg, "uv-x") == 0)
        *out = MXT_LOWRANK_UV_X;
    else
        return mxt_error(MXT_EINVAL, "--order: '%s' is not auto, U(VX) (u-vx) or (UV)X (uv-x)",
                         arg);
    return 0;
}

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
        case OPT_OP:
        case OPT_DENSITY:
        case OPT_RANK:
            rc = cli_op_option(c == OPT_OP        ? 'o'
                               : c == OPT_DENSITY ? 'd'
                                                  : 'r',
                               "bench runs", optarg, &o->op, &o->density, &o->have_density,
                               &o->rank, &o->have_rank);
            break;
        case OPT_ORDER:
            rc = parse_order(optarg, &o->order);
            o->have_order = 1;
            break;
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
    if (mxt_kernels_check_environment()) return cli_usage_error(cmd, "%s", mxt_last_error());
    if (!o->have_m) return cli_usage_error(cmd, "missing -m (rows of A and C)");
    if (!o->have_n) return cli_usage_error(cmd, "missing -n (columns of B and C)");
    if (!o->have_k) return cli_usage_error(cmd, "missing -k (the summed dimension)");
    if (o->reps && o->min_time > 0)
        return cli_usage_error(cmd, "--reps and --min-time conflict: give one");
    if (o->have_density && o->op != MXT_OP_SPMM)
        return cli_usage_error(cmd, "--density applies to --op spmm only");
    if ((o->have_rank || o->have_order) && o->op != MXT_OP_LOWRANK)
        return cli_usage_error(cmd, "--%s applies to --op lowrank only",
                               o->have_rank ? "rank" : "order");
    if (o->op == MXT_OP_SPMM) {
        if (!o->have_density)
            return cli_usage_error(cmd, "--op spmm needs --density (of A, in (0, 1])");
        if (o->cc.dtype != MXT_F32)
            return cli_usage_error(cmd, "--op spmm runs f32 only (Rosko's kernels), not --dtype %s",
                                   mxt_dtype_name(o->cc.dtype));
        if (CLI_CONFIG_GIVEN(&o->cc, CLI_OPT_SIZING))
            return cli_usage_error(cmd, "--sizing does not apply to --op spmm (the blocks not "
                                        "given are mxt_spmm's own)");
    }
    if (o->op == MXT_OP_LOWRANK) {
        if (!o->have_rank) return cli_usage_error(cmd, "--op lowrank needs --rank");
        const int64_t rmax = o->m < o->k ? o->m : o->k;
        if (o->rank > rmax)
            return cli_usage_error(cmd, "--rank %lld exceeds min(m, k) = %lld", (long long)o->rank,
                                   (long long)rmax);
    }
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

/* One run of the command: the problem, the configuration as run, the
 * prediction beside it and the measurement. */
struct run {
    struct mxt_problem pb;
    struct mxt_config cfg;
    struct mxt_prediction pred;
    int have_pred;
    double flops;          /* counted: gemm 2mnk, spmm 2 nnz n, lowrank the order's */
    double bound_k;        /* the K of the error bound (lowrank: K + r) */
    int64_t nnz;           /* spmm */
    double pack_s;         /* spmm: one packing of A, outside the timed runs */
    int order, auto_order; /* lowrank: the order run, mxt_lowrank_gemm's own pick */
    struct mxt_measure_result r;
    int stored;
};

/* The configuration as run for the GEMM shape gpb: the model's sizing for what
 * was not given (mm NULL: the kernels' fallbacks), cake-nkm's blocks rounded so
 * that both readings run the same. Returns 0, CLI_USAGE after saying why the
 * configuration is illegal, or an MXT_E* code to fail with. */
static int resolve_dense(const struct opts *o, const struct mxt_model_machine *mm,
                         const struct mxt_problem *gpb, struct mxt_config *cfg) {
    int rc;
    if (mm) {
        struct mxt_prediction p;
        rc = mxt_model_evaluate(mm, gpb, &o->cc.cfg, o->cc.sizing, &p);
        if (rc == MXT_EINVAL || rc == MXT_ERANGE) return illegal(rc);
        if (rc) return rc;
        *cfg = p.config;
    } else {
        struct mxt_config asked, res;
        mxt_tuner_kernel_config(&o->cc.cfg, &asked);
        if ((rc = mxt_gemm_resolve_config(gpb->dtype, MXT_COL_MAJOR, gpb->m, gpb->n, gpb->k, &asked,
                                          &res)))
            return illegal(rc);
        mxt_tuner_kernel_config(&res, cfg); /* back to the command line's convention */
        cfg->alpha = res.alpha;
    }
    if (cfg->schedule == MXT_SCHED_CAKE_NKM) {
        struct mxt_config a = *cfg;
        if (mxt_tuner_align_nkm(&a) &&
            (CLI_CONFIG_GIVEN(&o->cc, CLI_OPT_MC) || CLI_CONFIG_GIVEN(&o->cc, CLI_OPT_NC))) {
            int64_t g = cfg->mr, h = cfg->nr;
            while (h) {
                int64_t r = g % h;
                g = h;
                h = r;
            }
            mxt_error(MXT_EINVAL,
                      "cake-nkm needs mc and nc multiples of lcm(mr, nr) = %lld (the kernels "
                      "read the two blocks the other way round): mc = %lld, nc = %lld",
                      (long long)(cfg->mr / g * cfg->nr), (long long)cfg->mc, (long long)cfg->nc);
            return illegal(MXT_EINVAL);
        }
        *cfg = a; /* the model's sizing, rounded up */
    }
    struct mxt_config kcfg;
    mxt_tuner_kernel_config(cfg, &kcfg);
    if ((rc = mxt_gemm_check_config(gpb->dtype, &kcfg))) return illegal(rc);
    return 0;
}

/* The stage of a low-rank order with more multiply-adds, as a GEMM problem:
 * U(VX) is V X (r x N x K) then U T (M x N x r); (UV)X is U V (M x K x r) then
 * W X (M x N x K). */
static struct mxt_problem lowrank_stage(const struct mxt_problem *pb, int order) {
    const int64_t M = pb->m, N = pb->n, K = pb->k, r = pb->rank;
    struct mxt_problem a = {.op = MXT_OP_GEMM, .dtype = pb->dtype}, b = a;
    if (order == MXT_LOWRANK_U_VX) {
        a.m = r, a.n = N, a.k = K;
        b.m = M, b.n = N, b.k = r;
    } else {
        a.m = M, a.n = K, a.k = r;
        b.m = M, b.n = N, b.k = K;
    }
    return (double)a.m * a.n * a.k >= (double)b.m * b.n * b.k ? a : b;
}

static double lowrank_flops(const struct mxt_problem *pb, int order) {
    const double M = (double)pb->m, N = (double)pb->n, K = (double)pb->k, r = (double)pb->rank;
    return order == MXT_LOWRANK_U_VX ? 2.0 * (r * K * N + M * r * N)
                                     : 2.0 * (M * r * K + M * K * N);
}

static int emit_json(const struct opts *o, const struct run *x) {
    const struct mxt_config *cfg = &x->cfg;
    const struct mxt_prediction *pred = x->have_pred ? &x->pred : NULL;
    const struct mxt_measure_result *r = &x->r;
    cJSON *d = cJSON_CreateObject();
    if (!d) return cli_fail(cmd, mxt_error(MXT_ENOMEM, "out of memory"));
    cJSON_AddStringToObject(d, "schema", "mxtune.bench/1");
    cJSON_AddStringToObject(d, "op", mxt_op_name(o->op));
    cJSON_AddStringToObject(d, "dtype", mxt_dtype_name(o->cc.dtype));
    cJSON_AddNumberToObject(d, "m", (double)o->m);
    cJSON_AddNumberToObject(d, "n", (double)o->n);
    cJSON_AddNumberToObject(d, "k", (double)o->k);
    cJSON_AddStringToObject(d, "layout", "column-major");
    if (o->op == MXT_OP_SPMM) {
        cJSON_AddNumberToObject(d, "density", o->density);
        cJSON_AddNumberToObject(d, "nnz", (double)x->nnz);
        cJSON_AddNumberToObject(d, "density_actual", (double)x->nnz / ((double)o->m * o->k));
        cJSON_AddNumberToObject(d, "pack_seconds", x->pack_s);
        cJSON_AddBoolToObject(d, "pack_timed", 0);
    }
    if (o->op == MXT_OP_LOWRANK) {
        cJSON_AddNumberToObject(d, "rank", (double)o->rank);
        cJSON_AddStringToObject(d, "order", mxt_lowrank_order_name(x->order));
        cJSON_AddStringToObject(d, "order_source", o->order == MXT_LOWRANK_AUTO ? "auto" : "given");
        if (pred)
            cJSON_AddStringToObject(d, "model_order", mxt_lowrank_order_name(pred->order));
        else
            cJSON_AddNullToObject(d, "model_order");
    }
    cJSON_AddItemToObject(d, "config", mxt_db_config_json(cfg));
    cJSON_AddNumberToObject(d, "flops", x->flops);
    cJSON_AddStringToObject(
        d, "flops_counted",
        o->op == MXT_OP_SPMM ? "2*nnz*n"
        : o->op == MXT_OP_LOWRANK
            ? (x->order == MXT_LOWRANK_U_VX ? "2*(r*k*n+m*r*n)" : "2*(m*r*k+m*k*n)")
            : "2*m*n*k");
    cJSON_AddNumberToObject(d, "gflops", x->flops / r->min_s / 1e9);
    cJSON_AddNumberToObject(d, "gflops_median", x->flops / r->median_s / 1e9);
    cJSON_AddNumberToObject(d, "seconds", r->median_s);
    cJSON_AddNumberToObject(d, "seconds_min", r->min_s);
    cJSON_AddNumberToObject(d, "seconds_q20", r->q20_s);
    cJSON_AddNumberToObject(d, "seconds_q80", r->q80_s);
    cJSON_AddNumberToObject(d, "runs", r->runs);
    if (pred) {
        cJSON_AddNumberToObject(d, "predicted_seconds", pred->seconds);
        cJSON_AddNumberToObject(d, "predicted_gflops", pred->gflops);
        /* lowrank: the bound is the model's order's */
        if (o->op != MXT_OP_LOWRANK || pred->order == x->order)
            cJSON_AddStringToObject(d, "predicted_bound", mxt_bound_name(pred->bound));
        else
            cJSON_AddNullToObject(d, "predicted_bound");
        if (o->op == MXT_OP_LOWRANK) {
            cJSON *os = cJSON_AddObjectToObject(d, "predicted_order_seconds");
            cJSON_AddNumberToObject(os, mxt_lowrank_order_name(0), pred->order_seconds[0]);
            cJSON_AddNumberToObject(os, mxt_lowrank_order_name(1), pred->order_seconds[1]);
        }
    } else {
        cJSON_AddNullToObject(d, "predicted_seconds");
        cJSON_AddNullToObject(d, "predicted_gflops");
        cJSON_AddNullToObject(d, "predicted_bound");
    }
    cJSON_AddNumberToObject(d, "max_rel_error", r->max_rel_error);
    cJSON_AddNumberToObject(d, "error_bound", r->error_bound);
    cJSON_AddNumberToObject(d, "error_bound_c", MXT_MEASURE_BOUND_C);
    cJSON_AddNumberToObject(d, "error_bound_k", x->bound_k);
    cJSON_AddNumberToObject(d, "checked_entries", r->checked);
    cJSON_AddBoolToObject(d, "within_bound", r->within_bound);
    cJSON_AddBoolToObject(d, "ok", r->within_bound && r->checked > 0);
    cJSON_AddBoolToObject(d, "stored", x->stored);
    char *text = cJSON_Print(d);
    cJSON_Delete(d);
    if (!text) return cli_fail(cmd, mxt_error(MXT_ENOMEM, "out of memory writing JSON"));
    return cli_print_json(text);
}

static void emit_text(const struct opts *o, const struct run *x) {
    const struct mxt_config *cfg = &x->cfg;
    const struct mxt_prediction *pred = x->have_pred ? &x->pred : NULL;
    const struct mxt_measure_result *r = &x->r;
    char t[160];
    mxt_tuner_config_text(cfg, t, sizeof t);
    printf("%-10s %s %lldx%lldx%lld", mxt_op_name(o->op), mxt_dtype_name(o->cc.dtype),
           (long long)o->m, (long long)o->n, (long long)o->k);
    if (o->op == MXT_OP_SPMM)
        printf(", density %g (nnz %lld, %.4g drawn)", o->density, (long long)x->nnz,
               (double)x->nnz / ((double)o->m * o->k));
    if (o->op == MXT_OP_LOWRANK)
        printf(", rank %lld, order %s (%s)", (long long)o->rank, mxt_lowrank_order_name(x->order),
               o->order == MXT_LOWRANK_AUTO ? "mxt_lowrank_gemm's pick by flops" : "as asked");
    printf(", column-major, %d threads\n", cfg->threads);
    printf("config     %s", t);
    if (!mxt_schedule_is_goto(cfg->schedule) && cfg->alpha > 0) printf(" (alpha %.4g)", cfg->alpha);
    printf("\n");
    if (o->op == MXT_OP_SPMM)
        printf("packing    A into %dx%lld Rosko tiles: %.4g s, once, outside the timed runs "
               "(B is packed inside mxt_spmm and timed)\n",
               cfg->mr, (long long)cfg->kc, x->pack_s);
    printf("measured   %.1f GFLOP/s best, %.1f GFLOP/s median (%.4g s median, %.4g s min, "
           "q20-q80 %.4g-%.4g s, %d runs%s)\n",
           x->flops / r->min_s / 1e9, x->flops / r->median_s / 1e9, r->median_s, r->min_s, r->q20_s,
           r->q80_s, r->runs, o->flush ? ", caches flushed" : "");
    if (o->op == MXT_OP_SPMM)
        printf("flops      useful only: 2 nnz(A) N = %.4g a call\n", x->flops);
    if (o->op == MXT_OP_LOWRANK)
        printf("flops      those of %s: %.4g a call\n", mxt_lowrank_order_name(x->order), x->flops);
    if (pred) {
        printf("model      %.4g s, %.1f GFLOP/s", pred->seconds, pred->gflops);
        if (o->op != MXT_OP_LOWRANK || pred->order == x->order)
            printf(", bound %s", mxt_bound_name(pred->bound));
        printf(" (measured / predicted time %.2f)\n", r->median_s / pred->seconds);
        if (o->op == MXT_OP_LOWRANK)
            printf("model      order: %s is faster (%s %.4g s, %s %.4g s)\n",
                   mxt_lowrank_order_name(pred->order), mxt_lowrank_order_name(0),
                   pred->order_seconds[0], mxt_lowrank_order_name(1), pred->order_seconds[1]);
    } else {
        printf("model      - (no prediction: run 'mxtune probe')\n");
    }
    printf("error      max |C - ref| / (|A||B|) = %.3g over %d entries; bound %g %s u = %.3g: %s\n",
           r->max_rel_error, r->checked, MXT_MEASURE_BOUND_C,
           o->op == MXT_OP_LOWRANK ? "(K + r)" : "K", r->error_bound,
           r->within_bound ? "within" : "OUTSIDE THE BOUND");
}

int cmd_bench(int argc, char **argv) {
    struct opts o;
    memset(&o, 0, sizeof o);
    cli_config_init(&o.cc);
    o.seed = 1;
    o.op = MXT_OP_GEMM;
    o.order = MXT_LOWRANK_AUTO;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? CLI_OK : rc;

    int exit_code = CLI_OK, have_model = 0;
    struct mxt_machine *m = calloc(1, sizeof *m);
    struct mxt_model_machine *mm = calloc(1, sizeof *mm);
    struct run *x = calloc(1, sizeof *x);
    struct mxt_gemm_bench *gbench = NULL;
    struct mxt_spmm_bench *sbench = NULL;
    struct mxt_lowrank_bench *lbench = NULL;
    struct mxt_db *db = NULL;
    struct mxt_db_lock *lock = NULL;
    if (!m || !mm || !x) {
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
    struct mxt_model_machine *model = have_model ? mm : NULL;

    /* the configuration as run and the model's prediction of exactly that */
    x->pb = (struct mxt_problem){.op = o.op,
                                 .dtype = o.cc.dtype,
                                 .m = o.m,
                                 .n = o.n,
                                 .k = o.k,
                                 .density = o.op == MXT_OP_SPMM ? o.density : 0,
                                 .rank = o.op == MXT_OP_LOWRANK ? o.rank : 0};
    struct mxt_config *cfg = &x->cfg;
    x->bound_k = (double)o.k;
    if (o.op == MXT_OP_GEMM) {
        if ((rc = resolve_dense(&o, model, &x->pb, cfg))) {
            if (rc > 0) {
                exit_code = rc;
                goto out;
            }
            goto fail;
        }
        if (have_model) {
            /* predict the configuration exactly as it runs */
            struct mxt_config e = *cfg;
            if (e.mc && e.kc && e.nc) e.alpha = 0;
            if (mxt_model_evaluate(mm, &x->pb, &e, MXT_SIZING_DEFAULT, &x->pred) == 0) {
                cfg->alpha = x->pred.config.alpha;
                x->pred.config = *cfg;
                x->have_pred = 1;
            }
        }
        x->flops = 2.0 * (double)o.m * (double)o.n * (double)o.k;
    } else if (o.op == MXT_OP_SPMM) {
        if ((rc = mxt_spmm_bench_create(o.m, o.n, o.k, o.density, o.seed, &sbench))) goto fail;
        if ((rc = mxt_spmm_bench_config(sbench, &o.cc.cfg, cfg, &x->pack_s))) {
            if (rc == MXT_EINVAL || rc == MXT_EUNSUPPORTED) {
                exit_code = illegal(rc);
                goto out;
            }
            goto fail;
        }
        x->nnz = mxt_spmm_bench_nnz(sbench);
        x->flops = 2.0 * (double)x->nnz * (double)o.n;
    } else {
        x->auto_order = mxt_lowrank_choose_order(o.m, o.n, o.k, o.rank, 1.0);
        x->order = o.order == MXT_LOWRANK_AUTO ? x->auto_order : o.order;
        const struct mxt_problem stage = lowrank_stage(&x->pb, x->order);
        if ((rc = resolve_dense(&o, model, &stage, cfg))) {
            if (rc > 0) {
                exit_code = rc;
                goto out;
            }
            goto fail;
        }
        x->flops = lowrank_flops(&x->pb, x->order);
        x->bound_k = (double)o.k + (double)o.rank;
    }
    if (have_model && o.op != MXT_OP_GEMM) {
        /* as the tuner predicts its candidates: spmm on Rosko's view of the
         * machine, lowrank with both orders' times */
        if (mxt_tuner_predict(mm, &x->pb, cfg, &x->pred) == 0) {
            x->have_pred = 1;
            if (o.op == MXT_OP_LOWRANK) {
                x->pred.seconds = x->pred.order_seconds[x->order];
                x->pred.gflops = x->flops / x->pred.seconds / 1e9;
            }
            if (o.op == MXT_OP_SPMM) x->pred.gflops = x->flops / x->pred.seconds / 1e9;
        } else {
            fprintf(stderr,
                    "mxtune bench: the model has no prediction for this configuration: %s\n",
                    mxt_last_error());
        }
    }

    /* stored with the search's measurements of the same problem (lowrank: only
     * in the order the search runs, which the database does not record) */
    const int store = have_model && !o.machine && !o.no_store &&
                      (o.op != MXT_OP_LOWRANK || x->order == x->auto_order);
    if (store) {
        if ((rc = mxt_db_open(o.db, MXT_DB_CREATE, &db))) goto fail;
        if ((rc = mxt_db_lock_measure(mxt_db_path(db), !o.no_wait, 600, notify_lock, NULL, &lock)))
            goto fail;
    }
    struct mxt_measurer meas;
    if (o.op == MXT_OP_GEMM) {
        if ((rc = mxt_gemm_bench_create(o.cc.dtype, o.m, o.n, o.k, o.seed, &gbench))) goto fail;
        meas = (struct mxt_measurer){mxt_gemm_bench_measure, gbench};
    } else if (o.op == MXT_OP_SPMM) {
        meas = (struct mxt_measurer){mxt_spmm_bench_measure, sbench};
    } else {
        if ((rc = mxt_lowrank_bench_create(o.cc.dtype, o.m, o.n, o.k, o.rank, x->order, o.seed,
                                           &lbench)))
            goto fail;
        meas = (struct mxt_measurer){mxt_lowrank_bench_measure, lbench};
    }
    struct mxt_measure_opts mo;
    mxt_measure_defaults(&mo);
    if (o.reps) {
        mo.min_runs = mo.max_runs = o.reps;
        mo.min_time_s = 0;
    }
    if (o.min_time > 0) mo.min_time_s = o.min_time;
    mo.flush = o.flush;
    struct mxt_measure_result *r = &x->r;
    if ((rc = meas.measure(meas.ctx, cfg, &mo, r))) {
        if (rc == MXT_EINVAL || rc == MXT_EUNSUPPORTED) {
            exit_code = illegal(rc);
            goto out;
        }
        goto fail;
    }
    if (store && r->within_bound) {
        struct mxt_db_problem dp;
        mxt_tuner_db_problem(&x->pb, cfg->threads, &dp);
        struct mxt_db_measurement ms;
        memset(&ms, 0, sizeof ms);
        ms.config = *cfg;
        mxt_strlcpy(ms.kernel_version, MXT_KERNEL_VERSION, sizeof ms.kernel_version);
        ms.median_s = r->median_s;
        ms.min_s = r->min_s;
        ms.q20_s = r->q20_s;
        ms.q80_s = r->q80_s;
        ms.repeats = r->runs;
        ms.gflops = x->flops / r->median_s / 1e9;
        ms.predicted_s = x->have_pred ? x->pred.seconds : 0;
        ms.seed = o.seed;
        mxt_strlcpy(ms.strategy, "bench", sizeof ms.strategy);
        if ((rc = mxt_db_add_measurement(db, m->fingerprint, &dp, &ms, NULL))) goto fail;
        x->stored = 1;
    }
    if (o.json)
        exit_code = emit_json(&o, x);
    else
        emit_text(&o, x);
    if (!r->within_bound) {
        fprintf(stderr,
                "mxtune bench: wrong result: max relative error %.3g is above the bound %.3g\n",
                r->max_rel_error, r->error_bound);
        exit_code = CLI_FAIL;
    }
    goto out;
fail:
    exit_code = cli_fail(cmd, rc);
out:
    mxt_gemm_bench_destroy(gbench);
    mxt_spmm_bench_destroy(sbench);
    mxt_lowrank_bench_destroy(lbench);
    if (lock) mxt_db_unlock(lock);
    mxt_db_close(db);
    free(x);
    free(mm);
    free(m);
    return exit_code;
}
