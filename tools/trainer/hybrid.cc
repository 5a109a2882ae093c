// tools/trainer/hybrid.cc: see hybrid.h.
#include "tools/trainer/hybrid.h"

#include <utility>

namespace firn::trainer {
namespace {

class HybridPicker final : public CompactionPicker {
 public:
  HybridPicker(std::unique_ptr<CompactionPicker> learned, std::unique_ptr<CompactionPicker> reads,
               double min_read_share)
      : learned_(std::move(learned)), reads_(std::move(reads)), min_read_share_(min_read_share) {}

  const char* Name() const override { return "hybrid"; }

  bool Pick(const TreeShape& tree, const WorkloadStats& stats, CompactionRequest* request) override {
    CompactionRequest a, b;
    const bool learned_compacts = learned_->Pick(tree, stats, &a);
    const bool reads_compacts = reads_->Pick(tree, stats, &b);
    const double ops = stats.write_rate + stats.read_rate + stats.scan_rate;
    const bool reading = stats.scan_rate == 0 && ops > 0 && stats.read_rate >= min_read_share_ * ops;
    const bool compact = reading ? reads_compacts : learned_compacts;
    if (compact) *request = std::move(reading ? b : a);
    return compact;
  }

 private:
  const std::unique_ptr<CompactionPicker> learned_, reads_;
  const double min_read_share_;
};

}  // namespace

std::unique_ptr<CompactionPicker> NewHybridPicker(std::unique_ptr<CompactionPicker> learned,
                                                  std::unique_ptr<CompactionPicker> reads,
                                                  double min_read_share) {
  return std::make_unique<HybridPicker>(std::move(learned), std::move(reads), min_read_share);
}

}  // namespace firn::trainer
