// Tests of the trainer's hybrid yardstick (tools/trainer/hybrid.h): the
// learned picker, with a static picker deciding while the workload reads.
#include <memory>
#include <vector>

#include "compaction/picker.h"
#include "doctest/doctest.h"
#include "policy/learned_picker.h"
#include "tests/unit/small_sim.h"
#include "tools/trainer/hybrid.h"
#include "tools/trainer/sim.h"
#include "tools/trainer/workload.h"

namespace firn::trainer {
namespace {

double CostOf(const SimConfig& c, CompactionPicker* p, const std::vector<Op>& ops) {
  const ObjectiveDial dial;
  return Simulate(c, p, ops).Cost(dial.wear, dial.read, dial.space);
}

std::unique_ptr<CompactionPicker> Learned(const SimConfig& c) {
  return NewLearnedPicker(c.options, BuiltInModel(), ObjectiveDial{});
}

std::unique_ptr<CompactionPicker> Tiered24(const SimConfig& c) {
  Options o = c.options;
  o.compaction = CompactionStyle::kTiered;
  o.max_runs_per_level = 24;
  return NewTieredPicker(o);
}

}  // namespace

TEST_CASE("TheHybridIsTheModelWhileNothingReadsAndTheStaticPickerWhileEverythingDoes") {
  const SimConfig c = SmallConfig(CompactionStyle::kLearned);
  const std::vector<Op> load = Materialize(SmallSpec(PhaseKind::kLoad, 3, 20000));
  const std::vector<Op> uniform = Materialize(SmallSpec(PhaseKind::kUniform, 3, 20000));
  for (const std::vector<Op>* ops : {&load, &uniform}) {
    std::unique_ptr<CompactionPicker> model = Learned(c), tiered = Tiered24(c);
    const double model_cost = CostOf(c, model.get(), *ops);
    const double tiered_cost = CostOf(c, tiered.get(), *ops);
    // The two must differ for the checks below to tell them apart.
    REQUIRE(model_cost != tiered_cost);
    // A share no window reaches: the model decides everything.
    std::unique_ptr<CompactionPicker> never = NewHybridPicker(Learned(c), Tiered24(c), 2.0);
    CHECK(CostOf(c, never.get(), *ops) == model_cost);
    // A share of 0: tiered decides wherever a window has closed (a window
    // of no operations, before the first closes, is the model's).
    std::unique_ptr<CompactionPicker> always = NewHybridPicker(Learned(c), Tiered24(c), 0.0);
    const double always_cost = CostOf(c, always.get(), *ops);
    INFO("model " << model_cost << " tiered " << tiered_cost << " share 0 " << always_cost);
    CHECK(always_cost != model_cost);
  }
  // A load has no gets, so at a share of 5% it is the model's alone; on
  // uniform updates (10% gets) the hybrid leaves the model's run.
  std::unique_ptr<CompactionPicker> model = Learned(c);
  std::unique_ptr<CompactionPicker> hybrid = NewHybridPicker(Learned(c), Tiered24(c), 0.05);
  CHECK(CostOf(c, hybrid.get(), load) == CostOf(c, model.get(), load));
  model = Learned(c);
  hybrid = NewHybridPicker(Learned(c), Tiered24(c), 0.05);
  CHECK(CostOf(c, hybrid.get(), uniform) != CostOf(c, model.get(), uniform));
}

}  // namespace firn::trainer
