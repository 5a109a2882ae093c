// Tests of the DB as a whole: reads and writes, recovery, iterators,
// snapshots, flushes and compactions with each picker, limits, properties.
#include <doctest/doctest.h>

#ifdef __linux__
#include <sys/resource.h>
#endif

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "compaction/picker.h"
#include "firn/db.h"
#include "policy/trace.h"
#include "port/env.h"
#include "util/random.h"
#include "wal/log_writer.h"

using namespace firn;

namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/firn-db-test-XXXXXX";
  char* d = mkdtemp(tmpl);
  REQUIRE(d != nullptr);
  return d;
}

struct MemDB {
  std::unique_ptr<Env> env = NewMemEnv();
  Options options;
  std::unique_ptr<DB> db;
  std::string path = "/db";

  explicit MemDB(CompactionStyle style = CompactionStyle::kTiered) {
    options.env = env.get();
    options.compaction = style;
    options.memtable_bytes = 64 << 10;
    options.sst_target_bytes = 64 << 10;
    options.leveled_base_bytes = 256 << 10;
    Reopen();
  }
  void Reopen() {
    db.reset();
    Status s = DB::Open(options, path, &db);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
  }
  std::string Get(std::string_view k) {
    std::string v;
    Status s = db->Get(ReadOptions(), k, &v);
    if (s.IsNotFound()) return "NOT_FOUND";
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    return v;
  }
  std::string Json() {
    std::string v;
    REQUIRE(db->GetProperty("firn.stats.json", &v));
    return v;
  }
};

uint64_t JsonField(const std::string& json, const std::string& name) {
  size_t p = json.find("\"" + name + "\":");
  REQUIRE(p != std::string::npos);
  return std::strtoull(json.c_str() + p + name.size() + 3, nullptr, 10);
}

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%08d", i);
  return buf;
}

}  // namespace

TEST_CASE("PutGetDeleteRoundTrip") {
  MemDB t;
  CHECK(t.db->Put(WriteOptions(), "a", "1").ok());
  CHECK(t.db->Put(WriteOptions(), "b", "2").ok());
  CHECK(t.Get("a") == "1");
  CHECK(t.Get("b") == "2");
  CHECK(t.db->Delete(WriteOptions(), "a").ok());
  CHECK(t.Get("a") == "NOT_FOUND");
  CHECK(t.db->Put(WriteOptions(), "b", "3").ok());
  CHECK(t.Get("b") == "3");
  CHECK(t.Get("c") == "NOT_FOUND");
}

TEST_CASE("EmptyKeyAndBinaryKeysAreStored") {
  MemDB t;
  std::string nul("a\0b", 3);
  CHECK(t.db->Put(WriteOptions(), "", "empty").ok());
  CHECK(t.db->Put(WriteOptions(), nul, std::string("\0\xff", 2)).ok());
  CHECK(t.Get("") == "empty");
  CHECK(t.Get(nul) == std::string("\0\xff", 2));
  CHECK(t.db->Flush().ok());
  t.Reopen();
  CHECK(t.Get("") == "empty");
  CHECK(t.Get(nul) == std::string("\0\xff", 2));
}

TEST_CASE("WritesSurviveReopenFromTheLog") {
  MemDB t;
  for (int i = 0; i < 1000; ++i) REQUIRE(t.db->Put(WriteOptions(), Key(i), "v" + std::to_string(i)).ok());
  REQUIRE(t.db->Delete(WriteOptions(), Key(7)).ok());
  t.Reopen();
  CHECK(t.Get(Key(0)) == "v0");
  CHECK(t.Get(Key(999)) == "v999");
  CHECK(t.Get(Key(7)) == "NOT_FOUND");
  // A second reopen replays the same logs again (nothing was flushed).
  t.Reopen();
  CHECK(t.Get(Key(500)) == "v500");
}

