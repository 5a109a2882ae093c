// policy/features.cc: candidate enumeration and feature schema version 2
// (docs/policy.md lists every feature and its scaling).
#include "policy/features.h"

#include <algorithm>
#include <cmath>

namespace firn {

namespace {

// Global feature indexes.
enum Global {
  kGWear = 0,
  kGRead,
  kGSpace,
  kGLevel0Pressure,
  kGTotalRuns,
  kGSpaceAmp,
  kGTombstoneShare,
  kGWriteRate,
  kGReadRate,
  kGScanRate,
  kGDeleteShare,
  kGSinceCompaction,
  kGPendingFlush,
  kGFreeSpace,
  kGDepth,
  kGBias,
};

// Candidate feature indexes.
enum Cand {
  kCWait = 0,
  kCRuns,
  kCFiles,
  kCShareOfTree,
  kCBytes,
  kCOverlap,
  kCTombstones,
  kCAge,
  kCDedup,
  kCOutputLevel,
  kCNewRun,
  kCWholeLevel,
  kCRunReduction,
  kCBottommost,
  kCInputLevel,
  kCTrivialMove,
};

// Sizes and times are measured against the memtable, so that a tree built
// with larger memtables (which takes proportionally more bytes and time to
// build) looks like the same tree: bytes and seconds as they would be at a
// 256 KiB memtable (kReferenceMemtable), where schema 1's units (64 KiB,
// seconds) still hold.
constexpr double kReferenceMemtable = 256.0 * 1024;

double ReferenceScale(const PolicyLimits& limits) {
  return kReferenceMemtable / static_cast<double>(std::max<uint64_t>(1, limits.memtable_bytes));
}

struct InputTotals {
  int runs = 0;
  int files = 0;
  uint64_t bytes = 0;
  uint64_t entries = 0;
  uint64_t deletions = 0;
  uint64_t max_run_entries = 0;
  uint64_t max_age = 0;
  int min_level = 1 << 20;
  bool whole_level = true;
  std::string smallest, largest;
  bool has_range = false;
};

InputTotals Totals(const TreeShape& tree, const CompactionRequest& r) {
  InputTotals t;
  for (const CompactionInputRun& in : r.inputs) {
    const LevelShape& level = tree.levels[in.level];
    const RunShape* run = nullptr;
    for (const RunShape& rs : level.runs) {
      if (rs.id == in.run_id) run = &rs;
    }
    if (run == nullptr) continue;
    t.runs++;
    t.min_level = std::min(t.min_level, in.level);
    uint64_t run_entries = 0;
    for (const FileShape& f : run->files) {
      if (!in.file_numbers.empty() &&
          std::find(in.file_numbers.begin(), in.file_numbers.end(), f.number) ==
              in.file_numbers.end()) {
        t.whole_level = false;
        continue;
      }
      t.files++;
      t.bytes += f.bytes;
      t.entries += f.entries;
      t.deletions += f.deletions;
      run_entries += f.entries;
      t.max_age = std::max(t.max_age, f.age_micros);
      if (!t.has_range || f.smallest < t.smallest) t.smallest = f.smallest;
      if (!t.has_range || f.largest > t.largest) t.largest = f.largest;
      t.has_range = true;
    }
    t.max_run_entries = std::max(t.max_run_entries, run_entries);
  }
  for (int l = 0; l < static_cast<int>(tree.levels.size()); ++l) {
    for (const RunShape& rs : tree.levels[l].runs) {
      bool named = false;
      for (const CompactionInputRun& in : r.inputs) {
        if (in.level == l && in.run_id == rs.id) named = true;
      }
      bool in_input_levels = false;
      for (const CompactionInputRun& in : r.inputs) {
        if (in.level == l) in_input_levels = true;
      }
      if (in_input_levels && !named) t.whole_level = false;
    }
  }
  return t;
}

// Bytes of files in runs at `level` and deeper that overlap [lo, hi].
uint64_t OverlapBytes(const TreeShape& tree, int from_level, const std::string& lo,
                      const std::string& hi, const CompactionRequest& r) {
  uint64_t bytes = 0;
  for (int l = from_level; l < static_cast<int>(tree.levels.size()); ++l) {
    for (const RunShape& rs : tree.levels[l].runs) {
      bool input = false;
      for (const CompactionInputRun& in : r.inputs) {
        if (in.level == l && in.run_id == rs.id) input = true;
      }
      if (input) continue;
      for (const FileShape& f : rs.files) {
        if (f.largest >= lo && f.smallest <= hi) bytes += f.bytes;
      }
    }
    if (l >= r.output_level) break;  // only the output level and above
  }
  return bytes;
}

void AddCandidate(const TreeShape& tree, const PolicyLimits& limits, CompactionRequest request,
                  DecisionInput* input) {
  if (static_cast<int>(input->candidates.size()) >= kMaxCandidates) return;
  InputTotals t = Totals(tree, request);
  if (t.files == 0) return;
  Candidate c;
  c.request = std::move(request);
  const CompactionRequest& r = c.request;
  std::array<int8_t, kCandidateFeatures>& f = c.features;
  const int num_levels = std::max(1, limits.num_levels);
  const int deepest = tree.DeepestLevel();
  uint64_t overlap = t.has_range ? OverlapBytes(tree, r.output_level, t.smallest, t.largest, r) : 0;
  bool output_has_runs = !tree.levels[r.output_level].runs.empty();
  f[kCWait] = 0;
  f[kCRuns] = static_cast<int8_t>(std::min(127, t.runs * 16));
  f[kCFiles] = QuantLog2(t.files, 16);
  f[kCShareOfTree] = QuantRatio(static_cast<double>(t.bytes), static_cast<double>(tree.total_bytes));
  f[kCBytes] = QuantLog2(static_cast<double>(t.bytes) * ReferenceScale(limits) / 65536.0, 8);
  f[kCOverlap] = QuantLog2(t.bytes == 0 ? 0 : static_cast<double>(overlap) / t.bytes, 32);
  f[kCTombstones] = QuantRatio(static_cast<double>(t.deletions), static_cast<double>(t.entries));
  f[kCAge] = QuantLog2(static_cast<double>(t.max_age) / 1e6 * ReferenceScale(limits), 12);
  f[kCDedup] = QuantRatio(static_cast<double>(t.max_run_entries), static_cast<double>(t.entries));
  f[kCOutputLevel] = QuantRatio(r.output_level, num_levels - 1);
  f[kCNewRun] = (r.output_level > t.min_level && output_has_runs && overlap > 0) ? 127 : 0;
  f[kCWholeLevel] = t.whole_level ? 127 : 0;
  f[kCRunReduction] = static_cast<int8_t>(std::min(127, std::max(0, t.runs - 1) * 16));
  f[kCBottommost] = r.output_level >= deepest ? 127 : 0;
  f[kCInputLevel] = QuantRatio(t.min_level, num_levels - 1);
  f[kCTrivialMove] = (t.files == 1 && t.runs == 1 && r.output_level != t.min_level && overlap == 0)
                         ? 127
                         : 0;
  input->candidates.push_back(std::move(c));
}

}  // namespace

int8_t QuantLog2(double x, double scale) {
  if (!(x > 0)) return 0;
  double q = std::round(scale * std::log2(1.0 + x));
  return static_cast<int8_t>(std::clamp(q, 0.0, 127.0));
}

int8_t QuantRatio(double num, double den) {
  if (!(den > 0) || !(num > 0)) return 0;
  double q = std::round(127.0 * num / den);
  return static_cast<int8_t>(std::clamp(q, 0.0, 127.0));
}

Status ParseObjectiveDial(std::string_view text, ObjectiveDial* dial) {
  ObjectiveDial d{0, 0, 0};
  bool seen_wear = false, seen_read = false, seen_space = false;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("policy_objective: expected name=weight, got '" +
                                     std::string(part) + "'");
    }
    std::string_view name = part.substr(0, eq), value = part.substr(eq + 1);
    if (value.empty() || value.size() > 2 ||
        value.find_first_not_of("0123456789") != std::string_view::npos) {
      return Status::InvalidArgument("policy_objective: weight of '" + std::string(name) +
                                     "' must be 0..15, got '" + std::string(value) + "'");
    }
    int w = std::stoi(std::string(value));
    if (w > 15) {
      return Status::InvalidArgument("policy_objective: weight of '" + std::string(name) +
                                     "' must be 0..15, got " + std::to_string(w));
    }
    if (name == "wear") {
      d.wear = w;
      seen_wear = true;
    } else if (name == "read") {
      d.read = w;
      seen_read = true;
    } else if (name == "space") {
      d.space = w;
      seen_space = true;
    } else {
      return Status::InvalidArgument("policy_objective: unknown term '" + std::string(name) +
                                     "' (wear, read, space)");
    }
  }
  if (!seen_wear) d.wear = 2;
  if (!seen_read) d.read = 1;
  if (!seen_space) d.space = 1;
  if (d.wear + d.read + d.space == 0) {
    return Status::InvalidArgument("policy_objective: all weights are 0");
  }
  *dial = d;
  return Status::OK();
}

