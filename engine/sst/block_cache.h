// sst/block_cache.h: an LRU cache of uncompressed data blocks, keyed by
// (file number, block offset), bounded in bytes.
//
// Invariants: the sum of the charges of cached blocks never exceeds the
// capacity after an Insert returns (blocks still pinned by a handle are
// evicted from the index at once and freed when their last handle goes).
// Thread safety: all methods may be called concurrently.
#ifndef FIRN_SST_BLOCK_CACHE_H_
#define FIRN_SST_BLOCK_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace firn {

class BlockCache {
 public:
  // A cached block: its bytes stay valid while the shared_ptr lives.
  using Block = std::shared_ptr<const std::string>;

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
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace firn

#endif  // FIRN_SST_BLOCK_CACHE_H_
