// tools/trainer/rollout.cc: the look-ahead oracle (rollout.h).
#include "tools/trainer/rollout.h"

#include <algorithm>
#include <numeric>
#include <thread>

#include "policy/learned_picker.h"

namespace firn::trainer {
namespace {

// What one run decided, per decision (the i-th call to Pick).
struct RunTrace {
  std::vector<int> choice;               // candidate index taken (0: wait)
  std::vector<int> own;                  // the model's own choice there
  std::vector<std::vector<int>> ranked;  // best-scored candidates, own first
  std::vector<std::string> own_text, choice_text;  // "wait" or the request's reason
  std::vector<double> seconds;                     // modeled time of each decision
  std::vector<DecisionInput> inputs;               // when recording (requests empty)
  double cost = 0;
  SimResult result;
};

// The learned picker, except that its first decisions follow a script of
// candidate indices. The simulator is deterministic, so with the same
// script prefix decision i sees the same tree and the same candidates,
// and an index names the same compaction in every run.
class ScriptedPicker final : public CompactionPicker {
 public:
  ScriptedPicker(const Options& options, std::shared_ptr<const PolicyModel> model,
                 const ObjectiveDial& dial, const std::vector<int>& script, int keep, bool record,
                 RunTrace* trace)
      : model_(std::move(model)), dial_(dial), script_(script), keep_(keep), record_(record),
        trace_(trace), limits_(PolicyLimitsFor(options)) {}

  const char* Name() const override { return "rollout"; }

  bool Pick(const TreeShape& tree, const WorkloadStats& stats, CompactionRequest* request) override {
    BuildDecisionInput(tree, stats, limits_, dial_, &input_);
    int32_t scores[kMaxCandidates];
    const int own = DecidePolicy(*model_, input_, scores);
    const int n = static_cast<int>(input_.candidates.size());
    const size_t d = trace_->choice.size();
    int choice = d < script_.size() ? script_[d] : own;
    if (choice >= n) choice = own;  // a replay that diverged (not expected)
    std::vector<int> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    // Ties to the earlier candidate, as DecidePolicy: own comes first.
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
    order.resize(std::min<size_t>(order.size(), static_cast<size_t>(keep_) + 1));
    trace_->ranked.push_back(std::move(order));
    trace_->own.push_back(own);
    trace_->choice.push_back(choice);
    trace_->own_text.push_back(Describe(own));
    trace_->choice_text.push_back(Describe(choice));
    trace_->seconds.push_back(static_cast<double>(stats.now_micros) / 1e6);
    if (record_) {
      DecisionInput copy;
      copy.global = input_.global;
      copy.candidates.resize(input_.candidates.size());
      for (size_t i = 0; i < copy.candidates.size(); ++i) {
        copy.candidates[i].wait = input_.candidates[i].wait;
        copy.candidates[i].features = input_.candidates[i].features;
      }
      trace_->inputs.push_back(std::move(copy));
    }
    if (choice == 0) return false;
    *request = input_.candidates[static_cast<size_t>(choice)].request;
    return true;
  }

 private:
  std::string Describe(int i) const {
    const Candidate& c = input_.candidates[static_cast<size_t>(i)];
    return c.wait ? std::string("wait") : c.request.reason;
  }

  std::shared_ptr<const PolicyModel> model_;
  const ObjectiveDial dial_;
  const std::vector<int>& script_;
  const int keep_;
  const bool record_;
  RunTrace* const trace_;
  const PolicyLimits limits_;
  DecisionInput input_;
};

RunTrace Play(const SimConfig& config, const std::shared_ptr<const PolicyModel>& model,
              const ObjectiveDial& dial, const std::vector<Op>& ops, const std::vector<int>& script,
              int keep, bool record) {
  RunTrace t;
  ScriptedPicker picker(config.options, model, dial, script, keep, record, &t);
  t.result = Simulate(config, &picker, ops);
  t.cost = t.result.Cost(dial.wear, dial.read, dial.space);
  return t;
}

}  // namespace

RolloutResult Rollout(const SimConfig& config, std::shared_ptr<const PolicyModel> model,
                      const ObjectiveDial& dial, const std::vector<Op>& ops,
                      const RolloutOptions& options) {
  const int keep = std::max(0, options.alternatives);
  std::vector<int> script;
  RunTrace best = Play(config, model, dial, ops, script, keep, options.record);
  RolloutResult r;
  r.model_cost = best.cost;
  r.trials = 1;
  for (size_t k = 0; k < best.choice.size() && static_cast<int>(k) < options.max_decisions; ++k) {
    // The current best run took best.choice[k] here; try the others.
    std::vector<int> tries;
    for (int c : best.ranked[k]) {
      if (c != best.choice[k]) tries.push_back(c);
    }
    if (best.choice[k] != 0 && std::find(tries.begin(), tries.end(), 0) == tries.end()) {
      tries.push_back(0);
    }
    if (tries.empty()) {
      script.push_back(best.choice[k]);
      continue;
    }
    r.branched++;
    std::vector<RunTrace> runs(tries.size());
    const size_t nthreads = std::min(tries.size(), static_cast<size_t>(std::max(1, options.threads)));
    std::vector<std::thread> pool;
    for (size_t t = 0; t < nthreads; ++t) {
      pool.emplace_back([&, t] {
        for (size_t i = t; i < tries.size(); i += nthreads) {
          std::vector<int> s = script;
          s.push_back(tries[i]);
          runs[i] = Play(config, model, dial, ops, s, keep, options.record);
        }
      });
    }
    for (std::thread& th : pool) th.join();
    r.trials += static_cast<int>(tries.size());
    size_t pick = tries.size();
    for (size_t i = 0; i < runs.size(); ++i) {
      // Strictly cheaper only, so ties keep the model's choice.
      if (runs[i].cost < (pick == tries.size() ? best.cost : runs[pick].cost)) pick = i;
    }
    if (options.record && k < best.inputs.size()) {
      // Every run here shares the kept prefix, so decision k saw the same
      // input in all of them.
      Demonstration demo;
      demo.input = best.inputs[k];
      demo.own = best.own[k];
      demo.tried.emplace_back(best.choice[k], best.cost);
      for (size_t i = 0; i < runs.size(); ++i) demo.tried.emplace_back(tries[i], runs[i].cost);
      demo.kept = pick < tries.size() ? tries[pick] : best.choice[k];
      r.demonstrations.push_back(std::move(demo));
    }
    if (pick < tries.size()) {
      best = std::move(runs[pick]);
      RolloutChange ch;
      ch.decision = static_cast<int>(k);
      ch.seconds = best.seconds[k];
      ch.own = best.own_text[k];
      ch.kept = best.choice_text[k];
      ch.cost_after = best.cost;
      r.changes.push_back(std::move(ch));
    }
    script.push_back(best.choice[k]);
  }
  r.rollout_cost = best.cost;
  r.rollout = best.result;
  r.decisions = static_cast<int>(best.choice.size());
  for (size_t k = 0; k < best.choice.size(); ++k) {
    if (best.choice[k] != best.own[k]) {
      r.changed++;
      if (best.choice[k] == 0) r.changed_to_wait++;
    }
  }
  return r;
}

}  // namespace firn::trainer
