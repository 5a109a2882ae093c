// Tests of NewRunIterator: lazy opening, seeks across file boundaries, both
// directions, and errors from opening a file.
#include "db/run_iterator.h"

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

// Counts how many file iterators were opened and are open at once.
struct OpenStats {
  int opened = 0;
  int live = 0;
  int max_live = 0;
};

// An internal-key iterator over a sorted vector that reports to OpenStats.
class VectorIterator : public Iterator {
 public:
  VectorIterator(const std::vector<Entry>* entries, OpenStats* stats)
      : entries_(entries), stats_(stats), pos_(entries->size()) {
    stats_->opened++;
    stats_->live++;
    stats_->max_live = std::max(stats_->max_live, stats_->live);
  }
  ~VectorIterator() override { stats_->live--; }
  bool Valid() const override { return pos_ < entries_->size(); }
  void SeekToFirst() override { pos_ = 0; }
  void SeekToLast() override { pos_ = entries_->empty() ? 0 : entries_->size() - 1; }
  void Seek(std::string_view target) override {
    pos_ = 0;
    while (pos_ < entries_->size() && CompareInternalKey((*entries_)[pos_].first, target) < 0) {
      pos_++;
    }
  }
  void Next() override {
    REQUIRE(Valid());
    pos_++;
  }
  void Prev() override {
    REQUIRE(Valid());
    pos_ = pos_ == 0 ? entries_->size() : pos_ - 1;
  }
  std::string_view key() const override { return (*entries_)[pos_].first; }
  std::string_view value() const override { return (*entries_)[pos_].second; }
  Status status() const override { return Status::OK(); }

 private:
  const std::vector<Entry>* entries_;
  OpenStats* stats_;
  size_t pos_;
};

std::string IKey(const std::string& user_key, SequenceNumber seq) {
  return MakeInternalKey(user_key, seq, kTypeValue);
}

// A run of files; file f holds user keys "f<f>.<i>" so files do not
// overlap, each key at sequence 10 and 5 (two versions).
struct Run {
  std::vector<std::vector<Entry>> files;
  std::vector<Entry> all;  // concatenation, the expected order
  OpenStats stats;
  std::vector<size_t> failing;  // files whose open yields an error iterator

  explicit Run(const std::vector<size_t>& sizes) {
    for (size_t f = 0; f < sizes.size(); f++) {
      std::vector<Entry> entries;
      for (size_t i = 0; i < sizes[f]; i++) {
        const std::string uk = "f" + std::to_string(f) + "." + std::to_string(100 + i);
        entries.emplace_back(IKey(uk, 10), uk + "@10");
        entries.emplace_back(IKey(uk, 5), uk + "@5");
      }
      all.insert(all.end(), entries.begin(), entries.end());
      files.push_back(std::move(entries));
    }
  }

  Iterator* NewIterator() {
    std::vector<RunFile> meta;
    for (size_t f = 0; f < files.size(); f++) {
      REQUIRE_FALSE(files[f].empty());
      meta.push_back({files[f].front().first, files[f].back().first});
    }
    return NewRunIterator(std::move(meta), [this](size_t i) -> Iterator* {
      REQUIRE(i < files.size());
      if (std::find(failing.begin(), failing.end(), i) != failing.end()) {
        stats.opened++;
        return NewErrorIterator(Status::IOError("file " + std::to_string(i)));
      }
      return new VectorIterator(&files[i], &stats);
    });
  }
};

std::vector<std::string> Values(Iterator* it, bool forward) {
  std::vector<std::string> out;
  if (forward) {
    for (it->SeekToFirst(); it->Valid(); it->Next()) out.emplace_back(it->value());
  } else {
    for (it->SeekToLast(); it->Valid(); it->Prev()) out.emplace_back(it->value());
  }
  return out;
}

std::vector<std::string> ValuesOf(const std::vector<Entry>& entries) {
  std::vector<std::string> out;
  for (const Entry& e : entries) out.push_back(e.second);
  return out;
}

}  // namespace

TEST_CASE("EmptyRunIsNeverValid") {
  std::unique_ptr<Iterator> it(NewRunIterator({}, [](size_t) -> Iterator* {
    FAIL("no file to open");
    return nullptr;
  }));
  it->SeekToFirst();
  CHECK_FALSE(it->Valid());
  it->SeekToLast();
  CHECK_FALSE(it->Valid());
  it->Seek(IKey("a", 1));
  CHECK_FALSE(it->Valid());
  CHECK(it->status().ok());
}

TEST_CASE("FullScansInBothDirectionsVisitEveryFileOnce") {
  Run run({3, 1, 4});
  std::unique_ptr<Iterator> it(run.NewIterator());
  CHECK(Values(it.get(), true) == ValuesOf(run.all));
  CHECK(run.stats.opened == 3);
  std::vector<std::string> reversed = ValuesOf(run.all);
  std::reverse(reversed.begin(), reversed.end());
  CHECK(Values(it.get(), false) == reversed);
  CHECK(run.stats.opened == 6);
  CHECK(run.stats.max_live == 1);
  CHECK(it->status().ok());
}