TEST_CASE("FlushAndCompactAllKeepEveryValue") {
  for (CompactionStyle style : {CompactionStyle::kTiered, CompactionStyle::kLeveled}) {
    MemDB t(style);
    Random rnd(1);
    std::map<std::string, std::string> model;
    for (int i = 0; i < 20000; ++i) {
      std::string k = Key(static_cast<int>(rnd.Uniform(3000)));
      if (rnd.OneIn(5)) {
        REQUIRE(t.db->Delete(WriteOptions(), k).ok());
        model.erase(k);
      } else {
        std::string v(20 + rnd.Uniform(100), static_cast<char>('a' + rnd.Uniform(26)));
        REQUIRE(t.db->Put(WriteOptions(), k, v).ok());
        model[k] = v;
      }
    }
    REQUIRE(t.db->CompactAll().ok());
    std::string levels;
    REQUIRE(t.db->GetProperty("firn.levels", &levels));
    // Everything in one run at the last level.
    uint64_t runs = JsonField(t.Json(), "live_runs");
    CHECK(runs == 1);
    CHECK(JsonField(t.Json(), "live_deletions") == 0);
    for (int i = 0; i < 3000; ++i) {
      auto it = model.find(Key(i));
      CHECK(t.Get(Key(i)) == (it == model.end() ? "NOT_FOUND" : it->second));
    }
    t.Reopen();
    std::unique_ptr<Iterator> iter(t.db->NewIterator(ReadOptions()));
    auto m = model.begin();
    for (iter->SeekToFirst(); iter->Valid(); iter->Next(), ++m) {
      REQUIRE(m != model.end());
      CHECK(iter->key() == m->first);
      CHECK(iter->value() == m->second);
    }
    CHECK(m == model.end());
    CHECK(iter->status().ok());
  }
}

// A picker that never compacts: flushes pile up as runs of level 0.
class NeverCompact final : public CompactionPicker {
 public:
  const char* Name() const override { return "never"; }
  bool Pick(const TreeShape&, const WorkloadStats&, CompactionRequest*) override { return false; }
};

int Level0Runs(DB* db) {
  std::string levels;
  REQUIRE(db->GetProperty("firn.levels", &levels));
  int level = -1, runs = 0;
  REQUIRE(std::sscanf(levels.c_str(), "%d %d", &level, &runs) == 2);
  REQUIRE(level == 0);
  return runs;
}

// Gets search runs in batches of growing size (version/version.cc): the
// answer must be the newest version whichever batch holds it, a snapshot
// must skip the runs written after it, and an unreadable old file must not
// hide a key that a newer run of the same batch holds.
TEST_CASE("GetsAcross40RunsFindTheNewestVersionInEveryBatch") {
  MemDB t;
  t.options.compaction_picker = std::make_shared<NeverCompact>();
  t.options.max_runs_per_level = 40;
  t.Reopen();
  const Snapshot* snapshot = nullptr;
  for (int r = 0; r < 40; ++r) {
    REQUIRE(t.db->Put(WriteOptions(), "run" + std::to_string(r), "v" + std::to_string(r)).ok());
    REQUIRE(t.db->Put(WriteOptions(), "shared", "s" + std::to_string(r)).ok());
    if (r == 35) REQUIRE(t.db->Delete(WriteOptions(), "run3").ok());
    REQUIRE(t.db->Flush().ok());
    if (r == 20) snapshot = t.db->GetSnapshot();
  }
  REQUIRE(Level0Runs(t.db.get()) == 40);
  CHECK(t.Get("shared") == "s39");
  for (int r = 0; r < 40; ++r) {
    CAPTURE(r);
    CHECK(t.Get("run" + std::to_string(r)) == (r == 3 ? "NOT_FOUND" : "v" + std::to_string(r)));
  }
  CHECK(t.Get("absent") == "NOT_FOUND");
  ReadOptions at20;
  at20.snapshot = snapshot;
  std::string v;
  REQUIRE(t.db->Get(at20, "shared", &v).ok());
  CHECK(v == "s20");
  CHECK(t.db->Get(at20, "run30", &v).IsNotFound());
  REQUIRE(t.db->Get(at20, "run3", &v).ok());  // deleted only at run 35
  CHECK(v == "v3");
  t.db->ReleaseSnapshot(snapshot);

  // Damage the oldest run's file; reopen so that no reader is cached. Run 0
  // is the last file of the last batch (2 + 4 + 8 + 16 runs before it), so
  // runs 1-9 share its batch and must still answer.
  std::vector<std::string> children;
  REQUIRE(t.env->GetChildren("/db", &children).ok());
  std::vector<std::string> tables;
  for (const std::string& c : children) {
    if (c.size() > 4 && c.compare(c.size() - 4, 4, ".sst") == 0) tables.push_back(c);
  }
  REQUIRE(tables.size() == 40);
  std::sort(tables.begin(), tables.end());
  t.db.reset();
  std::string contents;
  REQUIRE(ReadFileToString(t.env.get(), "/db/" + tables[0], &contents).ok());
  std::fill(contents.end() - 16, contents.end(), '\xff');  // the footer's magic
  REQUIRE(WriteStringToFile(t.env.get(), contents, "/db/" + tables[0], false).ok());
  t.Reopen();
  for (int r = 1; r < 40; ++r) {
    CAPTURE(r);
    CHECK(t.Get("run" + std::to_string(r)) == (r == 3 ? "NOT_FOUND" : "v" + std::to_string(r)));
  }
  Status s = t.db->Get(ReadOptions(), "run0", &v);
  CHECK_MESSAGE(s.IsCorruption(), s.ToString());
  CHECK(s.ToString().find(tables[0]) != std::string::npos);
  s = t.db->Get(ReadOptions(), "run0a", &v);  // in the damaged file's key range
  CHECK(s.IsCorruption());
}

