#!/usr/bin/env bash
# Benchmark `plangate check` against the JSON parse floors on generated plans (issue 6), and
# print one Markdown report: per plan size the floors, the whole-process time of
# `plangate check`, the ratios, peak memory, the check held to one core; then growth, several
# plans in one run, targets.
#
#   make bench                       # plans of ~1, 10, 100 and 300 MB
#   BENCH_SIZES="1 10" make bench    # only these sizes (MB)
#
# Environment (all optional):
#   BENCH_SIZES    plan sizes in MB                                   (default "1 10 100 300")
#   BENCH_SEED     generator seed                                     (default 1)
#   BENCH_RUNS     timed runs per measurement   (default 5 up to 10 MB, 3 up to 100 MB, else 2)
#   BENCH_TIMEOUT  seconds before one `plangate check` run is stopped (default 120)
#   BENCH_MEM_GB   address-space limit of one run, GB; the machine has 24 (default 16)
#   BENCH_MULTI    size (MB) of the 3 plans checked in one run; 0 skips (default 10)
#   BENCH_DIVAN    1: also run the stage benchmarks (cargo bench --bench pipeline)
#   BENCH_OUT      also write the report to this file
#
# Plans are cached in target/bench-plans/, keyed by size, seed and a hash of the generator's
# source (a changed generator writes new plans). `plangate check` is timed as a whole process
# (hyperfine when installed: `apt-get install -y hyperfine`); peak memory is the maximum
# resident set size from GNU time (`apt-get install -y time`). Each floor is one parse in a
# fresh process, timed inside it around the parse alone: reading the file, starting and
# exiting are left out, so the floor is a lower bound that `check` (which pays them) is held to.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SIZES=${BENCH_SIZES:-"1 10 100 300"}
SEED=${BENCH_SEED:-1}
TIMEOUT=${BENCH_TIMEOUT:-120}
MEM_GB=${BENCH_MEM_GB:-16}
MULTI=${BENCH_MULTI:-10}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
PLANS=$TARGET_DIR/bench-plans
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# The binaries are copied once built: others building in the same tree must not swap them
# in the middle of a run.
PLANGATE=$WORK/plangate
GEN=$WORK/gen-plan
FLOOR=$WORK/parse-floor

say() { echo "bench: $*" >&2; }
# Arithmetic; the parentheses keep awk from reading `>` as an output redirection.
calc() { awk "BEGIN { x = ($*); printf \"%s\", x }"; }
# Smallest of the numbers on standard input: the run least disturbed by other work on the
# machine (the same statistic for floors and check, so their ratio stays fair).
best() { sort -g | head -n 1 | grep . || echo nan; }
runs_for() {
    if [ -n "${BENCH_RUNS:-}" ]; then echo "$BENCH_RUNS"
    elif [ "$1" -le 10 ]; then echo 5
    elif [ "$1" -le 100 ]; then echo 3
    else echo 2; fi
}

LOAD_START=$(cut -d ' ' -f 1-3 /proc/loadavg)
say "building plangate, gen-plan and parse-floor (release)"
cargo build --release --quiet --bin plangate --example gen-plan --example parse-floor
cp "$TARGET_DIR/release/plangate" "$PLANGATE"
cp "$TARGET_DIR/release/examples/gen-plan" "$GEN"
cp "$TARGET_DIR/release/examples/parse-floor" "$FLOOR"

HAVE_TIME=1
[ -x /usr/bin/time ] || { HAVE_TIME=0; say "GNU time missing (apt-get install -y time): no peak memory"; }
HAVE_HYPERFINE=1
command -v hyperfine > /dev/null || { HAVE_HYPERFINE=0; say "hyperfine missing (apt-get install -y hyperfine): timing with a loop"; }

mkdir -p "$PLANS"
GEN_HASH=$(find examples/gen-plan.rs examples/gen_plan -name '*.rs' | LC_ALL=C sort | xargs cat | sha1sum | cut -c1-8)

# plan MB SEED -> path of the cached plan (generated when missing); its .meta holds the
# generator's summary line (stacks=… instances=… bytes=…).
plan() {
    local mb=$1 seed=$2 f
    f=$PLANS/plan-${mb}mb-s${seed}-${GEN_HASH}.json
    if [ ! -s "$f" ] || [ ! -s "$f.meta" ]; then
        find "$PLANS" -maxdepth 1 -name "plan-${mb}mb-s${seed}-*" ! -name "plan-${mb}mb-s${seed}-${GEN_HASH}*" -delete
        say "generating a ~${mb} MB plan (seed $seed)"
        "$GEN" --target-mb "$mb" --seed "$seed" --out "$f.tmp" 2> "$f.meta.tmp"
        sed 's/\.tmp$//' "$f.meta.tmp" > "$f.meta" && rm "$f.meta.tmp" && mv "$f.tmp" "$f"
    fi
    echo "$f"
}
meta() { tr ' ' '\n' < "$1.meta" | sed -n "s/^$2=//p"; }

