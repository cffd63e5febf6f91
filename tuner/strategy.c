/* The registration table of the search strategies (tuner/), as FFTW's solvtab: one
 * const struct per strategy, each in its own strategy_<name>.c, found here by name;
 * and the seeded random stream they draw from. */
#include <string.h>
#include "mxt_tuner.h"

static const struct mxt_strategy *const table[] = {
    &mxt_strategy_model,
    &mxt_strategy_anneal,
    &mxt_strategy_random,
    &mxt_strategy_exhaustive,
};

const struct mxt_strategy *mxt_strategy_get(int i) {
    return i >= 0 && i < (int)MXT_ARRAY_LEN(table) ? table[i] : NULL;
}

int mxt_strategy_find(const char *name, const struct mxt_strategy **out) {
    for (size_t i = 0; name && i < MXT_ARRAY_LEN(table); i++) {
        if (strcmp(table[i]->name, name) == 0) {
            *out = table[i];
            return 0;
        }
    }
    return mxt_error(MXT_EINVAL, "unknown strategy '%s' (model, anneal, random, exhaustive)",
                     name ? name : "");
}

/* splitmix64 (Steele, Lea, Flood 2014): one 64-bit state, good enough for
 * choosing candidates, and the same sequence for the same seed everywhere. */
uint64_t mxt_rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int mxt_rng_below(uint64_t *state, int n) {
    return n > 0 ? (int)(mxt_rng_next(state) % (uint64_t)n) : 0;
}

double mxt_rng_unit(uint64_t *state) {
    return (double)(mxt_rng_next(state) >> 11) * 0x1.0p-53;
}