TEST_CASE("BackgroundCompactionBoundsRunsPerLevel") {
  for (CompactionStyle style : {CompactionStyle::kTiered, CompactionStyle::kLeveled}) {
    MemDB t(style);
    std::string value(200, 'x');
    for (int i = 0; i < 30000; ++i) {
      REQUIRE(t.db->Put(WriteOptions(), Key((i * 7919) % 30000), value).ok());
    }
    REQUIRE(t.db->Flush().ok());
    // Let the background worker catch up.
    for (int i = 0; i < 100; ++i) {
      std::string levels;
      REQUIRE(t.db->GetProperty("firn.levels", &levels));
      if (std::atoi(levels.c_str() + 2) < MaxRunsPerLevel(t.options)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::string json = t.Json();
    CHECK(JsonField(json, "compactions") > 0);
    // The values are one repeated byte: LZ4 shrinks the WAL and the SSTs
    // far below the user bytes, so only check that bytes were counted.
    CHECK(JsonField(json, "device_bytes_written") > JsonField(json, "user_bytes_written") / 20);
    for (int i = 0; i < 30000; i += 97) CHECK(t.Get(Key(i)) == value);
  }
}

TEST_CASE("WriteBatchIsAtomicAndOrdered") {
  MemDB t;
  WriteBatch b;
  b.Put("x", "1");
  b.Put("y", "2");
  b.Delete("x");
  b.Put("z", "3");
  REQUIRE(t.db->Write(WriteOptions(), b).ok());
  CHECK(t.Get("x") == "NOT_FOUND");
  CHECK(t.Get("y") == "2");
  CHECK(t.Get("z") == "3");
  t.Reopen();
  CHECK(t.Get("x") == "NOT_FOUND");
  CHECK(t.Get("z") == "3");
}

TEST_CASE("OversizedKeyOrValueIsInvalidArgumentAndWritesNothing") {
  MemDB t;
  t.options.max_key_bytes = 16;
  t.options.max_value_bytes = 100;
  t.Reopen();
  WriteBatch b;
  b.Put("ok", "fine");
  b.Put(std::string(17, 'k'), "v");
  Status s = t.db->Write(WriteOptions(), b);
  CHECK(s.IsInvalidArgument());
  CHECK(t.Get("ok") == "NOT_FOUND");
  CHECK(t.db->Put(WriteOptions(), "k", std::string(101, 'v')).IsInvalidArgument());
  CHECK(t.Get("k") == "NOT_FOUND");
  CHECK(t.db->Put(WriteOptions(), std::string(16, 'k'), std::string(100, 'v')).ok());
}

TEST_CASE("IteratorsWalkBothWaysAndSeek") {
  MemDB t;
  std::map<std::string, std::string> model;
  for (int i = 0; i < 5000; i += 2) {
    REQUIRE(t.db->Put(WriteOptions(), Key(i), std::to_string(i)).ok());
    model[Key(i)] = std::to_string(i);
    if (i % 1000 == 0) REQUIRE(t.db->Flush().ok());
  }
  std::unique_ptr<Iterator> it(t.db->NewIterator(ReadOptions()));
  it->SeekToLast();
  for (auto m = model.rbegin(); m != model.rend(); ++m) {
    REQUIRE(it->Valid());
    CHECK(it->key() == m->first);
    it->Prev();
  }
  CHECK(!it->Valid());
  it->Seek(Key(101));
  REQUIRE(it->Valid());
  CHECK(it->key() == Key(102));
  it->Prev();
  CHECK(it->key() == Key(100));
  it->Next();
  it->Next();
  CHECK(it->key() == Key(104));
  it->Seek(Key(99999));
  CHECK(!it->Valid());
}

TEST_CASE("IteratorAndSnapshotSeeAConsistentPointInTime") {
  MemDB t;
  for (int i = 0; i < 100; ++i) REQUIRE(t.db->Put(WriteOptions(), Key(i), "old").ok());
  const Snapshot* snap = t.db->GetSnapshot();
  std::unique_ptr<Iterator> it(t.db->NewIterator(ReadOptions()));
  for (int i = 0; i < 100; ++i) REQUIRE(t.db->Put(WriteOptions(), Key(i), "new").ok());
  REQUIRE(t.db->Delete(WriteOptions(), Key(5)).ok());
  REQUIRE(t.db->CompactAll().ok());
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) CHECK(it->value() == "old");
  CHECK(n == 100);
  ReadOptions ro;
  ro.snapshot = snap;
  std::string v;
  REQUIRE(t.db->Get(ro, Key(5), &v).ok());
  CHECK(v == "old");
  CHECK(t.Get(Key(5)) == "NOT_FOUND");
  CHECK(t.Get(Key(6)) == "new");
  it.reset();
  t.db->ReleaseSnapshot(snap);
}

TEST_CASE("SecondOpenOfSameDirectoryIsBusy") {
  std::string dir = TempDir();
  Options o;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(o, dir, &db).ok());
  std::unique_ptr<DB> db2;
  Status s = DB::Open(o, dir, &db2);
  CHECK(s.IsBusy());
  CHECK(db2 == nullptr);
  REQUIRE(db->Close().ok());
  CHECK(DB::Open(o, dir, &db2).ok());
  db2.reset();
  db.reset();
  CHECK(DestroyDB(dir, o).ok());
}

