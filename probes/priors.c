/* Priors: what sysfs, CPUID and sysconf report about this machine (probes/, phase 1
 * of PROBES.md). Live CPUID is gathered into a register dump and goes through the
 * same decoder as a recorded one; sysfs is read under a root, as hwloc's FSROOT. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "priors.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define MXT_HAVE_CPUID 1
#endif

#include "mxt_common.h"

/* Additions to the interface of priors.h (to move there; the lead owns it):
 * write the live CPUID leaves in the dump format (for recording fixtures), and
 * drop ISA flags whose register state the OS has not enabled in XCR0. */
int mxt_priors_dump_cpuid(FILE *f);
void mxt_priors_mask_xcr0(struct mxt_priors *p, uint64_t xcr0);

#define CPUID_MAX_LEAVES 96
#define SYSFS_MAX_INDEX 32
#define PATH_LEN 4096
/* No real part gives one core more than this share of a cache: the largest
 * today (EPYC 9184X, 768 MiB over 16 cores) gives 48 MiB. */
#define MAX_SHARE_PER_CORE (64ull << 20)
#define DISAGREE_FRACTION 0.15

enum { EAX, EBX, ECX, EDX };

/* XCR0 state components the OS must enable (Intel SDM vol. 1, 13.1):
 * SSE|AVX = 0x6; AVX-512 adds opmask, ZMM_Hi256, Hi16_ZMM = 0xe0; AMX adds
 * XTILECFG and XTILEDATA = 0x60000. */
#define XCR0_AVX 0x6ull
#define XCR0_AVX512 (XCR0_AVX | 0xe0ull)
#define XCR0_AMX 0x60000ull

static const struct isa_bit {
    const char *name; /* as Linux /proc/cpuinfo names it */
    uint32_t leaf, subleaf;
    int reg, bit;
    uint64_t xcr0; /* OS-enabled state it needs */
} isa_bits[] = {
    {"sse4_2", 1, 0, ECX, 20, 0},
    {"avx", 1, 0, ECX, 28, XCR0_AVX},
    {"fma", 1, 0, ECX, 12, XCR0_AVX},
    {"avx2", 7, 0, EBX, 5, XCR0_AVX},
    {"avx512f", 7, 0, EBX, 16, XCR0_AVX512},
    {"avx512dq", 7, 0, EBX, 17, XCR0_AVX512},
    {"avx512bw", 7, 0, EBX, 30, XCR0_AVX512},
    {"avx512vl", 7, 0, EBX, 31, XCR0_AVX512},
    {"avx512_vnni", 7, 0, ECX, 11, XCR0_AVX512},
    {"avx512_bf16", 7, 1, EAX, 5, XCR0_AVX512},
    {"amx_bf16", 7, 0, EDX, 22, XCR0_AMX},
    {"amx_tile", 7, 0, EDX, 24, XCR0_AMX},
    {"amx_int8", 7, 0, EDX, 25, XCR0_AMX},
};

/* ---- small parsers ---- */

/* Read the first line of a small file, trailing whitespace removed.
 * Returns 0, or MXT_EIO when the file is absent or unreadable (no message). */
static int read_line(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "r");
    if (!f) return MXT_EIO;
    int rc = 0;
    if (!fgets(buf, (int)size, f)) {
        if (ferror(f)) {
            rc = MXT_EIO;
            goto done;
        }
        buf[0] = '\0';
    }
    size_t n = strlen(buf);
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
done:
    fclose(f);
    return rc;
}

/* A decimal unsigned number with no sign, no spaces; end left at what follows. */
static int parse_u64_prefix(const char *s, uint64_t *out, const char **end) {
    if (!isdigit((unsigned char)*s)) return -1;
    char *e = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno == ERANGE || e == s) return -1;
    *out = v;
    *end = e;
    return 0;
}

/* Sysfs cache sizes: "48K", "1024K", "32768K", "105M", or plain bytes. */
static int parse_sysfs_size(const char *s, uint64_t *out) {
    uint64_t v, mult = 1;
    const char *e;
    if (parse_u64_prefix(s, &v, &e) != 0) return -1;
    if (*e == 'K')
        mult = 1ull << 10;
    else if (*e == 'M')
        mult = 1ull << 20;
    else if (*e == 'G')
        mult = 1ull << 30;
    if (mult != 1) e++;
    if (*e != '\0' || v == 0 || v > UINT64_MAX / mult) return -1;
    *out = v * mult;
    return 0;
}

