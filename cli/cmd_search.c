/* `mxtune search` and `mxtune model accuracy` (cli/): tune gemm, spmm and low-rank
 * problems with the tuner, then calibrate the model and report its accuracy. Progress on stderr; a
 * table or one mxtune.search/1 (mxtune.accuracy/1) document on stdout. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "cli.h"
#include "mxt_db_tune.h"
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_tuner.h"
#include "mxtune/machine.h"
#include "mxtune/model.h"
#include "mxtune/sparse.h"

static const char *const cmd = "search";

static void usage(FILE *f) {
    fprintf(
        f, "usage: mxtune search [--op gemm] [-m M -n N -k K | --shapes FILE] [options]\n"
           "       mxtune search --op spmm --density D (-m M -n N -k K | --shapes FILE) [options]\n"
           "       mxtune search --op lowrank --rank R (-m M -n N -k K | --shapes FILE) [options]\n"
           "\n"
           "Tune an operation on this machine: the model ranks every legal configuration\n"
           "(schedule, micro-kernel, mc/kc/nc, threads), a strategy picks which to measure,\n"
           "every measurement is stored as it lands and the winner is stored per problem. The\n"
           "model's first choice and the default configuration (gemm and lowrank: goto, Low et\n"
           "al. sizing, the widest micro-kernel; spmm: what mxt_spmm runs without a\n"
           "configuration) are always measured first. Running the same search again resumes:\n"
           "stored candidates are not measured again. Without sizes or --shapes, a built-in\n"
           "set of ML layer shapes is tuned (gemm only; docs/tuner.md). Needs 'mxtune probe'.\n"
           "\n"
           "  --op OP             gemm (default; f32 or f64), spmm (Rosko sparse A times dense\n"
           "                      B, f32: cake-kmn, Rosko tile mr x nr, mc/kc/nc, threads) or\n"
           "                      lowrank (Y = (U V) X, U M x R, V R x K, X K x N: the GEMM\n"
           "                      configuration of both stages, in the order mxt_lowrank_gemm\n"
           "                      picks by flops)\n"
           "  -m M -n N -k K      one problem: C (M x N) = A (M x K) B (K x N)\n"
           "  --density D         spmm (required): density of A, in (0, 1]; A is random with\n"
           "                      that density from --seed\n"
           "  --rank R            lowrank (required): the rank, in [1, min(M, K)]\n"
           "  --shapes FILE       problems, one 'M N K [dtype]' per line, '#' comments;\n"
           "                      they share the budget (spmm, lowrank: --density, --rank\n"
           "                      apply to every line)\n"
           "  --strategy S        anneal (default: simulated annealing from the model's best),\n"
           "                      model (the model's top-k), random, exhaustive (the pruned\n"
           "                      grid: coarse blocks, widest ISA)\n"
           "  --budget SECONDS    wall time for the whole run (default 40 s a problem, at most\n"
           "                      150 s; none for exhaustive)\n"
           "  --max-evals N       candidates evaluated per problem (default 32; none for\n"
           "                      exhaustive)\n"
           "  --patience N        stop a problem after N candidates without a new best\n"
           "                      (default 14; none for exhaustive)\n"
           "  --seed S            seed of the strategy and the operands (default 1; recorded)\n"
           "  --dry-run           print the model's ranked candidates, measure nothing\n"
           "  --limit N           candidates --dry-run prints (default 20)\n"
           "  --rerun             measure again what is stored (default: resume)\n"
           "  --no-wait           exit 1 at once if another process is measuring\n"
           "  --lock-timeout S    how long to wait for that process (default 600 s)\n"
           "  --min-time S        time each candidate at least this long (default 0.1 s)\n"
           "  --flush             flush the caches before every timed run\n"
           "  --dtype T           f32 (default) or f64 (problems without a dtype)\n"
           "  --threads P         threads of the problem (default: all cores)\n"
           "  --schedule S        search only this schedule (cake: the three CAKE orders)\n"
           "  --isa ISA           search only this ISA's micro-kernels\n"
           "  --mr R --nr C       search only this micro-kernel\n"
           "  --json              one mxtune.search/1 document on stdout\n"
           "  --db PATH           the database (default $MXTUNE_DB, else\n"
           "                      $XDG_DATA_HOME/mxtune/mxtune.db)\n"
           "  -h, --help          this text\n"
           "\n"
           "Noise policy: candidates are ranked by their fastest run (the median is stored\n"
           "beside it); a candidate replaces the best only when at least 2 %% faster; a new\n"
           "best more than 10 %% ahead is measured again; a candidate is stopped once it ran\n"
           "3x the best time; the finalists are measured again in 3 interleaved rounds at\n"
           "the end and ranked by the median of each round's fastest run.\n"
           "Ctrl-C keeps every stored measurement, prints the best so far and exits 130.\n");
    fputs(cli_env_help, f);
}

enum {
    OPT_OP = 256,
    OPT_SHAPES,
    OPT_STRATEGY,
    OPT_BUDGET,
    OPT_MAX_EVALS,
    OPT_PATIENCE,
    OPT_SEED,
    OPT_DRY_RUN,
    OPT_LIMIT,
    OPT_RERUN,
    OPT_NO_WAIT,
    OPT_LOCK_TIMEOUT,
    OPT_MIN_TIME,
    OPT_FLUSH,
    OPT_JSON,
    OPT_DB,
    OPT_DENSITY,
    OPT_RANK
};

static const struct option longopts[] = {
    {"op", required_argument, NULL, OPT_OP},
    {"shapes", required_argument, NULL, OPT_SHAPES},
    {"strategy", required_argument, NULL, OPT_STRATEGY},
    {"budget", required_argument, NULL, OPT_BUDGET},
    {"max-evals", required_argument, NULL, OPT_MAX_EVALS},
    {"patience", required_argument, NULL, OPT_PATIENCE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"rerun", no_argument, NULL, OPT_RERUN},
    {"no-wait", no_argument, NULL, OPT_NO_WAIT},
    {"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},
    {"min-time", required_argument, NULL, OPT_MIN_TIME},
    {"flush", no_argument, NULL, OPT_FLUSH},
    {"density", required_argument, NULL, OPT_DENSITY},
    {"rank", required_argument, NULL, OPT_RANK},
    CLI_CONFIG_OPTIONS,
    {"json", no_argument, NULL, OPT_JSON},
    {"db", required_argument, NULL, OPT_DB},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct opts {
    struct cli_config cc;
    int64_t m, n, k;
    int have_m, have_n, have_k;
    const char *shapes, *strategy, *db;
    double budget, lock_timeout, min_time;
    int have_budget, max_evals, have_max_evals, patience, have_patience, limit;
    uint64_t seed;
    int dry_run, rerun, no_wait, flush, json;
    enum mxt_op op;
    double density; /* spmm */
    int64_t rank;   /* lowrank */
    int have_density, have_rank;
};

