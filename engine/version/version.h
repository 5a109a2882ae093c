// version/version.h: one immutable shape of the tree.
//
// A Version is `num_levels` levels; each level holds sorted runs, newest
// first; each run is SST files in increasing key order.
// Invariants (checked by Version::Apply, relied on by reads and
// compactions):
//  - Files of one run have disjoint user-key ranges, sorted by key, so at
//    most one file of a run can hold a given user key.
//  - Recency: for any user key, every version of it in run A is newer
//    (higher sequence) than every version in run B whenever A comes before
//    B in the global order: level ascending, then run id descending within
//    a level. A read therefore stops at the first run that has the key.
//  - Run ids are unique across the whole tree.
// Thread safety: a Version is immutable once built and shared by
// std::shared_ptr; readers hold a reference for as long as they use it.
#ifndef FIRN_VERSION_VERSION_H_
#define FIRN_VERSION_VERSION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "firn/iterator.h"
#include "firn/options.h"
#include "firn/status.h"
#include "sst/table.h"
#include "version/version_edit.h"

namespace firn {

class TableCache;

struct Run {
  uint64_t id = 0;
  std::vector<FileRef> files;  // sorted by key, disjoint user-key ranges
  uint64_t bytes = 0;
  uint64_t entries = 0;
  uint64_t deletions = 0;

  // Index of the only file that may hold user_key, or -1.
  int FindFile(std::string_view user_key) const;
  // True if a file of the run overlaps [smallest, largest] (user keys).
  bool Overlaps(std::string_view smallest, std::string_view largest) const;
};

struct Level {
  std::vector<Run> runs;  // newest (largest id) first
  uint64_t bytes = 0;
};

// Position of a run in the global recency order.
struct RunPosition {
  int level;
  int index;  // into Level::runs
};

class Version {
 public:
  explicit Version(int num_levels);

  int num_levels() const { return static_cast<int>(levels_.size()); }
  const std::vector<Level>& levels() const { return levels_; }
  const Level& level(int l) const { return levels_[l]; }

  // Finds user_key (hash = BloomHash(user_key), sst/bloom.h) as of seq. OK
  // with *value set if the newest visible version is a value; NotFound if
  // absent or deleted; an error from a damaged or unreadable file otherwise.
  Status Get(const ReadOptions& options, TableCache* cache, std::string_view user_key,
             uint64_t hash, SequenceNumber seq, std::string* value, ReadStats* stats) const;

  // Appends one iterator per run (over internal keys), newest first. The
  // iterators add the blocks they read to *stats (may be null), which must
  // outlive them.
  void AddIterators(const ReadOptions& options, TableCache* cache,
                    std::vector<Iterator*>* iters, ReadStats* stats = nullptr) const;

  // All runs in the global recency order (newest first).
  std::vector<RunPosition> RunOrder() const;
  const Run* FindRun(int level, uint64_t run_id) const;
  uint64_t TotalBytes() const;
  int TotalRuns() const;
  int TotalFiles() const;
  uint64_t TotalEntries() const;
  uint64_t TotalDeletions() const;
  // Largest run id in the tree (0 if empty).
  uint64_t MaxRunId() const;
  std::string DebugString() const;

  // Builds the version that results from applying edit to base. Corruption
  // if the edit removes a file that is not there, adds one twice, or breaks
  // a run's disjointness.
  static Status Apply(const Version& base, const VersionEdit& edit,
                      std::shared_ptr<Version>* result);

 private:
  std::vector<Level> levels_;
};

}  // namespace firn

#endif  // FIRN_VERSION_VERSION_H_
