#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/meson.build) with clang in
# build-fuzz/ (AddressSanitizer + UndefinedBehaviorSanitizer, coverage for
# the whole library), replays each committed seed corpus
# (tests/fuzz/corpus/<target>/), then fuzzes each target for FUZZ_SECONDS
# (default 20) seconds. New inputs go to build-fuzz/fuzz-corpus/<target>/,
# crashes to build-fuzz/fuzz-artifacts/. Prints one line per target,
#   fuzz: <target>: <N> executions, ok|FAILED
# and exits non-zero if any target crashed, leaked, timed out or did not
# build. JOBS sets build parallelism (default 2); FUZZ_TARGETS limits the
# targets (space-separated names). A longer run:
#   FUZZ_SECONDS=3600 tests/fuzz/run_fuzz.sh
# The committed seeds come from each target's FuzzSeeds() (any compiler):
#   ninja -C build tests/fuzz/<target>-seeds && build/tests/fuzz/<target>-seeds tests/fuzz/corpus/<target>
set -uo pipefail
cd "$(dirname "$0")/../.."
jobs=${JOBS:-2}
seconds=${FUZZ_SECONDS:-20}
dir=build-fuzz
targets=${FUZZ_TARGETS:-"wal_fuzz sst_fuzz manifest_fuzz model_fuzz kvtool_fuzz diff_fuzz"}

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found"
  exit 1
fi
setup_args=(-Db_sanitize=address,undefined -Db_lundef=false -Dmimalloc=disabled
            -Dbuildtype=debugoptimized -Dcpp_args=-fsanitize=fuzzer-no-link)
if [ -d "$dir" ]; then
  CC=clang CXX=clang++ meson setup --reconfigure "$dir" "${setup_args[@]}" >/dev/null
else
  CC=clang CXX=clang++ meson setup "$dir" "${setup_args[@]}" >/dev/null
fi || { echo "fuzz: meson setup failed"; exit 1; }

failed=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$dir/fuzz-artifacts"
for t in $targets; do
  if ! ninja -C "$dir" -j "$jobs" "tests/fuzz/$t" >"$dir/fuzz-build-$t.log" 2>&1; then
    cat "$dir/fuzz-build-$t.log" | tail -30
    echo "fuzz: $t: 0 executions, FAILED (build)"
    failed=$((failed + 1))
    continue
  fi
  exe="$dir/tests/fuzz/$t"
  seeds="tests/fuzz/corpus/$t"
  work="$dir/fuzz-corpus/$t"
  mkdir -p "$work"
  log="$dir/fuzz-$t.log"
  # Replay: every committed seed must run clean.
  if ! "$exe" -runs=0 -artifact_prefix="$dir/fuzz-artifacts/$t-" "$seeds" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $t: replay of $seeds FAILED"
    failed=$((failed + 1))
    continue
  fi
  # Fuzz: new inputs into $work, starting from both corpora.
  "$exe" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=3072 -print_final_stats=1 \
    -artifact_prefix="$dir/fuzz-artifacts/$t-" "$work" "$seeds" >>"$log" 2>&1
  rc=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -n 1)
  if [ "$rc" -ne 0 ]; then
    grep -E "ERROR|SUMMARY|check failed|Test unit written" "$log" | head -20
    echo "fuzz: $t: ${execs:-0} executions, FAILED (see $log)"
    failed=$((failed + 1))
  else
    echo "fuzz: $t: ${execs:-0} executions, ok"
  fi
done
[ "$failed" -eq 0 ]
