/* Strategy `model` (tuner/): measure the model's top-k, best predicted first
 * (Triton's model-pruned top-k). k is the evaluation budget: the search stops
 * it; without one it walks the whole ranked space. */
#include <stdlib.h>
#include "mxt_tuner.h"

struct model_state {
    int next; /* rank of the next candidate to try */
};

static int model_applicable(const struct mxt_space *sp) {
    return sp->n > 0;
}

static int model_init(const struct mxt_search_view *v, void **state) {
    (void)v;
    struct model_state *s = calloc(1, sizeof *s);
    if (!s) return mxt_error(MXT_ENOMEM, "out of memory");
    *state = s;
    return 0;
}

static int model_next(void *state, const struct mxt_search_view *v) {
    struct model_state *s = state;
    while (s->next < v->space->n && v->time[s->next] != 0)
        s->next++;
    return s->next < v->space->n ? s->next++ : -1;
}

static void model_observe(void *state, const struct mxt_search_view *v, int cand, double t) {
    (void)state, (void)v, (void)cand, (void)t;
}

const struct mxt_strategy mxt_strategy_model = {
    .name = "model",
    .summary = "measure the model's best-ranked candidates in order",
    .applicable = model_applicable,
    .init = model_init,
    .next = model_next,
    .observe = model_observe,
    .fini = free,
};
