/* `mxtune lookup`: the configuration another library gets through
 * libmxtune's lookup API for one problem, and where it came from (exact,
 * nearest tuned shape or model) (cli/). Human text, or mxtune.lookup/1. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "mxt_db_tune.h"
#include "mxt_common.h"
#include "mxtune/config.h"
#include "mxtune/gemm.h"
#include "mxtune/lookup.h"
#include "mxtune/model.h"

static const char *const cmd = "lookup";

static void usage(FILE *f) {
    fprintf(f, "usage: mxtune lookup [--op gemm|spmm|lowrank] -m M -n N -k K [options]\n"
               "\n"
               "Print the configuration a program linked to libmxtune gets for this problem\n"
               "(mxt_lookup, mxt_sgemm) and its source: 'exact' (this problem was tuned on this\n"
               "machine), 'nearest' (the tuned shape of the same op, dtype and threads with the\n"
               "smallest log-distance), or 'model' (the analytical model's pick from this\n"
               "machine's profile; a fixed default, with a note, when there is no profile).\n"
               "\n"
               "  --op OP         gemm (default), spmm, lowrank\n"
               "  -m M -n N -k K  the problem: C (M x N) = A (M x K) B (K x N)\n"
               "  --dtype T       f32 (default) or f64\n"
               "  --threads P     threads (default: all cores)\n"
               "  --density D     spmm: density of A, in (0, 1] (default 1)\n"
               "  --rank R        lowrank: the rank r (needed for lowrank)\n"
               "  --json          one mxtune.lookup/1 document on stdout\n"
               "  --db PATH       the database (default $MXTUNE_DB, else\n"
               "                  $XDG_DATA_HOME/mxtune/mxtune.db)\n"
               "  -h, --help      this text\n");
}

enum { OPT_OP = 256, OPT_DTYPE, OPT_THREADS, OPT_DENSITY, OPT_RANK, OPT_JSON, OPT_DB };

static const struct option longopts[] = {{"op", required_argument, NULL, OPT_OP},
                                         {"dtype", required_argument, NULL, OPT_DTYPE},
                                         {"threads", required_argument, NULL, OPT_THREADS},
                                         {"density", required_argument, NULL, OPT_DENSITY},
                                         {"rank", required_argument, NULL, OPT_RANK},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {"db", required_argument, NULL, OPT_DB},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};

struct opts {
    struct mxt_lookup_query q;
    int have_m, have_n, have_k, have_density, have_rank, json;
    const char *db;
};

static int parse(int argc, char **argv, struct opts *o) {
    static const char *const ops[] = {"gemm", "spmm", "lowrank"};
    int c, rc = 0;
    o->q.op = "gemm";
    while ((c = cli_getopt(cmd, argc, argv, "m:n:k:h", longopts)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return -1;
        case 'm':
        case 'n':
        case 'k':
            rc = cli_dim_option(c, optarg, &o->q.m, &o->q.n, &o->q.k, &o->have_m, &o->have_n,
                                &o->have_k);
            break;
        case OPT_OP:
            o->q.op = NULL;
            for (size_t i = 0; i < MXT_ARRAY_LEN(ops); i++)
                if (strcmp(optarg, ops[i]) == 0) o->q.op = ops[i];
            if (!o->q.op)
                return cli_usage_error(cmd, "--op: '%s' is not gemm, spmm or lowrank", optarg);
            break;
        case OPT_DTYPE:
            rc = mxt_dtype_parse(optarg, &o->q.dtype);
            break;
        case OPT_THREADS:
            rc = mxt_parse_int(optarg, 1, MXT_MAX_THREADS, "--threads", &o->q.threads);
            break;
        case OPT_DENSITY:
            rc = mxt_parse_double(optarg, -1e300, 1e300, "--density", &o->q.density);
            if (!rc && !(o->q.density > 0 && o->q.density <= 1))
                return cli_usage_error(cmd, "--density: '%s' is outside (0, 1]", optarg);
            o->have_density = 1;
            break;
        case OPT_RANK:
            rc = mxt_parse_i64(optarg, 1, MXT_MODEL_MAX_DIM, "--rank", &o->q.rank);
            o->have_rank = 1;
            break;
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_DB:
            o->db = optarg;
            break;
        default:
            return CLI_USAGE;
        }
        if (rc) return cli_fail(cmd, rc);
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!o->have_m || !o->have_n || !o->have_k) return cli_usage_error(cmd, "needs -m, -n and -k");
    if (o->db && !o->db[0]) return cli_usage_error(cmd, "--db needs a path");
    int spmm = strcmp(o->q.op, "spmm") == 0, lowrank = strcmp(o->q.op, "lowrank") == 0;
    if (o->have_density && !spmm)
        return cli_usage_error(cmd, "--density applies to --op spmm only");
    if (o->have_rank && !lowrank)
        return cli_usage_error(cmd, "--rank applies to --op lowrank only");
    if (lowrank && !o->have_rank) return cli_usage_error(cmd, "--op lowrank needs --rank");
    return 0;
}

static int print_json(const struct opts *o, const struct mxt_handle_info *info,
                      const struct mxt_lookup_result *r) {
    cJSON *root = cJSON_CreateObject(), *cfg = mxt_db_config_json(&r->config), *tuned = NULL;
    char *doc = NULL;
    int ok = root && cfg && cJSON_AddStringToObject(root, "schema", "mxtune.lookup/1") &&
             cJSON_AddStringToObject(root, "op", o->q.op) &&
             cJSON_AddStringToObject(root, "dtype", mxt_dtype_name(o->q.dtype)) &&
             cJSON_AddNumberToObject(root, "m", (double)o->q.m) &&
             cJSON_AddNumberToObject(root, "n", (double)o->q.n) &&
             cJSON_AddNumberToObject(root, "k", (double)o->q.k) &&
             cJSON_AddStringToObject(root, "source", mxt_lookup_source_name(r->source));
    if (ok) {
        cJSON_AddItemToObject(root, "config", cfg);
        cfg = NULL;
        ok = cJSON_AddNumberToObject(root, "gflops", r->gflops) != NULL;
    }
    if (ok && r->source != MXT_SOURCE_MODEL) {
        ok = (tuned = cJSON_AddObjectToObject(root, "tuned")) &&
             cJSON_AddNumberToObject(tuned, "m", (double)r->tuned_m) &&
             cJSON_AddNumberToObject(tuned, "n", (double)r->tuned_n) &&
             cJSON_AddNumberToObject(tuned, "k", (double)r->tuned_k) &&
             cJSON_AddNumberToObject(root, "distance", r->distance);
    } else if (ok) {
        ok = cJSON_AddNullToObject(root, "tuned") != NULL;
    }
    ok = ok && cJSON_AddStringToObject(root, "note", r->note) &&
         cJSON_AddStringToObject(root, "fingerprint", info->fingerprint) &&
         cJSON_AddStringToObject(root, "db", info->db_path) && (doc = cJSON_PrintUnformatted(root));
    cJSON_Delete(root);
    cJSON_Delete(cfg);
    if (!ok) return cli_fail(cmd, mxt_error(MXT_ENOMEM, "out of memory writing JSON"));
    return cli_print_json(doc);
}

static void print_text(const struct mxt_lookup_result *r) {
    const struct mxt_config *c = &r->config;
    printf("source    %s", mxt_lookup_source_name(r->source));
    if (r->source == MXT_SOURCE_NEAREST)
        printf(" (tuned for %lld x %lld x %lld, log-distance %.3f)", (long long)r->tuned_m,
               (long long)r->tuned_n, (long long)r->tuned_k, r->distance);
    printf("\nconfig    %s %s %dx%d mc=%lld kc=%lld nc=%lld alpha=%g threads=%d\n",
           mxt_schedule_name(c->schedule), mxt_isa_name(c->isa), c->mr, c->nr, (long long)c->mc,
           (long long)c->kc, (long long)c->nc, c->alpha, c->threads);
    if (r->gflops > 0)
        printf("GFLOP/s   %.1f (%s)\n", r->gflops,
               r->source == MXT_SOURCE_EXACT     ? "measured"
               : r->source == MXT_SOURCE_NEAREST ? "measured at the tuned shape"
                                                 : "predicted by the model");
    if (r->note[0]) printf("note      %s\n", r->note);
}

int cmd_lookup(int argc, char **argv) {
    struct opts o;
    memset(&o, 0, sizeof o);
    int rc = parse(argc, argv, &o);
    if (rc == -1) return CLI_OK;
    if (rc) return rc;
    struct mxt_handle *h = NULL;
    struct mxt_handle_info info;
    struct mxt_lookup_result r;
    if ((rc = mxt_open(o.db, &h)) != 0) return cli_fail(cmd, rc);
    rc = mxt_handle_info(h, &info);
    if (rc == 0) rc = mxt_lookup(h, &o.q, &r);
    if (rc) {
        rc = cli_fail(cmd, rc);
    } else if (o.json) {
        rc = print_json(&o, &info, &r);
    } else {
        print_text(&r);
        rc = CLI_OK;
    }
    mxt_close(h);
    return rc;
}
