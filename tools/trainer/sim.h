// tools/trainer/sim.h: a fast simulator of firn's tree shape and I/O cost,
// used to train and check compaction policies (docs/policy.md).
//
// The simulator runs the engine's own tree code: files become real
// FileMetaData in real Versions (VersionEdit + Version::Apply), pickers see
// ShapeOf(version), and every request goes through the real
// Compaction::Prepare, so a compaction is valid here iff it is valid in the
// engine, and it is widened the same way. What is simulated is the data:
// each file holds its entries as (key id, sequence, value size or
// tombstone), sorted like the engine's internal keys; a flush and a
// compaction keep exactly the entries the engine keeps (the newest version
// of each key; a tombstone only while an older run may hold its key).
// Byte counts come from a cost model calibrated once per configuration
// against the engine's own MemTable and TableBuilder (CostModel).
// Time is a modeled clock (SimTiming) that advances per operation.
// Thread safety: a Simulator is used by one thread; Calibrate may be called
// from several (it memoizes under a mutex).
#ifndef FIRN_TOOLS_TRAINER_SIM_H_
#define FIRN_TOOLS_TRAINER_SIM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <set>
#include <unordered_map>
#include <vector>

#include "compaction/picker.h"
#include "firn/options.h"
#include "tools/trainer/workload.h"
#include "version/version.h"

namespace firn::trainer {

// Bytes the engine writes and holds, per entry, for one configuration
// (memtable_bytes, block_bytes, bloom bits, compression, value bytes).
struct CostModel {
  // Memtable: an entry of key k and value v bytes takes k + v + mem_overhead.
  double mem_overhead = 40;
  // A deletion (key, no value) takes mem_tombstone bytes in all.
  double mem_tombstone = 48;
  // SST: a file of n values (total value bytes V) and t tombstones takes
  // file_base + n * value_entry + V * value_byte + t * tombstone bytes,
  // less in_order_saving for each value with a put neighbour earlier in
  // its data block: the value put just before or after it (the benchmark
  // values of consecutive puts share bytes, and LZ4 finds them anywhere in
  // the block). Sequential appends lay every value next to its neighbour;
  // a flush or merge of random puts lays them out in key order, where a
  // neighbour shares the block more often the shorter the stretch of puts
  // the run holds (a flush: about 2% of its values; a merge of four
  // flushes: a quarter of that).
  double file_base = 200;
  double value_entry = 20;
  double value_byte = 0.55;
  double tombstone = 20;
  double in_order_saving = 0;
  // A value also takes more or fewer bytes with how its file's entries
  // spread: LZ4 stores the bytes that differ between neighbouring entries
  // (in key order), so the differences of their sequence numbers and of
  // their keys count. A flush of random puts holds a short stretch of
  // writes (small differences), a merge of many flushes a long one, and
  // appends differ by 1 in both. Measured as the mean bit width of those
  // differences (SpreadBits); bytes per value over the calibration's
  // reference tables, as (mean bits, extra bytes) pairs in increasing
  // bits, interpolated.
  std::vector<std::pair<double, double>> seq_extra, key_extra;
  double SpreadExtra(double seq_bits, double key_bits) const;
  // OutputBuilder starts a new file once this many modeled bytes are in
  // the current one (its size estimate counts the open block uncompressed).
  double split_bytes = 256 << 10;
  // Uncompressed bytes of an entry in a data block (scan block counts).
  double raw_entry = 120;
  // With wal_compression: the logical WAL record of a one-put batch
  // (encoding byte + varint length + LZ4 block, or 1 + the raw payload),
  // measured on sample batches; the simulator cycles through them.
  std::vector<uint32_t> wal_put_records;
};

// Measures a CostModel with the engine's MemTable and TableBuilder for
// values of `value_size` bytes from ValueSource. Memoized.
CostModel Calibrate(const Options& options, uint32_t value_size);

// Modeled foreground time per operation, in microseconds (so that rates
// and "time since last compaction" seen by a policy are meaningful).
struct SimTiming {
  // The defaults are the engine's policy clock (PolicyClockCosts), so the
  // policy sees the same rates and ages in training as in the engine.
  double put = PolicyClockCosts::kPut;
  double get = PolicyClockCosts::kGet;
  double get_block = PolicyClockCosts::kBlock;
  double scan = PolicyClockCosts::kScan;
  double scan_block = PolicyClockCosts::kBlock;
  // Background compaction speed (bytes read + written per microsecond).
  // While a compaction runs, writes go on and memtables are flushed (the
  // engine flushes between compaction entries); the compaction's result
  // is installed when it ends, and only then is the picker asked again.
  double compaction_bytes_per_micro = 100;
  // true: compactions take no modeled time; a chain of them (the picker
  // asked again after each) ends within the operation that started it.
  // This is the engine with background = none and DB::Maintain called
  // after every write (`firn-trainer validate --inline`): decisions no
  // longer depend on how fast the machine compacts.
  bool instant_compactions = false;
  // Time the worker spends on one flush (build, write and sync the
  // table). The picker is still asked when the memtable fills (the engine
  // asks after each flush but dates the decision at the seal), a
  // compaction it chooses starts when the flush ends, and a compaction
  // running meanwhile ends that much later (the engine flushes between
  // compaction entries). 0 (training): flushes take no modeled time.
  // `validate --measured` sets it to the engine's flush time measured on
  // this machine.
  double flush_micros = 0;
  // Writes are delayed by `slowdown` once level 0 holds 2x
  // max_runs_per_level runs, and wait for the compaction at 3x.
  double slowdown = PolicyClockCosts::kSlowdown;  // kSlowdownMicros in engine/db/db_write.cc
};

struct SimConfig {
  Options options;          // memtable_bytes, sst_target_bytes, levels, ...
  uint32_t value_size = 100;  // for the cost model
  SimTiming timing;
  uint64_t free_space_bytes = uint64_t{1} << 40;
  // Gets of keys absent from a file that covers them read a block with
  // this probability (bloom false positives; about 1% at 10 bits/key).
  double bloom_fp = 0.01;
  // The objective dial the policy is told (WorkloadStats weights).
  int wear = 2, read = 1, space = 1;
  // Prints a line for every compaction the guardrail makes in the
  // picker's place (firn-trainer simulate --trace).
  bool trace_guardrail = false;
};

struct SimResult {
  uint64_t ops = 0, puts = 0, deletes = 0, gets = 0, scans = 0;
  uint64_t user_bytes = 0;
  uint64_t wal_bytes = 0, sst_bytes = 0, manifest_bytes = 0, other_bytes = 0;
  uint64_t flush_bytes = 0;  // the part of sst_bytes that flushes wrote
  uint64_t get_blocks = 0, scan_blocks = 0;
  uint64_t flushes = 0, compactions = 0, trivial_moves = 0;
  uint64_t picker_rejections = 0, guardrail_overrides = 0;
  uint64_t max_runs = 0;
  double space_amp_sum = 0;  // sampled after every flush
  uint64_t space_amp_samples = 0;
  double space_amp_end = 1;  // file bytes / live bytes at the end
  uint64_t live_file_bytes = 0;
  double micros = 0;  // modeled time

