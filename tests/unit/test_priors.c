/* Replay tests of probes/priors.c: recorded CPUID dumps (tests/data/cpuid) and
 * sysfs trees (tests/data/sysfs) decoded and checked without the machine's own
 * caches; two cases also run the live path (dump round trip, collect under a root). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mxt_common.h"
#include "mxt_test.h"
#include "priors.h"

/* Declared in priors.c until priors.h carries them. */
int mxt_priors_dump_cpuid(FILE *f);
void mxt_priors_mask_xcr0(struct mxt_priors *p, uint64_t xcr0);

#define ZEN5_L3 532676608ull /* 508 MiB: the host package's total */

static int load_dump(const char *name, struct mxt_priors *p) {
    struct mxt_cpuid_regs regs[96];
    char path[512];
    int n = 0;
    snprintf(path, sizeof path, "%s/cpuid/%s", MXT_TEST_DATA, name);
    memset(p, 0, sizeof *p);
    int rc = mxt_priors_load_cpuid_dump(path, regs, 96, &n);
    if (rc) return rc;
    return mxt_priors_decode_cpuid(regs, n, p);
}

static int read_tree(const char *name, struct mxt_priors *p) {
    char root[512];
    snprintf(root, sizeof root, "%s/sysfs/%s", MXT_TEST_DATA, name);
    return mxt_priors_read_sysfs(root, p);
}

static const struct mxt_reported_cache *find_rc(const struct mxt_reported_caches *rc, int level,
                                                enum mxt_cache_type type) {
    for (int i = 0; i < rc->n; i++)
        if (rc->c[i].level == level && rc->c[i].type == type) return &rc->c[i];
    return NULL;
}

static const struct mxt_prior *find_prior(const struct mxt_machine *m, const char *what,
                                          enum mxt_provenance src) {
    for (int i = 0; i < m->n_priors; i++)
        if (strcmp(m->priors[i].what, what) == 0 && m->priors[i].source == src)
            return &m->priors[i];
    return NULL;
}

static int has_isa(const struct mxt_priors *p, const char *name) {
    for (int i = 0; i < p->n_isa; i++)
        if (strcmp(p->isa[i], name) == 0) return 1;
    return 0;
}

static int has_warning(const struct mxt_machine *m, const char *part) {
    for (int i = 0; i < m->n_warnings; i++)
        if (strstr(m->warnings[i], part)) return 1;
    return 0;
}

static int is_hex16(const char *s) {
    if (strlen(s) != 16) return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return 0;
    return 1;
}

/* ---- the Zen 5 guest, recorded live ---- */

