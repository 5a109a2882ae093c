// Tests of NewMergingIterator against a sorted reference of all children's
// entries, in both directions with direction switches and seeks.
#include "db/merging_iterator.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "util/random.h"

namespace firn {

namespace {

using Entry = std::pair<std::string, std::string>;  // internal key, value

bool InternalLess(const Entry& a, const Entry& b) {
  return CompareInternalKey(a.first, b.first) < 0;
}

// An internal-key iterator over a sorted vector; optionally failing with
// `status` (then never valid). Counts destructions in *deleted.
class VectorIterator : public Iterator {
 public:
  VectorIterator(std::vector<Entry> entries, Status status = Status::OK(),
                 int* deleted = nullptr)
      : entries_(std::move(entries)), status_(std::move(status)), deleted_(deleted),
        pos_(entries_.size()) {
    std::stable_sort(entries_.begin(), entries_.end(), InternalLess);
  }
  ~VectorIterator() override {
    if (deleted_ != nullptr) (*deleted_)++;
  }
  bool Valid() const override { return status_.ok() && pos_ < entries_.size(); }
  void SeekToFirst() override { pos_ = 0; }
  void SeekToLast() override { pos_ = entries_.empty() ? 0 : entries_.size() - 1; }
  void Seek(std::string_view target) override {
    pos_ = 0;
    while (pos_ < entries_.size() && CompareInternalKey(entries_[pos_].first, target) < 0) pos_++;
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
  Status status() const override { return status_; }

 private:
  std::vector<Entry> entries_;
  Status status_;
  int* deleted_;
  size_t pos_;
};

// The merged order promised by merging_iterator.h: by internal key, then by
// child index. Each reference entry remembers its child in `value`'s tail.
struct RefEntry {
  std::string key;
  size_t child;
  std::string value;
};

class Reference {
 public:
  explicit Reference(std::vector<RefEntry> entries) : entries_(std::move(entries)) {
    std::stable_sort(entries_.begin(), entries_.end(), [](const RefEntry& a, const RefEntry& b) {
      const int c = CompareInternalKey(a.key, b.key);
      return c != 0 ? c < 0 : a.child < b.child;
    });
    pos_ = entries_.size();
  }
  bool Valid() const { return pos_ < entries_.size(); }
  void SeekToFirst() { pos_ = 0; }
  void SeekToLast() { pos_ = entries_.empty() ? 0 : entries_.size() - 1; }
  void Seek(std::string_view t) {
    pos_ = 0;
    while (pos_ < entries_.size() && CompareInternalKey(entries_[pos_].key, t) < 0) pos_++;
  }
  void Next() { pos_++; }
  void Prev() { pos_ = pos_ == 0 ? entries_.size() : pos_ - 1; }
  const RefEntry& Current() const { return entries_[pos_]; }
  size_t size() const { return entries_.size(); }

