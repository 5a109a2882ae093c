// wal/log_writer.h: appends records to a write-ahead log file.
//
// Each AddRecord writes one logical record, split into fragments across
// 32 KiB blocks (log_format.h). The file's first record is a header written
// by the constructor's caller through WriteHeader(). With compression on,
// the log is format version 3: each record is LZ4-compressed when that makes
// it smaller, against the window of the records before it that began in
// the same 32 KiB block (docs/format-wal.md).
// Thread safety: none; the DB serializes writers (group commit).
#ifndef FIRN_WAL_LOG_WRITER_H_
#define FIRN_WAL_LOG_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "firn/status.h"
#include "wal/log_format.h"

namespace firn {
class WritableFile;
namespace log {

class Writer {
 public:
  // Version 3: records up to this size are compressed against the window;
  // longer ones alone, like version 2. A window pays for small records: a
  // one-put batch of a 16-byte key and a 100-byte value (131 bytes) takes
  // 13% fewer bytes against it, but a 1 KiB record only 2.5%, for about 70%
  // more CPU than compressing it alone (LZ4 tries more match candidates).
  static constexpr size_t kMaxWindowedRecordBytes = 512;

  // dest must be empty (offset 0) and outlive the Writer. log_number is the
  // file's number, mixed into each checksum. compress: write format
  // version 3 and store each record LZ4-compressed when that is smaller
  // (the WAL); false: format version 1, records stored as given (the
  // manifest; readable by every firn).
  Writer(WritableFile* dest, uint64_t log_number, bool compress = false);
  // Writes the given format version (kLogFormatVersionPlain, ...Encoded or
  // ...Windowed): for a header that must name an existing log's version
  // (RepairDB) and for tests of older versions.
  Writer(WritableFile* dest, uint64_t log_number, uint32_t format_version);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Writes the magic/version header record. REQUIRES: first call.
  Status WriteHeader();
  // Appends one record and flushes it to the OS (so it survives a process
  // kill). Errors from the file are returned as they are (IOError/NoSpace);
  // after an error the Writer must not be used again.
  Status AddRecord(std::string_view payload);
  // Appends `record` as one logical record exactly as given, without the
  // encoding AddRecord applies: in a version-2 log the caller supplies the
  // encoding byte (a record of zero bytes is a raw record of zero bytes).
  // In a version-3 log the record ends the window, so the next AddRecord
  // starts a new one.
  // For code that lays out records itself (RepairDB's resume prefix, tests
  // crafting damage). Same errors as AddRecord.
  Status AddEncodedRecord(std::string_view record);
  // Makes everything added so far durable.
  Status Sync();
  // Bytes handed to the file so far.
  uint64_t FileSize() const { return file_offset_; }
  // The version WriteHeader writes.
  uint32_t format_version() const { return version_; }

 private:
  // Writes the logical record lead||body, fragmented; lead is at most
  // kMaxLead bytes (the encoding byte and a varint).
  Status AddLogicalRecord(std::string_view lead, std::string_view body);
  Status EmitPhysicalRecord(RecordType type, std::string_view lead, std::string_view body);
  // LZ4-encodes payload into buffer_ (encoding byte, varint length, LZ4
  // block). Returns the encoded record, or an empty view when it would not
  // be smaller than the raw one (1 + payload.size() bytes).
  std::string_view Compress(std::string_view payload);
  // Version 3: as Compress, but against the window when the record is small
  // (kMaxWindowedRecordBytes), begins in the window's block and fits in it
  // (kLZ4WindowedEncoding), otherwise starting a new window (kLZ4Encoding),
  // or, for a long record, compressed alone, ending the window. An empty
  // view (store raw) ends the window.
  std::string_view CompressWindowed(std::string_view payload);
  // LZ4-encodes src[0, n) with lz4_ (continuing its stream) into buffer_
  // after `encoding` and the varint length; empty when that would not be
  // smaller than the raw record.
  std::string_view EncodeLZ4(uint8_t encoding, const char* src, size_t n, int acceleration);
  // The block in which a record added now begins (after any block-tail
  // padding).
  uint64_t NextRecordBlock() const;

  WritableFile* dest_;
  uint64_t log_number_;
  uint32_t version_;
  uint32_t block_offset_ = 0;  // offset within the current block
  uint64_t file_offset_ = 0;
  // Reused across records so the hot path does not allocate; released after
  // a record that needed more than kRetainedBufferBytes.
  std::string buffer_;
  // LZ4 state kept across records (16 KiB, created on the first record to
  // compress), reset with LZ4_resetStream_fast when a record must decode
  // on its own (every record in version 2; a window's first in version 3),
  // without clearing the hash table every time.
  struct LZ4StreamDeleter {
    void operator()(void* stream) const;
  };
  std::unique_ptr<void, LZ4StreamDeleter> lz4_;
  // Version 3: the window (kWindowBytes, allocated on first use) holds the
  // payloads of the records since the window's first, contiguous, as lz4_
  // needs them for its back references. Invariant: window_used_ == 0 (no
  // window: the next record starts one) or the window's first record was
  // LZ4-encoded (kLZ4Encoding), every later one kLZ4WindowedEncoding, all
  // beginning in block window_block_, and their payloads are
  // window_[0, window_used_).
  std::unique_ptr<char[]> window_;
  size_t window_used_ = 0;
  uint64_t window_block_ = 0;
};

}  // namespace log
}  // namespace firn

#endif  // FIRN_WAL_LOG_WRITER_H_
