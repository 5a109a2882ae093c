// wal/log_reader.h: reads records back from a write-ahead log.
//
// Recovery semantics (docs/format-wal.md): records are returned in order
// until the end of the log or the first damaged spot. A torn or garbage
// tail (bad checksum, truncated fragment, zeroed space, fragments out of
// order, a record from another log number) ends reading: everything before
// it is returned, nothing after it. Reader reports what it stopped on via
// the Reporter so the DB can say where the log ended and why. In a
// version-2 or -3 log each record is decoded (raw or LZ4; in version 3
// possibly against the window of the records before it) before it is
// returned; a record whose fragments are intact but whose encoding does not
// decode is damage like a checksum mismatch.
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
  // InvalidArgument for a newer, unknown format version. A file holding
  // only zeros, or a header record cut short by the end of the file (a
  // crash while the log was being created), also counts as empty: no
  // record can have been acknowledged from it. REQUIRES: first call.
  Status ReadHeader(bool* empty);
  // Stores the next record's payload (decoded, in a version-2 log) in
  // *record and returns true; *record points into *scratch, the file
  // buffer or a buffer of the Reader, and is valid until the next call.
  // False at the end of the log or at a damaged tail. An I/O error while
  // reading is returned by status() after false. Once it has returned false
  // it keeps returning false.
  // REQUIRES: ReadHeader() was called and returned OK.
  bool ReadRecord(std::string_view* record, std::string* scratch);
  // File offset just past the last record returned.
  uint64_t LastRecordEnd() const { return last_record_end_; }
  // File offset of the first fragment of the last record returned. (With
  // compression a record may be longer than its bytes in the file, so
  // LastRecordEnd() - record.size() is not its offset.)
  uint64_t LastRecordOffset() const { return last_record_offset_; }
  // The format version read by ReadHeader (0 before it, or for an empty
  // log): kLogFormatVersionPlain, ...Encoded or ...Windowed.
  uint32_t format_version() const { return version_; }
  // Non-OK if reading stopped on an I/O error (not on a damaged tail).
  Status status() const { return status_; }
  // True if reading stopped early on damage (reported through Reporter).
  bool stopped_on_damage() const { return damaged_; }
  // After reading stopped on damage: true if an intact fragment of this log
  // (checksum and log number match) starts at any byte after the damaged
  // spot (a damaged length field must not hide the records after it). Then
  // the damage is in the middle of the log, not a torn tail; callers whose
  // file was synced record by record (the manifest) treat that as
  // corruption. Reads the rest of the file. False if reading did not stop
  // on damage, or on an I/O error.
  bool DamageIsFollowedByValidRecords();

 private:
  SequentialFile* file_;
  std::string fname_;
  uint64_t log_number_;
  Reporter* reporter_;
  // Outcome of reading one physical record (fragment).
  enum class Physical { kRecord, kEof, kDamage, kIOError };

  // Reads the next fragment; on kDamage, damage_offset_, damage_reason_ and
  // damage_truncated_ say what was wrong.
  Physical ReadPhysicalRecord(std::string_view* fragment, uint8_t* type,
                              uint64_t* offset);
  // Loads the next block into buffer_. False on an I/O error (status_).
  bool ReadBlock();
  // Consumes the rest of the file; true if every byte of it is zero.
  bool RestOfFileIsZero();
  Physical Damage(uint64_t offset, const char* reason, bool truncated,
                  bool intact = false);
  // True if an intact fragment of this log starts at any byte offset of
  // `block_rest` (which lies within one block).
  bool HasIntactFragmentAnywhere(std::string_view block_rest) const;
  // Reports the damage found by ReadPhysicalRecord; the bytes from
  // drop_start on are not returned. Ends reading.
  void ReportDamage(uint64_t drop_start);
  // Completes a logical record `stored` whose first fragment is at
  // `offset`: in a version-2 log strips the encoding byte and decompresses
  // (into decoded_). False after reporting damage if it does not decode.
  bool FinishRecord(std::string_view stored, uint64_t offset, uint64_t end,
                    std::string_view* record);
  // Decodes a version-2 record; nullptr on success, else the reason.
  const char* Decode(std::string_view stored, std::string_view* record);

  // Invariants: buffer_ is the unread tail of backing_'s current block
  // (a full kBlockSize block unless eof_); buffer_end_offset_ is the file
  // offset just past it. Once finished_, ReadRecord returns false.
  std::string backing_;
  std::string_view buffer_;
  uint64_t buffer_end_offset_ = 0;  // file offset just past buffer_
  bool eof_ = false;
  bool damaged_ = false;
  bool finished_ = false;
  bool header_done_ = false;
  uint64_t last_record_end_ = 0;
  uint64_t last_record_offset_ = 0;
  uint32_t version_ = 0;  // set by ReadHeader; 0 while reading the header
  // Decompressed payloads; reused from record to record (freed after one
  // bigger than the retained size) so reading does not allocate per record.
  std::string decoded_;
  // Version 3: the payloads of the records read since the last
  // kLZ4Encoding record, which kLZ4WindowedEncoding records decode
  // against. Invariant: window_valid_ only if every record since that one
  // was read and decoded here, in order, and was kLZ4WindowedEncoding (so
  // window_ holds exactly the writer's window, at most kWindowBytes).
  std::string window_;
  bool window_valid_ = false;
  Status status_;
  // The damaged spot that ended reading.
  uint64_t damage_offset_ = 0;
  const char* damage_reason_ = nullptr;
  bool damage_truncated_ = false;  // the file ended inside a record
  bool damage_fragment_intact_ = false;  // fragment out of sequence
  Status damage_;                  // Corruption as reported
};

// A Reporter that remembers the first damage reported (the one that ended
// reading): its offset, the bytes dropped and the reason.
class FirstDamage final : public Reader::Reporter {
 public:
  void Corruption(uint64_t at, size_t dropped, const Status& why) override {
    if (damaged) return;
    damaged = true;
    offset = at;
    bytes = dropped;
    reason = why;
  }
  bool damaged = false;
  uint64_t offset = 0;
  size_t bytes = 0;
  Status reason;
};

}  // namespace log
}  // namespace firn

#endif  // FIRN_WAL_LOG_READER_H_
