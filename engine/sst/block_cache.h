// sst/block_cache.h: an LRU cache of uncompressed data blocks, keyed by
// (file number, block offset), bounded in bytes.
//
// Invariants: the sum of the charges of cached blocks never exceeds the
// capacity after an Insert returns (blocks still pinned by a handle are
// evicted from the index at once and freed when their last handle goes).
// A cache of 1 MiB or more is split into up to 16 shards by a hash of the
// key, each with an equal share of the capacity and its own LRU order; a
// smaller one is a single exact LRU.
// Thread safety: all methods may be called concurrently.
#ifndef FIRN_SST_BLOCK_CACHE_H_
#define FIRN_SST_BLOCK_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace firn {

// The bytes of one uncompressed block, shared by the cache, Blocks and
// their iterators: they stay valid while any copy lives, and are never
// modified. Either one buffer holding the reference count and the bytes
// (Allocate; ReadBlock fills it without zero-filling it first, as the
// block read path is hot) or a shared std::string (the implicit
// conversion, for callers that build blocks as strings).
// Thread safety: as std::shared_ptr (copies may be used concurrently).
class BlockContents {
 public:
  BlockContents() = default;
  BlockContents(std::nullptr_t) {}  // NOLINT: a null block, as nullptr
  BlockContents(std::shared_ptr<const std::string> s)  // NOLINT: implicit
      : data_(s != nullptr ? s->data() : nullptr),
        size_(s != nullptr ? s->size() : 0),
        owner_(std::move(s)) {}

  // A block of n bytes whose contents are uninitialised; *dst receives
  // them to fill before the block is shared. One allocation.
  static BlockContents Allocate(size_t n, char** dst) {
    std::shared_ptr<char[]> buf = std::make_shared_for_overwrite<char[]>(n == 0 ? 1 : n);
    *dst = buf.get();
    BlockContents b;
    b.data_ = buf.get();
    b.size_ = n;
    b.owner_ = std::move(buf);
    return b;
  }

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return std::string_view(data_, size_); }
  explicit operator bool() const { return owner_ != nullptr; }
  friend bool operator==(const BlockContents& b, std::nullptr_t) { return b.owner_ == nullptr; }
  // Identity, not byte equality: true for copies of the same block.
  friend bool operator==(const BlockContents& a, const BlockContents& b) {
    return a.owner_ == b.owner_ && a.data_ == b.data_ && a.size_ == b.size_;
  }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
  std::shared_ptr<const void> owner_;  // null for a null block
};

class BlockCache {
 public:
  // A cached block: its bytes stay valid while a copy lives.
  using Block = BlockContents;

  explicit BlockCache(size_t capacity_bytes);
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  ~BlockCache();

  // nullptr on a miss.
  Block Lookup(uint64_t file_number, uint64_t offset);
  void Insert(uint64_t file_number, uint64_t offset, Block block);
  // Drops every block of a file (called when the file is deleted).
  void EraseFile(uint64_t file_number);

  size_t capacity() const;
  size_t usage() const;

 private:
  struct Shard;
  Shard& ShardFor(uint64_t file_number, uint64_t offset);

  const size_t capacity_;
  size_t num_shards_ = 1;  // a power of two
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace firn

#endif  // FIRN_SST_BLOCK_CACHE_H_