# limited OUT ERR CMD... : run under the time and memory limits, measuring with GNU time.
# Sets RC, WALL (s), RSS_KB, CPU (user + system s).
limited() {
    local out=$1 err=$2 tf=$WORK/time
    shift 2
    RC=0
    if [ "$HAVE_TIME" = 1 ]; then
        ( ulimit -v $((MEM_GB * 1024 * 1024)); exec /usr/bin/time -f '%e %M %U %S' -o "$tf" \
            timeout -k 5 "$TIMEOUT" "$@" ) > "$out" 2> "$err" || RC=$?
        local usr sys
        read -r WALL RSS_KB usr sys < <(tail -n 1 "$tf") || true
        CPU=$(calc "${usr:-0} + ${sys:-0}")
    else
        local t0 t1
        t0=$(date +%s.%N)
        ( ulimit -v $((MEM_GB * 1024 * 1024)); exec timeout -k 5 "$TIMEOUT" "$@" ) > "$out" 2> "$err" || RC=$?
        t1=$(date +%s.%N)
        WALL=$(calc "$t1 - $t0"); RSS_KB=nan; CPU=nan
    fi
}

# What went wrong with a run, or nothing when `check` did its job (exit 0 or 1).
failure() {
    local err=$1
    if [ "$RC" = 124 ] || [ "$RC" = 137 ]; then echo "timeout (> ${TIMEOUT} s)"
    elif grep -q 'memory allocation of' "$err"; then echo "out of memory (> ${MEM_GB} GB)"
    elif [ "$RC" != 0 ] && [ "$RC" != 1 ]; then echo "exit $RC: $(head -c 300 "$err")"
    fi
}

# floor KIND FILE RUNS -> best seconds of one parse, each in a fresh process.
floor() {
    local kind=$1 f=$2 n=$3 i
    for ((i = 0; i < n; i++)); do
        "$FLOOR" --kind "$kind" "$f" | sed -n 's/.*seconds=\([0-9.]*\) read_seconds.*/\1/p'
    done | best
}

# check_time RUNS FILE... -> best wall seconds of `plangate check FILE...`.
check_time() {
    local n=$1 i
    shift
    if [ "$HAVE_HYPERFINE" = 1 ]; then
        hyperfine --runs "$n" --warmup 0 -N -i --style none --export-csv "$WORK/h.csv" \
            "$PLANGATE check $*" > /dev/null 2>&1
        awk -F, 'NR == 2 { print $7 }' "$WORK/h.csv"
    else
        for ((i = 0; i < n; i++)); do
            limited "$WORK/o" "$WORK/e" "$PLANGATE" check "$@"
            echo "$WALL"
        done | best
    fi
}

