// Tests of the manifest edit encoding (version/version_edit.h) and of the
// shapes Version::Apply builds from edits (version/version.h).
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "util/coding.h"
#include "version/version.h"
#include "version/version_edit.h"

using namespace firn;
using namespace std::literals;

namespace {

FileMetaData File(uint64_t number, std::string_view smallest, std::string_view largest,
                  uint64_t size = 100) {
  FileMetaData f;
  f.number = number;
  f.file_size = size;
  f.smallest = MakeInternalKey(smallest, 10 + number, kTypeValue);
  f.largest = MakeInternalKey(largest, 5 + number, kTypeDeletion);
  f.num_entries = 10 * number;
  f.num_deletions = number;
  f.smallest_seq = 5 + number;
  f.largest_seq = 10 + number;
  f.created_micros = 1000 * number;
  return f;
}

// An edit with every field set, big values and binary keys included.
VersionEdit FullEdit() {
  VersionEdit e;
  e.SetFormatVersion(kManifestFormatVersion);
  e.SetLogNumber(0xfedcba9876543210ull);
  e.SetNextFileNumber(1ull << 40);
  e.SetLastSequence(kMaxSequenceNumber);
  e.SetNextRunId(300);
  e.RemoveFile(0, 7, 12);
  e.RemoveFile(63, 1ull << 50, 1ull << 33);
  FileMetaData f = File(42, std::string("\0a", 2), "zz\xff");
  f.file_size = 1ull << 35;
  e.AddFile(3, 9, f);
  e.AddFile(0, 1ull << 45, File(43, "", ""));  // empty user keys
  return e;
}

void CheckSameFile(const FileMetaData& a, const FileMetaData& b) {
  CHECK(a.number == b.number);
  CHECK(a.file_size == b.file_size);
  CHECK(a.smallest == b.smallest);
  CHECK(a.largest == b.largest);
  CHECK(a.num_entries == b.num_entries);
  CHECK(a.num_deletions == b.num_deletions);
  CHECK(a.smallest_seq == b.smallest_seq);
  CHECK(a.largest_seq == b.largest_seq);
  CHECK(a.created_micros == b.created_micros);
}

void CheckSameEdit(const VersionEdit& a, const VersionEdit& b) {
  CHECK(a.format_version() == b.format_version());
  CHECK(a.log_number() == b.log_number());
  CHECK(a.next_file_number() == b.next_file_number());
  CHECK(a.last_sequence() == b.last_sequence());
  CHECK(a.next_run_id() == b.next_run_id());
  REQUIRE(a.deleted_files().size() == b.deleted_files().size());
  for (size_t i = 0; i < a.deleted_files().size(); ++i) {
    CHECK(a.deleted_files()[i].level == b.deleted_files()[i].level);
    CHECK(a.deleted_files()[i].run_id == b.deleted_files()[i].run_id);
    CHECK(a.deleted_files()[i].number == b.deleted_files()[i].number);
  }
  REQUIRE(a.new_files().size() == b.new_files().size());
  for (size_t i = 0; i < a.new_files().size(); ++i) {
    CHECK(a.new_files()[i].level == b.new_files()[i].level);
    CHECK(a.new_files()[i].run_id == b.new_files()[i].run_id);
    CheckSameFile(a.new_files()[i].meta, b.new_files()[i].meta);
  }
}

std::string Encode(const VersionEdit& e) {
  std::string s;
  e.EncodeTo(&s);
  return s;
}

std::shared_ptr<Version> MustApply(const Version& base, const VersionEdit& e) {
  std::shared_ptr<Version> v;
  Status s = Version::Apply(base, e, &v);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return v;
}

std::vector<uint64_t> RunIds(const Version& v, int level) {
  std::vector<uint64_t> ids;
  for (const Run& r : v.level(level).runs) ids.push_back(r.id);
  return ids;
}

std::vector<uint64_t> FileNumbers(const Run& r) {
  std::vector<uint64_t> n;
  for (const FileRef& f : r.files) n.push_back(f->number);
  return n;
}

Run MakeRun(const std::vector<FileMetaData>& files) {
  Run r;
  for (const FileMetaData& f : files) r.files.push_back(std::make_shared<const FileMetaData>(f));
  return r;
}

}  // namespace

TEST_CASE("EveryFieldRoundTrips") {
  VersionEdit e = FullEdit();
  std::string enc = Encode(e);
  VersionEdit d;
  Status s = d.DecodeFrom(enc);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  CheckSameEdit(e, d);
  CHECK(Encode(d) == enc);
}