#ifdef __linux__
// The nice values of this process's threads, from /proc/self/task/*/stat
// (field 19, counted after the command name in parentheses).
std::vector<int> ThreadNiceValues() {
  std::vector<int> r;
  std::vector<std::string> tasks;
  if (!Env::Default()->GetChildren("/proc/self/task", &tasks).ok()) return r;
  for (const std::string& t : tasks) {
    std::string stat;
    if (t == "." || t == ".." ||
        !ReadFileToString(Env::Default(), "/proc/self/task/" + t + "/stat", &stat).ok()) {
      continue;
    }
    size_t p = stat.rfind(')');
    if (p == std::string::npos) continue;
    std::vector<std::string> fields;
    size_t i = p + 2;
    while (i < stat.size()) {
      size_t sp = stat.find(' ', i);
      fields.push_back(stat.substr(i, sp == std::string::npos ? std::string::npos : sp - i));
      if (sp == std::string::npos) break;
      i = sp + 1;
    }
    if (fields.size() > 16) r.push_back(std::atoi(fields[16].c_str()));
  }
  return r;
}

TEST_CASE("BackgroundThreadRunsAtLowerPriorityUnlessTurnedOff") {
  const int own = getpriority(PRIO_PROCESS, 0);  // Linux: this thread's
  if (own >= 19) return;  // nothing lower to go to
  for (bool low : {true, false}) {
    std::string dir = TempDir();
    Options o;
    o.background_low_priority = low;
    const size_t before = ThreadNiceValues().size();
    std::unique_ptr<DB> db;
    REQUIRE(DB::Open(o, dir, &db).ok());
    // The thread lowers itself when it starts: give it up to 2 s.
    int highest = own;
    size_t threads = 0;
    for (int tries = 0; tries < 200; ++tries) {
      std::vector<int> nice = ThreadNiceValues();
      threads = nice.size();
      highest = own;
      for (int n : nice) highest = std::max(highest, n);
      if (threads > before && (!low || highest > own)) break;
      Env::Default()->SleepMicros(10000);
    }
    CHECK(threads > before);  // the background thread is there
    if (low) {
      CHECK(highest > own);
    } else {
      CHECK(highest == own);
    }
    db.reset();
    CHECK(DestroyDB(dir, o).ok());
  }
}
#endif

TEST_CASE("OpenOnPosixSurvivesReopenWithCompression") {
  for (CompressionType c : {CompressionType::kLZ4, CompressionType::kNone}) {
    std::string dir = TempDir();
    Options o;
    o.compression = c;
    o.memtable_bytes = 128 << 10;
    std::unique_ptr<DB> db;
    REQUIRE(DB::Open(o, dir, &db).ok());
    for (int i = 0; i < 20000; ++i) REQUIRE(db->Put(WriteOptions(), Key(i), std::string(50, 'a' + i % 26)).ok());
    REQUIRE(db->CompactAll().ok());
    REQUIRE(db->Close().ok());
    db.reset();
    REQUIRE(DB::Open(o, dir, &db).ok());
    std::string v;
    REQUIRE(db->Get(ReadOptions(), Key(12345), &v).ok());
    CHECK(v == std::string(50, 'a' + 12345 % 26));
    db.reset();
    CHECK(DestroyDB(dir, o).ok());
  }
}

