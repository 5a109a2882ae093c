// firn/options.h: knobs for opening a database, reading and writing.
//
// Every field has a safe default for a small device. Options are plain
// values copied by DB::Open; the caller keeps ownership of `env`, which must
// outlive the DB. SetOption() parses the string form used by the C API and
// kvtool ("name", "value"), returning InvalidArgument for an unknown name or
// a bad value and leaving the Options unchanged in that case.
#ifndef FIRN_OPTIONS_H_
#define FIRN_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "firn/status.h"

namespace firn {

class Env;
class Snapshot;

enum class CompressionType : uint8_t { kNone = 0, kLZ4 = 1 };

// Which compaction picker decides when and what to compact.
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

  // Bytes a memtable may reach before it is sealed and flushed.
  size_t memtable_bytes = 4u << 20;
  // Uncompressed target size of an SST data block.
  size_t block_bytes = 4096;
  // Target size of one SST file; runs are partitioned into files of about
  // this size so compactions can take a subset of a run.
  uint64_t sst_target_bytes = 2u << 20;
  int bloom_bits_per_key = 10;
  CompressionType compression = CompressionType::kLZ4;

  CompactionStyle compaction = CompactionStyle::kLearned;
  // Number of levels of the tree (2..16).
  int num_levels = 7;
  // Tiered: most sorted runs a level holds before it must be merged.
  int max_runs_per_level = 4;
  // Tiered: merge adjacent runs while the next is no more than this percent
  // larger than the sum so far (RocksDB universal "size_ratio").
  int tiered_size_ratio_percent = 20;
  // Tiered: compact everything when total/last-run exceeds this percent.
  int max_space_amplification_percent = 200;
  // Leveled: size of level 1 and multiplier between levels.
  uint64_t leveled_base_bytes = 8u << 20;
  int leveled_multiplier = 8;
  // Learned policy: path of a model file ("" = the built-in model) and the
  // objective dial ("wear=2,read=1,space=1").
  std::string policy_model;
  std::string policy_objective = "wear=2,read=1,space=1";

  // Writes slow down when this many memtable bytes wait to be flushed
  // (in addition to the active memtable) and stop when twice that waits.
  size_t max_pending_flush_bytes = 8u << 20;
  // Limits on user keys and values; larger ones fail with InvalidArgument.
  size_t max_key_bytes = 16u << 10;
  size_t max_value_bytes = 8u << 20;
  // Number of open SST readers kept in the table cache.
  int max_open_files = 64;
  // Bytes of uncompressed blocks kept in the block cache (0: no cache).
  size_t block_cache_bytes = 1u << 20;
  // Check every block's checksum on read (always on for compaction input).
  bool verify_checksums = true;

  // Parses one option from its string form. Recognised names: every field
  // above in snake_case except `env` (for example "memtable_bytes", "sync",
  // "compaction" = learned|tiered|leveled, "compression" = lz4|none).
  // Booleans: true/false/1/0/on/off. Sizes accept K, M, G suffixes.
  Status Set(std::string_view name, std::string_view value);

  // Returns InvalidArgument naming the first field out of range.
  Status Validate() const;
};

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
