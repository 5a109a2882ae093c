// kvbench/rocksdb_adapter.cc: drives RocksDB (Debian librocksdb-dev) through
// its C++ API. Built only when meson finds the library (KVBENCH_HAVE_ROCKSDB).
//
// Specs: "rocksdb-leveled" (RocksDB's default level compaction) and
// "rocksdb-universal" (universal compaction, RocksDB's defaults for it).
// Everything not in EngineConfig keeps RocksDB's default, except
// max_background_jobs = 2 for the 2-core machine.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include <memory>

#include "adapter.h"

namespace kvbench {
namespace {

class RocksDBAdapter final : public Adapter {
 public:
  ~RocksDBAdapter() override {
    std::string ignored;
    Close(&ignored);
  }

  bool Open(const EngineConfig& config, const std::string& path, std::string* error) override {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = config.write_buffer_bytes;
    options.target_file_size_base = config.target_file_bytes;
    options.max_open_files = config.max_open_files;
    options.max_background_jobs = 2;
    options.compression =
        config.compression ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
    if (config.spec == "rocksdb-universal") {
      options.compaction_style = rocksdb::kCompactionStyleUniversal;
    } else if (config.spec != "rocksdb-leveled" && config.spec != "rocksdb") {
      *error = "unknown rocksdb spec '" + config.spec +
               "' (rocksdb-leveled or rocksdb-universal)";
      return false;
    }
    rocksdb::BlockBasedTableOptions table;
    table.block_size = config.block_bytes;
    table.block_cache = rocksdb::NewLRUCache(config.block_cache_bytes);
    if (config.bloom_bits_per_key > 0) {
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(config.bloom_bits_per_key));
    }
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    write_options_.sync = config.sync;
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, path, &db);
    db_.reset(db);
    return Check(s, error);
  }

  bool Put(std::string_view key, std::string_view value, std::string* error) override {
    return Check(db_->Put(write_options_, Slice(key), Slice(value)), error);
  }

  bool Get(std::string_view key, std::string* value, bool* found, std::string* error) override {
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Slice(key), value);
    *found = s.ok();
    return s.ok() || s.IsNotFound() || Check(s, error);
  }

  bool Delete(std::string_view key, std::string* error) override {
    return Check(db_->Delete(write_options_, Slice(key)), error);
  }

  bool Scan(std::string_view start, int count, int* read, std::string* error) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    int n = 0;
    for (it->Seek(Slice(start)); n < count && it->Valid(); it->Next()) {
      Touch(it->key(), it->value());
      ++n;
    }
    *read = n;
    return Check(it->status(), error);
  }

  bool ScanAll(uint64_t limit, uint64_t* read, std::string* error) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    uint64_t n = 0;
    for (it->SeekToFirst(); n < limit && it->Valid(); it->Next()) {
      Touch(it->key(), it->value());
      ++n;
    }
    *read = n;
    return Check(it->status(), error);
  }

  std::string StatsJson() override { return "{}"; }

  bool Close(std::string* error) override {
    if (db_ == nullptr) return true;
    rocksdb::Status s = db_->Close();
    db_.reset();
    return Check(s, error);
  }

 private:
  static rocksdb::Slice Slice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
  static bool Check(const rocksdb::Status& s, std::string* error) {
    if (!s.ok()) *error = s.ToString();
    return s.ok();
  }
  static void Touch(const rocksdb::Slice& key, const rocksdb::Slice& value) {
    volatile char sink = 0;
    if (!key.empty()) sink = key[0];
    if (!value.empty()) sink = value[value.size() - 1];
    (void)sink;
  }

  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_options_;
};

}  // namespace

std::unique_ptr<Adapter> NewAdapter(std::string_view family) {
  if (family != "rocksdb") return nullptr;
  return std::make_unique<RocksDBAdapter>();
}

}  // namespace kvbench
