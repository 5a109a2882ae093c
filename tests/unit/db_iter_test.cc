// Tests of NewDBIterator: visibility at a sequence, deletions, both
// directions with switches, corruption, and a randomized comparison with a
// reference model.
#include "db/db_iter.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "util/random.h"

namespace firn {

namespace {

using Entry = std::pair<std::string, std::string>;  // internal key, value

// Orders well-formed internal keys as the engine does and anything shorter
// bytewise, so tests can plant malformed keys.
int SafeCompare(std::string_view a, std::string_view b) {
  if (a.size() < kInternalKeyTagBytes || b.size() < kInternalKeyTagBytes) return a.compare(b);
  return CompareInternalKey(a, b);
}

// An internal iterator over entries (sorted on construction); optionally
// reporting `status` once it runs off either end.
class VectorIterator : public Iterator {
 public:
  explicit VectorIterator(std::vector<Entry> entries, Status end_status = Status::OK(),
                          bool* deleted = nullptr)
      : entries_(std::move(entries)), end_status_(std::move(end_status)), deleted_(deleted),
        pos_(entries_.size()) {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return SafeCompare(a.first, b.first) < 0;
    });
  }
  ~VectorIterator() override {
    if (deleted_ != nullptr) *deleted_ = true;
  }
  bool Valid() const override { return pos_ < entries_.size(); }
  void SeekToFirst() override { pos_ = 0; }
  void SeekToLast() override { pos_ = entries_.empty() ? 0 : entries_.size() - 1; }
  void Seek(std::string_view target) override {
    pos_ = 0;
    while (pos_ < entries_.size() && SafeCompare(entries_[pos_].first, target) < 0) pos_++;
  }
  void Next() override {
    REQUIRE(Valid());
    pos_++;
  }
  void Prev() override {
    REQUIRE(Valid());
    pos_ = pos_ == 0 ? entries_.size() : pos_ - 1;
  }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  Status status() const override { return Valid() ? Status::OK() : end_status_; }

 private:
  std::vector<Entry> entries_;
  Status end_status_;
  bool* deleted_;
  size_t pos_;
};

Entry Put(const std::string& k, SequenceNumber seq, const std::string& v) {
  return {MakeInternalKey(k, seq, kTypeValue), v};
}
Entry Del(const std::string& k, SequenceNumber seq) {
  return {MakeInternalKey(k, seq, kTypeDeletion), ""};
}

std::unique_ptr<Iterator> NewIter(std::vector<Entry> entries, SequenceNumber seq) {
  return std::unique_ptr<Iterator>(
      NewDBIterator(new VectorIterator(std::move(entries)), seq, nullptr));
}

// "k=v k=v ..." of a full scan in one direction.
std::string Scan(Iterator* it, bool forward) {
  std::string out;
  if (forward) {
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.append(it->key()).append("=").append(it->value()).append(" ");
    }
  } else {
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      out.append(it->key()).append("=").append(it->value()).append(" ");
    }
  }
  return out;
}

std::string At(Iterator* it) {
  if (!it->Valid()) return "(invalid)";
  return std::string(it->key()) + "=" + std::string(it->value());
}

}  // namespace

TEST_CASE("NewIteratorIsInvalidUntilSeek") {
  auto it = NewIter({Put("a", 1, "x")}, 10);
  CHECK_FALSE(it->Valid());
  CHECK(it->status().ok());
}

TEST_CASE("NewestVisibleVersionIsYielded") {
  auto it = NewIter({Put("a", 1, "a1"), Put("a", 3, "a3"), Put("a", 2, "a2"), Put("b", 1, "b1")},
                    100);
  CHECK(Scan(it.get(), true) == "a=a3 b=b1 ");
  CHECK(Scan(it.get(), false) == "b=b1 a=a3 ");
}

TEST_CASE("DeletionHidesTheKeyAndItsOlderVersions") {
  std::vector<Entry> entries = {Put("a", 1, "a1"), Del("a", 2),      Put("b", 1, "b1"),
                                Del("b", 2),       Put("b", 3, "b3"), Del("c", 5),
                                Put("d", 4, "d4")};
  auto it = NewIter(entries, 100);
  CHECK(Scan(it.get(), true) == "b=b3 d=d4 ");
  CHECK(Scan(it.get(), false) == "d=d4 b=b3 ");
  it->Seek("a");
  CHECK(At(it.get()) == "b=b3");
  it->Seek("c");
  CHECK(At(it.get()) == "d=d4");
}

