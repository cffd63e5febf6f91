/* `mxtune machine show|list`: the machine profiles stored in the database
 * (cli/). Only reads; `mxtune probe` writes them. Human tables by default,
 * mxtune.machine/1 and mxtune.machine_list/1 documents with --json. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxtune/machine.h"

static void usage(FILE *f) {
    fprintf(f, "usage: mxtune machine show [--fingerprint FP] [--json] [--db PATH]\n"
               "       mxtune machine list [--json] [--db PATH]\n"
               "\n"
               "The machine profiles stored by 'mxtune probe'.\n"
               "\n"
               "  show              this machine's profile: caches, DRAM, peak, priors, warnings\n"
               "  list              every stored machine, most recently probed first\n"
               "  --fingerprint FP  show the machine stored under FP (see 'mxtune machine list')\n"
               "  --json            the stored mxtune.machine/1 document, or an\n"
               "                    mxtune.machine_list/1 list\n"
               "  --db PATH         the database (default $MXTUNE_DB, else\n"
               "                    $XDG_DATA_HOME/mxtune/mxtune.db)\n"
               "  -h, --help        this text\n");
}

/* The shared profile table, then the priors it leaves out: the ones used. */
static void print_profile(const struct mxt_machine *m) {
    int header = 0;
    cli_print_machine(stdout, m);
    for (int i = 0; i < m->n_priors; i++) {
        const struct mxt_prior *p = &m->priors[i];
        char v[32];
        if (!p->used) continue;
        if (!header++) printf("\nused priors\n");
        if (strstr(p->what, "size"))
            mxt_format_bytes(p->value, v, sizeof v);
        else
            snprintf(v, sizeof v, "%llu", (unsigned long long)p->value);
        printf("  %-14s %-10s (%s)\n", p->what, v, mxt_provenance_name(p->source));
    }
}

/* ---- list ---- */

struct rows {
    struct mxt_db_machine_row *row;
    size_t n, cap;
};

static int collect_row(const struct mxt_db_machine_row *row, void *ctx) {
    struct rows *r = ctx;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        struct mxt_db_machine_row *p = realloc(r->row, cap * sizeof *p);
        if (!p) return mxt_error(MXT_ENOMEM, "out of memory listing machines");
        r->row = p;
        r->cap = cap;
    }
    r->row[r->n++] = *row;
    return 0;
}

static int list_json(const char *path, const struct rows *r) {
    cJSON *root = cJSON_CreateObject();
    cJSON *list = NULL;
    int ok = root && cJSON_AddStringToObject(root, "schema", "mxtune.machine_list/1") &&
             cJSON_AddStringToObject(root, "db", path) &&
             (list = cJSON_AddArrayToObject(root, "machines"));
    for (size_t i = 0; ok && i < r->n; i++) {
        const struct mxt_db_machine_row *w = &r->row[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(list, o)) {
            cJSON_Delete(o);
            ok = 0;
            break;
        }
        ok = cJSON_AddStringToObject(o, "fingerprint", w->fingerprint) &&
             cJSON_AddStringToObject(o, "name", w->name) &&
             cJSON_AddStringToObject(o, "brand", w->brand) &&
             cJSON_AddNumberToObject(o, "probe_runs", w->probe_runs) &&
             cJSON_AddStringToObject(o, "created", w->created) &&
             cJSON_AddStringToObject(o, "updated", w->updated);
    }
    char *doc = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!doc) return cli_fail("machine", mxt_error(MXT_ENOMEM, "out of memory writing JSON"));
    return cli_print_json(doc);
}

