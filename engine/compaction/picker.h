// compaction/picker.h: the interface every compaction policy implements,
// static (tiered, leveled) and learned alike.
//
// A picker sees a snapshot of the tree's shape (TreeShape) and of recent
// workload (WorkloadStats) and answers "wait" or one compaction request:
// which files of which runs to merge and the level the output goes to. It
// does no I/O and keeps no reference to the snapshot.
//
// The picker's answer is advice: compaction/compaction.h validates and
// expands every request so that no picker, however wrong, can break the
// tree's invariants (version.h); guardrails enforced by the DB (write
// backpressure, run caps) hold whatever a picker decides.
// Thread safety: Pick is called from one thread at a time.
#ifndef FIRN_COMPACTION_PICKER_H_
#define FIRN_COMPACTION_PICKER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "firn/options.h"

namespace firn {

class Version;

struct FileShape {
  uint64_t number = 0;
  uint64_t bytes = 0;
  std::string smallest;  // user keys
  std::string largest;
  uint64_t entries = 0;
  uint64_t deletions = 0;
  uint64_t age_micros = 0;  // now - created
};

struct RunShape {
  uint64_t id = 0;
  uint64_t bytes = 0;
  uint64_t entries = 0;
  uint64_t deletions = 0;
  std::vector<FileShape> files;  // in key order
};

struct LevelShape {
  std::vector<RunShape> runs;  // newest first
  uint64_t bytes = 0;
};

struct TreeShape {
  std::vector<LevelShape> levels;
  uint64_t total_bytes = 0;
  int total_runs = 0;

  // Bytes of the oldest run (the last run of the deepest non-empty level).
  uint64_t LastRunBytes() const;
  // Index of the deepest non-empty level, or -1.
  int DeepestLevel() const;
};

// The window over which WorkloadStats' rates are measured (the DB's
// background worker and the trainer's simulator both use it): one eighth
// of a microsecond per memtable byte, at least 10 ms and at most 2 s
// (33 ms at the simulator's 256 KiB memtables, 524 ms at the 4 MiB
// default). It scales with the memtable as the policy's other time
// features do, so rates are measured many times within a training
// workload and within every evaluation run. (A fixed 2 s window, until
// 2026-11-27, never closed in either, so models saw rates of 0 in
// training and non-zero rates only in long engine runs.)
uint64_t RateWindowMicros(uint64_t memtable_bytes);

// The policy clock's costs (db/policy_clock.h, docs/policy.md "The policy
// clock"), in modeled microseconds: the engine advances its policy clock
// by these, and the trainer's simulator times its operations with the same
// numbers (SimTiming's defaults), so rates and ages mean the same in both.
struct PolicyClockCosts {
  static constexpr uint64_t kPut = 6;        // a put or delete
  static constexpr uint64_t kGet = 4;        // a get, plus kBlock a block read
  static constexpr uint64_t kScan = 12;      // an iterator, plus kBlock a block read
  static constexpr uint64_t kBlock = 1;
  static constexpr uint64_t kSlowdown = 250;  // a write slowed by backpressure
  // A wall-time gap between operations longer than this counts whole (idle).
  static constexpr uint64_t kIdleMicros = 100000;
};

// Recent workload, as rates over a window and totals. Times are on the
// policy clock (PolicyClockCosts).
struct WorkloadStats {
  uint64_t now_micros = 0;
  // Operations per second over the last window.
  double write_rate = 0;
  double read_rate = 0;
  double scan_rate = 0;
  double delete_rate = 0;
  uint64_t micros_since_last_compaction = 0;
  uint64_t micros_since_last_write = 0;
  uint64_t pending_flush_bytes = 0;  // sealed memtables waiting to flush
  uint64_t free_space_bytes = 0;
  uint64_t user_bytes_written = 0;
  uint64_t device_bytes_written = 0;
  // The dial from Options::policy_objective.
  int wear_weight = 2, read_weight = 1, space_weight = 1;
};

struct CompactionInputRun {
  int level = 0;
  uint64_t run_id = 0;
  std::vector<uint64_t> file_numbers;  // empty: every file of the run
};

struct CompactionRequest {
  std::vector<CompactionInputRun> inputs;
  int output_level = 0;
  std::string reason;  // for logs and `policy explain`
};

class CompactionPicker {
 public:
  virtual ~CompactionPicker() = default;
  virtual const char* Name() const = 0;
  // Returns false to wait, true with *request set to compact.
  virtual bool Pick(const TreeShape& tree, const WorkloadStats& stats,
                    CompactionRequest* request) = 0;
  // The last decisions with their reasons (empty for static pickers).
  virtual std::string Explain() const { return std::string(); }
};

// Builds the picker options.compaction names. For kLearned, until the
// learned policy is built, this is the tiered picker (logged by the DB).
std::unique_ptr<CompactionPicker> NewCompactionPicker(const Options& options);
std::unique_ptr<CompactionPicker> NewTieredPicker(const Options& options);
std::unique_ptr<CompactionPicker> NewLeveledPicker(const Options& options);

// The shape of a version as pickers see it.
TreeShape ShapeOf(const Version& v, uint64_t now_micros);

// The guardrail every picker runs under, whatever it decides (the DB's
// background worker and the trainer's simulator both apply it): true when
// a level holds more than 1.5 x max_runs_per_level runs, or when the space
// amplification estimate (bytes above the oldest run over the oldest run)
// exceeds twice max_space_amplification_percent once the tree holds at
// least 4 memtables' worth. The tiered rule then decides instead.
// (The run cap sits below the write slowdown at 2x, so a picker that
// always waits never slows writers down.)
bool GuardrailTripped(const TreeShape& shape, const Options& options);

}  // namespace firn

#endif  // FIRN_COMPACTION_PICKER_H_
