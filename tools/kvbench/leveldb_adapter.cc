// kvbench/leveldb_adapter.cc: drives LevelDB (Debian libleveldb-dev) through
// its C++ API. Built only when meson finds the library (KVBENCH_HAVE_LEVELDB).
//
// LevelDB has no LZ4; with compression on it uses Snappy, its only codec.
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <memory>

#include "adapter.h"

namespace kvbench {
namespace {

class LevelDBAdapter final : public Adapter {
 public:
  ~LevelDBAdapter() override {
    std::string ignored;
    Close(&ignored);
  }

  bool Open(const EngineConfig& config, const std::string& path, std::string* error) override {
    cache_.reset(leveldb::NewLRUCache(config.block_cache_bytes));
    filter_.reset(config.bloom_bits_per_key > 0
                      ? leveldb::NewBloomFilterPolicy(config.bloom_bits_per_key)
                      : nullptr);
    leveldb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = config.write_buffer_bytes;
    options.block_size = config.block_bytes;
    options.block_cache = cache_.get();
    options.max_file_size = config.target_file_bytes;
    options.filter_policy = filter_.get();
    options.max_open_files = config.max_open_files;
    options.compression =
        config.compression ? leveldb::kSnappyCompression : leveldb::kNoCompression;
    write_options_.sync = config.sync;
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(options, path, &db);
    db_.reset(db);
    return Check(s, error);
  }

  bool Put(std::string_view key, std::string_view value, std::string* error) override {
    return Check(db_->Put(write_options_, Slice(key), Slice(value)), error);
  }

  bool Get(std::string_view key, std::string* value, bool* found, std::string* error) override {
    leveldb::Status s = db_->Get(leveldb::ReadOptions(), Slice(key), value);
    *found = s.ok();
    return s.ok() || s.IsNotFound() || Check(s, error);
  }

  bool Delete(std::string_view key, std::string* error) override {
    return Check(db_->Delete(write_options_, Slice(key)), error);
  }

  bool Scan(std::string_view start, int count, int* read, std::string* error) override {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    int n = 0;
    for (it->Seek(Slice(start)); n < count && it->Valid(); it->Next()) {
      Touch(it->key(), it->value());
      ++n;
    }
    *read = n;
    return Check(it->status(), error);
  }

  bool ScanAll(uint64_t limit, uint64_t* read, std::string* error) override {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    uint64_t n = 0;
    for (it->SeekToFirst(); n < limit && it->Valid(); it->Next()) {
      Touch(it->key(), it->value());
      ++n;
    }
    *read = n;
    return Check(it->status(), error);
  }

  std::string StatsJson() override { return "{}"; }

  // LevelDB has no Close: deleting the DB waits for its background compaction.
  bool Close(std::string* /*error*/) override {
    db_.reset();
    filter_.reset();
    cache_.reset();
    return true;
  }

 private:
  static leveldb::Slice Slice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }
  static bool Check(const leveldb::Status& s, std::string* error) {
    if (!s.ok()) *error = s.ToString();
    return s.ok();
  }
  static void Touch(const leveldb::Slice& key, const leveldb::Slice& value) {
    volatile char sink = 0;
    if (!key.empty()) sink = key[0];
    if (!value.empty()) sink = value[value.size() - 1];
    (void)sink;
  }

  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;
  leveldb::WriteOptions write_options_;
};

}  // namespace

std::unique_ptr<Adapter> NewAdapter(std::string_view family) {
  if (family != "leveldb") return nullptr;
  return std::make_unique<LevelDBAdapter>();
}

}  // namespace kvbench
