// tools/trainer/trainer.cc: firn-trainer, the training side of the learned
// compaction policy (docs/policy.md).
//
//   firn-trainer train --seed N --out model.bin [--inc FILE] [--minutes M]
//                      [--generations G] [--population P] [--threads T]
//                      [--scale S] [--trace FILE [--trace-only]]
//                      [--start builtin|MODEL_FILE] [--suites N] [--dial-checks N]
//                      [--freeze-gates [--train-rates]] [--freeze-unit U] [--max-step S]
//                      [--default-dial]
//                      [--imitate ROUNDS [--alternatives K] [--imitate-generations G]
//                       [--imitate-soft W] [--imitate-temperature T] [--imitate-dials N]]
//   firn-trainer export --model FILE --inc FILE
//   firn-trainer migrate --model SCHEMA1_FILE --out FILE
//   firn-trainer validate [--scale S] [--quick] [--inline | --measured] [--seeds N] [--trace S]
//                         [--model builtin|FILE]
//   firn-trainer simulate [--scale S] [--model FILE] [--objective DIAL]
//                         [--training-suite SEED] [--hybrid [--hybrid-share S]
//                         [--hybrid-guard R]] [--trace WORKLOAD]
//   firn-trainer graft [--model FILE] --out FILE [--no-gate] [--keep-rates]
//                      [--scan-unit U --scan-weight A --scan-runs B --scan-dial D
//                       --scan-threshold T]
//                      [--k K --m M --dial W --scan W --tree-runs W --runs W --threshold T
//                       --gain G --kw K --wear-feature F --wear-threshold T
//                       --ks K --space-feature F --space-threshold T]
//                      [--objective DIAL]
//   firn-trainer graft [--model FILE] --ablate
//   firn-trainer oracle [--model FILE] [--scale S] [--alternatives K]
//                       [--threads T] [--workload S] [--objective DIAL] [--verbose]
//                       [--bases] [--passes N]
//   firn-trainer sweep [--model FILE] [--scale S] [--threads T] [--objective DIAL]
//
// train, simulate, oracle and sweep take --policy-runs N: the learned
// policy's max_runs_per_level (default BaseOptions()'s 4).
//
// train, simulate and oracle take --timing put=US,get=US,scan=US,
// compaction=B_PER_US,flush=US: the simulator's timing (SimTiming) for a
// machine other than the one the defaults model (validate --measured
// measures this one's: the engine's speeds on each row, the flush time).
// train: evolution strategy over the float genome of the MLP; every
// candidate is quantized to the engine's Int4Mlp and run as the engine's
// own learned picker inside the simulator, so the shipped model is exactly
// what was evaluated. Deterministic for a seed and thread count-independent.
// validate: runs the evaluation suite in the simulator and in the real
// engine with the tiered and leveled pickers and compares device bytes
// (--inline: the engine's worker run after every write and compactions
// instant in the simulator, so timing plays no part; --measured: the
// engine's thread against the simulator timed as the engine ran on this
// machine, its operation speed, compaction speed and flush time measured;
// --seeds N: every workload with N seeds, errors also of the bytes summed
// over them; --trace S: only the workloads named with S, printing every
// compaction on both sides).
// simulate: the evaluation suite in the simulator, per picker
// (--training-suite SEED: a training suite instead; --hybrid [--hybrid-share
// S --hybrid-guard R]: also the yardstick of hybrid.h).
// graft: writes a model with its rate weights zeroed and the dial gates
// grafted in (the built-in model, or a start for train) and shows it per
// dial on a training suite.
// oracle: the look-ahead rollout of the model on the evaluation suite in
// the simulator (rollout.h), next to the model and the best static setting;
// --bases also hands the rest of a run to each static setting, --passes N
// searches the kept run again up to N times.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <array>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "compaction/picker.h"
#include "policy/features.h"
#include "policy/learned_picker.h"
#include "policy/model.h"
#include "port/env.h"
#include "tools/trainer/engine_run.h"
#include "tools/trainer/hybrid.h"
#include "tools/trainer/imitate.h"
#include "tools/trainer/key_values.h"
#include "tools/trainer/quantize.h"
#include "tools/trainer/rollout.h"
#include "tools/trainer/sim.h"
#include "tools/trainer/workload.h"
#include "util/coding.h"
#include "util/hash.h"
#include "util/random.h"

namespace firn::trainer {
namespace {

struct Args {
  std::map<std::string, std::string> kv;
  bool Has(const std::string& k) const { return kv.count(k) != 0; }
  std::string Get(const std::string& k, const std::string& d) const {
    auto it = kv.find(k);
    return it == kv.end() ? d : it->second;
  }
  double Num(const std::string& k, double d) const {
    auto it = kv.find(k);
    return it == kv.end() ? d : std::atof(it->second.c_str());
  }
};

Args ParseArgs(int argc, char** argv, int from) {
  Args a;
  for (int i = from; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) != 0) continue;
    s = s.substr(2);
    size_t eq = s.find('=');
    if (eq != std::string::npos) {
      a.kv[s.substr(0, eq)] = s.substr(eq + 1);
    } else if (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) {
      a.kv[s] = argv[++i];
    } else {
      a.kv[s] = "1";
    }
  }
  return a;
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<Op> Materialize(Workload* w) {
  std::vector<Op> ops;
  Op op;
  while (w->Next(&op)) ops.push_back(op);
  return ops;
}

struct TrainWorkload {
  std::string name;
  std::vector<Op> ops;
  uint32_t value_size = 100;
};

const ObjectiveDial kDials[] = {{2, 1, 1}, {1, 1, 1}, {4, 1, 1}, {1, 4, 1}, {1, 1, 4}};
constexpr int kNumDials = 5;
// Default weight of the fitness penalty on a workload worse than its best
// static setting by more than the margin (--worse-penalty, --worse-margin).
constexpr double kWorsePenalty = 2.0;
constexpr double kWorseMargin = 0.02;
// A dial index meaning: the default dial, and also check that turning the
// dial toward wear lowers write amplification and toward read lowers the
// read cost (each miss of a 2% drop costs kDialPenalty x the shortfall).
constexpr int kDialCheck = -1;
constexpr double kDialPenalty = 4.0;

// The static settings the policy is measured against, as in
// firn-policy-eval: tiered and leveled at their defaults (RocksDB-like
// triggers) and one tuned setting of each.
std::vector<std::pair<std::string, Options>> StaticSettings() {
  std::vector<std::pair<std::string, Options>> r;
  Options o = BaseOptions();
  o.compaction = CompactionStyle::kTiered;
  r.emplace_back("tiered", o);
  Options t = o;
  t.max_runs_per_level = 6;
  t.tiered_size_ratio_percent = 50;
  r.emplace_back("tiered:runs=6,ratio=50", t);
  // The best single settings of `firn-trainer sweep` (2026-11-28): more
  // runs per level write less, and Bloom filters keep a get's cost flat.
  Options t10 = o;
  t10.max_runs_per_level = 10;
  r.emplace_back("tiered:runs=10", t10);
  Options t24 = o;
  t24.max_runs_per_level = 24;
  r.emplace_back("tiered:runs=24", t24);
  Options l = BaseOptions();
  l.compaction = CompactionStyle::kLeveled;
  r.emplace_back("leveled", l);
  Options m = l;
  m.leveled_multiplier = 4;
  r.emplace_back("leveled:mult=4", m);
  return r;
}

// The simulator's timing for train, simulate and oracle: SimTiming's
// defaults unless --timing names others (TimingArg).
SimTiming g_timing;

// Parses --timing put=US,get=US,scan=US,compaction=B_PER_US,flush=US (any
// subset; with put, get or scan given, blocks cost no time of their own).
bool TimingArg(const Args& args) {
  if (!args.Has("timing")) return true;
  auto not_a_number = [](const std::string& item) {
    std::fprintf(stderr, "--timing: '%s' is not NAME=POSITIVE_NUMBER\n", item.c_str());
  };
  return ForEachKeyValue(
      args.Get("timing", ""),
      [&](const std::string& name, const std::string& value) {
        char* rest = nullptr;
        const double v = std::strtod(value.c_str(), &rest);
        if (rest == value.c_str() || *rest != '\0' || !(v > 0)) {
          not_a_number(name + "=" + value);
          return false;
        }
        if (name == "put") {
          g_timing.put = v;
        } else if (name == "get") {
          g_timing.get = v;
          g_timing.get_block = 0;
        } else if (name == "scan") {
          g_timing.scan = v;
          g_timing.scan_block = 0;
        } else if (name == "compaction") {
          g_timing.compaction_bytes_per_micro = v;
        } else if (name == "flush") {
          g_timing.flush_micros = v;
        } else {
          std::fprintf(stderr, "--timing: unknown '%s' (put, get, scan, compaction, flush)\n",
                       name.c_str());
          return false;
        }
        return true;
      },
      not_a_number);
}

// --policy-runs N: the learned policy's max_runs_per_level (its guardrail
// caps a level at 1.5 x N runs); 0 = the learned picker's default
// (MaxRunsPerLevel: 16). The static settings keep their own.
int g_policy_runs = 0;

SimConfig ConfigFor(const TrainWorkload& w, const ObjectiveDial& d) {
  SimConfig c;
  c.timing = g_timing;
  c.options = BaseOptions();
  if (g_policy_runs > 0) c.options.max_runs_per_level = g_policy_runs;
  c.value_size = w.value_size;
  c.wear = d.wear;
  c.read = d.read;
  c.space = d.space;
  return c;
}

// Wraps a picker and prints every compaction it asks for, with the tree's
// runs per level (validate --trace: where the simulator and the engine
// part ways).
class TracingPicker : public CompactionPicker {
 public:
  // every_call: also a line for each call that waits, with the workload
  // statistics the picker saw (validate --trace-all).
  TracingPicker(std::unique_ptr<CompactionPicker> inner, const char* who, bool every_call = false)
      : inner_(std::move(inner)), who_(who), every_call_(every_call) {}
  const char* Name() const override { return inner_->Name(); }
  bool Pick(const TreeShape& tree, const WorkloadStats& stats, CompactionRequest* request) override {
    const bool go = inner_->Pick(tree, stats, request);
    if (every_call_) {
      std::printf("%s call user=%.2fMB runs%s rates w %.0f r %.0f s %.0f d %.0f since %.1fms "
                  "pending %llu free %.0fMB -> %s\n",
                  who_, stats.user_bytes_written / 1048576.0, RunsPerLevel(tree).c_str(),
                  stats.write_rate, stats.read_rate, stats.scan_rate, stats.delete_rate,
                  stats.micros_since_last_compaction / 1000.0,
                  static_cast<unsigned long long>(stats.pending_flush_bytes),
                  stats.free_space_bytes / 1048576.0, go ? request->reason.c_str() : "wait");
    }
    if (!go) return false;
    std::string line;
    char buf[96];
    std::snprintf(buf, sizeof(buf), "%s #%d t=%.1fms user=%.2fMB runs", who_, ++count_,
                  stats.now_micros / 1000.0, stats.user_bytes_written / 1048576.0);
    line += buf;
    for (const LevelShape& l : tree.levels) {
      std::snprintf(buf, sizeof(buf), " %zu(%.2fMB)", l.runs.size(), l.bytes / 1048576.0);
      line += buf;
      for (const RunShape& r : l.runs) {  // each run's bytes / entries
        std::snprintf(buf, sizeof(buf), "[%llu/%llu]", static_cast<unsigned long long>(r.bytes),
                      static_cast<unsigned long long>(r.entries));
        line += buf;
      }
    }
    line += " ->";
    for (const CompactionInputRun& in : request->inputs) {
      std::snprintf(buf, sizeof(buf), " L%d%s", in.level, in.file_numbers.empty() ? "" : "[f]");
      line += buf;
    }
    // The tiered picker's space amplification: bytes above the last run
    // over the last run's (thresholds are where the two sides part ways).
    const uint64_t last = tree.LastRunBytes();
    std::snprintf(buf, sizeof(buf), " => L%d (%s) sa %.4f", request->output_level,
                  request->reason.c_str(),
                  last == 0 ? 0.0 : static_cast<double>(tree.total_bytes - last) / last);
    line += buf;
    std::printf("%s\n", line.c_str());
    return true;
  }

