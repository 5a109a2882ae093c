#!/usr/bin/env bash
# The edge stage of tests/run_all.sh (docs/edge.md). Prints one line per
# check, "edge: <name> ok" or "edge: <name> FAILED", then
# "edge: N passed, N failed" (meson tests counted one each).
#   1. Cross builds (cross/*.ini, -Dmimalloc=disabled -Dtools=false) in
#      build-aarch64/ and build-armhf/; the 'unit' suite (unit tests, the
#      differential test with FIRN_DIFF_OPS=20000, edge_test, the portable
#      self test) under qemu-user.
#   2. Portable format: a database written by the x86-64 build is checked
#      by each ARM build, and the other way round.
#   3. The small library (-Dsmall=true) for x86-64, aarch64 and armhf in
#      build-small/<arch>/, with its .text size; and the default library's.
#   4. The edge suite of the native build (memory budget, sensor_logger).
# NATIVE=<dir> names the native build to use (default build/, already
# built by run_all.sh).
# Where qemu-user cannot start threads (seen with qemu 7.2 in containers),
# the cross builds run only the tests that start none (listed below; the
# differential, db, c_api, policy, table and env tests, among others, start
# threads) and say so.
set -uo pipefail
cd "$(dirname "$0")/../.."
jobs=${JOBS:-2}
native=${NATIVE:-build}
passed=0
failed=0
ok() { echo "edge: $1 ok"; passed=$((passed + 1)); }
bad() { echo "edge: $1 FAILED"; failed=$((failed + 1)); }

setup() {  # dir, args...
  local dir=$1
  shift
  if [ -d "$dir/meson-private" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

count_meson() {  # dir, log
  local ok fail
  ok=$(awk '/^Ok:/ {print $2}' "$2" | tail -n 1)
  fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $2} END {print s + 0}' "$2")
  passed=$((passed + ${ok:-0}))
  failed=$((failed + fail))
  echo "edge: $1: ${ok:-0} ok, $fail failed"
}

text_size() {  # library -> .text bytes
  size -A "$1" 2>/dev/null | awk '$1 == ".text" {print $2}'
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. Cross builds and their tests under qemu.
declare -A cross_ok
for arch in aarch64 armhf; do
  case $arch in
    aarch64) ini=cross/aarch64-linux-gnu.ini ;;
    armhf) ini=cross/arm-linux-gnueabihf.ini ;;
  esac
  dir=build-$arch
  cross_ok[$arch]=0
  if ! setup "$dir" --cross-file "$ini" -Dmimalloc=disabled -Dtools=false; then
    bad "$arch configure"
    continue
  fi
  case $arch in
    aarch64) wrap=(qemu-aarch64 -L /usr/aarch64-linux-gnu) ;;
    armhf) wrap=(qemu-arm -L /usr/arm-linux-gnueabihf) ;;
  esac
  thread_free_tests="coding wal arena block bloom write_batch options status \
    merging_iterator db_iter run_iterator version_edit compaction_picker"
  # qemu-user 7.2 on some hosts (containers) cannot start a thread: it
  # hangs (aarch64) or crashes (armhf) in clone. Probe with the test that
  # opens a database with its background thread, then build what will run.
  # The whole unit suite under qemu (with threads) takes long enough to
  # break CI's time budget; FIRN_QEMU_FULL=1 asks for it where qemu can.
  threads=0
  if [ "${FIRN_QEMU_FULL:-0}" = 1 ] &&
     ninja -C "$dir" -j "$jobs" tests/edge/edge_test tests/edge/firn-portable \
       >"$tmp/$arch.build" 2>&1 &&
     timeout 60 "${wrap[@]}" "$dir/tests/edge/edge_test" \
       -tc='BackgroundNoneStartsNoThreadWhileThreadModeStartsOne' >/dev/null 2>&1; then
    threads=1
    targets=()
  else
    targets=(tests/edge/edge_test tests/edge/firn-portable libfirn.so)
    for t in $thread_free_tests; do targets+=("tests/unit/${t}_test"); done
    targets+=(tests/unit/differential_test)
  fi
  if ! ninja -C "$dir" -j "$jobs" "${targets[@]}" >"$tmp/$arch.build" 2>&1; then
    tail -n 30 "$tmp/$arch.build"
    bad "$arch build"
    continue
  fi
  cross_ok[$arch]=1
  if [ "$threads" = 1 ]; then
    FIRN_DIFF_OPS=20000 meson test -C "$dir" --suite unit --print-errorlogs \
      --num-processes "$jobs" --timeout-multiplier 4 >"$tmp/$arch.test" 2>&1
    grep -E '^ *[0-9]+/[0-9]+ ' "$tmp/$arch.test"
    count_meson "$arch unit suite (qemu)" "$tmp/$arch.test"
  else
    echo "edge: $arch under qemu: the tests that start no thread, and the differential test with background=none (FIRN_QEMU_FULL=1 for the whole suite where qemu-user can start threads)"
    for t in $thread_free_tests; do
      exe=$dir/tests/unit/${t}_test
      [ -x "$exe" ] || { bad "$arch $t (not built)"; continue; }
      if timeout 600 "${wrap[@]}" "$exe" >"$tmp/$arch.$t" 2>&1; then ok "$arch $t"; else
        tail -n 20 "$tmp/$arch.$t"; bad "$arch $t"; fi
    done
    # The differential test against std::map, with the engine's work done
    # inline (background=none) instead of on a thread.
    if FIRN_TEST_BACKGROUND=none FIRN_DIFF_OPS=${FIRN_QEMU_DIFF_OPS:-20000} timeout 900 \
         "${wrap[@]}" "$dir/tests/unit/differential_test" >"$tmp/$arch.diff" 2>&1; then
      ok "$arch differential (background=none)"
    else
      tail -n 20 "$tmp/$arch.diff"; bad "$arch differential (background=none)"
    fi
    if timeout 600 "${wrap[@]}" "$dir/tests/edge/edge_test" \
         -tce='*ThreadModeStartsOne,MaintainIsANoOpWithABackgroundThread*' >"$tmp/$arch.edge" 2>&1; then
      ok "$arch edge (background=none cases)"
    else
      tail -n 20 "$tmp/$arch.edge"; bad "$arch edge (background=none cases)"
    fi
    if timeout 600 "${wrap[@]}" "$dir/tests/edge/firn-portable" selftest "$tmp/$arch.selftest" \
         >/dev/null 2>&1; then ok "$arch portable selftest"; else bad "$arch portable selftest"; fi
  fi
