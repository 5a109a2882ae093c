// policy/learned_picker.cc: see learned_picker.h.
#include "policy/learned_picker.h"

#include <cinttypes>
#include <cstdio>
#include <algorithm>
#include <deque>

namespace firn {

int DecidePolicy(const PolicyModel& model, const DecisionInput& input, int32_t* scores) {
  const int8_t* suffixes[kMaxCandidates];
  int count = static_cast<int>(input.candidates.size());
  for (int c = 0; c < count; ++c) suffixes[c] = input.candidates[c].features.data();
  model.mlp.ScoreShared(input.global.data(), kGlobalFeatures, suffixes, kCandidateFeatures,
                        count, scores);
  int best = 0;
  for (int c = 1; c < count; ++c) {
    if (scores[c] > scores[best]) best = c;
  }
  return best;
}

namespace {

constexpr size_t kKeptDecisions = 16;

class LearnedPicker final : public CompactionPicker {
 public:
  LearnedPicker(const Options& options, std::shared_ptr<const PolicyModel> model,
                const ObjectiveDial& dial)
      : model_(std::move(model)), dial_(dial), limits_(PolicyLimitsFor(options)) {}

  const char* Name() const override { return "learned"; }

  bool Pick(const TreeShape& tree, const WorkloadStats& stats,
            CompactionRequest* request) override {
    BuildDecisionInput(tree, stats, limits_, dial_, &input_);
    int32_t scores[kMaxCandidates];
    int best = DecidePolicy(*model_, input_, scores);
    Remember(stats.now_micros, best, scores);
    if (best == 0) return false;
    *request = input_.candidates[best].request;
    return true;
  }

  std::string Explain() const override {
    char buf[200];
    std::snprintf(buf, sizeof(buf),
                  "policy: learned, dial wear=%d,read=%d,space=%d, model %016" PRIx64
                  " (%zu bytes, %s kernel)\n",
                  dial_.wear, dial_.read, dial_.space, model_->id, model_->encoded_bytes,
                  model_->mlp.KernelName());
    std::string r = buf;
    r += "model source: " + model_->source + "\n";
    for (const std::string& d : decisions_) r += d;
    return r;
  }

 private:
  void Remember(uint64_t now, int best, const int32_t* scores) {
    char buf[200];
    std::snprintf(buf, sizeof(buf), "decision at %.3f s: %s (score %" PRId32 "), %zu candidates\n",
                  static_cast<double>(now) / 1e6,
                  best == 0 ? "wait" : input_.candidates[best].request.reason.c_str(), scores[best],
                  input_.candidates.size());
    std::string d = buf;
    // The best few alternatives, highest first.
    std::vector<int> order(input_.candidates.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
    for (size_t i = 0; i < order.size() && i < 4; ++i) {
      const Candidate& c = input_.candidates[order[i]];
      std::snprintf(buf, sizeof(buf), "    %8" PRId32 "  %s\n", scores[order[i]],
                    c.wait ? "wait" : c.request.reason.c_str());
      d += buf;
    }
    if (decisions_.size() >= kKeptDecisions) decisions_.pop_front();
    decisions_.push_back(std::move(d));
  }

  std::shared_ptr<const PolicyModel> model_;
  const ObjectiveDial dial_;
  const PolicyLimits limits_;
  DecisionInput input_;  // reused: no allocation per decision once warm
  std::deque<std::string> decisions_;
};

}  // namespace

std::unique_ptr<CompactionPicker> NewLearnedPicker(const Options& options,
                                                   std::shared_ptr<const PolicyModel> model,
                                                   const ObjectiveDial& dial) {
  return std::make_unique<LearnedPicker>(options, std::move(model), dial);
}

}  // namespace firn