 private:
  std::unique_ptr<CompactionPicker> inner_;
  const char* who_;
  const bool every_call_;
  int count_ = 0;
};

// Simulates `p` on `w`; with `trace` (a name for the lines), every
// compaction the picker or the guardrail makes is printed (simulate
// --trace).
SimResult RunPicker(const TrainWorkload& w, SimConfig c, std::unique_ptr<CompactionPicker> p,
                    const char* trace) {
  if (trace == nullptr) return Simulate(c, p.get(), w.ops);
  c.trace_guardrail = true;
  TracingPicker traced(std::move(p), trace);
  return Simulate(c, &traced, w.ops);
}

SimResult RunStatic(const TrainWorkload& w, CompactionStyle style, const ObjectiveDial& d,
                    const Options* opts = nullptr, const char* trace = nullptr) {
  SimConfig c = ConfigFor(w, d);
  c.options = opts != nullptr ? *opts : BaseOptions();
  c.options.compaction = style;
  std::unique_ptr<CompactionPicker> p = NewCompactionPicker(c.options);
  return RunPicker(w, c, std::move(p), trace);
}

SimResult RunModel(const TrainWorkload& w, std::shared_ptr<const PolicyModel> model,
                   const ObjectiveDial& d, const char* trace = nullptr) {
  SimConfig c = ConfigFor(w, d);
  std::unique_ptr<CompactionPicker> p = NewLearnedPicker(c.options, std::move(model), d);
  return RunPicker(w, c, std::move(p), trace);
}

// The yardstick of hybrid.h on `w`: tiered at 24 runs while the workload
// reads, under the guardrail of `guard_runs` runs per level (the model
// keeps the limits it was trained with).
SimResult RunHybrid(const TrainWorkload& w, std::shared_ptr<const PolicyModel> model,
                    const ObjectiveDial& d, int guard_runs, double min_read_share) {
  SimConfig c = ConfigFor(w, d);
  Options lo = c.options;  // the model's own limits
  c.options.max_runs_per_level = guard_runs;
  Options to = c.options;
  to.compaction = CompactionStyle::kTiered;
  to.max_runs_per_level = 24;
  std::unique_ptr<CompactionPicker> p =
      NewHybridPicker(NewLearnedPicker(lo, std::move(model), d), NewTieredPicker(to), min_read_share);
  return RunPicker(w, c, std::move(p), nullptr);
}

// The cost of each static setting (StaticSettings) on `w` at dial `d`.
std::vector<double> StaticCosts(const TrainWorkload& w, const ObjectiveDial& d,
                                const std::vector<std::pair<std::string, Options>>& statics) {
  std::vector<double> costs;
  for (const auto& st : statics) {
    SimResult r = RunStatic(w, st.second.compaction, d, &st.second);
    costs.push_back(r.Cost(d.wear, d.read, d.space));
  }
  return costs;
}

// Parses --objective into *dial (left as is without the flag).
bool DialArg(const Args& args, ObjectiveDial* dial) {
  if (!args.Has("objective")) return true;
  Status s = ParseObjectiveDial(args.Get("objective", ""), dial);
  if (!s.ok()) std::fprintf(stderr, "%s\n", s.ToString().c_str());
  return s.ok();
}

// Named access to the parameters of a 3-layer genome (layout in
// quantize.h): w1/b1 the first layer, w2/b2 the second, w3 the output
// weights.
class GenomeRef {
 public:
  GenomeRef(const std::vector<int>& shape, std::vector<float>* g)
      : g_(*g), in_(shape[0]), h1_(shape[1]), h2_(shape[2]),
        l2_(static_cast<size_t>(h1_) * in_ + h1_), l3_(l2_ + static_cast<size_t>(h2_) * h1_ + h2_) {}
  float& w1(int j, int i) { return g_[static_cast<size_t>(j) * in_ + i]; }
  float& b1(int j) { return g_[static_cast<size_t>(h1_) * in_ + j]; }
  float& w2(int j, int i) { return g_[l2_ + static_cast<size_t>(j) * h1_ + i]; }
  float& b2(int j) { return g_[l2_ + static_cast<size_t>(h2_) * h1_ + j]; }
  float& w3(int i) { return g_[l3_ + i]; }
  int inputs() const { return in_; }
  int hidden1() const { return h1_; }
  int hidden2() const { return h2_; }

 private:
  std::vector<float>& g_;
  const int in_, h1_, h2_;
  const size_t l2_, l3_;
};

// Genome imitating the tiered trigger: when level 0 holds
// max_runs_per_level runs, push level 0 down; otherwise wait.
std::vector<float> HeuristicGenome(const std::vector<int>& shape) {
  std::vector<float> g(GenomeSize(shape), 0.0f);
  GenomeRef r(shape, &g);
  const int G = 0, C = kGlobalFeatures;
  // Unit 0: level-0 pressure above 3 of 8 runs, never for "wait".
  r.w1(0, G + 3) = 4;
  r.w1(0, C + 0) = -8;
  r.b1(0) = -224;
  // Unit 1: candidate quality: whole level, level 0 input, few bytes.
  r.w1(1, C + 11) = 0.5f;
  r.w1(1, C + 14) = -2;
  r.w1(1, C + 4) = -1;
  r.w1(1, C + 0) = -2;
  r.b1(1) = 64;
  r.w2(0, 0) = 2;
  r.w2(0, 1) = 0.5f;
  r.b2(0) = -64;
  r.w3(0) = 1;  // the score is hidden unit 0 of layer 2
  return g;
}

std::vector<float> InitialStd(const std::vector<int>& shape) {
  std::vector<float> s;
  for (size_t l = 0; l + 1 < shape.size(); ++l) {
    // Large enough to cross int4 rounding steps of the start genome's rows
    // (a perturbation that changes no quantized weight teaches nothing).
    float w = l == 0 ? 0.3f : 0.5f;
    s.insert(s.end(), static_cast<size_t>(shape[l]) * shape[l + 1], w);
    s.insert(s.end(), shape[l + 1], 16.0f);
  }
  return s;
}

void WriteInc(const std::string& path, const std::string& bytes, const std::string& command) {
  std::string out =
      "// policy/default_model.inc: the built-in policy model, generated by\n"
      "// `" + command + "`\n"
      "// (tools/trainer, docs/policy.md). " + std::to_string(bytes.size()) +
      " bytes, format docs/format-policy-model.md.\n"
      "static const unsigned char kDefaultPolicyModel[] = {";
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i % 12 == 0) out += "\n   ";
    char b[8];
    std::snprintf(b, sizeof(b), " 0x%02x,", static_cast<unsigned char>(bytes[i]));
    out += b;
  }
  out += "\n};\n";
  Status s = WriteStringToFile(Env::Default(), out, path, true);
  if (!s.ok()) std::fprintf(stderr, "writing %s: %s\n", path.c_str(), s.ToString().c_str());
}

// Loads the model named by option `key`: a file, or "builtin" (also when
// the option is absent) for the built-in model.
Status LoadModelArg(const Args& args, const char* key, std::shared_ptr<const PolicyModel>* model) {
  if (!args.Has(key) || args.Get(key, "") == "builtin") return DefaultPolicyModel(model);
  auto m = std::make_shared<PolicyModel>();
  Status s = LoadPolicyModelFile(Env::Default(), args.Get(key, ""), m.get());
  if (s.ok()) *model = m;
  return s;
}

// LoadModelArg, with the error printed to stderr; false on an error.
bool LoadModelFlag(const Args& args, const char* key, std::shared_ptr<const PolicyModel>* model) {
  const Status s = LoadModelArg(args, key, model);
  if (!s.ok()) std::fprintf(stderr, "%s\n", s.ToString().c_str());
  return s.ok();
}

