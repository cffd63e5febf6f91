/* Mean time of one mxt_lookup with an open handle (issue 5 target: <= 20 us),
 * over exact, nearest and model queries and a mix of the three (bench/).
 * Builds a scratch database with this machine's fingerprint unless --db. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_db_tune.h"
#include "mxtune/lookup.h"
#include "probes.h"
#include "bench_util.h"

#define SHAPES 256

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) { /* xorshift64 */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* SHAPES distinct tuned shapes: M and N on a 16 x 16 grid, K from five sizes. */
static int64_t tuned_dim(int i, int which) {
    if (which == 0) return 64 + 96 * (i % 16);
    if (which == 1) return 64 + 96 * ((i / 16) % 16);
    return 128 << (i % 5);
}

/* A scratch database: this machine's fingerprint, a usable profile (bandwidth
 * and peak filled where the identification has none) and SHAPES winners. */
static int build_db(const char *path, int threads) {
    struct mxt_machine m;
    struct mxt_db *db = NULL;
    int rc = mxt_probe_identify(NULL, &m);
    if (rc) return rc;
    if (m.dram.read_1t <= 0) m.dram.read_1t = 20, m.dram.read_all = 40;
    if (m.compute.f32_1t <= 0) {
        m.compute.f32_1t = 100, m.compute.f32_all = 100.0 * (m.cores > 0 ? m.cores : 1);
        m.compute.f64_1t = 50, m.compute.f64_all = 50.0 * (m.cores > 0 ? m.cores : 1);
    }
    if ((rc = mxt_db_open(path, MXT_DB_CREATE, &db)) != 0) return rc;
    if ((rc = mxt_db_store_probe(db, &m, "quick", NULL, NULL)) != 0) goto done;
    for (int i = 0; i < SHAPES && rc == 0; i++) {
        struct mxt_db_problem p;
        struct mxt_db_measurement ms;
        int64_t id = 0;
        mxt_db_problem_init(&p, "gemm", MXT_F32, tuned_dim(i, 0), tuned_dim(i, 1), tuned_dim(i, 2),
                            threads);
        memset(&ms, 0, sizeof ms);
        ms.config = (struct mxt_config){
            MXT_SCHED_GOTO, MXT_ISA_GENERIC, 8, 4, 64 + 8 * (i % 8), 128, 1024, 0, threads};
        mxt_strlcpy(ms.kernel_version, MXT_KERNEL_VERSION, sizeof ms.kernel_version);
        ms.median_s = ms.min_s = ms.q20_s = ms.q80_s = 1e-3;
        ms.gflops = 10 + i % 7;
        mxt_strlcpy(ms.strategy, "bench", sizeof ms.strategy);
        rc = mxt_db_add_measurement(db, m.fingerprint, &p, &ms, &id);
        if (rc == 0) rc = mxt_db_set_tuned(db, m.fingerprint, &p, id, NULL);
    }
done:
    mxt_db_close(db);
    return rc;
}

struct mix {
    const char *name;
    int exact, nearest, model; /* weights */
};

static void make_query(const struct mix *x, struct mxt_lookup_query *q, int threads) {
    int total = x->exact + x->nearest + x->model;
    int r = (int)(rnd() % (uint64_t)total);
    int i = (int)(rnd() % SHAPES);
    memset(q, 0, sizeof *q);
    q->op = "gemm";
    q->threads = threads;
    if (r < x->exact) {
        q->dtype = MXT_F32;
        q->m = tuned_dim(i, 0), q->n = tuned_dim(i, 1), q->k = tuned_dim(i, 2);
    } else {
        q->dtype = r < x->exact + x->nearest ? MXT_F32 : MXT_F64; /* nothing tuned in f64 */
        q->m = 17 + (int64_t)(rnd() % 4000);
        q->n = 17 + (int64_t)(rnd() % 4000);
        q->k = 17 + (int64_t)(rnd() % 4000);
    }
}

