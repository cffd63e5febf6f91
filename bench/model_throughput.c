/* Model throughput (bench/): candidate configurations per second the model scores
 * on one core over a tuner-like space (target 10^6/s, ARCHITECTURE.md).
 * usage: model_throughput [MACHINE_FILE] [SECONDS]; exit 3 below the target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxt_common.h"
#include "mxtune/machine.h"
#include "mxtune/model.h"

#define MAX_CANDS 4096

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "tests/data/machines/i9-10900k.json";
    double budget = 1.0;
    if (argc > 2 && mxt_parse_double(argv[2], 0.05, 60, "seconds", &budget)) {
        fprintf(stderr, "model_throughput: %s\n", mxt_last_error());
        return 2;
    }
    struct mxt_machine m;
    struct mxt_model_machine mm;
    if (mxt_machine_load_file(path, &m) || mxt_model_machine_init(&mm, &m)) {
        fprintf(stderr, "model_throughput: %s\n", mxt_last_error());
        return 1;
    }
    /* the candidate space per dtype: every schedule, a ladder of blocks on the
     * dtype's default kernel, a few thread counts */
    static struct mxt_config cands[2][MAX_CANDS];
    int n = 0;
    const enum mxt_schedule sched[] = {MXT_SCHED_CAKE_KMN, MXT_SCHED_CAKE_MKN, MXT_SCHED_CAKE_NKM,
                                       MXT_SCHED_GOTO, MXT_SCHED_CAKE};
    for (int dt = 0; dt < 2; dt++) {
        const int mr = mm.kernel_mr[dt], nr = mm.kernel_nr[dt];
        n = 0;
        for (size_t s = 0; s < MXT_ARRAY_LEN(sched); s++)
            for (int im = 0; im <= 8 && n < MAX_CANDS; im++)
                for (int ik = 0; ik <= 6 && n < MAX_CANDS; ik++)
                    for (int p = 1; p <= mm.cores && n < MAX_CANDS; p += (mm.cores + 3) / 4) {
                        struct mxt_config c = {.schedule = sched[s], .threads = p};
                        if (im) c.mr = mr, c.nr = nr, c.mc = (int64_t)mr * 4 * im;
                        if (ik) c.mr = mr, c.nr = nr, c.kc = 32 * ik;
                        cands[dt][n++] = c;
                    }
    }
    const struct mxt_problem shapes[] = {
        {.op = MXT_OP_GEMM, .dtype = MXT_F32, .m = 4096, .n = 4096, .k = 4096},
        {.op = MXT_OP_GEMM, .dtype = MXT_F32, .m = 1000, .n = 333, .k = 2500},
        {.op = MXT_OP_GEMM, .dtype = MXT_F64, .m = 64, .n = 50000, .k = 512},
    };
    struct mxt_prediction pr;
    double t0 = mxt_clock_monotonic(NULL), t = t0, checksum = 0;
    long evals = 0, failed = 0;
    while (t - t0 < budget) {
        for (int i = 0; i < n; i++) {
            const struct mxt_problem *pb = &shapes[i % MXT_ARRAY_LEN(shapes)];
            if (mxt_model_evaluate(&mm, pb, &cands[pb->dtype][i], MXT_SIZING_DEFAULT, &pr) == 0)
                checksum += pr.seconds;
            else
                failed++;
        }
        evals += n;
        t = mxt_clock_monotonic(NULL);
    }
    double rate = (double)evals / (t - t0);
    printf("model_throughput: %ld evaluations in %.3f s on one core: %.3g evaluations/s "
           "(%.2fx the 1e6/s target); %d candidates x %zu shapes, %ld rejected, checksum %.6g\n",
           evals, t - t0, rate, rate / 1e6, n, MXT_ARRAY_LEN(shapes), failed, checksum);
    return rate >= 1e6 ? 0 : 3;
}