// The dial gates (docs/policy.md, "The dial gates"): designed hidden
// units that make the objective dial steer, written over units that an
// ablation (`graft --ablate`) shows change no decision.
// The read gate, first-layer unit `k`: fires when the dial weights read
// above wear (features 0 and 1 are 8 x the weights), the workload scans
// (feature 9, the scan rate) and the tree holds many runs (feature 4),
// never for "wait" (optionally more for candidates that reduce runs,
// candidate feature 12). Second-layer unit `m` passes it to the score.
struct DialGates {
  int k = 2, m = 0;
  float dial = 7, scan = 2, tree_runs = 1, run_reduction = 0, threshold = 380;
  float gain = 0.5f;  // the score weight, times the largest of that row
  // The wear gate (off when wear_feature < 0): first-layer unit kw fires
  // for candidates with candidate feature `wear_feature` (15: a trivial
  // move, which rewrites nothing) when the dial weights wear above read +
  // space, through the same second-layer unit m.
  int kw = 9, wear_feature = 15;
  float wear_threshold = 180;
  // The space gate (off when space_feature < 0): first-layer unit ks, the
  // same for candidate feature `space_feature` (12: the candidate's run
  // reduction, 16 per run) when the dial weights space above wear + read.
  int ks = 14, space_feature = 12;
  float space_threshold = 200;
};

void FreezeDialGates(const std::vector<int>& shape, const DialGates& gate, bool freeze_rates,
                     std::vector<float>* stdev);

