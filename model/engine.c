/* The loop-nest engine of the model (model/): blocks per dimension with exact
 * tails, DRAM traffic of the three CB orders with serpentine reuse and of the
 * Goto loops, bytes served by every cache level, footprints, the multi-level
 * roofline time and its bound (MODELS.md §1, §2, §4, §6). */
#include <math.h>
#include <string.h>
#include "model_internal.h"
#include "mxt_common.h"

static inline double dmin(double a, double b) {
    return a < b ? a : b;
}
static inline double dmax(double a, double b) {
    return a > b ? a : b;
}

void mdim_single(struct mdim *d, int64_t ext, int64_t blk, int64_t q, int64_t r) {
    if (blk > ext) blk = ext;
    if (blk < 1) blk = 1;
    int64_t nb = mxt_cdiv(ext, blk);
    int64_t last = ext - (nb - 1) * blk;
    double full = (double)(nb - 1);
    d->n = (double)nb;
    d->ext = (double)ext;
    d->first = (double)blk;
    d->last = (double)last;
    int64_t pf = mxt_rup(blk, r), pl = mxt_rup(last, r);
    d->pad = full * (double)pf + (double)pl;
    d->crit = full * (double)(pf < q ? pf : q) + (double)(pl < q ? pl : q);
    d->nsub = full * (double)mxt_cdiv(blk, q) + (double)mxt_cdiv(last, q);
}

/* Blocks of a multi-index group fall into 2^g classes (each index full or
 * tail); sum the per-block figures over the classes with their counts. */
void mdim_multi(struct mdim *d, int g, const int64_t *size, const int64_t *tile, int64_t q,
                int64_t r) {
    if (g <= 1) {
        mdim_single(d, g == 1 ? size[0] : 1, g == 1 ? tile[0] : 1, q, r);
        return;
    }
    int64_t nb[MXT_MAX_INDICES], tail[MXT_MAX_INDICES];
    double n = 1, ext = 1, first = 1, last = 1;
    for (int i = 0; i < g; i++) {
        nb[i] = mxt_cdiv(size[i], tile[i]);
        tail[i] = size[i] - (nb[i] - 1) * tile[i];
        n *= (double)nb[i];
        ext *= (double)size[i];
        first *= (double)tile[i];
        last *= (double)tail[i];
    }
    double pad = 0, crit = 0, nsub = 0;
    for (uint32_t mask = 0; mask < (1u << g); mask++) {
        double count = 1, e = 1;
        for (int i = 0; i < g; i++) {
            if (mask & (1u << i)) {
                e *= (double)tail[i];
            } else {
                count *= (double)(nb[i] - 1);
                e *= (double)tile[i];
            }
        }
        if (count == 0) continue;
        double pe = ceil(e / (double)r) * (double)r;
        pad += count * pe;
        crit += count * dmin(pe, (double)q);
        nsub += count * ceil(e / (double)q);
    }
    d->n = n;
    d->ext = ext;
    d->first = first;
    d->last = last;
    d->pad = pad;
    d->crit = crit;
    d->nsub = nsub;
}

int mdim_goto_n(struct mdim *d, int64_t n, int p, int64_t nc, int nr) {
    /* the nr-wide column panels are dealt evenly: `extra` threads get one more;
     * the last busy thread holds the partial panel */
    int64_t panels = mxt_cdiv(n, nr), base = panels / p, extra = panels % p;
    int64_t pe = base > 0 ? p : extra, q = nc / nr > 0 ? nc / nr : 1;
    int64_t most = base + (extra > 0);
    d->n = (double)(extra * mxt_cdiv(base + 1, q) + (pe - extra) * mxt_cdiv(base, q));
    d->ext = (double)n;
    d->first = (double)(most * nr < nc ? most * nr : nc);
    d->last = d->first;
    d->pad = (double)(panels * nr);
    d->crit = (double)(most * nr);
    d->nsub = d->n;
    return (int)pe;
}

