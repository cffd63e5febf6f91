/* Export of tuned configurations for other code (reports/): one machine's
 * winners of one op read from the database, named, and written as a C header,
 * a JSON document (mxtune.export/1) or BLIS-style block sizes. Internal to
 * mxtune (cli/ uses it); docs/formats.md describes the three formats.
 *
 * Every string that comes from the database (the op, the CPU's brand, the
 * machine's name, provenance) is sanitized where it lands: C identifiers keep
 * [A-Z0-9_] only, C comments never see a comment opener or closer, a trigraph
 * or a line break, C string literals are escaped, JSON goes through cJSON.
 */
#ifndef MXT_EXPORT_H
#define MXT_EXPORT_H

#include <stddef.h>
#include <stdio.h>
#include "mxt_db_tune.h"
#include "mxtune/machine.h"

struct mxt_db;

/* One exported winner: the stored row and what the writers derive from it. */
struct mxt_export_entry {
    struct mxt_db_tuned t;
    char name[128];     /* identifier stem, e.g. MXTUNE_GEMM_F32_M1024_N1024_K1024 */
    double peak_gflops; /* the profile's peak for the dtype at the row's threads (0: unknown) */
    double pct_peak;    /* 100 * measured / peak_gflops (0 when the peak is unknown) */
};

/* Where the default for shapes that were not tuned comes from. */
enum mxt_export_default_source {
    MXT_EXPORT_DEFAULT_WINNER = 0, /* the configuration that won most tuned shapes */
    MXT_EXPORT_DEFAULT_MODEL,      /* the model's pick from the profile (nothing tuned) */
    MXT_EXPORT_DEFAULT_KERNELS     /* all 0: the kernels' own fallbacks (no model either) */
};
const char *mxt_export_default_source_name(enum mxt_export_default_source s);

struct mxt_export_default {
    enum mxt_export_default_source source;
    struct mxt_config config;
    int wins, of; /* WINNER: the configuration won `wins` of `of` tuned shapes */
    char why[256];
};

/* Shape at which the model picks a default when a dtype has no winner. */
#define MXT_EXPORT_MODEL_SHAPE 2048

struct mxt_export {
    struct mxt_machine machine;
    char op[16];         /* as stored */
    char op_id[16];      /* the op as an identifier part: "GEMM" */
    char created[32];    /* ISO 8601 UTC: now, or $SOURCE_DATE_EPOCH when set */
    const char *version; /* mxtune's version */
    char db_path[4096];  /* where it was read from */
    size_t n;            /* current (not stale) winners, by dtype, m, n, k */
    struct mxt_export_entry *e;
    int stale;                         /* winners left out: measured by another kernel version */
    struct mxt_export_default def[2];  /* by enum mxt_dtype: shapes that were not tuned */
    struct mxt_export_default blis[2]; /* by dtype: a goto configuration (BLIS's loops) */
};

/* Read the winners of op on machine fingerprint (NULL: this machine if it is
 * stored, else the only stored machine) into *x, name them and choose the
 * defaults. MXT_ENOTFOUND with "... run 'mxtune probe' and 'mxtune search'
 * first" when there is no database, no profile or nothing current tuned for
 * op; *note (may be NULL) receives a line for stderr when the machine was
 * chosen by the fallback or stale rows were left out ("" otherwise).
 * Release with mxt_export_release (also after a failure). */
int mxt_export_load(struct mxt_db *db, const char *fingerprint, const char *op,
                    struct mxt_export *x, char *note, size_t note_size);
void mxt_export_release(struct mxt_export *x);

/* The three writers. header and blis write to f; json returns a malloc'd
 * document (caller frees). MXT_EIO when f reports a write error,
 * MXT_ENOMEM. */
int mxt_export_header(FILE *f, const struct mxt_export *x);
int mxt_export_json(const struct mxt_export *x, char **out);
int mxt_export_blis(FILE *f, const struct mxt_export *x);

/* ---- sanitizers, shared by the writers (and tested on their own) ---- */

/* s as part of a C identifier: ASCII letters upper-cased, digits kept,
 * anything else '_'; "" becomes "X". Always terminated; returns 1 when it
 * had to change something other than the case. */
int mxt_export_ident(const char *s, char *out, size_t size);
/* s inside a C block comment: printable ASCII only (others '?'), no comment
 * opener or closer, no "??" (trigraphs), no backslash; at most max chars
 * ("..." marks a cut). */
void mxt_export_comment_text(FILE *f, const char *s, size_t max);
/* s as a C string literal, with its quotes: '"', '\\' and '?' escaped (no
 * trigraph), anything but printable ASCII as an octal escape. */
void mxt_export_c_string(FILE *f, const char *s);

#endif
