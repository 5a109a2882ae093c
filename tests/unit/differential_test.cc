// Randomized differential test: random operation sequences applied to firn
// and to std::map must give the same answers, across reopens, flushes and
// compactions, for each static picker and several seeds (compare RocksDB's
// db_map_fuzzer). FIRN_DIFF_OPS sets the operations per configuration;
// FIRN_TEST_BACKGROUND=none runs the engine without its background thread.
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "firn/db.h"
#include "port/env.h"
#include "util/random.h"

using namespace firn;

namespace {

uint64_t OpsPerRun() {
  const char* e = std::getenv("FIRN_DIFF_OPS");
  return e != nullptr ? std::strtoull(e, nullptr, 10) : 250000;
}

class Differential {
 public:
  Differential(CompactionStyle style, uint64_t seed, CompressionType compression)
      : env_(NewMemEnv()), rnd_(seed) {
    options_.env = env_.get();
    // FIRN_TEST_BACKGROUND=none: no background thread; flushes and
    // compactions run inline on the writer (for qemu-user hosts that cannot
    // start threads, tests/edge/run_edge.sh).
    const char* bg = std::getenv("FIRN_TEST_BACKGROUND");
    if (bg != nullptr && std::string(bg) == "none") options_.background = BackgroundMode::kNone;
    options_.compaction = style;
    options_.compression = compression;
    // Small sizes so that flushes and compactions happen often.
    options_.memtable_bytes = 64 << 10;
    options_.sst_target_bytes = 64 << 10;
    options_.block_bytes = 512;
    options_.leveled_base_bytes = 256 << 10;
    options_.max_runs_per_level = 3;
    options_.num_levels = 4;
    Reopen();
  }

  void Reopen() {
    db_.reset();
    Status s = DB::Open(options_, "/diff", &db_);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
  }

  std::string RandomKey() {
    // Skewed: most operations hit a small hot set; some keys are binary,
    // some empty.
    uint64_t r = rnd_.Uniform(100);
    if (r == 0) return "";
    uint64_t id = r < 70 ? rnd_.Uniform(500) : rnd_.Uniform(20000);
    std::string k = "k" + std::to_string(id);
    if (id % 7 == 0) k.push_back('\0');
    if (id % 11 == 0) k += "\xff\x01";
    return k;
  }

  std::string RandomValue() {
    size_t n = rnd_.OneIn(50) ? rnd_.Uniform(5000) : rnd_.Uniform(120);
    std::string v(n, '\0');
    char base = static_cast<char>(rnd_.Uniform(256));
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<char>(base + (i % 13));
    return v;
  }

  void CheckGet(const std::string& k) {
    std::string v;
    Status s = db_->Get(ReadOptions(), k, &v);
    auto it = model_.find(k);
    if (it == model_.end()) {
      REQUIRE_MESSAGE(s.IsNotFound(), s.ToString());
    } else {
      REQUIRE_MESSAGE(s.ok(), s.ToString());
      REQUIRE(v == it->second);
    }
  }

  void CheckIterator() {
    std::unique_ptr<Iterator> it(db_->NewIterator(ReadOptions()));
    std::string target = RandomKey();
    auto m = model_.lower_bound(target);
    it->Seek(target);
    int steps = static_cast<int>(rnd_.Uniform(30));
    bool forward = true;
    for (int i = 0; i < steps; ++i) {
      if (m == model_.end()) {
        REQUIRE(!it->Valid());
        break;
      }
      REQUIRE(it->Valid());
      REQUIRE(it->key() == m->first);
      REQUIRE(it->value() == m->second);
      if (rnd_.OneIn(4)) forward = !forward;
      if (forward) {
        ++m;
        it->Next();
      } else {
        if (m == model_.begin()) {
          it->Prev();
          REQUIRE(!it->Valid());
          break;
        }
        --m;
        it->Prev();
      }
    }
    REQUIRE_MESSAGE(it->status().ok(), it->status().ToString());
  }

  void CheckFullScan(bool reverse) {
    std::unique_ptr<Iterator> it(db_->NewIterator(ReadOptions()));
    size_t n = 0;
    if (!reverse) {
      auto m = model_.begin();
      for (it->SeekToFirst(); it->Valid(); it->Next(), ++m, ++n) {
        REQUIRE(m != model_.end());
        REQUIRE(it->key() == m->first);
        REQUIRE(it->value() == m->second);
      }
    } else {
      auto m = model_.rbegin();
      for (it->SeekToLast(); it->Valid(); it->Prev(), ++m, ++n) {
        REQUIRE(m != model_.rend());
        REQUIRE(it->key() == m->first);
        REQUIRE(it->value() == m->second);
      }
    }
    REQUIRE(it->status().ok());
    REQUIRE(n == model_.size());
  }

  void Run(uint64_t ops) {
    for (uint64_t i = 0; i < ops; ++i) {
      uint64_t op = rnd_.Uniform(1000);
      if (op < 450) {
        std::string k = RandomKey(), v = RandomValue();
        REQUIRE(db_->Put(WriteOptions(), k, v).ok());
        model_[k] = v;
      } else if (op < 550) {
        std::string k = RandomKey();
        REQUIRE(db_->Delete(WriteOptions(), k).ok());
        model_.erase(k);
      } else if (op < 600) {
        WriteBatch b;
        int n = static_cast<int>(rnd_.Uniform(20)) + 1;
        std::map<std::string, std::optional<std::string>> changes;
        for (int j = 0; j < n; ++j) {
          std::string k = RandomKey();
          if (rnd_.OneIn(3)) {
            b.Delete(k);
            changes[k] = std::nullopt;
          } else {
            std::string v = RandomValue();
            b.Put(k, v);
            changes[k] = v;
          }
        }
        REQUIRE(db_->Write(WriteOptions(), b).ok());
        for (auto& [k, v] : changes) {
          if (v) {
            model_[k] = *v;
          } else {
            model_.erase(k);
          }
        }
      } else if (op < 900) {
        CheckGet(RandomKey());
      } else if (op < 990) {
        CheckIterator();
      } else if (op < 995) {
        REQUIRE(db_->Flush().ok());
      } else if (op < 998) {
        Reopen();
      } else {
        if (rnd_.OneIn(10)) {
          REQUIRE(db_->CompactAll().ok());
          CheckFullScan(rnd_.OneIn(2));
        } else {
          CheckFullScan(rnd_.OneIn(2));
        }
      }
    }
    Reopen();
    CheckFullScan(false);
    CheckFullScan(true);
    std::string json;
    REQUIRE(db_->GetProperty("firn.stats.json", &json));
    MESSAGE("stats: " << json);
  }

 private:
  std::unique_ptr<Env> env_;
  Options options_;
  std::unique_ptr<DB> db_;
  Random rnd_;
  std::map<std::string, std::string> model_;
};

}  // namespace

TEST_CASE("DifferentialAgainstStdMapTieredPicker") {
  for (uint64_t seed : {1, 2}) {
    Differential d(CompactionStyle::kTiered, seed, seed == 1 ? CompressionType::kLZ4
                                                               : CompressionType::kNone);
    d.Run(OpsPerRun());
  }
}

TEST_CASE("DifferentialAgainstStdMapLeveledPicker") {
  for (uint64_t seed : {3, 4}) {
    Differential d(CompactionStyle::kLeveled, seed, CompressionType::kLZ4);
    d.Run(OpsPerRun());
  }
}

TEST_CASE("DifferentialAgainstStdMapLearnedOption") {
  Differential d(CompactionStyle::kLearned, 5, CompressionType::kLZ4);
  d.Run(OpsPerRun() / 2);
}
