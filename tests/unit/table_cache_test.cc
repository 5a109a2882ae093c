// Tests of db/table_cache.h: the bound on open readers (one shard and
// several), Evict, errors for a missing file, and concurrent gets that each
// find their own key's value while readers are opened and evicted.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "db/dbformat.h"
#include "db/filename.h"
#include "db/table_cache.h"
#include "port/env.h"
#include "sst/block_cache.h"
#include "sst/table.h"
#include "util/random.h"

namespace firn {
namespace {

const std::string kDb = "/tc";

// Counts the random-access files currently open through it.
class CountingEnv : public EnvWrapper {
 public:
  explicit CountingEnv(Env* target) : EnvWrapper(target) {}

  Status NewRandomAccessFile(const std::string& f,
                             std::unique_ptr<RandomAccessFile>* r) override {
    std::unique_ptr<RandomAccessFile> file;
    Status s = target()->NewRandomAccessFile(f, &file);
    if (!s.ok()) return s;
    opens_++;
    r->reset(new Counted(std::move(file), &open_));
    return s;
  }
  int open() const { return open_.load(); }
  int opens() const { return opens_.load(); }

 private:
  class Counted : public RandomAccessFile {
   public:
    Counted(std::unique_ptr<RandomAccessFile> f, std::atomic<int>* open)
        : f_(std::move(f)), open_(open) {
      (*open_)++;
    }
    ~Counted() override { (*open_)--; }
    Status Read(uint64_t offset, size_t n, std::string_view* result,
                char* scratch) const override {
      return f_->Read(offset, n, result, scratch);
    }

   private:
    std::unique_ptr<RandomAccessFile> f_;
    std::atomic<int>* open_;
  };

