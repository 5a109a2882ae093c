// tools/trainer/engine_run.h: runs a workload through the real engine
// (DB::Open on an in-memory Env) and measures what the simulator models,
// for `firn-trainer validate` and `firn-policy-eval`.
// Thread safety: RunEngine may be called from one thread at a time per
// process (the engine's own threads are its business).
#ifndef FIRN_TOOLS_TRAINER_ENGINE_RUN_H_
#define FIRN_TOOLS_TRAINER_ENGINE_RUN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "firn/options.h"
#include "firn/status.h"
#include "tools/trainer/workload.h"

namespace firn::trainer {

struct EngineResult {
  uint64_t ops = 0, gets = 0, scans = 0;
  uint64_t user_bytes = 0, device_bytes = 0;
  uint64_t wal_bytes = 0, sst_bytes = 0, manifest_bytes = 0, other_bytes = 0;
  uint64_t flush_bytes = 0;  // the part of sst_bytes that flushes wrote
  uint64_t get_blocks = 0, scan_blocks = 0;  // data blocks read by gets, by scans
  // Files whose bloom filter a get probed: the CPU side of a get's cost,
  // which the objective's read term (blocks) does not count.
  uint64_t get_files = 0;
  uint64_t compactions = 0, flushes = 0, trivial_moves = 0, guardrail_overrides = 0;
  uint64_t live_bytes = 0;        // file bytes at the end
  uint64_t compacted_bytes = 0;   // file bytes after CompactAll (the live data)
  // Space amplification sampled every kSpaceSampleOps operations: file
  // bytes over what the live data at that moment takes fully compacted
  // (its logical bytes times compacted_bytes / logical bytes at the end).
  // The same measure the simulator's objective averages (sim.h).
  double space_amp_sum = 0;
  uint64_t space_amp_samples = 0;
  double seconds = 0;             // wall time of the operations
  double max_write_micros = 0;    // slowest single Put/Delete
  // Time spent in the calls of each kind, with RunEngine's time_calls
  // (the rest of `seconds` is the harness's own: sampling firn.stats.json
  // every 1000 operations).
  double write_seconds = 0, get_seconds = 0, scan_seconds = 0;
  uint64_t write_stalls = 0;
  double compact_all_seconds = 0;  // wall time of the final CompactAll

  double WriteAmp() const {
    return user_bytes == 0 ? 0 : static_cast<double>(device_bytes) / static_cast<double>(user_bytes);
  }
  double BlocksPerGet() const {
    return gets == 0 ? 0 : static_cast<double>(get_blocks) / static_cast<double>(gets);
  }
  double FilesPerGet() const {
    return gets == 0 ? 0 : static_cast<double>(get_files) / static_cast<double>(gets);
  }
  double BlocksPerScan() const {
    return scans == 0 ? 0 : static_cast<double>(scan_blocks) / static_cast<double>(scans);
  }
  // Blocks read by gets and scans over the number of gets and scans: the
  // read term of the simulator's objective (sim.h).
  double BlocksPerRead() const {
    const uint64_t reads = gets + scans;
    return reads == 0 ? 0
                      : static_cast<double>(get_blocks + scan_blocks) / static_cast<double>(reads);
  }
  // Averaged over the run (the cost's space term).
  double SpaceAmp() const {
    return space_amp_samples == 0 ? EndSpaceAmp()
                                  : space_amp_sum / static_cast<double>(space_amp_samples);
  }
  // File bytes at the end over file bytes after a full compaction.
  double EndSpaceAmp() const {
    return compacted_bytes == 0 ? 1.0
                                : static_cast<double>(live_bytes) / static_cast<double>(compacted_bytes);
  }
  double OpsPerSecond() const { return seconds <= 0 ? 0 : static_cast<double>(ops) / seconds; }
  double Cost(int wear, int read, int space) const {
    return wear * WriteAmp() + read * BlocksPerGet() + space * (SpaceAmp() - 1.0);
  }
  // The same with the simulator's read term, which counts scans' blocks.
  double CostWithScans(int wear, int read, int space) const {
    return wear * WriteAmp() + read * BlocksPerRead() + space * (SpaceAmp() - 1.0);
  }
};

// Opens a fresh in-memory database with `options` (env replaced), runs the
// operations, flushes, waits for background work to settle and reads
// firn.stats.json; then compacts everything to measure the live data.
// model_path, if not empty, is copied from the real file system into the
// in-memory one and named by options.policy_model.
// inline_worker: background = none, and DB::Maintain runs every pending
// flush and compaction after each write (the simulator's
// SimTiming::instant_compactions), so the run does not depend on the
// machine's timing; otherwise the engine's own background thread.
// time_calls: read the clock around every call for write_seconds,
// get_seconds and scan_seconds (validate --measured). Off by default: two
// clock reads per operation slow the writer enough to change what the
// threaded worker finds (firn-policy-eval's learned lead moved from
// 4.5-6.0% to 3.2-4.4% in alternating runs with them).
Status RunEngine(const Options& options, const std::vector<Op>& ops, const std::string& model_path,
                 EngineResult* result, bool inline_worker = false, bool time_calls = false);

// The engine's time for one flush on this machine: a fresh in-memory
// database with `options` gets most of a memtable of random puts of
// value_size bytes, and DB::Flush (seal, build and install the table) is
// timed; the median of 7. For `validate --measured` (SimTiming::flush_micros).
Status MeasureFlushMicros(const Options& options, uint32_t value_size, double* micros);

// Reads an integer field of firn.stats.json (0 if absent).
uint64_t JsonField(const std::string& json, const std::string& name);

}  // namespace firn::trainer

#endif  // FIRN_TOOLS_TRAINER_ENGINE_RUN_H_
