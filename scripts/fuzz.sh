#!/usr/bin/env bash
# Fuzz plan loading, policy loading and policy evaluation for a bounded time (see
# docs/security.md).
#
#   make fuzz                            # every target, 60 s each
#   FUZZ_SECONDS=600 make fuzz           # longer
#   FUZZ_TARGETS=plan_load make fuzz     # one target
#
# cargo-fuzz needs nightly compiler flags (-Zsanitizer); on a stable toolchain
# RUSTC_BOOTSTRAP=1 unlocks them. The corpus grows in fuzz/corpus/<target>/ (not committed) and
# is seeded from testdata/ and policies/ on every run (policy_eval: see policy_eval_seeds). An
# input that crashes, hangs (over FUZZ_TIMEOUT seconds) or needs more than FUZZ_RSS_LIMIT_MB
# lands in fuzz/artifacts/<target>/;
# shrink it with `cargo fuzz tmin`, then keep it as a case in testdata/bad/ and fix the bug.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
# Generous for inputs of a few hundred kB; an input that needs more is itself a finding.
RSS_LIMIT_MB="${FUZZ_RSS_LIMIT_MB:-2048}"
TIMEOUT="${FUZZ_TIMEOUT:-10}"
TARGETS="${FUZZ_TARGETS:-plan_load policy_load policy_eval}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz not found: installing it from crates.io"
  cargo install cargo-fuzz
fi

# Seed files: what the target reads, from the repository (over 1 MB only slows mutation).
seeds() {
  case "$1" in
    plan_load)
      find testdata/plans -maxdepth 1 -name '*.json'
      find testdata/bad -mindepth 2 -maxdepth 2 -type f ! -name cmd ! -name expected ! -name .keep ;;
    policy_load) find policies testdata -name '*.toml' ;;
  esac
}

# policy_eval reads `POLICY \0 PLAN` (see fuzz/fuzz_targets/policy_eval.rs), so its seeds are
# composed into the corpus directory: every example policy alone (evaluated on the fixed
# plans of testdata/policy-lang/plans/); every policy test case (testdata/policy-lang/examples,
# testdata/policies) as its policy, a NUL and its plan, with the case's environment as a first
# `#env:` line; and every plan of testdata/ after a NUL alone (the built-in packs), in test and
# in prod. Seeds over 64 KiB are left out (they slow every mutation down).
policy_eval_seeds() {
  local corpus="$1" f case dir plan env policies p out max=65536
  for f in testdata/policy-lang/examples/*.toml; do
    case "$f" in *.test.toml) continue ;; esac
    cp "$f" "$corpus/seed-$(echo "$f" | tr '/' '_')"
  done
  for case in testdata/policy-lang/examples/*.test.toml testdata/policies/*/*.test.toml; do
    dir=$(dirname "$case")
    plan=$(sed -n 's/^plan = "\(.*\)"$/\1/p' "$case" | head -n 1)
    env=$(sed -n 's/^env = "\(.*\)"$/\1/p' "$case" | head -n 1)
    policies=$(sed -n 's/^policies = \[\(.*\)\]$/\1/p' "$case" | head -n 1 | tr -d '"' | tr ',' ' ')
    [ -n "$plan" ] && [ -f "$dir/$plan" ] || continue
    for p in $policies; do
      [ -f "$dir/$p" ] || continue
      [ $(($(wc -c <"$dir/$p") + $(wc -c <"$dir/$plan"))) -le $max ] || continue
      out="$corpus/seed-$(echo "$case" | tr '/' '_')-$(basename "$p")"
      { [ -z "$env" ] || printf '#env:%s\n' "$env"; cat "$dir/$p"; printf '\0'; cat "$dir/$plan"; } >"$out"
    done
  done
  for plan in testdata/plans/*.json testdata/policy-lang/plans/*.json; do
    [ "$(wc -c <"$plan")" -le $max ] || continue
    for env in test prod; do
      { printf '#env:%s\n\0' "$env"; cat "$plan"; } >"$corpus/seed-builtin-$env-$(echo "$plan" | tr '/' '_')"
    done
  done
}

status=0
for target in $TARGETS; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  if [ "$target" = policy_eval ]; then
    policy_eval_seeds "$corpus"
  else
    seeds "$target" | while read -r f; do
      [ "$(wc -c <"$f")" -le 1048576 ] && cp "$f" "$corpus/seed-$(echo "$f" | tr '/' '_')"
    done || true
  fi
  dict=()
  [ -f "fuzz/$target.dict" ] && dict=("-dict=$target.dict")
  echo "== $target: ${SECONDS_PER_TARGET}s, rss limit ${RSS_LIMIT_MB} MB, timeout ${TIMEOUT}s"
  if ! (cd fuzz && cargo fuzz build "$target"); then
    echo "$target: does not build (did the API it calls change? see fuzz/fuzz_targets/$target.rs)" >&2
    status=1
    continue
  fi
  if ! (cd fuzz && cargo fuzz run "$target" "corpus/$target" -- \
      -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="$RSS_LIMIT_MB" \
      -timeout="$TIMEOUT" -print_final_stats=1 "${dict[@]}"); then
    echo "$target: found an input that crashes, hangs or exhausts memory: fuzz/artifacts/$target/" >&2
    status=1
  fi
done
exit "$status"