TEST_CASE("SnapshotSequenceHidesNewerVersions") {
  std::vector<Entry> entries = {Put("a", 1, "a1"), Put("a", 5, "a5"), Put("b", 2, "b2"),
                                Del("b", 6),       Put("c", 7, "c7"), Del("d", 3),
                                Put("d", 8, "d8")};
  CHECK(Scan(NewIter(entries, 4).get(), true) == "a=a1 b=b2 ");
  CHECK(Scan(NewIter(entries, 4).get(), false) == "b=b2 a=a1 ");
  CHECK(Scan(NewIter(entries, 5).get(), true) == "a=a5 b=b2 ");
  CHECK(Scan(NewIter(entries, 6).get(), true) == "a=a5 ");
  CHECK(Scan(NewIter(entries, 8).get(), true) == "a=a5 c=c7 d=d8 ");
  CHECK(Scan(NewIter(entries, 8).get(), false) == "d=d8 c=c7 a=a5 ");
  CHECK(Scan(NewIter(entries, 0).get(), true).empty());

  auto it = NewIter(entries, 4);
  it->Seek("b");
  CHECK(At(it.get()) == "b=b2");
  it->Seek("c");
  CHECK_FALSE(it->Valid());
}

TEST_CASE("ReverseIterationOverManyVersionsAndDeletions") {
  std::vector<Entry> entries;
  for (SequenceNumber s = 1; s <= 6; s++) {
    entries.push_back(s % 3 == 0 ? Del("m", s) : Put("m", s, "m" + std::to_string(s)));
  }
  entries.push_back(Put("a", 9, "a9"));
  entries.push_back(Del("z", 10));
  entries.push_back(Put("z", 4, "z4"));
  entries.push_back(Put("n", 11, "n11"));
  // At 7: m's newest is 6 (deleted), z deleted at 10 is invisible.
  CHECK(Scan(NewIter(entries, 7).get(), false) == "z=z4 ");
  CHECK(Scan(NewIter(entries, 10).get(), false) == "a=a9 ");
  CHECK(Scan(NewIter(entries, 5).get(), false) == "z=z4 m=m5 ");
  CHECK(Scan(NewIter(entries, 100).get(), false) == "n=n11 a=a9 ");
}

TEST_CASE("DirectionSwitchesReturnToNeighbours") {
  std::vector<Entry> entries = {Put("a", 1, "a1"), Put("b", 2, "b2"), Put("b", 9, "b9"),
                                Del("c", 3),       Put("c", 1, "c1"), Put("d", 4, "d4"),
                                Put("e", 5, "e5")};
  auto it = NewIter(entries, 8);
  it->Seek("b");
  CHECK(At(it.get()) == "b=b2");
  it->Next();
  CHECK(At(it.get()) == "d=d4");
  it->Prev();
  CHECK(At(it.get()) == "b=b2");
  it->Prev();
  CHECK(At(it.get()) == "a=a1");
  it->Next();
  CHECK(At(it.get()) == "b=b2");
  it->Next();
  CHECK(At(it.get()) == "d=d4");
  it->Next();
  CHECK(At(it.get()) == "e=e5");
  it->Prev();
  CHECK(At(it.get()) == "d=d4");
  it->Next();
  CHECK(At(it.get()) == "e=e5");
  it->Next();
  CHECK_FALSE(it->Valid());

  it->SeekToLast();
  CHECK(At(it.get()) == "e=e5");
  it->Prev();
  it->Prev();
  CHECK(At(it.get()) == "b=b2");
  it->Prev();
  CHECK(At(it.get()) == "a=a1");
  it->Prev();
  CHECK_FALSE(it->Valid());

  it->SeekToFirst();
  CHECK(At(it.get()) == "a=a1");
  it->Prev();
  CHECK_FALSE(it->Valid());
}

TEST_CASE("SeekTakesAUserKeyAndSkipsInvisibleVersions") {
  auto it = NewIter({Put("key", 20, "new"), Put("key", 10, "old"), Put("kez", 1, "z")}, 15);
  it->Seek("key");
  CHECK(At(it.get()) == "key=old");
  it->Seek("kex");
  CHECK(At(it.get()) == "key=old");
  it->Seek("key\x01");
  CHECK(At(it.get()) == "kez=z");
  it->Seek("");
  CHECK(At(it.get()) == "key=old");
}

TEST_CASE("EmptyKeysAndValuesAreYielded") {
  auto it = NewIter({Put("", 1, ""), Put("a", 2, "")}, 5);
  CHECK(Scan(it.get(), true) == "= a= ");
  CHECK(Scan(it.get(), false) == "a= = ");
}

TEST_CASE("ShortInternalKeyIsCorruption") {
  auto it = NewIter({Put("a", 1, "a1"), {"bad", "x"}}, 10);
  // "bad" sorts bytewise after "a\x01..." in SafeCompare: a1 comes first.
  it->SeekToFirst();
  CHECK(At(it.get()) == "a=a1");
  it->Next();
  CHECK_FALSE(it->Valid());
  Status s = it->status();
  CHECK(s.IsCorruption());
  CHECK(s.message() == "db iterator: bad internal key");

  auto back = NewIter({Put("a", 1, "a1"), {"bad", "x"}}, 10);
  back->SeekToLast();
  CHECK_FALSE(back->Valid());
  CHECK(back->status().IsCorruption());
}

