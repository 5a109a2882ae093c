// wal/log_writer.h: appends records to a write-ahead log file.
//
// Each AddRecord writes one logical record, split into fragments across
// 32 KiB blocks (log_format.h). The file's first record is a header written
// by the constructor's caller through WriteHeader().
// Thread safety: none; the DB serializes writers (group commit).
#ifndef FIRN_WAL_LOG_WRITER_H_
#define FIRN_WAL_LOG_WRITER_H_

#include <cstdint>
#include <string_view>

#include "firn/status.h"
#include "wal/log_format.h"

namespace firn {
class WritableFile;
namespace log {

class Writer {
 public:
  // dest must be empty (offset 0) and outlive the Writer. log_number is the
  // file's number, mixed into each checksum.
  Writer(WritableFile* dest, uint64_t log_number);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Writes the magic/version header record. REQUIRES: first call.
  Status WriteHeader();
  // Appends one record and flushes it to the OS (so it survives a process
  // kill). Errors from the file are returned as they are (IOError/NoSpace);
  // after an error the Writer must not be used again.
  Status AddRecord(std::string_view payload);
  // Makes everything added so far durable.
  Status Sync();
  // Bytes handed to the file so far.
  uint64_t FileSize() const { return file_offset_; }

 private:
  Status EmitPhysicalRecord(RecordType type, const char* ptr, size_t length);

  WritableFile* dest_;
  uint64_t log_number_;
  uint32_t block_offset_ = 0;  // offset within the current block
  uint64_t file_offset_ = 0;
};

}  // namespace log
}  // namespace firn

#endif  // FIRN_WAL_LOG_WRITER_H_
