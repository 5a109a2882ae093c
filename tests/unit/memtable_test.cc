// Tests of memtable/memtable.h and the skiplist under it.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db/dbformat.h"
#include "firn/iterator.h"
#include "memtable/memtable.h"
#include "memtable/skiplist.h"
#include "util/arena.h"
#include "util/random.h"

namespace firn {
namespace {

// Owns one reference to a MemTable.
struct MemTableRef {
  explicit MemTableRef(size_t filter_bytes = 0) : mem(new MemTable(filter_bytes)) { mem->Ref(); }
  ~MemTableRef() { mem->Unref(); }
  MemTable* operator->() const { return mem; }
  MemTable* mem;
};

struct GetResult {
  bool found = false;
  Status s;
  std::string value;
};

GetResult Get(MemTable* mem, std::string_view key, SequenceNumber seq) {
  GetResult r;
  r.value = "<untouched>";
  r.found = mem->Get(key, seq, &r.value, &r.s);
  return r;
}

// The entries an iterator yields as (internal key, value).
using Entries = std::vector<std::pair<std::string, std::string>>;

Entries ScanForward(Iterator* it) {
  Entries out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) out.emplace_back(it->key(), it->value());
  return out;
}

Entries ScanBackward(Iterator* it) {
  Entries out;
  for (it->SeekToLast(); it->Valid(); it->Prev()) out.emplace_back(it->key(), it->value());
  std::reverse(out.begin(), out.end());
  return out;
}

struct InternalKeyLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return CompareInternalKey(a, b) < 0;
  }
};

TEST_CASE("MemTable: Get returns the newest version of a key") {
  MemTableRef mem;
  mem->Add(1, kTypeValue, "k", "v1");
  mem->Add(2, kTypeValue, "k", "v2");
  mem->Add(3, kTypeValue, "other", "o");
  GetResult r = Get(mem.mem, "k", kMaxSequenceNumber);
  CHECK(r.found);
  CHECK(r.s.ok());
  CHECK(r.value == "v2");
  CHECK(mem->NumEntries() == 3);
  CHECK(mem->NumDeletions() == 0);
}

TEST_CASE("MemTable: Get of an absent key finds nothing") {
  MemTableRef mem;
  CHECK_FALSE(Get(mem.mem, "k", kMaxSequenceNumber).found);
  mem->Add(1, kTypeValue, "b", "v");
  // Neighbours and prefixes of a present key are different keys.
  for (std::string_view k : {std::string_view("a"), std::string_view("c"), std::string_view(""),
                             std::string_view("bb"), std::string_view("b\0", 2)}) {
    GetResult r = Get(mem.mem, k, kMaxSequenceNumber);
    CHECK_FALSE(r.found);
    CHECK(r.value == "<untouched>");
  }
}

TEST_CASE("MemTable: a deletion is found and reported as NotFound") {
  MemTableRef mem;
  mem->Add(1, kTypeValue, "k", "v1");
  mem->Add(2, kTypeDeletion, "k", "");
  GetResult r = Get(mem.mem, "k", kMaxSequenceNumber);
  CHECK(r.found);
  CHECK(r.s.IsNotFound());
  CHECK(mem->NumDeletions() == 1);
  // Put after the delete is visible again.
  mem->Add(3, kTypeValue, "k", "v3");
  r = Get(mem.mem, "k", kMaxSequenceNumber);
  CHECK(r.s.ok());
  CHECK(r.value == "v3");
}

TEST_CASE("MemTable: Get at an older sequence sees the older version") {
  MemTableRef mem;
  mem->Add(10, kTypeValue, "k", "v10");
  mem->Add(20, kTypeDeletion, "k", "");
  mem->Add(30, kTypeValue, "k", "v30");
  CHECK_FALSE(Get(mem.mem, "k", 9).found);
  CHECK(Get(mem.mem, "k", 10).value == "v10");
  CHECK(Get(mem.mem, "k", 19).value == "v10");
  CHECK(Get(mem.mem, "k", 20).s.IsNotFound());
  CHECK(Get(mem.mem, "k", 29).s.IsNotFound());
  CHECK(Get(mem.mem, "k", 30).value == "v30");
}

TEST_CASE("MemTable: large keys and values round trip") {
  MemTableRef mem;
  const std::string big_key(5000, 'K');
  const std::string big_value(100000, 'V');
  mem->Add(1, kTypeValue, big_key, big_value);
  mem->Add(2, kTypeValue, "", "empty key");
  CHECK(Get(mem.mem, big_key, 5).value == big_value);
  CHECK(Get(mem.mem, "", 5).value == "empty key");
  CHECK(mem->ApproximateMemoryUsage() >= big_key.size() + big_value.size());
}

