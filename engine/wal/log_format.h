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
// format magic and version (see format-wal.md). In a version-2 or -3 log
// every later logical record begins with an encoding byte: kRawEncoding
// (the payload follows) or kLZ4Encoding (varint32 uncompressed length, then
// one LZ4 block holding the payload, decodable on its own); in version 3
// also kLZ4WindowedEncoding (the same, but the LZ4 block may refer to the
// window: the payloads of the records since the last kLZ4Encoding record).
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
// Versions: 1 = records stored as given; 2 = each record after the header
// starts with an encoding byte, every record decodable on its own; 3 = as
// 2, plus records compressed against the window of earlier records of the
// same block. A writer writes the oldest version that holds what it writes
// (1 unless it compresses), so files written without compression stay
// readable by a firn that knows only version 1.
constexpr uint32_t kLogFormatVersionPlain = 1;
constexpr uint32_t kLogFormatVersionEncoded = 2;
constexpr uint32_t kLogFormatVersionWindowed = 3;
constexpr uint32_t kLogFormatVersion = kLogFormatVersionWindowed;  // newest known

// First byte of each record of a version-2 or -3 log.
enum RecordEncoding : uint8_t {
  kRawEncoding = 0,  // the payload follows as is; (v3) ends the window
  kLZ4Encoding = 1,  // varint32 payload length, then LZ4 block of the payload;
                     // (v3) the payload starts a new window
  kLZ4WindowedEncoding = 2,  // (v3 only) as kLZ4Encoding, the LZ4 block
                             // using the window as its dictionary; the
                             // payload is appended to the window
};
// Most payload bytes a window holds (LZ4's longest match distance).
constexpr uint32_t kWindowBytes = 64u << 10;
// Largest payload stored LZ4-encoded: the writer stores larger ones raw, so
// a reader rejects a stated length above it as damage instead of
// allocating it. Batches of any size are still written (raw).
constexpr uint32_t kMaxLZ4PayloadBytes = 64u << 20;
// An LZ4 block expands to at most 255 times its size (a match-length
// extension byte of 255 adds 255 bytes; every other byte adds fewer), so a
// stated length above this ratio is damage too.
constexpr uint32_t kMaxLZ4ExpansionRatio = 255;

}  // namespace firn::log

#endif  // FIRN_WAL_LOG_FORMAT_H_