/* A positive, finite number of seconds. */
static int parse_seconds(const char *arg, const char *flag, double *out) {
    double v;
    int rc = mxt_parse_double(arg, -1e300, 1e300, flag, &v);
    if (rc) return rc;
    if (!(v > 0) || !isfinite(v))
        return mxt_error(MXT_ERANGE, "%s: '%s' must be a positive number of seconds", flag, arg);
    *out = v;
    return 0;
}

static int parse(int argc, char **argv, struct opts *o) {
    int c, rc = 0;
    o->op = MXT_OP_GEMM;
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
                               "search tunes", optarg, &o->op, &o->density, &o->have_density,
                               &o->rank, &o->have_rank);
            break;
        case OPT_SHAPES:
            o->shapes = optarg;
            break;
        case OPT_STRATEGY: {
            const struct mxt_strategy *st;
            rc = mxt_strategy_find(optarg, &st);
            o->strategy = optarg;
            break;
        }
        case OPT_BUDGET:
            rc = parse_seconds(optarg, "--budget", &o->budget);
            o->have_budget = 1;
            break;
        case OPT_MAX_EVALS:
            rc = mxt_parse_int(optarg, 1, 1000000, "--max-evals", &o->max_evals);
            o->have_max_evals = 1;
            break;
        case OPT_PATIENCE:
            rc = mxt_parse_int(optarg, 1, 1000000, "--patience", &o->patience);
            o->have_patience = 1;
            break;
        case OPT_SEED: {
            int64_t v;
            rc = mxt_parse_i64(optarg, 0, INT64_MAX, "--seed", &v);
            o->seed = (uint64_t)v;
            break;
        }
        case OPT_DRY_RUN:
            o->dry_run = 1;
            break;
        case OPT_LIMIT:
            rc = mxt_parse_int(optarg, 1, 1000000, "--limit", &o->limit);
            break;
        case OPT_RERUN:
            o->rerun = 1;
            break;
        case OPT_NO_WAIT:
            o->no_wait = 1;
            break;
        case OPT_LOCK_TIMEOUT:
            rc = parse_seconds(optarg, "--lock-timeout", &o->lock_timeout);
            break;
        case OPT_MIN_TIME:
            rc = parse_seconds(optarg, "--min-time", &o->min_time);
            if (!rc && o->min_time > 60)
                return cli_usage_error(cmd, "--min-time: '%s' is above 60 s", optarg);
            break;
        case OPT_FLUSH:
            o->flush = 1;
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
    if (o->dry_run && o->rerun)
        return cli_usage_error(cmd, "--dry-run and --rerun conflict: a dry run measures nothing");
    int sizes = o->have_m + o->have_n + o->have_k;
    if (o->shapes && sizes)
        return cli_usage_error(cmd, "--shapes and -m/-n/-k conflict: give one problem or a file");
    if (sizes && sizes < 3)
        return cli_usage_error(cmd, "missing %s: give -m, -n and -k together",
                               !o->have_m   ? "-m"
                               : !o->have_n ? "-n"
                                            : "-k");
    static const int block_flags[] = {CLI_OPT_MC, CLI_OPT_KC, CLI_OPT_NC, CLI_OPT_ALPHA,
                                      CLI_OPT_SIZING};
    static const char *const block_names[] = {"--mc", "--kc", "--nc", "--alpha", "--sizing"};
    for (size_t i = 0; i < MXT_ARRAY_LEN(block_flags); i++)
        if (CLI_CONFIG_GIVEN(&o->cc, block_flags[i]))
            return cli_usage_error(cmd, "%s does not apply: search tunes the cache blocks",
                                   block_names[i]);
    if ((o->cc.cfg.mr == 0) != (o->cc.cfg.nr == 0))
        return cli_usage_error(cmd, "give --mr and --nr together");
    if (o->limit && !o->dry_run) return cli_usage_error(cmd, "--limit applies to --dry-run only");
    const char *opn = mxt_op_name(o->op);
    if (o->have_density && o->op != MXT_OP_SPMM)
        return cli_usage_error(cmd, "--density applies to --op spmm only");
    if (o->have_rank && o->op != MXT_OP_LOWRANK)
        return cli_usage_error(cmd, "--rank applies to --op lowrank only");
    if (o->op == MXT_OP_SPMM && !o->have_density)
        return cli_usage_error(cmd, "--op spmm needs --density (of A, in (0, 1])");
    if (o->op == MXT_OP_LOWRANK && !o->have_rank)
        return cli_usage_error(cmd, "--op lowrank needs --rank");
    if (o->op != MXT_OP_GEMM && !sizes && !o->shapes)
        return cli_usage_error(cmd,
                               "--op %s needs -m, -n and -k or --shapes (the built-in set "
                               "is gemm's)",
                               opn);
    if (o->op == MXT_OP_SPMM && o->cc.dtype != MXT_F32)
        return cli_usage_error(cmd, "--op spmm runs f32 only (Rosko's kernels), not --dtype %s",
                               mxt_dtype_name(o->cc.dtype));
    if (o->op == MXT_OP_SPMM && CLI_CONFIG_GIVEN(&o->cc, CLI_OPT_SCHEDULE) &&
        o->cc.cfg.schedule != MXT_SCHED_CAKE && o->cc.cfg.schedule != MXT_SCHED_CAKE_KMN)
        return cli_usage_error(cmd, "--schedule %s: spmm runs Rosko's K-first order (cake-kmn)",
                               mxt_schedule_name(o->cc.cfg.schedule));
    if (o->op == MXT_OP_LOWRANK && sizes) {
        const int64_t rmax = o->m < o->k ? o->m : o->k;
        if (o->rank > rmax)
            return cli_usage_error(cmd, "--rank %lld exceeds min(m, k) = %lld", (long long)o->rank,
                                   (long long)rmax);
    }
    return 0;
}

