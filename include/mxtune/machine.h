/* The machine profile: caches, memory, compute, each figure with where it came
 * from. Filled defaults -> priors (sysfs, CPUID, sysconf) -> measured by
 * probes/, stored by db/ under the fingerprint, read by model/ and tuner/.
 *
 * JSON form: schema "mxtune.machine/1" (shared/design/CLI.md). All sizes in
 * bytes, bandwidths in GB/s (10^9 bytes/s, read + written bytes, STREAM
 * convention), rates in GFLOP/s (an FMA counts 2), latencies in ns.
 * The struct is fixed-size and owns no memory: copy it freely.
 */
#ifndef MXTUNE_MACHINE_H
#define MXTUNE_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MXT_MAX_LEVELS 4
#define MXT_MAX_PRIORS 24
#define MXT_MAX_NOTES 24
#define MXT_MAX_ISA 24
#define MXT_NOTE_LEN 192

enum mxt_provenance {
    MXT_PROV_NONE = 0, /* value absent */
    MXT_PROV_MEASURED,
    MXT_PROV_SYSFS,
    MXT_PROV_CPUID,
    MXT_PROV_SYSCONF,
    MXT_PROV_FILE,
    MXT_PROV_DEFAULT
};

enum mxt_cache_type { MXT_CACHE_UNIFIED = 0, MXT_CACHE_DATA, MXT_CACHE_INSTRUCTION };

struct mxt_cache {
    int level; /* 1, 2, 3, ... */
    enum mxt_cache_type type;
    uint64_t size_bytes;   /* nominal capacity */
    uint64_t usable_bytes; /* what one core can actually keep (measured) */
    int line_bytes;
    int ways;
    int shared_by;         /* cores sharing one instance */
    double latency_ns;     /* load-to-use, 0 = unknown */
    double latency_cycles; /* at compute.clock_ghz, 0 = unknown */
    double bw_read_GBps;   /* one core, read-only, 0 = unknown */
    enum mxt_provenance provenance;
    double confidence; /* 0..1 */
};

struct mxt_dram {
    double latency_ns;
    double read_1t, read_all, copy_1t, copy_all, triad_1t, triad_all; /* GB/s */
    enum mxt_provenance provenance;
};

struct mxt_compute {
    double clock_ghz; /* core clock from a dependent-add chain */
    double tsc_ghz;   /* time-stamp counter rate (not cycles) */
    double fma_latency_cycles;
    int fma_per_cycle; /* FMA issues per cycle (vector FMA units) */
    int vector_registers;
    int vector_bits;                         /* widest vector width the peak used */
    double f32_1t, f32_all, f64_1t, f64_all; /* peak GFLOP/s */
    /* one-thread peak GFLOP/s by vector width [128, 256, 512 bits][f32, f64] (0 unknown) */
    double width_1t[3][2];
    enum mxt_provenance provenance;
};

/* A value from the OS or CPUID, kept whether used or rejected. */
struct mxt_prior {
    char what[32]; /* "L1d size", "L3 size", "L2 ways", "cores" ... */
    uint64_t value;
    enum mxt_provenance source;
    int used;               /* 1 used, 0 rejected */
    char why[MXT_NOTE_LEN]; /* reason for rejection, or "" */
};

struct mxt_machine {
    char name[64];
    char fingerprint[40];
    char vendor[16];
    char brand[64];
    int family, model, stepping;
    int cores;
    int threads_per_core;
    int n_isa;
    char isa[MXT_MAX_ISA][16];
    int n_caches; /* data/unified levels, ordered by level */
    struct mxt_cache caches[MXT_MAX_LEVELS];
    struct mxt_dram dram;
    struct mxt_compute compute;
    int n_priors;
    struct mxt_prior priors[MXT_MAX_PRIORS];
    int n_warnings;
    char warnings[MXT_MAX_NOTES][MXT_NOTE_LEN];
    int n_assumed; /* defaults filled in when reading a partial file */
    char assumed[MXT_MAX_NOTES][64];
};

/* Zero the profile (everything absent). */
void mxt_machine_init(struct mxt_machine *m);

/* The cache of a given level (NULL if absent). */
const struct mxt_cache *mxt_machine_cache(const struct mxt_machine *m, int level);

/* 1 if the ISA list contains name ("avx512f", "avx2", "fma"). */
int mxt_machine_has_isa(const struct mxt_machine *m, const char *name);

/* Append a warning / prior (silently dropped when the table is full). */
void mxt_machine_warn(struct mxt_machine *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void mxt_machine_add_prior(struct mxt_machine *m, const char *what, uint64_t value,
                           enum mxt_provenance source, int used, const char *why);

/* Serialize to the mxtune.machine/1 document. *out is malloc'd, caller frees. */
int mxt_machine_to_json(const struct mxt_machine *m, int pretty, char **out);

/* Parse an mxtune.machine/1 document (a hand-written file needs only cores and
 * caches[].level/size_bytes; defaults for the rest are listed in m->assumed).
 * Returns MXT_EFORMAT with a message naming the bad field. */
int mxt_machine_from_json(const char *text, struct mxt_machine *m);

/* Read a machine file from disk (MXT_EIO if unreadable, MXT_EFORMAT if bad). */
int mxt_machine_load_file(const char *path, struct mxt_machine *m);

const char *mxt_provenance_name(enum mxt_provenance p);

#ifdef __cplusplus
}
#endif
#endif
