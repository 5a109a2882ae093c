// version/version_edit.h: one atomic change to the tree's shape, the unit
// recorded in the manifest (docs/format-manifest.md).
//
// An edit adds and removes files of runs at levels and moves the counters
// (next file number, last sequence, oldest live log, next run id). A file
// belongs to exactly one run, named by (level, run id); a run exists while
// it has files.
#ifndef FIRN_VERSION_VERSION_EDIT_H_
#define FIRN_VERSION_VERSION_EDIT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/dbformat.h"
#include "firn/status.h"

namespace firn {

// What the tree knows of one SST file. Immutable once in a Version.
struct FileMetaData {
  uint64_t number = 0;
  uint64_t file_size = 0;
  std::string smallest;  // smallest internal key
  std::string largest;   // largest internal key
  uint64_t num_entries = 0;
  uint64_t num_deletions = 0;
  SequenceNumber smallest_seq = 0;
  SequenceNumber largest_seq = 0;
  uint64_t created_micros = 0;  // Env::NowMicros when written (ages)

  std::string_view smallest_user_key() const { return ExtractUserKey(smallest); }
  std::string_view largest_user_key() const { return ExtractUserKey(largest); }
};

using FileRef = std::shared_ptr<const FileMetaData>;

// Manifest format version written in the first edit of every manifest.
// 2 added tags 8 and 9 (lifetime device and user bytes written); version 1
// manifests are still read (the counters start at 0).
constexpr uint32_t kManifestFormatVersion = 2;

class VersionEdit {
 public:
  struct NewFile {
    int level;
    uint64_t run_id;
    FileMetaData meta;
  };
  struct DeletedFile {
    int level;
    uint64_t run_id;
    uint64_t number;
  };

  void SetFormatVersion(uint32_t v) { format_version_ = v; }
  void SetLogNumber(uint64_t n) { log_number_ = n; }
  void SetNextFileNumber(uint64_t n) { next_file_number_ = n; }
  void SetLastSequence(SequenceNumber s) { last_sequence_ = s; }
  void SetNextRunId(uint64_t n) { next_run_id_ = n; }
  void SetLifetimeDeviceBytes(uint64_t n) { lifetime_device_bytes_ = n; }
  void SetLifetimeUserBytes(uint64_t n) { lifetime_user_bytes_ = n; }
  void AddFile(int level, uint64_t run_id, const FileMetaData& meta) {
    new_files_.push_back({level, run_id, meta});
  }
  void RemoveFile(int level, uint64_t run_id, uint64_t number) {
    deleted_files_.push_back({level, run_id, number});
  }

  const std::optional<uint32_t>& format_version() const { return format_version_; }
  const std::optional<uint64_t>& log_number() const { return log_number_; }
  const std::optional<uint64_t>& next_file_number() const { return next_file_number_; }
  const std::optional<SequenceNumber>& last_sequence() const { return last_sequence_; }
  const std::optional<uint64_t>& next_run_id() const { return next_run_id_; }
  const std::optional<uint64_t>& lifetime_device_bytes() const { return lifetime_device_bytes_; }
  const std::optional<uint64_t>& lifetime_user_bytes() const { return lifetime_user_bytes_; }
  const std::vector<NewFile>& new_files() const { return new_files_; }
  const std::vector<DeletedFile>& deleted_files() const { return deleted_files_; }

  void EncodeTo(std::string* dst) const;
  // Corruption("manifest edit: ...") on malformed input or an unknown tag.
  Status DecodeFrom(std::string_view src);

 private:
  std::optional<uint32_t> format_version_;
  std::optional<uint64_t> log_number_;
  std::optional<uint64_t> next_file_number_;
  std::optional<SequenceNumber> last_sequence_;
  std::optional<uint64_t> next_run_id_;
  std::optional<uint64_t> lifetime_device_bytes_;
  std::optional<uint64_t> lifetime_user_bytes_;
  std::vector<NewFile> new_files_;
  std::vector<DeletedFile> deleted_files_;
};

}  // namespace firn

#endif  // FIRN_VERSION_VERSION_EDIT_H_
