// Tests of imitation of the look-ahead oracle (tools/trainer/imitate.h)
// and of the demonstrations the oracle records for it (rollout.h).
#include <algorithm>
#include <memory>
#include <vector>

#include "doctest/doctest.h"
#include "policy/learned_picker.h"
#include "policy/model.h"
#include "tests/unit/small_sim.h"
#include "tools/trainer/imitate.h"
#include "tools/trainer/quantize.h"
#include "tools/trainer/rollout.h"

namespace firn::trainer {
namespace {

// Demonstrations of the oracle from the built-in model on small workloads
// where it changes at least one decision; *runs counts the workloads.
// Computed once for the tests that share them.
std::vector<Demonstration> PlayDemonstrations(double* runs);
const std::vector<Demonstration>& SmallDemonstrations(double* runs) {
  static double played = 0;
  static const std::vector<Demonstration> demos = PlayDemonstrations(&played);
  *runs = played;
  return demos;
}

std::vector<Demonstration> PlayDemonstrations(double* runs) {
  const SimConfig c = SmallConfig(CompactionStyle::kTiered);
  RolloutOptions o;
  o.alternatives = 4;
  o.record = true;
  std::vector<Demonstration> all;
  *runs = 0;
  for (PhaseKind kind : {PhaseKind::kUniform, PhaseKind::kDeleteHeavy}) {
    for (uint64_t seed : {5, 6}) {
      RolloutResult r = Rollout(c, BuiltInModel(), ObjectiveDial{}, Materialize(SmallSpec(kind, seed, 20000)), o);
      for (Demonstration& d : r.demonstrations) all.push_back(std::move(d));
      *runs += 1;
    }
  }
  return all;
}

double RelativeRegret(const Demonstration& d, int choice) {
  double cheapest = 1e300, mine = -1;
  for (const auto& [c, cost] : d.tried) {
    cheapest = std::min(cheapest, cost);
    if (c == choice) mine = cost;
  }
  REQUIRE(mine >= 0);
  return mine / cheapest - 1;
}

}  // namespace

TEST_CASE("TheOracleRecordsEveryBranchedDecisionWithTheCostOfEachChoiceTried") {
  const SimConfig c = SmallConfig(CompactionStyle::kTiered);
  const std::vector<Op> ops = Materialize(SmallSpec(PhaseKind::kDeleteHeavy, 5, 20000));
  RolloutOptions o;
  o.alternatives = 4;
  RolloutResult plain = Rollout(c, BuiltInModel(), ObjectiveDial{}, ops, o);
  CHECK(plain.demonstrations.empty());  // only when asked
  o.record = true;
  RolloutResult r = Rollout(c, BuiltInModel(), ObjectiveDial{}, ops, o);
  // Recording changes nothing the oracle decides.
  CHECK(r.rollout_cost == plain.rollout_cost);
  CHECK(r.changed == plain.changed);
  REQUIRE(static_cast<int>(r.demonstrations.size()) == r.branched);
  int kept_not_own = 0;
  for (const Demonstration& d : r.demonstrations) {
    const int n = static_cast<int>(d.input.candidates.size());
    REQUIRE(n >= 2);
    CHECK(d.input.candidates[0].wait);
    CHECK(d.tried.size() >= 2);
    bool own_tried = false, kept_tried = false;
    double cheapest = 1e300, kept_cost = 0;
    for (const auto& [ci, cost] : d.tried) {
      CHECK(ci >= 0);
      CHECK(ci < n);
      own_tried = own_tried || ci == d.own;
      if (ci == d.kept) {
        kept_tried = true;
        kept_cost = cost;
      }
      cheapest = std::min(cheapest, cost);
    }
    CHECK(own_tried);
    CHECK(kept_tried);
    CHECK(kept_cost == cheapest);
    // The model decides the recorded input as it did in the run.
    int32_t scores[kMaxCandidates];
    CHECK(DecidePolicy(*BuiltInModel(), d.input, scores) == d.own);
    if (d.kept != d.own) kept_not_own++;
  }
  // Where the oracle kept another choice, it was strictly cheaper.
  CHECK(kept_not_own <= r.changed);
  // The last recorded cost is the kept run's.
  double last_min = 1e300;
  for (const auto& tc : r.demonstrations.back().tried) last_min = std::min(last_min, tc.second);
  CHECK(last_min == r.rollout_cost);
}

TEST_CASE("TheModelsRegretIsWhatItsOwnChoicesCostAboveTheCheapestTried") {
  double runs = 0;
  const std::vector<Demonstration>& demos = SmallDemonstrations(&runs);
  REQUIRE(!demos.empty());
  double expected = 0;
  int matched = 0;
  for (const Demonstration& d : demos) {
    const double r = RelativeRegret(d, d.own);
    expected += r;
    if (r == 0) matched++;
  }
  expected /= runs;
  const RegretFigures f = ImitationRegret(*BuiltInModel(), demos, runs, 0);
  CHECK(f.hard == doctest::Approx(expected));
  CHECK(f.matched == matched);
  CHECK(f.untried == 0);
  // The oracle kept a cheaper choice somewhere, so the model has regret.
  CHECK(f.hard > 0);
  CHECK(f.soft > 0);
  // A choice the oracle never tried counts as the costliest tried one.
  Demonstration d = demos.front();
  const int own = d.own;
  d.tried.erase(std::remove_if(d.tried.begin(), d.tried.end(), [&](const auto& tc) { return tc.first == own; }),
                d.tried.end());
  if (d.tried.size() >= 2) {
    double cheapest = 1e300, costliest = 0;
    for (const auto& tc : d.tried) {
      cheapest = std::min(cheapest, tc.second);
      costliest = std::max(costliest, tc.second);
    }
    const RegretFigures g = ImitationRegret(*BuiltInModel(), {d}, 1, 0);
    CHECK(g.untried == 1);
    CHECK(g.hard == doctest::Approx(costliest / cheapest - 1));
  }
}

TEST_CASE("FittingToTheDemonstrationsLowersTheRegretAndKeepsFrozenParameters") {
  double runs = 0;
  const std::vector<Demonstration>& demos = SmallDemonstrations(&runs);
  const std::vector<int>& shape = NetworkShape();
  std::vector<float> start;
  REQUIRE(ModelToGenome(shape, BuiltInModel()->mlp, &start).ok());
  // From the built-in model moved off its optimum (every parameter by up
  // to +-0.6, a fixed pattern), so there is regret for the fit to take
  // back whatever the built-in model is.
  Random noise(17);
  for (float& w : start) w += static_cast<float>(noise.Uniform(1201)) / 1000.0f - 0.6f;
  std::vector<float> stdev(start.size(), 0.5f);
  // Parameters with no step size stay where they are.
  for (size_t p = 0; p < stdev.size(); p += 3) stdev[p] = 0;
  ImitationOptions o;
  o.generations = 150;
  // The hard regret alone, so the check below is of what the fit lowers
  // (with a soft term the hard regret may rise while their sum falls).
  o.soft_weight = 0;
  const std::vector<float> fit = FitToDemonstrations(shape, start, stdev, demos, runs, o, nullptr);
  PolicyModel before, after;
  REQUIRE(GenomeToModel(shape, start, &before).ok());
  REQUIRE(GenomeToModel(shape, fit, &after).ok());
  const RegretFigures a = ImitationRegret(before, demos, runs, o.temperature);
  const RegretFigures b = ImitationRegret(after, demos, runs, o.temperature);
  INFO("regret " << a.hard << " -> " << b.hard << ", soft " << a.soft << " -> " << b.soft);
  CHECK(b.hard + o.soft_weight * b.soft < a.hard + o.soft_weight * a.soft);
  CHECK(b.hard < a.hard);
  for (size_t p = 0; p < stdev.size(); p += 3) CHECK(fit[p] == start[p]);
  // Deterministic for the seed.
  CHECK(FitToDemonstrations(shape, start, stdev, demos, runs, o, nullptr) == fit);
}

TEST_CASE("MirroredChildrenComeInPairsAboutTheParent") {
  std::vector<float> mean(40), stdev(40, 1.0f);
  for (size_t i = 0; i < mean.size(); ++i) mean[i] = static_cast<float>(i) - 20;
  Random r1(9), r2(9);
  const auto a = MirroredChildren(mean, stdev, 0.5, 6, &r1);
  const auto b = MirroredChildren(mean, stdev, 0.5, 6, &r2);
  REQUIRE(a.size() == 7);
  CHECK(a == b);
  CHECK(a[0] == mean);
  bool moved = false;
  for (size_t k = 0; k < 3; ++k) {
    for (size_t p = 0; p < mean.size(); ++p) {
      CHECK(a[1 + 2 * k][p] - mean[p] == doctest::Approx(mean[p] - a[2 + 2 * k][p]));
      moved = moved || a[1 + 2 * k][p] != mean[p];
    }
  }
  CHECK(moved);
}

}  // namespace firn::trainer
