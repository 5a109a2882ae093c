// firn/options.h: knobs for opening a database, reading and writing.
//
// Every field has a safe default for a small device. Options are plain
// values copied by DB::Open; the caller keeps ownership of `env`, which must
// outlive the DB. Options::Set() parses the string form used by the C API
// and kvtool ("name", "value"), returning InvalidArgument for an unknown name
// or a bad value and leaving the Options unchanged in that case;
// OptionsToString() writes the same form. Validate() checks the ranges given
// next to each field ([a, b] is inclusive; DB::Open calls it).
#ifndef FIRN_OPTIONS_H_
#define FIRN_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "firn/status.h"

namespace firn {

class CompactionPicker;
class Env;
class Snapshot;

enum class CompressionType : uint8_t { kNone = 0, kLZ4 = 1 };

// Which compaction picker decides when and what to compact.
// Who does flushes and compactions (docs/edge.md).
enum class BackgroundMode : uint8_t {
  kThread = 0,  // one background thread per DB (default)
  kNone = 1,    // no thread: the application calls DB::Maintain from its
                // idle loop; writes do bounded work inline when behind
};

enum class CompactionStyle : uint8_t {
  kLearned = 0,  // the int4 policy network (default)
  kTiered = 1,   // size-ratio merging of whole runs, like RocksDB universal
  kLeveled = 2,  // one run per level, fixed size multiplier, like LevelDB
};

struct Options {
  // Platform layer used for all file I/O, time and locking. nullptr means
  // the POSIX Env (Env::Default()). Not owned; must outlive the DB.
  Env* env = nullptr;

  bool create_if_missing = true;
  bool error_if_exists = false;
  // true: every write is durable against power loss when it returns.
  // false: an acknowledged write survives a process kill; it survives a power
  // cut once DB::Sync() or DB::Close() has returned OK.
  bool sync = false;
  // Each time this many more bytes have been written to an SST file a
  // flush or compaction is building, ask the OS to start writing them to
  // the device (Linux sync_file_range; elsewhere ignored), so dirty pages
  // do not pile up and the sync that ends the file has less to do. Not the
  // WAL: there the call would run on the writer's thread. Not a durability
  // point: nothing waits for it or is promised by it (see `sync`). 0: off.
  // Any value.
  uint64_t bytes_per_sync = 1u << 20;

  // Bytes a memtable may reach before it is sealed and flushed.
  // [64 KiB, 1 GiB].
  size_t memtable_bytes = 4u << 20;
  // Uncompressed target size of an SST data block. [256, 1 MiB], and at
  // most sst_target_bytes.
  size_t block_bytes = 4096;
  // Target size of one SST file; runs are partitioned into files of about
  // this size so compactions can take a subset of a run. [64 KiB, 4 GiB].
  uint64_t sst_target_bytes = 2u << 20;
  // Bloom filter bits per key in each SST (0: no filter). [0, 30].
  int bloom_bits_per_key = 10;
  // Block compression: "lz4" or "none".
  CompressionType compression = CompressionType::kLZ4;
  // LZ4-compress each write-ahead log record when that makes it smaller,
  // small records against the records before them in their 32 KiB block
  // (docs/format-wal.md, format version 3). Saves flash wear on
  // compressible values at a small CPU cost per write. Logs written either
  // way (and version-2 logs) are read whatever this is set to.
  bool wal_compression = true;

  // "learned", "tiered" or "leveled".
  CompactionStyle compaction = CompactionStyle::kLearned;
  // Number of levels of the tree. [2, 16].
  int num_levels = 7;
  // Most sorted runs a level holds before it must be merged (tiered; level
  // 0 for leveled), and the base of every picker's guardrails: no level
  // holds more than 1.5 x this many runs, and writes slow down at 2 x runs
  // in level 0 and wait at 3 x. [1, 64], or 0 = the picker's default
  // (MaxRunsPerLevel): 4 for tiered and leveled (RocksDB's level-0
  // trigger), 24 for learned (the policy decides when to merge, below a
  // cap of 36 runs; the built-in model sees its limit as 16, what it was
  // trained with), and 4 for every picker when memory_budget_bytes is set
  // (the budget's shares assume it).
  int max_runs_per_level = 0;
  // Tiered: merge adjacent runs while the next is no more than this percent
  // larger than the sum so far (RocksDB universal "size_ratio"). [0, 1000].
  int tiered_size_ratio_percent = 20;
  // Tiered: compact everything when total/last-run exceeds this percent.
  // [10, 10000].
  int max_space_amplification_percent = 200;
  // Leveled: size of level 1, [64 KiB, 64 GiB], and multiplier between
  // levels, [2, 100].
  uint64_t leveled_base_bytes = 8u << 20;
  int leveled_multiplier = 8;
  // Learned policy: path of a model file ("" = the built-in model) and the
  // objective dial ("wear=2,read=1,space=1"). Neither may contain a line
  // break (OptionsToString writes one option per line); the policy code
  // checks the objective's syntax.
  std::string policy_model;
  std::string policy_objective = "wear=2,read=1,space=1";
  // Records every operation (op, key, value size, time) to this file while
  // the database is open, for retraining the policy on the device's own
  // workload (docs/format-trace.md, docs/policy.md). "" = no trace.
  std::string trace_path;
  // Advanced (C++ only, not settable by name): a picker that replaces the
  // one `compaction` names, for experiments and tests. The guardrails still
  // apply to it. Shared so the caller may keep a handle to it.
  std::shared_ptr<CompactionPicker> compaction_picker;

