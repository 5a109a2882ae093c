// Tests of the learned compaction policy's runtime: the int4 kernel against
// a float reference, the model file format, candidate enumeration, and the
// guardrails under adversarial pickers.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "compaction/compaction.h"
#include "compaction/picker.h"
#include "db/dbformat.h"
#include "db/policy_clock.h"
#include "firn/db.h"
#include "policy/features.h"
#include "policy/int4_mlp.h"
#include "policy/learned_picker.h"
#include "policy/model.h"
#include "port/env.h"
#include "util/hash.h"
#include "util/random.h"
#include "version/version.h"

using namespace firn;

namespace {

// The layers of a random network of the shipped shape (32 -> 16 -> 8 -> 1):
// weight() draws each int4 weight; row(l, &bias, &mult, &shift) draws each
// row's bias and requantization in layer l.
template <typename WeightFn, typename RowFn>
std::vector<MlpLayer> RandomLayers(WeightFn weight, RowFn row) {
  const int shape[] = {kGlobalFeatures + kCandidateFeatures, 16, 8, 1};
  std::vector<MlpLayer> layers;
  for (int l = 0; l < 3; ++l) {
    MlpLayer L;
    L.inputs = shape[l];
    L.outputs = shape[l + 1];
    for (int i = 0; i < L.inputs * L.outputs; ++i) L.weights.push_back(weight());
    for (int j = 0; j < L.outputs; ++j) {
      int32_t bias, mult;
      uint8_t shift;
      row(l, &bias, &mult, &shift);
      L.bias.push_back(bias);
      L.mult.push_back(mult);
      L.shift.push_back(shift);
    }
    layers.push_back(std::move(L));
  }
  return layers;
}

// A random model whose requantization keeps activations mostly inside
// 0..127, as a trained model's do.
PolicyModel RandomModel(uint64_t seed) {
  Random rnd(seed);
  std::vector<MlpLayer> layers = RandomLayers(
      [&] { return static_cast<int8_t>(static_cast<int>(rnd.Uniform(16)) - 8); },
      [&](int l, int32_t* bias, int32_t* mult, uint8_t* shift) {
        *bias = static_cast<int32_t>(rnd.Uniform(2001)) - 1000;
        *mult = static_cast<int32_t>(16 + rnd.Uniform(48));
        *shift = static_cast<uint8_t>(l == 0 ? 14 : 12);
      });
  PolicyModel m;
  m.schema_version = kFeatureSchemaVersion;
  m.global_features = kGlobalFeatures;
  m.candidate_features = kCandidateFeatures;
  REQUIRE(m.mlp.Init(std::move(layers)).ok());
  return m;
}

FileMetaData MakeFile(uint64_t number, uint64_t lo, uint64_t hi, uint64_t bytes,
                      uint64_t deletions = 0) {
  FileMetaData f;
  f.number = number;
  f.file_size = bytes;
  char a[16], b[16];
  std::snprintf(a, sizeof(a), "%08llu", static_cast<unsigned long long>(lo));
  std::snprintf(b, sizeof(b), "%08llu", static_cast<unsigned long long>(hi));
  f.smallest = MakeInternalKey(a, 100, kTypeValue);
  f.largest = MakeInternalKey(b, 1, kTypeValue);
  f.num_entries = bytes / 100;
  f.num_deletions = deletions;
  return f;
}

// A tree with several runs per level and many files: the shape the
// candidate enumeration and the kernel see in the field.
std::shared_ptr<Version> RandomTree(uint64_t seed, int levels = 5) {
  Random rnd(seed);
  VersionEdit edit;
  uint64_t number = 10, run_id = 1;
  for (int l = levels - 1; l >= 0; --l) {
    int runs = static_cast<int>(rnd.Uniform(4));
    for (int r = 0; r < runs; ++r) {
      uint64_t key = 0;
      int files = 1 + static_cast<int>(rnd.Uniform(6));
      for (int f = 0; f < files; ++f) {
        uint64_t lo = key + rnd.Uniform(100);
        uint64_t hi = lo + 1 + rnd.Uniform(1000);
        key = hi + 1;
        edit.AddFile(l, run_id, MakeFile(number++, lo, hi, 1000 + rnd.Uniform(1 << 20),
                                         rnd.OneIn(3) ? rnd.Uniform(50) : 0));
      }
      run_id++;
    }
  }
  std::shared_ptr<Version> v;
  REQUIRE(Version::Apply(Version(levels), edit, &v).ok());
  return v;
}

WorkloadStats SomeStats(uint64_t seed) {
  Random rnd(seed);
  WorkloadStats w;
  w.now_micros = 1000000000ull;
  w.write_rate = static_cast<double>(rnd.Uniform(100000));
  w.read_rate = static_cast<double>(rnd.Uniform(100000));
  w.scan_rate = static_cast<double>(rnd.Uniform(100));
  w.delete_rate = static_cast<double>(rnd.Uniform(1000));
  w.micros_since_last_compaction = rnd.Uniform(100000000);
  w.pending_flush_bytes = rnd.Uniform(8 << 20);
  w.free_space_bytes = rnd.Uniform(1ull << 32);
  return w;
}

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%08d", i);
  return buf;
}

}  // namespace

