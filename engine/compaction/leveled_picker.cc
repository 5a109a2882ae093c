// compaction/leveled_picker.cc: leveled compaction in the manner of LevelDB.
//
// Level 0 holds the runs flushes make; every deeper level holds one run
// whose target size is leveled_base_bytes * leveled_multiplier^(level-1).
// Scores: level 0 = runs / max_runs_per_level; level n = bytes / target; a
// deeper level holding several runs (a tree built by another picker) scores
// high so it is first merged into one. The highest score >= 1 is compacted:
// level 0 merges all its runs with the overlapping files of level 1; a
// level n >= 1 takes one file, chosen round-robin through the key space, and
// merges it with the overlapping files of level n+1. The deepest level only
// merges its own runs.
#include <memory>
#include <string>
#include <vector>

#include "compaction/picker.h"

namespace firn {

namespace {

class LeveledPicker final : public CompactionPicker {
 public:
  explicit LeveledPicker(const Options& options)
      : max_runs_l0_(MaxRunsPerLevel(options)),
        base_bytes_(options.leveled_base_bytes),
        multiplier_(options.leveled_multiplier),
        compact_pointer_(options.num_levels) {}

  const char* Name() const override { return "leveled"; }

  bool Pick(const TreeShape& tree, const WorkloadStats& /*stats*/,
            CompactionRequest* request) override {
    const int num_levels = static_cast<int>(tree.levels.size());
    double best_score = 0;
    int best = -1;
    for (int l = 0; l < num_levels; ++l) {
      const LevelShape& level = tree.levels[l];
      double score;
      if (l == 0) {
        score = static_cast<double>(level.runs.size()) / max_runs_l0_;
      } else if (level.runs.size() > 1) {
        score = 100.0 + static_cast<double>(level.runs.size());
      } else if (l == num_levels - 1) {
        score = 0;  // nowhere deeper to go
      } else {
        double target = static_cast<double>(base_bytes_);
        for (int i = 1; i < l; ++i) target *= multiplier_;
        score = static_cast<double>(level.bytes) / target;
      }
      if (score > best_score) {
        best_score = score;
        best = l;
      }
    }
    if (best < 0 || best_score < 1.0) return false;

    const LevelShape& level = tree.levels[best];
    request->inputs.clear();
    if (best > 0 && level.runs.size() > 1) {
      for (const RunShape& r : level.runs) request->inputs.push_back({best, r.id, {}});
      request->output_level = best;
      request->reason = "merge runs of level " + std::to_string(best);
      return true;
    }
    std::string smallest, largest;
    if (best == 0) {
      bool first = true;
      for (const RunShape& r : level.runs) {
        request->inputs.push_back({0, r.id, {}});
        for (const FileShape& f : r.files) {
          if (first || f.smallest < smallest) smallest = f.smallest;
          if (first || f.largest > largest) largest = f.largest;
          first = false;
        }
      }
      request->reason = "level 0 run count";
    } else {
      // One file of level `best`, the first past the compact pointer.
      const RunShape& run = level.runs[0];
      size_t pick = 0;
      std::string& pointer = compact_pointer_[best];
      if (!pointer.empty()) {
        while (pick < run.files.size() && run.files[pick].largest <= pointer) ++pick;
        if (pick == run.files.size()) pick = 0;
      }
      pointer = run.files[pick].largest;
      smallest = run.files[pick].smallest;
      largest = run.files[pick].largest;
      request->inputs.push_back({best, run.id, {run.files[pick].number}});
      request->reason = "level " + std::to_string(best) + " size";
    }
    if (best + 1 >= num_levels) {
      request->output_level = best;
      return true;
    }
    // The overlapping files of the next level's run; Compaction::Prepare
    // widens the set further if the range grows.
    request->output_level = best + 1;
    const LevelShape& next = tree.levels[best + 1];
    if (!next.runs.empty()) {
      const RunShape& nrun = next.runs[0];
      CompactionInputRun in{best + 1, nrun.id, {}};
      for (const FileShape& f : nrun.files) {
        if (f.largest >= smallest && f.smallest <= largest) in.file_numbers.push_back(f.number);
      }
      if (!in.file_numbers.empty()) request->inputs.push_back(std::move(in));
    }
    return true;
  }

 private:
  const int max_runs_l0_;
  const uint64_t base_bytes_;
  const int multiplier_;
  std::vector<std::string> compact_pointer_;
};

}  // namespace

std::unique_ptr<CompactionPicker> NewLeveledPicker(const Options& options) {
  return std::make_unique<LeveledPicker>(options);
}

}  // namespace firn
