// wal/log_writer.cc: see log_writer.h; byte layout in docs/format-wal.md.
//
// Hot path: AddRecord runs once per write batch, under the DB mutex. It
// allocates nothing in the steady state: the header is built on the stack,
// a raw payload is handed to the file as is, and LZ4 output goes into
// buffer_, which is reused from record to record.
#include "wal/log_writer.h"

#include <lz4.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>

#include "port/env.h"
#include "util/coding.h"
#include "util/hash.h"

namespace firn::log {

namespace {

// Block-tail padding: at most kHeaderSize - 1 zero bytes.
constexpr char kZeroTrailer[kHeaderSize] = {};

// The encoding byte of a record stored raw in a version-2 log.
constexpr char kRawLead[1] = {static_cast<char>(kRawEncoding)};

// Longest lead AddLogicalRecord takes: an encoding byte and a varint32.
constexpr size_t kMaxLead = 1 + 5;

// LZ4 acceleration for records compressed against the window: 2 compresses
// small records to the same size as 1 (measured on one-put batches) in
// about 15% less time.
constexpr int kWindowedAcceleration = 2;

// buffer_ is kept for the next record up to this size (a group-committed
// batch is at most 1 MiB); a bigger one is freed after its record.
constexpr size_t kRetainedBufferBytes = (1u << 20) + 64;

}  // namespace

Writer::Writer(WritableFile* dest, uint64_t log_number, bool compress)
    : Writer(dest, log_number, compress ? kLogFormatVersionWindowed : kLogFormatVersionPlain) {}

Writer::Writer(WritableFile* dest, uint64_t log_number, uint32_t format_version)
    : dest_(dest), log_number_(log_number), version_(format_version) {
  assert(version_ >= kLogFormatVersionPlain && version_ <= kLogFormatVersion);
}

void Writer::LZ4StreamDeleter::operator()(void* stream) const {
  LZ4_freeStream(static_cast<LZ4_stream_t*>(stream));
}

Status Writer::WriteHeader() {
  assert(file_offset_ == 0);
  char payload[8];
  EncodeFixed32(payload, kLogMagic);
  EncodeFixed32(payload + 4, version_);
  // The header record itself carries no encoding byte in any version.
  return AddLogicalRecord({}, std::string_view(payload, sizeof(payload)));
}

Status Writer::AddRecord(std::string_view payload) {
  if (version_ == kLogFormatVersionPlain) return AddLogicalRecord({}, payload);
  Status s;
  const std::string_view encoded =
      version_ >= kLogFormatVersionWindowed ? CompressWindowed(payload) : Compress(payload);
  if (!encoded.empty()) {
    s = AddLogicalRecord({}, encoded);
  } else {
    s = AddLogicalRecord(std::string_view(kRawLead, 1), payload);
  }
  if (buffer_.size() > kRetainedBufferBytes) std::string().swap(buffer_);
  return s;
}

Status Writer::AddEncodedRecord(std::string_view record) {
  window_used_ = 0;
  return AddLogicalRecord({}, record);
}

uint64_t Writer::NextRecordBlock() const {
  const uint64_t start =
      kBlockSize - block_offset_ < kHeaderSize ? file_offset_ + (kBlockSize - block_offset_)
                                               : file_offset_;
  return start / kBlockSize;
}

std::string_view Writer::CompressWindowed(std::string_view payload) {
  const size_t n = payload.size();
  // A long record is encoded on its own (encoding 1); the next record starts
  // a new window.
  if (n > kMaxWindowedRecordBytes) {
    window_used_ = 0;
    return Compress(payload);
  }
  const uint64_t block = NextRecordBlock();
  const bool extend = window_used_ > 0 && block == window_block_ && n <= kWindowBytes - window_used_;
  if (!extend) window_used_ = 0;
  if (window_ == nullptr) window_.reset(new (std::nothrow) char[kWindowBytes]);
  if (lz4_ == nullptr) lz4_.reset(LZ4_createStream());
  if (window_ == nullptr || lz4_ == nullptr) return {};  // out of memory: store it raw
  // A new window starts with a fresh chain: its first record decodes alone.
  if (!extend) LZ4_resetStream_fast(static_cast<LZ4_stream_t*>(lz4_.get()));
  char* src = window_.get() + window_used_;
  if (n != 0) std::memcpy(src, payload.data(), n);
  const std::string_view encoded =
      EncodeLZ4(extend ? kLZ4WindowedEncoding : kLZ4Encoding, src, n, kWindowedAcceleration);
  if (encoded.empty()) {
    // Stored raw, which ends the window (and after a failed call the LZ4
    // stream must be reset anyway).
    window_used_ = 0;
    return {};
  }
  if (!extend) window_block_ = block;
  window_used_ += n;
  return encoded;
}

std::string_view Writer::Compress(std::string_view payload) {
  if (payload.size() > kMaxLZ4PayloadBytes) return {};
  if (lz4_ == nullptr) lz4_.reset(LZ4_createStream());
  if (lz4_ == nullptr) return {};  // out of memory: store it raw
  // A fresh chain for every record (no dictionary: each decodes alone);
  // the fast reset invalidates the old table entries instead of zeroing.
  LZ4_resetStream_fast(static_cast<LZ4_stream_t*>(lz4_.get()));
  return EncodeLZ4(kLZ4Encoding, payload.data(), payload.size(), 1);
}

std::string_view Writer::EncodeLZ4(uint8_t encoding, const char* src, size_t n,
                                   int acceleration) {
  const size_t lead = 1 + static_cast<size_t>(VarintLength(n));
  // Stored LZ4-encoded only if lead + LZ4 bytes < 1 + n (the raw record),
  // so LZ4 gets room for at most n + 1 - lead - 1 bytes of output; it gives
  // up (returns 0) as soon as it would need more.
  if (n <= lead) return {};
  const size_t capacity = n - lead;
  if (buffer_.size() < lead + capacity) buffer_.resize(lead + capacity);
  char* p = buffer_.data();
  p[0] = static_cast<char>(encoding);
  EncodeVarint32(p + 1, static_cast<uint32_t>(n));
  const int out = LZ4_compress_fast_continue(static_cast<LZ4_stream_t*>(lz4_.get()), src, p + lead,
                                             static_cast<int>(n), static_cast<int>(capacity),
                                             acceleration);
  if (out <= 0) return {};
  assert(lead + static_cast<size_t>(out) < 1 + n);
  return std::string_view(p, lead + static_cast<size_t>(out));
}

Status Writer::AddLogicalRecord(std::string_view lead, std::string_view body) {
  assert(lead.size() <= kMaxLead);
  size_t left = lead.size() + body.size();

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
    // The fragment takes what is left of the lead first, then the body.
    const size_t from_lead = std::min(lead.size(), fragment_length);
    const std::string_view fragment_lead = lead.substr(0, from_lead);
    const std::string_view fragment_body = body.substr(0, fragment_length - from_lead);
    lead.remove_prefix(from_lead);
    body.remove_prefix(fragment_body.size());
    s = EmitPhysicalRecord(type, fragment_lead, fragment_body);
    left -= fragment_length;
    begin = false;
  } while (s.ok() && left > 0);

