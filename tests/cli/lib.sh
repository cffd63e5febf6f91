# The part every command-line case script shares; sourced first thing:
#   . "$(dirname "$0")/lib.sh"
# It checks MXTUNE, makes the scratch directory $T (removed on exit by cleanup,
# which a script may redefine), points the default database into it, and gives
# the checks below. A script ends with `run_case "$@"`.
# Settings a script may make before the checks run:
#   ONE_LINE=strict     one_line_error wants exactly one line on stderr
#                       (default: at least one)
#   ERROR_PREFIX=TEXT   ... and that line to start with TEXT
set -u
: "${MXTUNE:?set MXTUNE to the mxtune program}"
T=$(mktemp -d)
cleanup() { rm -rf "$T"; }
trap 'cleanup' EXIT
export MXTUNE_DB="$T/default.db"
unset XDG_DATA_HOME

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skip: $*" >&2; exit 77; }
hash_of() { sha256sum "$1" | cut -d' ' -f1; }
# expect CODE CMD...: run, check the exit code, keep stdout/stderr in $T/out, $T/err
expect() {
    local want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    [ "$got" = "$want" ] || { cat "$T/err" >&2; fail "'$*' exited $got, expected $want"; }
}
# the last line on stderr names the problem ($1, a fixed string)
error_mentions() {
    [ -s "$T/err" ] || fail "no error message"
    tail -n 1 "$T/err" | grep -qF -- "$1" || { cat "$T/err" >&2; fail "error does not mention '$1'"; }
}
# an error on stderr (one line with ONE_LINE=strict) that mentions $1 (a fixed string)
one_line_error() {
    if [ "${ONE_LINE:-}" = strict ]; then
        [ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err" >&2; fail "not one line of error"; }
    else
        [ -s "$T/err" ] || fail "no error message"
    fi
    if [ -n "${ERROR_PREFIX:-}" ]; then
        grep -qF -- "$ERROR_PREFIX" "$T/err" || { cat "$T/err" >&2; fail "error lacks '$ERROR_PREFIX'"; }
    fi
    grep -qF -- "$1" "$T/err" || { cat "$T/err" >&2; fail "error does not mention '$1'"; }
}
# run_case NAME: the function case_NAME of the sourcing script
run_case() {
    if [ $# -ne 1 ] || ! declare -F "case_$1" >/dev/null; then
        echo "usage: $0 CASE" >&2
        exit 2
    fi
    "case_$1"
    echo "ok $1"
}
