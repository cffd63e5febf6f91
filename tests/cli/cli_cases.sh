#!/usr/bin/env bash
# Command-line cases: exit codes, one-line errors, files left untouched.
# Usage: cli_cases.sh CASE   (MXTUNE points at the program)
. "$(dirname "$0")/lib.sh"

case_no_args() { expect 2 "$MXTUNE"; }
case_unknown_command() { expect 2 "$MXTUNE" frobnicate; one_line_error "unknown command 'frobnicate'"; }
case_version() { expect 0 "$MXTUNE" --version; grep -q '^mxtune [0-9]' "$T/out" || fail "no version"; }
case_help_everywhere() {
    expect 0 "$MXTUNE" --help
    for c in $(awk '/^commands:/{f=1;next} f&&/^  [a-z]/{print $1} f&&/^$/{exit}' "$T/out"); do
        "$MXTUNE" "$c" --help >"$T/h" 2>&1 || fail "$c --help exited $?"
        grep -q "usage: mxtune $c" "$T/h" || fail "$c --help prints no usage"
    done
}
case_probe_unknown_flag() { expect 2 "$MXTUNE" probe --fast; one_line_error "unknown option '--fast'"; }
case_probe_conflicting_modes() { expect 2 "$MXTUNE" probe --quick --thorough; one_line_error "conflict"; }
case_probe_bad_max_memory() {
    expect 2 "$MXTUNE" probe --max-memory lots; one_line_error "max-memory"
    expect 2 "$MXTUNE" probe --max-memory 12K; one_line_error "below 1 MiB"
}
case_probe_corrupt_db_untouched() {
    printf 'these are my notes, not a database\n' >"$T/notes.db"
    local h; h=$(hash_of "$T/notes.db")
    expect 1 "$MXTUNE" probe --quick --db "$T/notes.db"
    one_line_error "not an mxtune database"
    [ "$(hash_of "$T/notes.db")" = "$h" ] || fail "corrupt database was modified"
    [ ! -e "$T/notes.db-wal" ] || fail "a -wal file was left behind"
}
case_probe_newer_db_untouched() {
    sqlite3 "$T/new.db" "PRAGMA application_id=1297634389; CREATE TABLE machine(id INTEGER); PRAGMA user_version=99;" || fail "sqlite3"
    local h; h=$(hash_of "$T/new.db")
    expect 1 "$MXTUNE" probe --quick --db "$T/new.db"
    one_line_error "newer"
    [ "$(hash_of "$T/new.db")" = "$h" ] || fail "newer database was modified"
}
case_probe_unwritable_db() {
    expect 1 "$MXTUNE" probe --quick --db /proc/self/no/such/dir/x.db
    one_line_error "/proc/self/no/such/dir/x.db"
}
case_machine_show_without_db() {
    expect 1 "$MXTUNE" machine show --db "$T/absent.db"
    one_line_error "mxtune probe"
}
case_probe_quick_stores_and_shows() {
    expect 0 "$MXTUNE" probe --quick --json --db "$T/p.db"
    grep -Eq '"schema":[[:space:]]*"mxtune.machine/1"' "$T/out" || fail "no machine schema"
    grep -Eq '"level":[[:space:]]*1' "$T/out" || fail "no L1 in the profile"
    grep -Eq '"provenance":[[:space:]]*"measured"' "$T/out" || fail "nothing measured"
    fp=$(sed -n 's/.*"fingerprint":[[:space:]]*"\([0-9a-f]*\)".*/\1/p' "$T/out" | head -1)
    [ -n "$fp" ] || fail "no fingerprint"
    expect 0 "$MXTUNE" machine list --db "$T/p.db"
    grep -q "$fp" "$T/out" || fail "machine list does not show $fp"
    expect 0 "$MXTUNE" machine show --json --db "$T/p.db"
    grep -Eq "\"fingerprint\":[[:space:]]*\"$fp\"" "$T/out" || fail "machine show is not this machine"
    expect 0 "$MXTUNE" machine show --db "$T/p.db"
    grep -q "^L1d" "$T/out" || fail "no level table"
    expect 0 "$MXTUNE" db list --db "$T/p.db"
    grep -q "probe_run" "$T/out" || fail "db list shows no probe_run table"
    [ "$(sqlite3 "$T/p.db" 'select count(*) from probe_run')" = 1 ] || fail "expected one probe run"
}
case_probe_memory_cap() {
    expect 0 "$MXTUNE" probe --quick --json --max-memory 8M --db "$T/c.db"
    grep -q "capped at 8 MiB" "$T/out" || fail "the profile does not say the sweep was capped"
}
case_probe_low_memory_caps_sweep() {
    # A machine with 40 MiB available: the sweep is capped at a quarter, not killed.
    mkdir -p "$T/root/proc"
    printf 'MemTotal:        65536 kB\nMemFree:         40960 kB\nMemAvailable:    40960 kB\n' >"$T/root/proc/meminfo"
    MXT_SYSFS_ROOT="$T/root" expect 0 "$MXTUNE" probe --quick --json --db "$T/m.db"
    grep -q "capped at 10 MiB (25 % of the 40 MiB available)" "$T/out" || { cat "$T/out" >&2; fail "no cap warning"; }
}
case_probe_interrupt_stores_nothing() {
    "$MXTUNE" probe --db "$T/i.db" >"$T/out" 2>"$T/err" &
    local pid=$!
    sleep 1.5
    kill -INT "$pid"
    wait "$pid"
    local rc=$?
    [ "$rc" = 130 ] || fail "interrupted probe exited $rc, expected 130"
    grep -q "nothing stored" "$T/err" || fail "no 'nothing stored' message"
    if [ -e "$T/i.db" ]; then
        [ "$(sqlite3 "$T/i.db" 'select count(*) from probe_run')" = 0 ] || fail "a probe run was stored"
    fi
}

run_case "$@"