TEST_CASE("IntegerKernelMatchesFloatReferenceOnRecordedFeatures") {
  PolicyLimits limits;
  limits.num_levels = 5;
  int agree = 0, decisions = 0;
  double worst = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    PolicyModel model = RandomModel(seed);
    std::shared_ptr<Version> v = RandomTree(seed * 7);
    DecisionInput input;
    BuildDecisionInput(ShapeOf(*v, 2000000000ull), SomeStats(seed), limits, ObjectiveDial(),
                       &input);
    REQUIRE(!input.candidates.empty());
    int32_t scores[kMaxCandidates];
    int best = DecidePolicy(model, input, scores);
    double best_float_score = -1e300, chosen_float_score = 0;
    for (size_t c = 0; c < input.candidates.size(); ++c) {
      int8_t x[kGlobalFeatures + kCandidateFeatures];
      std::copy(input.global.begin(), input.global.end(), x);
      std::copy(input.candidates[c].features.begin(), input.candidates[c].features.end(),
                x + kGlobalFeatures);
      // The shared-prefix path and the plain path give the same integer.
      CHECK(model.mlp.Score(x) == scores[c]);
      double f = model.mlp.ScoreFloat(x);
      // Integer rounding (floor per activation, saturation at 127) keeps
      // the score close to the float network's.
      double err = std::abs(f - scores[c]) / std::max(1000.0, std::abs(f));
      worst = std::max(worst, err);
      CHECK_MESSAGE(err <= 0.15, "float " << f << " int " << scores[c]);
      best_float_score = std::max(best_float_score, f);
      if (static_cast<int>(c) == best) chosen_float_score = f;
    }
    // The integer decision is the float decision, or one the float network
    // scores within 5% of its best.
    bool same = chosen_float_score >= best_float_score -
                                          0.05 * std::max(1000.0, std::abs(best_float_score));
    decisions++;
    if (same) agree++;
  }
  MESSAGE("argmax agreement " << agree << "/" << decisions << ", worst relative error " << worst);
  CHECK(agree * 20 >= decisions * 19);
}

// Every batched kernel (AVX2 where the CPU has it, the portable one, and the
// general path taken for out-of-range inputs) gives Score's integer exactly,
// over models with extreme scales and inputs at the edges of their range.
TEST_CASE("BatchedKernelsMatchPlainScoreBitForBit") {
  int checked = 0;
  for (uint64_t seed = 1; seed <= 120; ++seed) {
    Random rnd(seed * 31 + 7);
    // Some models use only the extreme weights, to reach the 16-bit bounds.
    std::vector<MlpLayer> layers = RandomLayers(
        [&] {
          int w = seed % 4 == 0 ? (rnd.OneIn(2) ? -8 : 7) : static_cast<int>(rnd.Uniform(16)) - 8;
          return static_cast<int8_t>(w);
        },
        [&](int, int32_t* bias, int32_t* mult, uint8_t* shift) {
          *bias = static_cast<int32_t>(rnd.Uniform(40001)) - 20000;
          *mult = static_cast<int32_t>(rnd.Uniform(seed % 3 == 0 ? 40000 : 100));
          *shift = static_cast<uint8_t>(4 + rnd.Uniform(17));
        });
    Int4Mlp fast, portable;
    REQUIRE(fast.Init(layers).ok());
    REQUIRE(portable.Init(layers).ok());
    portable.DisableSimdForTesting();
    CHECK(std::string(portable.KernelName()) == "portable");
    if (seed == 1) MESSAGE("batched kernel on this CPU: " << std::string(fast.KernelName()));
    const int count = 1 + static_cast<int>(rnd.Uniform(kMaxCandidates));
    int8_t prefix[kGlobalFeatures];
    std::vector<std::array<int8_t, kCandidateFeatures>> cands(count);
    const int mode = static_cast<int>(seed % 5);  // 0..2 in range, 3 negatives, 4 has -128
    auto value = [&]() -> int8_t {
      if (mode == 0) return rnd.OneIn(2) ? 127 : 0;
      if (mode == 3 && rnd.OneIn(8)) return static_cast<int8_t>(-1 - static_cast<int>(rnd.Uniform(127)));
      if (mode == 4 && rnd.OneIn(40)) return -128;
      return static_cast<int8_t>(rnd.Uniform(128));
    };
    for (int8_t& v : prefix) v = value();
    const int8_t* suffixes[kMaxCandidates];
    for (int c = 0; c < count; ++c) {
      for (int8_t& v : cands[c]) v = value();
      suffixes[c] = cands[c].data();
    }
    int32_t a[kMaxCandidates], b[kMaxCandidates];
    fast.ScoreShared(prefix, kGlobalFeatures, suffixes, kCandidateFeatures, count, a);
    portable.ScoreShared(prefix, kGlobalFeatures, suffixes, kCandidateFeatures, count, b);
    for (int c = 0; c < count; ++c) {
      int8_t x[kGlobalFeatures + kCandidateFeatures];
      std::copy(prefix, prefix + kGlobalFeatures, x);
      std::copy(cands[c].begin(), cands[c].end(), x + kGlobalFeatures);
      const int32_t want = fast.Score(x);
      CHECK(a[c] == want);
      CHECK(b[c] == want);
      checked++;
    }
  }
  MESSAGE(checked << " candidates scored three ways");
}

