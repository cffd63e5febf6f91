/* `mxtune db list|show|export|import|merge` (cli/): the database's tables and
 * row counts, the winners per machine, and moving results between databases
 * as mxtune.db_export/1 documents (import and merge roll back whole). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_db_tune.h"

static void usage(FILE *f) {
    fprintf(f, "usage: mxtune db list [--json] [--db PATH]\n"
               "       mxtune db show [--fingerprint FP] [--json] [--db PATH]\n"
               "       mxtune db export [--fingerprint FP] [--db PATH] > FILE.json\n"
               "       mxtune db import FILE.json [--json] [--db PATH]\n"
               "       mxtune db merge OTHER.db [--json] [--db PATH]\n"
               "\n"
               "Manage the database of machine profiles and measurements.\n"
               "\n"
               "  list         the database's path, schema version and rows per table\n"
               "  show         each machine's tuned problems with their winners: shape,\n"
               "               configuration, GFLOP/s, and 'stale' when measured with\n"
               "               another kernel version\n"
               "  export       every machine (or one) with its probe runs, measurements,\n"
               "               winners and calibrations as one mxtune.db_export/1 document\n"
               "  import FILE  add such a document in one transaction: any bad entry, or one\n"
               "               already stored, rolls the whole import back (exit 1, naming it)\n"
               "  merge OTHER  add another database's results (rows of each machine stay\n"
               "               under its fingerprint; a measurement on both sides keeps the\n"
               "               faster median), in one transaction\n"
               "  --fingerprint FP  one machine only\n"
               "  --json       an mxtune.db_list/1, db_show/1, db_import/1 document\n"
               "  --db PATH    the database (default $MXTUNE_DB, else\n"
               "               $XDG_DATA_HOME/mxtune/mxtune.db)\n"
               "  -h, --help   this text\n");
}

static int print_count(const char *table, int64_t rows, void *ctx) {
    (void)ctx;
    printf("  %-20s %lld\n", table, (long long)rows);
    return 0;
}

static int add_count(const char *table, int64_t rows, void *ctx) {
    if (!cJSON_AddNumberToObject(ctx, table, (double)rows))
        return mxt_error(MXT_ENOMEM, "out of memory writing JSON");
    return 0;
}

static int db_list_json(struct mxt_db *db, int version) {
    cJSON *root = cJSON_CreateObject();
    cJSON *tables = NULL;
    char *doc = NULL;
    int rc = 0;
    if (!root || !cJSON_AddStringToObject(root, "schema", "mxtune.db_list/1") ||
        !cJSON_AddStringToObject(root, "db", mxt_db_path(db)) ||
        !cJSON_AddNumberToObject(root, "schema_version", version) ||
        !cJSON_AddNumberToObject(root, "mxtune_schema_version", MXT_DB_SCHEMA_VERSION) ||
        !(tables = cJSON_AddObjectToObject(root, "tables"))) {
        rc = mxt_error(MXT_ENOMEM, "out of memory writing JSON");
        goto done;
    }
    if ((rc = mxt_db_table_counts(db, add_count, tables)) != 0) goto done;
    if (!(doc = cJSON_PrintUnformatted(root)))
        rc = mxt_error(MXT_ENOMEM, "out of memory writing JSON");
done:
    cJSON_Delete(root);
    return rc ? cli_fail("db", rc) : cli_print_json(doc);
}

static int db_list(const struct cli_common *o) {
    struct mxt_db *db = NULL;
    int rc = mxt_db_open(o->db_path, MXT_DB_READONLY, &db);
    if (rc) return cli_fail("db", rc);
    int version = mxt_db_schema_version(db);
    if (version < 0) {
        rc = cli_fail("db", version);
    } else if (o->json) {
        rc = db_list_json(db, version);
    } else {
        printf("database  %s\n", mxt_db_path(db));
        printf("schema    %d (this mxtune: %d)\n", version, MXT_DB_SCHEMA_VERSION);
        printf("tables    rows\n");
        rc = mxt_db_table_counts(db, print_count, NULL);
        rc = rc ? cli_fail("db", rc) : CLI_OK;
    }
    mxt_db_close(db);
    return rc;
}

/* ---- show ---- */

static int add_tuned_json(const struct mxt_db_tuned *t, void *ctx) {
    cJSON *o = cJSON_CreateObject(), *p = mxt_db_problem_json(&t->problem),
          *c = mxt_db_config_json(&t->best.config);
    cJSON *prov = cJSON_Parse(t->provenance);
    if (!o || !p || !c || !cJSON_AddItemToArray(ctx, o)) goto fail;
    cJSON_AddItemToObject(o, "problem", p);
    cJSON_AddItemToObject(o, "config", c);
    p = c = NULL;
    if (!cJSON_AddNumberToObject(o, "gflops", t->best.gflops) ||
        !cJSON_AddNumberToObject(o, "median_s", t->best.median_s) ||
        !cJSON_AddBoolToObject(o, "stale", t->stale) ||
        !cJSON_AddStringToObject(o, "kernel_version", t->best.kernel_version) ||
        !cJSON_AddStringToObject(o, "created", t->created))
        return mxt_error(MXT_ENOMEM, "out of memory writing JSON");
    if (prov) cJSON_AddItemToObject(o, "provenance", prov);
    return 0;
fail:
    if (!o || !cJSON_IsArray(ctx)) cJSON_Delete(o);
    cJSON_Delete(p);
    cJSON_Delete(c);
    cJSON_Delete(prov);
    return mxt_error(MXT_ENOMEM, "out of memory writing JSON");
}

