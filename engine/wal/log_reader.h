// wal/log_reader.h: reads records back from a write-ahead log.
//
// Recovery semantics (docs/format-wal.md): records are returned in order
// until the end of the log or the first damaged spot. A torn or garbage
// tail (bad checksum, truncated fragment, zeroed space, fragments out of
// order, a record from another log number) ends reading: everything before
// it is returned, nothing after it. Reader reports what it stopped on via
// the Reporter so the DB can say where the log ended and why.
// Thread safety: none.
#ifndef FIRN_WAL_LOG_READER_H_
#define FIRN_WAL_LOG_READER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "firn/status.h"
#include "wal/log_format.h"

namespace firn {
class SequentialFile;
namespace log {

class Reader {
 public:
  // Told about the damaged spot that ended reading.
  class Reporter {
   public:
    virtual ~Reporter() = default;
    // bytes: approximate number of bytes dropped from `offset` on; reason
    // names what was wrong ("checksum mismatch", "truncated record", ...).
    virtual void Corruption(uint64_t offset, size_t bytes, const Status& reason) = 0;
  };

  // file must outlive the Reader. reporter may be nullptr. fname is used in
  // messages ("<fname> at offset N: checksum mismatch").
  Reader(SequentialFile* file, std::string fname, uint64_t log_number,
         Reporter* reporter);
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Reads the header record and checks magic and version. Corruption naming
  // the file if absent or malformed (an empty file is OK: *empty = true);
  // InvalidArgument for a newer, unknown format version.
  Status ReadHeader(bool* empty);
  // Stores the next record in *record (may point into *scratch) and returns
  // true; false at the end of the log or at a damaged tail. An I/O error
  // while reading is returned by status() after false.
  bool ReadRecord(std::string_view* record, std::string* scratch);
  // File offset just past the last record returned.
  uint64_t LastRecordEnd() const { return last_record_end_; }
  // Non-OK if reading stopped on an I/O error (not on a damaged tail).
  Status status() const { return status_; }
  // True if reading stopped early on damage (reported through Reporter).
  bool stopped_on_damage() const { return damaged_; }

 private:
  SequentialFile* file_;
  std::string fname_;
  uint64_t log_number_;
  Reporter* reporter_;
  // Implementation state (buffer of the current block etc.) is up to the
  // implementation; add members below.
  std::string backing_;
  std::string_view buffer_;
  uint64_t buffer_end_offset_ = 0;  // file offset just past buffer_
  bool eof_ = false;
  bool damaged_ = false;
  uint64_t last_record_end_ = 0;
  Status status_;
};

}  // namespace log
}  // namespace firn

#endif  // FIRN_WAL_LOG_READER_H_
