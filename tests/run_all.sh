#!/usr/bin/env bash
# Builds firn three ways and runs the whole test suite in each:
#   build/        the default build (debugoptimized, mimalloc): every test
#   build-asan/   AddressSanitizer + UndefinedBehaviorSanitizer: every test
#   build-tsan/   ThreadSanitizer: every test (smaller differential run)
# Prints one closing line "firn: N passed, N failed" and exits non-zero if
# anything failed. JOBS sets build parallelism (default 2).
# FIRN_SKIP_SANITIZERS=1 runs only the default build (quick local check).
# Then the libFuzzer targets (build-fuzz/, clang): FIRN_SKIP_FUZZ=1 skips them.
# Then the edge stage (ARM cross builds under qemu, portable format, sizes):
# FIRN_SKIP_CROSS=1 skips it.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-2}
passed=0
failed=0

suite() {
  local dir=$1 ops=$2
  shift 2
  if [ -d "$dir" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null || { failed=$((failed + 1)); return; }
  else
    meson setup "$dir" "$@" >/dev/null || { failed=$((failed + 1)); return; }
  fi
  if ! ninja -C "$dir" -j "$jobs"; then
    echo "build failed in $dir"
    failed=$((failed + 1))
    return
  fi
  local log="$dir/run_all.log"
  FIRN_DIFF_OPS=$ops meson test -C "$dir" --print-errorlogs --num-processes "$jobs" \
    --timeout-multiplier 3 2>&1 | tee "$log"
  local ok fail
  ok=$(awk '/^Ok:/ {print $2}' "$log" | tail -n 1)
  fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $2} END {print s + 0}' "$log")
  passed=$((passed + ${ok:-0}))
  failed=$((failed + fail))
  echo "== $dir: ${ok:-0} ok, $fail failed"
}

suite build 250000
if [ "${FIRN_SKIP_SANITIZERS:-0}" != "1" ]; then
  ASAN_OPTIONS=detect_leaks=1 suite build-asan 40000 -Db_sanitize=address,undefined \
    -Db_lundef=false -Dmimalloc=disabled -Dbuildtype=debug
  TSAN_OPTIONS=halt_on_error=1 suite build-tsan 15000 -Db_sanitize=thread \
    -Dmimalloc=disabled -Dbuildtype=debugoptimized
fi

# libFuzzer targets (tests/fuzz/run_fuzz.sh: clang, build-fuzz/, about
# 20 s each): one pass or failure per target. FIRN_SKIP_FUZZ=1 skips them.
if [ "${FIRN_SKIP_FUZZ:-0}" != "1" ]; then
  fuzz_log=$(mktemp)
  tests/fuzz/run_fuzz.sh 2>&1 | tee "$fuzz_log"
  fuzz_ok=$(grep -c '^fuzz: .*, ok$' "$fuzz_log")
  fuzz_fail=$(grep -c '^fuzz: .*FAILED' "$fuzz_log")
  if [ "$fuzz_ok" -eq 0 ] && [ "$fuzz_fail" -eq 0 ]; then fuzz_fail=1; fi  # setup failed
  passed=$((passed + fuzz_ok))
  failed=$((failed + fuzz_fail))
  rm -f "$fuzz_log"
fi

# Edge readiness (tests/edge/run_edge.sh, docs/edge.md): ARM cross builds
# with their unit suite under qemu-user, the portable format across
# architectures, library sizes, the memory budget and the sensor_logger
# example. FIRN_SKIP_CROSS=1 skips it.
if [ "${FIRN_SKIP_CROSS:-0}" != "1" ]; then
  edge_log=$(mktemp)
  JOBS=$jobs tests/edge/run_edge.sh 2>&1 | tee "$edge_log"
  edge_line=$(grep -E '^edge: [0-9]+ passed, [0-9]+ failed$' "$edge_log" | tail -n 1)
  if [ -z "$edge_line" ]; then
    failed=$((failed + 1))
  else
    passed=$((passed + $(echo "$edge_line" | awk '{print $2}')))
    failed=$((failed + $(echo "$edge_line" | awk '{print $4}')))
  fi
  rm -f "$edge_log"
fi

echo "firn: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