int Train(const Args& args, const std::string& command) {
  const uint64_t seed = static_cast<uint64_t>(args.Num("seed", 1));
  const std::string out = args.Get("out", "model.bin");
  const double minutes = args.Num("minutes", 18);
  const int max_gens = static_cast<int>(args.Num("generations", 1000));
  const int pop = std::max(4, static_cast<int>(args.Num("population", 20)) / 2 * 2);
  const int threads = std::max(1, static_cast<int>(args.Num("threads", 2)));
  const double scale = args.Num("scale", 1.0);
  const double worse_penalty = std::max(0.0, args.Num("worse-penalty", kWorsePenalty));
  const double worse_margin = args.Num("worse-margin", kWorseMargin);
  // Workloads per generation that also check the dial steers (kDialCheck).
  const int dial_checks = std::max(0, static_cast<int>(args.Num("dial-checks", 0)));
  auto t0 = std::chrono::steady_clock::now();
  auto parallel_for = [&](size_t count, const std::function<void(size_t)>& fn) {
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) fn(i);
      });
    }
    for (std::thread& th : pool) th.join();
  };

  // Training workloads: --suites training suites (seeds seed, seed + 1,
  // ...). Validation workloads, used only to choose among the finalists:
  // one more suite with a seed no training run of a nearby seed uses.
  const int suites = std::max(1, static_cast<int>(args.Num("suites", 2)));
  std::vector<TrainWorkload> ws, vs;
  auto add_suite = [&](uint64_t suite_seed, std::vector<TrainWorkload>* out) {
    for (const WorkloadSpec& spec : TrainingSuite(suite_seed, scale, args.Has("varied-mixes"))) {
      std::unique_ptr<Workload> w = NewWorkload(spec);
      out->push_back({spec.name + "@" + std::to_string(suite_seed), Materialize(w.get()),
                      spec.value_size});
    }
  };
  if (!args.Has("trace-only")) {
    for (int k = 0; k < suites; ++k) add_suite(seed + static_cast<uint64_t>(k), &ws);
    add_suite(seed + 1000003, &vs);
  }
  if (args.Has("trace")) {
    std::unique_ptr<TraceWorkload> tw;
    Status s = TraceWorkload::Open(Env::Default(), args.Get("trace", ""), &tw);
    if (!s.ok()) {
      std::fprintf(stderr, "trace: %s\n", s.ToString().c_str());
      return 1;
    }
    uint32_t vs = std::max<uint32_t>(1, tw->mean_value_size());
    ws.push_back({"trace", Materialize(tw.get()), vs});
  }
  if (ws.empty()) {
    std::fprintf(stderr, "no training workloads\n");
    return 1;
  }
  // Baselines: for every workload and dial, the cost of the best of the
  // static settings the evaluation compares with (tiered and leveled at
  // their defaults and tuned: StaticSettings). Training against the best
  // of them, not just tiered, is what the evaluation asks of the policy.
  const std::vector<std::pair<std::string, Options>> statics = StaticSettings();
  auto baselines = [&](const std::vector<TrainWorkload>& set) {
    std::vector<std::array<double, kNumDials>> best_of(set.size());
    parallel_for(set.size() * kNumDials, [&](size_t k) {
      const size_t i = k / kNumDials;
      const int d = static_cast<int>(k % kNumDials);
      const std::vector<double> costs = StaticCosts(set[i], kDials[d], statics);
      best_of[i][d] = std::max(1e-6, *std::min_element(costs.begin(), costs.end()));
    });
    return best_of;
  };
  const std::vector<std::array<double, kNumDials>> base = baselines(ws);
  const std::vector<std::array<double, kNumDials>> vbase = baselines(vs);
  std::printf("training workloads (seed %llu, %d suites; %zu validation workloads):\n",
              static_cast<unsigned long long>(seed), suites, vs.size());
  for (size_t i = 0; i < ws.size(); ++i) {
    SimResult r = RunStatic(ws[i], CompactionStyle::kTiered, kDials[0]);
    std::printf("  %-44s ops %7zu  tiered: wa %.2f rc %.2f sa %.2f cost %.2f  best static %.2f\n",
                ws[i].name.c_str(), ws[i].ops.size(), r.WriteAmp(), r.ReadCost(), r.SpaceAmp(),
                r.Cost(2, 1, 1), base[i][0]);
  }
  std::printf("baselines done in %.1f s\n", Seconds(t0));
  std::fflush(stdout);

  const std::vector<int>& shape = NetworkShape();
  std::vector<float> start = HeuristicGenome(shape);
  if (args.Has("start")) {
    // Continue from a model: "builtin" or a model file.
    std::shared_ptr<const PolicyModel> m;
    Status s = LoadModelArg(args, "start", &m);
    if (s.ok()) s = ModelToGenome(shape, m->mlp, &start);
    if (!s.ok()) {
      std::fprintf(stderr, "--start: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  std::vector<float> mean = start;
  std::vector<float> stdev = InitialStd(shape);
  // --train-rates: the rate features (7-10) are trained too. Until the
  // policy clock (2026-11-28) the engine showed the model other rates than
  // the simulator did, so --freeze-gates also held them at 0.
  if (args.Has("freeze-gates")) {
    FreezeDialGates(shape, DialGates{}, !args.Has("train-rates"), &stdev);
  }
  // --freeze-unit U: first-layer unit U keeps its row and outgoing weights
  // (the scan gate of the built-in model is unit 15: graft --scan-unit).
  if (args.Has("freeze-unit")) {
    const int unit = static_cast<int>(args.Num("freeze-unit", -1));
    if (unit < 0 || unit >= shape[1]) {
      std::fprintf(stderr, "--freeze-unit must be below %d\n", shape[1]);
      return 1;
    }
    GenomeRef r(shape, &stdev);
    for (int i = 0; i < r.inputs(); ++i) r.w1(unit, i) = 0;
    r.b1(unit) = 0;
    for (int j = 0; j < r.hidden2(); ++j) r.w2(j, unit) = 0;
  }

  // Fitness of a genome: mean over workloads of cost / best static cost,
  // each workload under the dial drawn for it this generation, plus a
  // penalty on every workload more than 2% (--worse-margin) worse than its
  // best static setting (the evaluation allows no workload more than 5%
  // worse).
  auto fitness_on = [&](const std::vector<float>& g, const std::vector<int>& dials,
                        const std::vector<TrainWorkload>& set,
                        const std::vector<std::array<double, kNumDials>>& set_base) {
    auto model = std::make_shared<PolicyModel>();
    if (!GenomeToModel(shape, g, model.get()).ok()) return 1e9;
    double sum = 0;
    for (size_t i = 0; i < set.size(); ++i) {
      const int di = dials[i] == kDialCheck ? 0 : dials[i];
      const ObjectiveDial& d = kDials[di];
      SimResult r = RunModel(set[i], model, d);
      const double ratio = r.Cost(d.wear, d.read, d.space) / set_base[i][di];
      sum += ratio + worse_penalty * std::max(0.0, ratio - 1.0 - worse_margin);
      if (dials[i] == kDialCheck) {
        // The dial must steer: toward wear (4/1/1) fewer bytes written,
        // toward read (1/4/1) fewer blocks per read, than at the default.
        SimResult wear = RunModel(set[i], model, kDials[2]);
        SimResult read = RunModel(set[i], model, kDials[3]);
        sum += kDialPenalty * (std::max(0.0, wear.WriteAmp() / std::max(1e-9, r.WriteAmp()) - 0.98) +
                               std::max(0.0, read.ReadCost() / std::max(1e-9, r.ReadCost()) - 0.98));
      }
    }
    return sum / static_cast<double>(set.size());
  };
  auto fitness = [&](const std::vector<float>& g, const std::vector<int>& dials) {
    return fitness_on(g, dials, ws, base);
  };
  auto& parallel = parallel_for;

  std::vector<std::vector<float>> hall;  // every accepted parent

  // --imitate R: R rounds of imitation of the look-ahead oracle before the
  // strategy below fine-tunes (docs/policy.md, "Imitation of the oracle").
  // Each round plays the oracle (rollout.h) from the current model on every
  // training workload at the default dial, adds its demonstrations to those
  // of earlier rounds (so the later rounds also teach the states the fitted
  // model itself reaches), and fits the genome to all of them.
  const int imitate_rounds = std::max(0, static_cast<int>(args.Num("imitate", 0)));
  std::vector<Demonstration> demos;
  std::vector<std::vector<float>> imitated;  // each round's fit, always a finalist
  double demo_runs = 0;
  for (int round = 0; round < imitate_rounds; ++round) {
    auto tr = std::chrono::steady_clock::now();
    auto current = std::make_shared<PolicyModel>();
    if (!GenomeToModel(shape, mean, current.get()).ok()) break;
    RolloutOptions ro;
    ro.alternatives = static_cast<int>(args.Num("alternatives", 4));
    ro.threads = threads;
    ro.record = true;
    // Every workload at the default dial, and with --imitate-dials N at
    // N - 1 of the others too (in turn), so that the fit keeps the dial's
    // steering.
    const int dials_per = std::clamp(static_cast<int>(args.Num("imitate-dials", 1)), 1, kNumDials);
    double model_sum = 0, oracle_sum = 0;
    for (size_t i = 0; i < ws.size(); ++i) {
      for (int j = 0; j < dials_per; ++j) {
        const int di = j == 0 ? 0 : 1 + static_cast<int>((i + static_cast<size_t>(j) - 1) % (kNumDials - 1));
        RolloutResult rr = Rollout(ConfigFor(ws[i], kDials[di]), current, kDials[di], ws[i].ops, ro);
        model_sum += rr.model_cost / base[i][di];
        oracle_sum += rr.rollout_cost / base[i][di];
        for (Demonstration& d : rr.demonstrations) demos.push_back(std::move(d));
      }
    }
    const double played = static_cast<double>(ws.size()) * dials_per;
    demo_runs += played;
    std::printf("imitation round %d: oracle from the current model in %.1f s: model %.4f, oracle "
                "%.4f (mean cost / best static)\n",
                round, Seconds(tr), model_sum / played, oracle_sum / played);
    std::fflush(stdout);
    ImitationOptions io;
    io.generations = static_cast<int>(args.Num("imitate-generations", 400));
    io.population = pop;
    io.threads = threads;
    io.seed = seed + static_cast<uint64_t>(round);
    io.soft_weight = args.Num("imitate-soft", io.soft_weight);
    io.temperature = args.Num("imitate-temperature", io.temperature);
    io.max_step = std::min(1.0, std::max(0.01, args.Num("max-step", 3.0)));
    mean = FitToDemonstrations(shape, mean, stdev, demos, demo_runs, io, stdout);
    imitated.push_back(mean);
    std::printf("imitation round %d done at %.1f s: training fitness at the default dial %.4f\n",
                round, Seconds(t0), fitness(mean, std::vector<int>(ws.size(), 0)));
    std::fflush(stdout);
  }

  // (1+lambda) evolution strategy with mirrored, sparse Gaussian steps and
  // a success rule for the step size. The parent and its children are
  // scored under the same dials, so a child replaces the parent only when it
  // is better on the same draw. (Averaging many random directions, as CEM
  // does, blurs the start genome's structure away in 673 dimensions.)
  Random rnd(seed * 7919 + 1);
  // --max-step below 1 fine-tunes a start model: smaller steps that stay
  // near it. --default-dial scores every workload at the default dial only
  // (the dial gates, kept by --freeze-gates, steer the others).
  const double max_step = std::max(0.01, args.Num("max-step", 3.0));
  const bool default_dial = args.Has("default-dial");
  double step = std::min(1.0, max_step);
  int gen = 0;
  double gen_seconds = 0;
  for (; gen < max_gens; ++gen) {
    auto tg = std::chrono::steady_clock::now();
    if (Seconds(t0) + 1.5 * gen_seconds > minutes * 60 * 0.85) break;
    std::vector<int> dials(ws.size());
    for (int& d : dials) {
      d = rnd.Uniform(2) == 0 ? 0 : static_cast<int>(rnd.Uniform(kNumDials));
      if (default_dial) d = 0;
    }
    // A few workloads each generation also check that the dial steers.
    for (int k = 0; k < dial_checks && !dials.empty(); ++k) {
      dials[rnd.Uniform(static_cast<uint32_t>(dials.size()))] = kDialCheck;
    }
    std::vector<std::vector<float>> samples = MirroredChildren(mean, stdev, step, pop, &rnd);
    std::vector<double> fit(samples.size());
    parallel(samples.size(), [&](size_t i) { fit[i] = fitness(samples[i], dials); });
    size_t best_child = 1;
    for (size_t i = 2; i < samples.size(); ++i) {
      if (fit[i] < fit[best_child]) best_child = i;
    }
    bool improved = fit[best_child] < fit[0] * 0.999;
    if (improved) {
      mean = samples[best_child];
      hall.push_back(mean);
      step = std::min(max_step, step * 1.3);
    } else {
      step = std::max(std::min(0.1, max_step), step * 0.92);
    }
    double avg = 0;
    for (double f : fit) avg += f;
    avg /= static_cast<double>(fit.size());
    gen_seconds = Seconds(tg);
    std::printf("gen %3d  %6.1f s  parent %.4f  best child %.4f%s  population avg %.4f  step %.2f"
                "  (%.1f s/gen)\n",
                gen, Seconds(t0), fit[0], fit[best_child], improved ? " *" : "  ", avg, step,
                gen_seconds);
    std::fflush(stdout);
  }

  // Final choice: the start, the last mean, and accepted parents from
  // across the run, scored on the validation workloads (never trained
  // on) under every dial (the default dial counts double), so that a
  // model that only fits its training workloads is not chosen.
  std::vector<std::vector<float>> finalists = {start, mean};
  finalists.insert(finalists.end(), imitated.begin(), imitated.end());
  // Up to 8 accepted parents spread over the run, the last included.
  for (size_t k = 0; k < 8 && k < hall.size(); ++k) {
    finalists.push_back(hall[hall.size() - 1 - k * hall.size() / 8]);
  }
  std::vector<double> score(finalists.size());
  const bool validate = !vs.empty();
  parallel(finalists.size(), [&](size_t f) {
    double s = 0;
    for (int d = 0; d < kNumDials; ++d) {
      std::vector<int> dials(validate ? vs.size() : ws.size(), d);
      s += (d == 0 ? 2.0 : 1.0) *
           (validate ? fitness_on(finalists[f], dials, vs, vbase) : fitness(finalists[f], dials));
    }
    if (validate && dial_checks > 0) {
      // And the dial must steer on every validation workload.
      s += 2.0 * fitness_on(finalists[f], std::vector<int>(vs.size(), kDialCheck), vs, vbase);
    }
    score[f] = s / (kNumDials + 1 + (validate && dial_checks > 0 ? 2 : 0));
  });
  size_t best = 0;
  for (size_t f = 1; f < finalists.size(); ++f) {
    if (score[f] < score[best]) best = f;
  }
  std::printf("finalists (weighted cost / best static over all dials, %s workloads):",
              validate ? "validation" : "training");
  for (double s : score) std::printf(" %.4f", s);
  std::printf("\nchosen finalist %zu\n", best);

  PolicyModel model;
  Status s = GenomeToModel(shape, finalists[best], &model);
  if (!s.ok()) {
    std::fprintf(stderr, "model: %s\n", s.ToString().c_str());
    return 1;
  }
  std::string bytes = EncodePolicyModel(model);
  s = WriteStringToFile(Env::Default(), bytes, out, true);
  if (!s.ok()) {
    std::fprintf(stderr, "writing %s: %s\n", out.c_str(), s.ToString().c_str());
    return 1;
  }
  if (args.Has("inc")) WriteInc(args.Get("inc", ""), bytes, command);
  // Per-workload report at the default dial.
  auto shared = std::make_shared<PolicyModel>(model);
  std::printf("%-44s %10s %10s %10s\n", "workload (dial wear=2,read=1,space=1)", "learned",
              "tiered", "leveled");
  for (size_t i = 0; i < ws.size(); ++i) {
    SimResult r = RunModel(ws[i], shared, kDials[0]);
    SimResult tr = RunStatic(ws[i], CompactionStyle::kTiered, kDials[0]);
    SimResult lv = RunStatic(ws[i], CompactionStyle::kLeveled, kDials[0]);
    std::printf("%-44s %10.3f %10.3f %10.3f   (cost / best static)\n", ws[i].name.c_str(),
                r.Cost(2, 1, 1) / base[i][0], tr.Cost(2, 1, 1) / base[i][0],
                lv.Cost(2, 1, 1) / base[i][0]);
  }
  std::printf("wrote %s (%zu bytes) after %d generations in %.1f s\n", out.c_str(), bytes.size(), gen,
              Seconds(t0));
  return 0;
}

// Writes a model file as the built-in model's source (--inc), after
// checking that it decodes.
int Export(const Args& args, const std::string& command) {
  const std::string path = args.Get("model", "");
  std::string bytes;
  Status s = ReadFileToString(Env::Default(), path, &bytes);
  PolicyModel model;
  if (s.ok()) s = DecodePolicyModel(bytes, path, &model);
  if (!s.ok() || !args.Has("inc")) {
    std::fprintf(stderr, "export: %s\n", s.ok() ? "--inc FILE is required" : s.ToString().c_str());
    return 1;
  }
  WriteInc(args.Get("inc", ""), bytes, command);
  std::printf("wrote %s from %s (%zu bytes)\n", args.Get("inc", "").c_str(), path.c_str(),
              bytes.size());
  return 0;
}

// Carries a model trained for feature schema 1 over to schema 2 unchanged.
// Schema 2 only measures bytes and times against the memtable (bytes in
// quarter memtables instead of 64 KiB, seconds scaled by 256 KiB /
// memtable_bytes); at the 256 KiB memtable every model so far was trained
// with, the two schemas give the same features, so the weights stay valid.
int Migrate(const Args& args) {
  const std::string path = args.Get("model", ""), out = args.Get("out", "");
  if (path.empty() || out.empty()) {
    std::fprintf(stderr, "migrate: --model FILE and --out FILE are required\n");
    return 1;
  }
  if (kFeatureSchemaVersion != 2 || BaseOptions().memtable_bytes != (256u << 10)) {
    std::fprintf(stderr, "migrate: only schema 1 models trained at 256 KiB memtables carry over\n");
    return 1;
  }
  std::string bytes;
  Status s = ReadFileToString(Env::Default(), path, &bytes);
  if (s.ok() && (bytes.size() < 16 || Hash64(bytes.data(), bytes.size() - 8) !=
                                          DecodeFixed64(bytes.data() + bytes.size() - 8))) {
    s = Status::Corruption(path + ": not an intact policy model file");
  }
  if (s.ok() && (static_cast<uint8_t>(bytes[6]) != 1 || bytes[7] != 0)) {
    s = Status::InvalidArgument(path + ": not a feature schema 1 model");
  }
  PolicyModel model;
  if (s.ok()) {
    bytes[6] = static_cast<char>(kFeatureSchemaVersion);
    std::string body = bytes.substr(0, bytes.size() - 8);
    PutFixed64(&body, Hash64(body));
    s = DecodePolicyModel(body, path, &model);
  }
  if (s.ok()) {
    bytes = EncodePolicyModel(model);
    s = WriteStringToFile(Env::Default(), bytes, out, true);
  }
  if (!s.ok()) {
    std::fprintf(stderr, "migrate: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("wrote %s: %s as feature schema %u (%zu bytes)\n", out.c_str(), path.c_str(),
              kFeatureSchemaVersion, bytes.size());
  return 0;
}

// The workloads of training suite `seed`, with their value sizes (graft,
// simulate --training-suite).
std::vector<TrainWorkload> TrainingWorkloads(uint64_t seed, double scale) {
  std::vector<TrainWorkload> set;
  for (const WorkloadSpec& spec : TrainingSuite(seed, scale)) {
    std::unique_ptr<Workload> w = NewWorkload(spec);
    set.push_back({spec.name, Materialize(w.get()), spec.value_size});
  }
  return set;
}

std::vector<std::pair<std::string, std::vector<Op>>> EvalWorkloads(double scale,
                                                                   uint64_t seed_offset = 0) {
  std::vector<std::pair<std::string, std::vector<Op>>> r;
  for (WorkloadSpec spec : EvaluationSuite(scale)) {
    spec.seed += seed_offset;
    std::unique_ptr<Workload> w = NewWorkload(spec);
    r.emplace_back(spec.name, Materialize(w.get()));
  }
  return r;
}


int Validate(const Args& args) {
  const std::string trace = args.Get("trace", "");
  const bool inline_worker = args.Has("inline");
  const bool measured = args.Has("measured") && !inline_worker;
  const double scale = args.Has("quick") ? 0.3 : args.Num("scale", 1.0);
  // --model builtin|FILE: the learned policy too, at the default dial, so
  // that its own simulated and engine runs can be compared.
  std::vector<CompactionStyle> styles = {CompactionStyle::kTiered, CompactionStyle::kLeveled};
  std::shared_ptr<const PolicyModel> model;
  std::string model_path;
  if (args.Has("model")) {
    if (!LoadModelFlag(args, "model", &model)) return 1;
    if (args.Get("model", "") != "builtin") model_path = args.Get("model", "");
    styles.push_back(CompactionStyle::kLearned);
  }
  // The picker of `style`: the model's for learned.
  auto new_picker = [&](const Options& o, CompactionStyle style) {
    return style == CompactionStyle::kLearned ? NewLearnedPicker(o, model, ObjectiveDial{})
                                              : NewCompactionPicker(o);
  };
  auto style_name = [](CompactionStyle style) {
    return style == CompactionStyle::kLeveled   ? "leveled"
           : style == CompactionStyle::kLearned ? "learned"
                                                : "tiered";
  };
  auto t0 = std::chrono::steady_clock::now();
  std::printf("%-46s %-8s %10s %10s %8s   %s\n", "workload", "picker", "sim MB", "engine MB",
              "error", "sim/engine wal, sst, flushes, compactions; blocks per get or scan");
  double worst = 0, sum_abs = 0;
  int count = 0;
  double flush_micros = 0;
  if (measured) {
    Status s = MeasureFlushMicros(BaseOptions(), 100, &flush_micros);
    if (!s.ok()) {
      std::fprintf(stderr, "validate: measuring a flush: %s\n", s.ToString().c_str());
      return 1;
    }
    std::printf("measured: one flush takes %.0f us in the engine\n", flush_micros);
  }
  // --seeds N: each workload also with N-1 other seeds; (workload, picker)
  // -> simulated and engine bytes summed over the seeds.
  const int seeds = std::max(1, static_cast<int>(args.Num("seeds", 1)));
  std::vector<std::pair<std::string, std::pair<double, double>>> sums;
  for (int k = 0; k < seeds; ++k) {
    size_t row = 0;
    if (seeds > 1) std::printf("seed offset %d\n", 1000 * k);
    for (auto& [name, ops] : EvalWorkloads(scale, 1000 * static_cast<uint64_t>(k))) {
      if (!trace.empty() && name.find(trace) == std::string::npos) continue;
      for (CompactionStyle style : styles) {
        Options o = BaseOptions();
        o.compaction = style;
        SimConfig c;
        c.options = o;
        c.value_size = 100;
        c.timing.instant_compactions = inline_worker;
        EngineResult er;
        Options eo = o;
        if (!trace.empty()) {
          eo.compaction_picker =
              std::make_shared<TracingPicker>(new_picker(o, style), "engine", args.Has("trace-all"));
        }
        Status s = RunEngine(eo, ops, style == CompactionStyle::kLearned ? model_path : "", &er,
                             inline_worker, /*time_calls=*/measured);
        if (!s.ok()) {
          std::fprintf(stderr, "%s: %s\n", name.c_str(), s.ToString().c_str());
          return 1;
        }
        if (measured) {
          // The simulator timed as this engine ran: each kind of operation
          // at its mean time in the engine's calls, compaction at the speed
          // of the engine's final CompactAll (bytes read and written per
          // second), the flush time measured above.
          const uint64_t writes = er.ops - er.gets - er.scans;
          auto mean = [](double seconds, uint64_t n) { return n == 0 ? 0.0 : seconds * 1e6 / n; };
          c.timing.put = mean(er.write_seconds, writes);
          c.timing.get = mean(er.get_seconds, er.gets);
          c.timing.scan = mean(er.scan_seconds, er.scans);
          c.timing.get_block = c.timing.scan_block = 0;  // in the means
          c.timing.flush_micros = flush_micros;
          if (er.compact_all_seconds > 0) {
            c.timing.compaction_bytes_per_micro =
                (er.live_bytes + er.compacted_bytes) / er.compact_all_seconds / 1e6;
          }
        }
        std::unique_ptr<CompactionPicker> p = new_picker(o, style);
        if (!trace.empty()) {
          p = std::make_unique<TracingPicker>(std::move(p), "sim   ", args.Has("trace-all"));
        }
        SimResult sr = Simulate(c, p.get(), ops);
        double err = (static_cast<double>(sr.DeviceBytes()) - static_cast<double>(er.device_bytes)) /
                     static_cast<double>(er.device_bytes);
        worst = std::max(worst, std::fabs(err));
        sum_abs += std::fabs(err);
        count++;
        if (k == 0) {
          sums.push_back({name + " " + style_name(style), {}});
        }
        sums[row].second.first += static_cast<double>(sr.DeviceBytes());
        sums[row].second.second += static_cast<double>(er.device_bytes);
        row++;
        std::printf("%-46s %-8s %10.2f %10.2f %+7.1f%%   %.2f/%.2f, %.2f/%.2f, %llu/%llu, %llu/%llu"
                    "; blocks per read %.2f/%.2f  [engine %.0f kops/s, compaction %.0f MB/s]\n",
                    name.c_str(), style_name(style), sr.DeviceBytes() / 1048576.0,
                    er.device_bytes / 1048576.0, 100 * err,
                    sr.wal_bytes / 1048576.0, er.wal_bytes / 1048576.0, sr.sst_bytes / 1048576.0,
                    er.sst_bytes / 1048576.0, static_cast<unsigned long long>(sr.flushes),
                    static_cast<unsigned long long>(er.flushes),
                    static_cast<unsigned long long>(sr.compactions),
                    static_cast<unsigned long long>(er.compactions), sr.ReadCost(),
                    er.BlocksPerRead(), er.OpsPerSecond() / 1000,
                    er.compact_all_seconds > 0
                        ? (er.live_bytes + er.compacted_bytes) / er.compact_all_seconds / 1e6
                        : 0.0);
        if (!trace.empty()) {
          std::printf("  flush MB sim %.3f engine %.3f; compaction MB sim %.3f engine %.3f\n",
                      sr.flush_bytes / 1048576.0, er.flush_bytes / 1048576.0,
                      (sr.sst_bytes - sr.flush_bytes) / 1048576.0,
                      (er.sst_bytes - er.flush_bytes) / 1048576.0);
        }
        std::fflush(stdout);
      }
    }
  }
  if (count == 0) {
    std::fprintf(stderr, "validate: no evaluation workload's name contains '%s'\n", trace.c_str());
    return 1;
  }
  std::printf("mean |error| %.1f%%, worst %.1f%% (%d runs, %.1f s)\n", 100 * sum_abs / count,
              100 * worst, count, Seconds(t0));
  if (seeds == 1) return worst <= 0.15 ? 0 : 2;
  // A decision on a threshold can tip either way on a 0.1% size
  // difference; over several seeds such tips average out where the cost
  // model is right.
  double sum_worst = 0, sum_mean = 0;
  std::printf("over %d seeds:\n", seeds);
  for (const auto& [label, bytes] : sums) {
    const double err = (bytes.first - bytes.second) / bytes.second;
    sum_worst = std::max(sum_worst, std::fabs(err));
    sum_mean += std::fabs(err) / static_cast<double>(sums.size());
    std::printf("  %-54s %10.2f %10.2f %+7.1f%%\n", label.c_str(), bytes.first / seeds / 1048576.0,
                bytes.second / seeds / 1048576.0, 100 * err);
  }
  std::printf("over %d seeds: mean |error| %.1f%%, worst %.1f%%\n", seeds, 100 * sum_mean,
              100 * sum_worst);
  return sum_worst <= 0.15 ? 0 : 2;
}

// Means over a workload set at one dial: write amp, read cost, space amp
// and the dial's cost.
struct SuiteFigures {
  double wa = 0, rc = 0, sa = 0, cost = 0;
};
SuiteFigures RunSuite(const std::vector<TrainWorkload>& set, std::shared_ptr<const PolicyModel> model,
                      const ObjectiveDial& d) {
  std::vector<SimResult> rs(set.size());
  std::vector<std::thread> pool;
  for (size_t t = 0; t < 2; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t; i < set.size(); i += 2) rs[i] = RunModel(set[i], model, d);
    });
  }
  for (std::thread& th : pool) th.join();
  SuiteFigures f;
  for (const SimResult& r : rs) {
    f.wa += r.WriteAmp() / set.size();
    f.rc += r.ReadCost() / set.size();
    f.sa += r.SpaceAmp() / set.size();
    f.cost += r.Cost(d.wear, d.read, d.space) / set.size();
  }
  return f;
}