  uint64_t DeviceBytes() const { return wal_bytes + sst_bytes + manifest_bytes + other_bytes; }
  double WriteAmp() const {
    return user_bytes == 0 ? 0 : static_cast<double>(DeviceBytes()) / static_cast<double>(user_bytes);
  }
  // Blocks per read operation, scans counted per block.
  double ReadCost() const {
    uint64_t reads = gets + scans;
    return reads == 0 ? 0 : static_cast<double>(get_blocks + scan_blocks) / static_cast<double>(reads);
  }
  double SpaceAmp() const {
    return space_amp_samples == 0 ? space_amp_end : space_amp_sum / static_cast<double>(space_amp_samples);
  }
  // The dial's composite cost: wear * write amp + read * read cost +
  // space * (space amp - 1).
  double Cost(int wear, int read, int space) const {
    return wear * WriteAmp() + read * ReadCost() + space * (SpaceAmp() - 1.0);
  }
};

class Simulator {
 public:
  // picker is not owned and must outlive the simulator.
  Simulator(const SimConfig& config, CompactionPicker* picker);
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;
  ~Simulator();

  void Apply(const Op& op);
  // Flushes the memtable and compacts until the picker waits (what the
  // engine does given Flush() and an idle moment).
  void Finish();

  const SimResult& result() const { return result_; }
  const Version& version() const { return *version_; }
  const CostModel& cost_model() const { return cost_; }
  // Newest live (not deleted) value size of every key, read back from the
  // simulated memtable and tree the way a Get would.
  std::vector<std::pair<uint64_t, uint32_t>> LiveKeys() const;
  // Entries currently stored in files (all versions and tombstones).
  uint64_t StoredEntries() const;

