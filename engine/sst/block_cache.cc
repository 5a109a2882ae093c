// sst/block_cache.cc: see block_cache.h.
//
// The cache is split into shards (up to kMaxShards, each of at least
// kMinShardBytes) chosen by a hash of the key, so readers on different
// cores rarely wait for the same lock. Each shard has its own byte budget
// (an equal share of the capacity), a recency list (front = most recently
// used) and an ordered map from (file number, offset) to list position, so
// EraseFile is a range erase in each shard. Every operation holds one
// shard's mutex for O(log n) work; evicted blocks are released after it is
// dropped. Recency is per shard: the block evicted is the least recently
// used of its shard, not of the whole cache.
#include "sst/block_cache.h"

#include <list>
#include <map>
#include <utility>
#include <vector>

#include "port/port.h"
#include "util/coding.h"
#include "util/hash.h"
#include "util/shards.h"

namespace firn {

namespace {

// Charged per entry on top of the block's bytes: list and map nodes and the
// shared_ptr control block.
constexpr size_t kEntryOverheadBytes = 96;

using CacheKey = std::pair<uint64_t, uint64_t>;  // file number, block offset

// At least 512 KiB a shard, as RocksDB's default shard count rule.
constexpr size_t kMaxShards = 16;
constexpr size_t kMinShardBytes = 512 * 1024;

}  // namespace

struct BlockCache::Shard {
  struct Entry;
  using List = std::list<Entry>;
  using Index = std::map<CacheKey, List::iterator>;
  struct Entry {
    Index::iterator pos;  // this entry's node in index
    Block block;
    size_t charge;
  };

  Block Lookup(const CacheKey& key);
  void Insert(const CacheKey& key, Block block, size_t charge);
  void EraseFile(uint64_t file_number);
  size_t Usage();

  // Unlinks *it, handing its block to *released. O(1): no index search.
  void Remove(List::iterator it, std::vector<Block>* released) REQUIRES(mu) {
    usage -= it->charge;
    released->push_back(std::move(it->block));
    index.erase(it->pos);
    lru.erase(it);
  }

  size_t capacity = 0;  // set once, before the cache is shared
  port::Mutex mu;
  size_t usage GUARDED_BY(mu) = 0;
  List lru GUARDED_BY(mu);
  Index index GUARDED_BY(mu);
};

BlockCache::BlockCache(size_t capacity_bytes)
    : capacity_(capacity_bytes),
      num_shards_(ShardCount(capacity_bytes, kMinShardBytes, kMaxShards)),
      shards_(new Shard[num_shards_]) {
  for (size_t i = 0; i < num_shards_; ++i) shards_[i].capacity = capacity_bytes / num_shards_;
}

BlockCache::~BlockCache() = default;

BlockCache::Shard& BlockCache::ShardFor(uint64_t file_number, uint64_t offset) {
  if (num_shards_ == 1) return shards_[0];
  char key[16];
  EncodeFixed64(key, file_number);
  EncodeFixed64(key + 8, offset);
  return shards_[Hash64(key, sizeof(key)) & (num_shards_ - 1)];
}

BlockCache::Block BlockCache::Lookup(uint64_t file_number, uint64_t offset) {
  return ShardFor(file_number, offset).Lookup(CacheKey(file_number, offset));
}

void BlockCache::Insert(uint64_t file_number, uint64_t offset, Block block) {
  if (block == nullptr) return;
  const size_t charge = block.size() + kEntryOverheadBytes;
  ShardFor(file_number, offset).Insert(CacheKey(file_number, offset), std::move(block), charge);
}

void BlockCache::EraseFile(uint64_t file_number) {
  for (size_t i = 0; i < num_shards_; ++i) shards_[i].EraseFile(file_number);
}

size_t BlockCache::capacity() const { return capacity_; }

size_t BlockCache::usage() const {
  size_t total = 0;
  for (size_t i = 0; i < num_shards_; ++i) total += shards_[i].Usage();
  return total;
}

BlockCache::Block BlockCache::Shard::Lookup(const CacheKey& key) {
  port::MutexLock l(&mu);
  auto it = index.find(key);
  if (it == index.end()) return nullptr;
  lru.splice(lru.begin(), lru, it->second);
  return it->second->block;
}

void BlockCache::Shard::Insert(const CacheKey& key, Block block, size_t charge) {
  std::vector<Block> released;
  port::MutexLock l(&mu);
  auto old = index.find(key);
  if (old != index.end()) Remove(old->second, &released);
  if (charge > capacity) return;
  while (usage + charge > capacity) Remove(std::prev(lru.end()), &released);
  lru.push_front(Entry{Index::iterator(), std::move(block), charge});
  lru.front().pos = index.emplace(key, lru.begin()).first;
  usage += charge;
}

void BlockCache::Shard::EraseFile(uint64_t file_number) {
  std::vector<Block> released;
  port::MutexLock l(&mu);
  auto it = index.lower_bound(CacheKey(file_number, 0));
  while (it != index.end() && it->first.first == file_number) {
    auto next = std::next(it);
    Remove(it->second, &released);
    it = next;
  }
}

size_t BlockCache::Shard::Usage() {
  port::MutexLock l(&mu);
  return usage;
}

}  // namespace firn
