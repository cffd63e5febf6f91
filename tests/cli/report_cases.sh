#!/usr/bin/env bash
# Command-line cases of `mxtune report`: usage errors, empty or missing
# databases, the files written, gnuplot missing, unwritable output
# directories, and index.html opened in headless Chromium.
# Usage: report_cases.sh CASE   (MXTUNE points at the program)
. "$(dirname "$0")/lib.sh"

# A database holding this machine's profile, measured for real (quick mode).
probed_db() {
    "$MXTUNE" probe --quick --db "$T/p.db" >/dev/null 2>"$T/probe.err" ||
        { cat "$T/probe.err" >&2; fail "probe --quick failed"; }
}
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
pictures="roofline latency bandwidth"

case_report_help() {
    expect 0 "$MXTUNE" report --help
    grep -q "usage: mxtune report" "$T/out" || fail "no usage"
    expect 0 "$MXTUNE" report all --help
    grep -q "gnuplot" "$T/out" || fail "help does not say gnuplot"
}
case_report_bad_usage() {
    expect 2 "$MXTUNE" report; one_line_error "missing subcommand"
    expect 2 "$MXTUNE" report frobnicate; one_line_error "unknown subcommand 'frobnicate'"
    expect 2 "$MXTUNE" report all --bogus; one_line_error "unknown option '--bogus'"
    expect 2 "$MXTUNE" report roofline extra; one_line_error "unexpected argument 'extra'"
    expect 2 "$MXTUNE" report all --out ""; one_line_error "--out"
    expect 2 "$MXTUNE" report all --fingerprint ""; one_line_error "fingerprint"
    expect 2 "$MXTUNE" report probe --out; one_line_error "needs a value"
}
case_report_missing_db() {
    expect 1 "$MXTUNE" report all --db "$T/absent.db" --out "$T/r"
    one_line_error "run 'mxtune probe' first"
    [ ! -e "$T/r" ] || fail "an output directory was made for nothing"
}
case_report_empty_db() {
    : >"$T/empty.db"
    expect 1 "$MXTUNE" report all --db "$T/empty.db" --out "$T/r"
    one_line_error "no machine profile in '$T/empty.db': run 'mxtune probe' first"
    [ "$(wc -l <"$T/err")" = 1 ] || fail "more than one line of error"
    [ ! -e "$T/r" ] || fail "an output directory was made for nothing"
}
# `report model` before any search: nothing to compare the model with
# (export_cases.sh draws it from a fixture database).
case_report_model_not_yet() {
    probed_db
    expect 1 "$MXTUNE" report model --db "$T/p.db" --out "$T/r"
    one_line_error "run 'mxtune search' first"
}
# The full report: every file, listed on stdout; --json; the roofline's
# ceilings equal the stored profile's peaks and DRAM bandwidth.
case_report_all_writes_everything() {
    command -v gnuplot >/dev/null || skip "gnuplot not installed"
    probed_db
    expect 0 "$MXTUNE" report all --db "$T/p.db" --out "$T/r/"
    for p in $pictures; do
        for ext in dat gp png svg; do
            [ -s "$T/r/$p.$ext" ] || fail "no $p.$ext"
            grep -qx "$T/r/$p.$ext" "$T/out" || fail "$p.$ext not listed on stdout"
        done
        is_png "$T/r/$p.png" || fail "$p.png is not a PNG"
        grep -q "<svg" "$T/r/$p.svg" || fail "$p.svg is not SVG"
    done
    grep -qx "$T/r/index.html" "$T/out" || fail "index.html not listed"
    [ "$(wc -l <"$T/out")" = 13 ] || fail "expected 13 files listed"
    # Ceilings against the stored profile (machine show --json), compared as
    # numbers: a peak is the all-core figure, or one core's x cores when the
    # all-core one is below 0.9x one core's (a failed measurement, noted).
    "$MXTUNE" machine show --json --db "$T/p.db" >"$T/m.json" || fail "machine show"
    json_num() { tr -d ' \n\t' <"$T/m.json" | grep -o "\"$1\":[-0-9.eE+]*" | head -1 | cut -d: -f2; }
    dat_num() { awk -v n="$1" '$1 == n && $2 ~ /compute|memory/ { print $3; exit }' "$T/r/roofline.dat"; }
    local cores want got
    cores=$(json_num cores)
    for pair in f32_peak:f32 f64_peak:f64 DRAM:read; do
        local all one
        all=$(json_num "${pair#*:}_all"); one=$(json_num "${pair#*:}_1t"); got=$(dat_num "${pair%%:*}")
        [ -n "$all" ] && [ -n "$one" ] && [ -n "$got" ] || fail "${pair%%:*}: no value"
        if [ "${pair%%:*}" = DRAM ]; then want=$all; else
            want=$(awk -v a="$all" -v o="$one" -v c="$cores" 'BEGIN { print (a >= 0.9 * o) ? a : o * c }')
        fi
        awk -v a="$want" -v b="$got" 'BEGIN { d = a - b; exit !(d * d <= 1e-18 * a * a) }' ||
            fail "${pair%%:*} is $got in roofline.dat, $want from the profile"
    done
    # Every level of the profile has its ceiling, or a note saying why not.
    for n in $(tr -d ' \n\t' <"$T/m.json" | grep -o '"level":[0-9]*' | cut -d: -f2); do
        grep -q "^L$n memory" "$T/r/roofline.dat" || grep -q "^# note: L$n: " "$T/r/roofline.dat" ||
            fail "no L$n ceiling and no note"
    done
    grep -q "^DRAM memory" "$T/r/roofline.dat" || fail "no DRAM ceiling"
    # --json, and the same machine by --fingerprint.
    fp=$(tr -d ' \n' <"$T/m.json" | grep -o '"fingerprint":"[0-9a-f]*"' | cut -d'"' -f4)
    expect 0 "$MXTUNE" report roofline --json --db "$T/p.db" --out "$T/r2" --fingerprint "$fp"
    grep -q '"schema":"mxtune.report/1"' "$T/out" || fail "no report schema"
    grep -q "\"$T/r2/roofline.png\"" "$T/out" || fail "roofline.png not in the JSON list"
    expect 1 "$MXTUNE" report roofline --db "$T/p.db" --out "$T/r3" --fingerprint 0123abcd
    one_line_error "no machine with fingerprint '0123abcd'"
}
# No gnuplot on PATH: data, scripts and index.html written and listed, exit 1.
case_report_without_gnuplot() {
    probed_db
    mkdir "$T/emptybin"
    expect 1 env PATH="$T/emptybin" "$MXTUNE" report all --db "$T/p.db" --out "$T/r"
    one_line_error "gnuplot not found: install gnuplot-nox (apt-get install gnuplot-nox)"
    for p in $pictures; do
        for ext in dat gp; do
            [ -s "$T/r/$p.$ext" ] || fail "no $p.$ext"
            grep -qx "$T/r/$p.$ext" "$T/out" || fail "$p.$ext not listed"
        done
        [ ! -e "$T/r/$p.png" ] || fail "$p.png without gnuplot?"
    done
    [ -s "$T/r/index.html" ] || fail "no index.html"
    # The scripts alone re-plot, as a person would.
    if command -v gnuplot >/dev/null; then
        (cd "$T/r" && gnuplot latency.gp) || fail "gnuplot latency.gp failed"
        is_png "$T/r/latency.png" || fail "re-plotting made no PNG"
    fi
}
case_report_unwritable_out() {
    probed_db
    : >"$T/plain"
    expect 1 "$MXTUNE" report all --db "$T/p.db" --out "$T/plain/sub"
    one_line_error "cannot write to output directory '$T/plain/sub'"
    expect 1 "$MXTUNE" report roofline --db "$T/p.db" --out /proc/mxt-no-such/dir
    one_line_error "'/proc/mxt-no-such/dir'"
}
# index.html in headless Chromium: the page renders and every image loads
# (an inline script writes data-loaded="loaded/total" on <body> at onload).
case_report_html_chromium() {
    command -v gnuplot >/dev/null || skip "gnuplot not installed"
    local chrome
    chrome=$(command -v chromium || command -v chromium-browser) || skip "chromium not installed"
    probed_db
    expect 0 "$MXTUNE" report all --db "$T/p.db" --out "$T/r"
    mkdir "$T/home"
    HOME="$T/home" timeout 120 "$chrome" --headless --no-sandbox --disable-gpu \
        --disable-background-networking --disable-component-update --disable-sync \
        --no-first-run --user-data-dir="$T/chrome" --virtual-time-budget=10000 \
        --dump-dom "file://$T/r/index.html" >"$T/dom" 2>"$T/chrome.err" ||
        { tail -5 "$T/chrome.err" >&2; fail "chromium failed"; }
    loaded=$(grep -o 'data-loaded="[0-9]*/[0-9]*"' "$T/dom" | cut -d'"' -f2)
    [ -n "$loaded" ] || { head -c 2000 "$T/dom" >&2; fail "the page's onload never ran"; }
    [ "$loaded" = "3/3" ] || fail "images loaded: $loaded, expected 3/3"
    grep -q "Roofline ceilings" "$T/dom" || fail "no roofline table rendered"
}

run_case "$@"
