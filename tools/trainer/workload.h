// tools/trainer/workload.h: workload generators for the compaction policy
// trainer, the simulator check and the evaluation tool.
//
// A workload is a deterministic stream of operations on integer key ids
// (the simulator encodes an id as 8 big-endian bytes, so id order is key
// order; the real-engine runners do the same). The same spec and seed give
// the same stream on every platform. A workload is one or more phases:
//   uniform    updates (puts) of keys drawn uniformly, a few gets
//   zipf       updates drawn from a scrambled Zipfian (theta 0.99)
//   load       puts of every key of the key space once, in random order
//   readheavy  mostly gets (Zipfian), some updates
//   scanheavy  short range scans mixed with updates
//   deleteheavy puts and deletes of random keys, some gets
//   timeseries appends of increasing keys; the oldest range is deleted
//              in batches so a window of recent keys stays live
// A phase's mix (fractions of put/delete/get/scan) can be overridden, which
// is how the evaluation suite differs from the training one.
// Also TraceWorkload: the operations of a recorded trace (policy/trace.h).
// Thread safety: a Workload is used by one thread; specs are values.
#ifndef FIRN_TOOLS_TRAINER_WORKLOAD_H_
#define FIRN_TOOLS_TRAINER_WORKLOAD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "firn/status.h"
#include "util/random.h"

namespace firn {
class Env;
}

namespace firn::trainer {

enum class OpType : uint8_t { kPut, kDelete, kGet, kScan };

struct Op {
  OpType type = OpType::kPut;
  uint64_t key = 0;
  uint32_t value_size = 0;  // put only
  uint32_t scan_len = 0;    // scan only: keys to read from `key` on
};

enum class PhaseKind : uint8_t {
  kUniform,
  kZipf,
  kLoad,
  kReadHeavy,
  kScanHeavy,
  kDeleteHeavy,
  kTimeSeries,
};
const char* PhaseKindName(PhaseKind k);
// False if name is not a phase kind.
bool ParsePhaseKind(std::string_view name, PhaseKind* k);

struct PhaseSpec {
  PhaseKind kind = PhaseKind::kUniform;
  uint64_t ops = 0;
  // Fractions of puts, deletes, gets, scans; all < 0 means the kind's
  // default mix. (Time series: put = appends, delete = share of ops that
  // are range deletes of the oldest keys, gets/scans read recent keys.)
  double put = -1, del = -1, get = -1, scan = -1;
  uint32_t scan_len = 50;
};

struct WorkloadSpec {
  std::string name;
  uint64_t seed = 1;
  uint64_t keyspace = 40000;  // distinct keys of the non-time-series phases
  uint32_t value_size = 100;
  std::vector<PhaseSpec> phases;

  uint64_t TotalOps() const;
};

class Workload {
 public:
  virtual ~Workload() = default;
  // The next operation; false at the end.
  virtual bool Next(Op* op) = 0;
};

std::unique_ptr<Workload> NewWorkload(const WorkloadSpec& spec);

// A recorded trace as a workload: keys become ids by their bytewise rank
// among the trace's distinct keys. Reads the whole trace at Open.
class TraceWorkload final : public Workload {
 public:
  static Status Open(Env* env, const std::string& path, std::unique_ptr<TraceWorkload>* result);
  bool Next(Op* op) override;
  size_t size() const { return ops_.size(); }
  // Average value size of the trace's puts (for the cost model).
  uint32_t mean_value_size() const { return mean_value_size_; }
  uint64_t distinct_keys() const { return distinct_keys_; }

 private:
  std::vector<Op> ops_;
  size_t pos_ = 0;
  uint32_t mean_value_size_ = 100;
  uint64_t distinct_keys_ = 0;
};

// The training suite: one spec per kind plus shifting-phase mixes, with
// seeds, key spaces, value sizes and phase orders drawn from `seed`. Scale
// 1.0 gives about 60,000 operations per workload. With `varied_mixes`
// (firn-trainer train --varied-mixes) the key space is drawn from a wider
// range (15,000-80,000 keys, not 15,000-40,000) and every phase's mix of
// puts, deletes, gets and scans around its kind's default, so that a
// policy meets the spread of overwrite and read shares a device sees,
// not one mix per kind.
std::vector<WorkloadSpec> TrainingSuite(uint64_t seed, double scale, bool varied_mixes = false);
// The evaluation suite: fixed seeds, mixes and phase orders disjoint from
// every training suite (training seeds are < 2^32, evaluation seeds are
// above). Scale 1.0 gives about 150,000 operations per workload.
std::vector<WorkloadSpec> EvaluationSuite(double scale);

// Deterministic value bytes, compressible about 2:1 by LZ4 (half of every
// 64-byte piece random, the rest repeated), shared by the simulator's
// calibration and the real-engine runners.
class ValueSource {
 public:
  explicit ValueSource(uint64_t seed);
  // A value of n bytes; valid until the next call.
  std::string_view Get(uint32_t n);

 private:
  std::string pool_;
  size_t pos_ = 0;
};

// 8-byte big-endian encoding of a key id.
std::string EncodeKey(uint64_t id);
void EncodeKeyTo(uint64_t id, char* dst);

}  // namespace firn::trainer

#endif  // FIRN_TOOLS_TRAINER_WORKLOAD_H_
