/* Strategy `anneal` (tuner/): simulated annealing over the candidate grid, started at
 * the model's best (Kirkpatrick et al. 1983), with moves of one step along one
 * coordinate and the model choosing between two random neighbours. */
#include <math.h>
#include <stdlib.h>
#include "mxt_tuner.h"

/* Of two random unmeasured neighbours the model's better one is proposed (a
 * tournament, so the model steers the walk); the Metropolis rule on the relative
 * time decides whether the walk follows, at a temperature that cools with every
 * result. When every neighbour is measured, the walk moves through them at no
 * cost, then falls back to the best-ranked unmeasured candidate. */
#define T0 0.05     /* initial temperature: a 5 % slower move is taken with p = 1/e */
#define COOLING 0.9 /* per result */
#define T_MIN 1e-4
#define MAX_HOPS 32

struct anneal_state {
    int cur;      /* the walk's position (-1: not started) */
    double cur_t; /* its time */
    double temp;
};

static int anneal_applicable(const struct mxt_space *sp) {
    return sp->n > 0 && sp->grid != NULL;
}

static int anneal_init(const struct mxt_search_view *v, void **state) {
    (void)v;
    struct anneal_state *s = malloc(sizeof *s);
    if (!s) return mxt_error(MXT_ENOMEM, "out of memory");
    s->cur = -1;
    s->cur_t = 0;
    s->temp = T0;
    *state = s;
    return 0;
}

/* Neighbours of c (one step along one dimension), distinct, not c itself. */
static int neighbours(const struct mxt_space *sp, int c, int *out) {
    int n = 0;
    for (int d = 0; d < MXT_NDIMS; d++) {
        for (int step = -1; step <= 1; step += 2) {
            int x = mxt_space_neighbor(sp, c, d, step);
            if (x < 0 || x == c) continue;
            int dup = 0;
            for (int i = 0; i < n; i++)
                dup |= out[i] == x;
            if (!dup) out[n++] = x;
        }
    }
    return n;
}

static int metropolis(struct anneal_state *s, uint64_t *rng, double t) {
    if (t <= s->cur_t) return 1;
    double delta = (t - s->cur_t) / s->cur_t;
    return mxt_rng_unit(rng) < exp(-delta / s->temp);
}

static int anneal_next(void *state, const struct mxt_search_view *v) {
    struct anneal_state *s = state;
    const struct mxt_space *sp = v->space;
    if (s->cur < 0) {
        if (v->time[0] == 0) return 0; /* start at the model's best */
        s->cur = v->best >= 0 ? v->best : 0;
        s->cur_t = v->time[s->cur] > 0 ? v->time[s->cur] : 1;
    }
    if (sp->c[s->cur].coord[0] == 0xff) {
        /* an off-grid position (the default, which the model may rank first) has
         * no neighbours: walk from the model's best candidate on the grid */
        for (int i = 0; i < sp->n; i++) {
            if (sp->c[i].coord[0] == 0xff) continue;
            if (v->time[i] == 0) return i;
            if (v->time[i] > 0) {
                s->cur = i;
                s->cur_t = v->time[i];
            }
            break;
        }
    }
    int nb[2 * MXT_NDIMS], fresh[2 * MXT_NDIMS];
    for (int hop = 0; hop <= MAX_HOPS; hop++) {
        int n = neighbours(sp, s->cur, nb), nf = 0;
        for (int i = 0; i < n; i++)
            if (v->time[nb[i]] == 0) fresh[nf++] = nb[i];
        if (nf > 0) {
            int a = fresh[mxt_rng_below(v->rng, nf)], b = fresh[mxt_rng_below(v->rng, nf)];
            return sp->c[a].rank <= sp->c[b].rank ? a : b;
        }
        /* every neighbour is known: walk on through them at no cost */
        int known[2 * MXT_NDIMS], nk = 0;
        for (int i = 0; i < n; i++)
            if (v->time[nb[i]] > 0) known[nk++] = nb[i];
        if (nk == 0) break;
        int x = known[mxt_rng_below(v->rng, nk)];
        if (metropolis(s, v->rng, v->time[x])) {
            s->cur = x;
            s->cur_t = v->time[x];
        }
    }
    /* stuck: restart at the incumbent and take the model's best unmeasured */
    if (v->best >= 0) {
        s->cur = v->best;
        s->cur_t = v->time[v->best];
    }
    for (int i = 0; i < sp->n; i++)
        if (v->time[i] == 0) return i;
    return -1;
}

static void anneal_observe(void *state, const struct mxt_search_view *v, int cand, double t) {
    struct anneal_state *s = state;
    if (!(t > 0)) return;
    if (s->cur < 0) {
        s->cur = cand;
        s->cur_t = t;
        return;
    }
    if (metropolis(s, v->rng, t)) {
        s->cur = cand;
        s->cur_t = t;
    }
    s->temp = fmax(T_MIN, s->temp * COOLING);
}

const struct mxt_strategy mxt_strategy_anneal = {
    .name = "anneal",
    .summary = "simulated annealing over the grid, seeded at the model's best",
    .applicable = anneal_applicable,
    .init = anneal_init,
    .next = anneal_next,
    .observe = anneal_observe,
    .fini = free,
};
