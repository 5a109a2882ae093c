// Tests of snapshots and iterators as consistent points in time while a
// writer, flushes and compactions run concurrently, and of what snapshots
// keep alive (and stop keeping once released).
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "firn/db.h"
#include "port/env.h"
#include "util/random.h"

using namespace firn;

namespace {

struct MemDB {
  std::unique_ptr<Env> env = NewMemEnv();
  Options options;
  std::unique_ptr<DB> db;

  explicit MemDB(CompactionStyle style = CompactionStyle::kTiered) {
    options.env = env.get();
    options.compaction = style;
    options.memtable_bytes = 64 << 10;
    options.sst_target_bytes = 64 << 10;
    options.leveled_base_bytes = 256 << 10;
    Status s = DB::Open(options, "/db", &db);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
  }
  std::string Get(std::string_view k, const Snapshot* snap = nullptr) {
    ReadOptions ro;
    ro.snapshot = snap;
    std::string v;
    Status s = db->Get(ro, k, &v);
    if (s.IsNotFound()) return "NOT_FOUND";
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    return v;
  }
  uint64_t JsonField(const std::string& name) {
    std::string json;
    REQUIRE(db->GetProperty("firn.stats.json", &json));
    size_t p = json.find("\"" + name + "\":");
    REQUIRE(p != std::string::npos);
    return std::strtoull(json.c_str() + p + name.size() + 3, nullptr, 10);
  }
};

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

// "v<version>|" then padding, so that rounds fill memtables quickly.
std::string Value(int version, int key) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "v%08d|%06d|", version, key);
  return std::string(buf) + std::string(80, static_cast<char>('a' + version % 26));
}

int VersionOf(std::string_view value) {
  REQUIRE(value.size() > 10);
  REQUIRE(value[0] == 'v');
  return std::atoi(std::string(value.substr(1, 8)).c_str());
}

int KeyOf(std::string_view value) {
  return std::atoi(std::string(value.substr(10, 6)).c_str());
}

// Walks the whole iterator forward then backward. Every key must carry the
// same version, the same in both directions, and all kKeys keys must be
// there. Returns that version.
int CheckConsistent(Iterator* it, int keys) {
  int version = -1, n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    REQUIRE(n < keys);
    REQUIRE(it->key() == Key(n));
    int v = VersionOf(it->value());
    REQUIRE(KeyOf(it->value()) == n);
    if (version < 0) version = v;
    REQUIRE_MESSAGE(v == version, "forward: " << Key(n) << " has version " << v
                                              << ", earlier keys " << version);
  }
  REQUIRE(it->status().ok());
  REQUIRE(n == keys);
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    --n;
    REQUIRE(n >= 0);
    REQUIRE(it->key() == Key(n));
    REQUIRE_MESSAGE(VersionOf(it->value()) == version,
                    "backward: " << Key(n) << " has version " << VersionOf(it->value())
                                 << ", forward saw " << version);
  }
  REQUIRE(it->status().ok());
  REQUIRE(n == 0);
  return version;
}

}  // namespace

TEST_CASE("SnapshotsAndIteratorsSeeOnePointInTimeUnderConcurrentWrites") {
  for (CompactionStyle style : {CompactionStyle::kTiered, CompactionStyle::kLeveled}) {
    CAPTURE(static_cast<int>(style));
    MemDB t(style);
    constexpr int kKeys = 150;
    constexpr int kRounds = 250;  // ~3.5 MiB of values: many flushes
    // Round 0 before any reader starts, so every key exists.
    {
      WriteBatch b;
      for (int k = 0; k < kKeys; ++k) b.Put(Key(k), Value(0, k));
      REQUIRE(t.db->Write(WriteOptions(), b).ok());
    }
    std::atomic<bool> done{false};
    std::atomic<int> written{0};  // last round acknowledged
    std::atomic<int> failures{0};
    std::atomic<int> checks{0};
    std::vector<std::thread> threads;

    threads.emplace_back([&] {
      for (int round = 1; round <= kRounds; ++round) {
        WriteBatch b;
        for (int k = 0; k < kKeys; ++k) b.Put(Key(k), Value(round, k));
        if (!t.db->Write(WriteOptions(), b).ok()) failures.fetch_add(1);
        written.store(round);
        // Pace the writer so that reads interleave with every stretch of
        // rounds (progress, not time: readers never wait for the writer).
        while (round % 5 == 0 && checks.load() < round / 5) std::this_thread::yield();
      }
      done.store(true);
    });
    threads.emplace_back([&] {
      while (!done.load()) {
        if (!t.db->Flush().ok()) failures.fetch_add(1);
        if (!t.db->CompactAll().ok()) failures.fetch_add(1);
      }
    });
    for (int r = 0; r < 2; ++r) {
      threads.emplace_back([&, r] {
        Random rnd(77 + r);
        int last_seen = 0;
        auto check_once = [&] {
          int before = written.load();
          if (rnd.OneIn(2)) {
            // An explicit snapshot: an iterator and point reads at it.
            const Snapshot* snap = t.db->GetSnapshot();
            ReadOptions ro;
            ro.snapshot = snap;
            std::unique_ptr<Iterator> it(t.db->NewIterator(ro));
            int v = CheckConsistent(it.get(), kKeys);
            for (int i = 0; i < 20; ++i) {
              int k = static_cast<int>(rnd.Uniform(kKeys));
              std::string value;
              REQUIRE(t.db->Get(ro, Key(k), &value).ok());
              REQUIRE(VersionOf(value) == v);
            }
            // The same snapshot walked again later gives the same answer.
            std::unique_ptr<Iterator> again(t.db->NewIterator(ro));
            REQUIRE(CheckConsistent(again.get(), kKeys) == v);
            it.reset();
            again.reset();
            t.db->ReleaseSnapshot(snap);
            REQUIRE(v >= before);
            REQUIRE(v >= last_seen);  // never back in time
            last_seen = v;
          } else {
            // An iterator alone pins its own point in time.
            std::unique_ptr<Iterator> it(t.db->NewIterator(ReadOptions()));
            int v = CheckConsistent(it.get(), kKeys);
            REQUIRE(CheckConsistent(it.get(), kKeys) == v);
            REQUIRE(v >= before);
            REQUIRE(v >= last_seen);
            last_seen = v;
          }
          checks.fetch_add(1);
        };
        while (!done.load()) check_once();
        check_once();  // at least one, after the writer finished
      });
    }
    for (auto& th : threads) th.join();
    CHECK(failures.load() == 0);
    CHECK(checks.load() >= kRounds / 5);
    CHECK(t.JsonField("flushes") > 5);
    CHECK(t.JsonField("compactions") > 0);
    // The final state is the last round.
    std::unique_ptr<Iterator> it(t.db->NewIterator(ReadOptions()));
    CHECK(CheckConsistent(it.get(), kKeys) == kRounds);
  }
}