TEST_CASE("CandidatesAreValidAfterPrepareAndWaitComesFirst") {
  PolicyLimits limits;
  limits.num_levels = 5;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    std::shared_ptr<Version> v = RandomTree(seed);
    DecisionInput input;
    BuildDecisionInput(ShapeOf(*v, 2000000000ull), SomeStats(seed), limits, ObjectiveDial(),
                       &input);
    REQUIRE(input.candidates.size() <= static_cast<size_t>(kMaxCandidates));
    REQUIRE(input.candidates[0].wait);
    CHECK(input.candidates[0].features[0] == 127);
    for (size_t c = 1; c < input.candidates.size(); ++c) {
      CHECK(!input.candidates[c].wait);
      CHECK(input.candidates[c].features[0] == 0);
      for (int8_t f : input.candidates[c].features) CHECK(f >= 0);
      std::unique_ptr<Compaction> comp;
      Status s = Compaction::Prepare(*v, input.candidates[c].request, &comp);
      CHECK_MESSAGE(s.ok(), input.candidates[c].request.reason << ": " << s.ToString());
    }
    for (int8_t g : input.global) CHECK(g >= 0);
  }
}

// Feature schema 2 measures bytes and times against the memtable: the same
// tree built with 16x larger memtables (16x the bytes and entries, which
// take 16x as long to write) must look exactly the same to the model, so a
// model trained at the simulator's 256 KiB memtables decides the same way at
// the engine's 4 MiB default.
TEST_CASE("FeaturesAreTheSameForATreeScaledWithTheMemtable") {
  const uint64_t kScale = 16;
  PolicyLimits small, large;
  small.num_levels = large.num_levels = 5;
  small.memtable_bytes = 256u << 10;
  large.memtable_bytes = small.memtable_bytes * kScale;
  int differing_from_schema1 = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    TreeShape tree = ShapeOf(*RandomTree(seed), 2000000000ull);
    WorkloadStats stats = SomeStats(seed);
    TreeShape scaled = tree;
    scaled.total_bytes *= kScale;
    for (LevelShape& level : scaled.levels) {
      level.bytes *= kScale;
      for (RunShape& run : level.runs) {
        run.bytes *= kScale;
        run.entries *= kScale;
        run.deletions *= kScale;
        for (FileShape& f : run.files) {
          f.bytes *= kScale;
          f.entries *= kScale;
          f.deletions *= kScale;
          f.age_micros *= kScale;
        }
      }
    }
    WorkloadStats scaled_stats = stats;
    scaled_stats.micros_since_last_compaction *= kScale;
    scaled_stats.pending_flush_bytes *= kScale;
    scaled_stats.free_space_bytes *= kScale;
    DecisionInput a, b;
    BuildDecisionInput(tree, stats, small, ObjectiveDial(), &a);
    BuildDecisionInput(scaled, scaled_stats, large, ObjectiveDial(), &b);
    CHECK(a.global == b.global);
    REQUIRE(a.candidates.size() == b.candidates.size());
    for (size_t c = 0; c < a.candidates.size(); ++c) {
      CHECK(a.candidates[c].features == b.candidates[c].features);
      CHECK(a.candidates[c].request.reason == b.candidates[c].request.reason);
    }
    // The scaled tree at the small memtable is another tree: its byte
    // features differ (so the check above compares something).
    DecisionInput c;
    BuildDecisionInput(scaled, scaled_stats, small, ObjectiveDial(), &c);
    for (size_t i = 1; i < a.candidates.size(); ++i) {
      if (a.candidates[i].features != c.candidates[i].features) differing_from_schema1++;
    }
  }
  CHECK(differing_from_schema1 > 0);
}

TEST_CASE("ModelFileRoundTripsAndFitsInTwoKiB") {
  PolicyModel m = RandomModel(3);
  std::string bytes = EncodePolicyModel(m);
  CHECK(bytes.size() <= 2048);
  PolicyModel back;
  REQUIRE(DecodePolicyModel(bytes, "test.model", &back).ok());
  REQUIRE(back.mlp.layers().size() == m.mlp.layers().size());
  for (size_t l = 0; l < m.mlp.layers().size(); ++l) {
    CHECK(back.mlp.layers()[l].weights == m.mlp.layers()[l].weights);
    CHECK(back.mlp.layers()[l].bias == m.mlp.layers()[l].bias);
    CHECK(back.mlp.layers()[l].mult == m.mlp.layers()[l].mult);
    CHECK(back.mlp.layers()[l].shift == m.mlp.layers()[l].shift);
  }
  CHECK(EncodePolicyModel(back) == bytes);
}

TEST_CASE("DamagedModelFileIsRejectedNeverHalfLoaded") {
  std::string bytes = EncodePolicyModel(RandomModel(5));
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit : {0, 5}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      PolicyModel m;
      Status s = DecodePolicyModel(bad, "bad.model", &m);
      REQUIRE(!s.ok());
      CHECK(s.ToString().find("bad.model") != std::string::npos);
    }
  }
  for (size_t n = 0; n < bytes.size(); n += 7) {
    PolicyModel m;
    CHECK(DecodePolicyModel(bytes.substr(0, n), "short.model", &m).IsCorruption());
  }
}