  std::atomic<int> open_{0};
  std::atomic<int> opens_{0};
};

std::string KeyOf(uint64_t file, int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "f%06llu-k%03d", static_cast<unsigned long long>(file), i);
  return buf;
}

std::string ValueOf(uint64_t file, int i) { return "value of " + KeyOf(file, i); }

// Writes `files` tables numbered 1..files, each with 20 keys of its own.
std::vector<FileMetaData> MakeTables(Env* env, int files) {
  REQUIRE(env->CreateDir(kDb).ok());
  std::vector<FileMetaData> metas;
  for (uint64_t number = 1; number <= static_cast<uint64_t>(files); ++number) {
    std::unique_ptr<WritableFile> out;
    REQUIRE(env->NewWritableFile(TableFileName(kDb, number), &out).ok());
    TableBuilder builder(TableOptions(), out.get());
    for (int i = 0; i < 20; ++i) {
      builder.Add(MakeInternalKey(KeyOf(number, i), 5, kTypeValue), ValueOf(number, i));
    }
    REQUIRE(builder.Finish().ok());
    REQUIRE(out->Close().ok());
    FileMetaData meta;
    meta.number = number;
    meta.file_size = builder.FileSize();
    meta.smallest = MakeInternalKey(KeyOf(number, 0), 5, kTypeValue);
    meta.largest = MakeInternalKey(KeyOf(number, 19), 5, kTypeValue);
    metas.push_back(meta);
  }
  return metas;
}

// The value the cache finds for key i of a file ("" when not found).
std::string GetFrom(TableCache* cache, const FileMetaData& meta, int i) {
  bool found = false;
  ValueType type = kTypeDeletion;
  std::string value;
  std::shared_ptr<Table> table;
  Status s = cache->FindTable(meta, &table);
  if (!s.ok()) return "";
  s = table->Get(ReadOptions(), KeyOf(meta.number, i), kMaxSequenceNumber, &found, &type, &value,
                 nullptr);
  if (!s.ok() || !found || type != kTypeValue) return "";
  return value;
}

TEST_CASE("NeverKeepsMoreReadersOpenThanItsCapacity") {
  // 5 is one shard (exact LRU), 64 the default (8 shards of 8), 100 eight
  // shards of 12 (96 readers: a share lost to rounding is never exceeded).
  for (int capacity : {5, 64, 100}) {
    CAPTURE(capacity);
    std::unique_ptr<Env> mem = NewMemEnv();
    CountingEnv env(mem.get());
    std::vector<FileMetaData> metas = MakeTables(&env, 300);
    TableCache cache(&env, kDb, TableOptions(), nullptr, capacity);
    Random rnd(capacity);
    for (int n = 0; n < 3000; ++n) {
      const FileMetaData& meta = metas[rnd.Uniform(static_cast<int>(metas.size()))];
      const int i = static_cast<int>(rnd.Uniform(20));
      REQUIRE(GetFrom(&cache, meta, i) == ValueOf(meta.number, i));
      REQUIRE(env.open() <= capacity);
    }
    // A busy cache holds (close to) its capacity, not one reader a shard.
    CHECK(env.open() >= capacity * 9 / 10);
    CHECK(cache.MemoryUsage() > 0);
  }
}

TEST_CASE("OneShardEvictsTheLeastRecentlyUsedReader") {
  std::unique_ptr<Env> mem = NewMemEnv();
  CountingEnv env(mem.get());
  std::vector<FileMetaData> metas = MakeTables(&env, 4);
  TableCache cache(&env, kDb, TableOptions(), nullptr, 3);
  for (int f : {0, 1, 2, 0}) REQUIRE(GetFrom(&cache, metas[f], 1) == ValueOf(f + 1, 1));
  CHECK(env.opens() == 3);
  REQUIRE(GetFrom(&cache, metas[3], 1) == ValueOf(4, 1));  // evicts file 2 (index 1)
  CHECK(env.open() == 3);
  REQUIRE(GetFrom(&cache, metas[0], 2) == ValueOf(1, 2));  // still cached
  CHECK(env.opens() == 4);
  REQUIRE(GetFrom(&cache, metas[1], 2) == ValueOf(2, 2));  // reopened
  CHECK(env.opens() == 5);
}

TEST_CASE("EvictClosesTheReaderAndDropsItsBlocks") {
  std::unique_ptr<Env> mem = NewMemEnv();
  CountingEnv env(mem.get());
  std::vector<FileMetaData> metas = MakeTables(&env, 3);
  BlockCache blocks(4 << 20);  // sharded
  TableCache cache(&env, kDb, TableOptions(), &blocks, 64);
  for (const FileMetaData& meta : metas) REQUIRE(GetFrom(&cache, meta, 3) == ValueOf(meta.number, 3));
  CHECK(env.open() == 3);
  const size_t before = blocks.usage();
  REQUIRE(before > 0);
  cache.Evict(2);
  CHECK(env.open() == 2);
  CHECK(blocks.usage() < before);
  cache.Evict(2);  // again: no effect
  cache.Evict(99);  // never opened: no effect
  CHECK(env.open() == 2);
  // A reader still held by a caller outlives its eviction.
  std::shared_ptr<Table> held;
  REQUIRE(cache.FindTable(metas[0], &held).ok());
  cache.Evict(1);
  CHECK(env.open() == 2);
  held.reset();
  CHECK(env.open() == 1);
}

TEST_CASE("AMissingFileIsAnErrorNamingIt") {
  std::unique_ptr<Env> mem = NewMemEnv();
  std::vector<FileMetaData> metas = MakeTables(mem.get(), 1);
  TableCache cache(mem.get(), kDb, TableOptions(), nullptr, 64);
  FileMetaData missing = metas[0];
  missing.number = 77;
  std::shared_ptr<Table> table;
  Status s = cache.FindTable(missing, &table);
  CHECK(!s.ok());
  CHECK(s.ToString().find("000077") != std::string::npos);
  CHECK(table == nullptr);
  CHECK(cache.MemoryUsage() == 0);  // no reader cached for it
  REQUIRE(cache.FindTable(metas[0], &table).ok());
  CHECK(table != nullptr);
  CHECK(cache.MemoryUsage() > 0);
}

TEST_CASE("ConcurrentGetsFindTheirValuesWhileReadersComeAndGo") {
  std::unique_ptr<Env> mem = NewMemEnv();
  CountingEnv env(mem.get());
  std::vector<FileMetaData> metas = MakeTables(&env, 120);
  BlockCache blocks(2 << 20);
  TableCache cache(&env, kDb, TableOptions(), &blocks, 16);  // 2 shards, much churn
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Random rnd(300 + t);
      for (int n = 0; n < 4000; ++n) {
        const FileMetaData& meta = metas[rnd.Uniform(static_cast<int>(metas.size()))];
        if (t == 0 && rnd.OneIn(20)) {
          cache.Evict(meta.number);
          continue;
        }
        const int i = static_cast<int>(rnd.Uniform(20));
        if (GetFrom(&cache, meta, i) != ValueOf(meta.number, i)) wrong++;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong.load() == 0);
  CHECK(env.open() <= 16);
}

}  // namespace
}  // namespace firn
