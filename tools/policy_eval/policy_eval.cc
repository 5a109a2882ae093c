// tools/policy_eval/policy_eval.cc: firn-policy-eval, the learned
// compaction policy against static settings in the real engine.
//
//   firn-policy-eval [--quick] [--csv] [--scale S] [--model FILE] [--verbose]
//                    [--workload SUBSTRING] [--repeat N] [--dial-sweep] [--inline]
//                    [--objective wear=2,read=1,space=1] [--learned-runs N]
//                    [--static tiered:runs=R,ratio=P,space=S | leveled:mult=M]...
//
// Policies: learned (its max_runs_per_level N with --learned-runs), tiered
// and leveled at their RocksDB-like defaults, the tuned settings
// tiered:runs=6,ratio=50, leveled:mult=4, tiered:runs=10 and
// tiered:runs=24 (the best single settings of `firn-trainer sweep` and of
// the engine), and each --static setting.
//
// Runs every workload of the evaluation suite (tools/trainer/workload.h:
// seeds, mixes and phase orders disjoint from training) through DB::Open on
// an in-memory Env once per policy, and prints per workload and policy:
// device bytes written per user byte, space amplification (averaged over
// the run, and at the end: file bytes / file bytes after a full
// compaction; engine_run.h), data blocks read per get and per scan,
// throughput, the slowest single write, and the composite cost the dial
// defines (read term: blocks per get), also relative to tiered, and the
// same cost with the simulator's read term (blocks per get or scan); each figure is the mean of --repeat
// runs (default 3). --quick runs a smaller suite. --dial-sweep runs only
// the learned policy, once per dial, and prints its write amplification,
// blocks per get, per scan and per read (get or scan), and space
// amplification per dial and workload and averaged over the suite
// (turning the dial toward wear should lower the first, toward read the
// blocks per read, toward space the last). --inline runs every flush and
// compaction in the writer's thread after each write (RunEngine's
// inline_worker) instead of on the background thread: the figures then
// do not depend on the machine's timing, and one run gives them all
// (--repeat defaults to 1).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include "policy/features.h"
#include "tools/trainer/engine_run.h"
#include "tools/trainer/key_values.h"
#include "tools/trainer/sim.h"
#include "tools/trainer/workload.h"

namespace firn::trainer {
namespace {

struct Policy {
  std::string name;
  Options options;
};

// The mean of several runs of one policy on one workload (the engine's
// background thread makes single runs vary by up to 15%).
struct Summary {  // cost: the composite cost under the run's dial; cost_scans: the same
                  // with the scans' blocks in the read term
  double wa = 0, sa = 0, sa_end = 0, ops_per_sec = 0, max_write_ms = 0, cost = 0, cost_scans = 0;
  double blocks = 0, scan_blocks = 0, read_blocks = 0;  // per get, per scan, per get or scan
  double files = 0;  // files probed per get (filters consulted), not in the cost
  double flushes = 0, compactions = 0, trivial_moves = 0, overrides = 0, stalls = 0;
  double wal_mb = 0, sst_mb = 0;
};

Summary Summarize(const std::vector<EngineResult>& runs, const ObjectiveDial& dial) {
  Summary m;
  const double n = static_cast<double>(runs.size());
  for (const EngineResult& r : runs) {
    m.wa += r.WriteAmp() / n;
    m.sa += r.SpaceAmp() / n;
    m.sa_end += r.EndSpaceAmp() / n;
    m.blocks += r.BlocksPerGet() / n;
    m.files += r.FilesPerGet() / n;
    m.scan_blocks += r.BlocksPerScan() / n;
    m.read_blocks += r.BlocksPerRead() / n;
    m.ops_per_sec += r.OpsPerSecond() / n;
    m.max_write_ms = std::max(m.max_write_ms, r.max_write_micros / 1000);
    m.cost += r.Cost(dial.wear, dial.read, dial.space) / n;
    m.cost_scans += r.CostWithScans(dial.wear, dial.read, dial.space) / n;
    m.flushes += static_cast<double>(r.flushes) / n;
    m.compactions += static_cast<double>(r.compactions) / n;
    m.trivial_moves += static_cast<double>(r.trivial_moves) / n;
    m.overrides += static_cast<double>(r.guardrail_overrides) / n;
    m.stalls += static_cast<double>(r.write_stalls) / n;
    m.wal_mb += static_cast<double>(r.wal_bytes) / 1048576.0 / n;
    m.sst_mb += static_cast<double>(r.sst_bytes) / 1048576.0 / n;
  }
  return m;
}

// One cost summed over the suite per policy, and the learned policy's
// (index 0) worst workload against that workload's best static setting
// (indexes 1..).
struct CostTally {
  explicit CostTally(size_t policies) : sum(policies, 0.0) {}
  // cost[p]: policy p's cost on `workload`.
  void Add(const std::string& workload, const std::vector<double>& cost) {
    double best_static = 1e300;
    for (size_t p = 1; p < cost.size(); ++p) best_static = std::min(best_static, cost[p]);
    if (cost[0] / best_static > worst) {
      worst = cost[0] / best_static;
      worst_workload = workload;
    }
    for (size_t p = 0; p < cost.size(); ++p) sum[p] += cost[p];
  }
  // Prints the sums and the learned policy against the best single static
  // setting.
  void Print(const std::vector<Policy>& policies, const char* label) const {
    size_t best = 1;
    for (size_t p = 2; p < sum.size(); ++p) {
      if (sum[p] < sum[best]) best = p;
    }
    std::printf("%s:", label);
    for (size_t p = 0; p < sum.size(); ++p) std::printf("  %s %.2f", policies[p].name.c_str(), sum[p]);
    std::printf("\nlearned vs the best single static setting (%s): %+.1f%% summed; worst workload "
                "%s at %+.1f%% of that workload's best static\n",
                policies[best].name.c_str(), 100 * (sum[0] / sum[best] - 1),
                worst_workload.c_str(), 100 * (worst - 1));
  }