  if (s.ok()) s = dest_->Flush();
  return s;
}

Status Writer::Sync() { return dest_->Sync(); }

Status Writer::EmitPhysicalRecord(RecordType type, std::string_view lead, std::string_view body) {
  const size_t length = lead.size() + body.size();
  // A fragment fits in one block, so its length fits in the fixed16 field.
  assert(length <= kBlockSize - kHeaderSize);
  assert(block_offset_ + kHeaderSize + length <= kBlockSize);
  assert(lead.size() <= kMaxLead);

  // The header followed by the lead bytes, so both go out in one Append.
  char header[kHeaderSize + kMaxLead];
  header[4] = static_cast<char>(length & 0xff);
  header[5] = static_cast<char>(length >> 8);
  header[6] = static_cast<char>(type);
  EncodeFixed32(header + 7, static_cast<uint32_t>(log_number_));
  if (!lead.empty()) std::memcpy(header + kHeaderSize, lead.data(), lead.size());
  // The checksum covers type and log number (bytes 6..10) and the payload.
  const uint32_t checksum = Checksum32(std::string_view(header + 6, 5 + lead.size()), body);
  EncodeFixed32(header, checksum);

  Status s = dest_->Append(std::string_view(header, kHeaderSize + lead.size()));
  if (s.ok() && !body.empty()) s = dest_->Append(body);
  block_offset_ += static_cast<uint32_t>(kHeaderSize + length);
  file_offset_ += kHeaderSize + length;
  return s;
}

}  // namespace firn::log
