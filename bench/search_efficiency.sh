#!/usr/bin/env bash
# How well does the default search spend its measurements? For each GEMM shape,
# the best configuration of the exhaustive strategy (its whole pruned grid, at
# least 300 legal candidates) against the default strategy (anneal with the
# default budget) and against the first choice of the uncalibrated model (0
# measurements). Each strategy runs on its own copy of the database so that none
# reuses another's measurements; then the three winners of each shape are timed
# again side by side (interleaved `mxtune bench` rounds) so that the ratios
# compare like with like. Target (issue 5): default within 3 % of exhaustive
# with at most 10 % of its measurements. About 30 s a shape on 2 quiet cores.
#
# usage: bench/search_efficiency.sh [MXTUNE]
#   env: MXTUNE_DB (the database with this machine's profile; default location
#        otherwise), SHAPES ("M N K;M N K;..."), MIN_TIME (seconds per candidate
#        in the searches, default 0.05), ROUNDS (side-by-side rounds, default 5)
set -euo pipefail
MXTUNE=${1:-${MXTUNE:-build/mxtune}}
SHAPES=${SHAPES:-"1024 1024 1024;2048 512 1024;512 2048 1024"}
MIN_TIME=${MIN_TIME:-0.05}
ROUNDS=${ROUNDS:-5}
command -v jq >/dev/null || { echo "search_efficiency: jq is needed" >&2; exit 1; }
[ -x "$MXTUNE" ] || { echo "search_efficiency: no program at $MXTUNE (make build)" >&2; exit 1; }
SRC=${MXTUNE_DB:-${XDG_DATA_HOME:-$HOME/.local/share}/mxtune/mxtune.db}
[ -f "$SRC" ] || { echo "search_efficiency: no database at $SRC: run 'mxtune probe'" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# fresh copies holding the profile only (the measurements of earlier runs dropped)
for s in exh def pure; do
    sqlite3 "$SRC" ".backup '$T/$s.db'"
    sqlite3 "$T/$s.db" "DELETE FROM tuned; DELETE FROM measurement; DELETE FROM calibration;"
done

# flags of `mxtune bench` for a configuration object
cfg_flags() {
    jq -r '"--schedule \(.schedule) --isa \(.isa) --mr \(.mr) --nr \(.nr) --mc \(.mc) --kc \(.kc) --nc \(.nc) --threads \(.threads)"' <<<"$1"
}
cfg_text() { jq -r '"\(.schedule) \(.isa) \(.mr)x\(.nr) mc=\(.mc) kc=\(.kc) nc=\(.nc) p=\(.threads)"' <<<"$1"; }
# median GFLOP/s of a configuration over the side-by-side rounds
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -a ROWS
IFS=';' read -ra LIST <<<"$SHAPES"
for shape in "${LIST[@]}"; do
    read -r M N K <<<"$shape"
    echo "== $M x $N x $K: exhaustive" >&2
    "$MXTUNE" search --db "$T/exh.db" -m "$M" -n "$N" -k "$K" --strategy exhaustive \
        --min-time "$MIN_TIME" --json 2>"$T/exh.log" >"$T/exh.json"
    echo "== $M x $N x $K: default strategy" >&2
    "$MXTUNE" search --db "$T/def.db" -m "$M" -n "$N" -k "$K" --min-time "$MIN_TIME" \
        --json 2>"$T/def.log" >"$T/def.json"
    ne=$(jq .measured "$T/exh.json")
    nd=$(jq '.measured + .resumed' "$T/def.json")
    ce=$(jq -c .best.config "$T/exh.json")
    cd=$(jq -c .best.config "$T/def.json")
    # the model-only pick: the first choice of the uncalibrated model (a database that
    # never holds a measurement), measured nowhere in the search
    cm=$("$MXTUNE" search --db "$T/pure.db" -m "$M" -n "$N" -k "$K" --dry-run --json --limit 1 |
        jq -c .model_first.config)
    [ "$ne" -ge 300 ] || echo "note: exhaustive measured only $ne candidates for $M x $N x $K" >&2
    # the three winners again, in turns
    : >"$T/e.txt"; : >"$T/d.txt"; : >"$T/m.txt"
    for _ in $(seq "$ROUNDS"); do
        for w in e d m; do
            case $w in e) c=$ce ;; d) c=$cd ;; m) c=$cm ;; esac
            # shellcheck disable=SC2046
            "$MXTUNE" bench -m "$M" -n "$N" -k "$K" $(cfg_flags "$c") --no-store --json \
                --db "$T/def.db" | jq .gflops_median >>"$T/$w.txt"
        done
    done
    ge=$(median <"$T/e.txt"); gd=$(median <"$T/d.txt"); gm=$(median <"$T/m.txt")
    # how much the machine moved: the largest (max - min) / median of the three
    spread=$(cat "$T/e.txt" "$T/d.txt" "$T/m.txt" | awk -v n="$ROUNDS" -v a="$ge" -v b="$gd" -v c="$gm" '
        { v[NR] = $1 } END { w = 0; for (g = 0; g < 3; g++) { lo = 1e30; hi = 0
          for (i = 1; i <= n; i++) { x = v[g * n + i]; if (x < lo) lo = x; if (x > hi) hi = x }
          m = (g == 0) ? a : (g == 1) ? b : c; if ((hi - lo) / m > w) w = (hi - lo) / m }
          printf "%.1f", 100 * w }')
    ROWS+=("$(awk -v s="${M}x${N}x${K}" -v ne="$ne" -v nd="$nd" -v ge="$ge" -v gd="$gd" -v gm="$gm" \
        -v se="$(jq .best.gflops "$T/exh.json")" -v sd="$(jq .best.gflops "$T/def.json")" \
        -v sp="$spread" 'BEGIN {
        dgap = 100 * (1 - gd / ge); mgap = 100 * (1 - gm / ge); frac = 100 * nd / ne
        ok = (dgap <= 3 && frac <= 10) ? "yes" : "NO"
        if (sp > 10) ok = ok " (noisy: busy machine)"
        printf "%-16s %6d %9.1f %9.1f | %6d %6.1f%% %9.1f %9.1f %+7.2f%% | %9.1f %+7.2f%% | %6.1f%% | %s",
               s, ne, se, ge, nd, frac, sd, gd, -dgap, gm, -mgap, sp, ok }')")
    echo "   exhaustive winner: $(cfg_text "$ce")" >&2
    echo "   default winner:    $(cfg_text "$cd")" >&2
    echo "   model's first:     $(cfg_text "$cm")" >&2
done

echo
echo "search efficiency on $(hostname), $(nproc) CPUs; searches at --min-time $MIN_TIME s;"
echo "side by side: median GFLOP/s of $ROUNDS interleaved 'mxtune bench' rounds per winner"
printf "%-16s %6s %9s %9s | %6s %7s %9s %9s %8s | %9s %8s | %7s | %s\n" "" "exhaustive" "" "" \
    "default" "" "" "" "" "model-only" "" "" ""
printf "%-16s %6s %9s %9s | %6s %7s %9s %9s %8s | %9s %8s | %7s | %s\n" shape evals "search" "side" \
    evals "of exh" "search" "side" "vs exh" "side" "vs exh" "spread" "within 3% & <=10%"
for r in "${ROWS[@]}"; do echo "$r"; done
echo
echo "the model over the exhaustive measurements (calibrated on them; 'mxtune model accuracy'):"
"$MXTUNE" model accuracy --db "$T/exh.db"
echo "(GFLOP/s; 'search': as the search reported it, 'side': side by side; 'spread': the largest"
echo " (max - min) / median of a winner over the side-by-side rounds: above a few % the machine"
echo " was busy with other work and the gaps are noise)"