 private:
  std::vector<RefEntry> entries_;
  size_t pos_;
};

// Builds `num_children` children of random entries over a small user-key
// space. With `distinct`, every (user key, sequence) occurs once overall;
// otherwise the same internal key may occur in several children.
void MakeChildren(Random* rnd, size_t num_children, bool distinct,
                  std::vector<Iterator*>* children, std::vector<RefEntry>* ref) {
  SequenceNumber next_seq = 1;
  for (size_t c = 0; c < num_children; c++) {
    std::vector<Entry> entries;
    const size_t n = rnd->Uniform(4) == 0 ? 0 : rnd->Uniform(30);
    std::vector<std::string> seen;
    for (size_t i = 0; i < n; i++) {
      const std::string user_key = "k" + std::to_string(rnd->Uniform(20));
      const SequenceNumber seq = distinct ? next_seq++ : 1 + rnd->Uniform(3);
      const ValueType type = rnd->OneIn(3) ? kTypeDeletion : kTypeValue;
      std::string ikey = MakeInternalKey(user_key, seq, type);
      if (std::find(seen.begin(), seen.end(), ikey) != seen.end()) continue;
      seen.push_back(ikey);
      std::string value = "v" + std::to_string(c) + "." + std::to_string(i);
      entries.emplace_back(ikey, value);
      ref->push_back({ikey, c, value});
    }
    children->push_back(new VectorIterator(std::move(entries)));
  }
}

std::string RandomTarget(Random* rnd) {
  return MakeInternalKey("k" + std::to_string(rnd->Uniform(22)), rnd->Uniform(200),
                         rnd->OneIn(2) ? kTypeValue : kTypeDeletion);
}

// Applies the same random operations to the merging iterator and the
// reference and checks that they agree after each one.
void RunRandomOps(Random* rnd, Iterator* it, Reference* ref, int ops) {
  for (int op = 0; op < ops; op++) {
    const uint64_t choice = rnd->Uniform(10);
    if (choice == 0) {
      it->SeekToFirst();
      ref->SeekToFirst();
    } else if (choice == 1) {
      it->SeekToLast();
      ref->SeekToLast();
    } else if (choice == 2) {
      const std::string target = RandomTarget(rnd);
      it->Seek(target);
      ref->Seek(target);
    } else if (ref->Valid()) {
      if (choice < 6) {
        it->Next();
        ref->Next();
      } else {
        it->Prev();
        ref->Prev();
      }
    }
    REQUIRE(it->Valid() == ref->Valid());
    if (ref->Valid()) {
      REQUIRE(it->key() == ref->Current().key);
      REQUIRE(it->value() == ref->Current().value);
    }
  }
  CHECK(it->status().ok());
}

std::vector<std::string> Keys(Iterator* it, bool forward) {
  std::vector<std::string> out;
  if (forward) {
    for (it->SeekToFirst(); it->Valid(); it->Next()) out.emplace_back(it->value());
  } else {
    for (it->SeekToLast(); it->Valid(); it->Prev()) out.emplace_back(it->value());
  }
  return out;
}

}  // namespace

TEST_CASE("EmptyAndErrorIteratorsAreNeverValidAndKeepTheirStatus") {
  std::unique_ptr<Iterator> empty(NewEmptyIterator());
  std::unique_ptr<Iterator> error(NewErrorIterator(Status::Corruption("000003.sst", "bad block")));
  for (Iterator* it : {empty.get(), error.get()}) {
    it->SeekToFirst();
    CHECK_FALSE(it->Valid());
    it->SeekToLast();
    CHECK_FALSE(it->Valid());
    it->Seek(MakeInternalKey("a", 1, kTypeValue));
    CHECK_FALSE(it->Valid());
  }
  CHECK(empty->status().ok());
  CHECK(error->status().ToString() == "Corruption: 000003.sst: bad block");
}

TEST_CASE("NoChildrenYieldsNothing") {
  std::unique_ptr<Iterator> it(NewMergingIterator({}));
  it->SeekToFirst();
  CHECK_FALSE(it->Valid());
  it->SeekToLast();
  CHECK_FALSE(it->Valid());
  it->Seek(MakeInternalKey("a", 1, kTypeValue));
  CHECK_FALSE(it->Valid());
  CHECK(it->status().ok());
}

TEST_CASE("InterleavedChildrenMergeInInternalKeyOrder") {
  std::vector<Iterator*> children;
  children.push_back(new VectorIterator({{MakeInternalKey("a", 5, kTypeValue), "a5"},
                                         {MakeInternalKey("c", 1, kTypeValue), "c1"}}));
  children.push_back(new VectorIterator({{MakeInternalKey("a", 9, kTypeDeletion), "a9"},
                                         {MakeInternalKey("b", 2, kTypeValue), "b2"},
                                         {MakeInternalKey("c", 3, kTypeValue), "c3"}}));
  children.push_back(new VectorIterator({}));
  std::unique_ptr<Iterator> it(NewMergingIterator(children));
  const std::vector<std::string> forward = {"a9", "a5", "b2", "c3", "c1"};
  CHECK(Keys(it.get(), true) == forward);
  CHECK(Keys(it.get(), false) == std::vector<std::string>(forward.rbegin(), forward.rend()));

  it->Seek(MakeInternalKey("a", 6, kTypeValue));
  REQUIRE(it->Valid());
  CHECK(it->value() == "a5");
  it->Prev();
  REQUIRE(it->Valid());
  CHECK(it->value() == "a9");
  it->Next();
  it->Next();
  CHECK(it->value() == "b2");
  it->Prev();
  CHECK(it->value() == "a5");
  it->Next();
  it->Next();
  CHECK(it->value() == "c3");
}

// For each of `seeds` seeds (Random(seed * seed_factor)): children of
// MakeChildren with the count and distinctness `shape` draws, then `ops`
// random operations checked against the reference.
template <typename Shape>
void CheckRandomMerges(uint64_t seeds, uint64_t seed_factor, int ops, Shape shape) {
  for (uint64_t seed = 1; seed <= seeds; seed++) {
    CAPTURE(seed);
    Random rnd(seed * seed_factor);
    size_t num_children = 0;
    bool distinct = false;
    shape(&rnd, &num_children, &distinct);
    std::vector<Iterator*> children;
    std::vector<RefEntry> ref_entries;
    MakeChildren(&rnd, num_children, distinct, &children, &ref_entries);
    Reference ref(std::move(ref_entries));
    std::unique_ptr<Iterator> it(NewMergingIterator(children));
    RunRandomOps(&rnd, it.get(), &ref, ops);
  }
}

TEST_CASE("RandomOpsMatchReferenceWithDistinctKeys") {
  CheckRandomMerges(300, 1, 200, [](Random* rnd, size_t* n, bool* distinct) {
    *n = rnd->Uniform(6);
    *distinct = true;
  });
}

TEST_CASE("RandomOpsMatchReferenceWithEqualKeysAcrossChildren") {
  CheckRandomMerges(300, 7919, 200, [](Random* rnd, size_t* n, bool* distinct) {
    *n = 2 + rnd->Uniform(4);
    *distinct = false;
  });
}

// As many children as a tree with many runs and memtables: the loser tree
// pads to a power of two (6..20 children: 8, 16 and 32 leaves, full and
// partly padded), and equal keys across children still come in child
// order.
TEST_CASE("RandomOpsMatchReferenceWithManyChildren") {
  CheckRandomMerges(150, 6151, 300, [](Random* rnd, size_t* n, bool* distinct) {
    *n = 6 + rnd->Uniform(15);
    *distinct = rnd->OneIn(2);
  });
}

TEST_CASE("EqualKeysAreYieldedOncePerChildAcrossDirectionSwitches") {
  const std::string k = MakeInternalKey("k", 4, kTypeValue);
  std::vector<Iterator*> children;
  for (int c = 0; c < 3; c++) {
    children.push_back(new VectorIterator({{k, "c" + std::to_string(c)}}));
  }
  std::unique_ptr<Iterator> it(NewMergingIterator(children));
  CHECK(Keys(it.get(), true) == std::vector<std::string>{"c0", "c1", "c2"});
  CHECK(Keys(it.get(), false) == std::vector<std::string>{"c2", "c1", "c0"});
  it->SeekToFirst();
  it->Next();
  CHECK(it->value() == "c1");
  it->Prev();
  CHECK(it->value() == "c0");
  it->Next();
  CHECK(it->value() == "c1");
  it->Next();
  CHECK(it->value() == "c2");
  it->Prev();
  it->Prev();
  CHECK(it->value() == "c0");
  it->Prev();
  CHECK_FALSE(it->Valid());
}

TEST_CASE("FailedChildMakesMergeInvalidAndReportsFirstError") {
  std::vector<Iterator*> children;
  children.push_back(new VectorIterator({{MakeInternalKey("a", 1, kTypeValue), "a"}}));
  children.push_back(new VectorIterator({}, Status::IOError("second")));
  children.push_back(new VectorIterator({}, Status::Corruption("third")));
  std::unique_ptr<Iterator> it(NewMergingIterator(children));
  it->SeekToFirst();
  CHECK_FALSE(it->Valid());
  it->SeekToLast();
  CHECK_FALSE(it->Valid());
  it->Seek(MakeInternalKey("a", 1, kTypeValue));
  CHECK_FALSE(it->Valid());
  Status s = it->status();
  CHECK(s.IsIOError());
  CHECK(s.message() == "second");
}

namespace {

// A VectorIterator that fails (becomes invalid with Corruption) on its
// `fail_at`-th call of Next.
class FailingIterator final : public Iterator {
 public:
  FailingIterator(std::vector<Entry> entries, int fail_at)
      : inner_(std::move(entries)), fail_at_(fail_at) {}
  bool Valid() const override { return status_.ok() && inner_.Valid(); }
  void SeekToFirst() override { inner_.SeekToFirst(); }
  void SeekToLast() override { inner_.SeekToLast(); }
  void Seek(std::string_view t) override { inner_.Seek(t); }
  void Next() override {
    if (++nexts_ == fail_at_) status_ = Status::Corruption("mid-scan");
    if (status_.ok()) inner_.Next();
  }
  void Prev() override { inner_.Prev(); }
  std::string_view key() const override { return inner_.key(); }
  std::string_view value() const override { return inner_.value(); }
  Status status() const override { return status_; }