static int parse_small_int(const char *s, int lo, int hi, int *out) {
    uint64_t v;
    const char *e;
    if (parse_u64_prefix(s, &v, &e) != 0 || *e != '\0' || v < (uint64_t)lo || v > (uint64_t)hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* Count the CPUs of a kernel cpulist, "0-1,16-17" -> 4. -1 if malformed. */
static int cpulist_count(const char *s) {
    int count = 0;
    if (*s == '\0') return 0;
    for (;;) {
        uint64_t a, b;
        const char *e;
        if (parse_u64_prefix(s, &a, &e) != 0) return -1;
        b = a;
        if (*e == '-' && parse_u64_prefix(e + 1, &b, &e) != 0) return -1;
        if (b < a || b - a >= 1u << 20) return -1;
        count += (int)(b - a + 1);
        if (*e == '\0') return count;
        if (*e != ',') return -1;
        s = e + 1;
    }
}

/* Count the bits of a kernel cpumap, "00000000,000000ff" -> 8. -1 if malformed. */
static int cpumap_count(const char *s) {
    int count = 0, digits = 0;
    for (; *s; s++) {
        if (*s == ',') continue;
        if (!isxdigit((unsigned char)*s)) return -1;
        int v = isdigit((unsigned char)*s) ? *s - '0' : tolower((unsigned char)*s) - 'a' + 10;
        count += (v & 1) + ((v >> 1) & 1) + ((v >> 2) & 1) + ((v >> 3) & 1);
        digits++;
    }
    return digits ? count : -1;
}

static int join_path(char *out, size_t size, const char *a, const char *b) {
    int w = snprintf(out, size, "%s%s", a, b);
    return w < 0 || (size_t)w >= size ? -1 : 0;
}

static void add_reported(struct mxt_reported_caches *rc, int level, enum mxt_cache_type type,
                         uint64_t size, int ways, int line, int shared_by) {
    if (rc->n >= MXT_PRIORS_MAX_CACHES || size == 0 || level < 1) return;
    struct mxt_reported_cache *c = &rc->c[rc->n++];
    c->level = level;
    c->type = type;
    c->size_bytes = size;
    c->ways = ways;
    c->line_bytes = line;
    c->shared_by = shared_by;
}

/* ---- sysfs ---- */

/* One cache/indexN directory. Level, type and size are required: an entry
 * missing one or holding garbage is skipped; an unreadable optional field is
 * left unknown. Either way the message is kept for mxt_last_error(). */
static void read_sysfs_index(const char *dir, struct mxt_priors *p) {
    char path[PATH_LEN], buf[8192];
    int level = 0, ways = 0, line = 0, shared = 0;
    uint64_t size = 0;
    enum mxt_cache_type type;

    if (join_path(path, sizeof path, dir, "/level") || read_line(path, buf, sizeof buf) ||
        parse_small_int(buf, 1, 9, &level)) {
        mxt_error(MXT_EFORMAT, "sysfs '%s': no valid cache level, entry skipped", path);
        return;
    }
    if (join_path(path, sizeof path, dir, "/type") || read_line(path, buf, sizeof buf)) {
        mxt_error(MXT_EFORMAT, "sysfs '%s': unreadable, entry skipped", path);
        return;
    }
    if (strcmp(buf, "Data") == 0)
        type = MXT_CACHE_DATA;
    else if (strcmp(buf, "Instruction") == 0)
        type = MXT_CACHE_INSTRUCTION;
    else if (strcmp(buf, "Unified") == 0)
        type = MXT_CACHE_UNIFIED;
    else {
        mxt_error(MXT_EFORMAT, "sysfs '%s': unknown cache type '%s', entry skipped", path, buf);
        return;
    }
    if (join_path(path, sizeof path, dir, "/size") || read_line(path, buf, sizeof buf)) {
        mxt_error(MXT_EFORMAT, "sysfs '%s': unreadable, entry skipped", path);
        return;
    }
    if (parse_sysfs_size(buf, &size) != 0) {
        mxt_error(MXT_EFORMAT, "sysfs '%s': '%s' is not a cache size, entry skipped", path, buf);
        return;
    }
    if (!join_path(path, sizeof path, dir, "/ways_of_associativity") &&
        !read_line(path, buf, sizeof buf) && parse_small_int(buf, 0, 1 << 16, &ways) != 0) {
        mxt_error(MXT_EFORMAT, "sysfs '%s': '%s' is not a number of ways", path, buf);
        ways = 0;
    }
    if (!join_path(path, sizeof path, dir, "/coherency_line_size") &&
        !read_line(path, buf, sizeof buf) && parse_small_int(buf, 0, 1 << 16, &line) != 0) {
        mxt_error(MXT_EFORMAT, "sysfs '%s': '%s' is not a line size", path, buf);
        line = 0;
    }
    if (!join_path(path, sizeof path, dir, "/shared_cpu_list") &&
        !read_line(path, buf, sizeof buf)) {
        shared = cpulist_count(buf);
    } else if (!join_path(path, sizeof path, dir, "/shared_cpu_map") &&
               !read_line(path, buf, sizeof buf)) {
        shared = cpumap_count(buf);
    }
    if (shared < 0) {
        mxt_error(MXT_EFORMAT, "sysfs '%s': '%s' is not a CPU list or map", path, buf);
        shared = 0;
    }
    add_reported(&p->sysfs, level, type, size, ways, line, shared);
}

int mxt_priors_read_sysfs(const char *root, struct mxt_priors *p) {
    char cpu0[PATH_LEN], dir[PATH_LEN], path[PATH_LEN], buf[8192];
    if (!p) return mxt_error(MXT_EINVAL, "mxt_priors_read_sysfs: no priors to fill");
    if (!root) root = "";
    p->sysfs.n = 0;
    if (join_path(cpu0, sizeof cpu0, root, "/sys/devices/system/cpu/cpu0"))
        return mxt_error(MXT_EINVAL, "sysfs root '%s' is too long", root);
    for (int i = 0; i < SYSFS_MAX_INDEX; i++) {
        int w = snprintf(dir, sizeof dir, "%s/cache/index%d", cpu0, i);
        if (w < 0 || (size_t)w >= sizeof dir) break;
        if (access(dir, F_OK) != 0) continue; /* absent, or a gap in the numbering */
        read_sysfs_index(dir, p);
    }
    /* SMT siblings of cpu0; core_cpus_list is the newer name. */
    static const char *const sibling_files[] = {"/topology/thread_siblings_list",
                                                "/topology/core_cpus_list"};
    for (size_t i = 0; i < MXT_ARRAY_LEN(sibling_files); i++) {
        if (join_path(path, sizeof path, cpu0, sibling_files[i]) ||
            read_line(path, buf, sizeof buf))
            continue;
        int n = cpulist_count(buf);
        if (n >= 1) {
            p->threads_per_core = n;
            break;
        }
        mxt_error(MXT_EFORMAT, "sysfs '%s': '%s' is not a CPU list", path, buf);
    }
    return 0;
}

/* ---- CPUID decoding ---- */

static const struct mxt_cpuid_regs *find_leaf(const struct mxt_cpuid_regs *r, int n, uint32_t leaf,
                                              uint32_t subleaf) {
    for (int i = 0; i < n; i++)
        if (r[i].leaf == leaf && r[i].subleaf == subleaf) return &r[i];
    return NULL;
}

static uint32_t reg_of(const struct mxt_cpuid_regs *r, int reg) {
    switch (reg) {
    case EAX:
        return r->eax;
    case EBX:
        return r->ebx;
    case ECX:
        return r->ecx;
    default:
        return r->edx;
    }
}

static void put_bytes(char *out, uint32_t v) {
    for (int k = 0; k < 4; k++)
        out[k] = (char)((v >> (8 * k)) & 0xff);
}

/* AMD's associativity code of CPUID Fn8000_0006 ECX[15:12] / EDX[15:12] (AMD64
 * APM vol. 3, appendix E.4.4). 0x9: see Fn8000_001D; -1: fully associative. */
static int amd_assoc(unsigned code) {
    static const int ways[16] = {0, 1, 2, 3, 4, 6, 8, 0, 16, 0, 32, 48, 64, 96, 128, -1};
    return ways[code & 0xf];
}

/* Intel leaf 4 and AMD 0x8000001D share one layout (SDM vol. 2A CPUID; APM vol. 3 E.4.15):
 * size = ways * partitions * line * sets; sharing = EAX[25:14] + 1 logical CPUs. */
static int decode_deterministic(const struct mxt_cpuid_regs *regs, int n, uint32_t leaf,
                                struct mxt_reported_caches *out) {
    int found = 0;
    for (uint32_t sub = 0; sub < 32; sub++) {
        const struct mxt_cpuid_regs *r = find_leaf(regs, n, leaf, sub);
        if (!r) break;
        unsigned t = r->eax & 0x1f;
        if (t == 0) break;
        if (t > 3) continue; /* reserved types */
        enum mxt_cache_type type = t == 1   ? MXT_CACHE_DATA
                                   : t == 2 ? MXT_CACHE_INSTRUCTION
                                            : MXT_CACHE_UNIFIED;
        int level = (int)((r->eax >> 5) & 0x7);
        int full = (int)((r->eax >> 9) & 1);
        uint64_t ways = ((r->ebx >> 22) & 0x3ff) + 1;
        uint64_t parts = ((r->ebx >> 12) & 0x3ff) + 1;
        uint64_t line = (r->ebx & 0xfff) + 1;
        uint64_t sets = (uint64_t)r->ecx + 1;
        int shared = (int)((r->eax >> 14) & 0xfff) + 1;
        add_reported(out, level, type, ways * parts * line * sets, full ? -1 : (int)ways, (int)line,
                     shared);
        found++;
    }
    return found;
}

/* AMD's legacy leaves: 0x80000005 (L1, sizes in KiB, associativity as a count)
 * and 0x80000006 (L2 in KiB, L3 in 512 KiB units, associativity as a code). */
static void decode_amd_legacy(const struct mxt_cpuid_regs *l5, const struct mxt_cpuid_regs *l6,
                              struct mxt_reported_caches *out) {
    if (l5) {
        const uint32_t v[2] = {l5->ecx, l5->edx};
        for (int i = 0; i < 2; i++) {
            unsigned assoc = (v[i] >> 16) & 0xff;
            add_reported(out, 1, i == 0 ? MXT_CACHE_DATA : MXT_CACHE_INSTRUCTION,
                         (uint64_t)(v[i] >> 24) << 10, assoc == 0xff ? -1 : (int)assoc,
                         (int)(v[i] & 0xff), 0);
        }
    }
    if (l6) {
        unsigned code2 = (l6->ecx >> 12) & 0xf, code3 = (l6->edx >> 12) & 0xf;
        if (code2 != 0)
            add_reported(out, 2, MXT_CACHE_UNIFIED, (uint64_t)(l6->ecx >> 16) << 10,
                         amd_assoc(code2), (int)(l6->ecx & 0xff), 0);
        if (code3 != 0)
            add_reported(out, 3, MXT_CACHE_UNIFIED, (uint64_t)(l6->edx >> 18) << 19,
                         amd_assoc(code3), (int)(l6->edx & 0xff), 0);
    }
}

int mxt_priors_decode_cpuid(const struct mxt_cpuid_regs *regs, int n, struct mxt_priors *p) {
    if (!p || n < 0 || (n > 0 && !regs))
        return mxt_error(MXT_EINVAL, "mxt_priors_decode_cpuid: bad arguments");
    const struct mxt_cpuid_regs *l0 = find_leaf(regs, n, 0, 0);
    if (!l0) return mxt_error(MXT_ENODATA, "cpuid dump has no leaf 0");

    memset(p->vendor, 0, sizeof p->vendor);
    memset(p->brand, 0, sizeof p->brand);
    p->family = p->model = p->stepping = 0;
    p->n_isa = 0;
    p->cpuid_logical = 0;
    memset(&p->cpuid, 0, sizeof p->cpuid);

    uint32_t max_basic = l0->eax;
    put_bytes(p->vendor, l0->ebx);
    put_bytes(p->vendor + 4, l0->edx);
    put_bytes(p->vendor + 8, l0->ecx);
    int amd = strcmp(p->vendor, "AuthenticAMD") == 0 || strcmp(p->vendor, "HygonGenuine") == 0;

    const struct mxt_cpuid_regs *ext0 = find_leaf(regs, n, 0x80000000u, 0);
    uint32_t max_ext = ext0 && ext0->eax >= 0x80000000u ? ext0->eax : 0;
#define BASIC(leaf, sub) ((leaf) <= max_basic ? find_leaf(regs, n, (leaf), (sub)) : NULL)
#define EXT(leaf) (max_ext && (leaf) <= max_ext ? find_leaf(regs, n, (leaf), 0) : NULL)

    const struct mxt_cpuid_regs *l1 = BASIC(1u, 0u);
    if (l1) {
        /* SDM vol. 2A, CPUID leaf 1: extended family only when the base is 0xF;
         * extended model when the base family is 0x6 or 0xF. */
        unsigned base_fam = (l1->eax >> 8) & 0xf, base_model = (l1->eax >> 4) & 0xf;
        p->stepping = (int)(l1->eax & 0xf);
        p->family = (int)(base_fam == 0xf ? base_fam + ((l1->eax >> 20) & 0xff) : base_fam);
        p->model =
            (int)(base_fam == 0x6 || base_fam == 0xf ? (((l1->eax >> 16) & 0xf) << 4) | base_model
                                                     : base_model);
    }

    if (max_ext >= 0x80000004u) {
        char brand[49] = {0};
        for (uint32_t i = 0; i < 3; i++) {
            const struct mxt_cpuid_regs *r = EXT(0x80000002u + i);
            if (!r) break;
            put_bytes(brand + 16 * i, r->eax);
            put_bytes(brand + 16 * i + 4, r->ebx);
            put_bytes(brand + 16 * i + 8, r->ecx);
            put_bytes(brand + 16 * i + 12, r->edx);
        }
        const char *b = brand;
        while (*b == ' ')
            b++;
        mxt_strlcpy(p->brand, b, sizeof p->brand);
        size_t len = strlen(p->brand);
        while (len > 0 && p->brand[len - 1] == ' ')
            p->brand[--len] = '\0';
    }

    const struct mxt_cpuid_regs *l7 = BASIC(7u, 0u);
    uint32_t max_sub7 = l7 ? l7->eax : 0;
    for (size_t i = 0; i < MXT_ARRAY_LEN(isa_bits) && p->n_isa < MXT_MAX_ISA; i++) {
        const struct isa_bit *ib = &isa_bits[i];
        if (ib->leaf == 7 && ib->subleaf > max_sub7) continue;
        const struct mxt_cpuid_regs *r = BASIC(ib->leaf, ib->subleaf);
        if (r && ((reg_of(r, ib->reg) >> ib->bit) & 1))
            mxt_strlcpy(p->isa[p->n_isa++], ib->name, sizeof p->isa[0]);
    }

    /* Caches: Intel's deterministic leaf 4; AMD's 0x8000001D when it is filled
     * in, else the legacy leaves (a guest may leave 0x8000001D empty). */
    if (!amd && max_basic >= 4) decode_deterministic(regs, n, 4, &p->cpuid);
    if (amd && max_ext >= 0x8000001Du) decode_deterministic(regs, n, 0x8000001Du, &p->cpuid);
    if (amd && p->cpuid.n == 0) decode_amd_legacy(EXT(0x80000005u), EXT(0x80000006u), &p->cpuid);

    /* Threads per core and logical CPUs per package: leaf 0xB (SMT and core
     * levels), else AMD 0x8000001E / 0x80000008, else leaf 1 EBX[23:16]. */
    int smt = 0, logical = 0;
    for (uint32_t sub = 0; sub < 8; sub++) {
        const struct mxt_cpuid_regs *r = BASIC(0xbu, sub);
        if (!r) break;
        unsigned level_type = (r->ecx >> 8) & 0xff;
        if (level_type == 0) break;
        if (level_type == 1) smt = (int)(r->ebx & 0xffff);
        if (level_type == 2) logical = (int)(r->ebx & 0xffff);
    }
    const struct mxt_cpuid_regs *l81 = EXT(0x80000001u);
    const struct mxt_cpuid_regs *l81e = EXT(0x8000001eu);
    if (amd && smt == 0 && l81 && ((l81->ecx >> 22) & 1) && l81e &&
        (l81e->eax | l81e->ebx | l81e->ecx | l81e->edx) != 0)
        smt = (int)((l81e->ebx >> 8) & 0xff) + 1;
    const struct mxt_cpuid_regs *l88 = EXT(0x80000008u);
    if (amd && logical == 0 && l88) logical = (int)(l88->ecx & 0xff) + 1;
    if (logical == 0 && l1) logical = (l1->edx >> 28) & 1 ? (int)((l1->ebx >> 16) & 0xff) : 1;
    p->cpuid_logical = logical;
    if (p->threads_per_core == 0 && smt > 0) p->threads_per_core = smt;
#undef BASIC
#undef EXT
    return 0;
}

void mxt_priors_mask_xcr0(struct mxt_priors *p, uint64_t xcr0) {
    int kept = 0;
    for (int i = 0; i < p->n_isa; i++) {
        uint64_t need = 0;
        for (size_t k = 0; k < MXT_ARRAY_LEN(isa_bits); k++)
            if (strcmp(isa_bits[k].name, p->isa[i]) == 0) need = isa_bits[k].xcr0;
        if ((xcr0 & need) != need) continue;
        if (kept != i) memcpy(p->isa[kept], p->isa[i], sizeof p->isa[0]);
        kept++;
    }
    p->n_isa = kept;
}

int mxt_priors_load_cpuid_dump(const char *path, struct mxt_cpuid_regs *regs, int max, int *n) {
    char *text = NULL;
    int rc = 0, count = 0, lineno = 0;
    if (!path || !regs || !n || max < 0)
        return mxt_error(MXT_EINVAL, "mxt_priors_load_cpuid_dump: bad arguments");
    *n = 0;
    rc = mxt_read_file(path, &text, NULL);
    if (rc) return rc;
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        uint32_t v[6];
        const char *s = line;
        int fields = 0;
        for (; fields < 6; fields++) {
            while (*s == ' ' || *s == '\t' || *s == '\r')
                s++;
            if (!isxdigit((unsigned char)*s)) break;
            char *e = NULL;
            errno = 0;
            unsigned long long x = strtoull(s, &e, 16);
            if (errno == ERANGE || x > 0xffffffffull || (*e && !isspace((unsigned char)*e))) {
                rc = mxt_error(MXT_EFORMAT, "%s:%d: '%s' is not a 32-bit hex value", path, lineno,
                               line);
                goto done;
            }
            v[fields] = (uint32_t)x;
            s = e;
        }
        while (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        if (fields == 0 && *s == '\0') {
            line = next;
            continue;
        }
        if (fields != 6 || *s != '\0') {
            rc = mxt_error(MXT_EFORMAT,
                           "%s:%d: expected 'leaf subleaf eax ebx ecx edx' in hex, got '%s'", path,
                           lineno, line);
            goto done;
        }
        if (count >= max) {
            rc = mxt_error(MXT_ERANGE, "%s: more than %d cpuid leaves", path, max);
            goto done;
        }
        regs[count++] = (struct mxt_cpuid_regs){v[0], v[1], v[2], v[3], v[4], v[5]};
        line = next;
    }
    *n = count;
done:
    free(text);
    return rc;
}

/* ---- live collection ---- */

#ifdef MXT_HAVE_CPUID
static const struct mxt_cpuid_regs *push_leaf(struct mxt_cpuid_regs *regs, int max, int *n,
                                              uint32_t leaf, uint32_t subleaf) {
    if (*n >= max) return NULL;
    unsigned a, b, c, d;
    __cpuid_count(leaf, subleaf, a, b, c, d);
    regs[*n] = (struct mxt_cpuid_regs){leaf, subleaf, a, b, c, d};
    return &regs[(*n)++];
}
#endif

/* The leaves the decoder reads, executed on this CPU. Returns how many. */
static int cpuid_live(struct mxt_cpuid_regs *regs, int max) {
    int n = 0;
#ifdef MXT_HAVE_CPUID
    if (__get_cpuid_max(0, NULL) == 0) return 0;
    const struct mxt_cpuid_regs *r = push_leaf(regs, max, &n, 0, 0);
    uint32_t max_basic = r ? r->eax : 0;
    if (max_basic >= 1) push_leaf(regs, max, &n, 1, 0);
    for (uint32_t sub = 0; max_basic >= 4 && sub < 32; sub++) {
        r = push_leaf(regs, max, &n, 4, sub);
        if (!r || (r->eax & 0x1f) == 0) break;
    }
    if (max_basic >= 7) {
        r = push_leaf(regs, max, &n, 7, 0);
        uint32_t subs = r ? r->eax : 0;
        for (uint32_t sub = 1; sub <= subs && sub <= 2; sub++)
            push_leaf(regs, max, &n, 7, sub);
    }
    for (uint32_t sub = 0; max_basic >= 0xb && sub < 8; sub++) {
        r = push_leaf(regs, max, &n, 0xb, sub);
        if (!r || ((r->ecx >> 8) & 0xff) == 0) break;
    }
    r = push_leaf(regs, max, &n, 0x80000000u, 0);
    uint32_t max_ext = r && r->eax >= 0x80000000u ? r->eax : 0;
    for (uint32_t leaf = 0x80000001u; leaf <= 0x80000008u && leaf <= max_ext; leaf++)
        if (leaf != 0x80000007u) push_leaf(regs, max, &n, leaf, 0);
    for (uint32_t sub = 0; max_ext >= 0x8000001du && sub < 32; sub++) {
        r = push_leaf(regs, max, &n, 0x8000001du, sub);
        if (!r || (r->eax & 0x1f) == 0) break;
    }
    if (max_ext >= 0x8000001eu) push_leaf(regs, max, &n, 0x8000001eu, 0);
#else
    (void)regs;
    (void)max;
#endif
    return n;
}

/* XCR0: the register state the OS saves. 0 when the OS has not enabled XSAVE
 * (then no AVX is usable whatever CPUID says), or on a non-x86 build. */
static uint64_t xcr0_live(void) {
#ifdef MXT_HAVE_CPUID
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 27) & 1)) return 0; /* OSXSAVE */
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
#else
    return 0;
