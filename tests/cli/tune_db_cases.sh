#!/usr/bin/env bash
# `mxtune db show|export|import|merge` and `mxtune lookup`: exit codes, one-line
# errors, rollback that leaves the database unchanged, machines kept apart.
# Usage: tune_db_cases.sh CASE   (MXTUNE points at the program; needs sqlite3)
. "$(dirname "$0")/lib.sh"

need_sqlite() { command -v sqlite3 >/dev/null || exit 77; }
# Content of a database: every row of every table, in order.
content() {
    local t
    for t in machine probe_run problem measurement tuned calibration; do
        echo "== $t"; sqlite3 "$1" "select * from $t order by id"
    done | sha256sum | cut -d' ' -f1
}
count() { sqlite3 "$1" "select count(*) from $2"; }

# An export document: machine FP with a minimal profile and winners of the
# given shapes (M N K GFLOPS triples), each with its measurement. $3: median of
# the first measurement (a bad value makes a bad entry).
doc() {
    local fp=$1 shapes=$2 first_median=${3:-0.001} kv=${4:-${MXT_KERNEL_VERSION:?set by tests/cli/CMakeLists.txt}}
    local meas="" tuned="" sep="" i=0 m n k g
    for s in $shapes; do
        IFS=: read -r m n k g <<<"$s"
        local median=0.001; [ $i = 0 ] && median=$first_median
        local p="{\"op\":\"gemm\",\"dtype\":\"f32\",\"m\":$m,\"n\":$n,\"k\":$k,\"threads\":2}"
        local c="{\"schedule\":\"goto\",\"isa\":\"generic\",\"mr\":8,\"nr\":4,\"mc\":$((8 * (i + 8))),\"kc\":128,\"nc\":256,\"alpha\":0,\"threads\":2}"
        meas="$meas$sep{\"problem\":$p,\"config\":$c,\"kernel_version\":\"$kv\",\"median_s\":$median,\"gflops\":$g,\"strategy\":\"test\",\"seed\":\"7\"}"
        tuned="$tuned$sep{\"problem\":$p,\"config\":$c,\"kernel_version\":\"$kv\",\"provenance\":{\"strategy\":\"test\"}}"
        sep=","; i=$((i + 1))
    done
    cat <<EOF
{"schema":"mxtune.db_export/1","machines":[{"fingerprint":"$fp","name":"box $fp",
 "profile":{"schema":"mxtune.machine/1","fingerprint":"$fp","cores":2,
            "caches":[{"level":1,"size_bytes":32768},{"level":2,"size_bytes":1048576}],
            "dram":{"bw_GBps":{"read_1t":20,"read_all":30}},
            "compute":{"peak_gflops":{"f32_1t":100,"f32_all":200,"f64_1t":50,"f64_all":100}}},
 "measurements":[$meas],"tuned":[$tuned]}]}
EOF
}

# This machine's fingerprint, as the lookup sees it.
this_fp() {
    "$MXTUNE" lookup -m 8 -n 8 -k 8 --json --db "$T/none.db" |
        sed -n 's/.*"fingerprint":"\([^"]*\)".*/\1/p'
}