 private:
  VectorIterator inner_;
  const int fail_at_;
  int nexts_ = 0;
  Status status_;
};

}  // namespace

// Forward Next replays only the current child's matches in the loser tree:
// long runs from one child must still hand over to the others at the right
// entry.
TEST_CASE("SkewedChildrenWithLongRunsMatchReferenceForward") {
  for (uint64_t seed = 1; seed <= 100; seed++) {
    CAPTURE(seed);
    Random rnd(seed * 104729);
    std::vector<Iterator*> children;
    std::vector<RefEntry> ref_entries;
    const size_t num_children = 1 + rnd.Uniform(6);
    SequenceNumber seq = 1;
    for (size_t c = 0; c < num_children; c++) {
      // Child 0 (or a random one) holds most entries, as the largest run.
      const bool big = c == seed % num_children;
      std::vector<Entry> entries;
      for (int k = 0; k < 200; k++) {
        if (!rnd.OneIn(big ? 1 : 12)) continue;
        const std::string ikey = MakeInternalKey("k" + std::to_string(1000 + k), seq++,
                                                 kTypeValue);
        const std::string value = "v" + std::to_string(c) + "." + std::to_string(k);
        entries.emplace_back(ikey, value);
        ref_entries.push_back({ikey, c, value});
      }
      children.push_back(new VectorIterator(std::move(entries)));
    }
    Reference ref(std::move(ref_entries));
    std::unique_ptr<Iterator> it(NewMergingIterator(children));
    for (int scan = 0; scan < 20; scan++) {
      const std::string target =
          MakeInternalKey("k" + std::to_string(1000 + rnd.Uniform(210)), rnd.Uniform(1000),
                          kTypeValue);
      it->Seek(target);
      ref.Seek(target);
      for (int i = 0; i < 60; i++) {
        REQUIRE(it->Valid() == ref.Valid());
        if (!ref.Valid()) break;
        REQUIRE(it->value() == ref.Current().value);
        it->Next();
        ref.Next();
      }
    }
    CHECK(it->status().ok());
  }
}

TEST_CASE("ChildFailingDuringForwardNextMakesMergeInvalid") {
  std::vector<Entry> a, b;
  for (int k = 0; k < 10; k++) {
    a.emplace_back(MakeInternalKey("a" + std::to_string(k), 1, kTypeValue), "a");
    b.emplace_back(MakeInternalKey("b" + std::to_string(k), 1, kTypeValue), "b");
  }
  std::vector<Iterator*> children;
  children.push_back(new FailingIterator(std::move(a), 4));  // current for 4 entries
  children.push_back(new VectorIterator(std::move(b)));
  std::unique_ptr<Iterator> it(NewMergingIterator(children));
  int seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) seen++;
  CHECK(seen == 4);  // never falls through to the healthy child's entries
  CHECK(it->status().IsCorruption());
}

TEST_CASE("MergingIteratorDeletesItsChildren") {
  int deleted = 0;
  {
    std::vector<Iterator*> children;
    for (int i = 0; i < 4; i++) children.push_back(new VectorIterator({}, Status::OK(), &deleted));
    std::unique_ptr<Iterator> it(NewMergingIterator(children));
    CHECK(deleted == 0);
  }
  CHECK(deleted == 4);
}

}  // namespace firn
