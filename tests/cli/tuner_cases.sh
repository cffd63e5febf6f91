#!/usr/bin/env bash
# Command-line cases of `mxtune search`, `mxtune bench` and `mxtune model
# accuracy`: usage errors (exit 2), run-time failures (exit 1), the measuring
# lock, the JSON contract of CLI.md, resume and dry runs on tiny problems.
# Usage: tuner_cases.sh CASE   (MXTUNE points at the program, MXT_TEST_DATA at
# tests/data). Cases that need a profile store one with `probe --quick`.
. "$(dirname "$0")/lib.sh"
ONE_LINE=strict
LOCKPID=
cleanup() {
    [ -n "$LOCKPID" ] && kill "$LOCKPID" 2>/dev/null
    rm -rf "$T"
}

need_jq() { command -v jq >/dev/null || { echo "jq is missing: make test installs it" >&2; exit 1; }; }
jget() { jq -r "$1" "$T/out"; }
has_keys() {
    for k in "$@"; do
        [ "$(jq "has(\"$k\")" "$T/out")" = true ] || fail "JSON lacks key '$k'"
    done
}
profile() { "$MXTUNE" probe --quick --db "$1" >/dev/null 2>&1 || fail "probe --quick failed"; }
rows() { sqlite3 "$1" "select count(*) from measurement" 2>/dev/null || echo 0; }

# ---- search: bad usage (exit 2), nothing measured ----

case_search_help() {
    expect 0 "$MXTUNE" search --help
    grep -q "usage: mxtune search" "$T/out" || fail "no usage"
    for f in --budget --max-evals --patience --strategy --seed --shapes --dry-run --rerun; do
        grep -q -- "$f" "$T/out" || fail "help does not name $f"
    done
}
case_search_bad_budgets() {
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --budget 0; one_line_error "--budget"
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --budget -3; one_line_error "--budget"
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --budget soon; one_line_error "--budget"
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --budget nan; one_line_error "--budget"
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --max-evals 0; one_line_error "--max-evals"
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --max-evals -1; one_line_error "--max-evals"
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --patience 0; one_line_error "--patience"
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --lock-timeout 0; one_line_error "--lock-timeout"
}
case_search_conflicting_flags() {
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --dry-run --rerun; one_line_error "conflict"
    printf '64 64 64\n' >"$T/s.txt"
    expect 2 "$MXTUNE" search --shapes "$T/s.txt" -m 64 -n 64 -k 64; one_line_error "conflict"
    expect 2 "$MXTUNE" search -m 64 -k 64; one_line_error "missing -n"
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --mc 64; one_line_error "--mc"
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --mr 8; one_line_error "--mr and --nr"
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --limit 5; one_line_error "--dry-run"
}
case_search_unknown_strategy() {
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --strategy genetic
    one_line_error "unknown strategy 'genetic'"
}
case_search_bad_op_and_values() {
    expect 2 "$MXTUNE" search --op contract -m 64 -n 64 -k 64; one_line_error "contract"
    expect 2 "$MXTUNE" search --op frob; one_line_error "frob"
    expect 2 "$MXTUNE" search -m 0 -n 64 -k 64; one_line_error "-m"
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --seed -1; one_line_error "--seed"
    expect 2 "$MXTUNE" search --frobnicate; one_line_error "unknown option"
}

# ---- search: run-time failures (exit 1) ----

case_search_shapes_file_errors() {
    expect 1 "$MXTUNE" search --shapes "$T/none.txt"; one_line_error "none.txt"
    printf '# layers\n1024 1024 1024\n512 512\n' >"$T/bad.txt"
    expect 1 "$MXTUNE" search --shapes "$T/bad.txt"; one_line_error "bad.txt:3:"
    printf '64 64 64 f16\n' >"$T/dt.txt"
    expect 1 "$MXTUNE" search --shapes "$T/dt.txt"; one_line_error "f16"
    printf '# nothing\n\n' >"$T/empty.txt"
    expect 1 "$MXTUNE" search --shapes "$T/empty.txt"; one_line_error "no shapes"
}
case_search_without_profile() {
    expect 1 "$MXTUNE" search -m 64 -n 64 -k 64 --db "$T/none.db"
    one_line_error "mxtune probe"
    [ ! -e "$T/none.db" ] || fail "a database was created"
}
case_search_goto_jc() {
    need_jq
    profile "$T/g.db"
    expect 0 "$MXTUNE" search -m 96 -n 80 -k 64 --schedule goto-jc --threads 2 \
        --max-evals 3 --min-time 0.01 --json --db "$T/g.db"
    [ "$(jq -r .best.config.schedule "$T/out")" = goto-jc ] || fail "winner: $(jq -c .best.config "$T/out")"
    n=$(sqlite3 "$T/g.db" "select count(*) from measurement where schedule = 'goto-jc'")
    [ "$n" -ge 1 ] || fail "no goto-jc measurement stored"
    expect 0 "$MXTUNE" lookup -m 96 -n 80 -k 64 --threads 2 --json --db "$T/g.db"
    [ "$(jq -r .config.schedule "$T/out")" = goto-jc ] || fail "lookup: $(cat "$T/out")"
}
case_search_locked_no_wait() {
    command -v flock >/dev/null || { echo "skip: no flock" >&2; exit 77; }
    profile "$T/l.db"
    # a holder that is itself the sleeping process, so that killing it frees the lock
    ( exec 9>"$T/l.db.lock"; flock -x 9; exec sleep 60 ) </dev/null >/dev/null 2>&1 &
    LOCKPID=$!
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        flock -n -x "$T/l.db.lock" true 2>/dev/null || break
        sleep 0.2
    done
    expect 1 "$MXTUNE" search -m 64 -n 64 -k 64 --db "$T/l.db" --no-wait
    error_mentions "mxtune search"
    expect 1 "$MXTUNE" search -m 64 -n 64 -k 64 --db "$T/l.db" --lock-timeout 0.5
    [ "$(rows "$T/l.db")" = 0 ] || fail "measurements were stored while locked"
    # the dry run measures nothing and needs no lock
    expect 0 "$MXTUNE" search -m 64 -n 64 -k 64 --db "$T/l.db" --dry-run
}

# ---- search: the contract on a tiny problem ----

case_search_json_and_resume() {
    need_jq
    profile "$T/s.db"
    expect 0 "$MXTUNE" search -m 96 -n 80 -k 64 --strategy model --max-evals 6 --min-time 0.01 \
        --json --db "$T/s.db"
    has_keys schema best measured model_first default
    [ "$(jget .schema)" = "mxtune.search/1" ] || fail "schema"
    for k in config gflops seconds; do
        [ "$(jq ".best | has(\"$k\")" "$T/out")" = true ] || fail "best lacks $k"
    done
    for k in schedule isa mr nr mc kc nc alpha threads; do
        [ "$(jq ".best.config | has(\"$k\")" "$T/out")" = true ] || fail "config lacks $k"
    done
    [ "$(jq '.model_first | has("config") and has("gflops")' "$T/out")" = true ] || fail "model_first"
    [ "$(jq '.default | has("config") and has("gflops")' "$T/out")" = true ] || fail "default"
    [ "$(jq '.default.config.schedule' "$T/out")" = '"goto"' ] || fail "default is not goto"
    [ "$(jget .measured)" -ge 2 ] || fail "measured $(jget .measured)"
    [ "$(jq '.best.gflops >= .model_first.gflops and .best.gflops >= .default.gflops' "$T/out")" = true ] \
        || fail "the winner is slower than a baseline"
    [ "$(rows "$T/s.db")" -ge 2 ] || fail "measurements not stored"
    n=$(rows "$T/s.db")
    # the same search again resumes: what is stored is reused, not measured again
    # (the model was calibrated in between, so its top 6 may have changed: those
    # are new rows)
    expect 0 "$MXTUNE" search -m 96 -n 80 -k 64 --strategy model --max-evals 6 --min-time 0.01 \
        --json --db "$T/s.db"
    [ "$(jget .resumed)" -ge 1 ] || fail "nothing resumed"
    [ "$(( $(jget .resumed) + $(jget .measured) ))" = "$(jget .evaluated)" ] || fail "counts"
    [ "$(rows "$T/s.db")" = "$(( n + $(jget .measured) ))" ] || fail "a stored candidate was measured again"
    # --rerun measures everything again: rows are replaced, not added
    n=$(rows "$T/s.db")
    expect 0 "$MXTUNE" search -m 96 -n 80 -k 64 --strategy model --max-evals 6 --min-time 0.01 \
        --json --rerun --db "$T/s.db"
    [ "$(jget .resumed)" = 0 ] || fail "--rerun resumed"
    [ "$(rows "$T/s.db")" -le "$(( n + $(jget .measured) ))" ] || fail "rows"
    # the model's accuracy over what is stored
    expect 0 "$MXTUNE" model accuracy --json --db "$T/s.db"
    has_keys count median_abs_pct_error spearman
    [ "$(jget .count)" -ge 2 ] || fail "accuracy count"
    [ "$(jget .schema)" = "mxtune.accuracy/1" ] || fail "accuracy schema"
}
case_search_ctrl_c() {
    need_jq
    profile "$T/c.db"
    "$MXTUNE" search -m 512 -n 512 -k 512 --max-evals 200 --patience 200 --min-time 0.2 --json \
        --db "$T/c.db" >"$T/out" 2>"$T/err" &
    local pid=$! i
    for i in $(seq 1 300); do
        [ "$(rows "$T/c.db")" -ge 3 ] && break
        sleep 0.1
    done
    [ "$(rows "$T/c.db")" -ge 3 ] || { kill "$pid"; fail "no measurement stored in 30 s"; }
    kill -INT "$pid"
    wait "$pid"
    local rc=$?
    [ "$rc" = 130 ] || { cat "$T/err" >&2; fail "exit $rc after Ctrl-C, expected 130"; }
    [ "$(jget .interrupted)" = true ] || fail "not marked interrupted"
    [ "$(jq '.best.gflops > 0' "$T/out")" = true ] || fail "no best so far"
    [ "$(rows "$T/c.db")" -ge 3 ] || fail "measurements lost"
    grep -q "interrupted" "$T/err" || fail "no word on stderr"
}
case_search_dry_run() {
    need_jq
    profile "$T/d.db"
    expect 0 "$MXTUNE" search -m 256 -n 256 -k 256 --dry-run --json --limit 7 --db "$T/d.db"
    [ "$(jget .measured)" = 0 ] || fail "dry run measured"
    [ "$(jq '.ranked | length' "$T/out")" = 7 ] || fail "ranked length"
    [ "$(jq '.ranked[0].predicted_seconds <= .ranked[6].predicted_seconds' "$T/out")" = true ] \
        || fail "not ranked"
    [ "$(rows "$T/d.db")" = 0 ] || fail "a dry run stored measurements"
    expect 0 "$MXTUNE" search -m 256 -n 256 -k 256 --dry-run --db "$T/d.db"
    grep -q "(default)" "$T/out" || fail "the default is not shown"
}
case_model_accuracy_errors() {
    expect 1 "$MXTUNE" model accuracy --db "$T/none.db"; one_line_error "mxtune probe"
    expect 2 "$MXTUNE" model accuracy -m 64; one_line_error "model accuracy"
    expect 2 "$MXTUNE" model accuracy extra; one_line_error "extra"
}

# ---- search: spmm and lowrank ----

case_search_spmm_lowrank_bad_values() {
    expect 2 "$MXTUNE" search --op spmm -m 64 -n 64 -k 64; one_line_error "--density"
    expect 2 "$MXTUNE" search --op spmm -m 64 -n 64 -k 64 --density 0; one_line_error "--density"
    expect 2 "$MXTUNE" search --op spmm -m 64 -n 64 -k 64 --density 1.5; one_line_error "(0, 1]"
    expect 2 "$MXTUNE" search --op spmm -m 64 -n 64 -k 64 --density -0.1; one_line_error "--density"
    expect 2 "$MXTUNE" search --op spmm -m 64 -n 64 -k 64 --density x; one_line_error "--density"
    expect 2 "$MXTUNE" search --op spmm -m 64 -n 64 -k 64 --density 0.1 --dtype f64
    one_line_error "f32"
    expect 2 "$MXTUNE" search --op spmm -m 64 -n 64 -k 64 --density 0.1 --schedule goto
    one_line_error "cake-kmn"
    expect 2 "$MXTUNE" search --op spmm --density 0.1; one_line_error "-m"
    expect 2 "$MXTUNE" search --op lowrank -m 64 -n 64 -k 32; one_line_error "--rank"
    expect 2 "$MXTUNE" search --op lowrank -m 64 -n 64 -k 32 --rank 0; one_line_error "--rank"
    expect 2 "$MXTUNE" search --op lowrank -m 64 -n 64 -k 32 --rank -2; one_line_error "--rank"
    expect 2 "$MXTUNE" search --op lowrank -m 64 -n 64 -k 32 --rank 33; one_line_error "min(m, k)"
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --density 0.5; one_line_error "spmm only"
    expect 2 "$MXTUNE" search -m 64 -n 64 -k 64 --rank 5; one_line_error "lowrank only"
    expect 2 "$MXTUNE" search --op spmm -m 64 -n 64 -k 64 --density 0.1 --rank 4
    one_line_error "lowrank only"
    printf '64 64 64\n16 64 8\n' >"$T/r.txt"
    expect 2 "$MXTUNE" search --op lowrank --rank 12 --shapes "$T/r.txt"; one_line_error "r.txt:2:"
}
# one spmm or lowrank search: $1 op, $2 its flag and value; stores rows and a winner
search_op_and_lookup() {
    local op=$1 flag=$2 val=$3 db="$T/$1.db"
    profile "$db"
    expect 0 "$MXTUNE" search --op "$op" -m 256 -n 256 -k 256 "$flag" "$val" --max-evals 4 \
        --min-time 0.01 --db "$db" --json
    has_keys schema op best measured model_first default
    [ "$(jget .schema)" = "mxtune.search/1" ] || fail "schema"
    [ "$(jget .op)" = "$op" ] || fail "op $(jget .op)"
    [ "$(jget ".${flag#--}")" = "$val" ] || fail "${flag#--} is $(jget ".${flag#--}")"
    [ "$(jget .measured)" -ge 2 ] || fail "measured $(jget .measured)"
    [ "$(jget .measured)" -le 4 ] || fail "measured $(jget .measured) above --max-evals 4"
    [ "$(jq '.best.gflops > 0 and .best.gflops >= .default.gflops' "$T/out")" = true ] \
        || fail "no winner, or one slower than the default"
    local col=${flag#--}
    [ "$(sqlite3 "$db" "select count(*) from measurement m join problem p on p.id = m.problem_id \
        where p.op = '$op' and p.$col = $val")" -ge 2 ] || fail "measurements not stored"
    [ "$(sqlite3 "$db" "select count(*) from tuned t join problem p on p.id = t.problem_id \
        where p.op = '$op' and p.$col = $val")" = 1 ] || fail "no stored winner"
    cp "$T/out" "$T/search.json"
    expect 0 "$MXTUNE" lookup --op "$op" -m 256 -n 256 -k 256 "$flag" "$val" --db "$db" --json
    [ "$(jget .source)" = exact ] || fail "lookup source $(jget .source)"
    for k in schedule isa mr nr mc kc nc threads; do
        [ "$(jget ".config.$k")" = "$(jq -r ".best.config.$k" "$T/search.json")" ] \
            || fail "lookup $k differs from the winner's"
    done
    # another value of the extra dimension is not the same problem
    expect 0 "$MXTUNE" lookup --op "$op" -m 256 -n 256 -k 256 "$flag" "$4" --db "$db" --json
    [ "$(jget .source)" = nearest ] || fail "lookup of another ${flag#--}: $(jget .source)"
}
case_search_spmm_stores_and_looks_up() {
    need_jq
    search_op_and_lookup spmm --density 0.1 0.2
    [ "$(jq -r '.best.config.schedule' "$T/search.json")" = cake-kmn ] || fail "spmm schedule"
}
case_search_lowrank_stores_and_looks_up() {
    need_jq
    search_op_and_lookup lowrank --rank 16 32
    jq -e '.order == "U(VX)" or .order == "(UV)X"' "$T/search.json" >/dev/null || fail "order"
}
case_search_spmm_lowrank_dry_run_and_shapes() {
    need_jq
    profile "$T/d.db"
    expect 0 "$MXTUNE" search --op spmm -m 128 -n 96 -k 160 --density 0.05 --dry-run --json \
        --limit 5 --db "$T/d.db"
    [ "$(jq '.ranked | length' "$T/out")" = 5 ] || fail "ranked length"
    [ "$(jq '[.ranked[].config.schedule] | unique' -c "$T/out")" = '["cake-kmn"]' ] \
        || fail "spmm ranks another schedule"
    [ "$(rows "$T/d.db")" = 0 ] || fail "a dry run stored measurements"
    printf '# two problems\n64 48 80\n96 64 40 f64\n' >"$T/l.txt"
    expect 0 "$MXTUNE" search --op lowrank --rank 8 --shapes "$T/l.txt" --dry-run --json \
        --db "$T/d.db"
    [ "$(jq '.problems | length' "$T/out")" = 2 ] || fail "two problems"
    [ "$(jq -r '.problems[1].dtype' "$T/out")" = f64 ] || fail "dtype of the second line"
    [ "$(jq -r '[.problems[].rank] | unique | .[0]' "$T/out")" = 8 ] || fail "rank"
}

# ---- bench ----

case_bench_usage_errors() {
    expect 0 "$MXTUNE" bench --help
    grep -q "usage: mxtune bench" "$T/out" || fail "no usage"
    expect 2 "$MXTUNE" bench -m 64 -n 64; one_line_error "missing -k"
    expect 2 "$MXTUNE" bench --op contract -m 64 -n 64 -k 64; one_line_error "contract"
    expect 2 "$MXTUNE" bench -m 64 -n 64 -k 64 --reps 0; one_line_error "--reps"
    expect 2 "$MXTUNE" bench -m 64 -n 64 -k 64 --schedule fast; one_line_error "fast"
}
case_bench_illegal_config() {
    expect 2 "$MXTUNE" bench -m 64 -n 64 -k 64 --schedule goto --isa generic --mr 8 --nr 4 \
        --mc 10 --db "$T/none.db"
    error_mentions "multiple"
    expect 2 "$MXTUNE" bench -m 64 -n 64 -k 64 --mr 7 --nr 5 --db "$T/none.db"
    error_mentions "illegal configuration"
}
# A bad MXT_ISA or MXT_HUGEPAGES is named in one line, exit 2, before anything runs
case_bad_kernel_environment() {
    profile "$T/p.db"
    local e
    for e in MXT_HUGEPAGES=yes MXT_ISA=sse9; do
        expect 2 env "$e" "$MXTUNE" bench -m 64 -n 64 -k 64 --db "$T/p.db"
        ONE_LINE=strict one_line_error "${e%%=*}='${e#*=}'"
        expect 2 env "$e" "$MXTUNE" search -m 64 -n 64 -k 64 --max-evals 2 --db "$T/p.db"
        ONE_LINE=strict one_line_error "${e%%=*}='${e#*=}'"
    done
    [ "$(rows "$T/p.db")" = 0 ] || fail "a refused run stored a measurement"
    expect 0 env MXT_HUGEPAGES=on "$MXTUNE" bench -m 64 -n 64 -k 64 --no-store --db "$T/p.db"
}
case_bench_too_large() {
    expect 1 "$MXTUNE" bench -m 1000000 -n 1000000 -k 1000000 --no-store --db "$T/none.db"
    error_mentions "cannot allocate"
}
case_bench_json_without_profile() {
    need_jq
    expect 0 "$MXTUNE" bench -m 67 -n 45 -k 33 --reps 3 --json --db "$T/none.db"
    has_keys schema gflops gflops_median seconds config predicted_seconds max_rel_error
    [ "$(jget .schema)" = "mxtune.bench/1" ] || fail "schema"
    [ "$(jget .predicted_seconds)" = null ] || fail "a prediction without a profile"
    [ "$(jget .within_bound)" = true ] || fail "result outside the bound"
    [ "$(jget .runs)" = 3 ] || fail "runs"
}
case_bench_goto_jc() {
    need_jq
    expect 0 "$MXTUNE" bench -m 67 -n 45 -k 33 --reps 3 --schedule goto-jc --threads 2 --json \
        --no-store --db "$T/none.db"
    [ "$(jget .config.schedule)" = goto-jc ] || fail "schedule: $(jget .config.schedule)"
    [ "$(jget .within_bound)" = true ] || fail "result outside the bound"
    expect 2 "$MXTUNE" bench -m 67 -n 45 -k 33 --schedule goto-diagonal --no-store
    error_mentions "goto-diagonal"
}
case_bench_with_profile() {
    need_jq
    profile "$T/b.db"
    expect 0 "$MXTUNE" bench -m 128 -n 96 -k 80 --dtype f64 --schedule cake-nkm --json \
        --min-time 0.01 --db "$T/b.db"
    [ "$(jq '.predicted_seconds > 0' "$T/out")" = true ] || fail "no prediction"
    [ "$(jget .config.schedule)" = cake-nkm ] || fail "schedule"
    [ "$(jget .within_bound)" = true ] || fail "result outside the bound"
    [ "$(sqlite3 "$T/b.db" "select count(*) from measurement where strategy = 'bench'")" = 1 ] \
        || fail "the measurement was not stored"
    expect 0 "$MXTUNE" bench -m 128 -n 96 -k 80 --reps 2 --no-store --db "$T/b.db"
    grep -q "^model " "$T/out" || fail "no model line"
    grep -q "within" "$T/out" || fail "no error line"
}

# ---- bench --op spmm and --op lowrank ----

case_bench_help_names_the_ops() {
    expect 0 "$MXTUNE" bench --help
    for f in "--op spmm" "--op lowrank" --density --rank --order "2 nnz(A) N" "K + R"; do
        grep -qF -- "$f" "$T/out" || fail "help does not name $f"
    done
    grep -q "no kernels yet" "$T/out" && fail "stale help"
    true
}
case_bench_sparse_lowrank_bad_input() {
    local s="-m 64 -n 64 -k 32"
    expect 2 "$MXTUNE" bench --op spmm $s; one_line_error "--density"
    expect 2 "$MXTUNE" bench --op spmm $s --density 0; one_line_error "--density"
    expect 2 "$MXTUNE" bench --op spmm $s --density 1.01; one_line_error "--density"
    expect 2 "$MXTUNE" bench --op spmm $s --density -0.5; one_line_error "--density"
    expect 2 "$MXTUNE" bench --op spmm $s --density 0.1 --dtype f64; one_line_error "f32"
    expect 2 "$MXTUNE" bench --op spmm $s --density 0.1 --sizing model; one_line_error "--sizing"
    expect 2 "$MXTUNE" bench --op lowrank $s; one_line_error "--rank"
    expect 2 "$MXTUNE" bench --op lowrank $s --rank 0; one_line_error "--rank"
    expect 2 "$MXTUNE" bench --op lowrank $s --rank -4; one_line_error "--rank"
    expect 2 "$MXTUNE" bench --op lowrank $s --rank 33; one_line_error "min(m, k) = 32"
    expect 2 "$MXTUNE" bench --op lowrank $s --rank 8 --order fastest; one_line_error "--order"
    expect 2 "$MXTUNE" bench $s --rank 8; one_line_error "--rank"
    expect 2 "$MXTUNE" bench $s --density 0.5; one_line_error "--density"
    expect 2 "$MXTUNE" bench --op spmm $s --density 0.5 --order auto; one_line_error "--order"
    # illegal configurations: the reason, exit 2 (a profile, so no other line)
    profile "$T/p.db"
    expect 2 "$MXTUNE" bench --op spmm $s --density 0.1 --schedule goto --db "$T/p.db"
    one_line_error "illegal configuration"
    expect 2 "$MXTUNE" bench --op spmm $s --density 0.1 --nr 20 --db "$T/p.db"
    one_line_error "nr"
    expect 2 "$MXTUNE" bench --op spmm $s --density 0.1 --mr 16 --mc 24 --db "$T/p.db"
    one_line_error "multiple"
    expect 2 "$MXTUNE" bench --op lowrank $s --rank 8 --mr 7 --nr 5 --db "$T/p.db"
    one_line_error "illegal configuration"
    [ "$(rows "$T/p.db")" = 0 ] || fail "a refused configuration was stored"
}
case_bench_sparse_lowrank_too_large() {
    expect 1 "$MXTUNE" bench --op spmm -m 1000000 -n 1000000 -k 1000000 --density 0.5 \
        --no-store --db "$T/none.db"
    error_mentions "cannot allocate"
    expect 1 "$MXTUNE" bench --op lowrank -m 1000000 -n 1000000 -k 1000000 --rank 100000 \
        --no-store --db "$T/none.db"
    error_mentions "cannot allocate"
}
case_bench_spmm_json() {
    need_jq
    expect 0 "$MXTUNE" bench --op spmm --density 0.1 -m 160 -n 128 -k 192 --reps 3 --json \
        --db "$T/none.db"
    has_keys schema op dtype m n k config gflops gflops_median seconds seconds_min runs \
        predicted_seconds predicted_gflops max_rel_error error_bound within_bound ok density nnz \
        pack_seconds pack_timed flops flops_counted
    [ "$(jget .op)" = spmm ] || fail "op"
    [ "$(jget .ok)" = true ] || fail "result outside the bound"
    [ "$(jq '.checked_entries > 0' "$T/out")" = true ] || fail "nothing checked"
    [ "$(jget .runs)" = 3 ] || fail "runs"
    [ "$(jget .config.schedule)" = cake-kmn ] || fail "schedule"
    [ "$(jget .pack_timed)" = false ] || fail "pack_timed"
    # useful flops: 2 nnz N; the error bound c K u for f32
    [ "$(jq '.flops == 2 * .nnz * .n' "$T/out")" = true ] || fail "flops are not 2 nnz n"
    [ "$(jq '.error_bound == .error_bound_c * .k * pow(2; -24)' "$T/out")" = true ] \
        || fail "error bound"
    [ "$(jq '.nnz > 0.08 * 160 * 192 and .nnz < 0.12 * 160 * 192' "$T/out")" = true ] \
        || fail "nnz far from the density"
    [ "$(jq '.gflops >= .gflops_median' "$T/out")" = true ] || fail "best below the median"
    local nnz; nnz=$(jget .nnz)
    # the tile and blocks as asked; the same seed draws the same A
    expect 0 "$MXTUNE" bench --op spmm --density 0.1 -m 160 -n 128 -k 192 --reps 2 --json \
        --mr 16 --kc 64 --nr 32 --mc 32 --nc 64 --threads 1 --db "$T/none.db"
    [ "$(jq -c '[.config.mr, .config.kc, .config.nr, .config.mc, .config.nc, .config.threads]' \
        "$T/out")" = "[16,64,32,32,64,1]" ] || fail "configuration not as asked"
    [ "$(jget .nnz)" = "$nnz" ] || fail "the same seed drew another A"
    [ "$(jget .ok)" = true ] || fail "result outside the bound"
    # text: packing apart, the useful flops said
    expect 0 "$MXTUNE" bench --op spmm --density 0.3 -m 128 -n 128 -k 128 --reps 2 \
        --db "$T/none.db"
    grep -q "^packing .*outside the timed runs" "$T/out" || fail "no packing line"
    grep -q "2 nnz(A) N" "$T/out" || fail "the flops are not said"
    grep -q "within" "$T/out" || fail "no error line"
}
case_bench_spmm_with_profile() {
    need_jq
    # the prediction on a fixed machine file (nothing stored), then stored with a profile
    expect 0 "$MXTUNE" bench --op spmm --density 0.2 -m 192 -n 160 -k 224 --reps 2 --json \
        --machine "$MXT_TEST_DATA/machines/i9-10900k.json" --db "$T/none.db"
    [ "$(jq '.predicted_seconds > 0 and .predicted_gflops > 0' "$T/out")" = true ] \
        || { cat "$T/err" >&2; fail "no prediction"; }
    [ "$(jq '.predicted_gflops * .predicted_seconds * 1e9 / .flops | . > 0.999 and . < 1.001' \
        "$T/out")" = true ] || fail "predicted GFLOP/s not of the useful flops"
    [ "$(jget .stored)" = false ] || fail "stored with --machine"
    profile "$T/b.db"
    expect 0 "$MXTUNE" bench --op spmm --density 0.2 -m 192 -n 160 -k 224 --min-time 0.01 --json \
        --db "$T/b.db"
    [ "$(jget .ok)" = true ] || fail "result outside the bound"
    [ "$(jget .stored)" = true ] || fail "not stored"
    [ "$(sqlite3 "$T/b.db" "select p.op || ' ' || p.density from measurement m join problem p \
        on m.problem_id = p.id where m.strategy = 'bench'")" = "spmm 0.2" ] \
        || fail "the measurement was not stored as spmm at its density"
}
case_bench_lowrank_json() {
    need_jq
    expect 0 "$MXTUNE" bench --op lowrank --rank 16 -m 192 -n 128 -k 160 --reps 3 --json \
        --db "$T/none.db"
    has_keys schema op config gflops gflops_median seconds predicted_seconds max_rel_error \
        rank order order_source model_order flops error_bound error_bound_k ok
    [ "$(jget .op)" = lowrank ] || fail "op"
    [ "$(jget .ok)" = true ] || fail "result outside the bound"
    [ "$(jget .order)" = "U(VX)" ] || fail "order: mxt_lowrank_gemm picks U(VX) by flops here"
    [ "$(jget .order_source)" = auto ] || fail "order_source"
    [ "$(jget .model_order)" = null ] || fail "a model order without a profile"
    [ "$(jq '.error_bound_k == .k + .rank' "$T/out")" = true ] || fail "bound is not K + r"
    [ "$(jq '.error_bound == .error_bound_c * (.k + .rank) * pow(2; -24)' "$T/out")" = true ] \
        || fail "error bound"
    [ "$(jq '.flops == 2 * (.rank * .k * .n + .m * .rank * .n)' "$T/out")" = true ] \
        || fail "flops of U(VX)"
    # the other order, f64: long double reference, u = 2^-53
    expect 0 "$MXTUNE" bench --op lowrank --rank 16 -m 192 -n 128 -k 160 --reps 2 --json \
        --dtype f64 --order '(UV)X' --db "$T/none.db"
    [ "$(jget .order)" = "(UV)X" ] || fail "order as asked"
    [ "$(jget .order_source)" = given ] || fail "order_source"
    [ "$(jget .dtype)" = f64 ] || fail "dtype"
    [ "$(jget .ok)" = true ] || fail "result outside the bound"
    [ "$(jq '.error_bound == .error_bound_c * (.k + .rank) * pow(2; -53)' "$T/out")" = true ] \
        || fail "f64 error bound"
    [ "$(jq '.flops == 2 * (.m * .rank * .k + .m * .k * .n)' "$T/out")" = true ] \
        || fail "flops of (UV)X"
    expect 0 "$MXTUNE" bench --op lowrank --rank 8 -m 128 -n 128 -k 128 --reps 2 --order u-vx \
        --db "$T/none.db"
    grep -q "order U(VX)" "$T/out" || fail "text does not say the order"
    grep -q "(K + r) u" "$T/out" || fail "text does not say the bound"
}
case_bench_lowrank_with_profile() {
    need_jq
    expect 0 "$MXTUNE" bench --op lowrank --rank 24 -m 160 -n 192 -k 128 --reps 2 --json \
        --machine "$MXT_TEST_DATA/machines/i9-10900k.json" --db "$T/none.db"
    [ "$(jq '.predicted_seconds > 0' "$T/out")" = true ] || { cat "$T/err" >&2; fail "no prediction"; }
    [ "$(jq '.model_order == "U(VX)" or .model_order == "(UV)X"' "$T/out")" = true ] \
        || fail "no model order"
    [ "$(jq '.predicted_order_seconds[.order] == .predicted_seconds' "$T/out")" = true ] \
        || fail "prediction is not of the order run"
    profile "$T/b.db"
    expect 0 "$MXTUNE" bench --op lowrank --rank 24 -m 160 -n 192 -k 128 --min-time 0.01 --json \
        --db "$T/b.db"
    [ "$(jget .ok)" = true ] || fail "result outside the bound"
    [ "$(jget .stored)" = true ] || fail "auto order not stored"
    # an order the search does not run is not stored with its measurements
    local other; other=$(jq -r 'if .order == "U(VX)" then "(UV)X" else "U(VX)" end' "$T/out")
    expect 0 "$MXTUNE" bench --op lowrank --rank 24 -m 160 -n 192 -k 128 --reps 2 --json \
        --order "$other" --db "$T/b.db"
    [ "$(jget .order)" = "$other" ] || fail "order as asked"
    [ "$(jget .stored)" = false ] || fail "a given order was stored"
    [ "$(sqlite3 "$T/b.db" "select p.op || ' ' || p.rank from measurement m join problem p \
        on m.problem_id = p.id where m.strategy = 'bench'")" = "lowrank 24" ] || fail "stored rows"
}

if [ $# -ne 1 ] || ! declare -F "case_$1" >/dev/null; then
    echo "usage: $0 CASE" >&2
    exit 2
fi
run_case "$@"
