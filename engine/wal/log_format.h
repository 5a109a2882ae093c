// wal/log_format.h: constants of the write-ahead log format.
// The byte layout, versioning and recovery rules are in docs/format-wal.md.
//
// The log is a sequence of 32 KiB blocks. Each block holds physical
// records (fragments); a fragment never spans a block boundary, and a block
// tail too short for a header is zero-filled. Header (11 bytes):
//   checksum fixed32   low 32 bits of XXH3-64 over type, log number, payload
//   length   fixed16   payload bytes
//   type     uint8     kFull / kFirst / kMiddle / kLast
//   lognum   fixed32   low 32 bits of the log file's number (so a recycled
//                      or stale block cannot be mistaken for this file's)
// The first record of every log file is a kFull header record holding the
// format magic and version (see format-wal.md).
#ifndef FIRN_WAL_LOG_FORMAT_H_
#define FIRN_WAL_LOG_FORMAT_H_

#include <cstdint>

namespace firn::log {

enum RecordType : uint8_t {
  kZeroType = 0,  // block-tail padding, never written as a record
  kFullType = 1,
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
};
constexpr uint8_t kMaxRecordType = kLastType;

constexpr uint32_t kBlockSize = 32768;
constexpr uint32_t kHeaderSize = 4 + 2 + 1 + 4;

constexpr uint32_t kLogMagic = 0x4C4E5246;  // "FRNL" little-endian
constexpr uint32_t kLogFormatVersion = 1;

}  // namespace firn::log

#endif  // FIRN_WAL_LOG_FORMAT_H_
