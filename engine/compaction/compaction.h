// compaction/compaction.h: a validated, expanded compaction.
//
// Compaction::Prepare turns a picker's request into a compaction that keeps
// every invariant of version.h, whatever the picker asked for. Rules:
//  1. Every named run and file must exist; the output level may not be
//     above the oldest input's level nor beyond the last level.
//  2. Let R be the user-key range of the chosen files. Every run between
//     the newest input run and the output position (in the global recency
//     order) that overlaps R contributes all its files overlapping R, and
//     the range grows with them, until nothing changes. Then no run left
//     between the inputs and the output's position holds a key of R, so the
//     output may take the oldest input's place without reordering versions.
//  3. The output goes into the oldest input run when that run is at the
//     output level; otherwise into the newest run of the output level when
//     that run does not overlap R; otherwise into a new run that becomes
//     the newest of the output level.
// Thread safety: a Compaction is immutable after Prepare.
#ifndef FIRN_COMPACTION_COMPACTION_H_
#define FIRN_COMPACTION_COMPACTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compaction/picker.h"
#include "version/version.h"
#include "version/version_edit.h"

namespace firn {

struct CompactionInput {
  int level = 0;
  uint64_t run_id = 0;
  std::vector<FileRef> files;  // in key order
};

class Compaction {
 public:
  // InvalidArgument naming the problem if the request is malformed.
  static Status Prepare(const Version& v, const CompactionRequest& request,
                        std::unique_ptr<Compaction>* result);

  // Input runs, newest first.
  const std::vector<CompactionInput>& inputs() const { return inputs_; }
  int output_level() const { return output_level_; }
  // Run that receives the output; 0: a new run (the caller assigns an id).
  uint64_t output_run_id() const { return output_run_id_; }
  const std::string& reason() const { return reason_; }
  int NumInputFiles() const;
  uint64_t InputBytes() const;
  std::string_view smallest_user_key() const { return smallest_; }
  std::string_view largest_user_key() const { return largest_; }

  // One input file that can be moved to the output run without rewriting.
  bool IsTrivialMove() const;
  // True if no run older than the output position may hold user_key, so a
  // deletion of it can be dropped. Calls must come in increasing key order.
  bool IsBaseForKey(std::string_view user_key);
  // Records the removal of every input file in edit.
  void AddInputDeletions(VersionEdit* edit) const;
  std::string DebugString() const;

 private:
  Compaction() = default;

  std::vector<CompactionInput> inputs_;
  int output_level_ = 0;
  uint64_t output_run_id_ = 0;
  std::string reason_;
  std::string smallest_, largest_;
  // Runs older than the output position that overlap [smallest_, largest_],
  // with a cursor each for IsBaseForKey.
  std::vector<std::vector<FileRef>> older_;
  std::vector<size_t> older_pos_;
};

}  // namespace firn

#endif  // FIRN_COMPACTION_COMPACTION_H_
