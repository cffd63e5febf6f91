#!/usr/bin/env bash
# mxtune's GEMM (kernels/ through build/bench/gemm_run) against OpenBLAS and BLIS,
# each at its best, side by side in one run, interleaved per pair
# (mxtune, openblas, blis, mxtune, openblas, blis, ...): for every shape, dtype and
# thread count it prints the median GFLOP/s of each, the median of the per-pair
# ratios mxtune/peer (and their range), mxtune's % of the probe's FMA peak, and the
# issue's targets beside them (issue 4):
#   2048^3, f32 and f64: >= 0.95x OpenBLAS and >= 90 % of peak
#   skewed (M = N = 4096, K = 64/128/256; M = 8192, N = K = 1024): >= 1.0x OpenBLAS
# Each call of a pair is one process: a warm-up call, then R timed calls, the best
# GFLOP/s kept (R = 2e10 flops / (2MNK), 3 to 30). Same operands, column
# major, no transpose, alpha = 1, beta = 0 on all sides.
# One-thread rows run pinned (taskset) to the CPU whose FMA peak measures highest
# just before the row, all three sides alike ("mxtune ran" names it): the vCPUs of
# our guests do not run at the same speed at the same time (docs/benchmarks.md,
# session 5). Each pair of a one-thread or
# all-CPU row also measures the FMA peak beside it on the same CPUs (probe_figures);
# "%now" is the median over pairs of mxtune's GFLOP/s over that peak. The verdicts
# use the probe's stored peak ("%peak"), not %now.
#
# Peers at their best:
#  * OpenBLAS with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its
#    environment (this command only), so that it picks its kernel from the CPU;
#    openblas_get_corename() / openblas_get_config() are printed. Where that pick
#    is not an AVX-512 core on an AVX-512 CPU (0.3.21 takes Prescott on models it
#    does not know), SkylakeX, Cooperlake and Haswell are timed and the fastest forced.
#  * BLIS: Debian's BLIS 0.9 falls back to its generic kernels on CPUs it does not
#    know (Zen 5). Every candidate sub-configuration (skx zen4 zen3 haswell, those
#    this BLIS has) is timed at 2048^3 on one thread, interleaved, and the fastest
#    per dtype is forced with BLIS_ARCH_TYPE (a number in BLIS 0.9); what BLIS
#    reports (BLIS_ARCH_DEBUG, bli_arch_query_id()) is printed.
# The peers' harness (bench/peers/gemm_peers.c) is built here into a temporary
# directory; packages that are missing are installed (apt-get; sudo when not root).
#
# usage: bench/gemm_vs_peers.sh [--quick | --scaling] [--pairs N] [--reps R] [--threads "1 2"]
#                               [--dtypes "f32 f64"] [--shapes "MxNxK ..."]
#                               [--config default|model|tuned] [--split rows|columns]
#                               [--search]
#   --quick    4 shapes, 3 pairs (a few minutes); default all 7 shapes, 5 pairs
#   --scaling  multi-core scaling (issue 4, item 3): f32 4096^3 at 1, 2, 4, 8, 16
#              threads (those up to this machine's CPU count), 3 pairs; each row
#              also prints the model's DRAM bandwidth demand for the configuration
#              mxtune ran and for CAKE at that thread count (`mxtune model`), and
#              the target at the largest thread count: >= 0.9x BLIS
#   --reps R   timed calls per process for every row (default: about 2e10 flops'
#              worth, 3 to 30); the same R for mxtune and the peers
#   --config   mxtune's configuration: default (gemm_run's fallbacks: goto, widest
#              ISA, first micro-kernel; the default), model (the configuration
#              `mxtune model` picks for the shape, dtype and threads) or tuned (what
#              `mxtune lookup` returns, i.e. what mxt_sgemm/mxt_dgemm run: the
#              database's winner after `mxtune search`, else the model's pick)
#   --split    how mxtune's default goto configuration shares the work among
#              threads: rows (schedule goto, the default) or columns (goto-jc)
#   --search   tune first: copy the database (mxtune db merge into a scratch file;
#              yours is not written), run `mxtune search` on every row's problem
#              there (each thread count of --threads; stored results are resumed,
#              not measured again), then measure with --config tuned. As the peers
#              run their fastest kernel, mxtune runs what its tuner picks for the
#              problem. The four 2048^3 rows took 2 min 41 s on the Zen 5 guest
#              (searching and measuring), the full set 18 minutes.
# environment: PEERS_DIR, a directory with gemm_openblas and gemm_blis built from
#   bench/peers/gemm_peers.c elsewhere (for a machine without a network): then
#   nothing is installed or built, and build/ must hold gemm_run and mxtune.
set -euo pipefail
cd "$(dirname "$0")/.."