MXT_TEST(cpuid_zen5_identity) {
    struct mxt_priors p;
    CHECK_EQ_INT(load_dump("zen5-guest.txt", &p), 0);
    CHECK(strcmp(p.vendor, "AuthenticAMD") == 0);
    CHECK_EQ_INT(p.family, 26);
    CHECK_EQ_INT(p.model, 2);
    CHECK_EQ_INT(p.stepping, 1);
    CHECK(strstr(p.brand, "Turin") != NULL);
    CHECK(p.brand[0] != ' ');
    static const char *const want[] = {"sse4_2",      "avx",        "fma",      "avx2",
                                       "avx512f",     "avx512dq",   "avx512bw", "avx512vl",
                                       "avx512_vnni", "avx512_bf16"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK(has_isa(&p, want[i]));
    CHECK(!has_isa(&p, "amx_tile"));
    CHECK_EQ_INT(p.cpuid_logical, 1);    /* 0x80000008 ECX = 0: the guest says one */
    CHECK_EQ_INT(p.threads_per_core, 0); /* CPUID gives no SMT information here */
}

MXT_TEST(cpuid_zen5_caches) {
    struct mxt_priors p;
    CHECK_EQ_INT(load_dump("zen5-guest.txt", &p), 0);
    const struct mxt_reported_cache *l1 = find_rc(&p.cpuid, 1, MXT_CACHE_DATA);
    CHECK(l1 != NULL);
    CHECK_EQ_INT(l1->size_bytes, 48 * 1024);
    CHECK_EQ_INT(l1->ways, 12);
    CHECK_EQ_INT(l1->line_bytes, 64);
    const struct mxt_reported_cache *l1i = find_rc(&p.cpuid, 1, MXT_CACHE_INSTRUCTION);
    CHECK(l1i != NULL);
    CHECK_EQ_INT(l1i->size_bytes, 32 * 1024);
    const struct mxt_reported_cache *l2 = find_rc(&p.cpuid, 2, MXT_CACHE_UNIFIED);
    CHECK(l2 != NULL);
    CHECK_EQ_INT(l2->size_bytes, 1024 * 1024);
    CHECK_EQ_INT(l2->ways, 8); /* code 0x6 */
    const struct mxt_reported_cache *l3 = find_rc(&p.cpuid, 3, MXT_CACHE_UNIFIED);
    CHECK(l3 != NULL);
    CHECK_EQ_INT(l3->size_bytes, ZEN5_L3);
    CHECK_EQ_INT(l3->ways, 0); /* code 0x9: see 0x8000001D, which is empty */
    CHECK_EQ_INT(l3->shared_by, 0);
    CHECK_EQ_INT(p.sysfs.n, 0);
}

MXT_TEST(cpuid_zen5_apply_rejects_l3) {
    struct mxt_priors p;
    struct mxt_machine m;
    CHECK_EQ_INT(load_dump("zen5-guest.txt", &p), 0);
    p.nproc = 2; /* as on the build machines: no sysfs cache data, 2 vCPUs */
    p.threads_per_core = 1;
    mxt_machine_init(&m);
    mxt_priors_apply(&p, &m);
    CHECK_EQ_INT(m.cores, 2);
    CHECK_EQ_INT(m.threads_per_core, 1);
    CHECK(mxt_machine_has_isa(&m, "avx512f"));
    CHECK_EQ_INT(m.n_caches, 3);
    CHECK_EQ_INT(m.caches[0].level, 1);
    CHECK_EQ_INT(m.caches[0].type, MXT_CACHE_DATA);
    CHECK_EQ_INT(m.caches[0].size_bytes, 49152);
    CHECK_EQ_INT(m.caches[0].usable_bytes, 49152);
    CHECK_EQ_INT(m.caches[0].ways, 12);
    CHECK_EQ_INT(m.caches[0].shared_by, 1);
    CHECK_EQ_INT(m.caches[0].provenance, MXT_PROV_CPUID);
    CHECK_NEAR(m.caches[0].confidence, 0.3, 1e-9);
    CHECK_EQ_INT(m.caches[1].size_bytes, 1048576);
    CHECK_EQ_INT(m.caches[2].level, 3);
    CHECK_EQ_INT(m.caches[2].shared_by, 2);
    CHECK(m.caches[2].confidence == 0.0);

    const struct mxt_prior *l3 = find_prior(&m, "L3 size", MXT_PROV_CPUID);
    CHECK(l3 != NULL);
    CHECK_EQ_INT(l3->value, ZEN5_L3);
    CHECK_EQ_INT(l3->used, 0);
    CHECK(strstr(l3->why, "larger than any real part's share per core") != NULL);
    CHECK(strstr(l3->why, "host package") != NULL);
    const struct mxt_prior *l1 = find_prior(&m, "L1d size", MXT_PROV_CPUID);
    CHECK(l1 != NULL && l1->used == 1 && l1->value == 49152);
    const struct mxt_prior *ways = find_prior(&m, "L1d ways", MXT_PROV_CPUID);
    CHECK(ways != NULL && ways->value == 12);
    const struct mxt_prior *line = find_prior(&m, "L1d line", MXT_PROV_CPUID);
    CHECK(line != NULL && line->value == 64);
    CHECK(has_warning(&m, "L3: every reported size was rejected"));

    /* CPUID's logical count (1) is not what the process may use (2). */
    const struct mxt_prior *lc = find_prior(&m, "logical CPUs", MXT_PROV_CPUID);
    CHECK(lc != NULL && lc->used == 0);
    CHECK(has_warning(&m, "a VM"));
    CHECK(is_hex16(m.fingerprint));
}

MXT_TEST(cpuid_zen5_sysconf_repeats) {
    struct mxt_priors p;
    struct mxt_machine m;
    CHECK_EQ_INT(load_dump("zen5-guest.txt", &p), 0);
    p.nproc = 2;
    p.threads_per_core = 1;
    /* What getconf prints on the build machines: glibc repeats CPUID. */
    p.sysconf.n = 3;
    p.sysconf.c[0] = (struct mxt_reported_cache){1, MXT_CACHE_DATA, 49152, 12, 64, 0};
    p.sysconf.c[1] = (struct mxt_reported_cache){2, MXT_CACHE_UNIFIED, 1048576, 8, 64, 0};
    p.sysconf.c[2] = (struct mxt_reported_cache){3, MXT_CACHE_UNIFIED, ZEN5_L3, 0, 64, 0};
    mxt_machine_init(&m);
    mxt_priors_apply(&p, &m);
    const struct mxt_prior *s3 = find_prior(&m, "L3 size", MXT_PROV_SYSCONF);
    CHECK(s3 != NULL && s3->used == 0);
    CHECK(strstr(s3->why, "share per core") != NULL); /* the first reason found */
    const struct mxt_prior *s1 = find_prior(&m, "L1d size", MXT_PROV_SYSCONF);
    CHECK(s1 != NULL && s1->used == 1);
    CHECK_EQ_INT(m.caches[0].provenance, MXT_PROV_CPUID);
    CHECK_EQ_INT(m.n_caches, 3);
}

MXT_TEST(fingerprint_stable) {
    struct mxt_priors a, b;
    char fa[40], fb[40], fc[40];
    CHECK_EQ_INT(load_dump("zen5-guest.txt", &a), 0);
    CHECK_EQ_INT(load_dump("zen5-guest.txt", &b), 0);
    mxt_priors_fingerprint(&a, 2, fa);
    mxt_priors_fingerprint(&b, 2, fb);
    CHECK(is_hex16(fa));
    CHECK(strcmp(fa, fb) == 0);
    /* Not from what moves: brand, memory, THP, affinity, ISA order. */
    mxt_strlcpy(b.brand, "another brand", sizeof b.brand);
    b.mem_available = 12345;
    b.nproc = 7;
    mxt_strlcpy(b.thp, "never", sizeof b.thp);
    char tmp[16];
    memcpy(tmp, b.isa[0], sizeof tmp);
    memcpy(b.isa[0], b.isa[b.n_isa - 1], sizeof tmp);
    memcpy(b.isa[b.n_isa - 1], tmp, sizeof tmp);
    mxt_priors_fingerprint(&b, 2, fb);
    CHECK(strcmp(fa, fb) == 0);
    /* From the core count and the reported sizes. */
    mxt_priors_fingerprint(&a, 4, fc);
    CHECK(strcmp(fa, fc) != 0);
    b.cpuid.c[0].size_bytes = 32768;
    mxt_priors_fingerprint(&b, 2, fb);
    CHECK(strcmp(fa, fb) != 0);
}

/* ---- Intel through leaf 4 (hand-encoded Sapphire Rapids) ---- */

MXT_TEST(cpuid_spr_leaf4) {
    struct mxt_priors p;
    CHECK_EQ_INT(load_dump("spr-16c-synthetic.txt", &p), 0);
    CHECK(strcmp(p.vendor, "GenuineIntel") == 0);
    CHECK_EQ_INT(p.family, 6);
    CHECK_EQ_INT(p.model, 0x8f);
    CHECK_EQ_INT(p.stepping, 8);
    CHECK(strncmp(p.brand, "Hand-encoded", 12) == 0);
    CHECK(has_isa(&p, "amx_tile") && has_isa(&p, "amx_bf16") && has_isa(&p, "amx_int8"));
    CHECK(has_isa(&p, "avx512_bf16") && has_isa(&p, "avx512_vnni") && has_isa(&p, "avx512bw"));
    CHECK_EQ_INT(p.cpuid_logical, 32); /* leaf 0xB core level, not leaf 1's 128 */
    CHECK_EQ_INT(p.threads_per_core, 2);
    CHECK_EQ_INT(p.cpuid.n, 4);
    const struct mxt_reported_cache *c = find_rc(&p.cpuid, 1, MXT_CACHE_DATA);
    CHECK(c && c->size_bytes == 48 * 1024 && c->ways == 12 && c->line_bytes == 64);
    CHECK_EQ_INT(c->shared_by, 2);
    c = find_rc(&p.cpuid, 1, MXT_CACHE_INSTRUCTION);
    CHECK(c && c->size_bytes == 32 * 1024 && c->ways == 8);
    c = find_rc(&p.cpuid, 2, MXT_CACHE_UNIFIED);
    CHECK(c && c->size_bytes == 2048 * 1024 && c->ways == 16);
    c = find_rc(&p.cpuid, 3, MXT_CACHE_UNIFIED);
    CHECK(c && c->size_bytes == 105ull << 20 && c->ways == 15);
    CHECK_EQ_INT(c->shared_by, 128);
}

MXT_TEST(cpuid_amd_legacy_assoc_codes) {
    /* Fn8000_0006 codes (AMD APM vol. 3): 0x8 16-way, 0xA 32-way, 0xF fully;
     * Fn8000_0005 0xFF fully. */
    const struct mxt_cpuid_regs regs[] = {
        {0, 0, 1, 0x68747541, 0x444d4163, 0x69746e65},
        {0x80000000u, 0, 0x80000006u, 0, 0, 0},
        {0x80000005u, 0, 0, 0, 0x20ff0140, 0x20020140},
        {0x80000006u, 0, 0, 0, 0x02008140, (64u << 18) | 0xa040},
    };
    struct mxt_priors p;
    memset(&p, 0, sizeof p);
    CHECK_EQ_INT(mxt_priors_decode_cpuid(regs, 4, &p), 0);
    const struct mxt_reported_cache *c = find_rc(&p.cpuid, 1, MXT_CACHE_DATA);
    CHECK(c && c->size_bytes == 32768 && c->ways == -1);
    c = find_rc(&p.cpuid, 2, MXT_CACHE_UNIFIED);
    CHECK(c && c->size_bytes == 512 * 1024 && c->ways == 16);
    c = find_rc(&p.cpuid, 3, MXT_CACHE_UNIFIED);
    CHECK(c && c->size_bytes == 32ull << 20 && c->ways == 32);
}

MXT_TEST(cpuid_decode_errors) {
    const struct mxt_cpuid_regs regs[] = {{1, 0, 0x00b00f21, 0, 0, 0}};
    struct mxt_priors p;
    memset(&p, 0, sizeof p);
    CHECK_EQ_INT(mxt_priors_decode_cpuid(regs, 1, &p), MXT_ENODATA);
    CHECK_EQ_INT(mxt_priors_decode_cpuid(NULL, 3, &p), MXT_EINVAL);
}

MXT_TEST(cpuid_xcr0_mask) {
    struct mxt_priors p;
    CHECK_EQ_INT(load_dump("zen5-guest.txt", &p), 0);
    mxt_priors_mask_xcr0(&p, 0xe7); /* everything enabled: nothing removed */
    CHECK(has_isa(&p, "avx512f") && has_isa(&p, "avx2"));
    mxt_priors_mask_xcr0(&p, 0x7); /* no AVX-512 state */
    CHECK(!has_isa(&p, "avx512f") && !has_isa(&p, "avx512_bf16"));
    CHECK(has_isa(&p, "avx2") && has_isa(&p, "fma"));
    mxt_priors_mask_xcr0(&p, 0); /* no XSAVE: no AVX at all */
    CHECK(!has_isa(&p, "avx") && !has_isa(&p, "avx2"));
    CHECK(has_isa(&p, "sse4_2"));
    CHECK_EQ_INT(p.n_isa, 1);
}

static int write_temp(char *path, const char *text) {
    const char *dir = getenv("TMPDIR");
    snprintf(path, 256, "%s/mxt_priors_XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -1;
    }
    fputs(text, f);
    return fclose(f);
}

MXT_TEST(cpuid_load_errors) {
    struct mxt_cpuid_regs regs[2];
    char path[256];
    int n = -1;
    CHECK_EQ_INT(mxt_priors_load_cpuid_dump("/nonexistent/dump.txt", regs, 2, &n), MXT_EIO);
    CHECK_EQ_INT(write_temp(path, "# ok\n0 0 d 68747541 444d4163\n"), 0);
    CHECK_EQ_INT(mxt_priors_load_cpuid_dump(path, regs, 2, &n), MXT_EFORMAT);
    CHECK(strstr(mxt_last_error(), ":2:") != NULL);
    unlink(path);
    CHECK_EQ_INT(write_temp(path, "0 0 d 1 2 zz\n"), 0);
    CHECK_EQ_INT(mxt_priors_load_cpuid_dump(path, regs, 2, &n), MXT_EFORMAT);
    unlink(path);
    CHECK_EQ_INT(write_temp(path, "0 0 d 1 2 123456789\n"), 0);
    CHECK_EQ_INT(mxt_priors_load_cpuid_dump(path, regs, 2, &n), MXT_EFORMAT);
    unlink(path);
    CHECK_EQ_INT(write_temp(path, "0 0 1 2 3 4\n1 0 1 2 3 4 # c\n\n  \n0x80000000 0 1 2 3 4\n"), 0);
    CHECK_EQ_INT(mxt_priors_load_cpuid_dump(path, regs, 2, &n), MXT_ERANGE);
    struct mxt_cpuid_regs more[4];
    CHECK_EQ_INT(mxt_priors_load_cpuid_dump(path, more, 4, &n), 0);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(more[2].leaf, 0x80000000u);
    CHECK_EQ_INT(more[1].edx, 4);
    unlink(path);
}

/* ---- sysfs trees ---- */

MXT_TEST(sysfs_xeon_16c) {
    struct mxt_priors p;
    memset(&p, 0, sizeof p);
    CHECK_EQ_INT(read_tree("xeon-16c", &p), 0);
    CHECK_EQ_INT(p.sysfs.n, 4);
    CHECK_EQ_INT(p.threads_per_core, 2);
    const struct mxt_reported_cache *c = find_rc(&p.sysfs, 1, MXT_CACHE_DATA);
    CHECK(c && c->size_bytes == 48 * 1024 && c->ways == 12 && c->line_bytes == 64);
    CHECK_EQ_INT(c->shared_by, 2);
    c = find_rc(&p.sysfs, 1, MXT_CACHE_INSTRUCTION);
    CHECK(c && c->size_bytes == 32 * 1024 && c->ways == 8);
    c = find_rc(&p.sysfs, 2, MXT_CACHE_UNIFIED);
    CHECK(c && c->size_bytes == 2048 * 1024 && c->ways == 16 && c->shared_by == 2);
    c = find_rc(&p.sysfs, 3, MXT_CACHE_UNIFIED);
    CHECK(c && c->size_bytes == 107520ull * 1024 && c->ways == 15);
    CHECK_EQ_INT(c->shared_by, 32);
}

MXT_TEST(sysfs_xeon_apply) {
    struct mxt_priors p;
    struct mxt_machine m;
    CHECK_EQ_INT(load_dump("spr-16c-synthetic.txt", &p), 0);
    CHECK_EQ_INT(read_tree("xeon-16c", &p), 0);
    p.nproc = 32;
    /* sysconf: L3 repeats CPUID; L2 made to disagree with sysfs. */
    p.sysconf.n = 2;
    p.sysconf.c[0] = (struct mxt_reported_cache){2, MXT_CACHE_UNIFIED, 1u << 20, 16, 64, 0};
    p.sysconf.c[1] = (struct mxt_reported_cache){3, MXT_CACHE_UNIFIED, 105ull << 20, 15, 64, 0};
    mxt_machine_init(&m);
    mxt_priors_apply(&p, &m);
    CHECK_EQ_INT(m.cores, 16);
    CHECK_EQ_INT(m.threads_per_core, 2);
    CHECK_EQ_INT(m.n_caches, 3);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(m.caches[i].provenance, MXT_PROV_SYSFS);
        CHECK_NEAR(m.caches[i].confidence, 0.3, 1e-9);
    }
    CHECK_EQ_INT(m.caches[0].shared_by, 1);
    CHECK_EQ_INT(m.caches[1].shared_by, 1);
    CHECK_EQ_INT(m.caches[2].shared_by, 16);
    CHECK_EQ_INT(m.caches[2].ways, 15);
    CHECK_EQ_INT(m.caches[1].size_bytes, 2u << 20);
    const struct mxt_prior *q = find_prior(&m, "L3 size", MXT_PROV_SYSFS);
    CHECK(q && q->used == 1);
    q = find_prior(&m, "L3 size", MXT_PROV_CPUID);
    CHECK(q && q->used == 1);
    q = find_prior(&m, "L3 size", MXT_PROV_SYSCONF);
    CHECK(q && q->used == 0 && strstr(q->why, "repeats the CPUID value") != NULL);
    q = find_prior(&m, "L2 size", MXT_PROV_SYSCONF);
    CHECK(q && q->used == 0 && strstr(q->why, "disagrees with sysfs (2 MiB) by 50%") != NULL);
    q = find_prior(&m, "logical CPUs", MXT_PROV_CPUID);
    CHECK(q && q->used == 1 && q->value == 32);
    CHECK(!has_warning(&m, "rejected"));
    CHECK(!has_warning(&m, "a VM"));
    CHECK(mxt_machine_has_isa(&m, "amx_tile"));
}