/* ---- how busy the machine was: CPU time of other processes ---- */

struct cpu_snap {
    double busy, total; /* seconds of all CPUs since boot (/proc/stat) */
    double self;        /* seconds of this process (all threads) */
    int ok;
};

static void cpu_snap(struct cpu_snap *c) {
    memset(c, 0, sizeof *c);
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    long tck = sysconf(_SC_CLK_TCK);
    struct rusage ru;
    if (n < 8 || tck <= 0 || getrusage(RUSAGE_SELF, &ru) != 0) return;
    /* user nice system idle iowait irq softirq steal */
    double busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
    c->busy = busy / (double)tck;
    c->total = (busy + (double)(v[3] + v[4])) / (double)tck;
    c->self = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
              (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    c->ok = 1;
}

/* The share of all CPU time between a and b that went to other processes
 * (-1: unknown). A search on a busy machine measures the other work too. */
static double others_share(const struct cpu_snap *a, const struct cpu_snap *b) {
    if (!a->ok || !b->ok || !(b->total - a->total > 0)) return -1;
    double others = (b->busy - a->busy) - (b->self - a->self);
    return others > 0 ? others / (b->total - a->total) : 0;
}

#define BUSY_NOTE 0.05

/* ---- output ---- */

static void progress_line(void *ctx, const char *line) {
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

static void notify_lock(const char *msg, void *ctx) {
    (void)ctx;
    fprintf(stderr, "mxtune search: %s\n", msg);
}

static cJSON *pick_json(const struct mxt_space *sp, const struct mxt_search_pick *p) {
    if (p->cand < 0) return cJSON_CreateNull();
    const struct mxt_candidate *c = &sp->c[p->cand];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "config", mxt_db_config_json(&c->cfg));
    if (p->seconds > 0) {
        cJSON_AddNumberToObject(o, "gflops", p->gflops);
        cJSON_AddNumberToObject(o, "seconds", p->seconds);
    } else {
        cJSON_AddNullToObject(o, "gflops");
        cJSON_AddNullToObject(o, "seconds");
    }
    cJSON_AddNumberToObject(o, "model_rank", c->rank);
    cJSON_AddNumberToObject(o, "predicted_seconds", c->predicted_s);
    cJSON_AddNumberToObject(o, "predicted_gflops", c->predicted_gflops);
    return o;
}

/* Candidates the exhaustive strategy visits (strategy_exhaustive.c). */
static int exhaustive_grid(const struct mxt_space *sp) {
    const unsigned need = MXT_CAND_COARSE | MXT_CAND_WIDEST;
    int n = 0;
    for (int i = 0; i < sp->n; i++)
        n += (sp->c[i].flags & need) == need || (sp->c[i].flags & MXT_CAND_DEFAULT);
    return n;
}

static cJSON *problem_json(const struct mxt_space *sp) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "op", mxt_op_name(sp->pb.op));
    cJSON_AddStringToObject(o, "dtype", mxt_dtype_name(sp->pb.dtype));
    cJSON_AddNumberToObject(o, "m", (double)sp->pb.m);
    cJSON_AddNumberToObject(o, "n", (double)sp->pb.n);
    cJSON_AddNumberToObject(o, "k", (double)sp->pb.k);
    if (sp->pb.op == MXT_OP_SPMM) cJSON_AddNumberToObject(o, "density", sp->pb.density);
    if (sp->pb.op == MXT_OP_LOWRANK) {
        cJSON_AddNumberToObject(o, "rank", (double)sp->pb.rank);
        cJSON_AddStringToObject(o, "order", mxt_lowrank_order_name(sp->order));
        cJSON_AddStringToObject(o, "model_order", mxt_lowrank_order_name(sp->model_order));
    }
    cJSON_AddNumberToObject(o, "flops", sp->flops);
    cJSON_AddNumberToObject(o, "threads", sp->threads);
    cJSON_AddNumberToObject(o, "candidates", sp->n);
    cJSON_AddNumberToObject(o, "exhaustive_grid", exhaustive_grid(sp));
    cJSON_AddNumberToObject(o, "refused", sp->n_illegal);
    cJSON *r = cJSON_AddArrayToObject(o, "refused_reasons");
    for (int i = 0; i < sp->n_reasons; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "reason", sp->reasons[i].text);
        cJSON_AddNumberToObject(x, "count", sp->reasons[i].count);
        cJSON_AddItemToArray(r, x);
    }
    return o;
}

