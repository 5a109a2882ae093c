// policy/trace.h: recording and replaying a workload trace
// (docs/format-trace.md).
//
// A trace is the sequence of operations a DB served (put, delete, get,
// scan) with their keys, value sizes and times, so that a device can
// retrain its compaction policy on its own workload (firn-trainer
// `--trace`). Values are never recorded, only their sizes.
//
// The file is a header followed by chunks of records; each chunk carries an
// XXH3 checksum, so a damaged trace is detected rather than misread. A
// trace cut short by a crash ends at its last complete chunk.
// Thread safety: TraceWriter::Record may be called from several threads
// (it takes an internal mutex). A TraceReader is used by one thread; the
// small library (-Dsmall=true) leaves it out.
#ifndef FIRN_POLICY_TRACE_H_
#define FIRN_POLICY_TRACE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "firn/status.h"
#include "port/port.h"

namespace firn {

class Env;
class WritableFile;
class SequentialFile;

constexpr uint32_t kTraceMagic = 0x43525446;  // "FTRC" little-endian
constexpr uint32_t kTraceFormatVersion = 1;
constexpr size_t kTraceHeaderBytes = 16;
constexpr size_t kTraceChunkHeaderBytes = 16;
// A chunk is closed once its payload reaches this size.
constexpr size_t kTraceChunkTargetBytes = 64u << 10;
// Readers refuse chunks larger than this (a damaged length).
constexpr size_t kTraceMaxChunkBytes = 16u << 20;

// Stored in files: never renumber.
enum class TraceOp : uint8_t { kPut = 1, kDelete = 2, kGet = 3, kScan = 4 };

struct TraceRecord {
  TraceOp op = TraceOp::kPut;
  uint64_t micros = 0;      // Env::NowMicros of the writer when recorded
  std::string key;          // user key (scan: the start key)
  uint32_t value_size = 0;  // put: value bytes; scan: entries read; else 0
};

class TraceWriter {
 public:
  // Creates (truncates) the trace file at path and writes its header.
  // env must outlive the writer.
  static Status Open(Env* env, const std::string& path, std::unique_ptr<TraceWriter>* result);

  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  // Closes as Close() does, ignoring its status.
  ~TraceWriter();

  // Appends one record. Errors are sticky and returned by Close().
  void Record(TraceOp op, std::string_view key, uint32_t value_size);
  // Writes the open chunk and syncs; records after Close are ignored.
  Status Close();

 private:
  TraceWriter(Env* env, std::unique_ptr<WritableFile> file);
  void FlushChunkLocked();  // REQUIRES: mu_ held

  Env* const env_;
  port::Mutex mu_;
  std::unique_ptr<WritableFile> file_;  // GUARDED_BY(mu_)
  std::string chunk_;                   // GUARDED_BY(mu_)
  uint32_t chunk_records_ = 0;          // GUARDED_BY(mu_)
  uint64_t last_micros_ = 0;            // GUARDED_BY(mu_)
  Status status_;                       // GUARDED_BY(mu_)
  bool closed_ = false;                 // GUARDED_BY(mu_)
};

class TraceReader {
 public:
  // Opens a trace and checks its header: Corruption if it is not a trace,
  // InvalidArgument for a newer format version.
  static Status Open(Env* env, const std::string& path, std::unique_ptr<TraceReader>* result);

  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;
  ~TraceReader();

  // The next record; false at the end of the trace or on damage (then
  // status() says which). A chunk is returned only once its checksum has
  // been checked; a truncated last chunk is a clean end (truncated() true).
  bool Next(TraceRecord* record);
  Status status() const { return status_; }
  bool truncated() const { return truncated_; }

 private:
  TraceReader(std::unique_ptr<SequentialFile> file, std::string path);
  bool ReadChunk();

  std::unique_ptr<SequentialFile> file_;
  const std::string path_;
  uint64_t offset_ = kTraceHeaderBytes;  // file offset of the next chunk
  std::string chunk_;
  std::string_view rest_;  // undecoded part of chunk_
  uint32_t records_left_ = 0;
  uint64_t last_micros_ = 0;
  Status status_;
  bool truncated_ = false;
  bool done_ = false;
};

}  // namespace firn

#endif  // FIRN_POLICY_TRACE_H_