done

# 2. Portable format across architectures.
portable_native=$native/tests/edge/firn-portable
if [ -x "$portable_native" ]; then
  for arch in aarch64 armhf; do
    [ "${cross_ok[$arch]}" = 1 ] || continue
    portable_arch=build-$arch/tests/edge/firn-portable
    case $arch in
      aarch64) wrap=(qemu-aarch64 -L /usr/aarch64-linux-gnu) ;;
      armhf) wrap=(qemu-arm -L /usr/arm-linux-gnueabihf) ;;
    esac
    if "$portable_native" write "$tmp/x86-$arch" >/dev/null &&
       "${wrap[@]}" "$portable_arch" check "$tmp/x86-$arch"; then
      ok "portable x86-64 -> $arch"
    else
      bad "portable x86-64 -> $arch"
    fi
    if "${wrap[@]}" "$portable_arch" write "$tmp/$arch-x86" >/dev/null &&
       "$portable_native" check "$tmp/$arch-x86"; then
      ok "portable $arch -> x86-64"
    else
      bad "portable $arch -> x86-64"
    fi
  done
else
  bad "portable ($portable_native missing)"
fi

# 3. Library sizes: small configuration per architecture, and the default.
for arch in x86_64 aarch64 armhf; do
  args=(-Dsmall=true -Dtests=false -Dtools=false -Dmimalloc=disabled -Dbuildtype=release)
  case $arch in
    aarch64) args+=(--cross-file cross/aarch64-linux-gnu.ini) ;;
    armhf) args+=(--cross-file cross/arm-linux-gnueabihf.ini) ;;
  esac
  dir=build-small/$arch
  if setup "$dir" "${args[@]}" && ninja -C "$dir" -j "$jobs" >"$tmp/small.build" 2>&1; then
    t=$(text_size "$dir/libfirn.so")
    echo "edge: size small $arch libfirn.so .text = $t bytes"
    # The target: at most 200 KB of .text with the policy included.
    if [ -n "$t" ] && [ "$t" -le 204800 ]; then ok "small $arch <= 200 KB"; else bad "small $arch <= 200 KB"; fi
  else
    tail -n 30 "$tmp/small.build"
    bad "small $arch build"
  fi
done
for d in "$native" build-aarch64 build-armhf; do
  [ -f "$d/libfirn.so" ] && echo "edge: size default $d/libfirn.so .text = $(text_size "$d/libfirn.so") bytes"
done

# 4. The native edge suite: memory budget and the sensor_logger example.
if [ -d "$native" ]; then
  meson test -C "$native" --suite edge --print-errorlogs --num-processes 1 \
    --timeout-multiplier 3 >"$tmp/native.edge" 2>&1
  grep -E '^ *[0-9]+/[0-9]+ ' "$tmp/native.edge"
  grep -h 'memory_budget_test (' "$native/meson-logs/testlog.txt" 2>/dev/null
  count_meson "native edge suite" "$tmp/native.edge"
fi

echo "edge: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
