// sst/format.cc: see format.h and docs/format-sst.md.
#include "sst/format.h"

#include <lz4.h>

#include <cassert>
#include <cstring>
#include <limits>
#include <memory>

#include "port/env.h"
#include "sst/table.h"
#include "util/coding.h"
#include "util/hash.h"

namespace firn {

namespace {

// LZ4 never expands more than 255:1 (a match length grows by at most 255
// per input byte); a larger claimed size is corruption, and rejecting it
// keeps a damaged size field from causing a huge allocation.
constexpr uint64_t kMaxLZ4Ratio = 255;
constexpr uint64_t kLZ4RatioSlack = 64;

// Covers the stored bytes and the first 5 trailer bytes (type and
// uncompressed size), so no trailer field escapes the checksum.
uint32_t BlockChecksum(std::string_view stored, const char* trailer5) {
  // Read blocks have the trailer right after the stored bytes: hash them
  // in one call (the same value as the streaming hash of the two parts,
  // without its state setup, 3% of a scan's time).
  if (stored.data() + stored.size() == trailer5) {
    return Checksum32(stored.data(), stored.size() + 5);
  }
  return Checksum32(stored, std::string_view(trailer5, 5));
}

}  // namespace

void BlockHandle::EncodeTo(std::string* dst) const {
  PutVarint64(dst, offset_);
  PutVarint64(dst, size_);
}

bool BlockHandle::DecodeFrom(std::string_view* input) {
  return GetVarint64(input, &offset_) && GetVarint64(input, &size_);
}

bool BlockHandle::FitsBelow(uint64_t limit) const {
  return offset_ <= limit && size_ <= limit - offset_ &&
         kBlockTrailerSize <= limit - offset_ - size_;
}

void Footer::EncodeTo(std::string* dst) const {
  const size_t start = dst->size();
  index_handle.EncodeTo(dst);
  filter_handle.EncodeTo(dst);
  dst->resize(start + kHandleAreaLength, '\0');
  PutFixed32(dst, kTableFormatVersion);
  PutFixed64(dst, kTableMagicNumber);
}

Status Footer::DecodeFrom(std::string_view input, const std::string& fname,
                          uint64_t footer_offset) {
  if (input.size() != kEncodedLength) {
    return CorruptionAt(fname, "short footer", footer_offset);
  }
  const uint64_t magic = DecodeFixed64(input.data() + kHandleAreaLength + 4);
  if (magic != kTableMagicNumber) {
    return CorruptionAt(fname, "bad magic number", footer_offset + kHandleAreaLength + 4);
  }
  const uint32_t version = DecodeFixed32(input.data() + kHandleAreaLength);
  if (version == 0) {
    return CorruptionAt(fname, "bad format version 0", footer_offset + kHandleAreaLength);
  }
  if (version > kTableFormatVersion) {
    return Status::InvalidArgument(
        fname, "unsupported SST format version " + std::to_string(version) +
                   " (this reader knows version " +
                   std::to_string(kTableFormatVersion) + ")");
  }
  std::string_view handles = input.substr(0, kHandleAreaLength);
  if (!index_handle.DecodeFrom(&handles) || !filter_handle.DecodeFrom(&handles)) {
    return CorruptionAt(fname, "bad block handle in footer", footer_offset);
  }
  return Status::OK();
}

Status CorruptionAt(std::string_view fname, std::string_view what, uint64_t offset) {
  std::string msg(what);
  msg.append(" at offset ");
  msg.append(std::to_string(offset));
  return Status::Corruption(fname, msg);
}

void EncodeBlock(std::string_view raw, bool try_lz4, std::string* dst,
                 uint64_t* stored_size) {
  assert(raw.size() <= std::numeric_limits<uint32_t>::max());
  const size_t start = dst->size();
  char type = static_cast<char>(kNoCompressionBlock);
  if (try_lz4 && !raw.empty() && raw.size() <= LZ4_MAX_INPUT_SIZE) {
    const int src_size = static_cast<int>(raw.size());
    const int bound = LZ4_compressBound(src_size);
    dst->resize(start + static_cast<size_t>(bound));
    const int n = LZ4_compress_default(raw.data(), dst->data() + start, src_size, bound);
    if (n > 0 && static_cast<size_t>(n) <= raw.size() - raw.size() / 8) {
      type = static_cast<char>(kLZ4CompressionBlock);
      dst->resize(start + static_cast<size_t>(n));
    } else {
      dst->resize(start);
    }
  }
  if (type == static_cast<char>(kNoCompressionBlock)) dst->append(raw.data(), raw.size());
  *stored_size = dst->size() - start;
  char trailer5[5];
  trailer5[0] = type;
  EncodeFixed32(trailer5 + 1, static_cast<uint32_t>(raw.size()));
  const uint32_t checksum =
      BlockChecksum(std::string_view(dst->data() + start, *stored_size), trailer5);
  dst->append(trailer5, sizeof(trailer5));
  PutFixed32(dst, checksum);
}

namespace {

// Blocks whose stored bytes and trailer fit here are read into the stack
// rather than a heap buffer: every block of the default 4 KiB block size,
// compressed or not (a block exceeds block_bytes by at most one entry).
// Small enough for the 128 KiB default thread stacks of musl.
constexpr size_t kStackReadBytes = 8192;

}  // namespace

// The one block reader. The block's buffer is allocated once the checksum
// has been verified and is fully overwritten before a successful return;
// *block is null after any error.
Status ReadBlock(const RandomAccessFile* file, uint64_t file_size,
                 const std::string& fname, const BlockHandle& handle,
                 bool verify_checksum, BlockContents* block, ReadStats* stats) {
  *block = nullptr;
  char* dst = nullptr;
  const uint64_t offset = handle.offset();
  if (!handle.FitsBelow(file_size) ||
      handle.size() > std::numeric_limits<size_t>::max() - kBlockTrailerSize) {
    return CorruptionAt(fname, "block handle outside the file", offset);
  }
  const size_t n = static_cast<size_t>(handle.size());
  // Hot path (every block-cache miss): the scratch buffer is not
  // zero-filled, since Read overwrites it or returns its own memory, and
  // for ordinary block sizes it is on the stack (no allocation).
  const size_t want = n + kBlockTrailerSize;
  char stack_scratch[kStackReadBytes];
  std::unique_ptr<char[]> heap_scratch;
  char* scratch = stack_scratch;
  if (want > sizeof(stack_scratch)) {
    heap_scratch.reset(new char[want]);
    scratch = heap_scratch.get();
  }
  std::string_view result;
  Status s = file->Read(offset, want, &result, scratch);
  if (!s.ok()) return s;
  if (stats != nullptr) stats->bytes_read += result.size();
  if (result.size() != want) {
    return CorruptionAt(fname, "truncated block read", offset);
  }

  const std::string_view stored(result.data(), n);
  const char* trailer = result.data() + n;
  const char type = trailer[0];
  const uint32_t uncompressed_size = DecodeFixed32(trailer + 1);
  if (verify_checksum && DecodeFixed32(trailer + 5) != BlockChecksum(stored, trailer)) {
    return CorruptionAt(fname, "block checksum mismatch", offset);
  }
  switch (static_cast<uint8_t>(type)) {
    case kNoCompressionBlock:
      if (uncompressed_size != n) {
        return CorruptionAt(fname, "bad uncompressed size in block trailer", offset + n);
      }
      *block = BlockContents::Allocate(n, &dst);
      if (n != 0) std::memcpy(dst, stored.data(), n);
      return Status::OK();
    case kLZ4CompressionBlock: {
      if (n > static_cast<uint64_t>(LZ4_MAX_INPUT_SIZE) ||
          uncompressed_size > static_cast<uint64_t>(LZ4_MAX_INPUT_SIZE) ||
          uncompressed_size > kMaxLZ4Ratio * n + kLZ4RatioSlack) {
        return CorruptionAt(fname, "bad uncompressed size in block trailer", offset + n);
      }
      *block = BlockContents::Allocate(uncompressed_size, &dst);
      const int got = LZ4_decompress_safe(stored.data(), dst, static_cast<int>(n),
                                          static_cast<int>(uncompressed_size));
      if (got < 0 || static_cast<uint32_t>(got) != uncompressed_size) {
        *block = nullptr;
        return CorruptionAt(fname, "bad LZ4 block contents", offset);
      }
      return Status::OK();
    }
    default:
      return CorruptionAt(fname, "unknown block compression type", offset + n);
  }
}

Status ReadBlock(const RandomAccessFile* file, uint64_t file_size,
                 const std::string& fname, const BlockHandle& handle,
                 bool verify_checksum, std::string* contents, ReadStats* stats) {
  // Off the hot path (table open, verify, repair): one more copy, one body.
  BlockContents block;
  Status s = ReadBlock(file, file_size, fname, handle, verify_checksum, &block, stats);
  if (s.ok()) {
    contents->assign(block.data(), block.size());
  } else {
    contents->clear();
  }
  return s;
}

}  // namespace firn