TEST_CASE("EmptyEditRoundTripsWithNoFields") {
  VersionEdit e;
  std::string enc = Encode(e);
  CHECK(enc.empty());
  VersionEdit d = FullEdit();  // decoding replaces what was there
  REQUIRE(d.DecodeFrom(enc).ok());
  CheckSameEdit(e, d);
}

TEST_CASE("DecodeReplacesEarlierContents") {
  VersionEdit small;
  small.SetLogNumber(5);
  VersionEdit d = FullEdit();
  REQUIRE(d.DecodeFrom(Encode(small)).ok());
  CheckSameEdit(small, d);
}

TEST_CASE("EveryTruncatedPrefixIsCorruptionUnlessItEndsAtAFieldBoundary") {
  // The field boundaries: the sizes of the encodings of the edits holding
  // the first n fields, in encoding order.
  std::set<size_t> boundaries = {0};
  {
    VersionEdit full = FullEdit();
    VersionEdit e;
    e.SetFormatVersion(*full.format_version());
    boundaries.insert(Encode(e).size());
    e.SetLogNumber(*full.log_number());
    boundaries.insert(Encode(e).size());
    e.SetNextFileNumber(*full.next_file_number());
    boundaries.insert(Encode(e).size());
    e.SetLastSequence(*full.last_sequence());
    boundaries.insert(Encode(e).size());
    e.SetNextRunId(*full.next_run_id());
    boundaries.insert(Encode(e).size());
    for (const auto& d : full.deleted_files()) {
      e.RemoveFile(d.level, d.run_id, d.number);
      boundaries.insert(Encode(e).size());
    }
    for (const auto& f : full.new_files()) {
      e.AddFile(f.level, f.run_id, f.meta);
      boundaries.insert(Encode(e).size());
    }
  }
  std::string enc = Encode(FullEdit());
  REQUIRE(boundaries.count(enc.size()) == 1);
  for (size_t n = 0; n < enc.size(); ++n) {
    CAPTURE(n);
    // A heap copy of exactly n bytes, so reading past it is caught by ASan.
    std::unique_ptr<char[]> buf(new char[n == 0 ? 1 : n]);
    std::memcpy(buf.get(), enc.data(), n);
    VersionEdit d;
    Status s = d.DecodeFrom(std::string_view(buf.get(), n));
    if (boundaries.count(n)) {
      // A shorter, complete edit: the log record's checksum, not the edit,
      // guards against this. It must decode to exactly those fields.
      REQUIRE_MESSAGE(s.ok(), s.ToString());
      CHECK(Encode(d) == enc.substr(0, n));
    } else {
      CHECK_MESSAGE(s.IsCorruption(), s.ToString());
    }
  }
}

TEST_CASE("UnknownTagIsCorruption") {
  for (uint32_t tag : {0u, 10u, 99u, 1u << 20}) {
    CAPTURE(tag);
    std::string enc;
    PutVarint32(&enc, 2);  // a valid log number first
    PutVarint64(&enc, 7);
    PutVarint32(&enc, tag);
    PutVarint64(&enc, 1);
    VersionEdit d;
    Status s = d.DecodeFrom(enc);
    CHECK(s.IsCorruption());
    CHECK(s.ToString().find("unknown tag") != std::string::npos);
  }
}

TEST_CASE("TrailingBytesAreCorruption") {
  std::string enc = Encode(FullEdit());
  // An incomplete varint after a complete edit.
  VersionEdit d;
  CHECK(d.DecodeFrom(enc + "\x80").IsCorruption());
  // A known tag without its value.
  CHECK(d.DecodeFrom(enc + "\x02").IsCorruption());
  // A varint32 tag that overflows 32 bits.
  CHECK(d.DecodeFrom(enc + std::string("\xff\xff\xff\xff\xff\x01", 6)).IsCorruption());
}