TEST_CASE("MemTable: iterator orders by user key ascending, then sequence descending") {
  MemTableRef mem;
  mem->Add(5, kTypeValue, "b", "b5");
  mem->Add(1, kTypeValue, "a", "a1");
  mem->Add(7, kTypeDeletion, "b", "");
  mem->Add(3, kTypeValue, "c", "c3");
  mem->Add(2, kTypeValue, "a", "a2");
  const Entries expected = {
      {MakeInternalKey("a", 2, kTypeValue), "a2"},
      {MakeInternalKey("a", 1, kTypeValue), "a1"},
      {MakeInternalKey("b", 7, kTypeDeletion), ""},
      {MakeInternalKey("b", 5, kTypeValue), "b5"},
      {MakeInternalKey("c", 3, kTypeValue), "c3"},
  };
  std::unique_ptr<Iterator> it(mem->NewIterator());
  CHECK(ScanForward(it.get()) == expected);
  CHECK(ScanBackward(it.get()) == expected);
  CHECK(it->status().ok());
}

TEST_CASE("MemTable: iterator Seek positions at the first internal key >= target") {
  MemTableRef mem;
  mem->Add(5, kTypeValue, "b", "b5");
  mem->Add(3, kTypeValue, "b", "b3");
  mem->Add(1, kTypeValue, "d", "d1");
  std::unique_ptr<Iterator> it(mem->NewIterator());

  it->Seek(MakeLookupKey("b", 4));  // skips b@5, newer than the snapshot
  REQUIRE(it->Valid());
  CHECK(it->key() == MakeInternalKey("b", 3, kTypeValue));
  it->Prev();
  REQUIRE(it->Valid());
  CHECK(it->value() == "b5");
  it->Prev();
  CHECK_FALSE(it->Valid());

  it->Seek(MakeLookupKey("c", kMaxSequenceNumber));
  REQUIRE(it->Valid());
  CHECK(it->value() == "d1");
  it->Seek(MakeLookupKey("a", kMaxSequenceNumber));
  REQUIRE(it->Valid());
  CHECK(it->value() == "b5");
  it->Seek(MakeLookupKey("e", kMaxSequenceNumber));
  CHECK_FALSE(it->Valid());
}

TEST_CASE("MemTable: empty memtable iterator is never valid") {
  MemTableRef mem;
  std::unique_ptr<Iterator> it(mem->NewIterator());
  it->SeekToFirst();
  CHECK_FALSE(it->Valid());
  it->SeekToLast();
  CHECK_FALSE(it->Valid());
  it->Seek(MakeLookupKey("x", 1));
  CHECK_FALSE(it->Valid());
}

TEST_CASE("MemTable: memory usage grows with the data added") {
  MemTableRef mem;
  const size_t before = mem->ApproximateMemoryUsage();
  for (int i = 0; i < 1000; i++) {
    mem->Add(static_cast<SequenceNumber>(i + 1), kTypeValue, "key" + std::to_string(i),
             std::string(100, 'v'));
  }
  CHECK(mem->ApproximateMemoryUsage() >= before + 1000 * 100);
}

