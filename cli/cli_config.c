/* The configuration flags shared by `model`, `bench` and `search` (cli/): --dtype,
 * --schedule, --sizing, --mr, --nr, --mc, --kc, --nc, --alpha, --isa, --threads
 * (CLI.md, Configurations), parsed in one place, and the configuration's JSON. */
#include <cjson/cJSON.h>
#include "cli.h"
#include "mxt_common.h"

const char cli_config_help[] =
    "  --dtype T         f32 (default) or f64\n"
    "  --schedule S      cake (the I/O rule picks cake-kmn, cake-mkn or cake-nkm),\n"
    "                    cake-kmn, cake-mkn, cake-nkm, goto (threads split the rows),\n"
    "                    goto-jc (threads split the columns)\n"
    "  --sizing R        reference (the CAKE authors' rule), model (Low et al., goto),\n"
    "                    bandwidth (mxtune's rule for CAKE); default per schedule\n"
    "  --mr R --nr C     register tile (default: the model picks a kernel)\n"
    "  --mc --kc --nc    cache blocks; explicit values override the sizing rule\n"
    "  --alpha A         CAKE: nc = alpha * p * mc (cake-nkm: mc = alpha * p * nc)\n"
    "  --isa ISA         auto (default), generic, avx2, avx512\n"
    "  --threads P       threads (default: all cores)\n";

const char cli_env_help[] =
    "\nEnvironment: MXT_ISA=avx512|avx2|generic caps the kernels' instruction set;\n"
    "MXT_HUGEPAGES=1 (or on) puts packing buffers of 2 MiB and more on huge pages\n"
    "(default 0, off). A bad value is refused by name (exit 2).\n";

void cli_config_init(struct cli_config *c) {
    c->dtype = MXT_F32;
    c->cfg = (struct mxt_config){.schedule = MXT_SCHED_CAKE};
    c->sizing = MXT_SIZING_DEFAULT;
    c->given = 0;
}

int cli_config_option(int opt, const char *arg, struct cli_config *c) {
    int rc;
    switch (opt) {
    case CLI_OPT_DTYPE:
        rc = mxt_dtype_parse(arg, &c->dtype);
        break;
    case CLI_OPT_SCHEDULE:
        rc = mxt_schedule_parse(arg, &c->cfg.schedule);
        break;
    case CLI_OPT_SIZING:
        rc = mxt_sizing_parse(arg, &c->sizing);
        break;
    case CLI_OPT_ISA:
        rc = mxt_isa_parse(arg, &c->cfg.isa);
        break;
    case CLI_OPT_MR:
        rc = mxt_parse_int(arg, 1, 256, "--mr", &c->cfg.mr);
        break;
    case CLI_OPT_NR:
        rc = mxt_parse_int(arg, 1, 256, "--nr", &c->cfg.nr);
        break;
    case CLI_OPT_MC:
        rc = mxt_parse_i64(arg, 1, MXT_MODEL_MAX_DIM, "--mc", &c->cfg.mc);
        break;
    case CLI_OPT_KC:
        rc = mxt_parse_i64(arg, 1, MXT_MODEL_MAX_DIM, "--kc", &c->cfg.kc);
        break;
    case CLI_OPT_NC:
        rc = mxt_parse_i64(arg, 1, MXT_MODEL_MAX_DIM, "--nc", &c->cfg.nc);
        break;
    case CLI_OPT_ALPHA:
        rc = mxt_parse_double(arg, 1e-6, 1e6, "--alpha", &c->cfg.alpha);
        break;
    case CLI_OPT_THREADS:
        rc = mxt_parse_int(arg, 1, 65536, "--threads", &c->cfg.threads);
        break;
    default:
        return mxt_error(MXT_EINVAL, "not a configuration option (%d)", opt);
    }
    if (rc == 0) c->given |= 1u << (opt - CLI_OPT_DTYPE);
    return rc;
}

int cli_op_option(int which, const char *verb, const char *arg, enum mxt_op *op, double *density,
                  int *have_density, int64_t *rank, int *have_rank) {
    if (which == 'o') {
        const int rc = mxt_op_parse(arg, op);
        if (!rc && *op != MXT_OP_GEMM && *op != MXT_OP_SPMM && *op != MXT_OP_LOWRANK)
            return mxt_error(MXT_EINVAL, "--op %s: %s gemm, spmm and lowrank (no %s kernels yet)",
                             arg, verb, arg);
        return rc;
    }
    if (which == 'd') {
        *have_density = 1;
        const int rc = mxt_parse_double(arg, -1e300, 1e300, "--density", density);
        if (!rc && !(*density > 0 && *density <= 1))
            return mxt_error(MXT_EINVAL, "--density: '%s' is outside (0, 1]", arg);
        return rc;
    }
    *have_rank = 1;
    return mxt_parse_i64(arg, 1, MXT_MODEL_MAX_DIM, "--rank", rank);
}

int cli_dim_option(int opt, const char *arg, int64_t *m, int64_t *n, int64_t *k, int *have_m,
                   int *have_n, int *have_k) {
    int64_t *dst = opt == 'm' ? m : opt == 'n' ? n : k;
    int *have = opt == 'm' ? have_m : opt == 'n' ? have_n : have_k;
    const char *name = opt == 'm' ? "-m" : opt == 'n' ? "-n" : "-k";
    *have = 1;
    return mxt_parse_i64(arg, 1, MXT_MODEL_MAX_DIM, name, dst);
}
