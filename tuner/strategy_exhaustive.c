/* Strategy `exhaustive` (tuner/): every candidate of the pruned grid in grid order.
 * The pruning is structural, never the model's opinion: the coarse block grid, every
 * schedule and micro-kernel of the widest ISA, the problem's threads, the default. */
#include <stdlib.h>
#include "mxt_tuner.h"

struct exhaustive_state {
    int n, next;
    int list[];
};

static int on_grid(const struct mxt_candidate *c) {
    const unsigned need = MXT_CAND_COARSE | MXT_CAND_WIDEST;
    return (c->flags & need) == need || (c->flags & MXT_CAND_DEFAULT);
}

static int exhaustive_applicable(const struct mxt_space *sp) {
    for (int i = 0; i < sp->n; i++)
        if (on_grid(&sp->c[i])) return 1;
    return 0;
}

static int cmp_grid(const void *a, const void *b, const struct mxt_space *sp) {
    const struct mxt_candidate *x = &sp->c[*(const int *)a], *y = &sp->c[*(const int *)b];
    for (int d = 0; d < MXT_NDIMS; d++)
        if (x->coord[d] != y->coord[d]) return x->coord[d] < y->coord[d] ? -1 : 1;
    return 0;
}

static int exhaustive_init(const struct mxt_search_view *v, void **state) {
    const struct mxt_space *sp = v->space;
    struct exhaustive_state *s = malloc(sizeof *s + (size_t)sp->n * sizeof(int));
    if (!s) return mxt_error(MXT_ENOMEM, "out of memory");
    s->n = 0;
    s->next = 0;
    for (int i = 0; i < sp->n; i++)
        if (on_grid(&sp->c[i])) s->list[s->n++] = i;
    /* grid order: insertion sort (the list is built in rank order) */
    for (int i = 1; i < s->n; i++) {
        int x = s->list[i], j = i - 1;
        while (j >= 0 && cmp_grid(&s->list[j], &x, sp) > 0) {
            s->list[j + 1] = s->list[j];
            j--;
        }
        s->list[j + 1] = x;
    }
    *state = s;
    return 0;
}

static int exhaustive_next(void *state, const struct mxt_search_view *v) {
    struct exhaustive_state *s = state;
    while (s->next < s->n && v->time[s->list[s->next]] != 0)
        s->next++;
    return s->next < s->n ? s->list[s->next++] : -1;
}

static void exhaustive_observe(void *state, const struct mxt_search_view *v, int cand, double t) {
    (void)state, (void)v, (void)cand, (void)t;
}

const struct mxt_strategy mxt_strategy_exhaustive = {
    .name = "exhaustive",
    .summary = "every candidate of the pruned grid (coarse blocks, widest ISA)",
    .applicable = exhaustive_applicable,
    .init = exhaustive_init,
    .next = exhaustive_next,
    .observe = exhaustive_observe,
    .fini = free,
};
