/* Strategy `random` (tuner/): candidates in a uniformly random order drawn
 * from the seed (a Fisher-Yates permutation of the legal space); the baseline
 * every guided strategy must beat. */
#include <stdlib.h>
#include "mxt_tuner.h"

struct random_state {
    int n, next;
    int perm[];
};

static int random_applicable(const struct mxt_space *sp) {
    return sp->n > 0;
}

static int random_init(const struct mxt_search_view *v, void **state) {
    int n = v->space->n;
    struct random_state *s = malloc(sizeof *s + (size_t)n * sizeof(int));
    if (!s) return mxt_error(MXT_ENOMEM, "out of memory");
    s->n = n;
    s->next = 0;
    for (int i = 0; i < n; i++)
        s->perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = mxt_rng_below(v->rng, i + 1), t = s->perm[i];
        s->perm[i] = s->perm[j];
        s->perm[j] = t;
    }
    *state = s;
    return 0;
}

static int random_next(void *state, const struct mxt_search_view *v) {
    struct random_state *s = state;
    while (s->next < s->n && v->time[s->perm[s->next]] != 0)
        s->next++;
    return s->next < s->n ? s->perm[s->next++] : -1;
}

static void random_observe(void *state, const struct mxt_search_view *v, int cand, double t) {
    (void)state, (void)v, (void)cand, (void)t;
}

const struct mxt_strategy mxt_strategy_random = {
    .name = "random",
    .summary = "candidates in a random order (seeded)",
    .applicable = random_applicable,
    .init = random_init,
    .next = random_next,
    .observe = random_observe,
    .fini = free,
};
