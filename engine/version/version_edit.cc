// version/version_edit.cc: see version_edit.h. The tag values below are
// part of the manifest format (docs/format-manifest.md): never renumber.
#include "version/version_edit.h"

#include "util/coding.h"

namespace firn {

namespace {
enum Tag : uint32_t {
  kFormatVersion = 1,
  kLogNumber = 2,
  kNextFileNumber = 3,
  kLastSequence = 4,
  kNextRunId = 5,
  kDeletedFile = 6,
  kNewFile = 7,
  kLifetimeDeviceBytes = 8,  // format version 2
  kLifetimeUserBytes = 9,    // format version 2
};
}  // namespace

void VersionEdit::EncodeTo(std::string* dst) const {
  if (format_version_) {
    PutVarint32(dst, kFormatVersion);
    PutVarint32(dst, *format_version_);
  }
  if (log_number_) {
    PutVarint32(dst, kLogNumber);
    PutVarint64(dst, *log_number_);
  }
  if (next_file_number_) {
    PutVarint32(dst, kNextFileNumber);
    PutVarint64(dst, *next_file_number_);
  }
  if (last_sequence_) {
    PutVarint32(dst, kLastSequence);
    PutVarint64(dst, *last_sequence_);
  }
  if (next_run_id_) {
    PutVarint32(dst, kNextRunId);
    PutVarint64(dst, *next_run_id_);
  }
  if (lifetime_device_bytes_) {
    PutVarint32(dst, kLifetimeDeviceBytes);
    PutVarint64(dst, *lifetime_device_bytes_);
  }
  if (lifetime_user_bytes_) {
    PutVarint32(dst, kLifetimeUserBytes);
    PutVarint64(dst, *lifetime_user_bytes_);
  }
  for (const DeletedFile& d : deleted_files_) {
    PutVarint32(dst, kDeletedFile);
    PutVarint32(dst, static_cast<uint32_t>(d.level));
    PutVarint64(dst, d.run_id);
    PutVarint64(dst, d.number);
  }
  for (const NewFile& f : new_files_) {
    PutVarint32(dst, kNewFile);
    PutVarint32(dst, static_cast<uint32_t>(f.level));
    PutVarint64(dst, f.run_id);
    PutVarint64(dst, f.meta.number);
    PutVarint64(dst, f.meta.file_size);
    PutLengthPrefixed(dst, f.meta.smallest);
    PutLengthPrefixed(dst, f.meta.largest);
    PutVarint64(dst, f.meta.num_entries);
    PutVarint64(dst, f.meta.num_deletions);
    PutVarint64(dst, f.meta.smallest_seq);
    PutVarint64(dst, f.meta.largest_seq);
    PutVarint64(dst, f.meta.created_micros);
  }
}

Status VersionEdit::DecodeFrom(std::string_view src) {
  *this = VersionEdit();
  std::string_view in = src;
  const char* what = nullptr;
  uint32_t tag;
  while (what == nullptr && GetVarint32(&in, &tag)) {
    uint32_t v32;
    uint64_t v64;
    switch (tag) {
      case kFormatVersion:
        if (GetVarint32(&in, &v32)) format_version_ = v32; else what = "format version";
        break;
      case kLogNumber:
        if (GetVarint64(&in, &v64)) log_number_ = v64; else what = "log number";
        break;
      case kNextFileNumber:
        if (GetVarint64(&in, &v64)) next_file_number_ = v64; else what = "next file number";
        break;
      case kLastSequence:
        if (GetVarint64(&in, &v64)) last_sequence_ = v64; else what = "last sequence";
        break;
      case kNextRunId:
        if (GetVarint64(&in, &v64)) next_run_id_ = v64; else what = "next run id";
        break;
      case kLifetimeDeviceBytes:
        if (GetVarint64(&in, &v64)) lifetime_device_bytes_ = v64; else what = "device bytes";
        break;
      case kLifetimeUserBytes:
        if (GetVarint64(&in, &v64)) lifetime_user_bytes_ = v64; else what = "user bytes";
        break;
      case kDeletedFile: {
        DeletedFile d;
        if (GetVarint32(&in, &v32) && v32 < 64 && GetVarint64(&in, &d.run_id) &&
            GetVarint64(&in, &d.number)) {
          d.level = static_cast<int>(v32);
          deleted_files_.push_back(d);
        } else {
          what = "deleted file";
        }
        break;
      }
      case kNewFile: {
        NewFile f;
        std::string_view smallest, largest;
        if (GetVarint32(&in, &v32) && v32 < 64 && GetVarint64(&in, &f.run_id) &&
            GetVarint64(&in, &f.meta.number) && GetVarint64(&in, &f.meta.file_size) &&
            GetLengthPrefixed(&in, &smallest) && GetLengthPrefixed(&in, &largest) &&
            smallest.size() >= kInternalKeyTagBytes && largest.size() >= kInternalKeyTagBytes &&
            GetVarint64(&in, &f.meta.num_entries) && GetVarint64(&in, &f.meta.num_deletions) &&
            GetVarint64(&in, &f.meta.smallest_seq) && GetVarint64(&in, &f.meta.largest_seq) &&
            GetVarint64(&in, &f.meta.created_micros)) {
          f.level = static_cast<int>(v32);
          f.meta.smallest.assign(smallest);
          f.meta.largest.assign(largest);
          new_files_.push_back(std::move(f));
        } else {
          what = "new file";
        }
        break;
      }
      default:
        return Status::Corruption("manifest edit: unknown tag " + std::to_string(tag));
    }
  }
  if (what != nullptr) return Status::Corruption("manifest edit: malformed field", what);
  if (!in.empty()) return Status::Corruption("manifest edit: trailing bytes");
  return Status::OK();
}

}  // namespace firn
