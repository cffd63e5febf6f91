/* `mxtune model`: the analytical model's prediction for one problem and
 * configuration on this machine's stored profile or a machine file (cli/).
 * A readable table by default, one mxtune.model/1 document with --json. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "mxt_db_tune.h"
#include "mxt_common.h"
#include "mxtune/machine.h"
#include "mxtune/model.h"

static const char *const cmd = "model";

static void usage(FILE *f) {
    fprintf(f,
            "usage: mxtune model [--op gemm|spmm|lowrank] -m M -n N -k K [options]\n"
            "       mxtune model --op contract --spec \"abc,cd->abd\" --sizes a=..,b=..,c=..,d=.. "
            "[options]\n"
            "       mxtune model accuracy [--json] [--db PATH]\n"
            "\n"
            "Predict cache blocks, footprints, bytes moved across every memory level, time and\n"
            "the bounding resource with mxtune's analytical model (CAKE, Goto/BLIS with Low et\n"
            "al., mCAKE, Rosko, low rank). Nothing is run.\n"
            "\n"
            "  --op OP           gemm (default); spmm: sparse A (Rosko); lowrank: W ~ U V in\n"
            "                    Y = W X; contract: an einsum-like contraction (mCAKE)\n"
            "  -m M -n N -k K    C (M x N) = A (M x K) B (K x N); lowrank: W is M x K, X K x N\n"
            "  --dtype T         f32 (default) or f64\n"
            "  --schedule S      cake (default: the I/O rule picks cake-kmn, cake-mkn or\n"
            "                    cake-nkm), cake-kmn, cake-mkn, cake-nkm, goto, goto-jc\n"
            "  --sizing R        reference (the CAKE authors' rule), model (Low et al., goto),\n"
            "                    bandwidth (mxtune's rule for CAKE); default per schedule\n"
            "  --mr R --nr C     register tile (default: the model picks a kernel)\n"
            "  --mc --kc --nc    cache blocks; explicit values override the sizing rule\n"
            "  --alpha A         CAKE: nc = alpha * p * mc (cake-nkm: mc = alpha * p * nc)\n"
            "  --isa ISA         auto (default), generic, avx2, avx512\n"
            "  --threads P       threads (default: all cores)\n"
            "  --density D       spmm: density of A; lowrank: density of U; in (0, 1]\n"
            "  --rank R          lowrank: the rank r, at most min(M, K)\n"
            "  --spec S          contract: inputs and output, e.g. \"bij,bjk->bik\"\n"
            "  --sizes L         contract: every index's size, e.g. b=8,i=512,j=256,k=384\n"
            "  --machine FILE    a machine file (mxtune.machine/1) instead of this machine's\n"
            "                    stored profile\n"
            "  --json            one mxtune.model/1 document on stdout\n"
            "  --db PATH         the database (default $MXTUNE_DB, else\n"
            "                    $XDG_DATA_HOME/mxtune/mxtune.db)\n"
            "  -h, --help        this text\n"
            "\n"
            "Units: bytes, seconds, GB/s and GFLOP/s (10^9, an FMA counts 2).\n"
            "\n"
            "'model accuracy' compares the model (with the constants 'mxtune search' fitted)\n"
            "with every measurement of this machine: count, median absolute %% error of the\n"
            "predicted time, Spearman rank correlation within each problem (mxtune.accuracy/1).\n");
}

enum { OPT_OP = 256, OPT_DENSITY, OPT_RANK, OPT_SPEC, OPT_SIZES, OPT_MACHINE, OPT_JSON, OPT_DB };

static const struct option longopts[] = {
    {"op", required_argument, NULL, OPT_OP},
    CLI_CONFIG_OPTIONS,
    {"density", required_argument, NULL, OPT_DENSITY},
    {"rank", required_argument, NULL, OPT_RANK},
    {"spec", required_argument, NULL, OPT_SPEC},
    {"sizes", required_argument, NULL, OPT_SIZES},
    {"machine", required_argument, NULL, OPT_MACHINE},
    {"json", no_argument, NULL, OPT_JSON},
    {"db", required_argument, NULL, OPT_DB},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct opts {
    struct mxt_problem pb;
    struct mxt_config cfg;
    enum mxt_sizing sizing;
    struct cli_config cc; /* the shared configuration flags */
    int accuracy;         /* `mxtune model accuracy` */
    int have_m, have_n, have_k, have_density;
    const char *spec, *sizes, *machine, *db;
    int json;
};

