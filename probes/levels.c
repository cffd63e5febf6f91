/* Cache-level detection from a latency curve (probes/). Pure: no timing, no
 * I/O, so it is replayed on recorded curves in tests/data.
 *
 * Method (PROBES.md, phase 6): smooth single-point spikes (median of three),
 * force the curve non-decreasing (isotonic regression), split it into plateaus (each at least 3
 * points, each at least 1.3x slower than the one before), report as the
 * nominal size the transition midpoint -- where the curve crosses the
 * mean of two neighbouring plateau latencies -- snapped to
 * {1, 1.25, 1.5, 1.75} x 2^k (preferring 2^k, then 1.5 x 2^k, when close), and as the usable size
 * the largest size still within 10 % of the plateau's latency. */
#include <math.h>
#include <string.h>
#include "probes.h"

#define PLATEAU_TOL 1.10 /* a point belongs to a plateau within 10 % of its base */
#define LEVEL_RATIO 1.30 /* neighbouring levels differ at least 1.3x */
#define MIN_POINTS 3
#define MIN_SPAN 1.5   /* a level's plateau spans at least 1.5x in size (the last may be cut) */
#define MEMORY_NS 45.0 /* no cache level is this slow: beyond it is memory */

/* Snap to {1, 1.25, 1.5, 1.75} x 2^k, nearest in log size, with a small
 * preference for the sizes caches are usually built in: a whole power of two
 * first, then 1.5 x 2^k (a measured midpoint wanders by a few per cent from run
 * to run on a shared machine, and without the preference it flips between,
 * say, 896 KiB and 1 MiB). */
uint64_t mxt_snap_size(double bytes) {
    if (bytes <= 0) return 0;
    static const double steps[] = {1.0, 1.25, 1.5, 1.75, 2.0};
    static const double penalty[] = {0.0, 0.06, 0.03, 0.06, 0.0};
    double k = floor(log2(bytes));
    double best = 0, best_d = 1e300;
    for (int e = -1; e <= 0; e++)
        for (size_t i = 0; i < MXT_ARRAY_LEN(steps); i++) {
            double v = steps[i] * pow(2.0, k + e);
            double d = fabs(log(bytes / v)) + penalty[i];
            if (d < best_d) {
                best_d = d;
                best = v;
            }
        }
    return (uint64_t)llround(best);
}

static double median3(double a, double b, double c) {
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    if (b > c) b = c;
    return a > b ? a : b;
}

/* Force the curve non-decreasing by isotonic regression of log-latency (pool
 * adjacent violators): a burst of slow points, another program taking the
 * core for a moment, is averaged with its neighbours instead of lifting every
 * later point as a running maximum would. */
static void monotone_fit(double *y, int n) {
    double mean[MXT_CURVE_MAX];
    int len[MXT_CURVE_MAX], nb = 0;
    for (int i = 0; i < n; i++) {
        mean[nb] = log(y[i]);
        len[nb] = 1;
        nb++;
        while (nb > 1 && mean[nb - 2] > mean[nb - 1]) {
            double w = len[nb - 2] + len[nb - 1];
            mean[nb - 2] = (mean[nb - 2] * len[nb - 2] + mean[nb - 1] * len[nb - 1]) / w;
            len[nb - 2] += len[nb - 1];
            nb--;
        }
    }
    for (int b = 0, i = 0; b < nb; b++)
        for (int j = 0; j < len[b]; j++)
            y[i++] = exp(mean[b]);
}

struct plateau {
    int first, last; /* point indices */
    double level;    /* median latency of its points */
};

/* Size where the smoothed curve first crosses y (log-log interpolation). */
static double crossing(const double *x, const double *y, int from, int to, double target) {
    for (int i = from; i < to; i++) {
        if (y[i + 1] >= target && y[i] < target) {
            double t = (log(target) - log(y[i])) / (log(y[i + 1]) - log(y[i]));
            return exp(log(x[i]) + t * (log(x[i + 1]) - log(x[i])));
        }
    }
    return sqrt(x[from] * x[to]);
}

