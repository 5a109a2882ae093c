// kvbench/firn_adapter.cc: drives firn through its C++ API (firn/db.h).
//
// Spec: "firn" or "firn:name=value:name=value", each pair handed to
// Options::Set after the common settings, so any option (compaction=tiered,
// memtable_bytes=8M, ...) can be varied from the command line.
#include <memory>

#include "adapter.h"
#include "firn/db.h"
#include "firn/iterator.h"

namespace kvbench {
namespace {

class FirnAdapter final : public Adapter {
 public:
  bool Open(const EngineConfig& config, const std::string& path, std::string* error) override {
    firn::Options options;
    options.create_if_missing = true;
    options.memtable_bytes = config.write_buffer_bytes;
    options.block_bytes = config.block_bytes;
    options.block_cache_bytes = config.block_cache_bytes;
    options.sst_target_bytes = config.target_file_bytes;
    options.bloom_bits_per_key = config.bloom_bits_per_key;
    options.max_open_files = config.max_open_files;
    options.compression =
        config.compression ? firn::CompressionType::kLZ4 : firn::CompressionType::kNone;
    options.sync = config.sync;
    // Options after the family name: "firn:compaction=tiered:num_levels=5".
    std::string_view rest = config.spec;
    size_t colon = rest.find(':');
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    while (!rest.empty()) {
      size_t end = rest.find(':');
      std::string_view pair = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) {
        *error = "firn option '" + std::string(pair) + "' is not name=value";
        return false;
      }
      firn::Status s = options.Set(pair.substr(0, eq), pair.substr(eq + 1));
      if (!s.ok()) {
        *error = s.ToString();
        return false;
      }
    }
    write_options_.sync = config.sync;
    firn::Status s = firn::DB::Open(options, path, &db_);
    if (!s.ok()) *error = s.ToString();
    return s.ok();
  }

  bool Put(std::string_view key, std::string_view value, std::string* error) override {
    return Check(db_->Put(write_options_, key, value), error);
  }

  bool Get(std::string_view key, std::string* value, bool* found, std::string* error) override {
    firn::Status s = db_->Get(firn::ReadOptions(), key, value);
    *found = s.ok();
    return s.ok() || s.IsNotFound() || Check(s, error);
  }

  bool Delete(std::string_view key, std::string* error) override {
    return Check(db_->Delete(write_options_, key), error);
  }

  bool Scan(std::string_view start, int count, int* read, std::string* error) override {
    std::unique_ptr<firn::Iterator> it(db_->NewIterator(firn::ReadOptions()));
    int n = 0;
    for (it->Seek(start); n < count && it->Valid(); it->Next()) {
      Touch(it->key(), it->value());
      ++n;
    }
    *read = n;
    return Check(it->status(), error);
  }

  bool ScanAll(uint64_t limit, uint64_t* read, std::string* error) override {
    std::unique_ptr<firn::Iterator> it(db_->NewIterator(firn::ReadOptions()));
    uint64_t n = 0;
    for (it->SeekToFirst(); n < limit && it->Valid(); it->Next()) {
      Touch(it->key(), it->value());
      ++n;
    }
    *read = n;
    return Check(it->status(), error);
  }

  std::string StatsJson() override {
    std::string json;
    if (db_ == nullptr || !db_->GetProperty("firn.stats.json", &json)) return "{}";
    return json;
  }

  bool Close(std::string* error) override {
    if (db_ == nullptr) return true;
    bool ok = Check(db_->Close(), error);
    db_.reset();
    return ok;
  }

 private:
  static bool Check(const firn::Status& s, std::string* error) {
    if (!s.ok()) *error = s.ToString();
    return s.ok();
  }
  // Reads a byte of key and value so a lazy iterator cannot skip the work.
  static void Touch(std::string_view key, std::string_view value) {
    volatile char sink = 0;
    if (!key.empty()) sink = key[0];
    if (!value.empty()) sink = value[value.size() - 1];
    (void)sink;
  }

  std::unique_ptr<firn::DB> db_;
  firn::WriteOptions write_options_;
};

}  // namespace

std::unique_ptr<Adapter> NewAdapter(std::string_view family) {
  if (family != "firn") return nullptr;
  return std::make_unique<FirnAdapter>();
}

}  // namespace kvbench