TEST_CASE("NewerFormatOrOtherSchemaIsInvalidArgument") {
  PolicyModel m = RandomModel(9);
  m.schema_version = kFeatureSchemaVersion + 1;
  PolicyModel out;
  Status s = DecodePolicyModel(EncodePolicyModel(m), "other.model", &out);
  CHECK(s.IsInvalidArgument());
  CHECK(s.ToString().find("schema") != std::string::npos);
  // Format version 2, re-checksummed.
  std::string bytes = EncodePolicyModel(RandomModel(9));
  bytes[4] = 2;
  std::string body = bytes.substr(0, bytes.size() - 8);
  std::string fixed = body;
  uint64_t h = Hash64(body);
  for (int i = 0; i < 8; ++i) fixed.push_back(static_cast<char>(h >> (8 * i)));
  s = DecodePolicyModel(fixed, "v2.model", &out);
  CHECK(s.IsInvalidArgument());
  CHECK(s.ToString().find("newer") != std::string::npos);
}

TEST_CASE("OpenFailsOnMissingCorruptOrMismatchedModelFile") {
  std::unique_ptr<Env> env = NewMemEnv();
  Options o;
  o.env = env.get();
  o.compaction = CompactionStyle::kLearned;
  std::unique_ptr<DB> db;
  o.policy_model = "/models/missing.model";
  Status s = DB::Open(o, "/db", &db);
  CHECK(!s.ok());
  CHECK(s.ToString().find("missing.model") != std::string::npos);

  REQUIRE(env->CreateDir("/models").ok());
  std::string bytes = EncodePolicyModel(RandomModel(11));
  std::string bad = bytes;
  bad[20] ^= 1;
  REQUIRE(WriteStringToFile(env.get(), bad, "/models/bad.model", false).ok());
  o.policy_model = "/models/bad.model";
  s = DB::Open(o, "/db", &db);
  CHECK(s.IsCorruption());

  REQUIRE(WriteStringToFile(env.get(), bytes, "/models/good.model", false).ok());
  o.policy_model = "/models/good.model";
  s = DB::Open(o, "/db", &db);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  std::string picker;
  REQUIRE(db->GetProperty("firn.picker", &picker));
  CHECK(picker == "learned");
  // firn.policy names the loaded model by its checksum and path.
  PolicyModel loaded;
  REQUIRE(DecodePolicyModel(bytes, "x", &loaded).ok());
  char id[17];
  std::snprintf(id, sizeof(id), "%016llx", static_cast<unsigned long long>(loaded.id));
  std::string policy;
  REQUIRE(db->GetProperty("firn.policy", &policy));
  CHECK_MESSAGE(policy.find(id) != std::string::npos, policy);
  CHECK_MESSAGE(policy.find("/models/good.model") != std::string::npos, policy);
  CHECK_MESSAGE(policy.find("dial wear=2,read=1,space=1") != std::string::npos, policy);

  o.policy_objective = "wear=2,speed=3";
  db.reset();
  CHECK(DB::Open(o, "/db", &db).IsInvalidArgument());
}

namespace {

// Pickers no model should be able to break the engine with.
class AlwaysWait final : public CompactionPicker {
 public:
  const char* Name() const override { return "always-wait"; }
  bool Pick(const TreeShape&, const WorkloadStats&, CompactionRequest*) override { return false; }
};

// An Env whose SST syncs take 10 ms: the background worker falls behind the
// writer (as on a slow flash device, or with the thread at low priority),
// so sealed memtables queue up for flushing.
class SlowSstSyncEnv final : public EnvWrapper {
 public:
  explicit SlowSstSyncEnv(Env* target) : EnvWrapper(target) {}
  Status NewWritableFile(const std::string& f, std::unique_ptr<WritableFile>* r) override {
    Status s = EnvWrapper::NewWritableFile(f, r);
    if (s.ok() && f.size() > 4 && f.compare(f.size() - 4, 4, ".sst") == 0) {
      *r = std::make_unique<SlowSync>(std::move(*r));
    }
    return s;
  }

 private:
  class SlowSync final : public WritableFile {
   public:
    explicit SlowSync(std::unique_ptr<WritableFile> base) : base_(std::move(base)) {}
    Status Append(std::string_view d) override { return base_->Append(d); }
    Status Flush() override { return base_->Flush(); }
    Status Sync() override {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      return base_->Sync();
    }
    Status Close() override { return base_->Close(); }