void BuildDecisionInput(const TreeShape& tree, const WorkloadStats& stats,
                        const PolicyLimits& limits, const ObjectiveDial& dial,
                        DecisionInput* input) {
  input->candidates.clear();
  const int num_levels = static_cast<int>(tree.levels.size());
  const int deepest = tree.DeepestLevel();

  // Global features.
  std::array<int8_t, kGlobalFeatures>& g = input->global;
  g[kGWear] = static_cast<int8_t>(std::min(127, dial.wear * 8));
  g[kGRead] = static_cast<int8_t>(std::min(127, dial.read * 8));
  g[kGSpace] = static_cast<int8_t>(std::min(127, dial.space * 8));
  int l0_runs = num_levels > 0 ? static_cast<int>(tree.levels[0].runs.size()) : 0;
  g[kGLevel0Pressure] = QuantRatio(l0_runs, 2.0 * std::max(1, limits.max_runs_per_level));
  g[kGTotalRuns] = static_cast<int8_t>(std::min(127, tree.total_runs * 8));
  uint64_t last = tree.LastRunBytes();
  g[kGSpaceAmp] = QuantLog2(last == 0 ? 0 : static_cast<double>(tree.total_bytes - last) / last, 32);
  uint64_t entries = 0, deletions = 0;
  for (const LevelShape& l : tree.levels) {
    for (const RunShape& r : l.runs) {
      entries += r.entries;
      deletions += r.deletions;
    }
  }
  g[kGTombstoneShare] = QuantRatio(static_cast<double>(deletions), static_cast<double>(entries));
  g[kGWriteRate] = QuantLog2(stats.write_rate, 6);
  g[kGReadRate] = QuantLog2(stats.read_rate, 6);
  g[kGScanRate] = QuantLog2(stats.scan_rate, 6);
  g[kGDeleteShare] = QuantRatio(stats.delete_rate, stats.write_rate + stats.delete_rate);
  g[kGSinceCompaction] = QuantLog2(
      static_cast<double>(stats.micros_since_last_compaction) / 1e6 * ReferenceScale(limits), 12);
  g[kGPendingFlush] = QuantLog2(static_cast<double>(stats.pending_flush_bytes) /
                                    std::max<uint64_t>(1, limits.memtable_bytes), 32);
  g[kGFreeSpace] = QuantLog2(tree.total_bytes == 0 ? 64.0
                                                   : static_cast<double>(stats.free_space_bytes) /
                                                         tree.total_bytes, 16);
  g[kGDepth] = QuantRatio(deepest < 0 ? 0 : deepest, std::max(1, num_levels - 1));
  g[kGBias] = 64;

  // Candidate 0: wait.
  Candidate wait;
  wait.wait = true;
  wait.features.fill(0);
  wait.features[kCWait] = 127;
  input->candidates.push_back(std::move(wait));
  if (deepest < 0) return;

  // Whole full compaction into the deepest level.
  if (tree.total_runs >= 2) {
    CompactionRequest r;
    for (int l = 0; l <= deepest; ++l) {
      for (const RunShape& rs : tree.levels[l].runs) r.inputs.push_back({l, rs.id, {}});
    }
    r.output_level = deepest;
    r.reason = "learned: merge everything";
    AddCandidate(tree, limits, std::move(r), input);
  }
  for (int l = 0; l < num_levels; ++l) {
    const std::vector<RunShape>& runs = tree.levels[l].runs;
    if (runs.empty()) continue;
    // All runs of the level into the next level (in place at the last).
    if (l + 1 < num_levels || runs.size() >= 2) {
      CompactionRequest r;
      for (const RunShape& rs : runs) r.inputs.push_back({l, rs.id, {}});
      r.output_level = l + 1 < num_levels ? l + 1 : l;
      r.reason = "learned: level " + std::to_string(l) + " down";
      AddCandidate(tree, limits, std::move(r), input);
    }
    // The newest k runs merged in place.
    for (size_t k = 2; k < runs.size() && k <= 5; ++k) {
      CompactionRequest r;
      for (size_t i = 0; i < k; ++i) r.inputs.push_back({l, runs[i].id, {}});
      r.output_level = l;
      r.reason = "learned: " + std::to_string(k) + " newest runs of level " + std::to_string(l);
      AddCandidate(tree, limits, std::move(r), input);
    }
    // Single files of the oldest run of the level pushed one level down:
    // the one with the least overlap below, the most tombstones, the oldest.
    if (l + 1 < num_levels) {
      const RunShape& run = runs.back();
      if (run.files.size() >= 2) {
        size_t least = 0, most_dead = 0, oldest = 0;
        double least_ratio = 1e300;
        for (size_t i = 0; i < run.files.size(); ++i) {
          const FileShape& fs = run.files[i];
          uint64_t ov = 0;
          for (const RunShape& below : tree.levels[l + 1].runs) {
            for (const FileShape& b : below.files) {
              if (b.largest >= fs.smallest && b.smallest <= fs.largest) ov += b.bytes;
            }
          }
          double ratio = static_cast<double>(ov) / std::max<uint64_t>(1, fs.bytes);
          if (ratio < least_ratio) {
            least_ratio = ratio;
            least = i;
          }
          if (fs.deletions * run.files[most_dead].entries >
              run.files[most_dead].deletions * fs.entries) {
            most_dead = i;
          }
          if (fs.age_micros > run.files[oldest].age_micros) oldest = i;
        }
        size_t picks[3] = {least, most_dead, oldest};
        for (int p = 0; p < 3; ++p) {
          if ((p == 1 && picks[1] == picks[0]) || (p == 2 && (picks[2] == picks[0] || picks[2] == picks[1]))) {
            continue;
          }
          CompactionRequest r;
          r.inputs.push_back({l, run.id, {run.files[picks[p]].number}});
          r.output_level = l + 1;
          r.reason = "learned: one file of level " + std::to_string(l) + " down";
          AddCandidate(tree, limits, std::move(r), input);
        }
      }
    }
  }
  // Rewrite bottom files full of tombstones in place.
  const RunShape& bottom = tree.levels[deepest].runs.back();
  for (const FileShape& fs : bottom.files) {
    if (fs.entries > 0 && fs.deletions * 10 >= fs.entries) {
      CompactionRequest r;
      r.inputs.push_back({deepest, bottom.id, {fs.number}});
      r.output_level = deepest;
      r.reason = "learned: drop tombstones";
      AddCandidate(tree, limits, std::move(r), input);
    }
  }
}

}  // namespace firn