TEST_CASE("FilesOpenLazilyAndOnlyWhenEntered") {
  Run run({2, 2, 2, 2});
  std::unique_ptr<Iterator> it(run.NewIterator());
  CHECK(run.stats.opened == 0);

  it->Seek(IKey("f2.101", 10));
  REQUIRE(it->Valid());
  CHECK(it->value() == "f2.101@10");
  CHECK(run.stats.opened == 1);

  // Moving within the file, and seeking again inside it, opens nothing.
  it->Next();
  it->Prev();
  it->Seek(IKey("f2.100", 5));
  CHECK(it->value() == "f2.100@5");
  CHECK(run.stats.opened == 1);

  // Stepping off the file's start opens the previous file only.
  it->Prev();
  REQUIRE(it->Valid());
  CHECK(it->value() == "f2.100@10");
  it->Prev();
  REQUIRE(it->Valid());
  CHECK(it->value() == "f1.101@5");
  CHECK(run.stats.opened == 2);
  CHECK(run.stats.live == 1);

  it.reset();
  CHECK(run.stats.live == 0);
}

TEST_CASE("SeekBetweenFilesLandsOnNextFileStart") {
  Run run({2, 2, 2});
  std::unique_ptr<Iterator> it(run.NewIterator());

  it->Seek(IKey("f0.2", 99));  // after f0's last key, before f1's first
  REQUIRE(it->Valid());
  CHECK(it->value() == "f1.100@10");

  it->Seek(IKey("f0.101", 1));  // past f0's last version: binary search must skip f0
  REQUIRE(it->Valid());
  CHECK(it->value() == "f1.100@10");

  it->Seek(IKey("f0.101", 5));  // exactly f0's largest key
  REQUIRE(it->Valid());
  CHECK(it->value() == "f0.101@5");
  it->Next();
  REQUIRE(it->Valid());
  CHECK(it->value() == "f1.100@10");

  it->Seek(IKey("a", 1));
  REQUIRE(it->Valid());
  CHECK(it->value() == "f0.100@10");

  it->Seek(IKey("f2.101", 4));  // beyond every key
  CHECK_FALSE(it->Valid());
  CHECK(run.stats.live == 0);
  CHECK(it->status().ok());
}

TEST_CASE("RandomOpsMatchConcatenatedFiles") {
  for (uint64_t seed = 1; seed <= 200; seed++) {
    CAPTURE(seed);
    Random rnd(seed);
    std::vector<size_t> sizes(1 + rnd.Uniform(6));
    for (size_t& s : sizes) s = 1 + rnd.Uniform(4);
    Run run(sizes);
    std::unique_ptr<Iterator> it(run.NewIterator());
    size_t pos = run.all.size();  // reference position
    for (int op = 0; op < 200; op++) {
      const uint64_t choice = rnd.Uniform(10);
      if (choice == 0) {
        it->SeekToFirst();
        pos = 0;
      } else if (choice == 1) {
        it->SeekToLast();
        pos = run.all.size() - 1;
      } else if (choice == 2) {
        const std::string target = IKey("f" + std::to_string(rnd.Uniform(7)) + "." +
                                            std::to_string(99 + rnd.Uniform(6)),
                                        rnd.Uniform(12));
        it->Seek(target);
        pos = 0;
        while (pos < run.all.size() && CompareInternalKey(run.all[pos].first, target) < 0) pos++;
      } else if (pos < run.all.size()) {
        if (choice < 6) {
          it->Next();
          pos++;
        } else {
          it->Prev();
          pos = pos == 0 ? run.all.size() : pos - 1;
        }
      }
      REQUIRE(it->Valid() == (pos < run.all.size()));
      if (pos < run.all.size()) REQUIRE(it->key() == run.all[pos].first);
      REQUIRE(run.stats.live <= 1);
    }
    CHECK(it->status().ok());
  }
}

TEST_CASE("ErrorFromOpeningAFileStopsIterationAndIsReported") {
  Run run({2, 2, 2});
  run.failing = {1};
  std::unique_ptr<Iterator> it(run.NewIterator());

  std::vector<std::string> seen = Values(it.get(), true);
  CHECK(seen == std::vector<std::string>{"f0.100@10", "f0.100@5", "f0.101@10", "f0.101@5"});
  CHECK_FALSE(it->Valid());
  Status s = it->status();
  CHECK(s.IsIOError());
  CHECK(s.message() == "file 1");

  seen = Values(it.get(), false);
  CHECK(seen == std::vector<std::string>{"f2.101@5", "f2.101@10", "f2.100@5", "f2.100@10"});
  CHECK(it->status().IsIOError());

  // The error stays reported after repositioning into a healthy file.
  it->Seek(IKey("f2.100", 10));
  REQUIRE(it->Valid());
  CHECK(it->status().IsIOError());

  it->Seek(IKey("f1.100", 10));
  CHECK_FALSE(it->Valid());
}

TEST_CASE("FirstErrorIsKeptWhenAnotherFileFails") {
  Run run({1, 1, 1});
  run.failing = {0, 2};
  std::unique_ptr<Iterator> it(run.NewIterator());
  it->SeekToFirst();
  CHECK_FALSE(it->Valid());
  it->SeekToLast();
  CHECK_FALSE(it->Valid());
  CHECK(it->status().message() == "file 0");
}

TEST_CASE("ErrorFromTheOnlyFileIsReportedBySeek") {
  Run run({1});
  run.failing = {0};
  std::unique_ptr<Iterator> it(run.NewIterator());
  it->Seek(IKey("f0.100", 10));
  CHECK_FALSE(it->Valid());
  CHECK(it->status().message() == "file 0");
}

}  // namespace firn