MXT_TEST(sysfs_zen4_7950x) {
    struct mxt_priors p;
    struct mxt_machine m;
    memset(&p, 0, sizeof p);
    CHECK_EQ_INT(read_tree("zen4-7950x", &p), 0);
    CHECK_EQ_INT(p.sysfs.n, 4);
    CHECK_EQ_INT(p.threads_per_core, 2); /* from core_cpus_list */
    const struct mxt_reported_cache *c = find_rc(&p.sysfs, 1, MXT_CACHE_DATA);
    CHECK(c && c->size_bytes == 32 * 1024 && c->ways == 8 && c->shared_by == 2);
    c = find_rc(&p.sysfs, 2, MXT_CACHE_UNIFIED);
    CHECK(c && c->size_bytes == 1024 * 1024 && c->ways == 8);
    c = find_rc(&p.sysfs, 3, MXT_CACHE_UNIFIED);
    CHECK(c && c->size_bytes == 32ull << 20 && c->ways == 16);
    CHECK_EQ_INT(c->shared_by, 16); /* "0-7,16-23" */
    p.nproc = 32;
    mxt_machine_init(&m);
    mxt_priors_apply(&p, &m);
    CHECK_EQ_INT(m.cores, 16);
    CHECK_EQ_INT(m.caches[2].shared_by, 8); /* one CCD */
    CHECK_EQ_INT(m.caches[2].provenance, MXT_PROV_SYSFS);
    const struct mxt_prior *q = find_prior(&m, "L3 size", MXT_PROV_SYSFS);
    CHECK(q && q->used == 1);
}