static cJSON *result_json(const struct mxt_space *sp, const struct mxt_search_result *r,
                          const char *strategy, uint64_t seed, double busy) {
    cJSON *o = problem_json(sp);
    if (busy >= 0)
        cJSON_AddNumberToObject(o, "other_processes_cpu_share", busy);
    else
        cJSON_AddNullToObject(o, "other_processes_cpu_share");
    cJSON_AddItemToObject(o, "best", pick_json(sp, &r->best));
    cJSON_AddNumberToObject(o, "measured", r->measured);
    cJSON_AddNumberToObject(o, "resumed", r->resumed);
    cJSON_AddNumberToObject(o, "failed", r->failed);
    cJSON_AddNumberToObject(o, "cut_off", r->cut_off);
    cJSON_AddNumberToObject(o, "evaluated", r->evals);
    cJSON_AddItemToObject(o, "model_first", pick_json(sp, &r->model_first));
    cJSON_AddItemToObject(o, "default", pick_json(sp, &r->dflt));
    cJSON_AddStringToObject(o, "strategy", strategy);
    cJSON_AddNumberToObject(o, "seed", (double)seed);
    cJSON_AddStringToObject(o, "stopped_by", r->stop);
    cJSON_AddNumberToObject(o, "elapsed_seconds", r->elapsed_s);
    cJSON_AddBoolToObject(o, "interrupted", r->interrupted);
    return o;
}