void GraftDialGates(const std::vector<int>& shape, const DialGates& gate, std::vector<float>* genome) {
  GenomeRef r(shape, genome);
  const int C = kGlobalFeatures;
  // Unit `unit` of the first layer starts from nothing and feeds only m.
  auto clear = [&](int unit) {
    for (int i = 0; i < r.inputs(); ++i) r.w1(unit, i) = 0;
    for (int j = 0; j < r.hidden2(); ++j) r.w2(j, unit) = 0;
    r.w2(gate.m, unit) = 1;
  };
  for (int i = 0; i < r.hidden1(); ++i) r.w2(gate.m, i) = 0;
  r.b2(gate.m) = 0;
  clear(gate.k);
  r.w1(gate.k, 1) = gate.dial;
  r.w1(gate.k, 0) = -gate.dial;
  r.w1(gate.k, 9) = gate.scan;
  r.w1(gate.k, 4) = gate.tree_runs;
  r.w1(gate.k, C + 12) = gate.run_reduction;
  r.w1(gate.k, C + 0) = -gate.dial;  // never "wait"
  r.b1(gate.k) = -gate.threshold;
  // A gate on one dial weight (feature `favoured`, 0 wear or 2 space)
  // above the other two, and one candidate feature.
  auto dial_gate = [&](int unit, int favoured, int feature, float threshold) {
    if (feature < 0) return;
    clear(unit);
    for (int i = 0; i < 3; ++i) r.w1(unit, i) = i == favoured ? 7 : -7;
    r.w1(unit, C + feature) = 1;
    r.b1(unit) = -threshold;
  };
  dial_gate(gate.kw, 0, gate.wear_feature, gate.wear_threshold);
  dial_gate(gate.ks, 2, gate.space_feature, gate.space_threshold);
  float maxw = 0;
  for (int j = 0; j < r.hidden2(); ++j) maxw = std::max(maxw, std::fabs(r.w3(j)));
  r.w3(gate.m) = gate.gain * maxw;
}

