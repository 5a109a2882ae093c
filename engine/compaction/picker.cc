// compaction/picker.cc: shapes and the picker factory.
#include "compaction/picker.h"

#include <algorithm>

#include "version/version.h"

namespace firn {

uint64_t RateWindowMicros(uint64_t memtable_bytes) {
  return std::clamp<uint64_t>(memtable_bytes / 8, 10000, 2000000);
}

uint64_t TreeShape::LastRunBytes() const {
  int deepest = DeepestLevel();
  return deepest < 0 ? 0 : levels[deepest].runs.back().bytes;
}

int TreeShape::DeepestLevel() const {
  for (int l = static_cast<int>(levels.size()) - 1; l >= 0; --l) {
    if (!levels[l].runs.empty()) return l;
  }
  return -1;
}

bool GuardrailTripped(const TreeShape& shape, const Options& options) {
  const int max_runs = MaxRunsPerLevel(options);
  const int run_cap = max_runs + (max_runs + 1) / 2;
  for (const LevelShape& level : shape.levels) {
    if (static_cast<int>(level.runs.size()) > run_cap) return true;
  }
  const uint64_t last = shape.LastRunBytes();
  return shape.total_runs > 1 && last > 0 &&
         (shape.total_bytes - last) * 100 >
             2 * static_cast<uint64_t>(options.max_space_amplification_percent) * last &&
         shape.total_bytes >= 4 * static_cast<uint64_t>(options.memtable_bytes);
}

TreeShape ShapeOf(const Version& v, uint64_t now_micros) {
  TreeShape tree;
  tree.levels.resize(v.num_levels());
  for (int l = 0; l < v.num_levels(); ++l) {
    LevelShape& level = tree.levels[l];
    for (const Run& run : v.level(l).runs) {
      RunShape rs;
      rs.id = run.id;
      rs.bytes = run.bytes;
      rs.entries = run.entries;
      rs.deletions = run.deletions;
      rs.files.reserve(run.files.size());
      for (const FileRef& f : run.files) {
        FileShape fs;
        fs.number = f->number;
        fs.bytes = f->file_size;
        fs.smallest.assign(f->smallest_user_key());
        fs.largest.assign(f->largest_user_key());
        fs.entries = f->num_entries;
        fs.deletions = f->num_deletions;
        fs.age_micros = now_micros > f->created_micros ? now_micros - f->created_micros : 0;
        rs.files.push_back(std::move(fs));
      }
      level.bytes += rs.bytes;
      level.runs.push_back(std::move(rs));
    }
    tree.total_bytes += level.bytes;
    tree.total_runs += static_cast<int>(level.runs.size());
  }
  return tree;
}

std::unique_ptr<CompactionPicker> NewCompactionPicker(const Options& options) {
  switch (options.compaction) {
    case CompactionStyle::kLeveled:
      return NewLeveledPicker(options);
    case CompactionStyle::kTiered:
    case CompactionStyle::kLearned:
      break;
  }
  return NewTieredPicker(options);
}

}  // namespace firn
