#!/usr/bin/env bash
# spmm_vs_peers.sh: mxtune's Rosko SpMM against dense OpenBLAS (sgemm on A with its
# zeros) and librsb (rsb_spmm on A as CSR), M = N = K = 4096, densities 1, 5, 10, 20,
# 30 %, run as interleaved pairs (mxtune, OpenBLAS, librsb; round after round) so that
# all three see the same machine state; prints the median over rounds of the per-round
# ratios time(dense)/time(Rosko) and time(librsb)/time(Rosko), the kernel OpenBLAS
# chose, and the break-even density of mxtune's model when a machine profile exists.
# mxtune's own dense sgemm (bench/gemm_run, CAKE) runs once per round too, as a second
# dense reference for machines where OpenBLAS falls back to an old kernel.
#
# usage: bench/spmm_vs_peers.sh [BUILD_DIR]        (default: build)
# environment: THREADS (2), ROUNDS (3), SIZE (4096), DENSITIES ("0.01 0.05 0.1 0.2 0.3"),
#              REPS (timed repetitions per run after one warm-up, 1), SEED (1),
#              PEERS_BIN (a spmm_peers built elsewhere, for machines without a network:
#              then nothing is installed or built and BUILD_DIR must hold spmm_run)
# Installs librsb-dev and libopenblas-dev with apt-get when missing (sudo when not
# root); builds bench/peers/spmm_peers.c in a temporary directory.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
SIZE=${SIZE:-4096}
DENSITIES=${DENSITIES:-"0.01 0.05 0.1 0.2 0.3"}
REPS=${REPS:-1}
SEED=${SEED:-1}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
RUN=$BUILD/bench/spmm_run
PEERS=${PEERS_BIN:-$TMP/spmm_peers}

# ---- prerequisites -----------------------------------------------------------------
if [ -z "${PEERS_BIN:-}" ]; then
    need=()
    pkg-config --exists librsb 2>/dev/null || need+=(librsb-dev)
    pkg-config --exists openblas 2>/dev/null || need+=(libopenblas-dev)
    command -v cc >/dev/null || need+=(gcc)
    if ((${#need[@]})); then
        SUDO=
        [ "$(id -u)" -ne 0 ] && SUDO=sudo
        echo "installing ${need[*]}" >&2
        $SUDO apt-get install -y "${need[@]}" >&2 ||
            { $SUDO apt-get update >&2 && $SUDO apt-get install -y "${need[@]}" >&2; }
    fi
    cmake -S "$ROOT" -B "$BUILD" >/dev/null
    cmake --build "$BUILD" --target spmm_run gemm_run -j2 >/dev/null
    # shellcheck disable=SC2046
    cc -O2 -o "$PEERS" "$ROOT/bench/peers/spmm_peers.c" \
        $(pkg-config --cflags --libs openblas librsb) -lm
fi

median_s() { sed -n 's/^median_s=\([0-9.e+-]*\).*/\1/p'; }
common=(-m "$SIZE" -n "$SIZE" -k "$SIZE" --threads "$THREADS" --reps "$REPS" --seed "$SEED")

echo "M = N = K = $SIZE, $THREADS threads, $ROUNDS rounds of (mxtune, OpenBLAS, librsb)," \
    "$REPS timed run(s) each after a warm-up"
# OpenBLAS picks its best kernel: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for its runs
# only; its core name and configuration are printed once.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$THREADS" \
    "$PEERS" --lib openblas -m 64 -n 64 -k 64 --threads "$THREADS" |
    sed -n 's/.*core \(.*\), config \(.*\)/OpenBLAS kernel: core \1; config: \2/p'

declare -A ratio_d ratio_r t_m t_d t_r
t_own=""
for ((r = 1; r <= ROUNDS; r++)); do
    t_own+="$("$BUILD/bench/gemm_run" -m "$SIZE" -n "$SIZE" -k "$SIZE" --layout row \
        --schedule cake --threads "$THREADS" --reps "$REPS" | sed -n 's/.*(\([0-9.]*\) s)$/\1/p') "
    for d in $DENSITIES; do
        tm=$("$RUN" --density "$d" "${common[@]}" | median_s)
        td=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$THREADS" \
            "$PEERS" --lib openblas --density "$d" "${common[@]}" | median_s)
        trs=$(OMP_NUM_THREADS="$THREADS" "$PEERS" --lib rsb --density "$d" "${common[@]}" |
            median_s)
        t_m[$d]+="$tm "
        t_d[$d]+="$td "
        t_r[$d]+="$trs "
        ratio_d[$d]+="$(awk -v a="$td" -v b="$tm" 'BEGIN { printf "%.4f", a / b }') "
        ratio_r[$d]+="$(awk -v a="$trs" -v b="$tm" 'BEGIN { printf "%.4f", a / b }') "
        echo "round $r density $d: mxtune $tm s, OpenBLAS $td s, librsb $trs s" >&2
    done
done

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
own=$(echo "$t_own" | median)
echo "mxtune dense sgemm (CAKE, $THREADS threads): median $own s"
printf '%-8s %12s %12s %12s %14s %14s %14s\n' density "mxtune s" "OpenBLAS s" "librsb s" \
    "dense/Rosko" "librsb/Rosko" "mxt-dense/R."
declare -A med_d
for d in $DENSITIES; do
    md=$(echo "${ratio_d[$d]}" | median)
    med_d[$d]=$md
    tmm=$(echo "${t_m[$d]}" | median)
    printf '%-8s %12s %12s %12s %13.2fx %13.2fx %13.2fx\n' "$d" "$tmm" \
        "$(echo "${t_d[$d]}" | median)" "$(echo "${t_r[$d]}" | median)" "$md" \
        "$(echo "${ratio_r[$d]}" | median)" "$(awk -v a="$own" -v b="$tmm" 'BEGIN { print a / b }')"
done

# ---- targets of issue 4 --------------------------------------------------------------
verdict() { awk -v x="$1" -v t="$2" 'BEGIN { print (x >= t) ? "met" : "NOT met" }'; }
for d in $DENSITIES; do
    case $d in
    0.2 | 0.20) echo "target: faster than dense at 20 %: dense/Rosko = ${med_d[$d]}x ->" \
        "$(verdict "${med_d[$d]}" 1.0)" ;;
    0.05) echo "target: at least 4x dense at 5 %: dense/Rosko = ${med_d[$d]}x ->" \
        "$(verdict "${med_d[$d]}" 4.0)" ;;
    esac
done

# ---- the model's break-even density ---------------------------------------------------
MXTUNE=$BUILD/mxtune
if [ ! -x "$MXTUNE" ] && [ -z "${PEERS_BIN:-}" ]; then
    cmake --build "$BUILD" --target mxtune -j2 >/dev/null 2>&1 || true
fi
if [ -x "$MXTUNE" ] &&
    out=$("$MXTUNE" model --op spmm -m "$SIZE" -n "$SIZE" -k "$SIZE" --density 0.05 \
        --threads "$THREADS" --json 2>"$TMP/model.err"); then
    be=$(printf '%s\n' "$out" | sed -n 's/.*"breakeven_density"[^0-9.eE+-]*\([0-9.eE+-]*\).*/\1/p' |
        head -n1)
    echo "model: Rosko beats dense below density $(printf '%.3g' "${be:-0}") (mxtune model" \
        "--op spmm on this machine's profile, $THREADS threads)"
else
    echo "model: no break-even density: $(head -n1 "$TMP/model.err" 2>/dev/null ||
        echo "mxtune not built") (a machine profile comes from 'mxtune probe')"
fi