#endif
}

int mxt_priors_dump_cpuid(FILE *f) {
    struct mxt_cpuid_regs regs[CPUID_MAX_LEAVES];
    struct mxt_priors p;
    if (!f) return mxt_error(MXT_EINVAL, "mxt_priors_dump_cpuid: no file");
    int n = cpuid_live(regs, CPUID_MAX_LEAVES);
    if (n == 0) return mxt_error(MXT_EUNSUPPORTED, "no CPUID on this machine");
    memset(&p, 0, sizeof p);
    mxt_priors_decode_cpuid(regs, n, &p);
    fprintf(f, "# mxtune CPUID dump: leaf subleaf eax ebx ecx edx (hex)\n");
    fprintf(f, "# %s, family %d model %d stepping %d\n", p.brand, p.family, p.model, p.stepping);
    fprintf(f, "# xcr0 %016" PRIx64 " (OS-enabled state; informational, not loaded)\n",
            xcr0_live());
    for (int i = 0; i < n; i++)
        fprintf(f,
                "%08" PRIx32 " %08" PRIx32 " %08" PRIx32 " %08" PRIx32 " %08" PRIx32 " %08" PRIx32
                "\n",
                regs[i].leaf, regs[i].subleaf, regs[i].eax, regs[i].ebx, regs[i].ecx, regs[i].edx);
    if (fflush(f) != 0 || ferror(f)) return mxt_error(MXT_EIO, "cannot write the CPUID dump");
    return 0;
}