static cJSON *dry_run_json(const struct mxt_space *sp, int limit) {
    cJSON *o = problem_json(sp);
    cJSON_AddNumberToObject(o, "measured", 0);
    cJSON *mf = cJSON_CreateObject();
    cJSON_AddItemToObject(mf, "config", mxt_db_config_json(&sp->c[0].cfg));
    cJSON_AddNumberToObject(mf, "predicted_gflops", sp->c[0].predicted_gflops);
    cJSON_AddItemToObject(o, "model_first", mf);
    if (sp->dflt >= 0) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddItemToObject(d, "config", mxt_db_config_json(&sp->c[sp->dflt].cfg));
        cJSON_AddNumberToObject(d, "predicted_gflops", sp->c[sp->dflt].predicted_gflops);
        cJSON_AddNumberToObject(d, "model_rank", sp->dflt);
        cJSON_AddItemToObject(o, "default", d);
    } else {
        cJSON_AddNullToObject(o, "default");
    }
    cJSON *a = cJSON_AddArrayToObject(o, "ranked");
    for (int i = 0; i < sp->n && i < limit; i++) {
        const struct mxt_candidate *c = &sp->c[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "rank", i);
        cJSON_AddItemToObject(x, "config", mxt_db_config_json(&c->cfg));
        cJSON_AddNumberToObject(x, "predicted_seconds", c->predicted_s);
        cJSON_AddNumberToObject(x, "predicted_gflops", c->predicted_gflops);
        cJSON_AddStringToObject(x, "bound", mxt_bound_name(c->bound));
        cJSON_AddItemToArray(a, x);
    }
    return o;
}

static void print_problem_head(const struct mxt_space *sp) {
    printf("%s %s %lldx%lldx%lld", mxt_op_name(sp->pb.op), mxt_dtype_name(sp->pb.dtype),
           (long long)sp->pb.m, (long long)sp->pb.n, (long long)sp->pb.k);
    if (sp->pb.op == MXT_OP_SPMM) printf(" density %g", sp->pb.density);
    if (sp->pb.op == MXT_OP_LOWRANK)
        printf(" rank %lld, order %s (the model's: %s)", (long long)sp->pb.rank,
               mxt_lowrank_order_name(sp->order), mxt_lowrank_order_name(sp->model_order));
    printf(" on %d threads: %d legal candidates", sp->threads, sp->n);
    if (sp->n_illegal) printf(", %d refused", sp->n_illegal);
    printf("\n");
}

static void print_dry_run(const struct mxt_space *sp, int limit) {
    print_problem_head(sp);
    printf("  the exhaustive strategy's grid: %d candidates\n", exhaustive_grid(sp));
    for (int i = 0; i < sp->n_reasons; i++)
        printf("  refused %5d: %s\n", sp->reasons[i].count, sp->reasons[i].text);
    printf("  %5s  %-50s %12s %10s  %s\n", "rank", "configuration", "predicted s", "GFLOP/s",
           "bound");
    for (int i = 0; i < sp->n && i < limit; i++) {
        char t[160];
        mxt_tuner_config_text(&sp->c[i].cfg, t, sizeof t);
        printf("  %5d  %-50s %12.4g %10.1f  %s%s\n", i, t, sp->c[i].predicted_s,
               sp->c[i].predicted_gflops, mxt_bound_name(sp->c[i].bound),
               i == sp->dflt ? "  (default)" : "");
    }
    if (sp->dflt >= limit) {
        char t[160];
        mxt_tuner_config_text(&sp->c[sp->dflt].cfg, t, sizeof t);
        printf("  %5d  %-50s %12.4g %10.1f  %s  (default)\n", sp->dflt, t,
               sp->c[sp->dflt].predicted_s, sp->c[sp->dflt].predicted_gflops,
               mxt_bound_name(sp->c[sp->dflt].bound));
    }
}

static void print_pick(const char *what, const struct mxt_space *sp,
                       const struct mxt_search_pick *p, const struct mxt_search_pick *best) {
    if (p->cand < 0) {
        printf("  %-12s -\n", what);
        return;
    }
    char t[160];
    mxt_tuner_config_text(&sp->c[p->cand].cfg, t, sizeof t);
    printf("  %-12s %-50s %8.1f GFLOP/s  (model rank %d, predicted %.1f)", what, t, p->gflops,
           sp->c[p->cand].rank, sp->c[p->cand].predicted_gflops);
    if (p != best && best->gflops > 0 && p->gflops > 0)
        printf("  best is x%.3f", best->gflops / p->gflops);
    printf("\n");
}

static void print_result(const struct mxt_space *sp, const struct mxt_search_result *r,
                         double busy) {
    print_problem_head(sp);
    printf("  %d evaluated (%d measured, %d stored, %d failed, %d cut off) in %.1f s, stopped "
           "by %s\n",
           r->evals, r->measured, r->resumed, r->failed, r->cut_off, r->elapsed_s, r->stop);
    if (busy >= BUSY_NOTE)
        printf("  note: other processes took %.0f %% of the CPU time meanwhile: these timings "
               "include their interference\n",
               100 * busy);
    print_pick("best", sp, &r->best, &r->best);
    print_pick("model first", sp, &r->model_first, &r->best);
    print_pick("default", sp, &r->dflt, &r->best);
}

