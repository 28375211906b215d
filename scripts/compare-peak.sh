#!/usr/bin/env bash
# Compare the peak memory (maximum resident set size) of `plangate check PLAN` between builds.
#
#   scripts/compare-peak.sh RUNS PLAN BINARY...
#   scripts/compare-peak.sh 60 target/bench-plans/plan-10mb-s1-*.json /tmp/before/plangate target/release/plangate
#
# One run's peak moves by ±0.5 MB with the threads' timing, and two builds of the same code
# differ by up to ~0.3 MB in the pages of their own code that the kernel maps (where the linker
# put it), so one run against another says nothing (docs/performance.md, "Memory now"). The
# builds are run in turn, RUNS times each, and compared by their mean with its standard error;
# the last column counts the runs over 2.5 × the plan's size (issue 6's target).
# Needs GNU time (`apt-get install -y time`).
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 RUNS PLAN BINARY..." >&2
    exit 2
fi
runs=$1
plan=$2
shift 2
[ -x /usr/bin/time ] || { echo "$0: GNU time is needed: apt-get install -y time" >&2; exit 2; }
[ -f "$plan" ] || { echo "$0: no plan at $plan" >&2; exit 2; }
target_kb=$(( $(stat -c %s "$plan") * 5 / 2 / 1024 ))
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for ((i = 0; i < runs; i++)); do
    for ((b = 1; b <= $#; b++)); do
        bin=${!b}
        # Exit codes 0 and 1 are a check that did its job; anything else is reported.
        if /usr/bin/time -f '%M' -o "$dir/last" "$bin" check "$plan" > /dev/null 2> "$dir/err"; then :;
        elif [ $? -ne 1 ]; then echo "$0: $bin failed:" >&2; cat "$dir/err" >&2; exit 1; fi
        tail -n 1 "$dir/last" >> "$dir/$b"
    done
done
printf '%-40s %8s %6s %8s %8s %8s %s\n' binary "mean KB" "se" median min max "over $target_kb KB"
for ((b = 1; b <= $#; b++)); do
    sort -n "$dir/$b" | awk -v name="${!b}" -v t="$target_kb" '
        { v[NR] = $1; s += $1; q += $1 * $1; if ($1 > t) over++ }
        END {
            m = s / NR; sd = sqrt(q / NR - m * m)
            printf "%-40s %8.0f %6.0f %8d %8d %8d %d of %d\n", name, m, sd / sqrt(NR), v[int(NR / 2) + 1], v[1], v[NR], over, NR
        }'
done