   private:
    std::unique_ptr<WritableFile> base_;
  };
};

class AlwaysEverything final : public CompactionPicker {
 public:
  const char* Name() const override { return "always-largest"; }
  bool Pick(const TreeShape& tree, const WorkloadStats&, CompactionRequest* r) override {
    int deepest = tree.DeepestLevel();
    if (deepest < 0 || tree.total_runs < 2) return false;
    r->inputs.clear();
    for (int l = 0; l <= deepest; ++l) {
      for (const RunShape& rs : tree.levels[l].runs) r->inputs.push_back({l, rs.id, {}});
    }
    r->output_level = deepest;
    r->reason = "adversary: everything";
    return true;
  }
};

class RandomPicker final : public CompactionPicker {
 public:
  explicit RandomPicker(uint64_t seed) : rnd_(seed) {}
  const char* Name() const override { return "random"; }
  bool Pick(const TreeShape& tree, const WorkloadStats&, CompactionRequest* r) override {
    if (rnd_.OneIn(3)) return false;
    r->inputs.clear();
    int levels = static_cast<int>(tree.levels.size());
    int n = 1 + static_cast<int>(rnd_.Uniform(3));
    for (int i = 0; i < n; ++i) {
      int l = static_cast<int>(rnd_.Uniform(levels));
      const LevelShape& level = tree.levels[l];
      if (level.runs.empty()) continue;
      const RunShape& run = level.runs[rnd_.Uniform(level.runs.size())];
      CompactionInputRun in{l, run.id, {}};
      if (rnd_.OneIn(2) && !run.files.empty()) {
        in.file_numbers.push_back(run.files[rnd_.Uniform(run.files.size())].number);
      }
      if (rnd_.OneIn(10)) in.file_numbers.push_back(999999);  // nonsense
      r->inputs.push_back(in);
    }
    r->output_level = static_cast<int>(rnd_.Uniform(levels + 1)) - (rnd_.OneIn(10) ? 2 : 0);
    r->reason = "adversary: random";
    return !r->inputs.empty();
  }

 private:
  Random rnd_;
};

void RunAdversary(std::shared_ptr<CompactionPicker> picker, bool expect_rejections,
                  bool slow_device = false) {
  std::unique_ptr<Env> mem = NewMemEnv();
  SlowSstSyncEnv slow(mem.get());
  Env* env = slow_device ? static_cast<Env*>(&slow) : mem.get();
  Options o;
  o.env = env;
  o.memtable_bytes = 64 << 10;
  o.sst_target_bytes = 64 << 10;
  o.max_runs_per_level = 3;
  o.num_levels = 4;
  o.compaction_picker = picker;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(o, "/db", &db).ok());
  std::map<std::string, std::string> model;
  Random rnd(77);
  int max_runs_seen = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string k = Key(static_cast<int>(rnd.Uniform(4000)));
    if (rnd.OneIn(6)) {
      REQUIRE(db->Delete(WriteOptions(), k).ok());
      model.erase(k);
    } else {
      std::string v = std::to_string(i) + std::string(60, 'x');
      REQUIRE(db->Put(WriteOptions(), k, v).ok());
      model[k] = v;
    }
    if (i % 100 == 0) {
      std::string levels;
      REQUIRE(db->GetProperty("firn.levels", &levels));
      size_t pos = 0;
      while (pos < levels.size()) {
        int level = 0, runs = 0;
        std::sscanf(levels.c_str() + pos, "%d %d", &level, &runs);
        max_runs_seen = std::max(max_runs_seen, runs);
        pos = levels.find('\n', pos) + 1;
      }
    }
  }
  // Guardrail: writes stop at 3 x max_runs_per_level level-0 runs and the
  // tiered rule takes over past 2 x, so no level ever holds more than 3 x.
  CHECK(max_runs_seen <= 3 * MaxRunsPerLevel(o));
  std::string json;
  REQUIRE(db->GetProperty("firn.stats.json", &json));
  MESSAGE(std::string(picker->Name()) << ": max runs in a level " << max_runs_seen << "; " << json.substr(0, 300));
  if (expect_rejections) CHECK(json.find("\"picker_rejections\":0,") == std::string::npos);
  db.reset();
  REQUIRE(DB::Open(o, "/db", &db).ok());
  std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
  auto m = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
    REQUIRE(m != model.end());
    REQUIRE(it->key() == m->first);
    REQUIRE(it->value() == m->second);
  }
  CHECK(m == model.end());
  CHECK(it->status().ok());
}

}  // namespace

TEST_CASE("GuardrailsHoldAndNoDataIsLostUnderAlwaysWaitPicker") {
  RunAdversary(std::make_shared<AlwaysWait>(), false);
}

// Level 0 stays within its stop limit even when the worker is slow: the
// write stop counts the runs the queued sealed memtables will become.
TEST_CASE("GuardrailsHoldAndNoDataIsLostUnderAlwaysWaitPickerOnASlowDevice") {
  RunAdversary(std::make_shared<AlwaysWait>(), false, /*slow_device=*/true);
}

TEST_CASE("GuardrailsHoldAndNoDataIsLostUnderAlwaysCompactEverythingPicker") {
  RunAdversary(std::make_shared<AlwaysEverything>(), false);
}

TEST_CASE("GuardrailsHoldAndNoDataIsLostUnderRandomPicker") {
  RunAdversary(std::make_shared<RandomPicker>(5), true);
}

