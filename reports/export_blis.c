/* `mxtune export --format blis` (reports/): block sizes per datatype in the form
 * a BLIS context takes (MR, NR, MC, KC, NC for s and d), one line each, with the
 * equivalent bli_blksz_init_easy() calls and the provenance as '#' comments. */
#include <string.h>
#include "mxt_common.h"
#include "mxt_export.h"

/* '#' comment text: printable ASCII only, nothing that ends the line. */
static void comment(FILE *f, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p >= 0x20 && *p <= 0x7e ? *p : '?', f);
}

int mxt_export_blis(FILE *f, const struct mxt_export *x) {
    static const char letter[2] = {'s', 'd'}; /* BLIS's datatype letters, by enum mxt_dtype */
    static const char *const blk[5] = {"MR", "NR", "MC", "KC", "NC"};
    long long v[2][5];
    const struct mxt_machine *m = &x->machine;
    fprintf(f, "# mxtune BLIS block sizes (mxtune export --format blis), mxtune ");
    comment(f, x->version);
    fprintf(f, ", exported ");
    comment(f, x->created);
    fprintf(f, "\n# machine ");
    comment(f, m->fingerprint);
    fprintf(f, " (");
    comment(f, m->brand[0] ? m->brand : "brand not recorded");
    fprintf(f, "), %d cores\n", m->cores);
    fprintf(f,
            "#\n# One line per datatype (s: f32, d: f64): `<dt> MR=.. NR=.. MC=.. KC=.. NC=..`,\n"
            "# the gemm block sizes of a BLIS context (bli_cntx_set_blkszs). They come from\n"
            "# mxtune's goto schedule, whose loops are BLIS's five (jc: NC, pc: KC, ic: MC,\n"
            "# jr: NR, ir: MR); MR runs along M (the vector direction of a column-preferring\n"
            "# micro-kernel), MC is a multiple of MR and NC of NR. Threads are BLIS's to set\n"
            "# (BLIS_NUM_THREADS); the value tuned with is given below.\n#\n");
    for (int dt = MXT_F32; dt <= MXT_F64; dt++) {
        const struct mxt_export_default *d = &x->blis[dt];
        const struct mxt_config *c = &d->config;
        v[dt][0] = c->mr;
        v[dt][1] = c->nr;
        v[dt][2] = (long long)c->mc;
        v[dt][3] = (long long)c->kc;
        v[dt][4] = (long long)c->nc;
        fprintf(f, "# %c: ", letter[dt]);
        comment(f, d->why);
        fprintf(f, "; %s %dx%d, %d threads\n", mxt_isa_name(c->isa), c->mr, c->nr, c->threads);
    }
    for (int dt = MXT_F32; dt <= MXT_F64; dt++) {
        fputc(letter[dt], f);
        for (int b = 0; b < 5; b++)
            fprintf(f, " %s=%lld", blk[b], v[dt][b]);
        fputc('\n', f);
    }
    fprintf(f, "#\n# The same as a BLIS context initializer (c_XX, z_XX: your configuration's\n"
               "# complex values; mxtune tunes s and d only; 0: the kernels' own choice):\n");
    for (int b = 0; b < 5; b++)
        fprintf(f, "#   bli_blksz_init_easy( &blkszs[ BLIS_%s ], %lld, %lld, c_%s, z_%s );\n",
                blk[b], v[MXT_F32][b], v[MXT_F64][b], blk[b], blk[b]);
    return ferror(f) ? mxt_error(MXT_EIO, "write error") : 0;
}
