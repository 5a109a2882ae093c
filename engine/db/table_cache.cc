// db/table_cache.cc: see table_cache.h.
#include "db/table_cache.h"

#include <algorithm>

#include "db/filename.h"
#include "port/env.h"
#include "sst/block_cache.h"
#include "util/shards.h"

namespace firn {

namespace {

constexpr size_t kMaxShards = 8;
constexpr size_t kMinShardReaders = 8;

int ShardsFor(int capacity) {
  return static_cast<int>(
      ShardCount(static_cast<size_t>(std::max(1, capacity)), kMinShardReaders, kMaxShards));
}

}  // namespace

TableCache::TableCache(Env* env, std::string dbname, const TableOptions& topts,
                       BlockCache* block_cache, int capacity)
    : env_(env),
      dbname_(std::move(dbname)),
      topts_(topts),
      block_cache_(block_cache),
      num_shards_(ShardsFor(capacity)),
      shards_(new Shard[num_shards_]) {
  for (int i = 0; i < num_shards_; ++i) shards_[i].capacity = std::max(1, capacity / num_shards_);
}

Status TableCache::FindTable(const FileMetaData& file, std::shared_ptr<Table>* table) {
  Shard& shard = ShardFor(file.number);
  {
    port::MutexLock l(&shard.mu);
    auto it = shard.tables.find(file.number);
    if (it != shard.tables.end()) {
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second.lru_pos);
      *table = it->second.table;
      return Status::OK();
    }
  }
  // Open outside the lock: it reads the footer, index and filter.
  std::string fname = TableFileName(dbname_, file.number);
  std::unique_ptr<RandomAccessFile> raf;
  Status s = env_->NewRandomAccessFile(fname, &raf);
  if (!s.ok()) return s;
  std::unique_ptr<Table> opened;
  s = Table::Open(topts_, std::move(raf), file.file_size, fname, file.number, block_cache_,
                  &opened);
  if (!s.ok()) return s;
  std::shared_ptr<Table> shared(std::move(opened));
  std::vector<std::shared_ptr<Table>> evicted;  // closed after the lock is dropped
  port::MutexLock l(&shard.mu);
  auto it = shard.tables.find(file.number);
  if (it != shard.tables.end()) {  // another thread opened it meanwhile
    *table = it->second.table;
    return Status::OK();
  }
  shard.lru.push_front(file.number);
  shard.tables[file.number] = Entry{shared, shard.lru.begin()};
  while (static_cast<int>(shard.tables.size()) > shard.capacity) {
    auto victim = shard.tables.find(shard.lru.back());
    shard.lru.pop_back();
    evicted.push_back(std::move(victim->second.table));
    shard.tables.erase(victim);
  }
  *table = std::move(shared);
  return Status::OK();
}

Iterator* TableCache::NewIterator(const ReadOptions& options, const FileMetaData& file,
                                  ReadStats* stats) {
  std::shared_ptr<Table> table;
  Status s = FindTable(file, &table);
  if (!s.ok()) return NewErrorIterator(s);
  // The iterator keeps the table alive (it may be evicted meanwhile).
  return Table::NewIterator(std::move(table), options, stats);
}

void TableCache::Evict(uint64_t file_number) {
  std::shared_ptr<Table> evicted;  // closed after the lock is dropped
  {
    Shard& shard = ShardFor(file_number);
    port::MutexLock l(&shard.mu);
    auto it = shard.tables.find(file_number);
    if (it != shard.tables.end()) {
      shard.lru.erase(it->second.lru_pos);
      evicted = std::move(it->second.table);
      shard.tables.erase(it);
    }
  }
  if (block_cache_ != nullptr) block_cache_->EraseFile(file_number);
}

size_t TableCache::MemoryUsage() {
  size_t total = 0;
  for (int i = 0; i < num_shards_; ++i) {
    port::MutexLock l(&shards_[i].mu);
    for (auto& [number, entry] : shards_[i].tables) total += entry.table->MemoryUsage();
  }
  return total;
}

}  // namespace firn