  std::vector<double> sum;
  double worst = 0;
  std::string worst_workload;
};

// The evaluation suite's workloads whose names contain `only`, with
// their operations.
std::vector<std::pair<std::string, std::vector<Op>>> SuiteOps(double scale, const std::string& only) {
  std::vector<std::pair<std::string, std::vector<Op>>> r;
  for (const WorkloadSpec& spec : EvaluationSuite(scale)) {
    if (!only.empty() && spec.name.find(only) == std::string::npos) continue;
    std::unique_ptr<Workload> w = NewWorkload(spec);
    std::vector<Op> ops;
    Op op;
    while (w->Next(&op)) ops.push_back(op);
    r.emplace_back(spec.name, std::move(ops));
  }
  return r;
}

bool g_inline = false;  // --inline: RunEngine's inline_worker

// Runs `ops` `repeat` times and averages (Summarize); false after
// printing the error.
bool RunRepeated(const Options& options, const std::vector<Op>& ops, const std::string& model,
                 int repeat, const ObjectiveDial& dial, const std::string& what, Summary* out) {
  std::vector<EngineResult> runs(static_cast<size_t>(repeat));
  for (EngineResult& run : runs) {
    Status s = RunEngine(options, ops, model, &run, g_inline);
    if (!s.ok()) {
      std::fprintf(stderr, "%s: %s\n", what.c_str(), s.ToString().c_str());
      return false;
    }
  }
  *out = Summarize(runs, dial);
  return true;
}

int DialSweep(double scale, int repeat, const std::string& model, const std::string& only) {
  const char* kSweep[] = {"wear=4,read=1,space=1", "wear=2,read=1,space=1", "wear=1,read=1,space=1",
                          "wear=1,read=4,space=1", "wear=1,read=1,space=4"};
  std::printf("%-44s %-22s %7s %7s %8s %8s %6s\n", "workload", "dial", "dev/usr", "blk/get",
              "blk/scan", "blk/read", "sa avg");
  std::vector<Summary> mean(std::size(kSweep));
  int workloads = 0;
  for (const auto& [name, ops] : SuiteOps(scale, only)) {
    for (size_t d = 0; d < std::size(kSweep); ++d) {
      ObjectiveDial dial;
      ParseObjectiveDial(kSweep[d], &dial).IgnoreError();
      Options o = BaseOptions();
      o.compaction = CompactionStyle::kLearned;
      o.policy_objective = kSweep[d];
      Summary m;
      if (!RunRepeated(o, ops, model, repeat, dial, name + " / " + kSweep[d], &m)) return 1;
      std::printf("%-44s %-22s %7.3f %7.3f %8.3f %8.3f %6.3f\n", name.c_str(), kSweep[d], m.wa,
                  m.blocks, m.scan_blocks, m.read_blocks, m.sa);
      mean[d].wa += m.wa;
      mean[d].blocks += m.blocks;
      mean[d].scan_blocks += m.scan_blocks;
      mean[d].read_blocks += m.read_blocks;
      mean[d].sa += m.sa;
    }
    std::fflush(stdout);
    workloads++;
  }
  for (size_t d = 0; d < std::size(kSweep); ++d) {
    std::printf("%-44s %-22s %7.3f %7.3f %8.3f %8.3f %6.3f\n", "suite mean", kSweep[d],
                mean[d].wa / workloads, mean[d].blocks / workloads, mean[d].scan_blocks / workloads,
                mean[d].read_blocks / workloads, mean[d].sa / workloads);
  }
  return 0;
}

// "tiered:runs=R,ratio=P,space=S" or "leveled:mult=M" (any subset of the
// keys) into *o's compaction style and the options the keys name; false
// for anything else, or a value out of the option's range.
bool ParseStaticSetting(const std::string& spec, Options* o) {
  const size_t colon = spec.find(':');
  const std::string style = spec.substr(0, colon);
  if (style == "tiered") {
    o->compaction = CompactionStyle::kTiered;
  } else if (style == "leveled") {
    o->compaction = CompactionStyle::kLeveled;
  } else {
    return false;
  }
  if (colon == std::string::npos) return true;
  const bool tiered = o->compaction == CompactionStyle::kTiered;
  return ForEachKeyValue(spec.substr(colon + 1), [&](const std::string& key,
                                                     const std::string& value) {
    char* rest = nullptr;
    const long v = std::strtol(value.c_str(), &rest, 10);
    if (rest == value.c_str() || *rest != '\0') return false;
    if (tiered && key == "runs" && v >= 1 && v <= 64) {
      o->max_runs_per_level = static_cast<int>(v);
    } else if (tiered && key == "ratio" && v >= 0 && v <= 1000) {
      o->tiered_size_ratio_percent = static_cast<int>(v);
    } else if (tiered && key == "space" && v >= 10 && v <= 10000) {
      o->max_space_amplification_percent = static_cast<int>(v);
    } else if (!tiered && key == "mult" && v >= 2 && v <= 100) {
      o->leveled_multiplier = static_cast<int>(v);
    } else {
      return false;
    }
    return true;
  });
}

int Main(int argc, char** argv) {
  bool quick = false, csv = false, verbose = false;
  bool sweep = false;  // the learned policy under several dials
  int repeat = 0;     // runs per policy and workload, averaged (0: 3, or 1 inline)
  int learned_runs = 0;  // the learned policy's max_runs_per_level (0 = default)
  std::vector<std::string> extra;  // --static SPEC: more static settings
  std::string only;  // run only workloads whose name contains this
  double scale = 1.0;
  std::string model, objective = "wear=2,read=1,space=1";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--quick") {
      quick = true;
    } else if (a == "--csv") {
      csv = true;
    } else if (a == "--scale") {
      scale = std::atof(value().c_str());
    } else if (a == "--model") {
      model = value();
    } else if (a == "--objective") {
      objective = value();
    } else if (a == "--workload") {
      only = value();
    } else if (a == "--repeat") {
      repeat = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--learned-runs") {
      learned_runs = std::atoi(value().c_str());
      if (learned_runs < 1 || learned_runs > 64) {
        std::fprintf(stderr, "--learned-runs: give a number of runs in [1, 64]\n");
        return 1;
      }
    } else if (a == "--static") {
      extra.push_back(value());
    } else if (a == "--dial-sweep") {
      sweep = true;
    } else if (a == "--verbose") {
      verbose = true;
    } else if (a == "--inline") {
      g_inline = true;
    } else {
      std::fprintf(stderr,
                   "usage: firn-policy-eval [--quick] [--csv] [--scale S] [--model FILE]\n"
                   "                        [--objective wear=2,read=1,space=1]\n"
                   "                        [--workload SUBSTRING] [--verbose] [--repeat N]\n"
                   "                        [--dial-sweep] [--learned-runs N] [--inline]\n"
                   "                        [--static tiered:runs=R,ratio=P,space=S |\n"
                   "                                  leveled:mult=M] ...\n");
      return 1;
    }
  }
  if (quick) scale = 0.12;
  if (repeat == 0) repeat = g_inline ? 1 : 3;
  ObjectiveDial dial;
  Status s = ParseObjectiveDial(objective, &dial);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  if (sweep) return DialSweep(scale, repeat, model, only);
  std::vector<Policy> policies;
  Options base = BaseOptions();
  base.policy_objective = objective;
  auto add = [&](const std::string& name, CompactionStyle style, int runs, int ratio, int mult) {
    Policy p{name, base};
    p.options.compaction = style;
    if (runs) p.options.max_runs_per_level = runs;
    if (ratio >= 0) p.options.tiered_size_ratio_percent = ratio;
    if (mult) p.options.leveled_multiplier = mult;
    policies.push_back(p);
  };
  add(learned_runs ? "learned:runs=" + std::to_string(learned_runs) : std::string("learned"),
      CompactionStyle::kLearned, learned_runs, -1, 0);
  add("tiered", CompactionStyle::kTiered, 0, -1, 0);
  add("leveled", CompactionStyle::kLeveled, 0, -1, 0);
  add("tiered:runs=6,ratio=50", CompactionStyle::kTiered, 6, 50, 0);
  add("leveled:mult=4", CompactionStyle::kLeveled, 0, -1, 4);
  // The best single settings of `firn-trainer sweep` (2026-11-28) and of
  // the engine runs that checked it: tiered with more runs per level.
  add("tiered:runs=10", CompactionStyle::kTiered, 10, -1, 0);
  add("tiered:runs=24", CompactionStyle::kTiered, 24, -1, 0);
  for (const std::string& spec : extra) {
    Policy p{spec, base};
    if (!ParseStaticSetting(spec, &p.options)) {
      std::fprintf(stderr,
                   "--static '%s': give tiered:runs=R,ratio=P,space=S or leveled:mult=M "
                   "(any subset of the keys)\n",
                   spec.c_str());
      return 1;
    }
    policies.push_back(p);
  }