void model_block_extents(const struct resolved *r, int64_t blk[3], int64_t q[3]) {
    const struct mxt_blocks *b = &r->b;
    int64_t p = r->p;
    blk[DIM_M] = q[DIM_M] = b->mc;
    blk[DIM_N] = q[DIM_N] = b->nc;
    blk[DIM_K] = q[DIM_K] = b->kc;
    /* as kernels/gemm_cake.c runs them: KMN (p*mc) x kc x nc; MKN (p*mc) x
     * (p*kc) x nc; NKM mc x (p*kc) x (p*nc). The cores split M (KMN, MKN) or N
     * (NKM) and each walks the p kc chunks of a K block itself (q: one core's
     * slice; q[K] = kc, the chunk) */
    switch (r->sched) {
    case MXT_SCHED_CAKE_MKN:
        blk[DIM_M] = p * b->mc;
        blk[DIM_K] = p * b->kc;
        break;
    case MXT_SCHED_CAKE_NKM:
        blk[DIM_N] = p * b->nc;
        blk[DIM_K] = p * b->kc;
        break;
    case MXT_SCHED_GOTO:
    case MXT_SCHED_GOTO_JC:
        break;
    default:
        blk[DIM_M] = p * b->mc;
        break;
    }
}

/* Elements of an operand over dims (x, y) moved between DRAM and the local
 * memory for the loop order lo (outer, mid, inner). Serpentine order: the
 * mid loop runs backwards on odd outer blocks and the inner loop backwards
 * when (outer + mid) is odd, so after every turn the first block reuses the
 * block just used: at a mid turn the operand over (outer, inner), at an outer
 * turn the one over (mid, inner). Output operands are accumulated: every visit
 * writes, every visit but the first reads (plus the first with beta). */
static double op_traffic(const struct mdim *d, const int lo[3], int x, int y, int output, int beta,
                         int snake) {
    int z = 3 - x - y; /* the loop this operand does not depend on */
    double size = d[x].ext * d[y].ext;
    const struct mdim *o = &d[lo[0]], *mi = &d[lo[1]], *in = &d[lo[2]];
    if (z == lo[2]) return output ? size * (1 + beta) : size; /* resident over the inner loop */
    double visits, saved = 0;
    if (z == lo[1]) {
        visits = mi->n;
        if (snake) {
            /* turns from mid block t to t+1 at fixed outer block: the inner
             * walk ends on its last block floor(n_mid/2) times, else on its
             * first; summed over outer blocks that gives ext_outer */
            double turns = mi->n - 1, at_last = floor(mi->n / 2);
            saved = o->ext * (at_last * in->last + (turns - at_last) * in->first);
        }
    } else {
        visits = o->n;
        if (snake) {
            /* outer turns from even blocks end on the mid's last block (the
             * inner on its last block when n_mid is odd), from odd blocks on
             * the mid's and the inner's first blocks */
            double even = floor(o->n / 2), odd = o->n - 1 - even;
            double inner_end = fmod(mi->n, 2) == 1 ? in->last : in->first;
            saved = even * mi->last * inner_end + odd * mi->first * in->first;
        }
    }
    if (!output) return size * visits - saved;
    return size * visits + size * (visits - 1 + beta) - 2 * saved;
}

static void build_dims(const struct job *jb, const struct resolved *r, struct mdim d[3],
                       int *goto_busy) {
    int64_t blk[3], q[3], ext[3] = {jb->m, jb->n, jb->k};
    int64_t rr[3] = {r->b.mr, r->b.nr, 1};
    model_block_extents(r, blk, q);
    *goto_busy = 0;
    for (int i = 0; i < 3; i++) {
        if (i == DIM_N && mxt_schedule_is_goto(r->sched)) {
            *goto_busy = mdim_goto_n(&d[i], ext[i], r->p, blk[i], r->b.nr);
        } else if (jb->grp && jb->grp[i].g > 1) {
            mdim_multi(&d[i], jb->grp[i].g, jb->grp[i].size, jb->grp[i].tile, q[i], rr[i]);
        } else {
            int64_t b = blk[i];
            if (jb->grp && jb->grp[i].g == 1) b = jb->grp[i].tile[0];
            mdim_single(&d[i], ext[i], b, q[i], rr[i]);
        }
    }
}