namespace {

// Never compacts; keeps what it was shown at every call (the background
// worker or Maintain calls it): the tree's runs, its oldest file's age,
// and the workload statistics.
class RecordingPicker final : public CompactionPicker {
 public:
  struct Call {
    int runs = 0;
    uint64_t oldest_age = 0;
    WorkloadStats stats;
  };
  const char* Name() const override { return "recording"; }
  bool Pick(const TreeShape& t, const WorkloadStats& s, CompactionRequest*) override {
    Call c;
    c.runs = t.total_runs;
    c.stats = s;
    for (const LevelShape& level : t.levels) {
      for (const RunShape& r : level.runs) {
        for (const FileShape& f : r.files) c.oldest_age = std::max(c.oldest_age, f.age_micros);
      }
    }
    std::lock_guard<std::mutex> l(mu_);
    calls_.push_back(c);
    return false;
  }
  std::vector<Call> calls() {
    std::lock_guard<std::mutex> l(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::vector<Call> calls_;
};

}  // namespace

TEST_CASE("TheEngineShowsThePickerWorkloadRatesWithinAFractionOfASecond") {
  // The rate window scales with the memtable (10 ms at 64 KiB), so a run of
  // a few hundred milliseconds, like every policy evaluation run, shows the
  // policy its write and get rates (a fixed 2 s window showed 0).
  std::unique_ptr<Env> mem = NewMemEnv();
  auto picker = std::make_shared<RecordingPicker>();
  Options o;
  o.env = mem.get();
  o.memtable_bytes = 64 << 10;
  o.sst_target_bytes = 64 << 10;
  o.compaction_picker = picker;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(o, "/db", &db).ok());
  const auto t0 = std::chrono::steady_clock::now();
  std::string v(100, 'v');
  for (int i = 0; i < 4000; ++i) {
    REQUIRE(db->Put(WriteOptions(), Key(i), v).ok());
    std::string got;
    if (i % 2 == 0) REQUIRE(db->Get(ReadOptions(), Key(i / 2), &got).ok());
    // Spread the writes over at least 60 ms, several windows.
    if (i % 400 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(6));
  }
  REQUIRE(db->Flush().ok());
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO("run took " << secs << " s");
  double most_writes = 0, most_gets = 0;
  for (const RecordingPicker::Call& c : picker->calls()) {
    most_writes = std::max(most_writes, c.stats.write_rate);
    most_gets = std::max(most_gets, c.stats.read_rate);
  }
  CHECK(most_writes > 100);
  CHECK(most_gets > 100);
  CHECK(RateWindowMicros(o.memtable_bytes) == 10000);
  CHECK(RateWindowMicros(4u << 20) == 524288);
}

namespace {

// A clock that advances `step` microseconds each time it is read: a device
// `step` times slower than one that takes a microsecond per clock read.
class SteppingClockEnv final : public EnvWrapper {
 public:
  SteppingClockEnv(Env* target, uint64_t step) : EnvWrapper(target), step_(step) {}
  uint64_t NowMicros() override { return now_.fetch_add(step_) + step_; }
  void Jump(uint64_t micros) { now_.fetch_add(micros); }

 private:
  const uint64_t step_;
  std::atomic<uint64_t> now_{1000000};
};

// The stats the picker sees over a fixed workload (background = none, so
// the picker is asked at the same points whatever the clock does): those
// of the first call after each change of the tree (keyed by user bytes
// written and runs), not the idle re-asks, whose number depends on the
// wall clock.
std::map<std::pair<uint64_t, int>, WorkloadStats> StatsSeen(SteppingClockEnv* env,
                                                             uint64_t idle_jump) {
  auto picker = std::make_shared<RecordingPicker>();
  Options o;
  o.env = env;
  o.background = BackgroundMode::kNone;
  o.memtable_bytes = 64 << 10;
  o.sst_target_bytes = 64 << 10;
  o.compaction_picker = picker;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(o, "/db", &db).ok());
  std::string v(100, 'v');
  for (int i = 0; i < 6000; ++i) {
    REQUIRE(db->Put(WriteOptions(), Key(i % 2500), v).ok());
    std::string got;
    if (i % 3 == 0) db->Get(ReadOptions(), Key(i / 3), &got).IgnoreError();
    if (i % 50 == 0) {
      std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
      int n = 0;
      for (it->Seek(Key(i / 7)); it->Valid() && n < 20; it->Next()) n++;
    }
    if (i == 5000 && idle_jump > 0) env->Jump(idle_jump);
    REQUIRE(db->Maintain(1).ok());  // one step: the budget is spent at once
  }
  REQUIRE(db->Close().ok());
  std::map<std::pair<uint64_t, int>, WorkloadStats> seen;
  for (const RecordingPicker::Call& c : picker->calls()) {
    seen.emplace(std::make_pair(c.stats.user_bytes_written, c.runs), c.stats);
  }
  return seen;
}

}  // namespace

TEST_CASE("ThePolicysTimeFeaturesDoNotDependOnTheDevicesSpeed") {
  // The same operations on a device 50 times slower show the policy the
  // same rates and the same time since the last compaction: they are on
  // the policy clock (modeled work, db/policy_clock.h), as in the trainer's
  // simulator, not wall time.
  std::unique_ptr<Env> mem_a = NewMemEnv(), mem_b = NewMemEnv();
  SteppingClockEnv fast(mem_a.get(), 1), slow(mem_b.get(), 50);
  const auto a = StatsSeen(&fast, 0), b = StatsSeen(&slow, 0);
  // Compared where both were asked at the same point (the slow device may
  // also be asked again while idle, between them).
  size_t common = 0, with_rates = 0;
  for (const auto& [key, sa] : a) {
    auto it = b.find(key);
    if (it == b.end()) continue;
    const WorkloadStats& sb = it->second;
    CAPTURE(key.first);
    CHECK(sa.write_rate == sb.write_rate);
    CHECK(sa.read_rate == sb.read_rate);
    CHECK(sa.scan_rate == sb.scan_rate);
    CHECK(sa.micros_since_last_compaction == sb.micros_since_last_compaction);
    common++;
    if (sa.write_rate > 0) with_rates++;
  }
  CHECK(common > 10);
  CHECK(common * 10 >= a.size() * 9);  // nearly every point of the fast run
  CHECK(with_rates > common / 2);
  // 6 modeled microseconds a put: the write rate is below 1e6 / 6.
  for (const auto& [key, sa] : a) CHECK(sa.write_rate <= 1e6 / PolicyClockCosts::kPut);
}