case_db_list_schema_2() {
    need_sqlite
    expect 0 "$MXTUNE" db import --db "$T/a.db" <(doc fp-a "64:64:64:10")
    expect 0 "$MXTUNE" db list --db "$T/a.db"
    grep -q "schema    2 (this mxtune: 2)" "$T/out" || fail "not schema 2"
    for t in machine probe_run problem measurement tuned calibration; do
        grep -q "^  $t " "$T/out" || fail "db list misses $t"
    done
    expect 0 "$MXTUNE" db list --json --db "$T/a.db"
    grep -q '"measurement":1' "$T/out" || fail "db list --json counts no measurement"
}
case_db_show() {
    need_sqlite
    doc fp-a "512:512:512:42.5 100:200:300:7" >"$T/a.json"
    expect 0 "$MXTUNE" db import "$T/a.json" --db "$T/a.db"
    grep -q "imported 5 rows" "$T/out" || fail "import does not say what it added: $(cat "$T/out")"
    expect 0 "$MXTUNE" db show --db "$T/a.db"
    grep -q "machine fp-a" "$T/out" || fail "show names no machine"
    grep -q "512 x 512 x 512" "$T/out" || fail "show has no shape"
    grep -q "goto generic 8x4 mc=64 kc=128 nc=256" "$T/out" || fail "show has no configuration"
    grep -q "42.5" "$T/out" || fail "show has no GFLOP/s"
    grep -q "stale" "$T/out" && fail "current rows shown stale"
    expect 0 "$MXTUNE" db show --json --fingerprint fp-a --db "$T/a.db"
    grep -q '"schema":"mxtune.db_show/1"' "$T/out" || fail "no db_show schema"
    grep -q '"stale":false' "$T/out" || fail "no stale flag"
    expect 1 "$MXTUNE" db show --fingerprint fp-nope --db "$T/a.db"
    one_line_error "fp-nope"
    # a winner measured by another kernel version is shown stale
    expect 0 "$MXTUNE" db import --db "$T/b.db" <(doc fp-b "64:64:64:10" 0.001 0)
    expect 0 "$MXTUNE" db show --db "$T/b.db"
    grep -q "stale" "$T/out" || fail "old kernel version not shown stale"
}
case_db_export_import_round_trip() {
    need_sqlite
    expect 0 "$MXTUNE" db import --db "$T/a.db" <(doc fp-a "512:512:512:40 64:128:256:5")
    expect 0 "$MXTUNE" db export --db "$T/a.db"
    cp "$T/out" "$T/a.json"
    grep -q '"schema":[[:space:]]*"mxtune.db_export/1"' "$T/a.json" || fail "no export schema"
    expect 0 "$MXTUNE" db import "$T/a.json" --db "$T/c.db"
    expect 0 "$MXTUNE" db export --db "$T/c.db"
    diff <(grep -v '^	"created"' "$T/a.json") <(grep -v '^	"created"' "$T/out") >/dev/null ||
        fail "export -> import -> export differs"
    expect 0 "$MXTUNE" db export --fingerprint fp-a --db "$T/a.db"
    expect 1 "$MXTUNE" db export --fingerprint fp-nope --db "$T/a.db"
    one_line_error "fp-nope"
    # importing the same again: entries already there, nothing changed
    local h; h=$(content "$T/c.db")
    expect 1 "$MXTUNE" db import "$T/a.json" --db "$T/c.db"
    one_line_error "already"
    [ "$(content "$T/c.db")" = "$h" ] || fail "a refused import changed the database"
}
case_db_import_bad_entry_rolls_back() {
    need_sqlite
    expect 0 "$MXTUNE" db import --db "$T/a.db" <(doc fp-a "512:512:512:40")
    local h; h=$(content "$T/a.db")
    local n; n=$(count "$T/a.db" measurement)
    # machine fp-b is new and its second entry is fine; the first measurement is bad
    doc fp-b "64:64:64:10 128:128:128:20" -3 >"$T/bad.json"
    expect 1 "$MXTUNE" db import "$T/bad.json" --db "$T/a.db"
    one_line_error "machines[0].measurements[0]"
    one_line_error "bad.json"
    [ "$(wc -l <"$T/err")" = 1 ] || fail "more than one line of error"
    [ "$(content "$T/a.db")" = "$h" ] || fail "a failed import changed the database"
    [ "$(count "$T/a.db" measurement)" = "$n" ] || fail "measurement count changed"
    [ "$(count "$T/a.db" machine)" = 1 ] || fail "the new machine was kept"
    # the last entry bad instead: everything before it is rolled back too
    doc fp-b "64:64:64:10 128:128:128:20" >"$T/bad2.json"
    sed -i 's/"isa":"generic","mr":8,"nr":4,"mc":72/"isa":"sse9","mr":8,"nr":4,"mc":72/' "$T/bad2.json"
    expect 1 "$MXTUNE" db import "$T/bad2.json" --db "$T/a.db"
    one_line_error "measurements[1]"
    [ "$(content "$T/a.db")" = "$h" ] || fail "a failed import changed the database"
}
case_db_import_corrupt_file() {
    need_sqlite
    expect 0 "$MXTUNE" db import --db "$T/a.db" <(doc fp-a "512:512:512:40")
    local h; h=$(content "$T/a.db")
    printf '{"schema": "mxtune.db_export/1", "machines": [ {"fingerpr' >"$T/cut.json"
    expect 1 "$MXTUNE" db import "$T/cut.json" --db "$T/a.db"
    one_line_error "not valid JSON"
    printf '\x00\x01binary' >"$T/bin.json"
    expect 1 "$MXTUNE" db import "$T/bin.json" --db "$T/a.db"
    echo '{"schema":"mxtune.machine/1"}' >"$T/other.json"
    expect 1 "$MXTUNE" db import "$T/other.json" --db "$T/a.db"
    one_line_error "mxtune.db_export/1"
    expect 1 "$MXTUNE" db import "$T/missing.json" --db "$T/a.db"
    one_line_error "missing.json"
    [ "$(content "$T/a.db")" = "$h" ] || fail "a corrupt import changed the database"
}
case_db_merge_keeps_machines_apart() {
    need_sqlite
    expect 0 "$MXTUNE" db import --db "$T/a.db" <(doc fp-a "512:512:512:40 64:64:64:4")
    expect 0 "$MXTUNE" db import --db "$T/b.db" <(doc fp-b "512:512:512:80")
    local hb; hb=$(content "$T/b.db")
    expect 0 "$MXTUNE" db merge "$T/b.db" --db "$T/a.db"
    grep -q "merged 3 rows" "$T/out" || fail "merge does not say what it added: $(cat "$T/out")"
    [ "$(count "$T/a.db" machine)" = 2 ] || fail "expected two machines"
    [ "$(sqlite3 "$T/a.db" "select count(*) from measurement ms join machine m on m.id = ms.machine_id where m.fingerprint = 'fp-a'")" = 2 ] || fail "fp-a rows"
    [ "$(sqlite3 "$T/a.db" "select count(*) from measurement ms join machine m on m.id = ms.machine_id where m.fingerprint = 'fp-b'")" = 1 ] || fail "fp-b rows"
    [ "$(sqlite3 "$T/a.db" "select count(*) from tuned t join measurement ms on ms.id = t.measurement_id where ms.machine_id <> t.machine_id")" = 0 ] || fail "a winner crossed machines"
    [ "$(content "$T/b.db")" = "$hb" ] || fail "merge changed the other database"
    expect 0 "$MXTUNE" db show --fingerprint fp-b --db "$T/a.db"
    grep -q "80.0" "$T/out" || fail "fp-b's winner is not its own"
    # a merge again adds nothing; a corrupt other file changes nothing
    local h; h=$(content "$T/a.db")
    expect 0 "$MXTUNE" db merge "$T/b.db" --db "$T/a.db"
    grep -q "merged 0 rows" "$T/out" || fail "second merge added rows"
    printf 'not a database at all, just notes\n' >"$T/notes.db"
    expect 1 "$MXTUNE" db merge "$T/notes.db" --db "$T/a.db"
    one_line_error "not an mxtune database"
    [ "$(content "$T/a.db")" = "$h" ] || fail "merges changed the database"
}
case_db_bad_usage() {
    expect 2 "$MXTUNE" db frob; one_line_error "unknown subcommand 'frob'"
    expect 2 "$MXTUNE" db import; one_line_error "needs a file"
    expect 2 "$MXTUNE" db merge; one_line_error "needs a file"
    expect 2 "$MXTUNE" db show --fingerprint; one_line_error "needs a value"
    expect 2 "$MXTUNE" db list --fingerprint x; one_line_error "fingerprint"
    expect 2 "$MXTUNE" db export extra; one_line_error "unexpected argument 'extra'"
    expect 0 "$MXTUNE" db --help; grep -q "usage: mxtune db" "$T/out" || fail "no usage"
}
case_lookup_bad_values() {
    expect 2 "$MXTUNE" lookup -m 0 -n 8 -k 8; one_line_error "-m"
    expect 2 "$MXTUNE" lookup -m abc -n 8 -k 8; one_line_error "abc"
    expect 2 "$MXTUNE" lookup -m 8 -n 8; one_line_error "needs -m, -n and -k"
    expect 2 "$MXTUNE" lookup -m 8 -n 8 -k 8 --dtype f16; one_line_error "f16"
    expect 2 "$MXTUNE" lookup -m 8 -n 8 -k 8 --op contract; one_line_error "contract"
    expect 2 "$MXTUNE" lookup -m 8 -n 8 -k 8 --op spmm --density 2; one_line_error "density"
    expect 2 "$MXTUNE" lookup -m 8 -n 8 -k 8 --threads 0; one_line_error "threads"
    expect 2 "$MXTUNE" lookup -m 8 -n 8 -k 8 --op lowrank; one_line_error "rank"
    expect 2 "$MXTUNE" lookup -m 8 -n 8 -k 8 --rank 4; one_line_error "rank"
    expect 2 "$MXTUNE" lookup -m 8 -n 8 -k 8 --frob; one_line_error "unknown option"
}
case_lookup_without_database() {
    expect 0 "$MXTUNE" lookup -m 300 -n 200 -k 100 --db "$T/absent.db"
    grep -q "^source    model" "$T/out" || fail "no model source"
    grep -q "^note .*mxtune probe" "$T/out" || fail "no note saying to probe"
    [ ! -e "$T/absent.db" ] || fail "lookup created a database"
    expect 0 "$MXTUNE" lookup -m 300 -n 200 -k 100 --json --db "$T/absent.db"
    grep -q '"schema":"mxtune.lookup/1"' "$T/out" || fail "no lookup schema"
    grep -q '"source":"model"' "$T/out" || fail "no source"
    for key in schedule isa mr nr mc kc nc alpha threads; do
        grep -q "\"config\":{.*\"$key\":" "$T/out" || fail "config has no $key"
    done
    printf 'corrupt\n' >"$T/bad.db"
    expect 1 "$MXTUNE" lookup -m 8 -n 8 -k 8 --db "$T/bad.db"
    one_line_error "not an mxtune database"
}
case_lookup_sources() {
    need_sqlite
    local fp; fp=$(this_fp)
    [ -n "$fp" ] || fail "no fingerprint from lookup --json"
    expect 0 "$MXTUNE" db import --db "$T/l.db" <(doc "$fp" "512:512:512:40 64:4096:64:9")
    expect 0 "$MXTUNE" lookup -m 512 -n 512 -k 512 --threads 2 --json --db "$T/l.db"
    grep -q '"source":"exact"' "$T/out" || fail "512^3 is not exact: $(cat "$T/out")"
    grep -q '"mc":64' "$T/out" || fail "not the tuned config"
    expect 0 "$MXTUNE" lookup -m 600 -n 500 -k 400 --threads 2 --json --db "$T/l.db"
    grep -q '"source":"nearest"' "$T/out" || fail "600x500x400 is not nearest"
    grep -q '"tuned":{"m":512,"n":512,"k":512}' "$T/out" || fail "nearest is not 512^3"
    expect 0 "$MXTUNE" lookup -m 60 -n 3000 -k 70 --threads 2 --db "$T/l.db"
    grep -q "^source    nearest (tuned for 64 x 4096 x 64" "$T/out" || fail "skinny not nearest skinny"
    expect 0 "$MXTUNE" lookup -m 512 -n 512 -k 512 --threads 2 --dtype f64 --json --db "$T/l.db"
    grep -q '"source":"model"' "$T/out" || fail "f64 was matched to f32 winners"
    grep -q '"note":""' "$T/out" || fail "the model answer has a note"
    expect 0 "$MXTUNE" lookup -m 512 -n 512 -k 512 --threads 1 --json --db "$T/l.db"
    grep -q '"source":"model"' "$T/out" || fail "1 thread was matched to 2-thread winners"
}

run_case "$@"