TEST_CASE("MalformedNewAndDeletedFilesAreCorruption") {
  VersionEdit d;
  SUBCASE("LevelOf64OrMore") {
    std::string enc;
    PutVarint32(&enc, 6);
    PutVarint32(&enc, 64);
    PutVarint64(&enc, 1);
    PutVarint64(&enc, 1);
    CHECK(d.DecodeFrom(enc).IsCorruption());
    VersionEdit e;
    e.AddFile(64, 1, File(1, "a", "b"));
    CHECK(d.DecodeFrom(Encode(e)).IsCorruption());
  }
  SUBCASE("InternalKeyShorterThanItsTag") {
    VersionEdit e;
    FileMetaData f = File(1, "a", "b");
    f.smallest = "short";
    e.AddFile(0, 1, f);
    CHECK(d.DecodeFrom(Encode(e)).IsCorruption());
    f = File(1, "a", "b");
    f.largest = "";
    VersionEdit e2;
    e2.AddFile(0, 1, f);
    CHECK(d.DecodeFrom(Encode(e2)).IsCorruption());
  }
  SUBCASE("StringLengthBeyondTheInput") {
    std::string enc;
    PutVarint32(&enc, 7);
    PutVarint32(&enc, 0);
    PutVarint64(&enc, 1);   // run
    PutVarint64(&enc, 2);   // number
    PutVarint64(&enc, 3);   // size
    PutVarint32(&enc, 1000);  // smallest: 1000 bytes, but only 10 follow
    enc.append(10, 'x');
    CHECK(d.DecodeFrom(enc).IsCorruption());
  }
}

TEST_CASE("ApplyAddsFilesToRunsAndSumsThem") {
  Version base(4);
  VersionEdit e;
  e.AddFile(0, 5, File(10, "m", "p", 1000));
  e.AddFile(0, 5, File(11, "a", "c", 10));
  e.AddFile(2, 3, File(12, "a", "z", 7));
  std::shared_ptr<Version> v = MustApply(base, e);
  REQUIRE(v->level(0).runs.size() == 1);
  const Run& r = v->level(0).runs[0];
  CHECK(r.id == 5);
  CHECK(FileNumbers(r) == std::vector<uint64_t>{11, 10});  // key order
  CHECK(r.bytes == 1010);
  CHECK(r.entries == 210);
  CHECK(r.deletions == 21);
  CHECK(v->level(0).bytes == 1010);
  CHECK(v->level(1).runs.empty());
  CHECK(v->level(2).runs.size() == 1);
  CHECK(v->TotalBytes() == 1017);
  CHECK(v->TotalFiles() == 3);
  CHECK(v->TotalRuns() == 2);
  CHECK(v->MaxRunId() == 5);
  CheckSameFile(*r.files[1], File(10, "m", "p", 1000));
  // The base is untouched.
  CHECK(base.TotalFiles() == 0);
}

TEST_CASE("ApplyRemovesFilesAndDropsEmptiedRuns") {
  Version base(3);
  VersionEdit e;
  e.AddFile(0, 1, File(10, "a", "b"));
  e.AddFile(0, 1, File(11, "c", "d"));
  e.AddFile(1, 2, File(12, "a", "z"));
  std::shared_ptr<Version> v1 = MustApply(base, e);
  VersionEdit e2;
  e2.RemoveFile(0, 1, 10);
  std::shared_ptr<Version> v2 = MustApply(*v1, e2);
  REQUIRE(v2->level(0).runs.size() == 1);
  CHECK(FileNumbers(v2->level(0).runs[0]) == std::vector<uint64_t>{11});
  CHECK(v1->TotalFiles() == 3);  // immutable
  VersionEdit e3;
  e3.RemoveFile(0, 1, 11);
  e3.RemoveFile(1, 2, 12);
  std::shared_ptr<Version> v3 = MustApply(*v2, e3);
  CHECK(v3->TotalRuns() == 0);
  CHECK(v3->TotalBytes() == 0);
  CHECK(v3->FindRun(0, 1) == nullptr);
}

TEST_CASE("MovingAFileIsARemoveAndAnAddInOneEdit") {
  Version base(3);
  VersionEdit e;
  e.AddFile(0, 1, File(10, "a", "b"));
  std::shared_ptr<Version> v1 = MustApply(base, e);
  VersionEdit move;
  move.RemoveFile(0, 1, 10);
  move.AddFile(2, 4, File(10, "a", "b"));
  std::shared_ptr<Version> v2 = MustApply(*v1, move);
  CHECK(v2->level(0).runs.empty());
  REQUIRE(v2->FindRun(2, 4) != nullptr);
  CHECK(FileNumbers(*v2->FindRun(2, 4)) == std::vector<uint64_t>{10});
}