TEST_CASE("ReleasedSnapshotsLetCompactionDropOldVersions") {
  MemDB t;
  constexpr int kKeys = 2000;
  for (int k = 0; k < kKeys; ++k) REQUIRE(t.db->Put(WriteOptions(), Key(k), Value(1, k)).ok());
  REQUIRE(t.db->Flush().ok());
  const Snapshot* snap = t.db->GetSnapshot();
  for (int k = 0; k < kKeys; ++k) REQUIRE(t.db->Put(WriteOptions(), Key(k), Value(2, k)).ok());
  REQUIRE(t.db->CompactAll().ok());
  // Held: both versions of every key survive the full compaction.
  uint64_t held = t.JsonField("live_entries");
  CHECK(held >= 2 * kKeys);
  CHECK(VersionOf(t.Get(Key(5), snap)) == 1);
  CHECK(VersionOf(t.Get(Key(5))) == 2);

  t.db->ReleaseSnapshot(snap);
  // A new write gives CompactAll something to merge (a tree that is one
  // run at the last level already is left alone).
  REQUIRE(t.db->Put(WriteOptions(), "zzz", "new").ok());
  REQUIRE(t.db->CompactAll().ok());
  uint64_t released = t.JsonField("live_entries");
  CHECK(released < held);
  CHECK(released == kKeys + 1);
  CHECK(VersionOf(t.Get(Key(5))) == 2);
}

TEST_CASE("ASnapshotKeepsADeletedKeyVisibleThroughFlushesAndCompactions") {
  for (CompactionStyle style : {CompactionStyle::kTiered, CompactionStyle::kLeveled}) {
    CAPTURE(static_cast<int>(style));
    MemDB t(style);
    REQUIRE(t.db->Put(WriteOptions(), "doomed", "alive").ok());
    REQUIRE(t.db->Put(WriteOptions(), "other", "x").ok());
    const Snapshot* snap = t.db->GetSnapshot();
    REQUIRE(t.db->Delete(WriteOptions(), "doomed").ok());
    CHECK(t.Get("doomed") == "NOT_FOUND");
    CHECK(t.Get("doomed", snap) == "alive");
    REQUIRE(t.db->Flush().ok());
    CHECK(t.Get("doomed", snap) == "alive");
    // Enough data for background flushes and compactions, then a full one.
    for (int i = 0; i < 20000; ++i) {
      REQUIRE(t.db->Put(WriteOptions(), Key(i % 4000), Value(i, i % 4000)).ok());
    }
    CHECK(t.Get("doomed", snap) == "alive");
    REQUIRE(t.db->CompactAll().ok());
    CHECK(t.JsonField("compactions") > 0);
    CHECK(t.Get("doomed", snap) == "alive");
    CHECK(t.Get("doomed") == "NOT_FOUND");
    {
      ReadOptions ro;
      ro.snapshot = snap;
      std::unique_ptr<Iterator> it(t.db->NewIterator(ro));
      it->Seek("doomed");
      REQUIRE(it->Valid());
      CHECK(it->key() == "doomed");
      CHECK(it->value() == "alive");
      it->Next();
      REQUIRE(it->Valid());
      CHECK(it->key() == "other");
      it->Next();
      CHECK(!it->Valid());  // the later keys are newer than the snapshot
      std::unique_ptr<Iterator> now(t.db->NewIterator(ReadOptions()));
      now->Seek("doomed");
      REQUIRE(now->Valid());
      CHECK(now->key() == Key(0));  // "doomed" is gone, "key..." sorts next
    }
    // Compacting again while held changes nothing.
    REQUIRE(t.db->Put(WriteOptions(), "more", "y").ok());
    REQUIRE(t.db->CompactAll().ok());
    CHECK(t.Get("doomed", snap) == "alive");

    // Released: the next full compaction drops the value and the tombstone.
    t.db->ReleaseSnapshot(snap);
    REQUIRE(t.db->Put(WriteOptions(), "last", "z").ok());
    REQUIRE(t.db->CompactAll().ok());
    CHECK(t.Get("doomed") == "NOT_FOUND");
    CHECK(t.JsonField("live_deletions") == 0);
    CHECK(t.JsonField("live_entries") == 4000 + 3);  // the keys + other, more, last
  }
}