TEST_CASE("MemTable: randomized operations match a std::map model") {
  Random rnd(1234);
  MemTableRef mem;
  std::map<std::string, std::string, InternalKeyLess> model;
  SequenceNumber seq = 0;
  auto random_key = [&rnd] { return "key" + std::to_string(rnd.Uniform(500)); };

  for (int i = 0; i < 4000; i++) {
    const std::string key = random_key();
    seq += 1 + rnd.Uniform(3);
    if (rnd.OneIn(4)) {
      mem->Add(seq, kTypeDeletion, key, "");
      model[MakeInternalKey(key, seq, kTypeDeletion)] = "";
    } else {
      const std::string value = "v" + std::to_string(seq) + std::string(rnd.Uniform(40), 'x');
      mem->Add(seq, kTypeValue, key, value);
      model[MakeInternalKey(key, seq, kTypeValue)] = value;
    }
  }
  CHECK(mem->NumEntries() == model.size());

  const Entries expected(model.begin(), model.end());
  std::unique_ptr<Iterator> it(mem->NewIterator());
  CHECK(ScanForward(it.get()) == expected);
  CHECK(ScanBackward(it.get()) == expected);

  // Seek and Get at random snapshots agree with the model.
  for (int i = 0; i < 3000; i++) {
    const std::string key = random_key();
    const SequenceNumber snap = rnd.Uniform(seq + 2);
    const std::string target = MakeLookupKey(key, snap);
    auto m = model.lower_bound(target);
    it->Seek(target);
    if (m == model.end()) {
      CHECK_FALSE(it->Valid());
    } else {
      REQUIRE(it->Valid());
      CHECK(it->key() == m->first);
      // One step back matches the model's predecessor.
      it->Prev();
      if (m == model.begin()) {
        CHECK_FALSE(it->Valid());
      } else {
        REQUIRE(it->Valid());
        CHECK(it->key() == std::prev(m)->first);
      }
    }

    GetResult r = Get(mem.mem, key, snap);
    const bool model_found = m != model.end() && ExtractUserKey(m->first) == key;
    REQUIRE(r.found == model_found);
    if (model_found) {
      if (ExtractValueType(m->first) == kTypeValue) {
        CHECK(r.s.ok());
        CHECK(r.value == m->second);
      } else {
        CHECK(r.s.IsNotFound());
      }
    }
  }
}

// The value written for (key index, seq): readers check entries against it.
std::string ValueFor(uint64_t k, SequenceNumber seq) {
  return "value-" + std::to_string(k) + "-" + std::to_string(seq) + "-" +
         std::string(k % 37, static_cast<char>('a' + k % 26));
}

std::string KeyFor(uint64_t k) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%06llu", static_cast<unsigned long long>(k));
  return buf;
}

void ConcurrentReadersSeeCompleteEntries(size_t filter_bytes) {
  constexpr uint64_t kKeys = 2000;
  constexpr int kVersions = 6;
  CAPTURE(filter_bytes);
  MemTableRef mem(filter_bytes);
  // Writer publishes how many Adds have completed; seq i+1 is Add number i.
  std::atomic<uint64_t> published{0};
  std::atomic<bool> done{false};
  std::atomic<uint64_t> failures{0};
  std::atomic<int> readers_started{0};
  std::atomic<uint64_t> reads_during_writes{0};

  auto reader = [&](uint64_t seed) {
    Random rnd(seed);
    readers_started++;
    while (!done.load(std::memory_order_acquire)) {
      reads_during_writes++;
      const uint64_t n = published.load(std::memory_order_acquire);
      // Get: every completed Add is visible; its key maps back to its value.
      if (n > 0) {
        const uint64_t i = rnd.Uniform(n);
        const uint64_t k = i % kKeys;
        std::string value;
        Status s;
        if (!mem->Get(KeyFor(k), i + 1, &value, &s) || !s.ok() || value != ValueFor(k, i + 1)) {
          failures++;
        }
      }
      // Iterate a stretch: order holds and every entry is intact.
      std::unique_ptr<Iterator> it(mem->NewIterator());
      it->Seek(MakeLookupKey(KeyFor(rnd.Uniform(kKeys)), kMaxSequenceNumber));
      std::string prev;
      for (int steps = 0; it->Valid() && steps < 200; steps++, it->Next()) {
        const std::string key(it->key());
        ParsedInternalKey parsed;
        if (!ParseInternalKey(key, &parsed) || parsed.type != kTypeValue ||
            parsed.sequence == 0 || it->value() != ValueFor((parsed.sequence - 1) % kKeys,
                                                            parsed.sequence) ||
            parsed.user_key != KeyFor((parsed.sequence - 1) % kKeys) ||
            (!prev.empty() && CompareInternalKey(prev, key) >= 0)) {
          failures++;
        }
        prev = key;
      }
    }
  };

  std::thread r1(reader, 1);
  std::thread r2(reader, 2);
  // Start writing only once both readers run, so reads overlap the writes.
  while (readers_started.load() < 2) std::this_thread::yield();
  for (uint64_t i = 0; i < kKeys * kVersions; i++) {
    const uint64_t k = i % kKeys;
    mem->Add(i + 1, kTypeValue, KeyFor(k), ValueFor(k, i + 1));
    published.store(i + 1, std::memory_order_release);
    if (i % 64 == 0) std::this_thread::yield();
  }
  done.store(true, std::memory_order_release);
  r1.join();
  r2.join();
  CHECK(failures.load() == 0);
  CHECK(reads_during_writes.load() > 0);
  CHECK(mem->NumEntries() == kKeys * kVersions);
}

