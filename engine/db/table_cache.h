// db/table_cache.h: open SST readers, kept in an LRU bounded by count.
//
// Invariants: at most `capacity` readers are cached; a reader evicted while
// an iterator or lookup still uses it stays alive until they finish
// (shared ownership). The cache is split by file number into up to 8
// shards of at least 8 readers each, every shard with an equal share of
// the capacity, its own lock and its own LRU order, so concurrent gets
// (which look up a reader for every file they probe) rarely wait for one
// another.
// Thread safety: all methods may be called concurrently.
#ifndef FIRN_DB_TABLE_CACHE_H_
#define FIRN_DB_TABLE_CACHE_H_

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "firn/iterator.h"
#include "firn/options.h"
#include "port/port.h"
#include "sst/table.h"
#include "version/version_edit.h"

namespace firn {

class BlockCache;
class Env;

class TableCache {
 public:
  TableCache(Env* env, std::string dbname, const TableOptions& topts,
             BlockCache* block_cache, int capacity);
  TableCache(const TableCache&) = delete;
  TableCache& operator=(const TableCache&) = delete;

  // Opens (or finds) the reader of a file.
  Status FindTable(const FileMetaData& file, std::shared_ptr<Table>* table);
  // An iterator over the file's internal keys (an error iterator on
  // failure). The iterator keeps the reader alive.
  Iterator* NewIterator(const ReadOptions& options, const FileMetaData& file,
                        ReadStats* stats = nullptr);
  // Drops the reader and cached blocks of a deleted file.
  void Evict(uint64_t file_number);
  // Bytes held by cached readers (indexes and filters).
  size_t MemoryUsage();

 private:
  struct Entry {
    std::shared_ptr<Table> table;
    std::list<uint64_t>::iterator lru_pos;
  };
  struct Shard {
    int capacity = 1;  // set once, before the cache is shared
    port::Mutex mu;
    std::list<uint64_t> lru GUARDED_BY(mu);  // most recent at front
    std::unordered_map<uint64_t, Entry> tables GUARDED_BY(mu);
  };
  Shard& ShardFor(uint64_t file_number) { return shards_[file_number & (num_shards_ - 1)]; }

  Env* const env_;
  const std::string dbname_;
  const TableOptions topts_;
  BlockCache* const block_cache_;
  const int num_shards_;  // a power of two
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace firn

#endif  // FIRN_DB_TABLE_CACHE_H_
