// sst/format.h: constants and small codecs of the SST file format.
// The byte layout is specified in docs/format-sst.md; every format
// constant lives here.
//
//   file   := data_block* filter_block? index_block footer
//   block  := contents[size] trailer
//   trailer:= type uint8 | uncompressed_size fixed32 | checksum fixed32
//   footer := index_handle filter_handle zero padding (52 bytes in all)
//             | format_version fixed32 | magic fixed64        (64 bytes)
//
// All offsets and sizes are uint64_t, also on 32-bit targets; a value read
// from a file is range-checked before it becomes a size_t.
// Thread safety: everything here is either a value type or a function of
// its arguments; ReadBlock may be called concurrently (RandomAccessFile::Read
// is thread-safe).
#ifndef FIRN_SST_FORMAT_H_
#define FIRN_SST_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "firn/status.h"
#include "sst/block_cache.h"

namespace firn {

class RandomAccessFile;
struct ReadStats;

// The last 8 bytes of every SST file: "FIRNSST1" in file byte order.
constexpr uint64_t kTableMagicNumber = 0x315453534E524946ull;
// The only version this code writes and reads (see format-sst.md for what a
// reader does with another one).
constexpr uint32_t kTableFormatVersion = 1;

// Per-block compression, stored in the trailer's type byte. Never renumber.
enum BlockType : uint8_t {
  kNoCompressionBlock = 0,
  kLZ4CompressionBlock = 1,
};

// type (1) + uncompressed size (4) + checksum (4).
constexpr size_t kBlockTrailerSize = 9;
// Entries between two restart points of a block.
constexpr int kBlockRestartInterval = 16;

// The position of a block in a file: offset of its first byte and size of
// its stored contents, without the trailer.
class BlockHandle {
 public:
  // Two varint64s.
  static constexpr size_t kMaxEncodedLength = 20;

  BlockHandle() = default;
  BlockHandle(uint64_t offset, uint64_t size) : offset_(offset), size_(size) {}

  uint64_t offset() const { return offset_; }
  uint64_t size() const { return size_; }
  void set_offset(uint64_t offset) { offset_ = offset; }
  void set_size(uint64_t size) { size_ = size; }

  void EncodeTo(std::string* dst) const;
  // Consumes a handle from the front of *input; false if malformed.
  bool DecodeFrom(std::string_view* input);
  // True if the block and its trailer lie inside [0, limit).
  bool FitsBelow(uint64_t limit) const;

 private:
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
};

// The fixed-size tail of every SST file. A filter handle of size 0 means the
// file has no filter.
struct Footer {
  static constexpr size_t kEncodedLength = 64;
  // Bytes holding the two handles and the zero padding after them.
  static constexpr size_t kHandleAreaLength = kEncodedLength - 4 - 8;
  static_assert(kHandleAreaLength >= 2 * BlockHandle::kMaxEncodedLength);

  BlockHandle index_handle;
  BlockHandle filter_handle;

  // Appends exactly kEncodedLength bytes.
  void EncodeTo(std::string* dst) const;
  // Decodes the footer of fname from `input` (its last kEncodedLength
  // bytes, starting at file offset footer_offset). Corruption for a bad
  // magic, version 0 or malformed handles; InvalidArgument for a version
  // newer than kTableFormatVersion.
  Status DecodeFrom(std::string_view input, const std::string& fname,
                    uint64_t footer_offset);
};

// Corruption("<fname>: <what> at offset <offset>").
Status CorruptionAt(std::string_view fname, std::string_view what, uint64_t offset);

// Appends `raw` to *dst as a block (possibly compressed) with its trailer.
// LZ4 is used only when it saves at least 1/8 of the bytes. *stored_size
// receives the size of the contents without the trailer.
// REQUIRES: raw.size() < 2^32.
void EncodeBlock(std::string_view raw, bool try_lz4, std::string* dst,
                 uint64_t* stored_size);

// Reads the block at `handle` of fname (file_size bytes) with its trailer,
// checks the checksum when verify_checksum, and leaves the uncompressed
// contents in *contents. Corruption naming fname and the block's offset if
// the handle lies outside the file, the read is short, the checksum does
// not match, the type is unknown or decompression fails. Adds to
// stats->bytes_read when stats is not null.
Status ReadBlock(const RandomAccessFile* file, uint64_t file_size,
                 const std::string& fname, const BlockHandle& handle,
                 bool verify_checksum, std::string* contents, ReadStats* stats);

// As above, with the same checks, but leaves the contents in *block: one
// allocation holding the bytes and their reference count, not zero-filled
// before the copy or decompression overwrites it. The data-block read path
// (hot: every block-cache miss of Get and of iterators). *block is null on
// error.
Status ReadBlock(const RandomAccessFile* file, uint64_t file_size,
                 const std::string& fname, const BlockHandle& handle,
                 bool verify_checksum, BlockContents* block, ReadStats* stats);

}  // namespace firn

#endif  // FIRN_SST_FORMAT_H_