// Sets to 0 the step size (`stdev`, a genome-shaped vector) of every
// parameter of the dial gates (GraftDialGates: the gate units' rows and
// their outgoing weights, the second-layer unit they feed and its output
// weight) and, with `freeze_rates`, of the first layer's weights on the
// rates (features 7-10, see ZeroRateWeights), so that training from a
// gated model keeps them.
void FreezeDialGates(const std::vector<int>& shape, const DialGates& gate, bool freeze_rates,
                     std::vector<float>* stdev) {
  GenomeRef r(shape, stdev);
  for (int unit : {gate.k, gate.kw, gate.ks}) {
    if (unit < 0 || unit >= r.hidden1()) continue;
    for (int i = 0; i < r.inputs(); ++i) r.w1(unit, i) = 0;
    r.b1(unit) = 0;
    for (int j = 0; j < r.hidden2(); ++j) r.w2(j, unit) = 0;
  }
  for (int i = 0; i < r.hidden1(); ++i) r.w2(gate.m, i) = 0;
  r.b2(gate.m) = 0;
  r.w3(gate.m) = 0;
  if (!freeze_rates) return;
  for (int j = 0; j < r.hidden1(); ++j) {
    for (int i = 7; i <= 10; ++i) r.w1(j, i) = 0;
  }
}

// Zeroes the first-layer weights of global features 7-10 (the write, get
// and scan rates and the delete share). Until the rate window scaled with
// the memtable (RateWindowMicros), they were 0 in every training and
// evaluation run, so a model's weights on them were never tested; with
// them at 0 the model decides as it was trained to.
void ZeroRateWeights(const std::vector<int>& shape, std::vector<float>* genome) {
  for (int j = 0; j < shape[1]; ++j) {
    for (int i = 7; i <= 10; ++i) (*genome)[static_cast<size_t>(j) * shape[0] + i] = 0;
  }
}

// firn-trainer graft: zeroes the model's rate weights (unless
// --keep-rates), grafts in the dial gates (unless --no-gate), reports both
// per dial on one training suite (never the evaluation suite) and writes
// the result; --ablate instead shows what removing each hidden unit of the
// rate-zeroed model costs at the default dial.
int Graft(const Args& args) {
  const uint64_t seed = static_cast<uint64_t>(args.Num("seed", 7));
  std::shared_ptr<const PolicyModel> model;
  Status s = LoadModelArg(args, "model", &model);
  std::vector<float> genome;
  const std::vector<int>& shape = NetworkShape();
  if (s.ok()) s = ModelToGenome(shape, model->mlp, &genome);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  const std::vector<TrainWorkload> set = TrainingWorkloads(seed, args.Num("scale", 1.0));
  auto as_model = [&](const std::vector<float>& g) {
    auto m = std::make_shared<PolicyModel>();
    GenomeToModel(shape, g, m.get()).IgnoreError();
    return std::shared_ptr<const PolicyModel>(m);
  };
  const int h1 = shape[1], h2 = shape[2];
  std::vector<float> start = genome;
  if (!args.Has("keep-rates")) ZeroRateWeights(shape, &genome);
  if (args.Has("ablate")) {
    // On the genome the gates are grafted onto (rate weights zeroed).
    const double base = RunSuite(set, as_model(genome), kDials[0]).cost;
    std::printf("cost at the default dial %.4f\n", base);
    for (int k = 0; k < h1 + h2; ++k) {
      std::vector<float> g = genome;
      GenomeRef r(shape, &g);
      if (k < h1) {
        for (int j = 0; j < h2; ++j) r.w2(j, k) = 0;
      } else {
        r.w3(k - h1) = 0;
      }
      std::printf("  without layer-%d unit %2d: %+.2f%%\n", k < h1 ? 1 : 2, k < h1 ? k : k - h1,
                  100 * (RunSuite(set, as_model(g), kDials[0]).cost / base - 1));
    }
    return 0;
  }
  if (!args.Has("no-gate")) {
    DialGates gate;
    gate.k = static_cast<int>(args.Num("k", gate.k));
    gate.m = static_cast<int>(args.Num("m", gate.m));
    gate.dial = static_cast<float>(args.Num("dial", gate.dial));
    gate.scan = static_cast<float>(args.Num("scan", gate.scan));
    gate.tree_runs = static_cast<float>(args.Num("tree-runs", gate.tree_runs));
    gate.run_reduction = static_cast<float>(args.Num("runs", gate.run_reduction));
    gate.threshold = static_cast<float>(args.Num("threshold", gate.threshold));
    gate.gain = static_cast<float>(args.Num("gain", gate.gain));
    gate.wear_feature = static_cast<int>(args.Num("wear-feature", gate.wear_feature));
    gate.kw = static_cast<int>(args.Num("kw", gate.kw));
    gate.ks = static_cast<int>(args.Num("ks", gate.ks));
    gate.space_feature = static_cast<int>(args.Num("space-feature", gate.space_feature));
    gate.space_threshold = static_cast<float>(args.Num("space-threshold", gate.space_threshold));
    gate.wear_threshold = static_cast<float>(args.Num("wear-threshold", gate.wear_threshold));
    auto unit_ok = [&](int u) { return u >= 0 && u < h1; };
    const int wear_unit = gate.wear_feature >= 0 ? gate.kw : -1;
    const int space_unit = gate.space_feature >= 0 ? gate.ks : -1;
    if (!unit_ok(gate.k) || gate.m < 0 || gate.m >= h2 ||
        (wear_unit >= 0 && (!unit_ok(wear_unit) || wear_unit == gate.k)) ||
        (space_unit >= 0 && (!unit_ok(space_unit) || space_unit == gate.k || space_unit == wear_unit)) ||
        gate.wear_feature >= kCandidateFeatures || gate.space_feature >= kCandidateFeatures) {
      std::fprintf(stderr,
                   "--k, --kw and --ks must be distinct and below %d, --m below %d, "
                   "--wear-feature and --space-feature below %d\n",
                   h1, h2, kCandidateFeatures);
      return 1;
    }
    GraftDialGates(shape, gate, &genome);
  }
  if (args.Has("scan-unit")) {
    // The scan gate: first-layer unit U computes
    //   relu(A * scan rate + B * total runs + D * (read - wear) - 7 * wait - T)
    // (--scan-weight A --scan-runs B --scan-dial D --scan-threshold T) and feeds the dial gates' second-layer unit, so that on
    // a workload that scans, and once the tree holds enough runs, every
    // compaction scores higher against waiting.
    const int unit = static_cast<int>(args.Num("scan-unit", -1));
    const int m = static_cast<int>(args.Num("m", DialGates{}.m));
    if (unit < 0 || unit >= h1 || m < 0 || m >= h2) {
      std::fprintf(stderr, "--scan-unit must be below %d, --m below %d\n", h1, h2);
      return 1;
    }
    GenomeRef r(shape, &genome);
    for (int i = 0; i < r.inputs(); ++i) r.w1(unit, i) = 0;
    for (int j = 0; j < r.hidden2(); ++j) r.w2(j, unit) = 0;
    r.w2(m, unit) = 1;
    const float dial = static_cast<float>(args.Num("scan-dial", 0));
    r.w1(unit, 1) = dial;  // read
    r.w1(unit, 0) = -dial;  // wear
    r.w1(unit, 9) = static_cast<float>(args.Num("scan-weight", 2));
    r.w1(unit, 4) = static_cast<float>(args.Num("scan-runs", 1));
    r.w1(unit, kGlobalFeatures + 0) = -7;  // never "wait"
    r.b1(unit) = -static_cast<float>(args.Num("scan-threshold", 300));
  }
  std::printf("%-12s %-10s %8s %8s %8s %8s\n", "genome", "dial", "wa", "reads", "sa", "cost");
  for (int which = 0; which < 2; ++which) {
    std::shared_ptr<const PolicyModel> m = as_model(which == 0 ? start : genome);
    for (int d = 0; d < kNumDials; ++d) {
      SuiteFigures f = RunSuite(set, m, kDials[d]);
      char dial[32];
      std::snprintf(dial, sizeof(dial), "%d/%d/%d", kDials[d].wear, kDials[d].read, kDials[d].space);
      std::printf("%-12s %-10s %8.4f %8.4f %8.4f %8.4f\n", which == 0 ? "model" : "prepared", dial,
                  f.wa, f.rc, f.sa, f.cost);
    }
  }
  if (args.Has("objective")) {
    // Per workload at one dial: the model with rates zeroed against the
    // prepared genome.
    ObjectiveDial d;
    if (!DialArg(args, &d)) return 1;
    std::vector<float> plain = start;
    if (!args.Has("keep-rates")) ZeroRateWeights(shape, &plain);
    std::shared_ptr<const PolicyModel> a = as_model(plain), b = as_model(genome);
    for (const TrainWorkload& w : set) {
      SimResult ra = RunModel(w, a, d), rb = RunModel(w, b, d);
      std::printf("  %-44s wa %.2f -> %.2f  reads %.2f -> %.2f  cost %.2f -> %.2f\n", w.name.c_str(),
                  ra.WriteAmp(), rb.WriteAmp(), ra.ReadCost(), rb.ReadCost(),
                  ra.Cost(d.wear, d.read, d.space), rb.Cost(d.wear, d.read, d.space));
    }
  }
  if (args.Has("out")) {
    PolicyModel out;
    s = GenomeToModel(shape, genome, &out);
    if (s.ok()) s = WriteStringToFile(Env::Default(), EncodePolicyModel(out), args.Get("out", ""), true);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    std::printf("wrote %s\n", args.Get("out", "").c_str());
  }
  return 0;
}

