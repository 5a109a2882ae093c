// tools/trainer/hybrid.h: a yardstick for the learned policy, not a policy
// that ships (firn-trainer simulate --hybrid; docs/policy.md, "Handing
// reads to tiered at 24 runs").
//
// The learned picker, except that while gets are at least min_read_share
// of the operations of the last rate window and nothing scans, a static
// picker (tiered at 24 runs in the yardstick) decides. Both are asked at
// every decision, so each sees every decision as it would alone. It
// measures what a network able to hand the tree to a static rule while
// the workload reads could gain.
// Thread safety: as CompactionPicker (one caller at a time).
#ifndef FIRN_TOOLS_TRAINER_HYBRID_H_
#define FIRN_TOOLS_TRAINER_HYBRID_H_

#include <memory>

#include "compaction/picker.h"

namespace firn::trainer {

std::unique_ptr<CompactionPicker> NewHybridPicker(std::unique_ptr<CompactionPicker> learned,
                                                  std::unique_ptr<CompactionPicker> reads,
                                                  double min_read_share);

}  // namespace firn::trainer

#endif  // FIRN_TOOLS_TRAINER_HYBRID_H_