static cJSON *accuracy_json(const struct mxt_accuracy *a, int fitted) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", a->count);
    cJSON_AddNumberToObject(o, "median_abs_pct_error", a->median_abs_pct_error);
    if (isfinite(a->spearman))
        cJSON_AddNumberToObject(o, "spearman", a->spearman);
    else
        cJSON_AddNullToObject(o, "spearman");
    if (isfinite(a->spearman_pooled))
        cJSON_AddNumberToObject(o, "spearman_pooled", a->spearman_pooled);
    else
        cJSON_AddNullToObject(o, "spearman_pooled");
    cJSON_AddNumberToObject(o, "problems", a->problems);
    cJSON_AddNumberToObject(o, "calibrated_kernels", a->calibrated_kernels);
    cJSON_AddNumberToObject(o, "censored", a->censored);
    if (fitted >= 0) cJSON_AddNumberToObject(o, "fitted_now", fitted);
    return o;
}

static void print_accuracy(FILE *f, const struct mxt_accuracy *a) {
    fprintf(f,
            "model accuracy: %d measured candidates, median |predicted - measured| / measured "
            "%.1f %%, Spearman %.3f within problems (%d problems; %.3f pooled), %d calibrated "
            "micro-kernel%s\n",
            a->count, a->median_abs_pct_error, a->spearman, a->problems, a->spearman_pooled,
            a->calibrated_kernels, a->calibrated_kernels == 1 ? "" : "s");
}

/* ---- the run ---- */

struct problem {
    int64_t m, n, k;
    enum mxt_dtype dtype;
};

