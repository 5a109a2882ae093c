// db/table_cache.cc: see table_cache.h.
#include "db/table_cache.h"

#include "db/filename.h"
#include "port/env.h"
#include "sst/block_cache.h"

namespace firn {

TableCache::TableCache(Env* env, std::string dbname, const TableOptions& topts,
                       BlockCache* block_cache, int capacity)
    : env_(env),
      dbname_(std::move(dbname)),
      topts_(topts),
      block_cache_(block_cache),
      capacity_(capacity < 1 ? 1 : capacity) {}

Status TableCache::FindTable(const FileMetaData& file, std::shared_ptr<Table>* table) {
  {
    port::MutexLock l(&mu_);
    auto it = tables_.find(file.number);
    if (it != tables_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.lru_pos);
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
  port::MutexLock l(&mu_);
  auto it = tables_.find(file.number);
  if (it != tables_.end()) {  // another thread opened it meanwhile
    *table = it->second.table;
    return Status::OK();
  }
  lru_.push_front(file.number);
  tables_[file.number] = Entry{shared, lru_.begin()};
  while (static_cast<int>(tables_.size()) > capacity_) {
    uint64_t victim = lru_.back();
    lru_.pop_back();
    tables_.erase(victim);
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

Status TableCache::Get(const ReadOptions& options, const FileMetaData& file,
                       std::string_view user_key, SequenceNumber seq, bool* found,
                       ValueType* type, std::string* value, ReadStats* stats) {
  std::shared_ptr<Table> table;
  Status s = FindTable(file, &table);
  if (!s.ok()) return s;
  return table->Get(options, user_key, seq, found, type, value, stats);
}

void TableCache::Evict(uint64_t file_number) {
  {
    port::MutexLock l(&mu_);
    auto it = tables_.find(file_number);
    if (it != tables_.end()) {
      lru_.erase(it->second.lru_pos);
      tables_.erase(it);
    }
  }
  if (block_cache_ != nullptr) block_cache_->EraseFile(file_number);
}

size_t TableCache::MemoryUsage() {
  port::MutexLock l(&mu_);
  size_t total = 0;
  for (auto& [number, entry] : tables_) total += entry.table->MemoryUsage();
  return total;
}

}  // namespace firn
