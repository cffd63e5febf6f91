#!/usr/bin/env bash
# Command-line cases of `mxtune model`: the JSON contract of CLI.md for every
# op, the worked checks through the program, usage errors (exit 2), bad or
# incomplete machine files and a missing profile (exit 1), one-line errors.
# Usage: test_model_cli.sh CASE   (MXTUNE points at the program, MXT_TEST_DATA
# at tests/data)
. "$(dirname "$0")/lib.sh"
ONE_LINE=strict
ERROR_PREFIX="mxtune model: "
: "${MXT_TEST_DATA:?set MXT_TEST_DATA to tests/data}"
I9="$MXT_TEST_DATA/machines/i9-10900k.json"
SNB="$MXT_TEST_DATA/machines/sandybridge-e5-2680.json"

# exactly one line on stderr, starting "mxtune model: ", mentioning $1
need_jq() { command -v jq >/dev/null || { echo "jq is missing: make test installs it" >&2; exit 1; }; }
# jget FILTER: the value of a jq filter on $T/out
jget() { jq -r "$1" "$T/out"; }
has_keys() {
    for k in "$@"; do
        [ "$(jq "has(\"$k\")" "$T/out")" = true ] || fail "JSON lacks key '$k'"
    done
}
common_keys="schema op config mr nr mc kc nc alpha schedule sizing threads dram_bytes
    bytes_per_level footprint_bytes required_dram_GBps predicted_seconds predicted_gflops
    bound assumed"

case_model_help() {
    expect 0 "$MXTUNE" model --help
    grep -q "usage: mxtune model" "$T/out" || fail "no usage"
    grep -q -- "--sizing" "$T/out" || fail "help does not name --sizing"
}
case_model_gemm_json_keys() {
    need_jq
    expect 0 "$MXTUNE" model -m 2048 -n 2048 -k 2048 --machine "$I9" --json
    # shellcheck disable=SC2086
    has_keys $common_keys
    [ "$(jget .schema)" = mxtune.model/1 ] || fail "schema"
    [ "$(jget .op)" = gemm ] || fail "op"
    for l in L1 L2 L3 DRAM; do
        [ "$(jget ".bytes_per_level | has(\"$l\")")" = true ] || fail "bytes_per_level.$l"
    done
    for l in L1 L2 L3; do
        [ "$(jget ".footprint_bytes | has(\"$l\")")" = true ] || fail "footprint_bytes.$l"
    done
    for k in schedule isa mr nr mc kc nc alpha threads; do
        [ "$(jget ".config | has(\"$k\")")" = true ] || fail "config.$k"
    done
    case "$(jget .schedule)" in cake-kmn | cake-mkn | cake-nkm) ;; *) fail "cake not resolved" ;; esac
    case "$(jget .bound)" in compute | L1 | L2 | L3 | DRAM | overhead) ;; *) fail "bound" ;; esac
    [ "$(jget .sizing)" = bandwidth ] || fail "default CAKE sizing is not bandwidth"
    [ "$(jget '.dram_bytes == .bytes_per_level.DRAM')" = true ] || fail "dram_bytes"
}
case_model_cake_reference_worked_check() {
    need_jq
    expect 0 "$MXTUNE" model -m 23040 -n 23040 -k 23040 --threads 10 --mr 6 --nr 16 \
        --schedule cake-kmn --sizing reference --machine "$I9" --json
    [ "$(jget '[.mc, .kc, .nc] | map(tostring) | join(" ")')" = "162 162 1440" ] || fail "blocks"
    [ "$(jget '.alpha * 10000 | round')" = 8889 ] || fail "alpha $(jget .alpha)"
    [ "$(jget .sizing_detail.mc_L2)" = 162 ] || fail "mc_L2"
    [ "$(jget .sizing_detail.mc_L3)" = 144 ] || fail "mc_L3"
}
case_model_low_worked_check() {
    need_jq
    expect 0 "$MXTUNE" model -m 4000 -n 4000 -k 4000 --dtype f64 --schedule goto --mr 8 --nr 4 \
        --threads 1 --machine "$SNB" --json
    [ "$(jget .kc)" = 256 ] || fail "kc $(jget .kc)"
    [ "$(jget .mc)" = 96 ] || fail "mc $(jget .mc)"
    [ "$(jget .sizing)" = model ] || fail "goto sizing is not model"
}
case_model_spmm_lowrank_contract_json() {
    need_jq
    expect 0 "$MXTUNE" model --op spmm -m 2048 -n 2048 -k 2048 --density 0.2 --machine "$I9" --json
    has_keys density breakeven_density dense_seconds
    [ "$(jget '.breakeven_density > 0 and .breakeven_density <= 1')" = true ] || fail "breakeven"
    expect 0 "$MXTUNE" model --op lowrank -m 4096 -n 32 -k 4096 --rank 64 --machine "$I9" --json
    has_keys order breakeven_rank dense_seconds
    [ "$(jget .order)" = "U(VX)" ] || fail "order"
    expect 0 "$MXTUNE" model --op contract --spec "bik,bkj->bij" --sizes b=4,i=300,k=200,j=500 \
        --machine "$I9" --json
    has_keys tiles
    [ "$(jget '.tiles | length')" = 4 ] || fail "tiles"
    [ "$(jget '.tiles[] | select(.index == "b") | .class')" = batch ] || fail "batch class"
}
case_model_contract_equals_gemm() {
    need_jq
    expect 0 "$MXTUNE" model -m 700 -n 900 -k 500 --machine "$I9" --json
    jq -S 'del(.op, .assumed, .tiles, .spec, .groups, .batch)' "$T/out" >"$T/g.json"
    expect 0 "$MXTUNE" model --op contract --spec "mk,kn->mn" --sizes m=700,n=900,k=500 \
        --machine "$I9" --json
    jq -S 'del(.op, .assumed, .tiles, .spec, .groups, .batch)' "$T/out" >"$T/c.json"
    diff "$T/g.json" "$T/c.json" >&2 || fail "contract differs from gemm"
}
case_model_human_table() {
    expect 0 "$MXTUNE" model -m 1024 -n 1024 -k 1024 --machine "$I9"
    grep -q "^predicted" "$T/out" || fail "no prediction line"
    grep -q "^DRAM" "$T/out" || fail "no DRAM row"
    grep -q "^assumed" "$T/out" || fail "no assumptions listed"
}
case_model_usage_errors() {
    expect 2 "$MXTUNE" model -m 0 -n 5 -k 5 --machine "$I9"; one_line_error "-m"
    expect 2 "$MXTUNE" model -m -4 -n 5 -k 5 --machine "$I9"; one_line_error "-m"
    expect 2 "$MXTUNE" model -m 5 -n x -k 5 --machine "$I9"; one_line_error "-n"
    expect 2 "$MXTUNE" model -m 5 -n 5 -k 99999999999999999999 --machine "$I9"; one_line_error "-k"
    expect 2 "$MXTUNE" model -m 5 -n 5 --machine "$I9"; one_line_error "missing -k"
    expect 2 "$MXTUNE" model --op spmm -m 5 -n 5 -k 5 --density 0 --machine "$I9"
    one_line_error "density"
    expect 2 "$MXTUNE" model --op spmm -m 5 -n 5 -k 5 --density 1.01 --machine "$I9"
    one_line_error "density"
    expect 2 "$MXTUNE" model --op lowrank -m 50 -n 5 -k 40 --rank 41 --machine "$I9"
    one_line_error "rank"
    expect 2 "$MXTUNE" model --op contract --spec "ab,bc" --sizes a=1,b=2,c=3 --machine "$I9"
    one_line_error "->"
    expect 2 "$MXTUNE" model --op contract --spec "ab,bc->ac" --sizes a=1,b=2,q=3 --machine "$I9"
    one_line_error "unknown index 'q'"
    expect 2 "$MXTUNE" model -m 5 -n 5 -k 5 --mr 32 --nr 32 --machine "$I9"
    one_line_error "vector registers"
    expect 2 "$MXTUNE" model -m 5 -n 5 -k 5 --mc 100 --machine "$I9"; one_line_error "mc"
    expect 2 "$MXTUNE" model -m 5 -n 5 -k 5 --bogus --machine "$I9"; one_line_error "--bogus"
    expect 2 "$MXTUNE" model -m 5 -n 5 -k 5 --schedule goto --sizing reference --machine "$I9"
    one_line_error "goto"
}
case_model_machine_errors() {
    expect 1 "$MXTUNE" model -m 5 -n 5 -k 5 --machine "$T/absent.json"; one_line_error "absent.json"
    printf '{"cores": 2' >"$T/bad.json"
    expect 1 "$MXTUNE" model -m 5 -n 5 -k 5 --machine "$T/bad.json"; one_line_error "machine file"
    expect 1 "$MXTUNE" model -m 5 -n 5 -k 5 --machine "$MXT_TEST_DATA/machines/incomplete.json"
    one_line_error "peak"
    expect 1 "$MXTUNE" model -m 50 -n 50 -k 50 --sizing reference \
        --machine "$MXT_TEST_DATA/machines/no-shared-cache.json"
    one_line_error "shared cache"
    expect 1 "$MXTUNE" model -m 5 -n 5 -k 5 --db "$T/absent.db"; one_line_error "mxtune probe"
}

run_case "$@"
