// tools/trainer/rollout.cc: the look-ahead oracle (rollout.h).
#include "tools/trainer/rollout.h"

#include <algorithm>
#include <numeric>
#include <thread>

#include "policy/learned_picker.h"

namespace firn::trainer {
namespace {

// What one run decided, per decision (the i-th call to Pick). A choice is a
// candidate index (0: wait), or -1 - p when base picker p decided.
struct RunTrace {
  std::vector<int> choice;               // what decided each decision
  std::vector<int> own;                  // the model's own choice there
  std::vector<std::vector<int>> ranked;  // best-scored candidates, own first
  std::vector<std::string> own_text, choice_text;  // "wait" or the request's reason
  std::vector<double> seconds;                     // modeled time of each decision
  std::vector<DecisionInput> inputs;               // when recording (requests empty)
  double cost = 0;
  SimResult result;
};

// How one trial run decides: the script first, then `rest` (-1: the model,
// p >= 0: base picker p), or, with `tail`, the tail's choices by index
// after the script, then the model.
struct Trial {
  std::vector<int> script;
  int rest = -1;
  const std::vector<int>* tail = nullptr;
};

int BaseOf(int choice) { return -1 - choice; }

// The learned picker, except that its first decisions follow a script. The
// simulator is deterministic, so with the same script prefix decision i
// sees the same tree and the same candidates, and an index names the same
// compaction in every run.
class ScriptedPicker final : public CompactionPicker {
 public:
  ScriptedPicker(const Options& options, std::shared_ptr<const PolicyModel> model,
                 const ObjectiveDial& dial, const Trial& trial,
                 const std::vector<std::pair<std::string, Options>>& bases, int keep, bool record,
                 RunTrace* trace)
      : model_(std::move(model)), dial_(dial), trial_(trial), keep_(keep), record_(record),
        trace_(trace), limits_(PolicyLimitsFor(options)) {
    for (const auto& [name, base] : bases) bases_.push_back(NewCompactionPicker(base));
  }

  const char* Name() const override { return "rollout"; }

  bool Pick(const TreeShape& tree, const WorkloadStats& stats, CompactionRequest* request) override {
    BuildDecisionInput(tree, stats, limits_, dial_, &input_);
    int32_t scores[kMaxCandidates];
    const int own = DecidePolicy(*model_, input_, scores);
    const int n = static_cast<int>(input_.candidates.size());
    const size_t d = trace_->choice.size();
    int choice = own;
    if (d < trial_.script.size()) {
      choice = trial_.script[d];
    } else if (trial_.tail != nullptr) {
      if (d < trial_.tail->size()) choice = (*trial_.tail)[d];
    } else if (trial_.rest >= 0) {
      choice = -1 - trial_.rest;
    }
    if (choice >= n || (choice < 0 && BaseOf(choice) >= static_cast<int>(bases_.size()))) {
      choice = own;  // a replay that diverged (expected only for a tail)
    }
    std::vector<int> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    // Ties to the earlier candidate, as DecidePolicy: own comes first.
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
    order.resize(std::min<size_t>(order.size(), static_cast<size_t>(keep_) + 1));
    trace_->ranked.push_back(std::move(order));
    trace_->own.push_back(own);
    trace_->choice.push_back(choice);
    trace_->own_text.push_back(Describe(own));
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
    if (choice < 0) {
      const bool compact = bases_[static_cast<size_t>(BaseOf(choice))]->Pick(tree, stats, request);
      trace_->choice_text.push_back(compact ? request->reason : std::string("wait"));
      return compact;
    }
    trace_->choice_text.push_back(Describe(choice));
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
  const Trial& trial_;
  const int keep_;
  const bool record_;
  RunTrace* const trace_;
  const PolicyLimits limits_;
  std::vector<std::unique_ptr<CompactionPicker>> bases_;
  DecisionInput input_;
};

RunTrace Play(const SimConfig& config, const std::shared_ptr<const PolicyModel>& model,
              const ObjectiveDial& dial, const std::vector<Op>& ops, const Trial& trial,
              const RolloutOptions& options, int keep, bool record) {
  RunTrace t;
  ScriptedPicker picker(config.options, model, dial, trial, options.bases, keep, record, &t);
  t.result = Simulate(config, &picker, ops);
  t.cost = t.result.Cost(dial.wear, dial.read, dial.space);
  return t;
}

// Plays every trial on up to `threads` threads.
std::vector<RunTrace> PlayAll(const SimConfig& config, const std::shared_ptr<const PolicyModel>& model,
                              const ObjectiveDial& dial, const std::vector<Op>& ops,
                              const std::vector<Trial>& trials, const RolloutOptions& options,
                              int keep, bool record) {
  std::vector<RunTrace> runs(trials.size());
  const size_t nthreads = std::min(trials.size(), static_cast<size_t>(std::max(1, options.threads)));
  std::vector<std::thread> pool;
  for (size_t t = 0; t < nthreads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t; i < trials.size(); i += nthreads) {
        runs[i] = Play(config, model, dial, ops, trials[i], options, keep, record);
      }
    });
  }
  for (std::thread& th : pool) th.join();
  return runs;
}

}  // namespace