TEST_CASE("MissingDatabaseWithoutCreateIsInvalidArgument") {
  MemDB t;
  t.db.reset();
  Options o = t.options;
  o.create_if_missing = false;
  std::unique_ptr<DB> db;
  CHECK(DB::Open(o, "/nothing-here", &db).IsInvalidArgument());
  o.create_if_missing = true;
  o.error_if_exists = true;
  CHECK(DB::Open(o, t.path, &db).IsInvalidArgument());
}

TEST_CASE("CallsAfterCloseReturnInvalidArgument") {
  MemDB t;
  REQUIRE(t.db->Put(WriteOptions(), "k", "v").ok());
  REQUIRE(t.db->Close().ok());
  std::string v;
  CHECK(t.db->Put(WriteOptions(), "k", "v").IsInvalidArgument());
  CHECK(t.db->Get(ReadOptions(), "k", &v).IsInvalidArgument());
  std::unique_ptr<Iterator> it(t.db->NewIterator(ReadOptions()));
  CHECK(it->status().IsInvalidArgument());
  CHECK(t.db->Close().ok());
}

TEST_CASE("PropertiesReportAccounting") {
  MemDB t;
  for (int i = 0; i < 3000; ++i) REQUIRE(t.db->Put(WriteOptions(), Key(i), std::string(100, 'v')).ok());
  REQUIRE(t.db->Flush().ok());
  std::string json = t.Json();
  uint64_t user = JsonField(json, "user_bytes_written");
  CHECK(user == 3000 * (11 + 100));
  CHECK(JsonField(json, "device_bytes_written") >= JsonField(json, "wal_bytes_written") + JsonField(json, "sst_bytes_written"));
  // 100 equal bytes per value: the compressed WAL is smaller than the
  // user bytes (docs/format-wal.md, version 2).
  CHECK(JsonField(json, "wal_bytes_written") > user / 10);
  CHECK(JsonField(json, "wal_bytes_written") < user);
  CHECK(JsonField(json, "live_files") >= 1);
  std::string stats;
  REQUIRE(t.db->GetProperty("firn.stats", &stats));
  CHECK(stats.find("write amplification") != std::string::npos);
  std::string unknown;
  CHECK(!t.db->GetProperty("firn.nope", &unknown));
  // A get from an SST reads at most one data block per file probed.
  std::string v;
  for (int i = 0; i < 100; ++i) REQUIRE(t.db->Get(ReadOptions(), Key(i * 17), &v).ok());
  json = t.Json();
  CHECK(JsonField(json, "get_blocks_read") <= JsonField(json, "get_files_probed"));
}

TEST_CASE("IteratorsCountTheDataBlocksTheyRead") {
  MemDB t;
  for (int i = 0; i < 3000; ++i) REQUIRE(t.db->Put(WriteOptions(), Key(i), std::string(100, 'v')).ok());
  REQUIRE(t.db->Flush().ok());
  CHECK(JsonField(t.Json(), "iterator_blocks_read") == 0);
  {
    // Never positioned: no block read.
    std::unique_ptr<Iterator> it(t.db->NewIterator(ReadOptions()));
  }
  CHECK(JsonField(t.Json(), "iterator_blocks_read") == 0);
  // Nothing is written any more, so the background compaction can only
  // lower the number of runs: read it before the iterator takes its
  // version (read after, it may count a merge the iterator did not see).
  const uint64_t runs = JsonField(t.Json(), "live_runs");
  CAPTURE(runs);
  {
    // 50 entries of about 115 bytes span two or three 4 KiB blocks.
    std::unique_ptr<Iterator> it(t.db->NewIterator(ReadOptions()));
    it->Seek(Key(1000));
    for (int n = 0; n < 50 && it->Valid(); ++n) it->Next();
    REQUIRE(it->status().ok());
  }
  // A seek reads a block in every run (one whose keys all lie before the
  // target reads none), the 50 entries of about 115 bytes one or two more.
  uint64_t short_scan = JsonField(t.Json(), "iterator_blocks_read");
  CHECK(short_scan >= 2);
  CHECK(short_scan <= runs + 2);
  {
    std::unique_ptr<Iterator> it(t.db->NewIterator(ReadOptions()));
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    CHECK(n == 3000);
  }
  // The whole table: 3000 entries in 4 KiB blocks is more than 60 blocks.
  CHECK(JsonField(t.Json(), "iterator_blocks_read") - short_scan > 60);
  CHECK(JsonField(t.Json(), "iterators") == 3);
}