SHAPES_ALL="512x512x512 2048x2048x2048 4096x4096x4096 4096x4096x64 4096x4096x128 4096x4096x256 8192x1024x1024"
SHAPES_QUICK="2048x2048x2048 4096x4096x64 4096x4096x256 8192x1024x1024"
PAIRS="" REPS="" SHAPES="" THREADS="" DTYPES="" QUICK=0 SCALING=0 CONFIG=default SPLIT=rows SEARCH=0
while [ $# -gt 0 ]; do
    case $1 in
        --quick) QUICK=1 ;;
        --scaling) SCALING=1 ;;
        --pairs) PAIRS=$2; shift ;;
        --reps) REPS=$2; shift ;;
        --threads) THREADS=$2; shift ;;
        --dtypes) DTYPES=$2; shift ;;
        --shapes) SHAPES=$2; shift ;;
        --config) CONFIG=$2; shift ;;
        --split) SPLIT=$2; shift ;;
        --search) SEARCH=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "gemm_vs_peers: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
case $CONFIG in default|model|tuned) ;; *) echo "gemm_vs_peers: --config default|model|tuned" >&2; exit 2 ;; esac
[ "$SPLIT" = rows ] || [ "$SPLIT" = columns ] || { echo "gemm_vs_peers: --split rows|columns" >&2; exit 2; }
if [ "$SEARCH" = 1 ]; then
    [ "$CONFIG" = default ] || [ "$CONFIG" = tuned ] || { echo "gemm_vs_peers: --search measures --config tuned, not $CONFIG" >&2; exit 2; }
    CONFIG=tuned
fi
NPROC=$(nproc)
if [ "$SCALING" = 1 ]; then
    st=""
    for p in 1 2 4 8 16; do [ "$p" -le "$NPROC" ] && st="$st $p"; done
    : "${PAIRS:=3}" "${SHAPES:=4096x4096x4096}" "${THREADS:=${st# }}" "${DTYPES:=f32}"
elif [ "$QUICK" = 1 ]; then
    : "${PAIRS:=3}" "${SHAPES:=$SHAPES_QUICK}"
else
    : "${PAIRS:=5}" "${SHAPES:=$SHAPES_ALL}"
fi
: "${THREADS:=1 2}" "${DTYPES:=f32 f64}"
MAXTHR=$(printf "%s\n" $THREADS | sort -n | tail -1)

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
GR=build/bench/gemm_run MXT=build/mxtune
if [ -n "${PEERS_DIR:-}" ]; then
    cp "$PEERS_DIR/gemm_openblas" "$PEERS_DIR/gemm_blis" "$TMP/"
    OBLIB="(prebuilt $PEERS_DIR/gemm_openblas)" BLLIB="(prebuilt $PEERS_DIR/gemm_blis)"
