// policy/trace.cc: TraceWriter (trace.h); the byte layout is in
// docs/format-trace.md. The reader is trace_reader.cc.
#include "policy/trace.h"

#include <algorithm>

#include "port/env.h"
#include "util/coding.h"
#include "util/hash.h"

namespace firn {

TraceWriter::TraceWriter(Env* env, std::unique_ptr<WritableFile> file)
    : env_(env), file_(std::move(file)) {
  chunk_.assign(kTraceChunkHeaderBytes, '\0');
}

TraceWriter::~TraceWriter() { Close().IgnoreError(); }

Status TraceWriter::Open(Env* env, const std::string& path, std::unique_ptr<TraceWriter>* result) {
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(path, &file);
  if (!s.ok()) return s;
  std::string header;
  PutFixed32(&header, kTraceMagic);
  PutFixed32(&header, kTraceFormatVersion);
  PutFixed32(&header, 0);  // flags: none defined in version 1
  PutFixed32(&header, 0);  // reserved
  s = file->Append(header);
  if (!s.ok()) return s;
  result->reset(new TraceWriter(env, std::move(file)));
  return Status::OK();
}

void TraceWriter::Record(TraceOp op, std::string_view key, uint32_t value_size) {
  uint64_t now = env_->NowMicros();
  port::MutexLock l(&mu_);
  if (closed_ || !status_.ok()) return;
  uint64_t delta = now > last_micros_ ? now - last_micros_ : 0;
  last_micros_ = std::max(now, last_micros_);
  chunk_.push_back(static_cast<char>(op));
  PutVarint64(&chunk_, delta);
  PutVarint32(&chunk_, static_cast<uint32_t>(key.size()));
  chunk_.append(key.data(), key.size());
  PutVarint32(&chunk_, value_size);
  chunk_records_++;
  if (chunk_.size() - kTraceChunkHeaderBytes >= kTraceChunkTargetBytes) FlushChunkLocked();
}

void TraceWriter::FlushChunkLocked() {
  if (chunk_records_ == 0 || !status_.ok()) return;
  // Layout: checksum fixed64 | length fixed32 | count fixed32 | payload;
  // the checksum covers everything after itself.
  EncodeFixed32(&chunk_[8], static_cast<uint32_t>(chunk_.size() - kTraceChunkHeaderBytes));
  EncodeFixed32(&chunk_[12], chunk_records_);
  EncodeFixed64(&chunk_[0], Hash64(chunk_.data() + 8, chunk_.size() - 8));
  status_ = file_->Append(chunk_);
  chunk_.assign(kTraceChunkHeaderBytes, '\0');
  chunk_records_ = 0;
}

Status TraceWriter::Close() {
  port::MutexLock l(&mu_);
  if (closed_) return status_;
  closed_ = true;
  FlushChunkLocked();
  if (status_.ok()) status_ = file_->Sync();
  Status c = file_->Close();
  if (status_.ok()) status_ = c;
  return status_;
}

}  // namespace firn