  // Writes slow down when this many memtable bytes wait to be flushed
  // (in addition to the active memtable) and stop when twice that waits.
  // [64 KiB, 1 GiB].
  size_t max_pending_flush_bytes = 8u << 20;
  // Limits on user keys and values; larger ones fail with InvalidArgument.
  // max_key_bytes: [1, 1 MiB]; max_value_bytes: [1, 256 MiB].
  size_t max_key_bytes = 16u << 10;
  size_t max_value_bytes = 8u << 20;
  // Number of open SST readers kept in the table cache. [4, 65536].
  int max_open_files = 64;
  // Bytes of uncompressed blocks kept in the block cache (0: no cache).
  // Any value.
  size_t block_cache_bytes = 1u << 20;
  // Check every block's checksum on read (always on for compaction input).
  bool verify_checksums = true;

  // Edge devices (docs/edge.md).
  // Bound on the engine's memory: memtables (active and waiting to be
  // flushed), block cache, open table readers and compaction buffers. 0: no
  // budget (the fields above apply as set). When set, DB::Open lowers
  // memtable_bytes, max_pending_flush_bytes, block_cache_bytes,
  // sst_target_bytes and max_open_files to fit their share of it
  // (EffectiveOptions), and writes slow down, then wait, rather than exceed
  // it. Not counted: the bytes of the batch being written and the caller's
  // own iterators' pinned blocks. [1 MiB, 1 TiB] when not 0.
  uint64_t memory_budget_bytes = 0;
  // "thread" or "none" (see BackgroundMode).
  BackgroundMode background = BackgroundMode::kThread;
  // true: the background thread runs at a lower CPU priority than the
  // threads that write (nice +10, at most 19, on Linux; nothing elsewhere), so a
  // compaction does not take the CPU a put is waiting for. Writes that get
  // ahead of it are slowed and then wait (max_pending_flush_bytes), which
  // hands the CPU back to it.
  bool background_low_priority = true;
  // Bytes the storage device can endure being written over its life (for
  // example capacity x rated program/erase cycles). 0: unknown. Used only
  // for the property "firn.wear" (projected remaining lifetime).
  uint64_t flash_endurance_bytes = 0;

  // Parses one option from its string form. Recognised names: every field
  // above in snake_case except `env` (for example "memtable_bytes", "sync",
  // "compaction" = learned|tiered|leveled, "compression" = lz4|none,
  // "background" = thread|none).
  // Booleans: true/false/1/0/on/off/yes/no (names of booleans and enum
  // values in any letter case). Sizes (the size_t and uint64_t
  // fields): a decimal integer with an optional K, M or G suffix (powers of
  // two: KiB, MiB, GiB). The int fields: a decimal integer, optionally
  // negative. Strings: any bytes but a line break. Ranges are not checked
  // here but by Validate. InvalidArgument, with *this unchanged, for an
  // unknown name ("unknown option 'x'") or a bad value
  // ("option 'memtable_bytes': 'abc' is not a size").
  Status Set(std::string_view name, std::string_view value);

  // Returns InvalidArgument naming the first field out of range.
  Status Validate() const;
};

// The options a DB opened with `options` runs with: when
// memory_budget_bytes is set, the memory-bearing fields lowered to their
// share of it (memtable 1/8, pending flushes 1/16, block cache 1/4, table
// readers and compaction buffers 1/8 each; the rest is slack for the
// policy, metadata and allocator overhead). Fields already below their share
// are kept. REQUIRES: options.Validate() is OK.
Options EffectiveOptions(const Options& options);

// options.max_runs_per_level, or when that is 0: 4 with a memory budget
// (memory_budget_bytes > 0), else the default of options.compaction's
// picker, 4 for tiered and leveled and 16 for learned.
int MaxRunsPerLevel(const Options& options);

// Every option but `env`, one "name=value" line each in field order, in the
// form Options::Set accepts (sizes in plain bytes). Used for the OPTIONS
// file and by the tools.
std::string OptionsToString(const Options& options);

struct ReadOptions {
  // Read as of this snapshot (from DB::GetSnapshot); nullptr: the latest.
  const Snapshot* snapshot = nullptr;
  bool verify_checksums = true;
  // Keep blocks read by this call in the block cache.
  bool fill_cache = true;
};

struct WriteOptions {
  // true: this write is synced to the device before it returns (overrides
  // Options::sync = false for this call; Options::sync = true always syncs).
  bool sync = false;
};

}  // namespace firn

#endif  // FIRN_OPTIONS_H_