TEST_CASE("AnIdleGapCountsOnThePolicyClock") {
  // Ten seconds with no operation: the time since the last compaction
  // grows by them (a lull reads as time passing), where a busy run of the
  // same operations shows no such jump.
  std::unique_ptr<Env> mem_a = NewMemEnv(), mem_b = NewMemEnv();
  SteppingClockEnv busy(mem_a.get(), 1), idle(mem_b.get(), 1);
  const auto a = StatsSeen(&busy, 0), b = StatsSeen(&idle, 10000000);
  REQUIRE(!a.empty());
  uint64_t most_a = 0, most_b = 0;
  for (const auto& [key, s] : a) most_a = std::max(most_a, s.micros_since_last_compaction);
  for (const auto& [key, s] : b) most_b = std::max(most_b, s.micros_since_last_compaction);
  CHECK(most_a < 1000000);
  CHECK(most_b >= 10000000);
}

TEST_CASE("ThePolicyClockGoesOnAcrossAReopen") {
  // Files keep their creation time on the policy clock, and a reopened
  // database's clock goes on from the newest: the files written before the
  // reopen are seen with ages above 0 (a clock back at 0 would show them
  // all at age 0) and below the modeled work done (not wall time).
  std::unique_ptr<Env> mem = NewMemEnv();
  SteppingClockEnv env(mem.get(), 1000);  // a millisecond a clock read
  Options o;
  o.env = &env;
  o.background = BackgroundMode::kNone;
  o.memtable_bytes = 64 << 10;
  o.sst_target_bytes = 64 << 10;
  std::string v(100, 'v');
  for (int round = 0; round < 2; ++round) {
    auto picker = std::make_shared<RecordingPicker>();
    o.compaction_picker = picker;
    std::unique_ptr<DB> db;
    REQUIRE(DB::Open(o, "/db", &db).ok());
    for (int i = 0; i < 3000; ++i) {
      REQUIRE(db->Put(WriteOptions(), Key(round * 3000 + i), v).ok());
      REQUIRE(db->Maintain(1).ok());
    }
    REQUIRE(db->Flush().ok());
    REQUIRE(db->Maintain(1).ok());
    CAPTURE(round);
    const std::vector<RecordingPicker::Call> calls = picker->calls();
    REQUIRE(!calls.empty());
    uint64_t oldest = 0;
    for (const RecordingPicker::Call& c : calls) oldest = std::max(oldest, c.oldest_age);
    // 6000 puts are 36 ms of modeled work; the wall clock ran for far
    // more than that (a millisecond a read), and no gap was idle.
    CHECK(oldest > 0);
    CHECK(oldest < 36000);
    // Right after the reopen, the files of the first 3000 puts (18 ms of
    // work) are already most of that old: the clock went on from them.
    if (round == 1) CHECK(calls.front().oldest_age > 10000);
    REQUIRE(db->Close().ok());
  }
}

namespace {

// Holds every table file's creation until Release: the background worker's
// first flush ends late while the writer goes on into the next memtable.
class HeldFlushEnv final : public EnvWrapper {
 public:
  explicit HeldFlushEnv(Env* target) : EnvWrapper(target) {}
  Status NewWritableFile(const std::string& f, std::unique_ptr<WritableFile>* r) override {
    if (f.size() > 4 && f.compare(f.size() - 4, 4, ".sst") == 0) {
      std::unique_lock<std::mutex> l(mu_);
      held_ = true;
      cv_.wait(l, [this] { return released_; });
    }
    return EnvWrapper::NewWritableFile(f, r);
  }
  bool Held() {
    std::lock_guard<std::mutex> l(mu_);
    return held_;
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false, released_ = false;
};

// A database on a HeldFlushEnv (64 KiB memtables) whose picker records
// every call: the writer goes on while the worker's first flush is held.
struct HeldFlushDB {
  std::unique_ptr<Env> mem = NewMemEnv();
  HeldFlushEnv env{mem.get()};
  std::shared_ptr<RecordingPicker> picker = std::make_shared<RecordingPicker>();
  std::unique_ptr<DB> db;
  int puts = 0;