int mxt_levels_detect(const struct mxt_curve *c, int exclusive_llc, struct mxt_levels *out) {
    memset(out, 0, sizeof *out);
    int n = c->n;
    if (n < 2 * MIN_POINTS)
        return mxt_error(MXT_EMEASURE, "latency curve too short (%d points) to find levels", n);
    double y[MXT_CURVE_MAX];
    const double *x = c->x;
    for (int i = 0; i < n; i++) {
        double a = c->y[i > 0 ? i - 1 : i], b = c->y[i], d = c->y[i + 1 < n ? i + 1 : i];
        y[i] = median3(a, b, d);
    }
    monotone_fit(y, n);

    /* Greedy grouping into candidate plateaus. */
    struct plateau pl[MXT_CURVE_MAX];
    int np = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && y[j + 1] <= PLATEAU_TOL * y[i])
            j++;
        /* Refinement puts extra points inside transitions: a short run there is
         * not a level. The sweep may end on the last plateau, so it may be short. */
        if (j - i + 1 >= MIN_POINTS && (x[j] >= MIN_SPAN * x[i] || j == n - 1)) {
            pl[np].first = i;
            pl[np].last = j;
            double tmp[MXT_CURVE_MAX];
            for (int k = i; k <= j; k++)
                tmp[k - i] = y[k];
            pl[np].level = tmp[(j - i) / 2]; /* non-decreasing: the middle is the median */
            np++;
        }
        i = j + 1;
    }
    /* Merge plateaus too close to be distinct levels, and everything past memory. */
    int m = 0;
    for (int k = 0; k < np; k++) {
        if (m > 0 && (pl[k].level < LEVEL_RATIO * pl[m - 1].level ||
                      (pl[m - 1].level >= MEMORY_NS && pl[k].level >= MEMORY_NS))) {
            pl[m - 1].last = pl[k].last;
            continue;
        }
        pl[m++] = pl[k];
    }
    np = m;
    for (int k = 0; k < np; k++) /* non-decreasing: the middle point is the median */
        pl[k].level = y[(pl[k].first + pl[k].last) / 2];
    if (np < 2)
        return mxt_error(MXT_EMEASURE, "latency curve shows %d plateau(s), need at least 2", np);

    /* The last plateau is memory if it is memory-slow or the sweep went far past it. */
    int last_is_memory = pl[np - 1].level >= MEMORY_NS || np > MXT_MAX_LEVELS;
    int n_cache = last_is_memory ? np - 1 : np;
    if (n_cache > MXT_MAX_LEVELS) n_cache = MXT_MAX_LEVELS;
    for (int k = 0; k < n_cache; k++) {
        struct mxt_level *L = &out->level[k];
        struct plateau *p = &pl[k];
        L->plateau_ns = p->level;
        L->points = p->last - p->first + 1;
        int usable = p->first;
        for (int i = p->first; i < n && y[i] <= PLATEAU_TOL * p->level; i++)
            usable = i;
        L->usable_bytes = (uint64_t)x[usable];
        if (k + 1 < np) {
            /* Halfway in latency between the two plateaus. */
            double target = 0.5 * (p->level + pl[k + 1].level);
            double edge = crossing(x, y, p->last, pl[k + 1].first, target);
            L->edge_bytes = (uint64_t)edge;
            L->nominal_bytes = mxt_snap_size(edge);
            /* Confidence: sharp transitions and long plateaus are trustworthy. */
            double width = log2(x[pl[k + 1].first] / x[p->last]);
            double conf = 0.95 - 0.15 * (width > 1 ? width - 1 : 0) - (L->points < 5 ? 0.1 : 0);
            L->confidence = conf < 0.3 ? 0.3 : conf;
        } else {
            /* The sweep ended on this plateau: at least its largest size. */
            L->edge_bytes = (uint64_t)x[p->last];
            L->nominal_bytes = 0;
            L->confidence = 0.3;
        }
    }
    if (exclusive_llc && n_cache >= 2 && out->level[n_cache - 1].nominal_bytes) {
        struct mxt_level *last = &out->level[n_cache - 1], *above = &out->level[n_cache - 2];
        double edge = (double)last->edge_bytes - (double)above->nominal_bytes;
        if (edge > 0) {
            last->edge_bytes = (uint64_t)edge;
            last->nominal_bytes = mxt_snap_size(edge);
        }
        last->usable_bytes = last->usable_bytes > above->nominal_bytes
                                 ? last->usable_bytes - above->nominal_bytes
                                 : last->usable_bytes;
    }
    out->n_cache = n_cache;
    if (last_is_memory) {
        out->dram_ns = pl[np - 1].level;
        out->dram_points = pl[np - 1].last - pl[np - 1].first + 1;
    }
    return 0;
}