RolloutResult Rollout(const SimConfig& config, std::shared_ptr<const PolicyModel> model,
                      const ObjectiveDial& dial, const std::vector<Op>& ops,
                      const RolloutOptions& options) {
  const int keep = std::max(0, options.alternatives);
  RolloutResult r;
  RunTrace best = Play(config, model, dial, ops, Trial{}, options, keep, options.record);
  r.model_cost = best.cost;
  r.trials = 1;
  {
    // Each base alone, from the first decision.
    std::vector<Trial> alone;
    for (size_t p = 0; p < options.bases.size(); ++p) alone.push_back(Trial{{}, static_cast<int>(p)});
    std::vector<RunTrace> runs = PlayAll(config, model, dial, ops, alone, options, keep, false);
    r.trials += static_cast<int>(runs.size());
    for (RunTrace& run : runs) r.base_costs.push_back(run.cost);
  }
  for (int pass = 0; pass < std::max(1, options.passes); ++pass) {
    r.passes = pass + 1;
    bool kept_any = false;
    // The kept run as it stood when this pass began, for its tail.
    const std::vector<int> before = best.choice;
    std::vector<int> script;
    for (size_t k = 0; k < best.choice.size() && static_cast<int>(k) < options.max_decisions; ++k) {
      // What decides the rest of the current best run after decision k.
      int rest = -1;
      if (best.choice[k] < 0) rest = BaseOf(best.choice[k]);
      std::vector<Trial> trials;
      std::vector<int> tried;  // candidate index of a model trial, else -1
      auto add = [&](int c, int rest_of_run, const std::vector<int>* tail) {
        Trial t{script, rest_of_run, tail};
        t.script.push_back(c);
        trials.push_back(std::move(t));
        tried.push_back(rest_of_run == -1 && tail == nullptr ? c : -1);
      };
      std::vector<int> alts;
      for (int c : best.ranked[k]) {
        if (c != best.choice[k]) alts.push_back(c);
      }
      if (best.choice[k] != 0 && std::find(alts.begin(), alts.end(), 0) == alts.end()) alts.push_back(0);
      for (int c : alts) {
        add(c, -1, nullptr);
        if (rest >= 0) add(c, rest, nullptr);
        if (pass > 0) add(c, -1, &before);
      }
      for (size_t p = 0; p < options.bases.size(); ++p) {
        const int code = -1 - static_cast<int>(p);
        if (code == best.choice[k]) continue;
        trials.push_back(Trial{script, static_cast<int>(p)});
        tried.push_back(-1);
      }
      if (trials.empty()) {
        script.push_back(best.choice[k]);
        continue;
      }
      if (pass == 0) r.branched++;
      const bool record = options.record && pass == 0;
      std::vector<RunTrace> runs = PlayAll(config, model, dial, ops, trials, options, keep, record);
      r.trials += static_cast<int>(trials.size());
      size_t pick = trials.size();
      for (size_t i = 0; i < runs.size(); ++i) {
        // Strictly cheaper only, so ties keep the current choice.
        if (runs[i].cost < (pick == trials.size() ? best.cost : runs[pick].cost)) pick = i;
      }
      if (record && k < best.inputs.size()) {
        // Every run here shares the kept prefix, so decision k saw the same
        // input in all of them.
        Demonstration demo;
        demo.input = best.inputs[k];
        demo.own = best.own[k];
        demo.tried.emplace_back(best.choice[k], best.cost);
        for (size_t i = 0; i < runs.size(); ++i) {
          if (tried[i] >= 0) demo.tried.emplace_back(tried[i], runs[i].cost);
        }
        demo.kept = pick < trials.size() && tried[pick] >= 0 ? tried[pick] : best.choice[k];
        r.demonstrations.push_back(std::move(demo));
      }
      if (pick < trials.size()) {
        best = std::move(runs[pick]);
        kept_any = true;
        RolloutChange ch;
        ch.decision = static_cast<int>(k);
        ch.seconds = best.seconds[k];
        ch.own = best.own_text[k];
        ch.kept = best.choice_text[k];
        if (best.choice[k] < 0) {
          ch.kept += " (" + options.bases[static_cast<size_t>(BaseOf(best.choice[k]))].first +
                     " from here)";
        }
        ch.cost_after = best.cost;
        r.changes.push_back(std::move(ch));
      }
      script.push_back(best.choice[k]);
    }
    if (!kept_any) break;
  }
  r.rollout_cost = best.cost;
  r.rollout = best.result;
  r.decisions = static_cast<int>(best.choice.size());
  for (size_t k = 0; k < best.choice.size(); ++k) {
    if (best.choice[k] < 0) r.by_base++;
    if (best.choice[k] != best.own[k]) {
      r.changed++;
      if (best.choice[k] == 0) r.changed_to_wait++;
    }
  }
  return r;
}

}  // namespace firn::trainer