TEST_CASE("ConcurrentWritersAndReadersAgree") {
  MemDB t;
  constexpr int kThreads = 4, kPerThread = 3000;
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&t, w] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string k = "t" + std::to_string(w) + "-" + Key(i);
        REQUIRE(t.db->Put(WriteOptions(), k, k).ok());
      }
    });
  }
  threads.emplace_back([&t] {
    for (int r = 0; r < 20; ++r) {
      std::unique_ptr<Iterator> it(t.db->NewIterator(ReadOptions()));
      for (it->SeekToFirst(); it->Valid(); it->Next()) REQUIRE(it->key() == it->value());
      REQUIRE(it->status().ok());
    }
  });
  for (auto& th : threads) th.join();
  for (int w = 0; w < kThreads; ++w) {
    for (int i = 0; i < kPerThread; i += 101) {
      std::string k = "t" + std::to_string(w) + "-" + Key(i);
      CHECK(t.Get(k) == k);
    }
  }
}

TEST_CASE("CompactingAwayAFileDropsItsReaderAndBlocksFromTheCaches") {
  // DeleteObsoleteFiles evicts a deleted table from both caches (outside
  // the DB mutex); nothing else would, so without it the blocks of files
  // that are gone stay cached until pushed out.
  MemDB t;
  for (int i = 0; i < 3000; ++i) {
    REQUIRE(t.db->Put(WriteOptions(), Key(i), std::string(100, static_cast<char>('a' + i % 26))).ok());
  }
  REQUIRE(t.db->Flush().ok());
  for (int i = 0; i < 3000; ++i) REQUIRE(t.Get(Key(i)) != "NOT_FOUND");
  const std::string before = t.Json();
  INFO(before);
  CHECK(JsonField(before, "block_cache_bytes") > 100000);
  CHECK(JsonField(before, "table_cache_bytes") > 0);
  // Rewrite every file: each value changes, then one compaction of all.
  for (int i = 0; i < 3000; ++i) REQUIRE(t.db->Put(WriteOptions(), Key(i), "new").ok());
  REQUIRE(t.db->CompactAll().ok());
  const std::string after = t.Json();
  INFO(after);
  CHECK(JsonField(after, "block_cache_bytes") == 0);
  CHECK(t.Get(Key(1234)) == "new");
}

TEST_CASE("ConcurrentGetsFindEveryKeyWhileCompactionsReplaceFiles") {
  // Gets on several threads while a writer overwrites and the compactions
  // it causes delete files: readers open tables through a sharded table
  // cache small enough to evict often (16 readers: 2 shards) and a sharded
  // block cache (2 MiB: 4 shards). Every key is always present, with its
  // own value.
  MemDB t;
  t.options.max_open_files = 16;
  t.options.block_cache_bytes = 2 << 20;
  t.Reopen();
  constexpr int kKeys = 4000;
  for (int i = 0; i < kKeys; ++i) REQUIRE(t.db->Put(WriteOptions(), Key(i), Key(i) + "#0").ok());
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0}, gets{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      Random rnd(700 + r);
      while (!done.load()) {
        const int i = static_cast<int>(rnd.Uniform(kKeys));
        std::string v;
        Status s = t.db->Get(ReadOptions(), Key(i), &v);
        if (!s.ok() || v.rfind(Key(i) + "#", 0) != 0) wrong++;
        gets++;
      }
    });
  }
  for (int round = 1; round <= 6; ++round) {
    for (int i = 0; i < kKeys; ++i) {
      REQUIRE(t.db->Put(WriteOptions(), Key(i), Key(i) + "#" + std::to_string(round)).ok());
    }
  }
  REQUIRE(t.db->Flush().ok());
  done = true;
  for (auto& th : readers) th.join();
  CHECK(wrong.load() == 0);
  CHECK(gets.load() > 0);
  CHECK(JsonField(t.Json(), "compactions") > 0);
  for (int i = 0; i < kKeys; i += 97) CHECK(t.Get(Key(i)) == Key(i) + "#6");
}

TEST_CASE("ReopeningWithoutWritesLeavesNoLogsBehind") {
  // Writes that stay in the memtable keep their log; each open starts a
  // new log, and one that never held a record must not pile up behind it.
  MemDB t;
  for (int i = 0; i < 100; ++i) REQUIRE(t.db->Put(WriteOptions(), Key(i), "v").ok());
  auto logs = [&t] {
    std::vector<std::string> children;
    REQUIRE(t.env->GetChildren(t.path, &children).ok());
    return std::count_if(children.begin(), children.end(), [](const std::string& c) {
      return c.size() > 4 && c.compare(c.size() - 4, 4, ".log") == 0;
    });
  };
  t.Reopen();
  const auto after_first = logs();
  for (int n = 0; n < 10; ++n) t.Reopen();
  CHECK(logs() == after_first);
  CHECK(logs() <= 3);
  for (int i = 0; i < 100; ++i) CHECK(t.Get(Key(i)) == "v");
  // And a write after all those opens is still recovered.
  REQUIRE(t.db->Put(WriteOptions(), "late", "w").ok());
  t.Reopen();
  CHECK(t.Get("late") == "w");
  CHECK(t.Get(Key(7)) == "v");
}