  if (csv) {
    std::printf("workload,policy,device_per_user,space_amp,space_amp_end,blocks_per_get,"
                "blocks_per_scan,ops_per_sec,max_write_ms,cost,cost_vs_tiered,cost_with_scans,"
                "files_per_get\n");
  } else {
    std::printf("objective %s; cost = wear*wa + read*blocks/get + space*(sa-1); cost+s counts\n"
                "the blocks of scans too: read*blocks/(get or scan), the simulator's objective\n",
                objective.c_str());
    std::printf("%-44s %-22s %7s %6s %6s %7s %8s %9s %8s %7s %7s %7s\n", "workload", "policy",
                "dev/usr", "sa avg", "sa end", "blk/get", "blk/scan", "kops/s", "maxw ms", "cost",
                "/tiered", "cost+s");
  }
  std::vector<double> log_ratio_sum(policies.size(), 0.0);
  std::vector<double> files_sum(policies.size(), 0.0);  // files probed per get, summed
  CostTally tally(policies.size()), tally_scans(policies.size());  // cost, cost_scans
  int workloads = 0;
  for (const auto& [name, ops] : SuiteOps(scale, only)) {
    std::vector<Summary> results(policies.size());
    for (size_t p = 0; p < policies.size(); ++p) {
      if (!RunRepeated(policies[p].options, ops, p == 0 ? model : "", repeat, dial,
                       name + " / " + policies[p].name, &results[p])) {
        return 1;
      }
    }
    double tiered = results[1].cost;
    std::vector<double> costs(policies.size()), costs_scans(policies.size());
    for (size_t p = 0; p < policies.size(); ++p) {
      costs[p] = results[p].cost;
      costs_scans[p] = results[p].cost_scans;
    }
    tally.Add(name, costs);
    tally_scans.Add(name, costs_scans);
    for (size_t p = 0; p < policies.size(); ++p) {
      const Summary& r = results[p];
      double cost = r.cost;
      double rel = tiered > 0 ? cost / tiered : 1.0;
      log_ratio_sum[p] += std::log(std::max(1e-9, rel));
      files_sum[p] += r.files;
      if (csv) {
        std::printf("%s,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.0f,%.3f,%.4f,%.4f,%.4f,%.3f\n", name.c_str(),
                    policies[p].name.c_str(), r.wa, r.sa, r.sa_end, r.blocks, r.scan_blocks,
                    r.ops_per_sec, r.max_write_ms, cost, rel, r.cost_scans, r.files);
      } else {
        std::printf("%-44s %-22s %7.2f %6.2f %6.2f %7.2f %8.2f %9.1f %8.2f %7.2f %7.3f %7.2f\n",
                    name.c_str(), policies[p].name.c_str(), r.wa, r.sa, r.sa_end, r.blocks,
                    r.scan_blocks, r.ops_per_sec / 1000, r.max_write_ms, cost, rel, r.cost_scans);
      }
      if (verbose) {
        std::printf("    flushes %.1f compactions %.1f trivial moves %.1f guardrail overrides %.1f "
                    "stalls %.1f; wal %.1f MB sst %.1f MB; files probed per get %.2f\n",
                    r.flushes, r.compactions, r.trivial_moves, r.overrides, r.stalls, r.wal_mb,
                    r.sst_mb, r.files);
      }
    }
    std::fflush(stdout);
    workloads++;
  }
  if (!csv) {
    std::printf("geometric mean of cost / tiered:");
    for (size_t p = 0; p < policies.size(); ++p) {
      std::printf("  %s %.3f", policies[p].name.c_str(), std::exp(log_ratio_sum[p] / workloads));
    }
    std::printf("\n");
    std::printf("files probed per get (bloom filters consulted; not in the cost), mean:");
    for (size_t p = 0; p < policies.size(); ++p) {
      std::printf("  %s %.2f", policies[p].name.c_str(), files_sum[p] / workloads);
    }
    std::printf("\n");
    tally.Print(policies, "summed cost");
    tally_scans.Print(policies, "with scans' blocks in the read term, summed");
  }
  return 0;
}

}  // namespace
}  // namespace firn::trainer

int main(int argc, char** argv) { return firn::trainer::Main(argc, argv); }
