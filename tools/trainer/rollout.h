// tools/trainer/rollout.h: a look-ahead oracle for the learned policy, in
// the simulator (docs/policy.md, "How much a policy could still gain").
//
// Rollout (policy improvement by simulation): at each decision of a
// workload, in order, try the model's own choice and its next-best
// candidates (and wait), play each to the end of the workload with the
// model deciding every later decision, and keep the choice whose whole run
// costs least under the dial. The simulator is deterministic, so a run is
// fixed by its list of choices; the kept run is never worse than the
// model's own, and the gap measures what per-decision changes to the model
// could still gain on that workload. It knows the future, so it is a yard
// stick, not a policy the engine could run.
//
// With RolloutOptions::bases (static pickers), every decision also tries
// handing the rest of the run to each of them, and the model's
// alternatives are played out by whichever of the model and the bases the
// kept run is using there (rollout with several base policies); the kept
// run is then never costlier than the best of the model and every base
// alone. With passes > 1, the kept run is searched again from its first
// decision, with "the kept run's own later choices" as one more way to
// play out a changed decision, until a pass changes nothing.
// Thread safety: Rollout runs its trials on `threads` threads; the model is
// shared read-only.
#ifndef FIRN_TOOLS_TRAINER_ROLLOUT_H_
#define FIRN_TOOLS_TRAINER_ROLLOUT_H_

#include <memory>
#include <string>
#include <vector>

#include "policy/features.h"
#include "policy/model.h"
#include "tools/trainer/sim.h"
#include "tools/trainer/workload.h"

namespace firn::trainer {

struct RolloutOptions {
  // Candidates tried at a decision besides the model's choice: wait and
  // the `alternatives` best-scored others.
  int alternatives = 2;
  int threads = 2;
  // Stop branching after this many decisions (the rest are the model's).
  int max_decisions = 1 << 30;
  // Keep, for every branched decision of the kept run, what the model saw
  // and what each tried choice cost (RolloutResult::demonstrations; the
  // model's candidates only, first pass only).
  bool record = false;
  // Static pickers that may decide the rest of a run: (name, the options
  // the picker is built with); the guardrail stays the simulated
  // configuration's.
  std::vector<std::pair<std::string, Options>> bases;
  // Passes over the kept run's decisions (stops early when one keeps no
  // change).
  int passes = 1;
};

// One branched decision of the kept run, as a lesson for imitation
// (imitate.h): the decision's input (candidates' requests left empty) and,
// for each choice tried there, the whole run's cost with that choice (and
// the kept run's choices before it, the model's after it).
struct Demonstration {
  DecisionInput input;
  std::vector<std::pair<int, double>> tried;  // (candidate index, run cost)
  int own = 0;                                // the model's own choice
  int kept = 0;                               // the cheapest tried choice
};

// A decision of the kept run where it left the model's choice.
struct RolloutChange {
  int decision = 0;       // index among the run's decisions
  double seconds = 0;     // modeled time
  std::string own;        // the model's choice there ("wait" or the reason)
  std::string kept;       // the kept choice
  double cost_after = 0;  // the whole run's cost once this change was kept
};

struct RolloutResult {
  double model_cost = 0;    // the model alone
  double rollout_cost = 0;  // the kept run
  SimResult rollout;        // the kept run's figures
  int decisions = 0;        // decisions of the kept run
  int branched = 0;         // decisions where more than one choice was tried
  int changed = 0;          // decisions where the kept choice is not the model's
  int changed_to_wait = 0;  // ... of which to wait
  int by_base = 0;          // decisions of the kept run a base made
  std::vector<double> base_costs;  // each base alone, under the same guardrail
  int passes = 0;           // passes run
  int trials = 0;           // simulator runs
  std::vector<RolloutChange> changes;  // in decision order
  std::vector<Demonstration> demonstrations;  // when options.record
};

RolloutResult Rollout(const SimConfig& config, std::shared_ptr<const PolicyModel> model,
                      const ObjectiveDial& dial, const std::vector<Op>& ops,
                      const RolloutOptions& options);

}  // namespace firn::trainer

#endif  // FIRN_TOOLS_TRAINER_ROLLOUT_H_
