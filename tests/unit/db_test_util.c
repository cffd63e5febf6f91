/* Helpers shared by the database unit tests (db_test_util.h). */
#include "db_test_util.h"
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "mxt_common.h"

int make_tmpdir(char *dir, size_t size, const char *prefix) {
    if ((size_t)snprintf(dir, size, "/tmp/%sXXXXXX", prefix) >= size) return -1;
    return mkdtemp(dir) ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    chmod(path, 0700);
    return remove(path);
}

void rm_tree(const char *dir) {
    chmod(dir, 0700);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void join(char *out, size_t size, const char *dir, const char *name) {
    snprintf(out, size, "%s/%s", dir, name);
}

int raw_exec(const char *path, const char *sql) {
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    sqlite3_close(h);
    return rc;
}

int64_t raw_int(const char *path, const char *sql) {
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

void sample_machine(struct mxt_machine *m, const char *fingerprint, const char *brand) {
    mxt_machine_init(m);
    mxt_strlcpy(m->fingerprint, fingerprint, sizeof m->fingerprint);
    mxt_strlcpy(m->name, "test box", sizeof m->name);
    mxt_strlcpy(m->vendor, "AuthenticAMD", sizeof m->vendor);
    mxt_strlcpy(m->brand, brand, sizeof m->brand);
    m->family = 26;
    m->model = 2;
    m->stepping = 1;
    m->cores = 2;
    m->threads_per_core = 1;
    m->n_isa = 2;
    mxt_strlcpy(m->isa[0], "avx2", sizeof m->isa[0]);
    mxt_strlcpy(m->isa[1], "fma", sizeof m->isa[1]);
    m->n_caches = 2;
    m->caches[0] = (struct mxt_cache){.level = 1,
                                      .type = MXT_CACHE_DATA,
                                      .size_bytes = 49152,
                                      .usable_bytes = 45000,
                                      .line_bytes = 64,
                                      .ways = 12,
                                      .shared_by = 1,
                                      .latency_ns = 1.1,
                                      .latency_cycles = 4,
                                      .bw_read_GBps = 380,
                                      .provenance = MXT_PROV_MEASURED,
                                      .confidence = 0.95};
    m->caches[1] = (struct mxt_cache){.level = 2,
                                      .type = MXT_CACHE_UNIFIED,
                                      .size_bytes = 1048576,
                                      .usable_bytes = 1000000,
                                      .line_bytes = 64,
                                      .ways = 16,
                                      .shared_by = 2,
                                      .latency_ns = 3.5,
                                      .latency_cycles = 14,
                                      .bw_read_GBps = 150,
                                      .provenance = MXT_PROV_MEASURED,
                                      .confidence = 0.9};
    m->dram = (struct mxt_dram){.latency_ns = 95,
                                .read_1t = 30,
                                .read_all = 60,
                                .copy_1t = 33,
                                .copy_all = 62,
                                .triad_1t = 34,
                                .triad_all = 65,
                                .provenance = MXT_PROV_MEASURED};
    m->compute.clock_ghz = 3.5;
    m->compute.fma_per_cycle = 2;
    m->compute.f32_1t = 225;
    m->compute.f64_all = 221;
    m->compute.provenance = MXT_PROV_MEASURED;
    mxt_machine_add_prior(m, "L3 size", 532676608, MXT_PROV_CPUID, 0,
                          "larger than any measured plateau");
    mxt_machine_warn(m, "a test warning");
}
