// policy/trace_reader.cc: TraceReader (trace.h); the byte layout is in
// docs/format-trace.md. Left out of the small library (-Dsmall=true), which
// records traces but does not replay them.
#include "policy/trace.h"

#include <cstring>

#include "port/env.h"
#include "util/coding.h"
#include "util/hash.h"

namespace firn {

TraceReader::TraceReader(std::unique_ptr<SequentialFile> file, std::string path)
    : file_(std::move(file)), path_(std::move(path)) {}

TraceReader::~TraceReader() = default;

namespace {
// Reads exactly n bytes unless the file ends first; *got says how many.
Status ReadFully(SequentialFile* file, size_t n, std::string* dst, size_t* got) {
  dst->resize(n);
  *got = 0;
  while (*got < n) {
    std::string_view piece;
    Status s = file->Read(n - *got, &piece, dst->data() + *got);
    if (!s.ok()) return s;
    if (piece.empty()) break;
    if (piece.data() != dst->data() + *got) std::memcpy(dst->data() + *got, piece.data(), piece.size());
    *got += piece.size();
  }
  return Status::OK();
}
}  // namespace

Status TraceReader::Open(Env* env, const std::string& path, std::unique_ptr<TraceReader>* result) {
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  std::string header;
  size_t got = 0;
  s = ReadFully(file.get(), kTraceHeaderBytes, &header, &got);
  if (!s.ok()) return s;
  if (got < kTraceHeaderBytes || DecodeFixed32(header.data()) != kTraceMagic) {
    return Status::Corruption(path + " at offset 0: not a firn trace (bad magic)");
  }
  uint32_t version = DecodeFixed32(header.data() + 4);
  if (version == 0) return Status::Corruption(path + " at offset 4: trace format version 0");
  if (version > kTraceFormatVersion) {
    return Status::InvalidArgument(path + ": trace format version " + std::to_string(version) +
                                   " is newer than supported " +
                                   std::to_string(kTraceFormatVersion));
  }
  result->reset(new TraceReader(std::move(file), path));
  return Status::OK();
}

bool TraceReader::ReadChunk() {
  std::string header;
  size_t got = 0;
  Status s = ReadFully(file_.get(), kTraceChunkHeaderBytes, &header, &got);
  if (!s.ok()) {
    status_ = s;
    return false;
  }
  if (got == 0) return false;  // clean end
  if (got < kTraceChunkHeaderBytes) {
    truncated_ = true;
    return false;
  }
  uint64_t checksum = DecodeFixed64(header.data());
  uint32_t length = DecodeFixed32(header.data() + 8);
  uint32_t count = DecodeFixed32(header.data() + 12);
  if (length > kTraceMaxChunkBytes) {
    status_ = Status::Corruption(path_ + " at offset " + std::to_string(offset_) +
                                 ": chunk length " + std::to_string(length) + " too large");
    return false;
  }
  chunk_ = header.substr(8);
  std::string payload;
  s = ReadFully(file_.get(), length, &payload, &got);
  if (!s.ok()) {
    status_ = s;
    return false;
  }
  if (got < length) {
    truncated_ = true;
    return false;
  }
  chunk_ += payload;
  if (Hash64(chunk_.data(), chunk_.size()) != checksum) {
    status_ = Status::Corruption(path_ + " at offset " + std::to_string(offset_) +
                                 ": chunk checksum mismatch");
    return false;
  }
  offset_ += kTraceChunkHeaderBytes + length;
  rest_ = std::string_view(chunk_).substr(8);
  records_left_ = count;
  return true;
}

bool TraceReader::Next(TraceRecord* record) {
  while (!done_) {
    if (records_left_ == 0) {
      if (!rest_.empty()) {
        status_ = Status::Corruption(path_ + ": chunk before offset " + std::to_string(offset_) +
                                     " has bytes after its last record");
        done_ = true;
        return false;
      }
      if (!ReadChunk()) {
        done_ = true;
        return false;
      }
      continue;
    }
    uint64_t delta = 0;
    uint32_t key_len = 0, value_size = 0;
    uint8_t op = rest_.empty() ? 0 : static_cast<uint8_t>(rest_[0]);
    if (!rest_.empty()) rest_.remove_prefix(1);
    if (op < static_cast<uint8_t>(TraceOp::kPut) || op > static_cast<uint8_t>(TraceOp::kScan) ||
        !GetVarint64(&rest_, &delta) || !GetVarint32(&rest_, &key_len) ||
        rest_.size() < key_len) {
      status_ = Status::Corruption(path_ + ": malformed record in chunk before offset " +
                                   std::to_string(offset_));
      done_ = true;
      return false;
    }
    record->key.assign(rest_.data(), key_len);
    rest_.remove_prefix(key_len);
    if (!GetVarint32(&rest_, &value_size)) {
      status_ = Status::Corruption(path_ + ": malformed record in chunk before offset " +
                                   std::to_string(offset_));
      done_ = true;
      return false;
    }
    record->op = static_cast<TraceOp>(op);
    last_micros_ += delta;
    record->micros = last_micros_;
    record->value_size = value_size;
    records_left_--;
    return true;
  }
  return false;
}

}  // namespace firn
