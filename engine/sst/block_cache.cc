// sst/block_cache.cc: see block_cache.h.
//
// One shard: a recency list (front = most recently used) and an ordered
// map from (file number, offset) to list position, so EraseFile is a range
// erase. Every operation holds mu_ for O(log n) work; evicted blocks are
// released after mu_ is dropped.
#include "sst/block_cache.h"

#include <list>
#include <map>
#include <utility>
#include <vector>

#include "port/port.h"

namespace firn {

namespace {

// Charged per entry on top of the block's bytes: list and map nodes and the
// shared_ptr control block.
constexpr size_t kEntryOverheadBytes = 96;

using CacheKey = std::pair<uint64_t, uint64_t>;  // file number, block offset

}  // namespace

struct BlockCache::Rep {
  struct Entry;
  using List = std::list<Entry>;
  using Index = std::map<CacheKey, List::iterator>;
  struct Entry {
    Index::iterator pos;  // this entry's node in index
    Block block;
    size_t charge;
  };

  explicit Rep(size_t capacity) : capacity(capacity) {}

  // Unlinks *it, handing its block to *released. O(1): no index search.
  void Remove(List::iterator it, std::vector<Block>* released) REQUIRES(mu) {
    usage -= it->charge;
    released->push_back(std::move(it->block));
    index.erase(it->pos);
    lru.erase(it);
  }

  const size_t capacity;
  port::Mutex mu;
  size_t usage GUARDED_BY(mu) = 0;
  List lru GUARDED_BY(mu);
  Index index GUARDED_BY(mu);
};

BlockCache::BlockCache(size_t capacity_bytes) : rep_(std::make_unique<Rep>(capacity_bytes)) {}

BlockCache::~BlockCache() = default;

BlockCache::Block BlockCache::Lookup(uint64_t file_number, uint64_t offset) {
  port::MutexLock l(&rep_->mu);
  auto it = rep_->index.find(CacheKey(file_number, offset));
  if (it == rep_->index.end()) return nullptr;
  rep_->lru.splice(rep_->lru.begin(), rep_->lru, it->second);
  return it->second->block;
}

void BlockCache::Insert(uint64_t file_number, uint64_t offset, Block block) {
  if (block == nullptr) return;
  const size_t charge = block.size() + kEntryOverheadBytes;
  std::vector<Block> released;
  port::MutexLock l(&rep_->mu);
  const CacheKey key(file_number, offset);
  auto old = rep_->index.find(key);
  if (old != rep_->index.end()) rep_->Remove(old->second, &released);
  if (charge > rep_->capacity) return;
  while (rep_->usage + charge > rep_->capacity) {
    rep_->Remove(std::prev(rep_->lru.end()), &released);
  }
  rep_->lru.push_front(Rep::Entry{Rep::Index::iterator(), std::move(block), charge});
  rep_->lru.front().pos = rep_->index.emplace(key, rep_->lru.begin()).first;
  rep_->usage += charge;
}

void BlockCache::EraseFile(uint64_t file_number) {
  std::vector<Block> released;
  port::MutexLock l(&rep_->mu);
  auto it = rep_->index.lower_bound(CacheKey(file_number, 0));
  while (it != rep_->index.end() && it->first.first == file_number) {
    auto next = std::next(it);
    rep_->Remove(it->second, &released);
    it = next;
  }
}

size_t BlockCache::capacity() const { return rep_->capacity; }

size_t BlockCache::usage() const {
  port::MutexLock l(&rep_->mu);
  return rep_->usage;
}

}  // namespace firn