TEST_CASE("RunsAreSortedNewestFirst") {
  Version base(2);
  VersionEdit e;
  for (uint64_t id : {3, 7, 5, 1, 100}) e.AddFile(0, id, File(id, "a", "z"));
  e.AddFile(1, 2, File(2, "a", "z"));
  e.AddFile(1, 4, File(4, "a", "z"));
  std::shared_ptr<Version> v = MustApply(base, e);
  CHECK(RunIds(*v, 0) == std::vector<uint64_t>{100, 7, 5, 3, 1});
  CHECK(RunIds(*v, 1) == std::vector<uint64_t>{4, 2});
  std::vector<RunPosition> order = v->RunOrder();
  REQUIRE(order.size() == 7);
  CHECK(order[0].level == 0);
  CHECK(order[0].index == 0);
  CHECK(order[5].level == 1);
  CHECK(order[5].index == 0);
  CHECK(v->MaxRunId() == 100);
  // A later edit adds a newer run: it goes to the front.
  VersionEdit e2;
  e2.AddFile(0, 101, File(101, "a", "z"));
  CHECK(RunIds(*MustApply(*v, e2), 0) == std::vector<uint64_t>{101, 100, 7, 5, 3, 1});
}

TEST_CASE("RemovingAMissingFileIsCorruption") {
  Version base(3);
  VersionEdit e;
  e.AddFile(0, 1, File(10, "a", "b"));
  std::shared_ptr<Version> v = MustApply(base, e);
  struct Case {
    int level;
    uint64_t run;
    uint64_t number;
  };
  for (Case c : {Case{0, 1, 11}, Case{0, 2, 10}, Case{1, 1, 10}, Case{-1, 1, 10}, Case{9, 1, 10}}) {
    CAPTURE(c.level);
    CAPTURE(c.run);
    CAPTURE(c.number);
    VersionEdit bad;
    bad.RemoveFile(c.level, c.run, c.number);
    std::shared_ptr<Version> out;
    CHECK(Version::Apply(*v, bad, &out).IsCorruption());
    CHECK(out == nullptr);
  }
  // Removing the same file twice in one edit.
  VersionEdit twice;
  twice.RemoveFile(0, 1, 10);
  twice.RemoveFile(0, 1, 10);
  std::shared_ptr<Version> out;
  CHECK(Version::Apply(*v, twice, &out).IsCorruption());
}

TEST_CASE("AddingAFileTwiceIsCorruption") {
  Version base(3);
  VersionEdit e;
  e.AddFile(0, 1, File(10, "a", "b"));
  std::shared_ptr<Version> v = MustApply(base, e);
  std::shared_ptr<Version> out;
  // Already in the base, even in another run or level.
  VersionEdit again;
  again.AddFile(1, 2, File(10, "x", "y"));
  CHECK(Version::Apply(*v, again, &out).IsCorruption());
  // Twice in one edit.
  VersionEdit dup;
  dup.AddFile(0, 3, File(20, "a", "b"));
  dup.AddFile(0, 4, File(20, "c", "d"));
  CHECK(Version::Apply(base, dup, &out).IsCorruption());
  CHECK(out == nullptr);
}

TEST_CASE("OverlappingFilesInOneRunAreCorruption") {
  Version base(3);
  std::shared_ptr<Version> out;
  VersionEdit overlap;
  overlap.AddFile(0, 1, File(10, "a", "m"));
  overlap.AddFile(0, 1, File(11, "k", "z"));
  CHECK(Version::Apply(base, overlap, &out).IsCorruption());
  // Sharing one boundary user key is an overlap too (a user key must be in
  // at most one file of a run).
  VersionEdit touch;
  touch.AddFile(0, 1, File(10, "a", "m"));
  touch.AddFile(0, 1, File(11, "m", "z"));
  CHECK(Version::Apply(base, touch, &out).IsCorruption());
  // One file inside another.
  VersionEdit inside;
  inside.AddFile(0, 1, File(10, "a", "z"));
  inside.AddFile(0, 1, File(11, "c", "d"));
  CHECK(Version::Apply(base, inside, &out).IsCorruption());
  // Across edits: the base's run gains an overlapping file.
  VersionEdit first;
  first.AddFile(1, 2, File(10, "a", "m"));
  std::shared_ptr<Version> v = MustApply(base, first);
  VersionEdit second;
  second.AddFile(1, 2, File(11, "b", "c"));
  CHECK(Version::Apply(*v, second, &out).IsCorruption());
  // Adjacent but disjoint keys are fine, and the same ranges in different
  // runs are fine.
  VersionEdit ok;
  ok.AddFile(0, 1, File(10, "a", "m"));
  ok.AddFile(0, 1, File(11, "m\x01", "z"));
  ok.AddFile(0, 2, File(12, "a", "z"));
  MustApply(base, ok);
}