MXT_TEST(sysfs_missing_tree) {
    struct mxt_priors p;
    memset(&p, 0, sizeof p);
    p.sysfs.n = 3; /* stale */
    CHECK_EQ_INT(read_tree("no-such-machine", &p), 0);
    CHECK_EQ_INT(p.sysfs.n, 0);
    CHECK_EQ_INT(p.threads_per_core, 0);
    CHECK_EQ_INT(mxt_priors_read_sysfs(NULL, &p), 0); /* the real root: whatever is there */
}

MXT_TEST(sysfs_malformed) {
    struct mxt_priors p;
    memset(&p, 0, sizeof p);
    mxt_error_clear();
    CHECK_EQ_INT(read_tree("malformed", &p), 0);
    CHECK(strstr(mxt_last_error(), "sysfs") != NULL); /* the warnings */
    CHECK_EQ_INT(p.sysfs.n, 3);
    const struct mxt_reported_cache *c = find_rc(&p.sysfs, 1, MXT_CACHE_DATA);
    CHECK(c && c->size_bytes == 48 * 1024 && c->shared_by == 2); /* from the map */
    CHECK(find_rc(&p.sysfs, 1, MXT_CACHE_INSTRUCTION) == NULL);  /* size "garbage" */
    c = find_rc(&p.sysfs, 2, MXT_CACHE_UNIFIED);
    CHECK(c && c->size_bytes == 1024 * 1024 && c->ways == 0); /* ways "x16" */
    c = find_rc(&p.sysfs, 3, MXT_CACHE_UNIFIED);
    CHECK(c && c->size_bytes == 32ull << 20 && c->shared_by == 0); /* index6 only */
    CHECK_EQ_INT(p.threads_per_core, 0);
}

