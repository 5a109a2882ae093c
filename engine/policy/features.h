// policy/features.h: what the learned compaction policy sees (feature
// schema version 2, docs/policy.md).
//
// For one decision the policy gets kGlobalFeatures int8 values describing
// the tree, the workload and the objective dial, and, for every candidate
// compaction, kCandidateFeatures int8 values describing that candidate.
// One candidate is always "wait". Every feature is in [0, 127]; the scaling
// of each is part of the schema: changing any of it means a new
// kFeatureSchemaVersion, and models of another schema are refused.
// Thread safety: pure functions.
#ifndef FIRN_POLICY_FEATURES_H_
#define FIRN_POLICY_FEATURES_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "compaction/picker.h"

namespace firn {

// Version 2: bytes and times measured against the memtable (version 1 used
// 64 KiB units and plain seconds; the two agree at 256 KiB memtables).
constexpr uint32_t kFeatureSchemaVersion = 2;
constexpr int kGlobalFeatures = 16;
constexpr int kCandidateFeatures = 16;
constexpr int kMaxCandidates = 64;  // including "wait"

// The objective dial: relative weights of flash wear, read cost and space.
struct ObjectiveDial {
  int wear = 2;
  int read = 1;
  int space = 1;
};
// Parses "wear=2,read=1,space=1" (any subset, weights 0..15, not all 0).
// InvalidArgument naming the bad part otherwise.
Status ParseObjectiveDial(std::string_view text, ObjectiveDial* dial);

struct Candidate {
  bool wait = false;
  CompactionRequest request;  // empty when wait
  std::array<int8_t, kCandidateFeatures> features{};
};

struct DecisionInput {
  std::array<int8_t, kGlobalFeatures> global{};
  std::vector<Candidate> candidates;  // candidates[0] is "wait"
};

struct PolicyLimits {
  int num_levels = 7;
  int max_runs_per_level = 16;  // the run count features are scaled by
  uint64_t memtable_bytes = 4u << 20;  // the unit of byte and time features
};

// The runs per level the built-in model was trained to see as its limit
// (feature 3, level-0 pressure, is runs / (2 x this)). Under the default
// options the learned policy's guardrail sits higher (MaxRunsPerLevel: 24,
// a cap of 36 runs) while its features keep this scale: the model then
// decides as it was trained to, and the guardrail no longer merges
// everything at 25 runs where waiting pays (docs/policy.md, "The
// guardrail at 24 runs").
constexpr int kPolicyModelRuns = 16;

// The limits a picker for `options` decides under: max_runs_per_level or
// a memory budget, when set, is the features' scale too.
inline PolicyLimits PolicyLimitsFor(const Options& options) {
  PolicyLimits l;
  l.num_levels = options.num_levels;
  const bool defaults = options.compaction == CompactionStyle::kLearned &&
                        options.max_runs_per_level == 0 && options.memory_budget_bytes == 0;
  l.max_runs_per_level = defaults ? kPolicyModelRuns : MaxRunsPerLevel(options);
  l.memtable_bytes = options.memtable_bytes;
  return l;
}

// Enumerates candidate compactions of a tree (at most kMaxCandidates - 1,
// plus "wait" first) and computes every feature.
void BuildDecisionInput(const TreeShape& tree, const WorkloadStats& stats,
                        const PolicyLimits& limits, const ObjectiveDial& dial,
                        DecisionInput* input);

// log2-based quantizer used by the schema: min(127, round(scale * log2(1 + x))).
int8_t QuantLog2(double x, double scale);
// min(127, round(127 * num / den)), 0 when den == 0.
int8_t QuantRatio(double num, double den);

}  // namespace firn

#endif  // FIRN_POLICY_FEATURES_H_
