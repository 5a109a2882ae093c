// compaction/tiered_picker.cc: size-ratio tiering in the manner of RocksDB's
// universal compaction, over firn's levels of runs.
//
// Each level holds up to max_runs_per_level runs. In order of precedence:
//  1. Space amplification: when the bytes of every run but the oldest
//     exceed max_space_amplification_percent of the oldest run, everything
//     is merged into the deepest non-empty level. The rule applies once the
//     tree holds more than max_runs_per_level runs and at least four
//     memtables of data, so a young tree is not rewritten at every flush.
//  2. A level that holds max_runs_per_level runs or more is merged. Starting
//     from its newest run, runs are taken while the next one is no larger
//     than the sum so far plus tiered_size_ratio_percent. If that takes some
//     but not all runs of the level (at least two), they merge in place;
//     otherwise all of the level's runs merge into one run at the next
//     level (in place at the last level).
// Otherwise it waits.
#include <memory>

#include "compaction/picker.h"

namespace firn {

namespace {

class TieredPicker final : public CompactionPicker {
 public:
  explicit TieredPicker(const Options& options)
      : max_runs_(MaxRunsPerLevel(options)),
        ratio_(options.tiered_size_ratio_percent),
        max_space_amp_(options.max_space_amplification_percent),
        min_bytes_for_space_check_(4 * static_cast<uint64_t>(options.memtable_bytes)) {}

  const char* Name() const override { return "tiered"; }

  bool Pick(const TreeShape& tree, const WorkloadStats& /*stats*/,
            CompactionRequest* request) override {
    const int num_levels = static_cast<int>(tree.levels.size());
    int deepest = tree.DeepestLevel();
    if (deepest < 0) return false;

    uint64_t last = tree.LastRunBytes();
    if (tree.total_runs > max_runs_ && tree.total_bytes >= min_bytes_for_space_check_ &&
        (tree.total_bytes - last) * 100 > static_cast<uint64_t>(max_space_amp_) * last) {
      request->inputs.clear();
      for (int l = 0; l <= deepest; ++l) {
        for (const RunShape& r : tree.levels[l].runs) request->inputs.push_back({l, r.id, {}});
      }
      request->output_level = deepest;
      request->reason = "space amplification";
      return true;
    }

    for (int l = 0; l < num_levels; ++l) {
      const std::vector<RunShape>& runs = tree.levels[l].runs;
      if (static_cast<int>(runs.size()) < max_runs_) continue;
      size_t k = 1;
      uint64_t sum = runs[0].bytes;
      while (k < runs.size() &&
             runs[k].bytes * 100 <= sum * static_cast<uint64_t>(100 + ratio_)) {
        sum += runs[k].bytes;
        ++k;
      }
      request->inputs.clear();
      if (k >= 2 && k < runs.size()) {
        for (size_t i = 0; i < k; ++i) request->inputs.push_back({l, runs[i].id, {}});
        request->output_level = l;
        request->reason = "size ratio at level " + std::to_string(l);
        return true;
      }
      for (const RunShape& r : runs) request->inputs.push_back({l, r.id, {}});
      request->output_level = l + 1 < num_levels ? l + 1 : l;
      request->reason = "run count at level " + std::to_string(l);
      return true;
    }
    return false;
  }

 private:
  const int max_runs_;
  const int ratio_;
  const int max_space_amp_;
  const uint64_t min_bytes_for_space_check_;
};

}  // namespace

std::unique_ptr<CompactionPicker> NewTieredPicker(const Options& options) {
  return std::make_unique<TieredPicker>(options);
}

}  // namespace firn