MXT_TEST(reject_after_measurement) {
    struct mxt_priors p;
    struct mxt_machine m;
    CHECK_EQ_INT(load_dump("spr-16c-synthetic.txt", &p), 0);
    CHECK_EQ_INT(read_tree("xeon-16c", &p), 0);
    p.nproc = 32;
    mxt_machine_init(&m);
    mxt_priors_apply(&p, &m);
    CHECK_EQ_INT(mxt_priors_reject(&m, "L3 size", "larger than any measured plateau"), 2);
    const struct mxt_prior *q = find_prior(&m, "L3 size", MXT_PROV_CPUID);
    CHECK(q && q->used == 0 && strcmp(q->why, "larger than any measured plateau") == 0);
    q = find_prior(&m, "L2 size", MXT_PROV_SYSFS);
    CHECK(q && q->used == 1);
    CHECK_EQ_INT(mxt_priors_reject(&m, "L9 size", "none"), 0);
}

/* ---- the live path ---- */

MXT_TEST(live_dump_roundtrip) {
    char path[256];
    struct mxt_cpuid_regs regs[96];
    struct mxt_priors live, replay;
    int n = 0;
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/mxt_cpuid_XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    CHECK(f != NULL);
    int rc = mxt_priors_dump_cpuid(f);
    fclose(f);
    if (rc == MXT_EUNSUPPORTED) {
        unlink(path);
        MXT_SKIP("no CPUID on this machine");
    }
    CHECK_EQ_INT(rc, 0);
    rc = mxt_priors_load_cpuid_dump(path, regs, 96, &n);
    unlink(path);
    CHECK_EQ_INT(rc, 0);
    memset(&replay, 0, sizeof replay);
    CHECK_EQ_INT(mxt_priors_decode_cpuid(regs, n, &replay), 0);
    CHECK_EQ_INT(mxt_priors_collect("/nonexistent-root", &live), 0);
    CHECK(strcmp(live.vendor, replay.vendor) == 0);
    CHECK(strcmp(live.brand, replay.brand) == 0);
    CHECK_EQ_INT(live.family, replay.family);
    CHECK_EQ_INT(live.model, replay.model);
    CHECK_EQ_INT(live.cpuid.n, replay.cpuid.n);
    for (int i = 0; i < live.cpuid.n; i++)
        CHECK(memcmp(&live.cpuid.c[i], &replay.cpuid.c[i], sizeof live.cpuid.c[i]) == 0);
    for (int i = 0; i < live.n_isa; i++)
        CHECK(has_isa(&replay, live.isa[i])); /* XCR0-masked */
    CHECK(live.nproc >= 1);
    CHECK(live.threads_per_core >= 1);
}