TEST_CASE("UnknownValueTypeIsCorruption") {
  std::string key = "k";
  PutFixed64(&key, (uint64_t{3} << 8) | 0x7);
  auto it = NewIter({Put("a", 1, "a1"), {key, "x"}, Put("z", 1, "z1")}, 10);
  it->Seek("b");
  CHECK_FALSE(it->Valid());
  CHECK(it->status().message() == "db iterator: bad internal key");
  it->SeekToFirst();
  CHECK(At(it.get()) == "a=a1");
  it->Next();
  CHECK_FALSE(it->Valid());
  // Backwards, z's entries end only where the bad key starts.
  it->SeekToLast();
  CHECK_FALSE(it->Valid());
  CHECK(it->status().IsCorruption());
}

TEST_CASE("InternalIteratorErrorIsReported") {
  std::unique_ptr<Iterator> it(NewDBIterator(
      new VectorIterator({Put("a", 1, "a1")}, Status::IOError("000007.sst", "read")), 10,
      nullptr));
  it->SeekToFirst();
  CHECK(At(it.get()) == "a=a1");
  CHECK(it->status().ok());
  it->Next();
  CHECK_FALSE(it->Valid());
  CHECK(it->status().ToString() == "IO error: 000007.sst: read");
}

TEST_CASE("OnDestroyRunsOnceAfterTheInternalIteratorIsDeleted") {
  bool internal_deleted = false;
  int calls = 0;
  bool deleted_before_callback = false;
  Iterator* it = NewDBIterator(new VectorIterator({}, Status::OK(), &internal_deleted), 1,
                               [&] {
                                 calls++;
                                 deleted_before_callback = internal_deleted;
                               });
  CHECK(calls == 0);
  delete it;
  CHECK(calls == 1);
  CHECK(deleted_before_callback);

  delete NewDBIterator(new VectorIterator({}), 1, std::function<void()>());
}

TEST_CASE("RandomOpsMatchReferenceModel") {
  for (uint64_t seed = 1; seed <= 300; seed++) {
    CAPTURE(seed);
    Random rnd(seed);
    const int num_keys = 1 + static_cast<int>(rnd.Uniform(12));
    const int num_entries = static_cast<int>(rnd.Uniform(60));
    std::vector<Entry> entries;
    struct Version {
      SequenceNumber seq;
      bool del;
      std::string value;
    };
    std::map<std::string, std::vector<Version>> versions;
    for (int i = 0; i < num_entries; i++) {
      const std::string k = "k" + std::to_string(rnd.Uniform(num_keys));
      const SequenceNumber seq = static_cast<SequenceNumber>(i + 1);
      const bool del = rnd.OneIn(3);
      const std::string v = "v" + std::to_string(seq);
      entries.push_back(del ? Del(k, seq) : Put(k, seq, v));
      versions[k].push_back({seq, del, v});
    }
    const SequenceNumber snapshot = rnd.Uniform(num_entries + 2);

    // The expected view: each key's newest version at or below snapshot.
    std::vector<std::pair<std::string, std::string>> model;
    for (const auto& [k, vs] : versions) {
      const Version* newest = nullptr;
      for (const Version& v : vs) {
        if (v.seq <= snapshot && (newest == nullptr || v.seq > newest->seq)) newest = &v;
      }
      if (newest != nullptr && !newest->del) model.emplace_back(k, newest->value);
    }

    auto it = NewIter(entries, snapshot);
    size_t pos = model.size();
    for (int op = 0; op < 300; op++) {
      const uint64_t choice = rnd.Uniform(10);
      if (choice == 0) {
        it->SeekToFirst();
        pos = 0;
      } else if (choice == 1) {
        it->SeekToLast();
        pos = model.empty() ? 0 : model.size() - 1;
      } else if (choice == 2) {
        std::string target = "k" + std::to_string(rnd.Uniform(num_keys + 1));
        if (rnd.OneIn(3)) target.push_back('\0');
        it->Seek(target);
        pos = 0;
        while (pos < model.size() && model[pos].first < target) pos++;
      } else if (pos < model.size()) {
        if (choice < 6) {
          it->Next();
          pos++;
        } else {
          it->Prev();
          pos = pos == 0 ? model.size() : pos - 1;
        }
      }
      REQUIRE(it->Valid() == (pos < model.size()));
      if (pos < model.size()) {
        REQUIRE(it->key() == model[pos].first);
        REQUIRE(it->value() == model[pos].second);
      }
    }
    CHECK(it->status().ok());
  }
}

}  // namespace firn
