/* What the operating system and CPUID *report* about this machine (probes/).
 * These are priors to cross-check, never the answer: on our build machines
 * CPUID claims a 508 MiB L3. Sources can be replayed from recordings:
 * sysfs from a directory tree (MXT_SYSFS_ROOT), CPUID from a register dump.
 */
#ifndef MXT_PRIORS_H
#define MXT_PRIORS_H

#include <stdint.h>
#include <stdio.h>
#include "mxtune/machine.h"

#define MXT_PRIORS_MAX_CACHES 8

struct mxt_reported_cache {
    int level;
    enum mxt_cache_type type;
    uint64_t size_bytes;
    int ways; /* 0 unknown; -1 fully associative */
    int line_bytes;
    int shared_by; /* logical CPUs sharing it, 0 unknown */
};

struct mxt_reported_caches {
    int n;
    struct mxt_reported_cache c[MXT_PRIORS_MAX_CACHES];
};

/* One CPUID leaf/subleaf with its four registers, for recorded dumps. */
struct mxt_cpuid_regs {
    uint32_t leaf, subleaf;
    uint32_t eax, ebx, ecx, edx;
};

struct mxt_priors {
    char vendor[16]; /* "AuthenticAMD", "GenuineIntel" */
    char brand[64];
    int family, model, stepping;
    int n_isa;
    char isa[MXT_MAX_ISA][16];
    int cpuid_logical;      /* logical processors CPUID claims per package, 0 unknown */
    int nproc;              /* CPUs this process may run on (affinity) */
    int threads_per_core;   /* from sysfs topology or CPUID, 1 if unknown */
    uint64_t mem_available; /* bytes, from /proc/meminfo MemAvailable (0 unknown) */
    char thp[16];           /* transparent huge pages mode: always, madvise, never, "" */
    struct mxt_reported_caches sysfs, cpuid, sysconf;
};

/* Collect everything from this machine. sysfs_root: NULL = $MXT_SYSFS_ROOT or "". */
int mxt_priors_collect(const char *sysfs_root, struct mxt_priors *p);

/* Parse sysfs cache data under root (root + "/sys/devices/system/cpu/cpu0/cache/...").
 * Returns 0 with p->sysfs.n == 0 when the tree has no cache data. */
int mxt_priors_read_sysfs(const char *root, struct mxt_priors *p);

/* Decode recorded or live CPUID registers (vendor, brand, family/model/stepping,
 * ISA flags, caches from Intel leaf 4 / AMD 0x8000001D, 0x80000005/6). */
int mxt_priors_decode_cpuid(const struct mxt_cpuid_regs *regs, int n, struct mxt_priors *p);

/* Read a CPUID dump file: lines "leaf subleaf eax ebx ecx edx" in hex, '#' comments. */
int mxt_priors_load_cpuid_dump(const char *path, struct mxt_cpuid_regs *regs, int max, int *n);

/* Fill the stable part of a machine profile from the priors: cpu identity,
 * ISA list, cores, threads_per_core, one cache entry per data/unified level
 * from the best source (sysfs > cpuid > sysconf) with its provenance, and every
 * reported value into m->priors; applies the sanity checks that need no
 * measurement (e.g. an L3 share per core beyond any real part, CPUID logical
 * count != nproc) and records rejections with the reason. */
void mxt_priors_apply(const struct mxt_priors *p, struct mxt_machine *m);

/* The fingerprint: a hash of stable identifiers only (vendor, family, model,
 * stepping, ISA flags, core count and the cache sizes the OS/CPUID report),
 * as 16 hex digits. Never uses measured values. */
void mxt_priors_fingerprint(const struct mxt_priors *p, int cores, char out[40]);

/* Mark every prior whose `what` matches as rejected (used = 0) with the reason;
 * returns how many matched. Used after measurement ("larger than any measured
 * plateau"). */
int mxt_priors_reject(struct mxt_machine *m, const char *what, const char *why);

/* Write this CPU's raw CPUID leaves in the dump format (fixtures); MXT_EUNSUPPORTED off x86. */
int mxt_priors_dump_cpuid(FILE *f);
/* Drop ISA flags whose register state the OS has not enabled in XCR0. */
void mxt_priors_mask_xcr0(struct mxt_priors *p, uint64_t xcr0);

#endif