MXT_TEST(collect_under_root) {
    char root[512];
    struct mxt_priors p;
    snprintf(root, sizeof root, "%s/sysfs/xeon-16c", MXT_TEST_DATA);
    CHECK_EQ_INT(setenv("MXT_SYSFS_ROOT", root, 1), 0);
    int rc = mxt_priors_collect(NULL, &p);
    unsetenv("MXT_SYSFS_ROOT");
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(p.sysfs.n, 4);
    CHECK_EQ_INT(p.threads_per_core, 2);
    CHECK(strcmp(p.thp, "madvise") == 0);
    CHECK_EQ_INT(p.mem_available, 61440000ull * 1024);
    CHECK(p.nproc >= 1);
    /* An explicit root wins over the environment; a bare tree falls back to
     * the live meminfo and THP files. */
    snprintf(root, sizeof root, "%s/sysfs/zen4-7950x", MXT_TEST_DATA);
    CHECK_EQ_INT(setenv("MXT_SYSFS_ROOT", "/nonexistent-root", 1), 0);
    rc = mxt_priors_collect(root, &p);
    unsetenv("MXT_SYSFS_ROOT");
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(p.sysfs.n, 4);
    CHECK(strcmp(p.thp, "always") == 0);
    if (access("/proc/meminfo", R_OK) == 0) CHECK(p.mem_available > 0);
}