// Merges as much as it can at every decision: of the candidates the
// learned policy would see (policy/features.h), the one with the most
// input runs (then whole runs). What a policy that never minds its writes
// reads: the low end of read cost and space for "ideal" (SimulateSuite).
class EagerPicker final : public CompactionPicker {
 public:
  explicit EagerPicker(const Options& options) : limits_(PolicyLimitsFor(options)) {}
  const char* Name() const override { return "eager"; }
  bool Pick(const TreeShape& tree, const WorkloadStats& stats, CompactionRequest* request) override {
    BuildDecisionInput(tree, stats, limits_, ObjectiveDial{}, &input_);
    size_t best = 0, best_runs = 0, best_whole = 0;
    for (size_t c = 1; c < input_.candidates.size(); ++c) {
      const CompactionRequest& r = input_.candidates[c].request;
      size_t whole = 0;
      for (const CompactionInputRun& in : r.inputs) whole += in.file_numbers.empty() ? 1 : 0;
      if (r.inputs.size() > best_runs || (r.inputs.size() == best_runs && whole > best_whole)) {
        best = c;
        best_runs = r.inputs.size();
        best_whole = whole;
      }
    }
    if (best == 0 || best_runs < 2) return false;
    *request = input_.candidates[best].request;
    return true;
  }

 private:
  const PolicyLimits limits_;
  DecisionInput input_;
};

int SimulateSuite(const Args& args) {
  const double scale = args.Num("scale", 1.0);
  std::shared_ptr<const PolicyModel> model;
  Status ls = LoadModelArg(args, "model", &model);
  if (!ls.ok()) {
    std::fprintf(stderr, "%s\n", ls.ToString().c_str());
    if (args.Has("model")) return 1;
  }
  CostModel cm = Calibrate(BaseOptions(), 100);
  std::printf("cost model (100-byte values): memtable overhead %.1f B/entry; sst file %.0f B + "
              "%.2f B/entry + %.3f B/value byte, tombstone %.2f B, %.2f B less for a value with a "
              "put neighbour in its block; files cut at %.0f modeled B\n",
              cm.mem_overhead, cm.file_base, cm.value_entry, cm.value_byte, cm.tombstone,
              cm.in_order_saving, cm.split_bytes);
  auto print_spread = [](const char* what, const std::vector<std::pair<double, double>>& t) {
    std::printf("  spread of %s differences (mean bits: bytes per value):", what);
    for (const auto& [bits, extra] : t) std::printf(" %.1f:%+.2f", bits, extra);
    std::printf("\n");
  };
  print_spread("sequence", cm.seq_extra);
  print_spread("key", cm.key_extra);
  std::printf("%-46s %-24s %8s %8s %8s %8s %8s\n", "workload", "picker", "wa", "reads", "sa", "cost",
              "sim s");
  ObjectiveDial dial = kDials[0];
  if (!DialArg(args, &dial)) return 1;
  const std::vector<std::pair<std::string, Options>> statics = StaticSettings();
  std::vector<double> sums(statics.size() + 1, 0.0);
  double worst = 0, ideal_sum = 0, hybrid_sum = 0;
  std::vector<TrainWorkload> suite;
  if (args.Has("training-suite")) {
    // --training-suite SEED: a training suite instead (for choices that
    // must not be made on the evaluation suite).
    suite = TrainingWorkloads(static_cast<uint64_t>(args.Num("training-suite", 3)), scale);
  } else {
    for (auto& [name, ops] : EvalWorkloads(scale)) suite.push_back({name, std::move(ops), 100});
  }
  for (const TrainWorkload& w : suite) {
    const std::string& name = w.name;
    double best = 1e300, learned = 0;
    for (size_t p = 0; p <= statics.size(); ++p) {
      if (p == statics.size() && !model) continue;
      auto t = std::chrono::steady_clock::now();
      // --trace WORKLOAD: every compaction each picker makes on it.
      const char* label = p < statics.size() ? statics[p].first.c_str() : "learned";
      const char* trace = name == args.Get("trace", "") ? label : nullptr;
      SimResult r = p < statics.size() ? RunStatic(w, statics[p].second.compaction, dial,
                                                   &statics[p].second, trace)
                                       : RunModel(w, model, dial, trace);
      const double cost = r.Cost(dial.wear, dial.read, dial.space);
      sums[p] += cost;
      if (p < statics.size()) best = std::min(best, cost);
      if (p == statics.size()) learned = cost;
      std::printf("%-46s %-24s %8.2f %8.2f %8.2f %8.2f %8.3f\n", name.c_str(),
                  p < statics.size() ? statics[p].first.c_str() : "learned", r.WriteAmp(),
                  r.ReadCost(), r.SpaceAmp(), cost, Seconds(t));
    }
    if (model && args.Has("hybrid")) {
      SimResult r = RunHybrid(w, model, dial, static_cast<int>(args.Num("hybrid-guard", 24)),
                              args.Num("hybrid-share", 0.05));
      const double cost = r.Cost(dial.wear, dial.read, dial.space);
      std::printf("%-46s %-24s %8.2f %8.2f %8.2f %8.2f   (%+.1f%% vs the best static)\n", name.c_str(),
                  "hybrid", r.WriteAmp(), r.ReadCost(), r.SpaceAmp(), cost, 100 * (cost / best - 1));
      hybrid_sum += cost;
    }
    if (model) worst = std::max(worst, learned / best);
    // The ideal point: the bytes of a tree that never compacts (the WAL,
    // the flushes and the manifest) with the read cost and space of one
    // that merges as much as it can at every decision. No policy writes
    // less than the first or, to a close approximation, reads less than
    // the second, so its cost estimates the floor under every policy.
    {
      SimConfig c = ConfigFor(w, dial);
      EagerPicker eager(c.options);
      const SimResult r = Simulate(c, &eager, w.ops);
      const double floor_wa = static_cast<double>(r.wal_bytes + r.flush_bytes + r.manifest_bytes) /
                              static_cast<double>(std::max<uint64_t>(1, r.user_bytes));
      const double ideal = dial.wear * floor_wa + dial.read * r.ReadCost() + dial.space * (r.SpaceAmp() - 1);
      ideal_sum += ideal;
      std::printf("%-46s %-24s %8.2f %8.2f %8.2f %8.2f   (%+.1f%% vs the best static)\n", name.c_str(),
                  "ideal point", floor_wa, r.ReadCost(), r.SpaceAmp(), ideal, 100 * (ideal / best - 1));
    }
  }
  std::printf("summed ideal point %.2f\n", ideal_sum);
  if (hybrid_sum > 0) std::printf("summed hybrid %.2f\n", hybrid_sum);
  std::printf("summed cost:");
  for (size_t p = 0; p < statics.size(); ++p) std::printf("  %s %.2f", statics[p].first.c_str(), sums[p]);
  if (model) {
    double best_sum = 1e300;
    for (size_t p = 0; p < statics.size(); ++p) best_sum = std::min(best_sum, sums[p]);
    std::printf("  learned %.2f (%+.1f%% vs the best static; worst workload %+.1f%%)",
                sums[statics.size()], 100 * (sums[statics.size()] / best_sum - 1), 100 * (worst - 1));
  }
  std::printf("\n");
  return 0;
}

