// Tests of the policy trainer's simulator, workloads, quantizer and the
// workload trace format (tools/trainer, engine/policy/trace.h).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include "compaction/picker.h"
#include "doctest/doctest.h"
#include "policy/learned_picker.h"
#include "policy/model.h"
#include "policy/trace.h"
#include "port/env.h"
#include "tests/unit/small_sim.h"
#include "tools/trainer/engine_run.h"
#include "tools/trainer/quantize.h"
#include "tools/trainer/key_values.h"
#include "tools/trainer/sim.h"
#include "tools/trainer/workload.h"

namespace firn::trainer {
namespace {

std::unique_ptr<CompactionPicker> PickerFor(const Options& o) {
  return NewCompactionPicker(o);
}

void CheckAgainstMap(Simulator* sim, const std::map<uint64_t, uint32_t>& model) {
  std::vector<std::pair<uint64_t, uint32_t>> live = sim->LiveKeys();
  REQUIRE(live.size() == model.size());
  size_t i = 0;
  for (const auto& [k, v] : model) {
    CHECK(live[i].first == k);
    CHECK(live[i].second == v);
    ++i;
  }
}

}  // namespace

TEST_CASE("SimulatorLiveKeysMatchStdMapModel") {
  for (CompactionStyle style : {CompactionStyle::kTiered, CompactionStyle::kLeveled}) {
    for (PhaseKind kind : {PhaseKind::kDeleteHeavy, PhaseKind::kUniform, PhaseKind::kTimeSeries,
                           PhaseKind::kZipf}) {
      const std::string kind_name = PhaseKindName(kind);
    CAPTURE(kind_name);
      SimConfig c = SmallConfig(style);
      std::unique_ptr<CompactionPicker> picker = PickerFor(c.options);
      Simulator sim(c, picker.get());
      std::map<uint64_t, uint32_t> model;
      WorkloadSpec spec = SmallSpec(kind, 7, 30000);
      spec.keyspace = 2000;
      std::unique_ptr<Workload> w = NewWorkload(spec);
      Op op;
      uint64_t n = 0;
      while (w->Next(&op)) {
        sim.Apply(op);
        if (op.type == OpType::kPut) model[op.key] = op.value_size;
        if (op.type == OpType::kDelete) model.erase(op.key);
        if (++n % 10000 == 0) CheckAgainstMap(&sim, model);
      }
      sim.Finish();
      CheckAgainstMap(&sim, model);
      CHECK(sim.result().flushes > 5);
      CHECK(sim.result().compactions > 0);
    }
  }
}

TEST_CASE("ASimulatedScanCoversItsLengthInLiveKeysNotInKeyIds") {
  // The same puts with keys 0, 1, 2, ... and with keys 0, 10, 20, ...: the
  // trees have the same shape, and a scan of 50 keys visits the same
  // entries (as the engine's would), so it reads the same blocks. A scan
  // over 50 key ids would cover only 5 keys of the sparse tree.
  uint64_t blocks[2] = {0, 0};
  uint64_t runs[2] = {0, 0};
  for (int sparse = 0; sparse < 2; ++sparse) {
    SimConfig c = SmallConfig(CompactionStyle::kTiered);
    std::unique_ptr<CompactionPicker> picker = PickerFor(c.options);
    Simulator sim(c, picker.get());
    const uint64_t step = sparse ? 10 : 1;
    for (uint64_t i = 0; i < 3000; ++i) sim.Apply(Op{OpType::kPut, i * step, 100, 0});
    for (uint64_t i = 0; i < 3000; i += 7) sim.Apply(Op{OpType::kPut, i * step, 100, 0});
    for (uint64_t k = 100; k < 2900; k += 200) sim.Apply(Op{OpType::kScan, k * step, 0, 50});
    runs[sparse] = sim.version().TotalRuns();
    blocks[sparse] = sim.result().scan_blocks;
  }
  CHECK(runs[0] == runs[1]);
  CHECK(blocks[0] == blocks[1]);
  // 14 scans of 50 entries of about 130 bytes: more than one block each.
  CHECK(blocks[1] > 14 * 2);
}

TEST_CASE("SimulatorDropsShadowedVersionsAndBaseTombstones") {
  // Everything merged into one run: one entry per live key, no tombstones.
  SimConfig c = SmallConfig(CompactionStyle::kTiered);
  c.options.max_space_amplification_percent = 10;
  std::unique_ptr<CompactionPicker> picker = PickerFor(c.options);
  Simulator sim(c, picker.get());
  std::unique_ptr<Workload> w = NewWorkload(SmallSpec(PhaseKind::kDeleteHeavy, 3, 20000));
  Op op;
  while (w->Next(&op)) sim.Apply(op);
  sim.Finish();
  if (sim.version().TotalRuns() == 1) {
    CHECK(sim.StoredEntries() == sim.LiveKeys().size());
    CHECK(sim.version().TotalDeletions() == 0);
  }
  CHECK(sim.StoredEntries() >= sim.LiveKeys().size());
}

TEST_CASE("SimulatorAccountingIsConsistent") {
  SimConfig c = SmallConfig(CompactionStyle::kLeveled);
  std::unique_ptr<CompactionPicker> picker = PickerFor(c.options);
  Simulator sim(c, picker.get());
  std::unique_ptr<Workload> w = NewWorkload(SmallSpec(PhaseKind::kUniform, 5, 20000));
  Op op;
  uint64_t puts = 0;
  while (w->Next(&op)) {
    sim.Apply(op);
    if (op.type == OpType::kPut) puts++;
  }
  sim.Finish();
  const SimResult& r = sim.result();
  CHECK(r.puts == puts);
  CHECK(r.user_bytes == puts * (8 + 100));
  CHECK(r.DeviceBytes() == r.wal_bytes + r.sst_bytes + r.manifest_bytes + r.other_bytes);
  // Every put reaches the WAL with at least its key, value and headers,
  // or with compressed WAL records, with its headers and about half of
  // the (2:1 compressible) value.
  CHECK(r.wal_bytes >= puts * (11 + 12 + 30));
  CHECK(r.wal_bytes <= puts * (8 + 100 + 11 + 12 + 3) + r.flushes * 64 * 1024);
  c.options.wal_compression = false;
  Simulator plain(c, picker.get());
  std::unique_ptr<Workload> again = NewWorkload(SmallSpec(PhaseKind::kUniform, 5, 20000));
  while (again->Next(&op)) plain.Apply(op);
  plain.Finish();
  CHECK(plain.result().wal_bytes >= puts * (8 + 100 + 11 + 12));
  CHECK(plain.result().wal_bytes > r.wal_bytes * 23 / 20);
  // The files of the tree hold exactly the entries the version counts.
  uint64_t entries = 0, bytes = 0;
  for (const Level& l : sim.version().levels()) {
    for (const Run& run : l.runs) {
      for (const FileRef& f : run.files) {
        entries += f->num_entries;
        bytes += f->file_size;
      }
    }
  }
  CHECK(entries == sim.StoredEntries());
  CHECK(bytes == sim.version().TotalBytes());
  CHECK(r.sst_bytes >= bytes);
  // Flushes: one per memtable's worth of entries (each ~ key + value +
  // overhead), give or take the last partial one.
  double per_entry = 108 + sim.cost_model().mem_overhead;
  double expected = static_cast<double>(puts) * per_entry / static_cast<double>(c.options.memtable_bytes);
  CHECK(static_cast<double>(r.flushes) >= expected - 1);
  CHECK(static_cast<double>(r.flushes) <= expected + 2);
  CHECK(r.space_amp_end >= 0.9);
}

// The cost model against the engine's own flushes, which no picker
// decides: random puts (a flush lays their values out in key order, not
// put order) and time-series appends (values in put order, which LZ4
// shares more between). Before the calibration shuffled its values, the
// simulator put random flushes 7% under the engine's.
TEST_CASE("SimulatedFlushesWriteWhatTheEnginesFlushesWrite") {
  for (PhaseKind kind : {PhaseKind::kUniform, PhaseKind::kTimeSeries}) {
    const std::string kind_name = PhaseKindName(kind);
    CAPTURE(kind_name);
    std::unique_ptr<Workload> w = NewWorkload(SmallSpec(kind, 21, 30000));
    std::vector<Op> ops;
    Op op;
    while (w->Next(&op)) ops.push_back(op);
    SimConfig c = SmallConfig(CompactionStyle::kTiered);
    c.value_size = 100;
    c.timing.instant_compactions = true;
    std::unique_ptr<CompactionPicker> picker = PickerFor(c.options);
    SimResult sim = Simulate(c, picker.get(), ops);
    EngineResult engine;
    REQUIRE(RunEngine(c.options, ops, "", &engine, /*inline_worker=*/true).ok());
    REQUIRE(engine.flush_bytes > 0);
    CHECK(sim.flushes >= engine.flushes - 1);
    CHECK(sim.flushes <= engine.flushes + 1);
    const double ratio = static_cast<double>(sim.flush_bytes) / static_cast<double>(engine.flush_bytes);
    CAPTURE(ratio);
    CHECK(ratio > 0.98);
    CHECK(ratio < 1.02);
    // The merges, where both sides made the same ones. A merged run holds
    // a longer stretch of writes than a flush, so neighbouring entries
    // differ more and cost more (CostModel::seq_extra, key_extra); without
    // that spread model the simulator put time-series merges 4.6% and
    // flushes 2.7% over the engine's, random ones 1.4% and 1.5% over.
    REQUIRE(sim.compactions == engine.compactions);
    const double merge_ratio = static_cast<double>(sim.sst_bytes - sim.flush_bytes) /
                               static_cast<double>(engine.sst_bytes - engine.flush_bytes);
    CAPTURE(merge_ratio);
    CHECK(merge_ratio > 0.98);
    CHECK(merge_ratio < 1.02);
  }
}

// With the worker run inline after every write, an engine run no longer
// depends on the machine's timing: the same operations write the same
// bytes every time.
TEST_CASE("AnInlineEngineRunIsDeterministic") {
  std::unique_ptr<Workload> w = NewWorkload(SmallSpec(PhaseKind::kZipf, 4, 20000));
  std::vector<Op> ops;
  Op op;
  while (w->Next(&op)) ops.push_back(op);
  // The learned policy too (firn-policy-eval --inline): its features are
  // on the policy clock, which counts work, not wall time.
  for (CompactionStyle style : {CompactionStyle::kLeveled, CompactionStyle::kLearned}) {
    CAPTURE(static_cast<int>(style));
    Options o = SmallConfig(style).options;
    EngineResult a, b;
    REQUIRE(RunEngine(o, ops, "", &a, true).ok());
    REQUIRE(RunEngine(o, ops, "", &b, true).ok());
    CHECK(a.compactions > 0);
    CHECK(a.device_bytes == b.device_bytes);
    CHECK(a.compactions == b.compactions);
    CHECK(a.sst_bytes == b.sst_bytes);
    CHECK(a.BlocksPerGet() == b.BlocksPerGet());
  }
}

TEST_CASE("WorkloadsAreDeterministicPerSeed") {
  for (const WorkloadSpec& spec : TrainingSuite(3, 0.1)) {
    CAPTURE(spec.name);
    auto a = NewWorkload(spec), b = NewWorkload(spec);
    WorkloadSpec other = spec;
    other.seed += 1;
    auto c = NewWorkload(other);
    Op x, y, z;
    uint64_t n = 0, differ = 0;
    while (a->Next(&x)) {
      REQUIRE(b->Next(&y));
      CHECK(x.type == y.type);
      CHECK(x.key == y.key);
      CHECK(x.value_size == y.value_size);
      if (c->Next(&z) && (z.key != x.key || z.type != x.type)) differ++;
      n++;
    }
    CHECK_FALSE(b->Next(&y));
    CHECK(n == spec.TotalOps());
    CHECK(differ > n / 10);
  }
  // The training and evaluation suites never share a seed.
  for (const WorkloadSpec& e : EvaluationSuite(0.1)) {
    for (const WorkloadSpec& t : TrainingSuite(3, 0.1)) CHECK(e.seed != t.seed);
  }
}

TEST_CASE("VariedMixesSpreadEachKindAroundItsDefault") {
  // --varied-mixes: the same kinds and phase counts as the plain suite;
  // every non-load phase gets an explicit mix that sums to 1 and keeps its
  // kind's character; the mixes and key spaces differ between suites and
  // are the same for the same seed.
  const std::vector<WorkloadSpec> plain = TrainingSuite(3, 0.1);
  const std::vector<WorkloadSpec> a = TrainingSuite(3, 0.1, true);
  const std::vector<WorkloadSpec> again = TrainingSuite(3, 0.1, true);
  const std::vector<WorkloadSpec> other = TrainingSuite(4, 0.1, true);
  REQUIRE(a.size() == plain.size());
  REQUIRE(other.size() == a.size());
  std::set<double> puts;
  std::set<uint64_t> keyspaces;
  for (size_t i = 0; i < a.size(); ++i) {
    CAPTURE(a[i].name);
    REQUIRE(a[i].phases.size() == again[i].phases.size());
    CHECK(a[i].keyspace == again[i].keyspace);
    // (readheavy's key space is cut to a third of its operations)
    if (a[i].name != "readheavy") CHECK(a[i].keyspace >= 15000);
    CHECK(a[i].keyspace < 80000);
    keyspaces.insert(a[i].keyspace);
    keyspaces.insert(other[i].keyspace);
    for (size_t k = 0; k < a[i].phases.size(); ++k) {
      const PhaseSpec& p = a[i].phases[k];
      CHECK(p.put == again[i].phases[k].put);
      if (p.kind == PhaseKind::kLoad) {
        CHECK(p.put < 0);
        continue;
      }
      CHECK(p.put + p.del + p.get + p.scan == doctest::Approx(1.0));
      puts.insert(p.put);
      if (p.kind == PhaseKind::kReadHeavy) CHECK(p.get > 0.5);
      if (p.kind == PhaseKind::kUniform || p.kind == PhaseKind::kZipf) CHECK(p.put > 0.5);
      if (p.kind == PhaseKind::kScanHeavy) CHECK(p.scan > 0.1);
      if (p.kind == PhaseKind::kDeleteHeavy) CHECK(p.del > 0.15);
    }
  }
  for (const WorkloadSpec& w : plain) {
    for (const PhaseSpec& p : w.phases) CHECK(p.put < 0);  // the kinds' defaults
  }
  CHECK(puts.size() > a.size());  // the shares spread
  CHECK(keyspaces.size() > a.size());
}

TEST_CASE("TraceRoundTrip") {
  std::unique_ptr<Env> env = NewMemEnv();
  std::unique_ptr<TraceWriter> w;
  REQUIRE(TraceWriter::Open(env.get(), "/t.trace", &w).ok());
  std::vector<TraceRecord> expect;
  Random rnd(1);
  for (int i = 0; i < 20000; ++i) {
    TraceRecord r;
    r.op = static_cast<TraceOp>(1 + rnd.Uniform(4));
    r.key = EncodeKey(rnd.Uniform(5000));
    r.value_size = r.op == TraceOp::kPut ? static_cast<uint32_t>(rnd.Uniform(300)) : 0;
    w->Record(r.op, r.key, r.value_size);
    expect.push_back(r);
  }
  REQUIRE(w->Close().ok());
  std::unique_ptr<TraceReader> reader;
  REQUIRE(TraceReader::Open(env.get(), "/t.trace", &reader).ok());
  TraceRecord got;
  size_t i = 0;
  while (reader->Next(&got)) {
    REQUIRE(i < expect.size());
    CHECK(got.op == expect[i].op);
    CHECK(got.key == expect[i].key);
    CHECK(got.value_size == expect[i].value_size);
    ++i;
  }
  CHECK(reader->status().ok());
  CHECK_FALSE(reader->truncated());
  CHECK(i == expect.size());

  // As a workload: keys become ids in key order.
  std::unique_ptr<TraceWorkload> tw;
  REQUIRE(TraceWorkload::Open(env.get(), "/t.trace", &tw).ok());
  CHECK(tw->size() == expect.size());
  CHECK(tw->distinct_keys() <= 5000);
}

TEST_CASE("TraceFlippedByteIsDetectedByChecksum") {
  std::unique_ptr<Env> env = NewMemEnv();
  std::unique_ptr<TraceWriter> w;
  REQUIRE(TraceWriter::Open(env.get(), "/t.trace", &w).ok());
  for (int i = 0; i < 100; ++i) w->Record(TraceOp::kPut, EncodeKey(i), 100);
  REQUIRE(w->Close().ok());
  std::string data;
  REQUIRE(ReadFileToString(env.get(), "/t.trace", &data).ok());
  for (size_t pos : {kTraceHeaderBytes + 3, kTraceHeaderBytes + 20, data.size() - 1}) {
    std::string bad = data;
    bad[pos] ^= 0x10;
    REQUIRE(WriteStringToFile(env.get(), bad, "/bad.trace", false).ok());
    std::unique_ptr<TraceReader> r;
    REQUIRE(TraceReader::Open(env.get(), "/bad.trace", &r).ok());
    TraceRecord rec;
    int n = 0;
    while (r->Next(&rec)) n++;
    CHECK(n == 0);
    CHECK(r->status().IsCorruption());
  }
  // A cut inside the last chunk is a clean, flagged end.
  REQUIRE(WriteStringToFile(env.get(), data.substr(0, data.size() - 5), "/cut.trace", false).ok());
  std::unique_ptr<TraceReader> r;
  REQUIRE(TraceReader::Open(env.get(), "/cut.trace", &r).ok());
  TraceRecord rec;
  while (r->Next(&rec)) {
  }
  CHECK(r->status().ok());
  CHECK(r->truncated());
  // Not a trace at all.
  REQUIRE(WriteStringToFile(env.get(), std::string(64, 'x'), "/x.trace", false).ok());
  CHECK(TraceReader::Open(env.get(), "/x.trace", &r).IsCorruption());
}

// A picker that never compacts; keeps the highest rates it was shown.
class WaitingPicker final : public CompactionPicker {
 public:
  bool Pick(const TreeShape&, const WorkloadStats& s, CompactionRequest*) override {
    most_writes = std::max(most_writes, s.write_rate);
    most_scans = std::max(most_scans, s.scan_rate);
    return false;
  }
  const char* Name() const override { return "wait"; }
  double most_writes = 0, most_scans = 0;
};

// Runs a whole workload through a simulator and returns its figures.
SimResult RunSpec(const SimConfig& c, CompactionPicker* picker, const WorkloadSpec& spec) {
  Simulator sim(c, picker);
  std::unique_ptr<Workload> w = NewWorkload(spec);
  Op op;
  while (w->Next(&op)) sim.Apply(op);
  sim.Finish();
  return sim.result();
}

// Merges all of level 0 into level 1 the first time it sees 4 runs there,
// and waits otherwise; records the user bytes written at that ask.
class MergeAtFourPicker final : public CompactionPicker {
 public:
  bool Pick(const TreeShape& t, const WorkloadStats& s, CompactionRequest* r) override {
    if (asked >= 0 || t.levels[0].runs.size() < 4) return false;
    asked = static_cast<double>(s.user_bytes_written);
    for (const RunShape& run : t.levels[0].runs) r->inputs.push_back({0, run.id, {}});
    r->output_level = 1;
    return true;
  }
  const char* Name() const override { return "merge-at-four"; }
  double asked = -1;
};

// SimTiming::flush_micros (validate --measured, the engine's thread): the
// picker is asked when the memtable fills, as the engine dates its
// decision at the seal, but the compaction it chooses starts only when
// the flush has ended, and writes go on meanwhile.
TEST_CASE("AFlushTakesFlushMicrosBeforeTheCompactionItLedToStarts") {
  // The user bytes written when the picker was asked, and when the merge
  // it chose was installed (level 1 first holds a run).
  auto run = [](double flush_puts, bool instant, double* bytes_per_put) {
    SimConfig c = SmallConfig(CompactionStyle::kTiered);
    c.timing.flush_micros = flush_puts * c.timing.put;
    c.timing.instant_compactions = instant;
    MergeAtFourPicker picker;
    Simulator sim(c, &picker);
    std::unique_ptr<Workload> w = NewWorkload(SmallSpec(PhaseKind::kUniform, 5, 20000));
    Op op;
    double installed = -1;
    while (w->Next(&op)) {
      sim.Apply(op);
      if (installed < 0 && !sim.version().level(1).runs.empty()) {
        installed = static_cast<double>(sim.result().user_bytes);
      }
    }
    sim.Finish();
    const SimResult& r = sim.result();
    *bytes_per_put = static_cast<double>(r.user_bytes) / static_cast<double>(r.puts + r.deletes);
    return std::make_pair(picker.asked, installed);
  };
  double per_put = 0;
  const auto at_once = run(0, false, &per_put);
  REQUIRE(at_once.first > 0);
  REQUIRE(at_once.second > at_once.first);
  const auto later = run(200, false, &per_put);
  INFO("asked at " << at_once.first << " bytes, installed at " << at_once.second
                   << "; with a 200-put flush " << later.first << ", " << later.second << "; "
                   << per_put << " bytes a put");
  CHECK(later.first == at_once.first);  // asked at the seal either way
  // The merge starts 200 puts' time later (shared with the workload's
  // reads: more than 50 puts), and each flush while it runs delays its end
  // by as much again.
  CHECK(later.second > at_once.second + 50 * per_put);
  CHECK(later.second < at_once.second + 2000 * per_put);
  // Instant compactions (validate --inline) take no flush time either.
  CHECK(run(200, true, &per_put) == run(0, true, &per_put));
}

TEST_CASE("SimulatorHoldsAnyPickerToTheEnginesGuardrail") {
  SimConfig c = SmallConfig(CompactionStyle::kTiered);
  WaitingPicker picker;
  Simulator sim(c, &picker);
  std::unique_ptr<Workload> w = NewWorkload(SmallSpec(PhaseKind::kUniform, 9, 20000));
  Op op;
  size_t most = 0;
  while (w->Next(&op)) {
    sim.Apply(op);
    for (const Level& l : sim.version().levels()) most = std::max(most, l.runs.size());
  }
  sim.Finish();
  CHECK(sim.result().guardrail_overrides > 0);
  // Flushes go on while the guardrail's compaction runs, so a level may
  // pass the cap meanwhile, but never the point where writes stop (3x).
  INFO("most runs in a level: " << most);
  CHECK(most > static_cast<size_t>(MaxRunsPerLevel(c.options)));
  CHECK(most <= static_cast<size_t>(3 * MaxRunsPerLevel(c.options)));
}

TEST_CASE("TheSimulatorShowsThePickerWorkloadRatesWithinATrainingWorkload") {
  // A scan-heavy workload of 30,000 operations lasts about 0.4 s of modeled
  // time: with a fixed 2 s rate window the picker saw rates of 0 and models
  // were trained on nothing else.
  SimConfig c = SmallConfig(CompactionStyle::kTiered);
  WaitingPicker picker;
  const SimResult r = RunSpec(c, &picker, SmallSpec(PhaseKind::kScanHeavy, 3, 30000));
  INFO("modeled seconds " << r.micros / 1e6);
  CHECK(r.micros < 2e6);
  // 60% of the operations write and 30% scan (DefaultMix), at the
  // modeled speed of tens of microseconds an operation.
  CHECK(picker.most_writes > 1000);
  CHECK(picker.most_scans > 500);
  CHECK(RateWindowMicros(c.options.memtable_bytes) == 10000);
  CHECK(RateWindowMicros(256u << 10) == 32768);
  CHECK(RateWindowMicros(64u << 20) == 2000000);
}

namespace {

// The built-in model on one workload at one dial, at the simulator's
// standard options.
SimResult RunBuiltInModel(const WorkloadSpec& spec, const ObjectiveDial& d) {
  std::shared_ptr<const PolicyModel> model;
  REQUIRE(DefaultPolicyModel(&model).ok());
  SimConfig c;
  c.options = BaseOptions();
  c.wear = d.wear;
  c.read = d.read;
  c.space = d.space;
  std::unique_ptr<CompactionPicker> p = NewLearnedPicker(c.options, model, d);
  return RunSpec(c, p.get(), spec);
}

}  // namespace

TEST_CASE("TheBuiltInModelReadsLessOnAScanWorkloadWhenTheDialWeightsRead") {
  // The objective dial must steer: on a scan-heavy workload, turning it
  // toward read (wear=1,read=4,space=1) makes the built-in model keep fewer
  // runs, so scans read fewer blocks, at the price of more bytes written.
  WorkloadSpec spec = SmallSpec(PhaseKind::kScanHeavy, 21, 60000);
  spec.keyspace = 20000;
  const SimResult balanced = RunBuiltInModel(spec, ObjectiveDial{});
  const SimResult read = RunBuiltInModel(spec, ObjectiveDial{1, 4, 1});
  INFO("blocks per read " << balanced.ReadCost() << " -> " << read.ReadCost()
                          << "; bytes written per user byte " << balanced.WriteAmp() << " -> "
                          << read.WriteAmp());
  CHECK(read.ReadCost() < 0.95 * balanced.ReadCost());
  CHECK(read.WriteAmp() > balanced.WriteAmp());
}

namespace {

// The built-in model on one workload at the default dial, with its scan
// gate (first-layer unit 15, docs/policy.md "The scan gate") or with the
// gate's one outgoing weight set to 0.
SimResult RunBuiltInModelScanGate(const WorkloadSpec& spec, bool gate) {
  std::shared_ptr<const PolicyModel> model;
  REQUIRE(DefaultPolicyModel(&model).ok());
  const std::vector<int>& shape = NetworkShape();
  std::vector<float> genome;
  REQUIRE(ModelToGenome(shape, model->mlp, &genome).ok());
  // Layer 2's weight from unit 15 into unit 0 (the gates' unit), after
  // layer 1's weights and biases.
  const size_t w2 = static_cast<size_t>(shape[0]) * shape[1] + shape[1] + 15;
  CHECK(genome[w2] > 0);
  if (!gate) genome[w2] = 0;
  auto edited = std::make_shared<PolicyModel>();
  REQUIRE(GenomeToModel(shape, genome, edited.get()).ok());
  SimConfig c;
  c.options = BaseOptions();
  std::unique_ptr<CompactionPicker> p = NewLearnedPicker(c.options, edited, ObjectiveDial{});
  return RunSpec(c, p.get(), spec);
}

}  // namespace

TEST_CASE("TheBuiltInModelsScanGateMergesSoonerOnlyWhereTheWorkloadScans") {
  // At the default dial the scan gate makes every compaction score higher
  // against waiting once scans come thousands a second and the tree holds
  // enough runs: scans then visit fewer runs. Time-series reads scan too,
  // but slower, and there the gate changes no decision.
  WorkloadSpec scans = SmallSpec(PhaseKind::kScanHeavy, 21, 150000);
  scans.keyspace = 50000;
  const SimResult with = RunBuiltInModelScanGate(scans, true);
  const SimResult without = RunBuiltInModelScanGate(scans, false);
  INFO("scan-heavy: blocks per read " << without.ReadCost() << " -> " << with.ReadCost()
                                      << "; bytes written per user byte " << without.WriteAmp()
                                      << " -> " << with.WriteAmp());
  CHECK(with.ReadCost() < 0.95 * without.ReadCost());
  WorkloadSpec series = SmallSpec(PhaseKind::kTimeSeries, 24, 150000);
  series.keyspace = 50000;
  const SimResult series_with = RunBuiltInModelScanGate(series, true);
  const SimResult series_without = RunBuiltInModelScanGate(series, false);
  CHECK(series_with.WriteAmp() == series_without.WriteAmp());
  CHECK(series_with.ReadCost() == series_without.ReadCost());
}

TEST_CASE("TheBuiltInModelWritesLessWhenTheDialWeightsWear") {
  // Toward wear (wear=4,read=1,space=1) the built-in model moves files
  // down without rewriting them where it can, so it writes fewer bytes.
  WorkloadSpec spec = SmallSpec(PhaseKind::kUniform, 22, 120000);
  spec.keyspace = 40000;
  const SimResult balanced = RunBuiltInModel(spec, ObjectiveDial{});
  const SimResult wear = RunBuiltInModel(spec, ObjectiveDial{4, 1, 1});
  INFO("bytes written per user byte " << balanced.WriteAmp() << " -> " << wear.WriteAmp()
                                      << "; trivial moves " << balanced.trivial_moves << " -> "
                                      << wear.trivial_moves);
  CHECK(wear.WriteAmp() < 0.97 * balanced.WriteAmp());
}

TEST_CASE("TheLearnedPolicysGuardrailAt24RunsLetsItWaitOnUniformUpdates") {
  // Under the default options the learned policy's guardrail caps a level
  // at 36 runs (MaxRunsPerLevel 24) while the model's features keep the
  // 16 runs it was trained with. With the guardrail at 16 as well (cap 24,
  // the default until 2026-12-07), the guardrail's tiered rule merged
  // everything on uniform updates where waiting pays.
  WorkloadSpec spec = SmallSpec(PhaseKind::kUniform, 24, 120000);
  spec.keyspace = 40000;
  std::shared_ptr<const PolicyModel> model;
  REQUIRE(DefaultPolicyModel(&model).ok());
  SimConfig now, before;
  now.options = before.options = BaseOptions();
  before.options.max_runs_per_level = kPolicyModelRuns;
  REQUIRE(PolicyLimitsFor(now.options).max_runs_per_level ==
          PolicyLimitsFor(before.options).max_runs_per_level);
  std::unique_ptr<CompactionPicker> a = NewLearnedPicker(now.options, model, ObjectiveDial{});
  std::unique_ptr<CompactionPicker> b = NewLearnedPicker(before.options, model, ObjectiveDial{});
  const SimResult r_now = RunSpec(now, a.get(), spec);
  const SimResult r_before = RunSpec(before, b.get(), spec);
  INFO("cost " << r_before.Cost(2, 1, 1) << " -> " << r_now.Cost(2, 1, 1) << "; bytes written per user byte "
               << r_before.WriteAmp() << " -> " << r_now.WriteAmp() << "; guardrail overrides "
               << r_before.guardrail_overrides << " -> " << r_now.guardrail_overrides);
  CHECK(r_now.Cost(2, 1, 1) < 0.97 * r_before.Cost(2, 1, 1));
  CHECK(r_now.guardrail_overrides < r_before.guardrail_overrides);
}

TEST_CASE("TheBuiltInModelKeepsLessSpaceWhenTheDialWeightsSpace") {
  // Toward space (wear=1,read=1,space=4) the built-in model takes merges
  // that reduce the run count sooner, so obsolete versions live shorter.
  WorkloadSpec spec = SmallSpec(PhaseKind::kUniform, 23, 120000);
  spec.keyspace = 40000;
  const SimResult balanced = RunBuiltInModel(spec, ObjectiveDial{});
  const SimResult space = RunBuiltInModel(spec, ObjectiveDial{1, 1, 4});
  INFO("space amplification " << balanced.SpaceAmp() << " -> " << space.SpaceAmp()
                              << "; bytes written per user byte " << balanced.WriteAmp()
                              << " -> " << space.WriteAmp());
  CHECK(space.SpaceAmp() - 1 < 0.9 * (balanced.SpaceAmp() - 1));
}

TEST_CASE("ModelToGenomeInvertsQuantization") {
  const std::vector<int>& shape = NetworkShape();
  std::vector<float> g(GenomeSize(shape));
  Random rnd(11);
  for (float& x : g) x = static_cast<float>(rnd.NextDouble() - 0.5) * 4.0f;
  PolicyModel model;
  REQUIRE(GenomeToModel(shape, g, &model).ok());
  std::vector<float> back;
  REQUIRE(ModelToGenome(shape, model.mlp, &back).ok());
  PolicyModel again;
  REQUIRE(GenomeToModel(shape, back, &again).ok());
  // Requantizing the recovered genome gives nearly the same integers.
  std::vector<std::array<int8_t, 32>> xs(200);
  int same = 0;
  for (auto& x : xs) {
    for (int8_t& v : x) v = static_cast<int8_t>(rnd.Uniform(128));
    int32_t a = model.mlp.Score(x.data()), b = again.mlp.Score(x.data());
    const double da = static_cast<double>(a), db = static_cast<double>(b);
    if (std::fabs(da - db) <= 0.05 * std::max(1.0, std::fabs(da))) same++;
  }
  CHECK(same >= 180);
  // The wrong shape is refused.
  CHECK(ModelToGenome({32, 8, 1}, model.mlp, &back).IsInvalidArgument());
}

TEST_CASE("QuantizedGenomeTracksTheFloatNetwork") {
  const std::vector<int>& shape = NetworkShape();
  std::vector<float> g(GenomeSize(shape));
  Random rnd(4);
  for (float& x : g) x = static_cast<float>(rnd.NextDouble() - 0.5) * 0.2f;
  PolicyModel model;
  REQUIRE(GenomeToModel(shape, g, &model).ok());
  // Same ranking of inputs in most pairs (int4 weights are coarse).
  int agree = 0, pairs = 0;
  std::vector<std::array<int8_t, 32>> xs(40);
  for (auto& x : xs) {
    for (int8_t& v : x) v = static_cast<int8_t>(rnd.Uniform(128));
  }
  for (size_t a = 0; a < xs.size(); ++a) {
    for (size_t b = a + 1; b < xs.size(); ++b) {
      double fa = FloatScore(shape, g, xs[a].data()), fb = FloatScore(shape, g, xs[b].data());
      int32_t qa = model.mlp.Score(xs[a].data()), qb = model.mlp.Score(xs[b].data());
      if (std::abs(fa - fb) < 1e-3) continue;
      pairs++;
      if ((fa < fb) == (qa < qb)) agree++;
    }
  }
  CHECK(agree >= pairs * 7 / 10);
}

TEST_CASE("KeyValueListsSplitOnCommasAndStopAtABadItem") {
  std::vector<std::pair<std::string, std::string>> seen;
  auto keep = [&](const std::string& k, const std::string& v) {
    seen.emplace_back(k, v);
    return true;
  };
  CHECK(ForEachKeyValue("runs=10,ratio=,space=200", keep));
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == std::make_pair(std::string("runs"), std::string("10")));
  CHECK(seen[1] == std::make_pair(std::string("ratio"), std::string("")));
  CHECK(seen[2] == std::make_pair(std::string("space"), std::string("200")));
  seen.clear();
  CHECK(ForEachKeyValue("", keep));
  CHECK(seen.empty());
  // An item without '=' stops the walk and is reported.
  std::string bad;
  CHECK_FALSE(ForEachKeyValue("a=1,b,c=3", keep, [&](const std::string& item) { bad = item; }));
  CHECK(bad == "b");
  CHECK(seen.size() == 1);
  // So does fn returning false.
  seen.clear();
  CHECK_FALSE(ForEachKeyValue("a=1,b=2", [&](const std::string& k, const std::string& v) {
    seen.emplace_back(k, v);
    return k != "a";
  }));
  CHECK(seen.size() == 1);
}

}  // namespace firn::trainer