int main(int argc, char **argv) {
    static const struct mix mixes[] = {
        {"exact", 1, 0, 0}, {"nearest", 0, 1, 0}, {"model", 0, 0, 1}, {"mixed", 1, 1, 1}};
    enum { QUERIES = 4096 };
    const char *db_path = NULL;
    char dir[64] = "", path[128];
    long reps = 50;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db_path = argv[++i];
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            char *end = NULL;
            reps = strtol(argv[++i], &end, 10);
            if (!end || *end || reps < 1 || reps > 100000) {
                fprintf(stderr, "lookup_latency: --reps '%s' is not in [1, 100000]\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: lookup_latency [--db PATH] [--reps N]\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    int threads = 2;
    if (!db_path) {
        mxt_strlcpy(dir, "/tmp/mxt_lookup_XXXXXX", sizeof dir);
        if (!mkdtemp(dir)) {
            perror("lookup_latency: mkdtemp");
            return 1;
        }
        snprintf(path, sizeof path, "%s/bench.db", dir);
        db_path = path;
        if ((rc = build_db(db_path, threads)) != 0) {
            fprintf(stderr, "lookup_latency: %s\n", mxt_last_error());
            goto done;
        }
    }
    struct mxt_handle *h = NULL;
    double t0 = now();
    if ((rc = mxt_open(db_path, &h)) != 0) {
        fprintf(stderr, "lookup_latency: %s\n", mxt_last_error());
        goto done;
    }
    double open_s = now() - t0;
    struct mxt_handle_info info;
    mxt_handle_info(h, &info);
    printf("lookup latency: one open handle, one thread, %d tuned shapes, %ld x %d queries per "
           "mix\n",
           info.tuned, reps, QUERIES);
    printf("  mxt_open   %10.1f us (once)\n", open_s * 1e6);
    if (info.note[0]) printf("  note: %s\n", info.note);
    struct mxt_lookup_query *qs = malloc(QUERIES * sizeof *qs);
    if (!qs) {
        rc = 1;
        mxt_close(h);
        goto done;
    }
    double worst = 0;
    int counts[3] = {0, 0, 0};
    for (size_t x = 0; x < MXT_ARRAY_LEN(mixes); x++) {
        struct mxt_lookup_result r;
        for (int i = 0; i < QUERIES; i++)
            make_query(&mixes[x], &qs[i], threads);
        for (int i = 0; i < 256; i++) /* warm up */
            mxt_lookup(h, &qs[i % QUERIES], &r);
        double sum_gf = 0;
        t0 = now();
        for (long rep = 0; rep < reps; rep++) {
            for (int i = 0; i < QUERIES; i++) {
                if (mxt_lookup(h, &qs[i], &r) != 0) {
                    fprintf(stderr, "lookup_latency: %s\n", mxt_last_error());
                    rc = 1;
                    break;
                }
                sum_gf += r.gflops; /* keep the results live */
                if (rep == 0) counts[r.source]++;
            }
        }
        double us = (now() - t0) / ((double)reps * QUERIES) * 1e6;
        if (us > worst) worst = us;
        printf("  %-8s   %10.3f us per lookup  (checksum %.3g)\n", mixes[x].name, us, sum_gf);
    }
    printf("  answers (first pass of every mix): exact %d, nearest %d, model %d\n", counts[0],
           counts[1], counts[2]);
    printf("worst mean %.3f us: %s the 20 us target\n", worst, worst <= 20 ? "within" : "ABOVE");
    free(qs);
    mxt_close(h);
done:
    if (dir[0]) {
        char f[160];
        const char *suffix[] = {"", "-wal", "-shm"};
        for (size_t i = 0; i < MXT_ARRAY_LEN(suffix); i++) {
            snprintf(f, sizeof f, "%s/bench.db%s", dir, suffix[i]);
            unlink(f);
        }
        rmdir(dir);
    }
    return rc ? 1 : 0;
}
