// tools/policy_eval/policy_eval.cc: firn-policy-eval, the learned
// compaction policy against static settings in the real engine.
//
//   firn-policy-eval [--quick] [--csv] [--scale S] [--model FILE]
//                    [--objective wear=2,read=1,space=1]
//
// Runs every workload of the evaluation suite (tools/trainer/workload.h:
// seeds, mixes and phase orders disjoint from training) through DB::Open on
// an in-memory Env once per policy, and prints per workload and policy:
// device bytes written per user byte, space amplification (file bytes at
// the end / file bytes after a full compaction), blocks read per get,
// throughput, the slowest single write, and the composite cost the dial
// defines, also relative to tiered. --quick runs a smaller suite (< 30 s).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "policy/features.h"
#include "tools/trainer/engine_run.h"
#include "tools/trainer/sim.h"
#include "tools/trainer/workload.h"

namespace firn::trainer {
namespace {

struct Policy {
  std::string name;
  Options options;
};

int Main(int argc, char** argv) {
  bool quick = false, csv = false;
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
    } else {
      std::fprintf(stderr,
                   "usage: firn-policy-eval [--quick] [--csv] [--scale S] [--model FILE]\n"
                   "                        [--objective wear=2,read=1,space=1]\n");
      return 1;
    }
  }
  if (quick) scale = 0.12;
  ObjectiveDial dial;
  Status s = ParseObjectiveDial(objective, &dial);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
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
  add("learned", CompactionStyle::kLearned, 0, -1, 0);
  add("tiered", CompactionStyle::kTiered, 0, -1, 0);
  add("leveled", CompactionStyle::kLeveled, 0, -1, 0);
  add("tiered:runs=6,ratio=50", CompactionStyle::kTiered, 6, 50, 0);
  add("leveled:mult=4", CompactionStyle::kLeveled, 0, -1, 4);

  if (csv) {
    std::printf("workload,policy,device_per_user,space_amp,blocks_per_get,ops_per_sec,"
                "max_write_ms,cost,cost_vs_tiered\n");
  } else {
    std::printf("objective %s; costs are wear*wa + read*blocks/get + space*(sa-1)\n",
                objective.c_str());
    std::printf("%-44s %-22s %7s %6s %7s %9s %8s %7s %7s\n", "workload", "policy", "dev/usr",
                "space", "blk/get", "kops/s", "maxw ms", "cost", "/tiered");
  }
  std::vector<double> log_ratio_sum(policies.size(), 0.0);
  int workloads = 0;
  for (const WorkloadSpec& spec : EvaluationSuite(scale)) {
    std::unique_ptr<Workload> w = NewWorkload(spec);
    std::vector<Op> ops;
    Op op;
    while (w->Next(&op)) ops.push_back(op);
    std::vector<EngineResult> results(policies.size());
    for (size_t p = 0; p < policies.size(); ++p) {
      s = RunEngine(policies[p].options, ops, p == 0 ? model : "", &results[p]);
      if (!s.ok()) {
        std::fprintf(stderr, "%s / %s: %s\n", spec.name.c_str(), policies[p].name.c_str(),
                     s.ToString().c_str());
        return 1;
      }
    }
    double tiered = results[1].Cost(dial.wear, dial.read, dial.space);
    for (size_t p = 0; p < policies.size(); ++p) {
      const EngineResult& r = results[p];
      double cost = r.Cost(dial.wear, dial.read, dial.space);
      double rel = tiered > 0 ? cost / tiered : 1.0;
      log_ratio_sum[p] += std::log(std::max(1e-9, rel));
      if (csv) {
        std::printf("%s,%s,%.4f,%.4f,%.4f,%.0f,%.3f,%.4f,%.4f\n", spec.name.c_str(),
                    policies[p].name.c_str(), r.WriteAmp(), r.SpaceAmp(), r.BlocksPerGet(),
                    r.OpsPerSecond(), r.max_write_micros / 1000, cost, rel);
      } else {
        std::printf("%-44s %-22s %7.2f %6.2f %7.2f %9.1f %8.2f %7.2f %7.3f\n", spec.name.c_str(),
                    policies[p].name.c_str(), r.WriteAmp(), r.SpaceAmp(), r.BlocksPerGet(),
                    r.OpsPerSecond() / 1000, r.max_write_micros / 1000, cost, rel);
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
  }
  return 0;
}

}  // namespace
}  // namespace firn::trainer

int main(int argc, char** argv) { return firn::trainer::Main(argc, argv); }
