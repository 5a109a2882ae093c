// policy/learned_picker.h: the learned compaction picker.
//
// For each decision it enumerates candidate compactions of the tree
// (policy/features.h), scores "wait" and every candidate with the int4
// network (policy/int4_mlp.h) and returns the best; ties go to the earlier
// candidate, so "wait" wins a tie. It keeps the last decisions, with their
// candidates and scores, for `policy explain` (Explain()).
// Thread safety: as CompactionPicker (one thread at a time).
#ifndef FIRN_POLICY_LEARNED_PICKER_H_
#define FIRN_POLICY_LEARNED_PICKER_H_

#include <memory>

#include "compaction/picker.h"
#include "policy/features.h"
#include "policy/model.h"

namespace firn {

std::unique_ptr<CompactionPicker> NewLearnedPicker(const Options& options,
                                                   std::shared_ptr<const PolicyModel> model,
                                                   const ObjectiveDial& dial);

// One decision as the picker made it: the index of the chosen candidate (0
// is wait) in `input`, and every candidate's score.
int DecidePolicy(const PolicyModel& model, const DecisionInput& input, int32_t* scores);

}  // namespace firn

#endif  // FIRN_POLICY_LEARNED_PICKER_H_