struct show_ctx {
    struct mxt_db *db;
    const char *fingerprint;
    int json, machines, tuned;
    cJSON *list; /* --json: the machines array */
};

static int print_tuned(const struct mxt_db_tuned *t, void *ctx) {
    const struct mxt_config *c = &t->best.config;
    char shape[64], cfg[128];
    (void)ctx;
    snprintf(shape, sizeof shape, "%lld x %lld x %lld", (long long)t->problem.m,
             (long long)t->problem.n, (long long)t->problem.k);
    snprintf(cfg, sizeof cfg, "%s %s %dx%d mc=%lld kc=%lld nc=%lld a=%g",
             mxt_schedule_name(c->schedule), mxt_isa_name(c->isa), c->mr, c->nr, (long long)c->mc,
             (long long)c->kc, (long long)c->nc, c->alpha);
    printf("  %-8s %-5s %-22s %7d  %-52s %9.1f  %s\n", t->problem.op,
           mxt_dtype_name(t->problem.dtype), shape, t->problem.threads, cfg, t->best.gflops,
           t->stale ? "stale" : "");
    return 0;
}

static int count_tuned(const struct mxt_db_tuned *t, void *ctx) {
    (void)t;
    ++*(int *)ctx;
    return 0;
}

static int show_machine(const struct mxt_db_machine_row *row, void *ctx) {
    struct show_ctx *s = ctx;
    int rc, n = 0;
    if (s->fingerprint && strcmp(s->fingerprint, row->fingerprint) != 0) return 0;
    s->machines++;
    if ((rc = mxt_db_list_tuned(s->db, row->fingerprint, count_tuned, &n)) != 0) return rc;
    s->tuned += n;
    if (s->json) {
        cJSON *m = cJSON_CreateObject(), *arr;
        if (!m || !cJSON_AddItemToArray(s->list, m)) {
            cJSON_Delete(m);
            return mxt_error(MXT_ENOMEM, "out of memory writing JSON");
        }
        if (!cJSON_AddStringToObject(m, "fingerprint", row->fingerprint) ||
            !cJSON_AddStringToObject(m, "name", row->name) ||
            !cJSON_AddStringToObject(m, "brand", row->brand) ||
            !(arr = cJSON_AddArrayToObject(m, "tuned")))
            return mxt_error(MXT_ENOMEM, "out of memory writing JSON");
        return mxt_db_list_tuned(s->db, row->fingerprint, add_tuned_json, arr);
    }
    printf("%smachine %s  %s%s%s\n", s->machines > 1 ? "\n" : "", row->fingerprint,
           row->brand[0] ? row->brand : "(unknown CPU)", row->name[0] ? " -- " : "", row->name);
    if (n == 0) {
        printf("  nothing tuned yet (run 'mxtune search')\n");
        return 0;
    }
    printf("  %-8s %-5s %-22s %7s  %-52s %9s  %s\n", "op", "dtype", "M x N x K", "threads",
           "configuration", "GFLOP/s", "");
    return mxt_db_list_tuned(s->db, row->fingerprint, print_tuned, NULL);
}

static int db_show(const struct cli_common *o, const char *fingerprint) {
    struct mxt_db *db = NULL;
    cJSON *root = NULL;
    char *doc = NULL;
    int rc = mxt_db_open(o->db_path, MXT_DB_READONLY, &db);
    if (rc) return cli_fail("db", rc);
    struct show_ctx s = {db, fingerprint, o->json, 0, 0, NULL};
    if (o->json) {
        root = cJSON_CreateObject();
        if (!root || !cJSON_AddStringToObject(root, "schema", "mxtune.db_show/1") ||
            !cJSON_AddStringToObject(root, "db", mxt_db_path(db)) ||
            !cJSON_AddStringToObject(root, "kernel_version", MXT_KERNEL_VERSION) ||
            !(s.list = cJSON_AddArrayToObject(root, "machines"))) {
            rc = mxt_error(MXT_ENOMEM, "out of memory writing JSON");
            goto done;
        }
    }
    if ((rc = mxt_db_list_machines(db, show_machine, &s)) != 0) goto done;
    if (fingerprint && s.machines == 0) {
        rc = mxt_error(MXT_ENOTFOUND, "no machine with fingerprint '%s' in database '%s'",
                       fingerprint, mxt_db_path(db));
        goto done;
    }
    if (o->json) {
        if (!(doc = cJSON_PrintUnformatted(root))) rc = mxt_error(MXT_ENOMEM, "out of memory");
    } else if (s.machines == 0) {
        printf("no machines in '%s' (run 'mxtune probe')\n", mxt_db_path(db));
    }
done:
    cJSON_Delete(root);
    mxt_db_close(db);
    if (rc) return cli_fail("db", rc);
    return doc ? cli_print_json(doc) : CLI_OK;
}

