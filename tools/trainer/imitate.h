// tools/trainer/imitate.h: fitting the policy network to the look-ahead
// oracle's demonstrations (docs/policy.md, "Imitation of the oracle").
//
// The oracle (rollout.h) records, at every decision where it tried more
// than one choice, the decision's input and each tried choice's whole-run
// cost. A model's regret on such a demonstration is how much more its own
// choice costs than the cheapest tried one; imitation lowers the summed
// regret by evolution strategies on the genome, scoring the quantized int4
// network (what the engine runs), so what is fitted is what ships.
// Thread safety: pure functions; FitToDemonstrations runs `threads` threads
// over read-only demonstrations.
#ifndef FIRN_TOOLS_TRAINER_IMITATE_H_
#define FIRN_TOOLS_TRAINER_IMITATE_H_

#include <cstdint>
#include <cstdio>
#include <vector>

#include "policy/model.h"
#include "tools/trainer/rollout.h"
#include "util/random.h"

namespace firn::trainer {

// The children of one generation of the (1+lambda) strategy: `pop` (even)
// mirrored pairs mean +- step * stdev * z on a random ~15% of the
// parameters, after the parent (samples[0] == mean). Deterministic for
// the generator's state.
std::vector<std::vector<float>> MirroredChildren(const std::vector<float>& mean,
                                                 const std::vector<float>& stdev, double step,
                                                 int pop, Random* rnd);

struct RegretFigures {
  double hard = 0;   // summed relative regret of the model's choices, per run
  double soft = 0;   // the same under a softmax over the scores (smooth)
  int matched = 0;   // demonstrations where the model takes the cheapest choice
  int untried = 0;   // ... where it takes a choice the oracle never tried
};

// Regret of `model` on `demos`, which came from `runs` runs: for each
// demonstration the model's choice costs cost / cheapest - 1 more (a
// choice the oracle never tried counts as the costliest tried one), summed
// and divided by `runs`. To first order, how far above the oracle's runs
// the model's own runs would cost, per run.
// The soft regret weighs each candidate's regret by a softmax of the
// scores at `temperature` score units (at or below 0: 5% of the range of
// the decision's scores).
RegretFigures ImitationRegret(const PolicyModel& model, const std::vector<Demonstration>& demos,
                              double runs, double temperature);

struct ImitationOptions {
  int generations = 400;
  int population = 20;
  int threads = 2;
  uint64_t seed = 1;
  double max_step = 1.0;
  // Weight of the soft regret in the loss. The soft regret scores every
  // candidate, the costlier tried ones and the untried ones too, so it
  // moves the strategy where the argmax alone sits on a plateau.
  double soft_weight = 0.1;
  double temperature = 0;  // of the soft regret (ImitationRegret)
};

// Evolution strategies from `start` on hard + soft_weight * soft regret;
// returns the best genome found (start if none is better). Logs a line
// every 50 generations to `log` (may be null).
std::vector<float> FitToDemonstrations(const std::vector<int>& shape, const std::vector<float>& start,
                                       const std::vector<float>& stdev,
                                       const std::vector<Demonstration>& demos, double runs,
                                       const ImitationOptions& options, std::FILE* log);

}  // namespace firn::trainer

#endif  // FIRN_TOOLS_TRAINER_IMITATE_H_