TEST_CASE("TracePathRecordsEveryOperationForRetraining") {
  MemDB t;
  t.options.trace_path = "/db-trace";
  t.Reopen();
  REQUIRE(t.db->Put(WriteOptions(), "a", "12345").ok());
  WriteBatch b;
  b.Put("b", "xy");
  b.Delete("c");
  REQUIRE(t.db->Write(WriteOptions(), b).ok());
  std::string v;
  REQUIRE(t.db->Get(ReadOptions(), "a", &v).ok());
  std::unique_ptr<Iterator> it(t.db->NewIterator(ReadOptions()));
  it->Seek("a");
  it.reset();
  REQUIRE(t.db->Close().ok());
  std::unique_ptr<TraceReader> reader;
  REQUIRE(TraceReader::Open(t.env.get(), "/db-trace", &reader).ok());
  std::vector<TraceRecord> records;
  TraceRecord r;
  while (reader->Next(&r)) records.push_back(r);
  REQUIRE(reader->status().ok());
  REQUIRE(records.size() == 5);
  CHECK((records[0].op == TraceOp::kPut && records[0].key == "a" && records[0].value_size == 5));
  CHECK((records[1].op == TraceOp::kPut && records[1].key == "b" && records[1].value_size == 2));
  CHECK((records[2].op == TraceOp::kDelete && records[2].key == "c"));
  CHECK((records[3].op == TraceOp::kGet && records[3].key == "a"));
  CHECK((records[4].op == TraceOp::kScan && records[4].key == "a"));
}

TEST_CASE("MissingCurrentWithTablesIsCorruptionNotANewEmptyDatabase") {
  MemDB t;
  for (int i = 0; i < 1000; ++i) REQUIRE(t.db->Put(WriteOptions(), Key(i), "v").ok());
  REQUIRE(t.db->Flush().ok());
  REQUIRE(t.db->Close().ok());
  t.db.reset();
  REQUIRE(t.env->RemoveFile("/db/CURRENT").ok());
  std::unique_ptr<DB> db;
  Status s = DB::Open(t.options, t.path, &db);
  CHECK(s.IsCorruption());
  CHECK(s.ToString().find("CURRENT") != std::string::npos);
  // Nothing was deleted: the tables are still there for repair.
  std::vector<std::string> children;
  REQUIRE(t.env->GetChildren("/db", &children).ok());
  bool has_sst = false;
  for (const std::string& c : children) has_sst |= c.find(".sst") != std::string::npos;
  CHECK(has_sst);
}