  HeldFlushDB() {
    Options o;
    o.env = &env;
    o.memtable_bytes = 64 << 10;
    o.sst_target_bytes = 64 << 10;
    o.compaction_picker = picker;
    REQUIRE(DB::Open(o, "/db", &db).ok());
  }
  ~HeldFlushDB() {
    env.Release();  // a test that stopped early must not leave the worker held
    db.reset();
  }
  void Put() { REQUIRE(db->Put(WriteOptions(), Key(puts++), std::string(100, 'v')).ok()); }
  // Puts until `sealed` memtables wait to flush ("sealed N" in firn.stats).
  void PutUntilSealed(int sealed) {
    const std::string want = ", sealed " + std::to_string(sealed) + " ";
    std::string stats;
    do {
      REQUIRE(puts < 20000);
      Put();
      REQUIRE(db->GetProperty("firn.stats", &stats));
    } while (stats.find(want) == std::string::npos);
  }
  // The picker's calls, once one has seen at least `runs` runs.
  std::vector<RecordingPicker::Call> CallsOnceRunsReach(int runs) {
    std::vector<RecordingPicker::Call> calls;
    for (int wait = 0; wait < 1000; ++wait) {
      calls = picker->calls();
      for (const RecordingPicker::Call& c : calls) {
        if (c.runs >= runs) return calls;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("the picker never saw " << runs << " runs");
    return calls;
  }
};

}  // namespace

TEST_CASE("AFlushThatEndsLateShowsThePolicyTheTimeItsMemtableWasSealed") {
  // The simulator the model was trained in flushes the moment a memtable
  // fills, so it asks the policy then. The engine's background worker asks
  // when the flush has ended, after the writer has gone on; dated then,
  // the decision would see a time since the last compaction that depends
  // on the thread's timing (on `uniform` it flipped the model's first
  // merge). It is dated at the seal, and the new run's age there is 0.
  HeldFlushDB t;
  // On the policy clock (6 us a put, no idle gap) the seal was at most
  // puts * kPut.
  t.PutUntilSealed(1);
  const uint64_t sealed_by = static_cast<uint64_t>(t.puts) * PolicyClockCosts::kPut;
  for (int wait = 0; wait < 1000 && !t.env.Held(); ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(t.env.Held());  // the worker is in the flush
  // 200 puts more (half a memtable: none is sealed), then the flush ends.
  for (int j = 0; j < 200; ++j) t.Put();
  t.env.Release();
  const std::vector<RecordingPicker::Call> calls = t.CallsOnceRunsReach(1);
  auto first = std::find_if(calls.begin(), calls.end(), [](const auto& c) { return c.runs > 0; });
  REQUIRE(first != calls.end());
  CAPTURE(sealed_by);
  CHECK(first->stats.now_micros <= sealed_by);
  CHECK(first->stats.micros_since_last_compaction <= sealed_by);
  CHECK(first->oldest_age == 0);
  REQUIRE(t.db->Close().ok());
}

TEST_CASE("WithTwoMemtablesSealedThePolicyIsAskedBetweenTheirFlushes") {
  // The simulator asks the policy at every flush. When the worker gets
  // behind and two memtables wait, it still asks after the first flush,
  // about the tree with one new run, before flushing the second; and as of
  // that decision's date (the first seal) nothing waits to flush yet.
  HeldFlushDB t;
  t.PutUntilSealed(2);  // a second memtable sealed behind the held flush
  t.env.Release();
  const std::vector<RecordingPicker::Call> calls = t.CallsOnceRunsReach(2);
  REQUIRE(!calls.empty());
  CHECK(calls.front().runs == 1);
  CHECK(calls.front().stats.pending_flush_bytes == 0);
  CHECK(std::any_of(calls.begin(), calls.end(), [](const auto& c) { return c.runs == 2; }));
  REQUIRE(t.db->Close().ok());
}

TEST_CASE("PolicyClockCountsWorkAndLongGapsOnly") {
  PolicyClock c;
  c.Start(500, 1000);
  CHECK(c.Now(1000) == 500);
  c.Operation(6, 1010);             // a short gap: only the work counts
  CHECK(c.Now(1010) == 506);
  c.Add(3);                         // blocks an iterator read
  CHECK(c.Now(2000) == 509);        // 990 us since the last operation: busy
  const uint64_t gap = PolicyClockCosts::kIdleMicros + 1;
  CHECK(c.Now(1010 + gap) == 509 + gap);  // a long gap reads as idle time
  c.Operation(4, 1010 + gap);
  CHECK(c.Now(1010 + gap) == 509 + gap + 4);
  uint64_t last = 0;
  for (uint64_t wall = 1010 + gap; wall < 1010 + 3 * gap; wall += 7919) {
    CHECK(c.Now(wall) >= last);  // never decreases
    last = c.Now(wall);
  }
}

TEST_CASE("ObjectiveDialParsesAndRejectsBadTerms") {
  ObjectiveDial d;
  REQUIRE(ParseObjectiveDial("wear=4,read=1,space=0", &d).ok());
  CHECK(d.wear == 4);
  CHECK(d.read == 1);
  CHECK(d.space == 0);
  REQUIRE(ParseObjectiveDial("read=3", &d).ok());
  CHECK(d.wear == 2);
  CHECK(d.read == 3);
  CHECK(ParseObjectiveDial("wear=16", &d).IsInvalidArgument());
  CHECK(ParseObjectiveDial("wear", &d).IsInvalidArgument());
  CHECK(ParseObjectiveDial("wear=0,read=0,space=0", &d).IsInvalidArgument());
  CHECK(ParseObjectiveDial("speed=1", &d).IsInvalidArgument());
}