static int parse(int argc, char **argv, struct opts *o) {
    int c, rc = 0;
    int64_t v;
    while ((c = cli_getopt(cmd, argc, argv, "m:n:k:h", longopts)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return -1;
        case 'm':
        case 'n':
        case 'k':
            rc = cli_dim_option(c, optarg, &o->pb.m, &o->pb.n, &o->pb.k, &o->have_m, &o->have_n,
                                &o->have_k);
            break;
        case OPT_OP:
            rc = mxt_op_parse(optarg, &o->pb.op);
            break;
        case OPT_DENSITY:
            rc = mxt_parse_double(optarg, -1e300, 1e300, "--density", &o->pb.density);
            if (!rc && !(o->pb.density > 0 && o->pb.density <= 1))
                return cli_usage_error(cmd, "--density: '%s' is outside (0, 1]", optarg);
            o->have_density = 1;
            break;
        case OPT_RANK:
            rc = mxt_parse_i64(optarg, 1, MXT_MODEL_MAX_DIM, "--rank", &v);
            o->pb.rank = v;
            break;
        case OPT_SPEC:
            o->spec = optarg;
            break;
        case OPT_SIZES:
            o->sizes = optarg;
            break;
        case OPT_MACHINE:
            o->machine = optarg;
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
    o->pb.dtype = o->cc.dtype;
    o->cfg = o->cc.cfg;
    o->sizing = o->cc.sizing;
    if (optind < argc) {
        if (strcmp(argv[optind], "accuracy") == 0) {
            if (optind + 1 < argc)
                return cli_usage_error("model accuracy", "unexpected argument '%s'",
                                       argv[optind + 1]);
            if (o->have_m || o->have_n || o->have_k || o->cc.given || o->machine || o->spec)
                return cli_usage_error("model accuracy", "takes only --json and --db");
            o->accuracy = 1;
            return 0;
        }
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    }
    /* which flags each op takes */
    enum mxt_op op = o->pb.op;
    if (op == MXT_OP_CONTRACT) {
        if (o->have_m || o->have_n || o->have_k)
            return cli_usage_error(cmd, "-m/-n/-k do not apply to --op contract (use --sizes)");
        if (!o->spec) return cli_usage_error(cmd, "--op contract needs --spec");
        if (!o->sizes) return cli_usage_error(cmd, "--op contract needs --sizes");
    } else {
        if (o->spec || o->sizes)
            return cli_usage_error(cmd, "--spec and --sizes apply to --op contract only");
        if (!o->have_m) return cli_usage_error(cmd, "missing -m (rows of A and C)");
        if (!o->have_n) return cli_usage_error(cmd, "missing -n (columns of B and C)");
        if (!o->have_k) return cli_usage_error(cmd, "missing -k (the summed dimension)");
    }
    if (o->have_density && op != MXT_OP_SPMM && op != MXT_OP_LOWRANK)
        return cli_usage_error(cmd, "--density applies to --op spmm and lowrank only");
    if (op == MXT_OP_SPMM && !o->have_density)
        return cli_usage_error(cmd, "--op spmm needs --density (the density of A, in (0, 1])");
    if (o->pb.rank && op != MXT_OP_LOWRANK)
        return cli_usage_error(cmd, "--rank applies to --op lowrank only");
    if (op == MXT_OP_LOWRANK && !o->pb.rank)
        return cli_usage_error(cmd, "--op lowrank needs --rank");
    return 0;
}

/* ---- JSON ---- */

static const char *const level_keys[] = {"L1", "L2", "L3", "L4", "DRAM"};

/* Levels the machine has (always L1..L3 and DRAM, L4 when present). */
static int has_level(const struct mxt_model_machine *mm, int l) {
    for (int i = 0; i < mm->n_levels; i++)
        if (mm->lv[i].level == l) return 1;
    return 0;
}

static int emit_json(const struct opts *o, const struct mxt_machine *m,
                     const struct mxt_model_machine *mm, const struct mxt_contraction *ct,
                     const struct mxt_prediction *p) {
    cJSON *r = cJSON_CreateObject();
    if (!r) return cli_fail(cmd, mxt_error(MXT_ENOMEM, "out of memory"));
    const struct mxt_config *c = &p->config;
    cJSON_AddStringToObject(r, "schema", "mxtune.model/1");
    cJSON_AddStringToObject(r, "op", mxt_op_name(p->op));
    cJSON_AddStringToObject(r, "dtype", mxt_dtype_name(p->dtype));
    cJSON_AddNumberToObject(r, "m", (double)p->m);
    cJSON_AddNumberToObject(r, "n", (double)p->n);
    cJSON_AddNumberToObject(r, "k", (double)p->k);
    cJSON *mj = cJSON_AddObjectToObject(r, "machine");
    cJSON_AddStringToObject(mj, "name", mm->name);
    cJSON_AddStringToObject(mj, "fingerprint", m->fingerprint);
    cJSON_AddItemToObject(r, "config", mxt_db_config_json(c));
    cJSON_AddNumberToObject(r, "mr", c->mr);
    cJSON_AddNumberToObject(r, "nr", c->nr);
    cJSON_AddNumberToObject(r, "mc", (double)c->mc);
    cJSON_AddNumberToObject(r, "kc", (double)c->kc);
    cJSON_AddNumberToObject(r, "nc", (double)c->nc);
    cJSON_AddNumberToObject(r, "alpha", c->alpha);
    cJSON_AddStringToObject(r, "schedule", mxt_schedule_name(c->schedule));
    cJSON_AddStringToObject(r, "schedule_requested", mxt_schedule_name(p->requested));
    cJSON_AddStringToObject(r, "sizing", mxt_sizing_name(p->sizing));
    cJSON_AddNumberToObject(r, "threads", c->threads);
    cJSON_AddNumberToObject(r, "threads_busy", p->threads_busy);
    cJSON_AddNumberToObject(r, "flops", p->flops);
    cJSON_AddNumberToObject(r, "dram_bytes", p->bytes[MXT_LVL_DRAM]);
    cJSON_AddNumberToObject(r, "packing_dram_bytes", p->pack_bytes);
    if (p->authors_dram_bytes > 0)
        cJSON_AddNumberToObject(r, "dram_bytes_authors_formula", p->authors_dram_bytes);
    cJSON *bl = cJSON_AddObjectToObject(r, "bytes_per_level");
    cJSON *fp = cJSON_AddObjectToObject(r, "footprint_bytes");
    for (int l = 1; l <= MXT_MAX_LEVELS; l++) {
        if (l == 4 && !has_level(mm, 4)) continue;
        cJSON_AddNumberToObject(bl, level_keys[l - 1], p->bytes[l - 1]);
        cJSON_AddNumberToObject(fp, level_keys[l - 1], p->footprint[l - 1]);
    }
    cJSON_AddNumberToObject(bl, "DRAM", p->bytes[MXT_LVL_DRAM]);
    cJSON_AddNumberToObject(r, "required_dram_GBps", p->required_dram_Bps / 1e9);
    cJSON_AddNumberToObject(r, "available_dram_GBps", p->available_dram_Bps / 1e9);
    cJSON_AddNumberToObject(r, "predicted_seconds", p->seconds);
    cJSON_AddNumberToObject(r, "predicted_gflops", p->gflops);
    cJSON_AddStringToObject(r, "bound", mxt_bound_name(p->bound));
    cJSON *tt = cJSON_AddObjectToObject(r, "time_seconds");
    cJSON *rf = cJSON_AddObjectToObject(r, "roofline");
    cJSON *ai = cJSON_AddObjectToObject(rf, "intensity_flop_per_byte");
    cJSON *ce = cJSON_AddObjectToObject(rf, "ceilings_gflops");
    for (int b = 0; b < MXT_NBOUNDS; b++) {
        if (b == MXT_BOUND_L4 && !has_level(mm, 4)) continue;
        cJSON_AddNumberToObject(tt, mxt_bound_name((enum mxt_bound)b), p->time[b]);
        if (b != MXT_BOUND_OVERHEAD)
            cJSON_AddNumberToObject(ce, mxt_bound_name((enum mxt_bound)b), p->ceiling_gflops[b]);
    }
    for (int l = 0; l < MXT_NLVL; l++) {
        if (l == 3 && !has_level(mm, 4)) continue;
        cJSON_AddNumberToObject(ai, level_keys[l], p->intensity[l]);
    }
    cJSON_AddStringToObject(rf, "bounding_ceiling", mxt_bound_name(p->bound));
    cJSON_AddNumberToObject(r, "kernel_efficiency", p->eta);
    cJSON *sd = cJSON_AddObjectToObject(r, "sizing_detail");
    const struct mxt_sizing_detail *d = &p->detail;
    if (p->sizing == MXT_SIZING_REFERENCE) {
        cJSON_AddNumberToObject(sd, "mc_L2", (double)d->mc_l2);
        cJSON_AddNumberToObject(sd, "mc_L3", (double)d->mc_l3);
    }
    if (p->sizing == MXT_SIZING_BANDWIDTH) {
        if (isfinite(d->alpha_need))
            cJSON_AddNumberToObject(sd, "alpha_needed", d->alpha_need);
        else
            cJSON_AddNullToObject(sd, "alpha_needed");
        cJSON_AddNumberToObject(sd, "alpha_local_memory_max", d->alpha_l3);
    }
    if (p->sizing == MXT_SIZING_MODEL && mxt_schedule_is_goto(c->schedule)) {
        cJSON_AddNumberToObject(sd, "C_Ar", d->c_ar);
        cJSON_AddNumberToObject(sd, "C_Ac", d->c_ac);
        cJSON_AddNumberToObject(sd, "C_Bc", d->c_bc);
    }
    cJSON_AddBoolToObject(sd, "small_dimension_rule", d->small_dim);
    if (p->requested == MXT_SCHED_CAKE && d->io_kmn > 0) {
        cJSON *io = cJSON_AddObjectToObject(sd, "order_io_bytes");
        cJSON_AddNumberToObject(io, "cake-kmn", d->io_kmn);
        cJSON_AddNumberToObject(io, "cake-mkn", d->io_mkn);
        cJSON_AddNumberToObject(io, "cake-nkm", d->io_nkm);
    }
    if (p->op == MXT_OP_SPMM) {
        cJSON_AddNumberToObject(r, "density", p->density);
        cJSON_AddNumberToObject(r, "breakeven_density", p->breakeven_density);
        cJSON_AddNumberToObject(r, "dense_seconds", p->dense_seconds);
    }
    if (p->op == MXT_OP_LOWRANK) {
        cJSON_AddNumberToObject(r, "rank", (double)p->rank);
        cJSON_AddNumberToObject(r, "density", p->density);
        cJSON_AddStringToObject(r, "order", mxt_lowrank_order_name(p->order));
        cJSON *os = cJSON_AddObjectToObject(r, "order_seconds");
        cJSON_AddNumberToObject(os, mxt_lowrank_order_name(0), p->order_seconds[0]);
        cJSON_AddNumberToObject(os, mxt_lowrank_order_name(1), p->order_seconds[1]);
        cJSON_AddNumberToObject(r, "breakeven_rank", (double)p->breakeven_rank);
        cJSON_AddNumberToObject(r, "breakeven_rank_flops",
                                floor((double)p->m * p->k / (double)(p->m + p->k)));
        cJSON_AddNumberToObject(r, "dense_seconds", p->dense_seconds);
        cJSON *st = cJSON_AddArrayToObject(r, "stages");
        for (int i = 0; i < p->n_stages; i++) {
            const struct mxt_stage *s = &p->stages[i];
            cJSON *so = cJSON_CreateObject();
            cJSON_AddStringToObject(so, "what", s->what);
            cJSON_AddStringToObject(so, "op", mxt_op_name(s->op));
            cJSON_AddNumberToObject(so, "m", (double)s->m);
            cJSON_AddNumberToObject(so, "n", (double)s->n);
            cJSON_AddNumberToObject(so, "k", (double)s->k);
            cJSON_AddNumberToObject(so, "seconds", s->seconds);
            cJSON_AddStringToObject(so, "bound", mxt_bound_name(s->bound));
            cJSON_AddItemToObject(so, "config", mxt_db_config_json(&s->config));
            cJSON_AddItemToArray(st, so);
        }
    }
    if (p->op == MXT_OP_CONTRACT && ct) {
        cJSON_AddStringToObject(r, "spec", o->spec);
        cJSON_AddNumberToObject(r, "batch", (double)p->batch);
        cJSON *g = cJSON_AddObjectToObject(r, "groups");
        cJSON_AddNumberToObject(g, "I", (double)ct->m);
        cJSON_AddNumberToObject(g, "J", (double)ct->n);
        cJSON_AddNumberToObject(g, "P", (double)ct->k);
        cJSON_AddNumberToObject(g, "batch", (double)ct->batch);
        cJSON *t = cJSON_AddArrayToObject(r, "tiles");
        for (int i = 0; i < p->n_tiles; i++) {
            cJSON *to = cJSON_CreateObject();
            char name[2] = {p->tiles[i].index, '\0'};
            cJSON_AddStringToObject(to, "index", name);
            cJSON_AddStringToObject(to, "class", mxt_index_class_name(p->tiles[i].cls));
            cJSON_AddNumberToObject(to, "size", (double)p->tiles[i].size);
            cJSON_AddNumberToObject(to, "tile", (double)p->tiles[i].tile);
            cJSON_AddItemToArray(t, to);
        }
    }
    char notes[MXT_MODEL_MAX_ASSUMED + 16][MXT_MODEL_NOTE_LEN];
    int n = mxt_model_assumed(mm, p, notes, (int)MXT_ARRAY_LEN(notes));
    cJSON *as = cJSON_AddArrayToObject(r, "assumed");
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(as, cJSON_CreateString(notes[i]));
    char *doc = cJSON_Print(r);
    cJSON_Delete(r);
    if (!doc) return cli_fail(cmd, mxt_error(MXT_ENOMEM, "out of memory writing JSON"));
    return cli_print_json(doc);
}

/* ---- the human table ---- */

static void fmt_bytes(double b, char *buf, size_t n) {
    if (b <= 0)
        snprintf(buf, n, "-");
    else if (b < 1e6)
        snprintf(buf, n, "%.1f KB", b / 1e3);
    else if (b < 1e9)
        snprintf(buf, n, "%.2f MB", b / 1e6);
    else
        snprintf(buf, n, "%.2f GB", b / 1e9);
}

static void fmt_footprint(double b, char *buf, size_t n) {
    if (b <= 0)
        snprintf(buf, n, "-");
    else
        mxt_format_bytes((uint64_t)b, buf, n);
}

static void print_row(const char *name, const char *fp, const char *bytes, double ai, double t,
                      double ceil_gf) {
    char ais[24], ts[24], cs[24];
    if (ai > 0)
        snprintf(ais, sizeof ais, "%.3g", ai);
    else
        snprintf(ais, sizeof ais, "-");
    if (t > 0)
        snprintf(ts, sizeof ts, "%.4g", t);
    else
        snprintf(ts, sizeof ts, "-");
    if (ceil_gf > 0)
        snprintf(cs, sizeof cs, "%.0f", ceil_gf);
    else
        snprintf(cs, sizeof cs, "-");
    printf("%-10s %12s %14s %10s %12s %14s\n", name, fp, bytes, ais, ts, cs);
}

static int emit_text(const struct opts *o, const struct mxt_model_machine *mm,
                     const struct mxt_prediction *p) {
    const struct mxt_config *c = &p->config;
    if (p->op == MXT_OP_CONTRACT)
        printf("contract   %s (%s), I=%lld J=%lld P=%lld batch=%lld, %d threads on %s\n", o->spec,
               mxt_dtype_name(p->dtype), (long long)p->m, (long long)p->n, (long long)p->k,
               (long long)p->batch, c->threads, mm->name[0] ? mm->name : "?");
    else
        printf("%-10s %s, M=%lld N=%lld K=%lld, %d threads on %s\n", mxt_op_name(p->op),
               mxt_dtype_name(p->dtype), (long long)p->m, (long long)p->n, (long long)p->k,
               c->threads, mm->name[0] ? mm->name : "?");
    printf("schedule   %s", mxt_schedule_name(c->schedule));
    if (p->requested != c->schedule) printf(" (asked: %s)", mxt_schedule_name(p->requested));
    printf(", sizing %s\n", mxt_sizing_name(p->sizing));
    printf("blocks     mr x nr = %dx%d (%s), mc %lld, kc %lld, nc %lld", c->mr, c->nr,
           mxt_isa_name(c->isa), (long long)c->mc, (long long)c->kc, (long long)c->nc);
    if (!mxt_schedule_is_goto(c->schedule)) printf(", alpha %.4f", c->alpha);
    printf("\n");
    if (p->sizing == MXT_SIZING_REFERENCE)
        printf("           reference rule: mc_L2 %lld, mc_L3 %lld%s\n", (long long)p->detail.mc_l2,
               (long long)p->detail.mc_l3, p->detail.small_dim ? " (small-M rule applied)" : "");
    if (p->op == MXT_OP_CONTRACT) {
        printf("tiles     ");
        for (int i = 0; i < p->n_tiles; i++)
            printf(" %c:%s %lld/%lld", p->tiles[i].index, mxt_index_class_name(p->tiles[i].cls),
                   (long long)p->tiles[i].tile, (long long)p->tiles[i].size);
        printf("\n");
    }
    printf("\n%-10s %12s %14s %10s %12s %14s\n", "level", "footprint", "bytes moved", "flop/byte",
           "time (s)", "ceiling GF/s");
    char a[32], b[32];
    for (int i = 0; i < mm->n_levels; i++) {
        int l = mm->lv[i].level;
        char name[8];
        snprintf(name, sizeof name, "L%d", l);
        fmt_footprint(p->footprint[l - 1], a, sizeof a);
        fmt_bytes(p->bytes[l - 1], b, sizeof b);
        print_row(name, a, b, p->intensity[l - 1], p->time[l], p->ceiling_gflops[l]);
    }
    fmt_bytes(p->bytes[MXT_LVL_DRAM], b, sizeof b);
    print_row("DRAM", "", b, p->intensity[MXT_LVL_DRAM], p->time[MXT_BOUND_DRAM],
              p->ceiling_gflops[MXT_BOUND_DRAM]);
    print_row("compute", "", "", 0, p->time[MXT_BOUND_COMPUTE],
              p->ceiling_gflops[MXT_BOUND_COMPUTE]);
    print_row("overhead", "", "", 0, p->time[MXT_BOUND_OVERHEAD], 0);
    printf("\npredicted  %.4g s, %.1f GFLOP/s, bound: %s\n", p->seconds, p->gflops,
           mxt_bound_name(p->bound));
    printf("DRAM       needs %.2f GB/s of the %.1f GB/s available (packing %s)\n",
           p->required_dram_Bps / 1e9, p->available_dram_Bps / 1e9,
           (fmt_bytes(p->pack_bytes, a, sizeof a), a));
    if (p->op == MXT_OP_SPMM)
        printf("Rosko      density %.4g; dense alternative %.4g s; break-even density %.4g\n",
               p->density, p->dense_seconds, p->breakeven_density);
    if (p->op == MXT_OP_LOWRANK) {
        printf("low rank   r = %lld (density %.3g): %s %.4g s, %s %.4g s, dense %.4g s; "
               "chosen %s\n",
               (long long)p->rank, p->density, mxt_lowrank_order_name(0), p->order_seconds[0],
               mxt_lowrank_order_name(1), p->order_seconds[1], p->dense_seconds,
               mxt_lowrank_order_name(p->order));
        printf("           break-even rank %lld in time (%.0f in flops)\n",
               (long long)p->breakeven_rank, floor((double)p->m * p->k / (double)(p->m + p->k)));
        for (int i = 0; i < p->n_stages; i++)
            printf("           stage %-8s %lld x %lld x %lld (%s, %s): %.4g s, bound %s\n",
                   p->stages[i].what, (long long)p->stages[i].m, (long long)p->stages[i].n,
                   (long long)p->stages[i].k, mxt_op_name(p->stages[i].op),
                   mxt_schedule_name(p->stages[i].config.schedule), p->stages[i].seconds,
                   mxt_bound_name(p->stages[i].bound));
    }
    char notes[MXT_MODEL_MAX_ASSUMED + 16][MXT_MODEL_NOTE_LEN];
    int n = mxt_model_assumed(mm, p, notes, (int)MXT_ARRAY_LEN(notes));
    for (int i = 0; i < n; i++)
        printf("%-10s %s\n", i == 0 ? "assumed" : "", notes[i]);
    return CLI_OK;
}

int cmd_model(int argc, char **argv) {
    struct opts o;
    memset(&o, 0, sizeof o);
    o.pb.op = MXT_OP_GEMM;
    cli_config_init(&o.cc);
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (o.accuracy) return cli_model_accuracy(o.db, o.json);

    struct mxt_contraction ct;
    if (o.pb.op == MXT_OP_CONTRACT) {
        if ((rc = mxt_contraction_parse(o.spec, o.sizes, &ct))) return cli_fail(cmd, rc);
        o.pb.contraction = &ct;
    }
    struct mxt_machine m;
    rc = o.machine ? mxt_machine_load_file(o.machine, &m) : cli_load_this_machine(o.db, &m);
    if (rc) return cli_fail(cmd, rc);
    struct mxt_model_machine mm;
    if ((rc = mxt_model_machine_init(&mm, &m))) return cli_fail(cmd, rc);
    struct mxt_prediction p;
    if ((rc = mxt_model_evaluate(&mm, &o.pb, &o.cfg, o.sizing, &p))) return cli_fail(cmd, rc);
    if ((rc = mxt_model_breakeven(&mm, &o.pb, &o.cfg, o.sizing, &p))) return cli_fail(cmd, rc);
    return o.json ? emit_json(&o, &m, &mm, o.pb.op == MXT_OP_CONTRACT ? &ct : NULL, &p)
                  : emit_text(&o, &mm, &p);
}