else
    # --- peers installed? -------------------------------------------------------
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
    need=""
    installed libopenblas-dev || installed libopenblas0-pthread || need="$need libopenblas-dev"
    installed libblis-dev || need="$need libblis-dev"
    command -v cc >/dev/null || need="$need gcc"
    command -v jq >/dev/null || need="$need jq"
    if [ -n "$need" ]; then
        echo "installing:$need" >&2
        # shellcheck disable=SC2086 # $need is a list of package names
        $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >&2
    fi
    if [ ! -x "$GR" ] || [ ! -x "$MXT" ]; then make build >&2; fi

    # --- build the peers' harness -----------------------------------------------
    TRIPLET=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
    # A threaded variant of each (a serial one cannot run 2 threads).
    pick_variant() { # prefix -> first of openmp, pthread, serial with a library
        for v in openmp pthread serial; do
            for l in "/usr/lib/$TRIPLET/$1-$v/lib$2.so" "/usr/lib/$TRIPLET/$1-$v/lib$2.so.0"; do
                [ -e "$l" ] && { echo "$v $l"; return 0; }
            done
        done
        return 1
    }
    read -r OBV OBLIB < <(pick_variant openblas openblas) || { echo "no OpenBLAS library found" >&2; exit 1; }
    read -r BLV BLLIB < <(pick_variant blis blis) || { echo "no BLIS library found" >&2; exit 1; }
    if [ ! -e "/usr/include/$TRIPLET/openblas-$OBV/cblas.h" ]; then # libopenblas0-* without headers
        echo "installing libopenblas-dev (headers)" >&2
        $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libopenblas-dev >&2
        read -r OBV OBLIB < <(pick_variant openblas openblas)
    fi
    CFLAGS=(-O2 -std=c11 -Wall -Wextra)
    cc "${CFLAGS[@]}" -DPEER_OPENBLAS -isystem "/usr/include/$TRIPLET/openblas-$OBV" \
        bench/peers/gemm_peers.c -o "$TMP/gemm_openblas" "$OBLIB" -Wl,-rpath,"$(dirname "$OBLIB")"
    OMPFLAG=()
    [ "$BLV" = openmp ] && OMPFLAG=(-fopenmp)
    cc "${CFLAGS[@]}" -DPEER_BLIS -isystem "/usr/include/$TRIPLET/blis-$BLV" \
        bench/peers/gemm_peers.c -o "$TMP/gemm_blis" "$BLLIB" -Wl,-rpath,"$(dirname "$BLLIB")" \
        "${OMPFLAG[@]}" -lm -lpthread
fi
OB=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$TMP/gemm_openblas")

