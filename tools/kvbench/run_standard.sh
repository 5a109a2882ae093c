#!/bin/sh
# run_standard.sh: the standard comparison of docs/benchmarks.md.
#
#   tools/kvbench/run_standard.sh OUT_DIR [BUILD_DIR] [--extended]
#
# 1M fillrandom then 1M overwrite, 200K readrandom, 20K seeks with 50-key
# scans; 16 B keys, 100 B values compressible 2:1, 4 MiB write buffer,
# WAL on, no sync; firn (default policy), LevelDB, RocksDB leveled and
# universal, each in its own process. Writes OUT_DIR/standard/{table.txt,
# results.json,results.csv,plots/*.svg}. With --extended, also runs the
# YCSB, time-series and shifting workloads on 200K keys into
# OUT_DIR/extended. Extra arguments after these go to kvbench.
# Databases go in $KVBENCH_DB_DIR (default /tmp/kvbench-standard).
set -eu
out=${1:?usage: run_standard.sh OUT_DIR [BUILD_DIR] [--extended]}
build=${2:-build-bench}
shift; [ $# -gt 0 ] && shift
extended=0
if [ "${1:-}" = "--extended" ]; then extended=1; shift; fi
kvbench="$build/tools/kvbench/kvbench"
[ -x "$kvbench" ] || { echo "run_standard.sh: $kvbench not built" >&2; exit 1; }
db_dir=${KVBENCH_DB_DIR:-/tmp/kvbench-standard}
# KVBENCH_EXTRA_ENGINES (e.g. firn:compaction=leveled) are added after firn.
engines=firn,${KVBENCH_EXTRA_ENGINES:+$KVBENCH_EXTRA_ENGINES,}leveldb,rocksdb-leveled,rocksdb-universal

"$kvbench" --engines=$engines \
  --workloads=fillrandom,overwrite,readrandom:200000,seekrandom:20000 \
  --num=1000000 --key_size=16 --value_size=100 --compression_ratio=0.5 \
  --write_buffer_bytes=4M --sync=0 --scan_length=50 \
  --db_dir="$db_dir" --out_dir="$out/standard" "$@"

if [ $extended = 1 ]; then
  "$kvbench" --engines=$engines \
    --workloads=load,ycsb-a:100000,ycsb-b:100000,ycsb-c:100000,ycsb-d:100000,ycsb-e:20000,ycsb-f:100000,timeseries:400000,shifting:400000,readseq,deleterandom:100000 \
    --num=200000 --key_size=16 --value_size=100 --compression_ratio=0.5 \
    --write_buffer_bytes=4M --sync=0 \
    --db_dir="$db_dir" --out_dir="$out/extended" "$@"
fi
