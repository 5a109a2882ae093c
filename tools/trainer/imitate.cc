// tools/trainer/imitate.cc: imitation of the look-ahead oracle (imitate.h).
#include "tools/trainer/imitate.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <thread>

#include "policy/learned_picker.h"
#include "tools/trainer/quantize.h"

namespace firn::trainer {

std::vector<std::vector<float>> MirroredChildren(const std::vector<float>& mean,
                                                 const std::vector<float>& stdev, double step,
                                                 int pop, Random* rnd) {
  std::vector<std::vector<float>> samples(static_cast<size_t>(pop) + 1, mean);
  for (int k = 0; k < pop / 2; ++k) {
    for (size_t p = 0; p < mean.size(); ++p) {
      double u0 = rnd->NextDouble();
      // Box-Muller from the seeded generator (deterministic).
      double u1 = std::max(1e-12, rnd->NextDouble()), u2 = rnd->NextDouble();
      if (u0 > 0.15) continue;  // each child changes about 15% of the parameters
      double z = std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
      float e = static_cast<float>(z * step) * stdev[p];
      samples[static_cast<size_t>(1 + 2 * k)][p] += e;
      samples[static_cast<size_t>(2 + 2 * k)][p] -= e;
    }
  }
  return samples;
}

RegretFigures ImitationRegret(const PolicyModel& model, const std::vector<Demonstration>& demos,
                              double runs, double temperature) {
  RegretFigures f;
  int32_t scores[kMaxCandidates];
  for (const Demonstration& d : demos) {
    const int n = static_cast<int>(d.input.candidates.size());
    const int choice = DecidePolicy(model, d.input, scores);
    double cheapest = std::numeric_limits<double>::max(), costliest = 0;
    for (const auto& [c, cost] : d.tried) {
      cheapest = std::min(cheapest, cost);
      costliest = std::max(costliest, cost);
    }
    if (!(cheapest > 0)) continue;
    const double worst = costliest / cheapest - 1;
    // Regret of each candidate: its tried cost, or the worst when untried.
    double regret[kMaxCandidates];
    bool tried[kMaxCandidates] = {};
    std::fill(regret, regret + n, worst);
    for (const auto& [c, cost] : d.tried) {
      if (c < n) {
        regret[c] = cost / cheapest - 1;
        tried[c] = true;
      }
    }
    f.hard += regret[choice];
    if (regret[choice] == 0) f.matched++;
    if (!tried[choice]) f.untried++;
    // Softmax at `temperature` score units (or 5% of the scores' range).
    int32_t lo = scores[0], hi = scores[0];
    for (int c = 1; c < n; ++c) {
      lo = std::min(lo, scores[c]);
      hi = std::max(hi, scores[c]);
    }
    const double t =
        temperature > 0 ? temperature : std::max(1.0, 0.05 * (static_cast<double>(hi) - lo));
    double z = 0, e = 0;
    for (int c = 0; c < n; ++c) {
      const double w = std::exp((scores[c] - static_cast<double>(hi)) / t);
      z += w;
      e += w * regret[c];
    }
    f.soft += e / z;
  }
  f.hard /= std::max(1.0, runs);
  f.soft /= std::max(1.0, runs);
  return f;
}

std::vector<float> FitToDemonstrations(const std::vector<int>& shape, const std::vector<float>& start,
                                       const std::vector<float>& stdev,
                                       const std::vector<Demonstration>& demos, double runs,
                                       const ImitationOptions& options, std::FILE* log) {
  auto loss = [&](const std::vector<float>& g, RegretFigures* out) {
    PolicyModel model;
    if (!GenomeToModel(shape, g, &model).ok()) return 1e9;
    RegretFigures f = ImitationRegret(model, demos, runs, options.temperature);
    if (out != nullptr) *out = f;
    return f.hard + options.soft_weight * f.soft;
  };
  std::vector<float> mean = start;
  RegretFigures first;
  double parent = loss(mean, &first);
  if (log != nullptr) {
    std::fprintf(log, "imitation: %zu demonstrations from %.0f runs; start regret %.4f (soft %.4f), "
                      "cheapest choice on %d, untried on %d\n",
                 demos.size(), runs, first.hard, first.soft, first.matched, first.untried);
  }
  Random rnd(options.seed * 104729 + 7);
  const int pop = std::max(2, options.population / 2 * 2);
  double step = std::min(1.0, options.max_step);
  for (int gen = 0; gen < options.generations; ++gen) {
    std::vector<std::vector<float>> samples = MirroredChildren(mean, stdev, step, pop, &rnd);
    std::vector<double> fit(samples.size());
    fit[0] = parent;
    std::atomic<size_t> next{1};
    std::vector<std::thread> pool;
    for (int t = 0; t < std::max(1, options.threads); ++t) {
      pool.emplace_back([&] {
        for (size_t i = next.fetch_add(1); i < samples.size(); i = next.fetch_add(1)) {
          fit[i] = loss(samples[i], nullptr);
        }
      });
    }
    for (std::thread& th : pool) th.join();
    size_t best = 1;
    for (size_t i = 2; i < samples.size(); ++i) {
      if (fit[i] < fit[best]) best = i;
    }
    if (fit[best] < parent - 1e-9) {
      mean = samples[best];
      parent = fit[best];
      step = std::min(options.max_step, step * 1.3);
    } else {
      step = std::max(std::min(0.1, options.max_step), step * 0.92);
    }
    if (log != nullptr && (gen % 50 == 49 || gen + 1 == options.generations)) {
      RegretFigures f;
      loss(mean, &f);
      std::fprintf(log, "imitation gen %4d: regret %.4f (soft %.4f), cheapest choice on %d of %zu, "
                        "untried on %d, step %.2f\n",
                   gen, f.hard, f.soft, f.matched, demos.size(), f.untried, step);
      std::fflush(log);
    }
  }
  return mean;
}

}  // namespace firn::trainer