ROWS=()
ONE=()
ONE_CORE=0
if [ "$(nproc)" -ge 2 ] && command -v taskset > /dev/null; then ONE_CORE=1; fi
declare -A T_CHECK T_VALUE INST BYTES RSS
for mb in $SIZES; do
    f=$(plan "$mb" "$SEED")
    n=$(runs_for "$mb")
    bytes=$(meta "$f" bytes)
    INST[$mb]=$(meta "$f" instances)
    BYTES[$mb]=$bytes
    say "~${mb} MB: $(meta "$f" instances) instances, $bytes bytes; first check run (limits: ${TIMEOUT} s, ${MEM_GB} GB)"
    limited "$WORK/out" "$WORK/err" "$PLANGATE" check "$f"
    bad=$(failure "$WORK/err")
    first_wall=$WALL
    first_cpu=$CPU
    rss_kb=$RSS_KB
    say "~${mb} MB: floors, $n runs each"
    t_ign=$(floor ignored "$f" "$n")
    t_val=$(floor value "$f" "$n")
    t_typ=$(floor typed "$f" "$n")
    val_rss=nan
    if [ "$HAVE_TIME" = 1 ]; then
        /usr/bin/time -f '%M' -o "$WORK/vt" "$FLOOR" --kind value "$f" > /dev/null
        val_rss=$(tail -n 1 "$WORK/vt")
    fi
    T_VALUE[$mb]=$t_val
    if [ -n "$bad" ]; then
        say "~${mb} MB: check failed: $bad"
        T_CHECK[$mb]=nan
        RSS[$mb]=nan
        ROWS+=("| ~${mb} MB | $(printf '%.1f' "$(calc "$bytes / 1e6")") | ${INST[$mb]} | $(printf '%.4f' "$t_ign") | $(printf '%.4f' "$t_val") | $(printf '%.4f' "$t_typ") | **$bad** | – | – | – | – | – | $(printf '%.1f' "$(calc "$val_rss * 1024 / $bytes")")× |")
        continue
    fi
    if [ "$(calc "$first_wall < 30 ? 1 : 0")" = 1 ]; then
        say "~${mb} MB: timing check, $n runs"
        t_chk=$(check_time "$n" "$f")
    else
        t_chk=$first_wall
        n=1
    fi
    T_CHECK[$mb]=$t_chk
    RSS[$mb]=$rss_kb
    # The same check held to one core, once: how much the other cores gave in this run (it
    # varies with the machine's state, and the floors use one core).
    if [ "$ONE_CORE" = 1 ] && [ "$(calc "$first_wall < 30 ? 1 : 0")" = 1 ]; then
        limited "$WORK/o" "$WORK/e" taskset -c 0 "$PLANGATE" check "$f"
        ONE+=("~${mb} MB $(printf '%.3f' "$WALL") s ($(printf '%.2f' "$(calc "$WALL / $t_chk")")×)")
    fi
    ROWS+=("| ~${mb} MB | $(printf '%.1f' "$(calc "$bytes / 1e6")") | ${INST[$mb]} | $(printf '%.4f' "$t_ign") | $(printf '%.4f' "$t_val") | $(printf '%.4f' "$t_typ") | $(printf '%.4f' "$t_chk") (${n}×) | $(printf '%.2f' "$first_cpu") | $(printf '%.1f' "$(calc "$t_chk / $t_ign")")× | $(printf '%.2f' "$(calc "$t_chk / $t_val")")× | $(printf '%.0f' "$(calc "$rss_kb / 1024")") | $(printf '%.2f' "$(calc "$rss_kb * 1024 / $bytes")")× | $(printf '%.1f' "$(calc "$val_rss * 1024 / $bytes")")× |")
done

# Several plans in one run: three different plans of the same size.
MULTI_LINE=""
if [ "$MULTI" != 0 ]; then
    files=()
    for s in "$SEED" $((SEED + 1)) $((SEED + 2)); do files+=("$(plan "$MULTI" "$s")"); done
    n=$(runs_for "$MULTI")
    say "several plans: 3 × ~${MULTI} MB, $n runs"
    limited "$WORK/out" "$WORK/err" "$PLANGATE" check "${files[@]}"
    bad=$(failure "$WORK/err")
    if [ -n "$bad" ]; then
        MULTI_LINE="3 plans of ~${MULTI} MB in one run: **$bad**"
    else
        # Parallel work shows as CPU time above wall time (cores busy on average), unless
        # other work on the machine starves the run; the threads the process starts say it too.
        busy=$(calc "$CPU / $WALL")
        "$PLANGATE" check "${files[@]}" > /dev/null 2>&1 &
        pid=$!
        threads=1
        while kill -0 "$pid" 2> /dev/null; do
            t=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 2> /dev/null | wc -l)
            [ "$t" -gt "$threads" ] && threads=$t
            sleep 0.01
        done
        wait "$pid" || true
        sum=0
        for f in "${files[@]}"; do sum=$(calc "$sum + $(check_time "$n" "$f")"); done
        both=$(check_time "$n" "${files[@]}")
        MULTI_LINE="3 plans of ~${MULTI} MB in one run (\`plangate check a.json b.json c.json\`): $(printf '%.3f' "$both") s; the three checked one by one: $(printf '%.3f' "$sum") s in all; speed-up $(printf '%.2f' "$(calc "$sum / $both")")×; $(printf '%.2f' "$busy") of $(nproc) cores busy on average; up to $threads threads ($(if [ "$threads" -gt 1 ]; then echo "the plans are checked in parallel"; else echo "**no parallelism**: the plans are checked one after another"; fi))."
    fi
fi

# Growth between consecutive sizes: time for twice the instances, 2^(ln(t2/t1) / ln(n2/n1)).
GROWTH=()
WORST_GROWTH=""
prev=""
for mb in $SIZES; do
    if [ -n "$prev" ] && [ "${T_CHECK[$prev]}" != nan ] && [ "${T_CHECK[$mb]}" != nan ]; then
        ri=$(calc "${INST[$mb]} / ${INST[$prev]}")
        rt=$(calc "${T_CHECK[$mb]} / ${T_CHECK[$prev]}")
        g=$(calc "exp(log(2) * log($rt) / log($ri))")
        GROWTH+=("| ~${prev} → ~${mb} MB | $(printf '%.2f' "$ri")× | $(printf '%.2f' "$rt")× | $(printf '%.2f' "$g")× |")
        if [ -z "$WORST_GROWTH" ] || [ "$(calc "$g > $WORST_GROWTH ? 1 : 0")" = 1 ]; then WORST_GROWTH=$g; fi
    fi
    prev=$mb
