// wal/log_writer.cc: see log_writer.h; byte layout in docs/format-wal.md.
//
// Hot path: AddRecord runs once per write batch. It allocates nothing: the
// header is built on the stack and the payload is handed to the file as is.
#include "wal/log_writer.h"

#include <algorithm>
#include <cassert>

#include "port/env.h"
#include "util/coding.h"
#include "util/hash.h"

namespace firn::log {

namespace {

// Block-tail padding: at most kHeaderSize - 1 zero bytes.
constexpr char kZeroTrailer[kHeaderSize] = {};

}  // namespace

Writer::Writer(WritableFile* dest, uint64_t log_number)
    : dest_(dest), log_number_(log_number) {}

Status Writer::WriteHeader() {
  assert(file_offset_ == 0);
  char payload[8];
  EncodeFixed32(payload, kLogMagic);
  EncodeFixed32(payload + 4, kLogFormatVersion);
  return AddRecord(std::string_view(payload, sizeof(payload)));
}

Status Writer::AddRecord(std::string_view payload) {
  const char* ptr = payload.data();
  size_t left = payload.size();

  // Emit at least one fragment, so an empty payload becomes an empty kFull
  // record rather than nothing.
  Status s;
  bool begin = true;
  do {
    const uint32_t leftover = kBlockSize - block_offset_;
    if (leftover < kHeaderSize) {
      // Too little room for a header: zero-fill the tail, start a new block.
      if (leftover > 0) {
        s = dest_->Append(std::string_view(kZeroTrailer, leftover));
        if (!s.ok()) return s;
        file_offset_ += leftover;
      }
      block_offset_ = 0;
    }
    // Invariant: a header always fits in the current block.
    assert(kBlockSize - block_offset_ >= kHeaderSize);

    const size_t avail = kBlockSize - block_offset_ - kHeaderSize;
    const size_t fragment_length = std::min(left, avail);
    const bool end = (left == fragment_length);
    RecordType type;
    if (begin && end) {
      type = kFullType;
    } else if (begin) {
      type = kFirstType;
    } else if (end) {
      type = kLastType;
    } else {
      type = kMiddleType;
    }
    s = EmitPhysicalRecord(type, ptr, fragment_length);
    ptr += fragment_length;
    left -= fragment_length;
    begin = false;
  } while (s.ok() && left > 0);

  if (s.ok()) s = dest_->Flush();
  return s;
}

Status Writer::Sync() { return dest_->Sync(); }

Status Writer::EmitPhysicalRecord(RecordType type, const char* ptr, size_t length) {
  // A fragment fits in one block, so its length fits in the fixed16 field.
  assert(length <= kBlockSize - kHeaderSize);
  assert(block_offset_ + kHeaderSize + length <= kBlockSize);

  char header[kHeaderSize];
  header[4] = static_cast<char>(length & 0xff);
  header[5] = static_cast<char>(length >> 8);
  header[6] = static_cast<char>(type);
  EncodeFixed32(header + 7, static_cast<uint32_t>(log_number_));
  // The checksum covers type and log number (bytes 6..10) and the payload.
  const uint32_t checksum =
      Checksum32(std::string_view(header + 6, 5), std::string_view(ptr, length));
  EncodeFixed32(header, checksum);

  Status s = dest_->Append(std::string_view(header, kHeaderSize));
  if (s.ok() && length > 0) s = dest_->Append(std::string_view(ptr, length));
  block_offset_ += static_cast<uint32_t>(kHeaderSize + length);
  file_offset_ += kHeaderSize + length;
  return s;
}

}  // namespace firn::log
