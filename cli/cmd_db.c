/* `mxtune db list`: where the database is, its schema version and how many
 * rows each table holds (cli/). Later issues add show, export, import and
 * merge beside it. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "mxt_common.h"
#include "mxt_db.h"

static void usage(FILE *f) {
    fprintf(f, "usage: mxtune db list [--json] [--db PATH]\n"
               "\n"
               "Manage the database of machine profiles and measurements.\n"
               "\n"
               "  list         the database's path, schema version and rows per table\n"
               "  --json       an mxtune.db_list/1 document\n"
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

int cmd_db(int argc, char **argv) {
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"db", required_argument, NULL, 'd'},
                                         {NULL, 0, NULL, 0}};
    struct cli_common o = {0};
    if (argc < 2) return cli_usage_error("db", "missing subcommand: list");
    const char *verb = argv[1];
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(verb, "list") != 0)
        return cli_usage_error("db", "unknown subcommand '%s' (this mxtune has: list)", verb);
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
        default:
            return CLI_USAGE;
        }
    }
    if (optind < argc - 1)
        return cli_usage_error("db", "unexpected argument '%s'", argv[1 + optind]);
    if (o.db_path && !o.db_path[0]) return cli_usage_error("db", "--db needs a path");
    return db_list(&o);
}