int model_engine(const struct mxt_model_machine *mm, const struct job *jb, const struct resolved *r,
                 struct mxt_prediction *out) {
    const struct mxt_blocks *b = &r->b;
    const struct mxt_model_calib *cal = &mm->calib;
    const int p = r->p, mr = b->mr, nr = b->nr;
    const double s = r->s, dens = jb->rosko ? jb->density : 1.0;
    const double sA = jb->rosko ? 2.5 * dens * s : s; /* Rosko: ~10 bytes per nonzero (§4) */
    const enum mxt_schedule sc = r->sched;
    const int beta = jb->rosko ? 0 : jb->beta;
    struct mdim d[3];
    int goto_busy;
    build_dims(jb, r, d, &goto_busy);

    int lo[3], snake = !mxt_schedule_is_goto(sc), a_stat = sc != MXT_SCHED_CAKE_NKM;
    switch (sc) {
    case MXT_SCHED_CAKE_MKN:
    case MXT_SCHED_GOTO:
    case MXT_SCHED_GOTO_JC:
        lo[0] = DIM_N, lo[1] = DIM_K, lo[2] = DIM_M;
        break;
    case MXT_SCHED_CAKE_NKM:
        lo[0] = DIM_M, lo[1] = DIM_K, lo[2] = DIM_N;
        break;
    default:
        lo[0] = DIM_N, lo[1] = DIM_M, lo[2] = DIM_K;
        break;
    }
    const double M = d[DIM_M].ext, N = d[DIM_N].ext, K = d[DIM_K].ext;
    const double szA = M * K, szB = K * N, szC = M * N;
    double a_el = op_traffic(d, lo, DIM_M, DIM_K, 0, 0, snake);
    double b_el = op_traffic(d, lo, DIM_K, DIM_N, 0, 0, snake);
    double c_el = op_traffic(d, lo, DIM_M, DIM_N, 1, beta, snake);

    /* the per-core structure: which operand a core keeps in its own cache
     * (A slices for KMN/MKN/goto, B slices for NKM) and how often the other
     * streams past it */
    const double padM = d[DIM_M].pad, padN = d[DIM_N].pad;
    const double work_pad = padM * padN * K; /* MACs incl. micro-tile padding */
    /* kc chunks of K: each is one macro-kernel call per core slice, which
     * loads and stores its C tile (kernels/macro.c) */
    double nks = d[DIM_K].nsub;
    double nsl, crit, syncs;
    switch (sc) {
    case MXT_SCHED_CAKE_MKN:
        nsl = d[DIM_M].nsub;
        crit = d[DIM_M].crit * padN * K;
        syncs = d[DIM_N].n * d[DIM_K].n; /* a barrier after each inner (M) walk */
        break;
    case MXT_SCHED_CAKE_NKM:
        nsl = d[DIM_N].nsub;
        crit = padM * d[DIM_N].crit * K;
        syncs = d[DIM_M].n * d[DIM_K].n; /* a barrier after each inner (N) walk */
        break;
    case MXT_SCHED_GOTO:
    case MXT_SCHED_GOTO_JC:
        nsl = d[DIM_M].n;
        crit = padM * d[DIM_N].crit * K;
        syncs = 0; /* threads own disjoint column chunks */
        break;
    default:
        nsl = d[DIM_M].nsub;
        crit = d[DIM_M].crit * padN * K;
        syncs = d[DIM_N].n * d[DIM_M].n; /* a barrier after each K walk */
        break;
    }
    int cores = p < mm->cores ? p : mm->cores;
    int busy = mxt_schedule_is_goto(sc) ? goto_busy : (int)ceil(work_pad / crit - 1e-9);
    if (busy > cores) busy = cores;
    if (busy < 1) busy = 1;

    /* footprints (bytes): L1 micro-panels, per-core slice, shared block. Every
     * schedule runs the same macro-kernel (kernels/macro.c: jr over nr columns
     * outside, ir over mr rows inside): a kc x nr B micro-panel stays in L1
     * while the mc x kc A chunk, kept in the per-core cache, streams past it */
    double kcE = mxt_schedule_is_goto(sc) || sc == MXT_SCHED_CAKE_KMN || jb->rosko
                     ? d[DIM_K].first
                     : dmin((double)b->kc, d[DIM_K].first);
    double fp_l1 = s * (kcE * nr + (double)mr * nr) + sA * mr * kcE, fp_core, fp_sh;
    int c_resident = 0;
    double mcE = dmin((double)b->mc, d[DIM_M].first), ncE = d[DIM_N].first;
    fp_core = sA * mcE * kcE + 2 * s * kcE * nr;
    if (mxt_schedule_is_goto(sc)) {
        fp_sh = busy * (s * kcE * ncE + sA * mcE * kcE);
        /* C stays in L3 across the pc loop when every thread's M x nc panel fits */
        int li3 = -1;
        for (int i = 0; i < mm->n_levels; i++)
            if (mm->lv[i].level == 3) li3 = i;
        if (li3 >= 0 && fp_sh + busy * s * M * ncE <= mm->lv[li3].usable) {
            c_resident = 1;
            fp_sh += busy * s * M * ncE;
        }
    } else {
        fp_sh = sA * d[DIM_M].first * d[DIM_K].first + s * d[DIM_K].first * d[DIM_N].first +
                s * d[DIM_M].first * d[DIM_N].first;
    }

    /* bytes served by each role */
    double f_touch = 1, f_slice = 1, rho = 1;
    if (jb->rosko) {
        /* row skipping (§4): an mr x kc tile touches kc*(1-(1-d)^mr) rows of B */
        f_touch = 1 - pow(1 - dens, mr);
        f_slice = 1 - pow(1 - dens, dmin((double)b->mc, d[DIM_M].first));
        int nv = r->vbits / (8 * r->s);
        double cols = ceil((double)nr / nv) / mm->loads_per_cycle + cal->sparse_col_cost;
        rho = f_touch * cols * nv * mm->fma_per_cycle / ((double)mr * nr) +
              dens * cal->sparse_mac_cost;
    }
    /* C between the levels: each kc chunk's macro-kernel call fetches the C tile
     * (its first touch allocates the lines, beta or not; later chunks reload
     * them) and writes it back. A level serves the fetches; the write-backs
     * travel the other way and count only in the time. */
    double c_int = nks * szC * s, c_wb = nks * szC * s;
    double shared_b, core_b;
    if (a_stat) {
        double bstream = szB * nsl * s * f_slice;
        shared_b = a_el * sA + bstream + c_int;
        core_b = szA * (padN / nr) * sA + bstream + c_int;
    } else {
        /* NKM: the A chunk is read into each core's cache once per N slice and
         * re-read from it once per nr columns; each B slice is read once per
         * M block */
        double astream = szA * nsl * sA;
        shared_b = b_el * s + astream + c_int;
        core_b = szA * (padN / nr) * sA + szB * d[DIM_M].n * s + c_int;
    }
    double l1_b =
        work_pad / nr * sA + work_pad / mr * s * f_touch + (2 * nks - 1 + beta) * padM * padN * s;
    /* DRAM: fetches (c_fetch: C's visits, the first one allocating) and
     * write-backs of C */
    double dram_b, pack, pack_lv = 0, dram_wb;
    double c_fetch = (c_el + (1 - beta) * szC) / 2;
    if (jb->rosko) {
        dram_b = a_el * sA + b_el * s + szC * s;
        dram_wb = szC * s;
        pack = (2 * szB + 3 * szC) * s; /* B packed, C packed and unpacked: 4MN + 2KN */
    } else if (mxt_schedule_is_goto(sc)) {
        double cf = c_resident ? szC : c_fetch;
        /* the packing buffers (each busy thread's mc x kc A block and kc x nc B
         * panel) are touched first in the call: compulsory at every level */
        double bufs = busy * (sA * mcE * kcE + s * kcE * ncE);
        dram_b = a_el * sA + b_el * s + cf * s + bufs;
        dram_wb = cf * s;
        pack = 0;
        /* B's packing pass reads the source and allocates the packed panel in
         * the shared cache: both miss the per-core levels (A's source reads are
         * in a_el) */
        pack_lv = b_el * s + szB * s + bufs;
    } else {
        /* CAKE packs A and B once (gemm_cake.c pack_all): the source is read and
         * the packed copy allocated at every level: 2(MK + KN) */
        pack = 2 * ((jb->prepacked_a ? 0 : szA) + szB) * s;
        pack_lv = pack;
        double packed = (jb->prepacked_a ? 0 : sA * padM * K) + s * K * padN + s * szC;
        if (mm->shared_idx >= 0 && packed <= mm->lv[mm->shared_idx].usable) {
            /* everything packed stays in the local memory from the packing pass
             * on: the block walk fetches only C, once */
            dram_b = szC * s;
            dram_wb = szC * s;
        } else {
            dram_b = a_el * sA + b_el * s + c_fetch * s;
            dram_wb = c_fetch * s;
        }
    }

    /* levels: roles to level numbers */
    int lc, ls;
    if (mxt_schedule_is_goto(sc)) {
        lc = 1, ls = 0;
        for (int i = 0; i < mm->n_levels; i++) {
            if (mm->lv[i].level == 2) lc = 2;
            if (mm->lv[i].level == 3) ls = 3;
        }
    } else {
        lc = mm->lv[mm->core_idx].level;
        ls = mm->lv[mm->shared_idx].level;
    }
    if (jb->rosko && fp_sh > mm->lv[mm->shared_idx].usable)
        dram_b += 2 * szC * d[DIM_K].n * s; /* C partials spill once per K block */
    double served[MXT_NLVL] = {0}, fp[MXT_MAX_LEVELS] = {0};
    for (int i = 0; i < mm->n_levels; i++) {
        int l = mm->lv[i].level;
        served[l - 1] = l == 1 ? l1_b : l <= lc ? core_b : l <= ls ? shared_b : dram_b;
        if (l == 1)
            fp[0] = lc == 1 ? dmax(fp_l1, fp_core) : fp_l1;
        else if (l == lc)
            fp[l - 1] = fp_core;
        if (l == ls) fp[l - 1] = fp_sh;
    }
    served[MXT_LVL_DRAM] = dram_b;
    /* a level that cannot hold its blocks passes its traffic to the next */
    for (int i = 0; i < mm->n_levels; i++) {
        int l = mm->lv[i].level;
        if (fp[l - 1] <= mm->lv[i].usable) continue;
        int next = i + 1 < mm->n_levels ? mm->lv[i + 1].level - 1 : MXT_LVL_DRAM;
        served[next] = dmax(served[next], served[l - 1]);
    }
    dram_b = served[MXT_LVL_DRAM];

    /* time: multi-level roofline plus packing and barriers (§6) */
    double kslice = dmin(kcE, K);
    double eta = cal->eta0 * model_kernel_eff(mm, mr, nr, r->vbits, jb->dtype) * kslice /
                 (kslice + mm->fma_per_cycle);
    double fmac = model_isa_flops(mm, jb->dtype, r->isa, busy) / 2; /* peak of this ISA */
    double bw_dram = model_dram_bw(mm, busy);
    double bt = (double)jb->batch;
    memset(out->time, 0, sizeof out->time);
    out->time[MXT_BOUND_COMPUTE] = crit * rho / (fmac * eta) * bt;
    for (int i = 0; i < mm->n_levels; i++) {
        int l = mm->lv[i].level;
        double wb = l > 1 ? c_wb : 0; /* C's write-backs into this level */
        if (mm->lv[i].bw > 0) out->time[l] = (served[l - 1] + wb) / (busy * mm->lv[i].bw) * bt;
    }
    out->time[MXT_BOUND_DRAM] = (dram_b + dram_wb) / bw_dram * bt;
    out->time[MXT_BOUND_OVERHEAD] =
        (pack / model_dram_bw(mm, cores) + (p > 1 ? syncs * cal->sync_seconds : 0)) * bt;
    double tmax = 0;
    out->bound = MXT_BOUND_COMPUTE;
    for (int i = 0; i < MXT_NBOUNDS; i++) {
        if (out->time[i] > out->time[out->bound]) out->bound = (enum mxt_bound)i;
        if (i != MXT_BOUND_OVERHEAD && out->time[i] > tmax) tmax = out->time[i];
    }
    out->seconds = tmax + out->time[MXT_BOUND_OVERHEAD];
    out->flops = 2.0 * M * N * K * dens * bt;
    out->gflops = out->flops / out->seconds / 1e9;
    for (int i = 0; i < MXT_NLVL; i++)
        out->bytes[i] = served[i] * bt;
    /* the packing pass's fetches at the cache levels below L1 (DRAM: pack) */
    for (int i = 0; i < mm->n_levels; i++)
        if (mm->lv[i].level > 1) out->bytes[mm->lv[i].level - 1] += pack_lv * bt;
    out->bytes[MXT_LVL_DRAM] += pack * bt;
    out->pack_bytes = pack * bt;
    if (!mxt_schedule_is_goto(sc) && !jb->rosko) {
        /* the CAKE authors' formula, for comparison with their measurements:
         * MNK/(alpha*p*mc) + 2*MNK/(p*kc) + KN + 4MN + 2(MK + KN) elements */
        double mnk = M * N * K, apm = b->alpha * p * (double)b->mc;
        if (sc == MXT_SCHED_CAKE_NKM) apm = (double)p * b->nc;
        out->authors_dram_bytes =
            s * bt * (mnk / apm + 2 * mnk / ((double)p * b->kc) + szB + 4 * szC + 2 * (szA + szB));
    }
    for (int i = 0; i < MXT_MAX_LEVELS; i++)
        out->footprint[i] = fp[i];
    out->required_dram_Bps = dram_b * bt / out->time[MXT_BOUND_COMPUTE];
    out->available_dram_Bps = bw_dram;
    for (int i = 0; i < MXT_NLVL; i++)
        out->intensity[i] = out->bytes[i] > 0 ? out->flops / out->bytes[i] : 0;
    for (int i = 0; i < MXT_NBOUNDS; i++)
        out->ceiling_gflops[i] = out->time[i] > 0 ? out->flops / out->time[i] / 1e9 : 0;
    out->eta = eta;
    out->threads_busy = busy;
    out->syncs = syncs * bt;
    out->m = jb->m;
    out->n = jb->n;
    out->k = jb->k;
    out->dtype = jb->dtype;
    out->sizing = r->sizing;
    out->detail = r->det;
    out->assumed |= r->assumed | r->det.assumed;
    if (!cal->calibrated) out->assumed |= MXT_ASSUME_CALIB;
    out->config.schedule = sc;
    out->config.isa = r->isa;
    out->config.mr = mr;
    out->config.nr = nr;
    out->config.mc = b->mc;
    out->config.kc = b->kc;
    out->config.nc = b->nc;
    out->config.alpha = b->alpha;
    out->config.threads = p;
    return 0;
}
