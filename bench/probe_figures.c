/* One figure of `mxtune probe`, measured with the probe's own kernels and
 * harness settings (default mode), for the side-by-side comparison with
 * likwid-bench in bench/probe_vs_likwid.sh.
 * usage: probe_figures read_1t|read_all|triad_1t|triad_all|f32_1t|f32_all|f64_1t|f64_all [BYTES] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include "probes.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: probe_figures FIGURE [BYTES]\n");
        return 2;
    }
    const char *what = argv[1];
    uint64_t bytes = (uint64_t)384 << 20;
    if (argc > 2 && mxt_parse_size(argv[2], "BYTES", &bytes)) {
        fprintf(stderr, "probe_figures: %s\n", mxt_last_error());
        return 2;
    }
    struct mxt_harness h;
    mxt_harness_defaults(&h);
    h.min_sample_s = 0.02; /* the probe's DRAM phase settings */
    h.max_total_s = 0.3;
    h.repeats = 5;
    int all = omp_get_num_procs();
    int threads = strstr(what, "_all") ? all : 1;
    if (!strncmp(what, "read", 4) || !strncmp(what, "triad", 5)) {
        struct mxt_bw_sample s;
        enum mxt_bw_kernel k = what[0] == 'r' ? MXT_BW_READ : MXT_BW_TRIAD;
        if (mxt_bandwidth(&h, k, (size_t)bytes, threads, &s)) {
            fprintf(stderr, "probe_figures: %s\n", mxt_last_error());
            return 1;
        }
        printf("%.3f GB/s (%s, %d thread%s, %llu MiB)\n", s.best_GBps,
               k == MXT_BW_READ ? "read" : "triad", threads, threads > 1 ? "s" : "",
               (unsigned long long)(bytes >> 20));
        return 0;
    }
    if (!strncmp(what, "f32", 3) || !strncmp(what, "f64", 3)) {
        struct mxt_harness hf;
        mxt_harness_defaults(&hf);
        hf.min_sample_s = 1e-3;
        hf.repeats = 3;
        hf.max_total_s = 0.25;
        double ghz = 0;
        struct mxt_flops_result r;
        if (mxt_clock_probe(&hf, &ghz) || mxt_flops_probe(&hf, all, ghz, &r)) {
            fprintf(stderr, "probe_figures: %s\n", mxt_last_error());
            return 1;
        }
        double v = !strcmp(what, "f32_1t")    ? r.f32_1t
                   : !strcmp(what, "f32_all") ? r.f32_all
                   : !strcmp(what, "f64_1t")  ? r.f64_1t
                                              : r.f64_all;
        printf("%.3f GFLOP/s (%d-bit FMA, %d thread%s)\n", v, r.widest_bits, threads,
               threads > 1 ? "s" : "");
        return 0;
    }
    fprintf(stderr, "probe_figures: unknown figure '%s'\n", what);
    return 2;
}