/* The real recording from the 16-core Xeon test machine (a KVM guest). */
MXT_TEST(sysfs_xeon_emr_recorded) {
    struct mxt_priors p;
    struct mxt_machine m;
    memset(&p, 0, sizeof p);
    CHECK_EQ_INT(load_dump("xeon-emr-16c-kvm.txt", &p), 0);
    CHECK(strcmp(p.vendor, "GenuineIntel") == 0);
    CHECK_EQ_INT(p.family, 6);
    CHECK_EQ_INT(p.model, 207);
    CHECK(has_isa(&p, "avx512f") && has_isa(&p, "amx_tile"));
    CHECK_EQ_INT(read_tree("xeon-emr-16c-kvm", &p), 0);
    CHECK_EQ_INT(p.sysfs.n, 4);
    CHECK_EQ_INT(p.threads_per_core, 1);
    const struct mxt_reported_cache *c = find_rc(&p.sysfs, 1, MXT_CACHE_DATA);
    CHECK(c && c->size_bytes == 48 * 1024 && c->ways == 12 && c->shared_by == 1);
    c = find_rc(&p.sysfs, 2, MXT_CACHE_UNIFIED);
    CHECK(c && c->size_bytes == 2048 * 1024 && c->ways == 16);
    c = find_rc(&p.sysfs, 3, MXT_CACHE_UNIFIED);
    CHECK(c && c->size_bytes == 307200ull * 1024 && c->ways == 20 && c->shared_by == 16);
    p.nproc = 16;
    mxt_machine_init(&m);
    mxt_priors_apply(&p, &m);
    CHECK_EQ_INT(m.cores, 16);
    CHECK_EQ_INT(m.n_caches, 3);
    CHECK_EQ_INT(m.caches[0].provenance, MXT_PROV_SYSFS);
    CHECK_EQ_INT(m.caches[2].shared_by, 16);
    /* 300 MiB over 16 cores is 18.75 MiB a core: a plausible share, kept as a prior. */
    CHECK_EQ_INT(m.caches[2].size_bytes, 307200ull * 1024);
}