/* ---- export, import, merge ---- */

static int db_export(const struct cli_common *o, const char *fingerprint) {
    struct mxt_db *db = NULL;
    char *json = NULL;
    int rc = mxt_db_open(o->db_path, MXT_DB_READONLY, &db);
    if (rc == 0) rc = mxt_db_export_json(db, fingerprint, &json);
    mxt_db_close(db);
    if (rc) return cli_fail("db", rc);
    return cli_print_json(json);
}

static int print_added(const struct cli_common *o, const char *verb, const char *from, int added) {
    if (!o->json) {
        printf("%s %d row%s from '%s'\n", verb, added, added == 1 ? "" : "s", from);
        return CLI_OK;
    }
    cJSON *root = cJSON_CreateObject();
    char *doc = NULL;
    if (root && cJSON_AddStringToObject(root, "schema", "mxtune.db_import/1") &&
        cJSON_AddStringToObject(root, "from", from) &&
        cJSON_AddNumberToObject(root, "added", added))
        doc = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!doc) return cli_fail("db", mxt_error(MXT_ENOMEM, "out of memory writing JSON"));
    return cli_print_json(doc);
}

/* import FILE (merge 0) or merge OTHER.db (merge 1). */
static int db_import(const struct cli_common *o, const char *file, int merge) {
    const char *verb = merge ? "merge" : "import";
    struct mxt_db *db = NULL;
    char *text = NULL;
    size_t len = 0;
    int added = 0, rc = 0;
    if (!merge && (rc = mxt_read_file(file, &text, &len)) != 0) goto done;
    if (!merge && strlen(text) != len) {
        rc = mxt_error(MXT_EFORMAT, "the file holds a NUL byte: not a JSON document");
        goto done;
    }
    if ((rc = mxt_db_open(o->db_path, MXT_DB_CREATE, &db)) != 0) goto done;
    rc = merge ? mxt_db_merge_file(db, file, &added) : mxt_db_import_json(db, text, 0, &added);
done:
    mxt_db_close(db);
    free(text);
    if (rc) {
        const char *msg = mxt_last_error();
        fprintf(stderr, "mxtune db %s: '%s': %s (nothing was changed)\n", verb, file,
                msg[0] ? msg : mxt_strerror(rc));
        return cli_exit_code(rc) == CLI_USAGE ? CLI_FAIL : cli_exit_code(rc);
    }
    return print_added(o, merge ? "merged" : "imported", file, added);
}

int cmd_db(int argc, char **argv) {
    static const char *const verbs[] = {"list", "show", "export", "import", "merge"};
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"fingerprint", required_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    struct cli_common o = {0};
    const char *fingerprint = NULL, *file = NULL;
    if (argc < 2)
        return cli_usage_error("db", "missing subcommand: list, show, export, import or merge");
    const char *verb = argv[1];
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    int known = 0;
    for (size_t i = 0; i < MXT_ARRAY_LEN(verbs); i++)
        known |= strcmp(verb, verbs[i]) == 0;
    if (!known)
        return cli_usage_error("db", "unknown subcommand '%s' (list, show, export, import, merge)",
                               verb);
    optind = 1;
    int c;
    while ((c = cli_getopt("db", argc - 1, argv + 1, ":h", opts)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return CLI_OK;
        case 'j':
            o.json = 1;
            break;
        case 'd':
            o.db_path = optarg;
            break;
        case 'f':
            fingerprint = optarg;
            break;
        default:
            return CLI_USAGE;
        }
    }
    int takes_file = strcmp(verb, "import") == 0 || strcmp(verb, "merge") == 0;
    if (takes_file && optind < argc - 1) file = argv[1 + optind++];
    if (optind < argc - 1)
        return cli_usage_error("db", "unexpected argument '%s'", argv[1 + optind]);
    if (o.db_path && !o.db_path[0]) return cli_usage_error("db", "--db needs a path");
    if (takes_file && (!file || !file[0])) return cli_usage_error("db", "%s needs a file", verb);
    if (fingerprint && (!fingerprint[0] || takes_file || strcmp(verb, "list") == 0))
        return cli_usage_error("db", "--fingerprint applies to show and export, with a value");
    if (strcmp(verb, "show") == 0) return db_show(&o, fingerprint);
    if (strcmp(verb, "export") == 0) return db_export(&o, fingerprint);
    if (strcmp(verb, "import") == 0) return db_import(&o, file, 0);
    if (strcmp(verb, "merge") == 0) return db_import(&o, file, 1);
    return db_list(&o);
}
