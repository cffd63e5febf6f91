#!/usr/bin/env bash
# Command-line cases of `mxtune export` (header, json, blis) and of the tuner's
# rows in `mxtune report` (roofline points, the model picture), against the
# fixture database tests/data/export/tuned_i9.json (imported with `db import`).
# Usage: export_cases.sh CASE   (MXTUNE points at the program, CC at a C compiler)
. "$(dirname "$0")/lib.sh"
: "${MXT_TEST_DATA:?set MXT_TEST_DATA to tests/data}"
CC=${CC:-cc}
export SOURCE_DATE_EPOCH=1700000000 # the export's date, so two exports compare equal
FP=fixture-i9-export

fixture() {
    "$MXTUNE" db import "$MXT_TEST_DATA/export/tuned_i9.json" --db "$T/f.db" >/dev/null 2>"$T/imp.err" ||
        { cat "$T/imp.err" >&2; fail "importing the fixture failed"; }
}
strict() { "$CC" -std=c11 -Wall -Wextra -Werror -pedantic "$@"; }

case_export_help() {
    expect 0 "$MXTUNE" export --help
    grep -q "usage: mxtune export" "$T/out" || fail "no usage"
    grep -q "header, json or blis" "$T/out" || grep -q "header  a C header" "$T/out" || fail "formats not listed"
    expect 0 "$MXTUNE" --help
    grep -q "export" "$T/out" || fail "mxtune --help does not list export"
}
case_export_bad_usage() {
    expect 2 "$MXTUNE" export --format yaml; one_line_error "unknown format 'yaml' (header, json or blis)"
    expect 2 "$MXTUNE" export --bogus; one_line_error "unknown option '--bogus'"
    expect 2 "$MXTUNE" export --op gem; one_line_error "unknown op 'gem'"
    expect 2 "$MXTUNE" export extra; one_line_error "unexpected argument 'extra'"
    expect 2 "$MXTUNE" export --out ""; one_line_error "--out"
    expect 2 "$MXTUNE" export --fingerprint ""; one_line_error "fingerprint"
    expect 2 "$MXTUNE" export --format; one_line_error "needs a value"
}
case_export_missing_db() {
    expect 1 "$MXTUNE" export --db "$T/absent.db"
    one_line_error "no database at '$T/absent.db': run 'mxtune probe' and 'mxtune search' first"
    [ ! -e "$T/absent.db" ] || fail "export created a database"
}
case_export_empty_db() {
    : >"$T/empty.db"
    expect 1 "$MXTUNE" export --db "$T/empty.db"
    one_line_error "run 'mxtune probe' and 'mxtune search' first"
    [ "$(wc -l <"$T/err")" = 1 ] || fail "more than one line of error"
    [ ! -s "$T/out" ] || fail "something on stdout"
    # A profile but nothing tuned.
    cat >"$T/profile.json" <<JSON
{"schema":"mxtune.db_export/1","machines":[{"fingerprint":"$FP","name":"box",
 "profile":{"schema":"mxtune.machine/1","fingerprint":"$FP","cores":2,
            "caches":[{"level":1,"size_bytes":32768},{"level":2,"size_bytes":1048576}]},
 "measurements":[],"tuned":[]}]}
JSON
    "$MXTUNE" db import --db "$T/m.db" "$T/profile.json" >/dev/null 2>"$T/imp.err" ||
        { cat "$T/imp.err" >&2; fail "import of the profile failed"; }
    expect 1 "$MXTUNE" export --db "$T/m.db" --fingerprint "$FP"
    one_line_error "nothing tuned for gemm on machine '$FP'"
    one_line_error "run 'mxtune probe' and 'mxtune search' first"
    # The other formats say the same.
    expect 1 "$MXTUNE" export --db "$T/m.db" --format json; one_line_error "mxtune search"
    expect 1 "$MXTUNE" export --db "$T/m.db" --format blis; one_line_error "mxtune search"
}
# The header compiles alone, strictly; --out writes what stdout gets.
case_export_header_compiles() {
    fixture
    expect 0 "$MXTUNE" export --db "$T/f.db" --fingerprint "$FP"
    cp "$T/out" "$T/stdout.h"
    expect 0 "$MXTUNE" export --db "$T/f.db" --fingerprint "$FP" --format header --out "$T/mxtune_tiles.h"
    [ ! -s "$T/out" ] || fail "--out also wrote to stdout"
    cmp -s "$T/stdout.h" "$T/mxtune_tiles.h" || fail "stdout and --out differ"
    strict -fsyntax-only -x c "$T/mxtune_tiles.h" 2>"$T/cc.err" || { cat "$T/cc.err" >&2; fail "the header does not compile alone"; }
    grep -q '^#define MXTUNE_GEMM_F32_M1024_N1024_K1024_SCHEDULE MXTUNE_SCHED_CAKE_KMN$' "$T/mxtune_tiles.h" ||
        fail "no schedule define for 1024^3"
    grep -q '^#define MXTUNE_GEMM_F32_DEFAULT_MC 96$' "$T/mxtune_tiles.h" || fail "no default MC"
    grep -q '^#define MXTUNE_GEMM_F32_DEFAULT_SOURCE "most_common_winner"$' "$T/mxtune_tiles.h" ||
        fail "the default does not say where it comes from"
    grep -q "^ \* machine      $FP$" "$T/mxtune_tiles.h" || fail "no fingerprint in the provenance"
    grep -q "1150.0 GFLOP/s, 76.7 % of 1500 GFLOP/s peak" "$T/mxtune_tiles.h" || fail "no % of peak"
    grep -q "2023-11-14T22:13:20Z" "$T/mxtune_tiles.h" || fail "SOURCE_DATE_EPOCH not used for the date"
}
case_export_json() {
    command -v jq >/dev/null || skip "jq not installed"
    fixture
    expect 0 "$MXTUNE" export --format json --db "$T/f.db" --fingerprint "$FP"
    [ "$(jq -r .schema "$T/out")" = "mxtune.export/1" ] || fail "schema"
    [ "$(jq '.entries | length' "$T/out")" = 4 ] || fail "not 4 entries"
    [ "$(jq -r '.entries[] | select(.name == "MXTUNE_GEMM_F32_M2048_N2048_K2048") | .config.schedule' "$T/out")" = goto ] ||
        fail "2048^3 is not goto"
    [ "$(jq -r .defaults.f32.source "$T/out")" = most_common_winner ] || fail "default source"
    [ "$(jq -r .machine.fingerprint "$T/out")" = "$FP" ] || fail "fingerprint"
    [ "$(jq -r '.entries[0].provenance.strategy' "$T/out")" = anneal ] || fail "provenance"
}
case_export_blis() {
    fixture
    expect 0 "$MXTUNE" export --format blis --db "$T/f.db" --fingerprint "$FP"
    grep -qx "s MR=16 NR=6 MC=96 KC=256 NC=4092" "$T/out" || { cat "$T/out" >&2; fail "s line"; }
    grep -qx "d MR=8 NR=6 MC=96 KC=256 NC=4092" "$T/out" || fail "d line"
    [ "$(grep -vc '^#' "$T/out")" = 2 ] || fail "lines other than comments and s, d"
}
case_export_unwritable_out() {
    fixture
    : >"$T/plain"
    expect 1 "$MXTUNE" export --db "$T/f.db" --fingerprint "$FP" --out "$T/plain/x.h"
    one_line_error "cannot write '$T/plain/x.h'"
    expect 1 "$MXTUNE" export --db "$T/f.db" --fingerprint "$FP" --out /proc/mxt-no-such/x.h
    one_line_error "'/proc/mxt-no-such/x.h'"
    if [ -w /dev/full ]; then
        expect 1 "$MXTUNE" export --db "$T/f.db" --fingerprint "$FP" --out /dev/full
        one_line_error "cannot write '/dev/full'"
        [ -c /dev/full ] || fail "/dev/full is gone"
    fi
    # A failed export leaves an existing file as it was.
    echo keep >"$T/keep.h"
    expect 1 "$MXTUNE" export --db "$T/absent.db" --out "$T/keep.h"
    [ "$(cat "$T/keep.h")" = keep ] || fail "a failed export touched the output"
}
case_export_which_machine() {
    fixture
    expect 1 "$MXTUNE" export --db "$T/f.db" --fingerprint 0123abcd
    one_line_error "no machine with fingerprint '0123abcd'"
    # Not this machine, but the only one: exported, with a note.
    expect 0 "$MXTUNE" export --db "$T/f.db"
    grep -q "exporting its only machine, '$FP'" "$T/err" || fail "no note on the machine chosen"
    # Two machines and none of them this one: choose.
    sed "s/$FP/other-machine/g" "$MXT_TEST_DATA/export/tuned_i9.json" >"$T/other.json"
    "$MXTUNE" db import --db "$T/f.db" "$T/other.json" >/dev/null 2>&1 || fail "importing a second machine"
    expect 1 "$MXTUNE" export --db "$T/f.db"
    one_line_error "choose one with --fingerprint"
    expect 0 "$MXTUNE" export --db "$T/f.db" --fingerprint other-machine
    grep -q "^ \* machine      other-machine$" "$T/out" || fail "not the machine asked for"
}
# `report roofline` draws the winners: measured points at or under their
# ceilings, a model point beside each; a too-fast run is flagged.
case_report_roofline_points() {
    fixture
    expect 0 "$MXTUNE" report roofline --db "$T/f.db" --fingerprint "$FP" --out "$T/r"
    [ "$(grep -c '" measured ' "$T/r/roofline.dat")" = 4 ] || fail "not 4 measured points"
    [ "$(grep -c '" model ' "$T/r/roofline.dat")" = 4 ] || fail "not 4 model points"
    awk '/" measured / { n = split($0, f, " "); if (f[n] != 0 || f[n - 2] > f[n - 1]) bad = 1 }
         END { exit bad }' "$T/r/roofline.dat" || fail "a measured point is above its roof"
    ! grep -q "above its ceiling" "$T/err" || fail "a warning for a good run"
    grep -q "f32 2048^3 goto" "$T/r/index.html" || fail "the winner is not in index.html"
    # A run faster than the f32 peak: a warning, the label and the .dat say so.
    sed 's/"gflops": 1150/"gflops": 4000/' "$MXT_TEST_DATA/export/tuned_i9.json" >"$T/fast.json"
    "$MXTUNE" db import --db "$T/fast.db" "$T/fast.json" >/dev/null 2>&1 || fail "import"
    expect 0 "$MXTUNE" report roofline --db "$T/fast.db" --fingerprint "$FP" --out "$T/r2"
    one_line_error "warning: f32 2048^3: measured 4000 GFLOP/s is above its ceiling 1500 GFLOP/s"
    grep -q '"f32 2048^3 goto (ABOVE CEILING)" measured .* 1$' "$T/r2/roofline.dat" ||
        fail "the .dat does not flag the run"
}
case_report_model_picture() {
    fixture
    expect 0 "$MXTUNE" report model --db "$T/f.db" --fingerprint "$FP" --out "$T/r"
    for ext in dat gp; do
        [ -s "$T/r/model.$ext" ] || fail "no model.$ext"
        grep -qx "$T/r/model.$ext" "$T/out" || fail "model.$ext not listed"
    done
    grep -q "^# stats: n 12, median |error| 10 %" "$T/r/model.dat" || fail "statistics"
    grep -q 'id="model"' "$T/r/index.html" || fail "the model picture is not on the page"
    if command -v gnuplot >/dev/null; then
        [ "$(head -c 4 "$T/r/model.png" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "no PNG"
    fi
    # `all` draws it too; without measurements `all` skips it with a note.
    expect 0 "$MXTUNE" report all --db "$T/f.db" --fingerprint "$FP" --out "$T/r2"
    grep -qx "$T/r2/model.dat" "$T/out" || fail "report all has no model picture"
}

run_case "$@"