static int load_problems(const struct opts *o, struct problem **out, int *np) {
    *out = NULL;
    *np = 0;
    struct mxt_shape *sh = NULL;
    const struct mxt_shape *def = NULL;
    int n, rc = 0;
    if (o->shapes) {
        if ((rc = mxt_shapes_load(o->shapes, o->cc.dtype, &sh, &n))) return rc;
    } else if (!o->have_m) {
        n = mxt_shapes_default(&def);
    } else {
        n = 1;
    }
    struct problem *p = calloc((size_t)n, sizeof *p);
    if (!p) {
        free(sh);
        return mxt_error(MXT_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        if (sh && o->op == MXT_OP_LOWRANK && o->rank > (sh[i].m < sh[i].k ? sh[i].m : sh[i].k)) {
            rc = mxt_error(MXT_ERANGE, "%s:%d: --rank %lld exceeds min(m, k) = %lld", o->shapes,
                           sh[i].line, (long long)o->rank,
                           (long long)(sh[i].m < sh[i].k ? sh[i].m : sh[i].k));
            free(sh);
            free(p);
            return rc;
        }
        if (sh && o->op == MXT_OP_SPMM && sh[i].dtype != MXT_F32) {
            rc = mxt_error(MXT_EINVAL, "%s:%d: spmm runs f32 only, not %s", o->shapes, sh[i].line,
                           mxt_dtype_name(sh[i].dtype));
            free(sh);
            free(p);
            return rc;
        }
        if (sh)
            p[i] = (struct problem){sh[i].m, sh[i].n, sh[i].k, sh[i].dtype};
        else if (def)
            p[i] = (struct problem){def[i].m, def[i].n, def[i].k,
                                    CLI_CONFIG_GIVEN(&o->cc, CLI_OPT_DTYPE) ? o->cc.dtype
                                                                            : def[i].dtype};
        else
            p[i] = (struct problem){o->m, o->n, o->k, o->cc.dtype};
    }
    free(sh);
    *out = p;
    *np = n;
    return 0;
}

static int build_space(const struct opts *o, struct mxt_tuner *t, const struct problem *p,
                       struct mxt_space *sp) {
    struct mxt_problem pb = {.op = o->op,
                             .dtype = p->dtype,
                             .m = p->m,
                             .n = p->n,
                             .k = p->k,
                             .density = o->op == MXT_OP_SPMM ? o->density : 0,
                             .rank = o->op == MXT_OP_LOWRANK ? o->rank : 0};
    struct mxt_space_opts so = {.threads = o->cc.cfg.threads,
                                .schedule = o->cc.cfg.schedule,
                                .only_schedule = CLI_CONFIG_GIVEN(&o->cc, CLI_OPT_SCHEDULE),
                                .isa = o->cc.cfg.isa,
                                .mr = o->cc.cfg.mr,
                                .nr = o->cc.cfg.nr,
                                .calib = mxt_tuner_calibrations(t)};
    return mxt_space_build(mxt_tuner_machine(t), &pb, &so, sp);
}

static size_t flush_bytes(const struct mxt_machine *m) {
    uint64_t big = 0;
    for (int i = 0; i < m->n_caches; i++)
        if (m->caches[i].size_bytes > big) big = m->caches[i].size_bytes;
    big = big ? 2 * big : (64u << 20);
    return (size_t)(big > (1u << 30) ? (1u << 30) : big);
}

int cmd_search(int argc, char **argv) {
    struct opts o;
    memset(&o, 0, sizeof o);
    cli_config_init(&o.cc);
    o.seed = 1;
    o.lock_timeout = 600;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? CLI_OK : rc;
    const char *strategy = o.strategy ? o.strategy : MXT_DEFAULT_STRATEGY;
    const int exhaustive = strcmp(strategy, "exhaustive") == 0;

    struct problem *probs = NULL;
    int np = 0, exit_code = CLI_OK;
    struct mxt_db *db = NULL;
    struct mxt_db_lock *lock = NULL;
    struct mxt_tuner *t = NULL;
    struct mxt_machine *m = calloc(1, sizeof *m);
    struct mxt_model_machine *mm = calloc(1, sizeof *mm);
    cJSON *arr = cJSON_CreateArray();
    struct mxt_space sp;
    memset(&sp, 0, sizeof sp);
    if (!m || !mm || !arr) {
        rc = mxt_error(MXT_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = load_problems(&o, &probs, &np))) goto fail;
    if ((rc = cli_load_this_machine(o.db, m))) goto fail;
    if ((rc = mxt_model_machine_init(mm, m))) goto fail;
    if ((rc = mxt_db_open(o.db, o.dry_run ? MXT_DB_READONLY : MXT_DB_CREATE, &db))) goto fail;
    if (!o.dry_run && (rc = mxt_db_lock_measure(mxt_db_path(db), !o.no_wait, o.lock_timeout,
                                                notify_lock, NULL, &lock)))
        goto fail;
    if ((rc = mxt_tuner_create(db, m->fingerprint, mm, &t))) goto fail;

    struct mxt_search_opts so;
    mxt_search_defaults(&so);
    so.strategy = strategy;
    so.seed = o.seed;
    so.rerun = o.rerun;
    so.max_evals = o.have_max_evals ? o.max_evals : exhaustive ? 0 : MXT_SEARCH_DEFAULT_MAX_EVALS;
    so.patience = o.have_patience ? o.patience : exhaustive ? 0 : MXT_SEARCH_DEFAULT_PATIENCE;
    so.measure.flush = o.flush;
    so.measure.flush_bytes = flush_bytes(m);
    if (o.min_time > 0) so.measure.min_time_s = o.min_time;
    so.progress = progress_line;
    double total = o.have_budget ? o.budget
                   : exhaustive
                       ? 0
                       : fmin(MXT_SEARCH_DEFAULT_TOTAL_S, MXT_SEARCH_DEFAULT_BUDGET_S * np);
    const double start = mxt_clock_now(&mxt_clock_default);
    int measured = 0, interrupted = 0, limit = o.limit ? o.limit : 20;

    for (int i = 0; i < np && !interrupted; i++) {
        if ((rc = build_space(&o, t, &probs[i], &sp))) goto fail;
        if (o.dry_run) {
            if (o.json)
                cJSON_AddItemToArray(arr, dry_run_json(&sp, limit));
            else
                print_dry_run(&sp, limit);
            mxt_space_release(&sp);
            continue;
        }
        if (total > 0) {
            double left = total - (mxt_clock_now(&mxt_clock_default) - start);
            so.budget_s = fmax(left, 1e-3) / (np - i);
        } else {
            so.budget_s = 0;
        }
        struct mxt_gemm_bench *bench = NULL;
        struct mxt_spmm_bench *sbench = NULL;
        struct mxt_lowrank_bench *lbench = NULL;
        struct mxt_measurer meas;
        if (o.op == MXT_OP_SPMM) {
            rc = mxt_spmm_bench_create(probs[i].m, probs[i].n, probs[i].k, o.density, o.seed,
                                       &sbench);
            meas = (struct mxt_measurer){mxt_spmm_bench_measure, sbench};
        } else if (o.op == MXT_OP_LOWRANK) {
            rc = mxt_lowrank_bench_create(probs[i].dtype, probs[i].m, probs[i].n, probs[i].k,
                                          o.rank, sp.order, o.seed, &lbench);
            meas = (struct mxt_measurer){mxt_lowrank_bench_measure, lbench};
        } else {
            rc = mxt_gemm_bench_create(probs[i].dtype, probs[i].m, probs[i].n, probs[i].k, o.seed,
                                       &bench);
            meas = (struct mxt_measurer){mxt_gemm_bench_measure, bench};
        }
        if (rc) goto fail;
        struct mxt_search_result res;
        struct cpu_snap c0, c1;
        cpu_snap(&c0);
        rc = mxt_tuner_search(t, &sp, &meas, &so, &res);
        cpu_snap(&c1);
        double busy = others_share(&c0, &c1);
        if (busy >= BUSY_NOTE)
            fprintf(stderr,
                    "mxtune search: other processes took %.0f %% of the CPU time during this "
                    "search: its timings include their interference\n",
                    100 * busy);
        mxt_gemm_bench_destroy(bench);
        mxt_spmm_bench_destroy(sbench);
        mxt_lowrank_bench_destroy(lbench);
        if (rc && rc != MXT_EINTR) goto fail;
        interrupted = rc == MXT_EINTR;
        measured += res.measured;
        if (o.json)
            cJSON_AddItemToArray(arr, result_json(&sp, &res, strategy, o.seed, busy));
        else
            print_result(&sp, &res, busy);
        mxt_space_release(&sp);
    }

    /* the model learns from what was measured */
    int have_acc = 0, fitted = -1;
    struct mxt_accuracy acc;
    if (!o.dry_run && !interrupted) {
        if ((rc = mxt_tuner_calibrate(t, &fitted))) goto fail;
        have_acc = mxt_tuner_accuracy(t, &acc) == 0;
        if (have_acc) print_accuracy(o.json ? stderr : stdout, &acc);
    }
    if (interrupted) {
        exit_code = CLI_INTERRUPTED;
        fprintf(stderr, "mxtune search: interrupted: every measurement so far is stored\n");
    }
    if (o.json) {
        cJSON *out;
        if (cJSON_GetArraySize(arr) == 1) { /* one problem: its keys at the top */
            out = cJSON_DetachItemFromArray(arr, 0);
        } else {
            out = cJSON_CreateObject();
            cJSON_AddNumberToObject(out, "measured", measured);
            cJSON_AddItemToObject(out, "problems", arr);
            arr = NULL;
        }
        cJSON_AddItemToObject(out, "schema", cJSON_CreateString("mxtune.search/1"));
        cJSON_AddBoolToObject(out, "dry_run", o.dry_run);
        if (have_acc) cJSON_AddItemToObject(out, "model_accuracy", accuracy_json(&acc, fitted));
        char *text = cJSON_Print(out);
        cJSON_Delete(out);
        if (!text) {
            rc = mxt_error(MXT_ENOMEM, "out of memory writing JSON");
            goto fail;
        }
        int prc = cli_print_json(text);
        if (prc && !exit_code) exit_code = prc;
    }
    goto out;
fail:
    exit_code = cli_fail(cmd, rc);
out:
    mxt_space_release(&sp);
    mxt_tuner_destroy(t);
    if (lock) mxt_db_unlock(lock);
    mxt_db_close(db);
    cJSON_Delete(arr);
    free(probs);
    free(mm);
    free(m);
    return exit_code;
}

/* ---- mxtune model accuracy ---- */

int cli_model_accuracy(const char *db_path, int json) {
    static const char *const acmd = "model accuracy";
    struct mxt_machine *m = calloc(1, sizeof *m);
    struct mxt_model_machine *mm = calloc(1, sizeof *mm);
    struct mxt_db *db = NULL;
    struct mxt_tuner *t = NULL;
    int rc, exit_code = CLI_OK;
    if (!m || !mm) {
        rc = mxt_error(MXT_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = cli_load_this_machine(db_path, m))) goto fail;
    if ((rc = mxt_model_machine_init(mm, m))) goto fail;
    if ((rc = mxt_db_open(db_path, MXT_DB_READONLY, &db))) goto fail;
    if ((rc = mxt_tuner_create(db, m->fingerprint, mm, &t))) goto fail;
    struct mxt_accuracy acc;
    if ((rc = mxt_tuner_accuracy(t, &acc))) goto fail;
    if (json) {
        cJSON *o = accuracy_json(&acc, -1);
        cJSON_AddItemToObject(o, "schema", cJSON_CreateString("mxtune.accuracy/1"));
        cJSON_AddItemToObject(o, "fingerprint", cJSON_CreateString(m->fingerprint));
        char *text = cJSON_Print(o);
        cJSON_Delete(o);
        if (!text) {
            rc = mxt_error(MXT_ENOMEM, "out of memory writing JSON");
            goto fail;
        }
        exit_code = cli_print_json(text);
    } else {
        print_accuracy(stdout, &acc);
    }
    goto out;
fail:
    exit_code = cli_fail(acmd, rc);
out:
    mxt_tuner_destroy(t);
    mxt_db_close(db);
    free(mm);
    free(m);
    return exit_code;
}