done

verdict() { if [ "$(calc "$1 ? 1 : 0")" = 1 ]; then echo "met"; else echo "**missed**"; fi; }

report() {
    echo "## plangate check versus the parse floors"
    echo
    echo "Machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM," \
        "load average at the start $LOAD_START, at the end $(cut -d ' ' -f 1-3 /proc/loadavg);" \
        "commit $(git rev-parse --short HEAD 2> /dev/null || echo '?')$(git diff --quiet HEAD -- src 2> /dev/null || echo ' (src modified)'); $(date -u +%Y-%m-%dT%H:%MZ)."
    echo "Command: \`BENCH_SIZES=\"$SIZES\" BENCH_SEED=$SEED bash scripts/bench.sh\`; plans from \`gen-plan --target-mb MB --seed $SEED\`."
    echo
    echo "| plan | MB | instances | IgnoredAny s | Value s | plangate read stage s | check s (runs) | check CPU s | check / IgnoredAny | check / Value | check peak RSS MB | peak / size | Value peak / size |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "Floors and the read stage: best of one parse per process, timed around the parse alone."
    echo "check: best wall time of the whole process (start, read, parse, graph, report, exit) over the runs;"
    echo "check CPU: user + system time of its first run (less sensitive than wall time to other work on the machine)."
    if [ ${#ONE[@]} -gt 0 ]; then
        local joined="" x
        for x in "${ONE[@]}"; do joined+="${joined:+; }$x"; done
        echo "check on one core (\`taskset -c 0\`, one run; in parentheses the speed-up of every core): $joined."
    fi
    if [ ${#GROWTH[@]} -gt 0 ]; then
        echo
        echo "| growth | instances | check time | time for 2× instances |"
        echo "|---|---|---|---|"
        printf '%s\n' "${GROWTH[@]}"
    fi
    [ -n "$MULTI_LINE" ] && { echo; echo "$MULTI_LINE"; }
    echo
    echo "Targets (issue 6):"
    local big=""
    for mb in $SIZES; do [ "$mb" = 100 ] && big=100; done
    [ -z "$big" ] && for mb in $SIZES; do big=$mb; done
    if [ "${T_CHECK[$big]}" = nan ]; then
        echo "- check ≤ 1.0× the Value floor at ~${big} MB: **missed** (the run did not finish)"
    else
        local r
        r=$(calc "${T_CHECK[$big]} / ${T_VALUE[$big]}")
        echo "- check ≤ 1.0× the Value floor at ~${big} MB: $(printf '%.2f' "$r")× — $(verdict "$r <= 1.0")"
    fi
    # Below 10 MB the process's own baseline (a few MB) dominates: not a measure of the plan.
    local worst="" worst_mb=""
    for mb in $SIZES; do
        [ "${RSS[$mb]}" = nan ] && continue
        [ "$mb" -lt 10 ] && continue
        local q
        q=$(calc "${RSS[$mb]} * 1024 / ${BYTES[$mb]}")
        if [ -z "$worst" ] || [ "$(calc "$q > $worst ? 1 : 0")" = 1 ]; then worst=$q; worst_mb=$mb; fi
    done
    [ -n "$worst" ] && echo "- peak memory ≤ 2.5× the plan (plans ≥ 10 MB): worst $(printf '%.2f' "$worst")× (at ~${worst_mb} MB) — $(verdict "$worst <= 2.5")"
    [ -n "$WORST_GROWTH" ] && echo "- 2× the instances ≤ 2.2× the time: worst $(printf '%.2f' "$WORST_GROWTH")× — $(verdict "$WORST_GROWTH <= 2.2")"
    for mb in $SIZES; do
        [ "${T_CHECK[$mb]}" = nan ] && echo "- ~${mb} MB: check did not finish within the limits (${TIMEOUT} s, ${MEM_GB} GB)"
    done
    return 0
}

report | tee "${BENCH_OUT:-/dev/null}"

if [ "${BENCH_DIVAN:-0}" = 1 ]; then
    echo
    echo "## Stage benchmarks (cargo bench --bench pipeline)"
    BENCH_SIZES="1 10" cargo bench --quiet --bench pipeline
fi