// Every static rule of the tiered family (max_runs_per_level 4..10, size
// ratio 20..200%, space amplification 100..400%) and of the leveled one
// (multiplier 4..10), on the evaluation suite: the best single setting by
// summed cost, and the best setting of each workload, as a policy that
// knew each workload in advance and picked the static rule for it would.
// With --model, the learned policy beside them.
int Sweep(const Args& args) {
  const double scale = args.Num("scale", 1.0);
  const int threads = std::max(1, static_cast<int>(args.Num("threads", 2)));
  std::shared_ptr<const PolicyModel> model;
  if (args.Has("model") && !LoadModelFlag(args, "model", &model)) return 1;
  ObjectiveDial dial = kDials[0];
  if (!DialArg(args, &dial)) return 1;
  std::vector<std::pair<std::string, Options>> settings;
  for (int runs : {4, 6, 8, 10, 12, 16, 24}) {
    for (int ratio : {0, 20, 50, 100, 200}) {
      for (int space : {100, 200, 400}) {
        Options o = BaseOptions();
        o.compaction = CompactionStyle::kTiered;
        o.max_runs_per_level = runs;
        o.tiered_size_ratio_percent = ratio;
        o.max_space_amplification_percent = space;
        settings.emplace_back("tiered:runs=" + std::to_string(runs) + ",ratio=" +
                                  std::to_string(ratio) + ",space=" + std::to_string(space),
                              o);
      }
    }
  }
  for (int mult : {4, 6, 8, 10}) {
    Options o = BaseOptions();
    o.compaction = CompactionStyle::kLeveled;
    o.leveled_multiplier = mult;
    settings.emplace_back("leveled:mult=" + std::to_string(mult), o);
  }
  const auto workloads = EvalWorkloads(scale);
  // costs[w][s]: workload w under setting s (the last column the model's).
  const size_t columns = settings.size() + (model ? 1 : 0);
  std::vector<std::vector<double>> costs(workloads.size(), std::vector<double>(columns, 0));
  std::atomic<size_t> next{0};
  auto work = [&]() {
    for (size_t job; (job = next.fetch_add(1)) < workloads.size() * columns;) {
      const size_t w = job / columns, s = job % columns;
      TrainWorkload tw{workloads[w].first, workloads[w].second, 100};
      const SimResult r = s < settings.size()
                              ? RunStatic(tw, settings[s].second.compaction, dial, &settings[s].second)
                              : RunModel(tw, model, dial);
      costs[w][s] = r.Cost(dial.wear, dial.read, dial.space);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  for (std::thread& t : pool) t.join();

  size_t best_single = 0;
  std::vector<double> sums(columns, 0);
  for (size_t s = 0; s < columns; ++s) {
    for (size_t w = 0; w < workloads.size(); ++w) sums[s] += costs[w][s];
    if (s < settings.size() && sums[s] < sums[best_single]) best_single = s;
  }
  std::printf("%-46s %-34s %8s %-34s %8s %8s\n", "workload", "best single setting", "cost",
              "best setting for the workload", "cost", "vs");
  double per_workload_sum = 0;
  for (size_t w = 0; w < workloads.size(); ++w) {
    size_t b = 0;
    for (size_t s = 1; s < settings.size(); ++s) {
      if (costs[w][s] < costs[w][b]) b = s;
    }
    per_workload_sum += costs[w][b];
    std::printf("%-46s %-34s %8.2f %-34s %8.2f %+7.1f%%", workloads[w].first.c_str(),
                settings[best_single].first.c_str(), costs[w][best_single],
                settings[b].first.c_str(), costs[w][b],
                100 * (costs[w][b] / costs[w][best_single] - 1));
    if (model) {
      std::printf("  learned %.2f (%+.1f%%)", costs[w][settings.size()],
                  100 * (costs[w][settings.size()] / costs[w][best_single] - 1));
    }
    std::printf("\n");
  }
  std::printf("summed over %zu settings: best single %s %.2f; best setting per workload %.2f "
              "(%+.1f%%)",
              settings.size(), settings[best_single].first.c_str(), sums[best_single],
              per_workload_sum, 100 * (per_workload_sum / sums[best_single] - 1));
  if (model) {
    std::printf("; learned %.2f (%+.1f%%)", sums[settings.size()],
                100 * (sums[settings.size()] / sums[best_single] - 1));
  }
  std::printf("\n");
  return 0;
}

int Oracle(const Args& args) {
  std::shared_ptr<const PolicyModel> model;
  if (!LoadModelFlag(args, "model", &model)) return 1;
  ObjectiveDial dial = kDials[0];
  if (!DialArg(args, &dial)) return 1;
  RolloutOptions ro;
  ro.alternatives = static_cast<int>(args.Num("alternatives", ro.alternatives));
  ro.threads = std::max(1, static_cast<int>(args.Num("threads", ro.threads)));
  ro.passes = std::max(1, static_cast<int>(args.Num("passes", ro.passes)));
  const std::string only = args.Get("workload", "");
  const std::vector<std::pair<std::string, Options>> statics = StaticSettings();
  if (args.Has("bases")) ro.bases = statics;
  std::printf("%-46s %10s %8s %8s %8s %8s %9s %8s %7s %7s\n", "workload", "best static", "cost",
              "model", "vs best", "rollout", "vs best", "changed", "trials", "sim s");
  double sum_best = 0, sum_model = 0, sum_rollout = 0;
  std::vector<double> sums(statics.size(), 0.0);
  for (auto& [name, ops] : EvalWorkloads(args.Num("scale", 1.0))) {
    if (!only.empty() && name.find(only) == std::string::npos) continue;
    TrainWorkload w{name, ops, 100};
    const std::vector<double> costs = StaticCosts(w, dial, statics);
    for (size_t p = 0; p < statics.size(); ++p) sums[p] += costs[p];
    const size_t best_i = static_cast<size_t>(std::min_element(costs.begin(), costs.end()) - costs.begin());
    const double best = costs[best_i];
    auto t = std::chrono::steady_clock::now();
    RolloutResult r = Rollout(ConfigFor(w, dial), model, dial, ops, ro);
    sum_best += best;
    sum_model += r.model_cost;
    sum_rollout += r.rollout_cost;
    std::printf("%-46s %-22s %8.2f %8.2f %+7.1f%% %8.2f %+8.1f%% %4d/%-4d %7d %7.0f\n", name.c_str(),
                statics[best_i].first.c_str(), best, r.model_cost, 100 * (r.model_cost / best - 1),
                r.rollout_cost, 100 * (r.rollout_cost / best - 1), r.changed, r.decisions, r.trials,
                Seconds(t));
    std::printf("%-46s rollout: wa %.2f reads %.2f sa %.2f; %d of the changes to wait", "",
                r.rollout.WriteAmp(), r.rollout.ReadCost(), r.rollout.SpaceAmp(), r.changed_to_wait);
    if (!ro.bases.empty()) {
      const double base_best = *std::min_element(r.base_costs.begin(), r.base_costs.end());
      std::printf("; %d decisions by a base; best base alone under the learned guardrail %.2f",
                  r.by_base, base_best);
    }
    std::printf("; %d passes\n", r.passes);
    if (args.Has("verbose")) {
      for (const RolloutChange& c : r.changes) {
        std::printf("%-46s   decision %d at %.3f s: model %s -> %s (run cost %.3f)\n", "", c.decision,
                    c.seconds, c.own.c_str(), c.kept.c_str(), c.cost_after);
      }
    }
    std::fflush(stdout);
  }
  const double best_single = *std::min_element(sums.begin(), sums.end());
  std::printf("summed: best single static %.2f, per-workload best static %.2f, model %.2f (%+.1f%%), "
              "rollout %.2f (%+.1f%% vs the best single static)\n",
              best_single, sum_best, sum_model, 100 * (sum_model / best_single - 1), sum_rollout,
              100 * (sum_rollout / best_single - 1));
  return 0;
}

}  // namespace
}  // namespace firn::trainer

int main(int argc, char** argv) {
  using namespace firn::trainer;
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: firn-trainer train --seed N --out model.bin [--inc FILE] [--minutes M]\n"
                 "                          [--generations G] [--population P] [--threads T]\n"
                 "                          [--scale S] [--trace FILE [--trace-only]]\n"
                 "                          [--start builtin|MODEL_FILE] [--suites N]\n"
                 "                          [--dial-checks N] [--freeze-gates [--train-rates]]\n"
                 "                          [--freeze-unit U] [--max-step S]\n"
                 "                          [--default-dial] [--worse-penalty W]\n"
                 "                          [--worse-margin M] [--varied-mixes]\n"
                 "                          [--imitate ROUNDS\n"
                 "                          [--alternatives K] [--imitate-generations G]\n"
                 "                          [--imitate-soft W] [--imitate-temperature T]\n"
                 "                          [--imitate-dials N]]\n"
                 "       firn-trainer export --model FILE --inc FILE\n"
                 "       firn-trainer migrate --model SCHEMA1_FILE --out FILE\n"
                 "       firn-trainer validate [--scale S] [--quick] [--inline | --measured] [--seeds N] [--trace S]\n"
                 "                             [--model builtin|FILE]\n"
                 "       firn-trainer simulate [--scale S] [--model FILE] [--objective DIAL]\n"
                 "                             [--trace WORKLOAD] [--training-suite SEED]\n"
                 "                             [--hybrid [--hybrid-share S] [--hybrid-guard R]]\n"
                 "       firn-trainer graft [--model FILE] --out FILE [--no-gate] [--keep-rates]\n"
                 "                          [--scan-unit U --scan-weight A --scan-runs B\n"
                 "                           --scan-dial D --scan-threshold T]\n"
                 "                          [--k K --m M --dial W --scan W --tree-runs W --runs W\n"
                 "                           --threshold T --gain G --kw K --wear-feature F\n"
                 "                           --wear-threshold T --ks K --space-feature F\n"
                 "                           --space-threshold T] [--objective DIAL]\n"
                 "       firn-trainer graft [--model FILE] --ablate\n"
                 "       firn-trainer oracle [--model FILE] [--scale S] [--alternatives K]\n"
                 "                           [--threads T] [--workload S] [--objective DIAL]\n"
                 "                           [--verbose] [--bases] [--passes N]\n"
                 "       firn-trainer sweep [--model FILE] [--scale S] [--threads T]\n"
                 "                          [--objective DIAL]\n"
                 "train, simulate, oracle and sweep also take --policy-runs N and --timing ...\n");
    return 1;
  }
  std::string cmd = argv[1];
  Args args = ParseArgs(argc, argv, 2);
  std::string command = "firn-trainer";
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  if (!TimingArg(args)) return 1;
  g_policy_runs = static_cast<int>(args.Num("policy-runs", 0));
  if (g_policy_runs < 0 || g_policy_runs > 64) {
    std::fprintf(stderr, "--policy-runs: %d is not in [0, 64]\n", g_policy_runs);
    return 1;
  }
  if (cmd == "train") return Train(args, command);
  if (cmd == "validate") return Validate(args);
  if (cmd == "simulate") return SimulateSuite(args);
  if (cmd == "export") return Export(args, command);
  if (cmd == "migrate") return Migrate(args);
  if (cmd == "graft") return Graft(args);
  if (cmd == "oracle") return Oracle(args);
  if (cmd == "sweep") return Sweep(args);
  std::fprintf(stderr, "unknown command '%s'\n", cmd.c_str());
  return 1;
}