TEST_CASE("SameRunIdAtTwoLevelsIsCorruption") {
  Version base(3);
  std::shared_ptr<Version> out;
  VersionEdit e;
  e.AddFile(0, 7, File(10, "a", "b"));
  e.AddFile(2, 7, File(11, "c", "d"));
  CHECK(Version::Apply(base, e, &out).IsCorruption());
  // Across edits.
  VersionEdit first;
  first.AddFile(1, 7, File(10, "a", "b"));
  std::shared_ptr<Version> v = MustApply(base, first);
  VersionEdit second;
  second.AddFile(0, 7, File(11, "a", "b"));
  CHECK(Version::Apply(*v, second, &out).IsCorruption());
  // Once the run at level 1 is gone, the id may be used at another level.
  VersionEdit move;
  move.RemoveFile(1, 7, 10);
  move.AddFile(2, 7, File(10, "a", "b"));
  MustApply(*v, move);
}

TEST_CASE("LevelOutOfRangeIsCorruption") {
  Version base(3);
  std::shared_ptr<Version> out;
  VersionEdit e;
  e.AddFile(3, 1, File(10, "a", "b"));
  CHECK(Version::Apply(base, e, &out).IsCorruption());
  VersionEdit neg;
  neg.AddFile(-1, 1, File(10, "a", "b"));
  CHECK(Version::Apply(base, neg, &out).IsCorruption());
}

TEST_CASE("FindFileOnEdgeKeys") {
  Run r = MakeRun({File(1, "", "b"), File(2, "c", "c"), File(3, "e", "g")});
  CHECK(r.FindFile("") == 0);
  CHECK(r.FindFile("a") == 0);
  CHECK(r.FindFile("b") == 0);
  CHECK(r.FindFile("b\x00"sv) == -1);
  CHECK(r.FindFile("bz") == -1);
  CHECK(r.FindFile("c") == 1);
  CHECK(r.FindFile("c\x00"sv) == -1);
  CHECK(r.FindFile("d") == -1);
  CHECK(r.FindFile("e") == 2);
  CHECK(r.FindFile("f") == 2);
  CHECK(r.FindFile("g") == 2);
  CHECK(r.FindFile("g\x00"sv) == -1);
  CHECK(r.FindFile("\xff") == -1);

  Run empty_key_only = MakeRun({File(1, "", "")});
  CHECK(empty_key_only.FindFile("") == 0);
  CHECK(empty_key_only.FindFile(std::string(1, '\0')) == -1);
  CHECK(empty_key_only.FindFile("a") == -1);

  Run none;
  CHECK(none.FindFile("") == -1);
  CHECK(none.FindFile("a") == -1);
}

TEST_CASE("OverlapsOnEdgeKeys") {
  Run r = MakeRun({File(1, "", "b"), File(2, "c", "c"), File(3, "e", "g")});
  CHECK(r.Overlaps("", ""));
  CHECK(r.Overlaps("b", "b"));
  CHECK(!r.Overlaps("ba", "bz"));
  CHECK(r.Overlaps("ba", "c"));      // upper bound equals a file's smallest
  CHECK(r.Overlaps("c", "c"));       // equal bounds on a one-key file
  CHECK(!r.Overlaps("c\x00"sv, "d"));
  CHECK(r.Overlaps("d", "e"));
  CHECK(r.Overlaps("g", "z"));       // lower bound equals a file's largest
  CHECK(!r.Overlaps("g\x00"sv, "z"));
  CHECK(r.Overlaps("", "\xff"));
  CHECK(r.Overlaps("f", "f"));       // inside one file

  Run later = MakeRun({File(1, "m", "p")});
  CHECK(!later.Overlaps("", ""));
  CHECK(!later.Overlaps("a", "l"));
  CHECK(later.Overlaps("a", "m"));
  CHECK(later.Overlaps("p", "p"));
  CHECK(!later.Overlaps("q", "z"));

  Run empty_key_only = MakeRun({File(1, "", "")});
  CHECK(empty_key_only.Overlaps("", ""));
  CHECK(empty_key_only.Overlaps("", "a"));
  CHECK(!empty_key_only.Overlaps("a", "b"));

  Run none;
  CHECK(!none.Overlaps("", "\xff"));
}