static void list_human(const char *path, const struct rows *r) {
    if (r->n == 0) {
        printf("no machines stored in '%s' (run 'mxtune probe')\n", path);
        return;
    }
    int fw = (int)strlen("fingerprint"), bw = (int)strlen("brand");
    for (size_t i = 0; i < r->n; i++) {
        int f = (int)strlen(r->row[i].fingerprint), b = (int)strlen(r->row[i].brand);
        fw = f > fw ? f : fw;
        bw = b > bw ? b : bw;
    }
    printf("%-*s  %-*s  %4s  %s\n", fw, "fingerprint", bw, "brand", "runs", "updated");
    for (size_t i = 0; i < r->n; i++)
        printf("%-*s  %-*s  %4d  %s\n", fw, r->row[i].fingerprint, bw, r->row[i].brand,
               r->row[i].probe_runs, r->row[i].updated);
}

static int machine_list(const struct cli_common *o) {
    struct mxt_db *db = NULL;
    struct rows r = {0};
    int rc = mxt_db_open(o->db_path, MXT_DB_READONLY, &db);
    if (rc == 0) rc = mxt_db_list_machines(db, collect_row, &r);
    if (rc) {
        rc = cli_fail("machine", rc);
        goto done;
    }
    if (o->json) {
        rc = list_json(mxt_db_path(db), &r);
    } else {
        list_human(mxt_db_path(db), &r);
        rc = CLI_OK;
    }
done:
    free(r.row);
    mxt_db_close(db);
    return rc;
}

/* ---- show ---- */

static int machine_show(const struct cli_common *o, const char *fingerprint) {
    struct mxt_db *db = NULL;
    struct mxt_machine m;
    char fp[sizeof m.fingerprint], *doc = NULL;
    int rc;
    if (fingerprint) {
        mxt_strlcpy(fp, fingerprint, sizeof fp);
    } else { /* this machine, by its fingerprint */
        if ((rc = cli_load_this_machine(o->db_path, &m)) != 0) goto fail;
        mxt_strlcpy(fp, m.fingerprint, sizeof fp);
    }
    if ((rc = mxt_db_open(o->db_path, MXT_DB_READONLY, &db)) != 0) goto fail;
    if (o->json) {
        if ((rc = mxt_db_get_machine_json(db, fp, &doc)) != 0) goto fail;
        mxt_db_close(db);
        return cli_print_json(doc); /* the stored document as it is */
    }
    if ((rc = mxt_db_get_machine(db, fp, &m)) != 0) goto fail;
    mxt_db_close(db);
    print_profile(&m);
    return CLI_OK;
fail:
    mxt_db_close(db);
    return cli_fail("machine", rc);
}

int cmd_machine(int argc, char **argv) {
    static const struct option show_opts[] = {{"help", no_argument, NULL, 'h'},
                                              {"json", no_argument, NULL, 'j'},
                                              {"db", required_argument, NULL, 'd'},
                                              {"fingerprint", required_argument, NULL, 'f'},
                                              {NULL, 0, NULL, 0}};
    struct cli_common o = {0};
    const char *fingerprint = NULL;
    if (argc < 2) return cli_usage_error("machine", "missing subcommand: show or list");
    const char *verb = argv[1];
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    int show = strcmp(verb, "show") == 0;
    if (!show && strcmp(verb, "list") != 0)
        return cli_usage_error("machine", "unknown subcommand '%s' (show or list)", verb);
    /* `list` takes the same options but --fingerprint (the last entry). */
    struct option list_opts[MXT_ARRAY_LEN(show_opts)];
    memcpy(list_opts, show_opts, sizeof show_opts);
    list_opts[3] = (struct option){NULL, 0, NULL, 0};

    optind = 1;
    int c;
    while ((c = cli_getopt("machine", argc - 1, argv + 1, ":h", show ? show_opts : list_opts)) !=
           -1) {
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
    if (optind < argc - 1)
        return cli_usage_error("machine", "unexpected argument '%s'", argv[1 + optind]);
    if (o.db_path && !o.db_path[0]) return cli_usage_error("machine", "--db needs a path");
    if (fingerprint && (!fingerprint[0] || strlen(fingerprint) >= 40))
        return cli_usage_error("machine", "'%s' is not a fingerprint", fingerprint);
    return show ? machine_show(&o, fingerprint) : machine_list(&o);
}
