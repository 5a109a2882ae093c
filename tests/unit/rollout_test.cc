// Tests of the trainer's look-ahead oracle (tools/trainer/rollout.h).
#include <memory>
#include <vector>

#include "compaction/picker.h"
#include "doctest/doctest.h"
#include "policy/learned_picker.h"
#include "policy/model.h"
#include "tests/unit/small_sim.h"
#include "tools/trainer/rollout.h"
#include "tools/trainer/sim.h"
#include "tools/trainer/workload.h"

namespace firn::trainer {
namespace {

double ModelAloneCost(const SimConfig& c, const std::vector<Op>& ops) {
  const ObjectiveDial dial;
  std::unique_ptr<CompactionPicker> p = NewLearnedPicker(c.options, BuiltInModel(), dial);
  return Simulate(c, p.get(), ops).Cost(dial.wear, dial.read, dial.space);
}

}  // namespace

TEST_CASE("TheRolloutStartsFromTheModelsOwnRunAndIsNeverCostlier") {
  // With no decision branched, the scripted picker must decide exactly as
  // the learned picker does; every branch can then only keep a cheaper run.
  const SimConfig c = SmallConfig(CompactionStyle::kTiered);
  const std::vector<Op> ops = Materialize(SmallSpec(PhaseKind::kUniform, 5, 20000));
  const double alone = ModelAloneCost(c, ops);
  RolloutOptions none;
  none.max_decisions = 0;
  RolloutResult r0 = Rollout(c, BuiltInModel(), ObjectiveDial{}, ops, none);
  CHECK(r0.model_cost == alone);
  CHECK(r0.rollout_cost == alone);
  CHECK(r0.trials == 1);
  CHECK(r0.changed == 0);

  RolloutResult r = Rollout(c, BuiltInModel(), ObjectiveDial{}, ops, RolloutOptions{});
  INFO("model " << r.model_cost << " rollout " << r.rollout_cost << ", changed " << r.changed
                << " of " << r.decisions);
  CHECK(r.model_cost == alone);
  CHECK(r.rollout_cost <= r.model_cost);
  CHECK(r.branched > 0);
  // The kept run's figures are the cost it was kept for.
  CHECK(r.rollout.Cost(2, 1, 1) == doctest::Approx(r.rollout_cost));
}

TEST_CASE("TheRolloutFindsACheaperRunByChangingSomeOfTheModelsDecisions") {
  // Whether one changed decision pays depends on the workload; over these
  // small ones it does at least once (and a run it keeps is cheaper).
  const SimConfig c = SmallConfig(CompactionStyle::kTiered);
  RolloutOptions o;
  o.alternatives = 8;
  int cheaper = 0;
  for (PhaseKind kind : {PhaseKind::kUniform, PhaseKind::kZipf, PhaseKind::kDeleteHeavy}) {
    for (uint64_t seed : {5, 6}) {
      const std::vector<Op> ops = Materialize(SmallSpec(kind, seed, 20000));
      RolloutResult r = Rollout(c, BuiltInModel(), ObjectiveDial{}, ops, o);
      INFO(std::string(PhaseKindName(kind)) << " seed " << seed << ": model " << r.model_cost << " rollout "
                               << r.rollout_cost << ", changed " << r.changed << " of "
                               << r.decisions);
      CHECK(r.rollout_cost <= r.model_cost);
      CHECK(r.changed <= r.branched);
      CHECK((r.changed > 0) == (r.rollout_cost < r.model_cost));
      if (r.rollout_cost < r.model_cost) cheaper++;
    }
  }
  CHECK(cheaper > 0);
}

TEST_CASE("TheRolloutIsTheSameOnOneThreadAsOnTwo") {
  const SimConfig c = SmallConfig(CompactionStyle::kTiered);
  const std::vector<Op> ops = Materialize(SmallSpec(PhaseKind::kDeleteHeavy, 8, 15000));
  RolloutOptions one, two;
  one.threads = 1;
  two.threads = 2;
  one.alternatives = two.alternatives = 4;
  RolloutResult a = Rollout(c, BuiltInModel(), ObjectiveDial{}, ops, one);
  RolloutResult b = Rollout(c, BuiltInModel(), ObjectiveDial{}, ops, two);
  CHECK(a.rollout_cost == b.rollout_cost);
  CHECK(a.changed == b.changed);
  CHECK(a.trials == b.trials);
  CHECK(a.rollout.DeviceBytes() == b.rollout.DeviceBytes());
}

TEST_CASE("AStaticBaseAloneDecidesAsThatPickerDoesAndTheRolloutBeatsEveryBase") {
  // A base handed the whole run must decide exactly as the static picker
  // simulated on its own (same options, same guardrail); the kept run can
  // then be no costlier than the model or any base, and a second pass no
  // costlier than the first.
  const SimConfig c = SmallConfig(CompactionStyle::kTiered);
  const std::vector<Op> ops = Materialize(SmallSpec(PhaseKind::kZipf, 7, 20000));
  Options leveled = c.options;
  leveled.compaction = CompactionStyle::kLeveled;
  RolloutOptions o;
  o.bases = {{"tiered", c.options}, {"leveled", leveled}};
  RolloutResult r = Rollout(c, BuiltInModel(), ObjectiveDial{}, ops, o);
  REQUIRE(r.base_costs.size() == 2);
  const ObjectiveDial dial;
  std::unique_ptr<CompactionPicker> tiered = NewTieredPicker(c.options);
  CHECK(r.base_costs[0] == Simulate(c, tiered.get(), ops).Cost(dial.wear, dial.read, dial.space));
  // The leveled base runs in the tiered configuration (its guardrail; the
  // manifest names the configured style, a byte shorter than "leveled").
  std::unique_ptr<CompactionPicker> lp = NewLeveledPicker(leveled);
  CHECK(r.base_costs[1] == Simulate(c, lp.get(), ops).Cost(dial.wear, dial.read, dial.space));
  INFO("model " << r.model_cost << " tiered " << r.base_costs[0] << " leveled " << r.base_costs[1]
                << " rollout " << r.rollout_cost << ", " << r.by_base << " decisions by a base");
  CHECK(r.rollout_cost <= r.model_cost);
  CHECK(r.rollout_cost <= r.base_costs[0]);
  CHECK(r.rollout_cost <= r.base_costs[1]);
  CHECK(r.rollout.Cost(2, 1, 1) == doctest::Approx(r.rollout_cost));

  o.passes = 3;
  RolloutResult r3 = Rollout(c, BuiltInModel(), ObjectiveDial{}, ops, o);
  CHECK(r3.rollout_cost <= r.rollout_cost);
  CHECK(r3.passes >= 1);
  CHECK(r3.passes <= 3);
}

}  // namespace firn::trainer