TEST_CASE("MemTable: concurrent readers see only complete, ordered entries") {
  ConcurrentReadersSeeCompleteEntries(0);
}

// With a filter: a reader's Get of a key whose Add has returned (the DB
// publishes sequences after their Adds) must pass the filter.
TEST_CASE("MemTable: with a filter, concurrent readers still see every published entry") {
  ConcurrentReadersSeeCompleteEntries(4096);
}

TEST_CASE("MemTable: a filter never hides an added key and rejects most absent ones") {
  CHECK(MemTableRef(0)->FilterBytes() == 0);
  CHECK(MemTableRef(10)->FilterBytes() == 64);  // at least one line
  CHECK(MemTableRef(1000)->FilterBytes() == 960);  // whole lines
  MemTableRef mem(64 << 10);  // 524,288 bits: 26 a key below
  constexpr int kKeys = 20000;
  for (int k = 0; k < kKeys; k++) {
    mem->Add(static_cast<SequenceNumber>(k + 1), k % 7 == 0 ? kTypeDeletion : kTypeValue,
             KeyFor(k), k % 7 == 0 ? "" : ValueFor(k, k + 1));
  }
  for (int k = 0; k < kKeys; k++) {
    CAPTURE(k);
    REQUIRE(mem->FilterMayContain(KeyFor(k)));
    const GetResult r = Get(mem.mem, KeyFor(k), kMaxSequenceNumber);
    REQUIRE(r.found);
    CHECK(r.s.ok() == (k % 7 != 0));
  }
  int passed = 0;
  for (int k = kKeys; k < 2 * kKeys; k++) {
    const bool may = mem->FilterMayContain(KeyFor(k));
    passed += may ? 1 : 0;
    CHECK_FALSE(Get(mem.mem, KeyFor(k), kMaxSequenceNumber).found);
  }
  CAPTURE(passed);
  CHECK(passed < kKeys / 100);  // about 0.1% at 26 bits a key, 6 probes
  // Without a filter every key "may" be there.
  CHECK(MemTableRef(0)->FilterMayContain("anything"));
}

// The skiplist on its own, with integer keys.
struct U64Compare {
  int operator()(const uint64_t& a, const uint64_t& b) const {
    return a < b ? -1 : (a > b ? 1 : 0);
  }
};
using IntList = SkipList<uint64_t, U64Compare>;

TEST_CASE("SkipList: empty list") {
  Arena arena;
  IntList list(U64Compare(), &arena);
  CHECK_FALSE(list.Contains(10));
  IntList::Iterator it(&list);
  CHECK_FALSE(it.Valid());
  it.SeekToFirst();
  CHECK_FALSE(it.Valid());
  it.Seek(100);
  CHECK_FALSE(it.Valid());
  it.SeekForPrev(100);
  CHECK_FALSE(it.Valid());
  it.SeekToLast();
  CHECK_FALSE(it.Valid());
}

TEST_CASE("SkipList: random inserts match a std::set in both directions") {
  constexpr uint64_t kRange = 5000;
  Random rnd(99);
  Arena arena;
  IntList list(U64Compare(), &arena);
  std::set<uint64_t> model;
  for (int i = 0; i < 3000; i++) {
    const uint64_t key = rnd.Uniform(kRange);
    if (model.insert(key).second) list.Insert(key);
  }
  for (uint64_t k = 0; k < kRange; k++) CHECK(list.Contains(k) == (model.count(k) == 1));

  IntList::Iterator it(&list);
  std::vector<uint64_t> forward, backward;
  for (it.SeekToFirst(); it.Valid(); it.Next()) forward.push_back(it.key());
  for (it.SeekToLast(); it.Valid(); it.Prev()) backward.push_back(it.key());
  std::reverse(backward.begin(), backward.end());
  const std::vector<uint64_t> expected(model.begin(), model.end());
  CHECK(forward == expected);
  CHECK(backward == expected);

  for (uint64_t target = 0; target <= kRange; target += 7) {
    it.Seek(target);
    auto ge = model.lower_bound(target);
    if (ge == model.end()) {
      CHECK_FALSE(it.Valid());
    } else {
      REQUIRE(it.Valid());
      CHECK(it.key() == *ge);
    }
    it.SeekForPrev(target);
    auto gt = model.upper_bound(target);
    if (gt == model.begin()) {
      CHECK_FALSE(it.Valid());
    } else {
      REQUIRE(it.Valid());
      CHECK(it.key() == *std::prev(gt));
    }
  }
}

}  // namespace
}  // namespace firn