# --- small helpers ----------------------------------------------------------
gflops_of() { sed -n 's/.*best \([0-9.]*\) GFLOP\/s.*/\1/p' | tail -1; }
med() { printf "%s\n" "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
minmax() { printf "%s\n" "$@" | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4f", a / b; else print "nan" }'; }
# timed calls per process: about 2e10 flops' worth, 3 to 30
reps_for() { awk -v f="$1" 'BEGIN { r = int(2e10 / f); if (r < 3) r = 3; if (r > 30) r = 30; print r }'; }

echo "# gemm_vs_peers: $(date -u +%Y-%m-%dT%H:%MZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $NPROC CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# --- --search: mxtune tuned for these problems, in a copy of the database -------
if [ "$SEARCH" = 1 ]; then
    src=$("$MXT" db list --json 2>/dev/null | jq -r '.db // empty' || true) # none yet: ""
    export MXTUNE_DB=$TMP/search.db
    if [ -n "$src" ] && [ -e "$src" ]; then "$MXT" db merge "$src" >/dev/null; fi
    if ! "$MXT" machine show >/dev/null 2>&1; then
        echo "# --search: no stored profile of this machine; running mxtune probe first" >&2
        "$MXT" probe >&2
    fi
    for t in $THREADS; do
        for s in $SHAPES; do for d in $DTYPES; do echo "${s//x/ } $d"; done; done >"$TMP/shapes"
        echo "# --search: mxtune search --shapes <$(wc -l <"$TMP/shapes") problems> --threads $t (in a copy of ${src:-no database}), started $(date -u +%H:%M:%SZ)"
        "$MXT" search --shapes "$TMP/shapes" --threads "$t" >"$TMP/search.out"
        while read -r m n k d; do
            "$MXT" lookup --op gemm -m "$m" -n "$n" -k "$k" --dtype "$d" --threads "$t" --json |
                jq -r --arg p "$d ${m}x${n}x${k} ${t}t" '"#   \($p): \(.config.schedule) \(.config.isa) \(.config.mr)x\(.config.nr) mc=\(.config.mc) kc=\(.config.kc) nc=\(.config.nc), \(.gflops * 10 | round / 10) GFLOP/s (\(.source))"'
        done <"$TMP/shapes"
    done
fi

# --- what each peer runs ----------------------------------------------------
echo "# OpenBLAS ($OBLIB): $("${OB[@]}" --info)   [OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset]"
echo "#   (with this shell's environment it would run: $("$TMP/gemm_openblas" --info | sed 's/ config=.*//'))"
# OpenBLAS 0.3.21 falls back to Prescott (SSE3) on x86 models it does not know (seen
# on a recent Xeon): then its own choice is not its best, so time its AVX-512 and
# AVX2 cores (2048^3 f32, 1 thread, 3 rounds) and force the fastest.
ob_core=$("${OB[@]}" --info | sed -n 's/.*core=\([^ ]*\).*/\1/p')
if grep -qw avx512f /proc/cpuinfo && [[ ! $ob_core =~ ^(SkylakeX|Cooperlake|SapphireRapids)$ ]]; then
    declare -A osc=()
    for _ in 1 2 3; do
        for ct in SkylakeX Cooperlake Haswell; do
            g=$(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=$ct "$TMP/gemm_openblas" --threads 1 --reps 3 | gflops_of)
            osc[$ct]="${osc[$ct]:-} $g"
        done
    done
    best="" bestg=0 line=""
    for ct in SkylakeX Cooperlake Haswell; do
        # shellcheck disable=SC2086
        g=$(med ${osc[$ct]}); line="$line $ct=$g"
        awk -v g="$g" -v b="$bestg" 'BEGIN { exit !(g > b) }' && { best=$ct; bestg=$g; }
    done
    OB=(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="$best" "$TMP/gemm_openblas")
    echo "#   its own choice, $ob_core, is not an AVX-512 core; 2048^3 f32 1 thread, median of 3:$line"
    echo "#   -> forced: $("${OB[@]}" --info)"
fi
blis_auto=$(env -u BLIS_ARCH_TYPE BLIS_ARCH_DEBUG=1 "$TMP/gemm_blis" --info 2>&1 | tr '\n' ' ')
echo "# BLIS ($BLLIB) left alone: $blis_auto"
declare -A ARCHID
while read -r id name; do ARCHID[$name]=$id; done < <(env -u BLIS_ARCH_TYPE "$TMP/gemm_blis" --list-archs)
CANDS=()
for a in skx zen4 zen3 haswell; do
    if [ -n "${ARCHID[$a]:-}" ]; then CANDS+=("$a"); else echo "#   sub-configuration $a: not in this BLIS"; fi
done
declare -A BLIS_BEST
for dt in $DTYPES; do
    declare -A sc=()
    for _ in 1 2 3; do
        for a in "${CANDS[@]}"; do
            g=$(BLIS_ARCH_TYPE=${ARCHID[$a]} "$TMP/gemm_blis" -m 2048 -n 2048 -k 2048 --dtype "$dt" --threads 1 --reps 3 | gflops_of)
            sc[$a]="${sc[$a]:-} $g"
        done
    done
    best="" bestg=0 line=""
    for a in "${CANDS[@]}"; do
        # shellcheck disable=SC2086
        g=$(med ${sc[$a]})
        line="$line $a=$g"
        awk -v g="$g" -v b="$bestg" 'BEGIN { exit !(g > b) }' && { best=$a; bestg=$g; }
    done
    BLIS_BEST[$dt]=$best
    dbg=$(BLIS_ARCH_DEBUG=1 BLIS_ARCH_TYPE=${ARCHID[$best]} "$TMP/gemm_blis" --info 2>&1 | grep -m1 libblis || true)
    echo "# BLIS $dt sub-configurations, 2048^3 1 thread, median GFLOP/s of 3:$line -> BLIS_ARCH_TYPE=${ARCHID[$best]} ($best); BLIS says: $dbg"
    unset sc
done

# --- the probe's FMA peak ---------------------------------------------------
prof=$("$MXT" machine show --json 2>/dev/null || true)
# The peak for (dtype, threads): the stored profile's, else measured now by
# probe_figures. Measured once per key up front (peak_fill, in this shell): a
# re-measurement per row would move with the load (on the shared Xeon one row got
# 679 GFLOP/s for the 16-thread f32 peak, another 1205).
declare -A PEAK_OF
peak_fill() { # dtype threads
    local key v
    if [ "$2" != 1 ] && [ "$2" != "$NPROC" ]; then # threads x the one-thread peak
        [ -n "${PEAK_OF[$1_1]:-}" ] || peak_fill "$1" 1
        PEAK_OF[$1_$2]=$(awk -v v="${PEAK_OF[$1_1]}" -v p="$2" 'BEGIN {print v * p}')
        return
    fi
    if [ "$2" = 1 ]; then key=${1}_1t; else key=${1}_all; fi
    v=$(jq -r ".compute.peak_gflops.$key // empty" <<<"$prof" 2>/dev/null || true)
    if [ -z "$v" ]; then
        [ -x build/bench/probe_figures ] || make build >&2
        v=$(build/bench/probe_figures "$key" | awk '{print $1}')
    fi
    PEAK_OF[$1_$2]=$v
}
for d in f32 f64; do for t in 1 "$NPROC" $THREADS; do [ -n "${PEAK_OF[${d}_$t]:-}" ] || peak_fill "$d" "$t"; done; done
peak() { echo "${PEAK_OF[$1_$2]}"; }
# The FMA peak as the machine gives it at this moment (probe_figures, about a second):
# printed at the start and the end, beside the stored peak the verdicts use, because
# these guests have slow and fast phases that move the FMA peak too.
peak_now() {
    [ -x build/bench/probe_figures ] || make build >&2
    local d out=""
    for d in f32 f64; do
        out="$out$d 1t $(build/bench/probe_figures ${d}_1t | awk '{print $1}') / ${NPROC}t $(build/bench/probe_figures ${d}_all | awk '{print $1}'), "
    done
    echo "${out%, } GFLOP/s"
}
echo "# peak (probe, $( [ -n "$prof" ] && echo "stored profile, mxtune machine show" || echo "measured now, probe_figures")): f32 1t $(peak f32 1) / ${NPROC}t $(peak f32 "$NPROC"), f64 1t $(peak f64 1) / ${NPROC}t $(peak f64 "$NPROC") GFLOP/s"
echo "# FMA peak measured now (not used for the verdicts): $(peak_now)"
# The CPU for one-thread rows: the highest FMA peak (of the row's dtype) among the
# CPUs this process may use, measured before every one-thread row (probe_figures,
# well under a second each); PIN_LINE keeps every CPU's figure.
allowed_cpus() {
    awk '/^Cpus_allowed_list/ { n = split($2, r, ",")
        for (i = 1; i <= n; i++)
            if (split(r[i], ab, "-") == 2) { for (c = ab[1]; c <= ab[2]; c++) print c } else print r[i] }' /proc/self/status
}
PIN="" PIN_LINE=""
CAN_PIN=0
[ "$NPROC" -gt 1 ] && command -v taskset >/dev/null && CAN_PIN=1
pick_cpu() { # dtype: sets PIN and PIN_LINE
    local c g bestg=0
    PIN="" PIN_LINE=""
    [ "$CAN_PIN" = 1 ] || return 0
    for c in $(allowed_cpus); do
        g=$(taskset -c "$c" build/bench/probe_figures "$1_1t" | awk '{print $1}')
        PIN_LINE="$PIN_LINE cpu$c=$g"
        if awk -v g="$g" -v b="$bestg" 'BEGIN { exit !(g > b) }'; then PIN=$c bestg=$g; fi
    done
}
if [[ " $THREADS " == *" 1 "* ]] && [ "$CAN_PIN" = 1 ]; then
    echo "# one-thread rows: pinned to the CPU with the highest FMA peak, chosen before each row (named in the row)"
fi
on_cpus() { # threads command... : pinned for one thread, else as it is
    local p=$1
    shift
    if [ "$p" = 1 ] && [ -n "$PIN" ]; then taskset -c "$PIN" "$@"; else "$@"; fi
}
# The FMA peak beside a pair (same CPUs): one-thread and all-CPU rows; else empty.
peak_beside() { # dtype threads
    if [ "$2" = 1 ]; then
        on_cpus 1 build/bench/probe_figures "$1_1t" | awk '{print $1}'
    elif [ "$2" = "$NPROC" ]; then
        build/bench/probe_figures "$1_all" | awk '{print $1}'
    fi
}
echo "# mxtune configuration: $CONFIG, split $SPLIT; $PAIRS interleaved pairs per row; each figure the median over pairs of the best of R calls (R: ${REPS:-about 2e10 flops worth, 3 to 30})"
echo "# %peak: of the stored peak (the verdicts); %now: median over pairs of mxtune over the FMA peak measured beside each pair"
echo "# ratios: median of the per-pair ratios mxtune/peer [min-max over pairs]; best/best: each side's"
echo "# best pair over its best pair (less sensitive to other load on the machine, not the headline figure)"
echo

mxt_args() { # dtype threads m n k -> gemm_run configuration flags
    [ "$CONFIG" = default ] && [ "$SPLIT" = columns ] && echo "--schedule goto-jc"
    if [ "$CONFIG" = tuned ]; then # what mxt_sgemm/mxt_dgemm get: `mxtune lookup`
        "$MXT" lookup --op gemm -m "$3" -n "$4" -k "$5" --dtype "$1" --threads "$2" --json |
            jq -r '.config | "--schedule \(.schedule) --isa \(.isa) --mr \(.mr) --nr \(.nr) --mc \(.mc) --kc \(.kc) --nc \(.nc)"'
    fi
    if [ "$CONFIG" = model ]; then
        "$MXT" model --op gemm -m "$3" -n "$4" -k "$5" --dtype "$1" --threads "$2" --json |
            jq -r '"--schedule \(.schedule) --isa \(.config.isa) --mr \(.mr) --nr \(.nr) --mc \(.mc) --kc \(.kc) --nc \(.nc)"'
    fi
}

# --scaling: the model's DRAM demand (GB/s) and predicted GFLOP/s for the configuration
# mxtune ran, and for CAKE (the I/O rule's pick) at the same thread count.
model_dram() { # dtype threads m n k [gemm_run configuration flags...]
    local dt=$1 p=$2 m=$3 n=$4 k=$5
    shift 5
    "$MXT" model --op gemm -m "$m" -n "$n" -k "$k" --dtype "$dt" --threads "$p" "$@" --json 2>/dev/null |
        jq -r '"\(.required_dram_GBps * 100 | round / 100) GB/s \(.predicted_gflops | round) GF/s"' || echo "n/a"
}
if [ "$SCALING" = 1 ]; then
    echo "# model columns: the model's DRAM traffic / predicted time (GB/s it needs) and predicted GFLOP/s,"
    echo "# for what mxtune ran (its schedule and blocks) and for CAKE with the model's own blocks"
fi
printf "%-4s %-3s %-16s %9s %9s %9s  %-19s %-19s %-9s %6s %6s  %-32s %s\n" type thr "M x N x K" mxtune openblas blis \
    "mxt/openblas" "mxt/blis" "best/best" "%peak" "%now" target "mxtune ran"
fails=0 checked=0
for dt in $DTYPES; do
    blis_env=(BLIS_ARCH_TYPE="${ARCHID[${BLIS_BEST[$dt]}]}")
    for p in $THREADS; do
        pk=$(peak "$dt" "$p")
        for shape in $SHAPES; do
            IFS=x read -r m n k <<<"$shape"
            fl=$(awk -v m="$m" -v n="$n" -v k="$k" 'BEGIN {print 2 * m * n * k}')
            reps=${REPS:-$(reps_for "$fl")}
            # shellcheck disable=SC2046
            read -r -a cfg <<<"$(mxt_args "$dt" "$p" "$m" "$n" "$k")"
            [ "$p" = 1 ] && pick_cpu "$dt"
            gm=() go=() gb=() ro=() rb=() rn=() ran=""
            for ((i = 0; i < PAIRS; i++)); do
                out=$(on_cpus "$p" "$GR" -m "$m" -n "$n" -k "$k" --dtype "$dt" --threads "$p" --reps "$reps" "${cfg[@]}")
                a=$(gflops_of <<<"$out")
                ran=$(sed -n 's/.*schedule=\([^ ]*\) isa=\([^ ]*\) mr=\([0-9]*\) nr=\([0-9]*\) mc=\([0-9]*\) kc=\([0-9]*\) nc=\([0-9]*\).*/\1 \2 \3x\4 mc=\5 kc=\6 nc=\7/p' <<<"$out")
                b=$(on_cpus "$p" "${OB[@]}" -m "$m" -n "$n" -k "$k" --dtype "$dt" --threads "$p" --reps "$reps" | gflops_of)
                c=$(on_cpus "$p" env "${blis_env[@]}" "$TMP/gemm_blis" -m "$m" -n "$n" -k "$k" --dtype "$dt" --threads "$p" --reps "$reps" | gflops_of)
                gm+=("$a") go+=("$b") gb+=("$c")
                ro+=("$(div "$a" "$b")") rb+=("$(div "$a" "$c")")
                pn=$(peak_beside "$dt" "$p")
                [ -n "$pn" ] && rn+=("$(div "$a" "$pn")")
            done
            pct_now="-"
            [ ${#rn[@]} -gt 0 ] && pct_now=$(awk -v r="$(med "${rn[@]}")" 'BEGIN {printf "%.1f%%", 100 * r}')
            mm=$(med "${gm[@]}") mo=$(med "${go[@]}") mb=$(med "${gb[@]}")
            rom_x=$(med "${ro[@]}") rbm_x=$(med "${rb[@]}") # unrounded, for the verdicts
            rom=$(printf "%.2f" "$rom_x") rbm=$(printf "%.2f" "$rbm_x")
            pct=$(awk -v g="$mm" -v p="$pk" 'BEGIN {printf "%.1f", 100 * g / p}')
            pk_ok=$(awk -v g="$mm" -v p="$pk" 'BEGIN {print (g >= 0.9 * p) ? 1 : 0}') # unrounded
            target="" verdict=""
            if [ "$SCALING" = 1 ]; then
                if [ "$p" = "$MAXTHR" ]; then
                    target=">=0.9x BLIS at ${p}t"
                    ok=$(awk -v r="$rbm_x" 'BEGIN {print (r >= 0.9) ? "met" : "MISSED"}')
                    verdict=" $ok"
                fi
            elif [ "$m$n$k" = 204820482048 ]; then
                target=">=0.95x OB, >=90% peak"
                ok=$(awk -v r="$rom_x" -v q="$pk_ok" 'BEGIN {print (r >= 0.95 && q == 1) ? "met" : "MISSED"}')
                verdict=" $ok"
            elif { [ "$m" = 4096 ] && [ "$n" = 4096 ] && [ "$k" -le 256 ]; } || { [ "$m" = 8192 ] && [ "$n" = 1024 ] && [ "$k" = 1024 ]; }; then
                target=">=1.0x OB"
                ok=$(awk -v r="$rom_x" 'BEGIN {print (r >= 1.0) ? "met" : "MISSED"}')
                verdict=" $ok"
            fi
            if [ -n "$verdict" ]; then
                checked=$((checked + 1))
                [ "$ok" = met ] || fails=$((fails + 1))
            fi
            bb=$(printf "%s\n" "${gm[@]}" | sort -g | tail -1) bo=$(printf "%s\n" "${go[@]}" | sort -g | tail -1)
            bl=$(printf "%s\n" "${gb[@]}" | sort -g | tail -1)
            bestbest=$(awk -v a="$bb" -v b="$bo" -v c="$bl" 'BEGIN {printf "%.2f/%.2f", a / b, a / c}')
            printf "%-4s %-3s %-16s %9.1f %9.1f %9.1f  %-19s %-19s %-9s %5s%% %6s  %-32s %s\n" "$dt" "$p" "$shape" "$mm" "$mo" "$mb" \
                "$rom [$(minmax "${ro[@]}")]" "$rbm [$(minmax "${rb[@]}")]" "$bestbest" "$pct" "$pct_now" "$target$verdict" "$ran$([ "$p" = 1 ] && [ -n "$PIN" ] && echo " on cpu$PIN (FMA peak$PIN_LINE)")"
            if [ "$SCALING" = 1 ]; then
                read -r sch _ tile mc kc nc <<<"$ran"
                ran_flags=(--schedule "$sch" --mr "${tile%x*}" --nr "${tile#*x}" --mc "${mc#mc=}" --kc "${kc#kc=}" --nc "${nc#nc=}")
                printf "     model, %2s threads: mxtune's configuration %s; CAKE %s\n" "$p" \
                    "$(model_dram "$dt" "$p" "$m" "$n" "$k" "${ran_flags[@]}")" "$(model_dram "$dt" "$p" "$m" "$n" "$k" --schedule cake)"
            fi
        done
    done
done
echo
echo "# FMA peak measured at the end: $(peak_now)"
echo "# targets met: $((checked - fails)) of $checked rows; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
