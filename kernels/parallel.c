/* The thread team of the GEMM drivers (kernels/): one function run by nt threads
 * with barriers between packing and computing. OpenMP when the build found it
 * (MXT_HAVE_OPENMP), else POSIX threads created per call. */
#include <stdlib.h>
#include "mxt_common.h"
#include "mxt_kernels.h"

#ifdef MXT_HAVE_OPENMP
#include <omp.h>

struct mxt_team {
    int unused;
};

int mxt_team_run(int nthreads, mxt_team_fn fn, void *arg) {
    struct mxt_team team = {0};
    if (nthreads <= 1) {
        fn(&team, 0, 1, arg);
        return 0;
    }
    /* Inside an enclosing parallel region the team may get fewer threads than
     * asked (nesting is off by default); fn splits work by the size it gets. */
#pragma omp parallel num_threads(nthreads)
    fn(&team, omp_get_thread_num(), omp_get_num_threads(), arg);
    return 0;
}

void mxt_team_barrier(struct mxt_team *team) {
    (void)team;
    if (omp_in_parallel()) {
#pragma omp barrier
    }
}

#else
#include <pthread.h>

struct mxt_team {
    pthread_barrier_t barrier;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int go; /* 0 wait, 1 run, -1 give up */
    int nt;
};

struct team_member {
    struct mxt_team *team;
    mxt_team_fn fn;
    void *arg;
    int tid;
};

/* Members wait at a gate until the team size is known, so that a thread that
 * could not be created shrinks the team instead of leaving a barrier short. */
static void *member_main(void *p) {
    struct team_member *m = p;
    struct mxt_team *team = m->team;
    pthread_mutex_lock(&team->mu);
    while (team->go == 0)
        pthread_cond_wait(&team->cv, &team->mu);
    int go = team->go;
    pthread_mutex_unlock(&team->mu);
    if (go > 0) m->fn(team, m->tid, team->nt, m->arg);
    return NULL;
}

static void open_gate(struct mxt_team *team, int go) {
    pthread_mutex_lock(&team->mu);
    team->go = go;
    pthread_cond_broadcast(&team->cv);
    pthread_mutex_unlock(&team->mu);
}

int mxt_team_run(int nthreads, mxt_team_fn fn, void *arg) {
    struct mxt_team team = {.nt = 1};
    if (nthreads <= 1) {
        fn(&team, 0, 1, arg);
        return 0;
    }
    int rc = 0, started = 0;
    pthread_t *threads = calloc((size_t)nthreads, sizeof(*threads));
    struct team_member *members = calloc((size_t)nthreads, sizeof(*members));
    if (!threads || !members) {
        rc = mxt_error(MXT_ENOMEM, "cannot allocate a team of %d threads", nthreads);
        goto out;
    }
    pthread_mutex_init(&team.mu, NULL);
    pthread_cond_init(&team.cv, NULL);
    for (int t = 1; t < nthreads; t++) {
        members[t] = (struct team_member){&team, fn, arg, t};
        if (pthread_create(&threads[t], NULL, member_main, &members[t]) != 0) break;
        started++;
    }
    team.nt = started + 1;
    if (pthread_barrier_init(&team.barrier, NULL, (unsigned)team.nt) != 0) {
        open_gate(&team, -1);
        rc = mxt_error(MXT_ENOMEM, "cannot create a barrier for %d threads", team.nt);
    } else {
        open_gate(&team, 1);
        fn(&team, 0, team.nt, arg);
    }
    for (int t = 1; t <= started; t++)
        pthread_join(threads[t], NULL);
    if (rc == 0) pthread_barrier_destroy(&team.barrier);
    pthread_cond_destroy(&team.cv);
    pthread_mutex_destroy(&team.mu);
out:
    free(threads);
    free(members);
    return rc;
}

void mxt_team_barrier(struct mxt_team *team) {
    if (team->nt > 1) pthread_barrier_wait(&team->barrier);
}
#endif