 private:
  struct Entry {
    uint64_t key;
    uint64_t seq;
    uint32_t value_size;
    bool tombstone;
  };
  using Entries = std::vector<Entry>;

  void Put(uint64_t key, uint32_t value_size, bool tombstone);
  void Get(uint64_t key);
  void Scan(uint64_t key, uint32_t len);
  void AddWalRecord(size_t payload);
  void NewLogFile();
  void Flush();
  void MaybeCompact();
  bool RunCompaction(const CompactionRequest& request);
  // Installs the running compaction's result if it has ended by now_.
  void MaybeFinishCompaction(bool force);
  void ApplyEdit(VersionEdit* edit);
  // Cuts sorted, deduplicated entries into files; appends their metadata.
  void WriteFiles(const Entries& entries, std::vector<FileMetaData>* out);
  // Bytes of entry e in a file; neighbour: a value put just before or
  // after it is earlier in the same data block (CostModel::in_order_saving).
  double EntryBytes(const Entry& e, bool neighbour) const;
  WorkloadStats Stats();
  double LiveBytesEstimate() const;
  void SampleSpaceAmp();

  const SimConfig config_;
  const CostModel cost_;
  CompactionPicker* const picker_;
  std::unique_ptr<CompactionPicker> guard_;
  std::shared_ptr<Version> version_;
  std::unordered_map<uint64_t, std::shared_ptr<const Entries>> files_;
  uint64_t next_file_ = 4, next_run_ = 1, last_seq_ = 0;

  Entries mem_;
  double mem_bytes_ = 0;
  std::unordered_map<uint64_t, size_t> mem_index_;  // key -> newest in mem_

  // Newest live value per key (for the space amplification): its size,
  // and whether it was put right after a put of the key before it (so in
  // the fully compacted data it follows the value written before it).
  struct LiveValue {
    uint32_t size;
    bool in_order;
  };
  std::unordered_map<uint64_t, LiveValue> live_;
  double live_value_bytes_ = 0;
  uint64_t live_in_order_ = 0;  // live_ values with in_order set
  uint64_t last_put_key_ = ~uint64_t{0};
  // Smallest and largest key ever put (the live keys' mean gap, for
  // LiveBytesEstimate's spread).
  uint64_t min_put_key_ = ~uint64_t{0}, max_put_key_ = 0;
  uint64_t last_put_seq_ = 0;
  // The keys of live_ in order, kept from the first scan on (a scan covers
  // `len` live keys, as the engine's does, not `len` key ids); empty and
  // unused while ordered_live_ is false.
  std::set<uint64_t> live_order_;
  bool ordered_live_ = false;

  uint64_t wal_block_offset_ = 0;
  uint64_t manifest_block_offset_ = 0;

  // The compaction in progress: its edit is applied at busy_until_.
  bool busy_ = false;
  double busy_until_ = 0;
  // Not busy compacting but flushing (SimTiming::flush_micros) until then;
  // 0 when not flushing. A compaction the picker chooses meanwhile starts
  // when it ends.
  double flushing_until_ = 0;
  double scan_blocks_ = 0;  // expected blocks of every scan so far (result_.scan_blocks rounds it)
  VersionEdit pending_edit_;
  bool pending_trivial_ = false;
  uint64_t pending_output_run_ = 0;  // 0: new run at install
  int pending_output_level_ = 0;

  double now_ = 0;  // modeled micros
  double next_poll_ = 1e6;
  double last_compaction_ = 0, last_write_ = 0;
  double window_start_ = 0;
  uint64_t window_writes_ = 0, window_gets_ = 0, window_scans_ = 0, window_deletes_ = 0;
  double write_rate_ = 0, read_rate_ = 0, scan_rate_ = 0, delete_rate_ = 0;
  uint64_t writes_ = 0;

  SimResult result_;
};

// " 3 1 0 ...": the number of runs in each level (trace lines).
std::string RunsPerLevel(const TreeShape& tree);

// Runs a whole workload through a fresh simulator and returns its result.
SimResult Simulate(const SimConfig& config, CompactionPicker* picker, Workload* workload);
SimResult Simulate(const SimConfig& config, CompactionPicker* picker, const std::vector<Op>& ops);

// The options the trainer, the validation and the evaluation share: small
// memtable (256 KiB) and files (256 KiB) so a short workload builds a deep
// tree.
Options BaseOptions();

}  // namespace firn::trainer

#endif  // FIRN_TOOLS_TRAINER_SIM_H_