/* Read a file under root, falling back to the real one when root is given but
 * the recorded tree does not carry it. */
static int read_line_rooted(const char *root, const char *file, char *buf, size_t size) {
    char path[PATH_LEN];
    if (*root && !join_path(path, sizeof path, root, file) && !read_line(path, buf, size)) return 0;
    return read_line(file, buf, size);
}

static uint64_t meminfo_available(const char *root) {
    char path[PATH_LEN], line[256];
    uint64_t kib = 0;
    FILE *f = NULL;
    if (*root && !join_path(path, sizeof path, root, "/proc/meminfo")) f = fopen(path, "r");
    if (!f) f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "MemAvailable:", 13) != 0) continue;
        const char *s = line + 13, *e;
        while (*s == ' ' || *s == '\t')
            s++;
        if (parse_u64_prefix(s, &kib, &e) != 0 || kib > UINT64_MAX / 1024) kib = 0;
        break;
    }
    fclose(f);
    return kib * 1024;
}

/* "always [madvise] never" -> "madvise". */
static void thp_mode(const char *root, char *out, size_t size) {
    char buf[256];
    out[0] = '\0';
    if (read_line_rooted(root, "/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof buf))
        return;
    char *open = strchr(buf, '['), *close = open ? strchr(open, ']') : NULL;
    if (!close) return;
    *close = '\0';
    mxt_strlcpy(out, open + 1, size);
}

static void sysconf_caches(struct mxt_reported_caches *rc) {
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL3_CACHE_SIZE)
    static const struct {
        int level;
        enum mxt_cache_type type;
        int size, assoc, line;
    } q[] = {
        {1, MXT_CACHE_DATA, _SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL1_DCACHE_ASSOC,
         _SC_LEVEL1_DCACHE_LINESIZE},
        {2, MXT_CACHE_UNIFIED, _SC_LEVEL2_CACHE_SIZE, _SC_LEVEL2_CACHE_ASSOC,
         _SC_LEVEL2_CACHE_LINESIZE},
        {3, MXT_CACHE_UNIFIED, _SC_LEVEL3_CACHE_SIZE, _SC_LEVEL3_CACHE_ASSOC,
         _SC_LEVEL3_CACHE_LINESIZE},
    };
    for (size_t i = 0; i < MXT_ARRAY_LEN(q); i++) {
        long size = sysconf(q[i].size), assoc = sysconf(q[i].assoc), line = sysconf(q[i].line);
        if (size <= 0) continue;
        add_reported(rc, q[i].level, q[i].type, (uint64_t)size,
                     assoc > 0 && assoc < 65536 ? (int)assoc : 0,
                     line > 0 && line < 65536 ? (int)line : 0, 0);
    }
#else
    (void)rc;
#endif
}

int mxt_priors_collect(const char *sysfs_root, struct mxt_priors *p) {
    struct mxt_cpuid_regs regs[CPUID_MAX_LEAVES];
    if (!p) return mxt_error(MXT_EINVAL, "mxt_priors_collect: no priors to fill");
    memset(p, 0, sizeof *p);
    const char *root = sysfs_root ? sysfs_root : getenv("MXT_SYSFS_ROOT");
    if (!root) root = "";

    int n = cpuid_live(regs, CPUID_MAX_LEAVES);
    if (n > 0) {
        int rc = mxt_priors_decode_cpuid(regs, n, p);
        if (rc) return rc;
        mxt_priors_mask_xcr0(p, xcr0_live());
    }
    int rc = mxt_priors_read_sysfs(root, p);
    if (rc) return rc;
    sysconf_caches(&p->sysconf);
    p->nproc = mxt_cpus_allowed();
    p->mem_available = meminfo_available(root);
    thp_mode(root, p->thp, sizeof p->thp);
    if (p->threads_per_core < 1) p->threads_per_core = 1;
    return 0;
}

/* ---- the profile ---- */

static const enum mxt_provenance source_order[3] = {MXT_PROV_SYSFS, MXT_PROV_CPUID,
                                                    MXT_PROV_SYSCONF};

static const struct mxt_reported_caches *source_caches(const struct mxt_priors *p,
                                                       enum mxt_provenance src) {
    return src == MXT_PROV_SYSFS ? &p->sysfs : src == MXT_PROV_CPUID ? &p->cpuid : &p->sysconf;
}

/* The data or unified cache of one level in one source (data first). */
static const struct mxt_reported_cache *level_entry(const struct mxt_reported_caches *rc,
                                                    int level) {
    const struct mxt_reported_cache *unified = NULL;
    for (int i = 0; i < rc->n; i++) {
        if (rc->c[i].level != level) continue;
        if (rc->c[i].type == MXT_CACHE_DATA) return &rc->c[i];
        if (rc->c[i].type == MXT_CACHE_UNIFIED && !unified) unified = &rc->c[i];
    }
    return unified;
}

/* The best source's entry for a level, right or wrong (for the fingerprint). */
static const struct mxt_reported_cache *best_entry(const struct mxt_priors *p, int level,
                                                   enum mxt_provenance *src) {
    for (int s = 0; s < 3; s++) {
        const struct mxt_reported_cache *c = level_entry(source_caches(p, source_order[s]), level);
        if (c) {
            if (src) *src = source_order[s];
            return c;
        }
    }
    return NULL;
}

struct candidate {
    const struct mxt_reported_cache *c;
    enum mxt_provenance src;
    int rejected;
    char why[MXT_NOTE_LEN];
};

static void level_name(char *out, size_t size, int level, enum mxt_cache_type type,
                       const char *field) {
    snprintf(out, size, "L%d%s %s", level, level == 1 && type == MXT_CACHE_DATA ? "d" : "", field);
}

static int differs(uint64_t a, uint64_t b) {
    uint64_t hi = a > b ? a : b, lo = a > b ? b : a;
    return hi > 0 && (double)(hi - lo) > DISAGREE_FRACTION * (double)hi;
}

static void reject_disagreeing(struct candidate *c, const struct candidate *ref) {
    char a[32];
    uint64_t hi = c->c->size_bytes > ref->c->size_bytes ? c->c->size_bytes : ref->c->size_bytes;
    uint64_t lo = c->c->size_bytes > ref->c->size_bytes ? ref->c->size_bytes : c->c->size_bytes;
    mxt_format_bytes(ref->c->size_bytes, a, sizeof a);
    c->rejected = 1;
    snprintf(c->why, sizeof c->why, "disagrees with %s (%s) by %.0f%%",
             mxt_provenance_name(ref->src), a, 100.0 * (double)(hi - lo) / (double)hi);
}

/* Ways and line of a non-chosen source, recorded only where they differ from the
 * chosen one (the priors table is small). */
static void add_field_if_different(struct mxt_machine *m, const char *name, int value, int chosen,
                                   enum mxt_provenance src, enum mxt_provenance chosen_src) {
    char why[MXT_NOTE_LEN];
    if (value <= 0 || value == chosen) return;
    if (chosen <= 0) {
        mxt_machine_add_prior(m, name, (uint64_t)value, src, 1, NULL);
        return;
    }
    int used = !differs((uint64_t)value, (uint64_t)chosen);
    snprintf(why, sizeof why, "disagrees with %s (%d)", mxt_provenance_name(chosen_src), chosen);
    mxt_machine_add_prior(m, name, (uint64_t)value, src, used, used ? NULL : why);
}

void mxt_priors_apply(const struct mxt_priors *p, struct mxt_machine *m) {
    struct candidate cand[MXT_MAX_LEVELS][3];
    int ncand[MXT_MAX_LEVELS] = {0}, chosen[MXT_MAX_LEVELS] = {0};
    if (!p || !m) return;

    mxt_strlcpy(m->vendor, p->vendor, sizeof m->vendor);
    mxt_strlcpy(m->brand, p->brand, sizeof m->brand);
    m->family = p->family;
    m->model = p->model;
    m->stepping = p->stepping;
    m->n_isa = 0;
    for (int i = 0; i < p->n_isa && i < MXT_MAX_ISA; i++)
        mxt_strlcpy(m->isa[m->n_isa++], p->isa[i], sizeof m->isa[0]);
    int tpc = p->threads_per_core > 0 ? p->threads_per_core : 1;
    int nproc = p->nproc > 0 ? p->nproc : (p->cpuid_logical > 0 ? p->cpuid_logical : 1);
    m->threads_per_core = tpc;
    m->cores = nproc / tpc > 0 ? nproc / tpc : 1;
    int hw_cores = p->cpuid_logical / tpc > m->cores ? p->cpuid_logical / tpc : m->cores;

    int last = 0;
    for (int level = 1; level <= MXT_MAX_LEVELS; level++) {
        for (int s = 0; s < 3; s++) {
            const struct mxt_reported_cache *c =
                level_entry(source_caches(p, source_order[s]), level);
            if (!c) continue;
            struct candidate *k = &cand[level - 1][ncand[level - 1]++];
            *k = (struct candidate){.c = c, .src = source_order[s]};
            last = level;
        }
    }

    m->n_caches = 0;
    for (int level = 1; level <= last; level++) {
        struct candidate *k = cand[level - 1];
        int nk = ncand[level - 1];
        if (nk == 0) continue;
        /* 1. No real part gives one core more than MAX_SHARE_PER_CORE. The share
         * is size / min(sharing cores, cores); "cores" counts the package's cores
         * where CPUID knows more than the affinity mask, so a probe pinned to one
         * core does not reject a real large L3. */
        for (int i = 0; i < nk; i++) {
            int sharing = k[i].c->shared_by > 0 ? (k[i].c->shared_by + tpc - 1) / tpc : hw_cores;
            uint64_t share =
                k[i].c->size_bytes / (uint64_t)(sharing < hw_cores ? sharing : hw_cores);
            if (share <= MAX_SHARE_PER_CORE) continue;
            char b[32];
            mxt_format_bytes(share, b, sizeof b);
            k[i].rejected = 1;
            snprintf(k[i].why, sizeof k[i].why,
                     "larger than any real part's share per core: likely the host package's "
                     "total (%s per core)",
                     b);
        }
        /* 2. glibc's sysconf reads CPUID on x86: at the last level, an equal
         * sysconf value is a repeat, not a second witness. */
        for (int i = 0; level == last && i < nk; i++) {
            if (k[i].src != MXT_PROV_SYSCONF || k[i].rejected) continue;
            for (int j = 0; j < nk; j++)
                if (k[j].src == MXT_PROV_CPUID && k[j].c->size_bytes == k[i].c->size_bytes) {
                    k[i].rejected = 1;
                    mxt_strlcpy(k[i].why,
                                "repeats the CPUID value (glibc's sysconf reads CPUID): not an "
                                "independent source",
                                sizeof k[i].why);
                }
        }
        /* 3. The best surviving source; the others must agree within 15 %. */
        int ch = -1;
        for (int i = 0; i < nk && ch < 0; i++)
            if (!k[i].rejected) ch = i;
        int all_rejected = ch < 0;
        if (all_rejected) ch = 0;
        chosen[level - 1] = ch;
        for (int i = 0; i < nk; i++)
            if (i != ch && !k[i].rejected && differs(k[i].c->size_bytes, k[ch].c->size_bytes))
                reject_disagreeing(&k[i], &k[ch]);

        const struct mxt_reported_cache *c = k[ch].c;
        char name[32], b[32];
        for (int i = 0; i < nk; i++) {
            level_name(name, sizeof name, level, c->type, "size");
            mxt_machine_add_prior(m, name, k[i].c->size_bytes, k[i].src, !k[i].rejected, k[i].why);
        }
        struct mxt_cache *mc = &m->caches[m->n_caches];
        memset(mc, 0, sizeof *mc);
        mc->level = level;
        mc->type = level == 1 ? MXT_CACHE_DATA : c->type;
        mc->size_bytes = mc->usable_bytes = c->size_bytes;
        mc->ways = c->ways;
        mc->line_bytes = c->line_bytes;
        for (int i = 0; i < nk; i++) { /* fill unknowns from the other sources */
            if (mc->ways == 0 && !k[i].rejected) mc->ways = k[i].c->ways;
            if (mc->line_bytes == 0 && !k[i].rejected) mc->line_bytes = k[i].c->line_bytes;
        }
        if (c->ways > 0) {
            level_name(name, sizeof name, level, c->type, "ways");
            mxt_machine_add_prior(m, name, (uint64_t)c->ways, k[ch].src, 1, NULL);
        }
        if (c->line_bytes > 0) {
            level_name(name, sizeof name, level, c->type, "line");
            mxt_machine_add_prior(m, name, (uint64_t)c->line_bytes, k[ch].src, 1, NULL);
        }
        /* shared_by is in cores (CLI.md); unknown: 1, or all cores at the last level. */
        int sharing =
            c->shared_by > 0 ? (c->shared_by + tpc - 1) / tpc : (level == last ? m->cores : 1);
        mc->shared_by = sharing < 1 ? 1 : sharing > m->cores ? m->cores : sharing;
        mc->provenance = k[ch].src;
        mc->confidence = all_rejected ? 0.0 : 0.3;
        if (all_rejected) {
            mxt_format_bytes(c->size_bytes, b, sizeof b);
            mxt_machine_warn(m, "L%d: every reported size was rejected (%s: %s); measure it", level,
                             mxt_provenance_name(k[ch].src), b);
        }
        if (m->n_caches < MXT_MAX_LEVELS) m->n_caches++;
    }
    if (last == 0) mxt_machine_warn(m, "no cache sizes reported by sysfs, CPUID or sysconf");

    if (p->cpuid_logical > 0) {
        int agree = p->nproc <= 0 || p->cpuid_logical == p->nproc;
        char why[MXT_NOTE_LEN];
        snprintf(why, sizeof why, "differs from the %d CPUs this process may run on", p->nproc);
        mxt_machine_add_prior(m, "logical CPUs", (uint64_t)p->cpuid_logical, MXT_PROV_CPUID, agree,
                              agree ? NULL : why);
        if (!agree)
            mxt_machine_warn(m,
                             "CPUID reports %d logical CPU%s per package but this process may "
                             "run on %d: a VM, an affinity mask or several packages",
                             p->cpuid_logical, p->cpuid_logical == 1 ? "" : "s", p->nproc);
    }

    for (int level = 1; level <= last; level++) {
        const struct candidate *k = cand[level - 1];
        int ch = chosen[level - 1];
        for (int i = 0; i < ncand[level - 1]; i++) {
            if (i == ch) continue;
            char name[32];
            level_name(name, sizeof name, level, k[ch].c->type, "ways");
            add_field_if_different(m, name, k[i].c->ways, k[ch].c->ways, k[i].src, k[ch].src);
            level_name(name, sizeof name, level, k[ch].c->type, "line");
            add_field_if_different(m, name, k[i].c->line_bytes, k[ch].c->line_bytes, k[i].src,
                                   k[ch].src);
        }
    }
    mxt_priors_fingerprint(p, m->cores, m->fingerprint);
}

int mxt_priors_reject(struct mxt_machine *m, const char *what, const char *why) {
    int marked = 0;
    if (!m || !what) return 0;
    for (int i = 0; i < m->n_priors; i++) {
        if (strcmp(m->priors[i].what, what) != 0) continue;
        m->priors[i].used = 0;
        mxt_strlcpy(m->priors[i].why, why ? why : "", sizeof m->priors[i].why);
        marked++;
    }
    return marked;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void mxt_priors_fingerprint(const struct mxt_priors *p, int cores, char out[40]) {
    char buf[1024];
    const char *isa[MXT_MAX_ISA];
    size_t len = 0;
    int n_isa = p->n_isa < MXT_MAX_ISA ? p->n_isa : MXT_MAX_ISA;

    /* A canonical text, so the hash does not depend on struct layout. */
#define APPEND(...)                                                                                \
    do {                                                                                           \
        int w_ = snprintf(buf + len, sizeof buf - len, __VA_ARGS__);                               \
        if (w_ > 0) len = len + (size_t)w_ < sizeof buf ? len + (size_t)w_ : sizeof buf - 1;       \
    } while (0)
    APPEND("vendor=%s;family=%d;model=%d;stepping=%d;cores=%d;isa=", p->vendor, p->family, p->model,
           p->stepping, cores);
    for (int i = 0; i < n_isa; i++)
        isa[i] = p->isa[i];
    qsort(isa, (size_t)n_isa, sizeof isa[0], cmp_str);
    for (int i = 0; i < n_isa; i++)
        APPEND("%s%s", i ? "," : "", isa[i]);
    for (int level = 1; level <= MXT_MAX_LEVELS; level++) {
        const struct mxt_reported_cache *c = best_entry(p, level, NULL);
        if (c) APPEND(";L%d=%" PRIu64, level, c->size_bytes);
    }
#undef APPEND
    snprintf(out, 40, "%016" PRIx64, mxt_fnv1a64(buf, len, 0));
}