// A new database's first log is created before its first manifest and
// CURRENT. On Linux the log is written through a memory mapping and is a
// whole reserved chunk long, header then zeros, until it is closed: a
// process killed in between leaves that, and the next open must create the
// database, not call the log data whose CURRENT was lost (found by the
// kill test under TSan, killed at its first instant). A log holding a
// record is still data: then the open refuses.
TEST_CASE("AKillBeforeTheFirstManifestLeavesALogThatHoldsNothing") {
  for (bool with_record : {false, true}) {
    CAPTURE(with_record);
    const std::string dir = TempDir();
    const std::string log_name = dir + "/000002.log";
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // The child creates the log as Open does and dies without closing it.
      std::unique_ptr<WritableFile> f;
      if (!Env::Default()->NewLogFile(log_name, &f).ok()) ::_exit(2);
      log::Writer w(f.get(), 2, /*compress=*/true);
      if (!w.WriteHeader().ok() || !f->Sync().ok()) ::_exit(3);
      if (with_record && !w.AddRecord("a record").ok()) ::_exit(4);
      ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    uint64_t size = 0;
    REQUIRE(Env::Default()->GetFileSize(log_name, &size).ok());
    MESSAGE("the killed log is " << size << " bytes long");
    Options options;
    options.create_if_missing = true;
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, dir, &db);
    if (with_record) {
      CHECK(s.IsCorruption());
      CHECK_MESSAGE(s.ToString().find("CURRENT is missing but 000002.log holds data") !=
                        std::string::npos,
                    s.ToString());
    } else {
      REQUIRE_MESSAGE(s.ok(), s.ToString());
      REQUIRE(db->Put(WriteOptions(), "k", "v").ok());
      REQUIRE(db->Close().ok());
      db.reset();
      REQUIRE(DB::Open(options, dir, &db).ok());
      std::string v;
      REQUIRE(db->Get(ReadOptions(), "k", &v).ok());
      CHECK(v == "v");
      db.reset();
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

// Files that only an iterator's old version still named are deleted once
// that iterator goes, without waiting for the next flush or compaction
// (background thread) or at the next Maintain call (background=none).
TEST_CASE("TablesOfAReleasedOldVersionAreDeletedPromptly") {
  for (BackgroundMode mode : {BackgroundMode::kThread, BackgroundMode::kNone}) {
    MemDB t;
    t.options.background = mode;
    t.options.max_runs_per_level = 20;  // no compaction before CompactAll
    t.Reopen();
    auto tables = [&]() {
      std::vector<std::string> children;
      REQUIRE(t.env->GetChildren("/db", &children).ok());
      int n = 0;
      for (const std::string& c : children) n += c.size() > 4 && c.substr(c.size() - 4) == ".sst";
      return n;
    };
    Random rnd(7);
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 800; ++i) {
        std::string value;
        for (int b = 0; b < 200; ++b) value.push_back(static_cast<char>('a' + rnd.Uniform(26)));
        REQUIRE(t.db->Put(WriteOptions(), Key(i), value).ok());
      }
      REQUIRE(t.db->Flush().ok());
    }
    std::unique_ptr<Iterator> it(t.db->NewIterator(ReadOptions()));
    REQUIRE(t.db->CompactAll().ok());
    const int live = static_cast<int>(JsonField(t.Json(), "live_files"));
    const int held = tables();
    REQUIRE(held > live);  // the iterator still reads the replaced tables
    it.reset();
    if (mode == BackgroundMode::kNone) REQUIRE(t.db->Maintain(100000).ok());
    int after = tables();
    for (int i = 0; i < 200 && after > live; ++i) {
      t.env->SleepMicros(10000);
      after = tables();
    }
    INFO("mode " << static_cast<int>(mode) << ": " << held << " tables while held, " << after
                 << " after, " << live << " live");
    CHECK(after == live);
  }
}

// A power cut while the next log is being created (prepared ahead) can
// leave it with a torn header followed by garbage: it holds no record, so
// open must treat it as empty, not fail (found by the power-cut test under
// ASan timing).
TEST_CASE("NewestLogWithATornHeaderOpensAsEmpty") {
  MemDB t;
  for (int i = 0; i < 50; ++i) REQUIRE(t.db->Put(WriteOptions(), Key(i), "v" + Key(i)).ok());
  t.db.reset();
  std::string garbage;
  Random rnd(3);
  garbage.push_back(static_cast<char>(0x5a));  // not a valid fragment header
  for (int i = 0; i < 63; ++i) garbage.push_back(static_cast<char>(rnd.Uniform(256)));
  REQUIRE(WriteStringToFile(t.env.get(), garbage, "/db/009999.log", false).ok());
  t.Reopen();
  for (int i = 0; i < 50; ++i) CHECK(t.Get(Key(i)) == "v" + Key(i));
  std::string events;
  REQUIRE(t.db->GetProperty("firn.events", &events));
  CHECK_MESSAGE(events.find("009999.log: header unreadable") != std::string::npos, events);
  REQUIRE(t.db->Put(WriteOptions(), "after", "x").ok());
  t.Reopen();
  CHECK(t.Get("after") == "x");
}

TEST_CASE("AWalRecordThatIsNoWriteBatchIsCorruptionAtTheRecordsOffset") {
  // A record with intact checksums whose payload is not a write batch (5
  // bytes, shorter than a batch header): the open fails naming the log
  // and the offset where the record starts (19: after the 19-byte header
  // record), for a raw record in a version-2 log and for a version-1 log.
  for (bool compress : {true, false}) {
    CAPTURE(compress);
    MemDB t;
    REQUIRE(t.db->Put(WriteOptions(), "a", "1").ok());
    t.db.reset();
    {
      std::unique_ptr<WritableFile> f;
      REQUIRE(t.env->NewWritableFile("/db/009999.log", &f).ok());
      log::Writer w(f.get(), 9999, compress);
      REQUIRE(w.WriteHeader().ok());
      REQUIRE(w.AddRecord("abcde").ok());
      REQUIRE(f->Sync().ok());
      REQUIRE(f->Close().ok());
    }
    Status s = DB::Open(t.options, t.path, &t.db);
    CHECK(s.IsCorruption());
    CHECK_MESSAGE(s.ToString().find("009999.log at offset 19") != std::string::npos, s.ToString());
  }
}
