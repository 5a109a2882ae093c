// Tests of VersionSet: the manifest and CURRENT it writes, recovery from
// them (torn tails, damage, unknown versions) and failed manifest writes.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db/dbformat.h"
#include "db/filename.h"
#include "port/env.h"
#include "port/env_fault.h"
#include "port/port.h"
#include "util/random.h"
#include "version/version.h"
#include "version/version_edit.h"
#include "version/version_set.h"
#include "wal/log_writer.h"

using namespace firn;

namespace {

const std::string kDb = "/db";

std::string Key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%08llu", static_cast<unsigned long long>(i));
  return buf;
}

// A file whose key range is its own: files never overlap.
FileMetaData Meta(uint64_t number, uint64_t size = 1000) {
  FileMetaData f;
  f.number = number;
  f.file_size = size;
  f.smallest = MakeInternalKey(Key(number), 100 + number, kTypeValue);
  f.largest = MakeInternalKey(Key(number) + "z", 50 + number, kTypeDeletion);
  f.num_entries = number * 3;
  f.num_deletions = number % 5;
  f.smallest_seq = 50 + number;
  f.largest_seq = 100 + number;
  f.created_micros = 777 * number;
  return f;
}

void CheckSameVersion(const Version& a, const Version& b) {
  REQUIRE(a.num_levels() == b.num_levels());
  for (int l = 0; l < a.num_levels(); ++l) {
    CAPTURE(l);
    const Level& la = a.level(l);
    const Level& lb = b.level(l);
    REQUIRE(la.runs.size() == lb.runs.size());
    CHECK(la.bytes == lb.bytes);
    for (size_t r = 0; r < la.runs.size(); ++r) {
      const Run& ra = la.runs[r];
      const Run& rb = lb.runs[r];
      CHECK(ra.id == rb.id);
      CHECK(ra.bytes == rb.bytes);
      CHECK(ra.entries == rb.entries);
      CHECK(ra.deletions == rb.deletions);
      REQUIRE(ra.files.size() == rb.files.size());
      for (size_t f = 0; f < ra.files.size(); ++f) {
        const FileMetaData& fa = *ra.files[f];
        const FileMetaData& fb = *rb.files[f];
        CHECK(fa.number == fb.number);
        CHECK(fa.file_size == fb.file_size);
        CHECK(fa.smallest == fb.smallest);
        CHECK(fa.largest == fb.largest);
        CHECK(fa.num_entries == fb.num_entries);
        CHECK(fa.num_deletions == fb.num_deletions);
        CHECK(fa.smallest_seq == fb.smallest_seq);
        CHECK(fa.largest_seq == fb.largest_seq);
        CHECK(fa.created_micros == fb.created_micros);
      }
    }
  }
}

// The counters a VersionSet would hand out next, read without consuming
// them from a copy of the state: they are compared on two VersionSets
// that are about to be dropped or are compared once.
struct Counters {
  uint64_t next_file;
  uint64_t next_run;
  SequenceNumber last_sequence;
  uint64_t log_number;
  uint64_t manifest;
};

// Consumes one file number and one run id from vs.
Counters TakeCounters(VersionSet* vs) {
  Counters c;
  c.last_sequence = vs->LastSequence();
  c.log_number = vs->LogNumber();
  c.manifest = vs->ManifestFileNumber();
  c.next_file = vs->NewFileNumber();
  c.next_run = vs->NewRunId();
  return c;
}

void CheckSameCounters(const Counters& a, const Counters& b) {
  CHECK(a.next_file == b.next_file);
  CHECK(a.next_run == b.next_run);
  CHECK(a.last_sequence == b.last_sequence);
  CHECK(a.log_number == b.log_number);
  CHECK(a.manifest == b.manifest);
}

struct Fixture {
  std::unique_ptr<Env> mem = NewMemEnv();
  Env* env = mem.get();
  Options options;
  port::Mutex mu;

  Fixture() { REQUIRE(env->CreateDir(kDb).ok()); }

  std::unique_ptr<VersionSet> NewVersionSet() {
    return std::make_unique<VersionSet>(kDb, options, env);
  }
  std::unique_ptr<VersionSet> Create() {
    auto vs = NewVersionSet();
    vs->InitNew();
    return vs;
  }
  std::unique_ptr<VersionSet> Recover() {
    auto vs = NewVersionSet();
    Status s = vs->Recover();
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    return vs;
  }
  Status Apply(VersionSet* vs, VersionEdit* edit) {
    port::MutexLock l(&mu);
    return vs->LogAndApply(edit, &mu);
  }
  void MustApply(VersionSet* vs, VersionEdit* edit) {
    Status s = Apply(vs, edit);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
  }
  // Adds one new file in a new run at level.
  uint64_t AddNewRun(VersionSet* vs, int level, SequenceNumber last_seq) {
    VersionEdit e;
    uint64_t n = vs->NewFileNumber();
    // The table exists, as it would: recovery from a torn manifest tail
    // checks that every table the older state names is there.
    REQUIRE(WriteStringToFile(env, "", TableFileName(kDb, n), false).ok());
    e.AddFile(level, vs->NewRunId(), Meta(n));
    vs->SetLastSequence(last_seq);
    MustApply(vs, &e);
    return n;
  }
  std::string ReadFile(const std::string& fname) {
    std::string data;
    Status s = ReadFileToString(env, fname, &data);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    return data;
  }
  void WriteFile(const std::string& fname, const std::string& data) {
    REQUIRE(WriteStringToFile(env, data, fname, true).ok());
  }
  uint64_t FileSize(const std::string& fname) {
    uint64_t size = 0;
    REQUIRE(env->GetFileSize(fname, &size).ok());
    return size;
  }
  // Writes MANIFEST-<number> by hand, one record per edit, and points
  // CURRENT at it.
  void WriteManifest(uint64_t number, const std::vector<VersionEdit>& edits) {
    std::unique_ptr<WritableFile> file;
    REQUIRE(env->NewWritableFile(ManifestFileName(kDb, number), &file).ok());
    log::Writer w(file.get(), number);
    REQUIRE(w.WriteHeader().ok());
    for (const VersionEdit& e : edits) {
      std::string rec;
      e.EncodeTo(&rec);
      REQUIRE(w.AddRecord(rec).ok());
    }
    REQUIRE(file->Sync().ok());
    REQUIRE(file->Close().ok());
    REQUIRE(SetCurrentFile(env, kDb, number).ok());
  }
};

VersionEdit SnapshotEdit(uint32_t format_version) {
  VersionEdit e;
  e.SetFormatVersion(format_version);
  e.SetLogNumber(3);
  e.SetNextFileNumber(10);
  e.SetLastSequence(100);
  e.SetNextRunId(4);
  e.AddFile(0, 2, Meta(5));
  return e;
}

}  // namespace

TEST_CASE("FirstLogAndApplyWritesManifestAndCurrent") {
  Fixture t;
  auto vs = t.Create();
  CHECK(!t.env->FileExists(CurrentFileName(kDb)));
  uint64_t n = t.AddNewRun(vs.get(), 0, 10);
  uint64_t manifest = vs->ManifestFileNumber();
  CHECK(manifest > n);
  CHECK(t.env->FileExists(ManifestFileName(kDb, manifest)));
  CHECK(t.ReadFile(CurrentFileName(kDb)) ==
        ManifestFileName(kDb, manifest).substr(kDb.size() + 1) + "\n");
  CHECK(t.FileSize(ManifestFileName(kDb, manifest)) > 0);
  CHECK(vs->manifest_bytes_written() >= t.FileSize(ManifestFileName(kDb, manifest)));
  CHECK(vs->current()->TotalFiles() == 1);
  // A second edit appends to the same manifest.
  uint64_t size = t.FileSize(ManifestFileName(kDb, manifest));
  t.AddNewRun(vs.get(), 1, 20);
  CHECK(vs->ManifestFileNumber() == manifest);
  CHECK(t.FileSize(ManifestFileName(kDb, manifest)) > size);
}

TEST_CASE("RecoverWithoutCurrentIsNotFound") {
  Fixture t;
  auto vs = t.NewVersionSet();
  CHECK(vs->Recover().IsNotFound());
}

TEST_CASE("RecoverRestoresFilesAndCounters") {
  Fixture t;
  auto vs = t.Create();
  VersionEdit e1;
  uint64_t f1 = vs->NewFileNumber();
  uint64_t f2 = vs->NewFileNumber();
  uint64_t r1 = vs->NewRunId();
  e1.AddFile(0, r1, Meta(f1));
  e1.AddFile(0, r1, Meta(f2));
  e1.SetLogNumber(7);
  vs->SetLastSequence(1234);
  t.MustApply(vs.get(), &e1);
  VersionEdit e2;
  uint64_t f3 = vs->NewFileNumber();
  e2.AddFile(3, vs->NewRunId(), Meta(f3));
  e2.RemoveFile(0, r1, f1);
  e2.SetLogNumber(9);
  vs->SetLastSequence(5678);
  t.MustApply(vs.get(), &e2);
  // Numbers handed out but not logged are not remembered: only what an
  // edit recorded is. Take a run id and a file number now, unlogged.
  std::shared_ptr<const Version> before = vs->current();
  CHECK(before->TotalFiles() == 2);
  CHECK(vs->LogNumber() == 9);

  auto vs2 = t.Recover();
  CheckSameVersion(*before, *vs2->current());
  Counters a = TakeCounters(vs.get());
  Counters b = TakeCounters(vs2.get());
  CheckSameCounters(a, b);
  CHECK(b.last_sequence == 5678);
  CHECK(b.log_number == 9);
  CHECK(b.next_file > f3);
  CHECK(b.next_file > b.manifest);
}

TEST_CASE("ManyEditsAcrossReopensRecoverExactly") {
  Fixture t;
  t.options.num_levels = 5;
  auto vs = t.Create();
  Random rnd(301);
  SequenceNumber seq = 0;
  uint64_t log = 0;
  std::set<uint64_t> manifests;
  for (int i = 0; i < 400; ++i) {
    VersionEdit e;
    std::shared_ptr<const Version> v = vs->current();
    // Remove some live files, moving some into one new run at the last
    // level.
    uint64_t move_run = 0;
    for (int l = 0; l < v->num_levels(); ++l) {
      for (const Run& run : v->level(l).runs) {
        for (const FileRef& f : run.files) {
          if (rnd.OneIn(6)) {
            e.RemoveFile(l, run.id, f->number);
            if (rnd.OneIn(3)) {
              if (move_run == 0) move_run = vs->NewRunId();
              e.AddFile(t.options.num_levels - 1, move_run, *f);
            }
          }
        }
      }
    }
    // Add files to a new run or to an existing one.
    int adds = static_cast<int>(rnd.Uniform(4));
    for (int a = 0; a < adds; ++a) {
      int level = static_cast<int>(rnd.Uniform(t.options.num_levels - 1));
      uint64_t run;
      if (!v->level(level).runs.empty() && rnd.OneIn(2)) {
        run = v->level(level).runs[rnd.Uniform(v->level(level).runs.size())].id;
      } else {
        run = vs->NewRunId();
      }
      e.AddFile(level, run, Meta(vs->NewFileNumber(), 1 + rnd.Uniform(1 << 20)));
    }
    seq += rnd.Uniform(1000);
    vs->SetLastSequence(seq);
    if (rnd.OneIn(4)) {
      log += 1 + rnd.Uniform(3);
      e.SetLogNumber(log);
    }
    t.MustApply(vs.get(), &e);
    manifests.insert(vs->ManifestFileNumber());
    if (i % 97 == 96) {
      // Reopen: the next edit starts a new manifest with a snapshot.
      std::shared_ptr<const Version> cur = vs->current();
      vs = t.Recover();
      CheckSameVersion(*cur, *vs->current());
    }
  }
  CHECK(manifests.size() >= 4);
  CHECK(vs->current()->TotalFiles() > 10);
  auto vs2 = t.Recover();
  CheckSameVersion(*vs->current(), *vs2->current());
  CheckSameCounters(TakeCounters(vs.get()), TakeCounters(vs2.get()));
}

TEST_CASE("TornFinalRecordRecoversThePreviousState") {
  for (uint64_t cut : {1, 3, 7, 12}) {
    CAPTURE(cut);
    Fixture t;
    auto vs = t.Create();
    t.AddNewRun(vs.get(), 0, 10);
    t.AddNewRun(vs.get(), 1, 20);
    std::shared_ptr<const Version> before = vs->current();
    uint64_t manifest = vs->ManifestFileNumber();
    std::string fname = ManifestFileName(kDb, manifest);
    uint64_t size_before = t.FileSize(fname);
    t.AddNewRun(vs.get(), 0, 30);
    uint64_t size_after = t.FileSize(fname);
    REQUIRE(size_after - size_before > cut);
    vs.reset();
    std::string data = t.ReadFile(fname);
    t.WriteFile(fname, data.substr(0, data.size() - cut));

    auto vs2 = t.Recover();
    CheckSameVersion(*before, *vs2->current());
    CHECK(vs2->LastSequence() == 20);
  }
}

TEST_CASE("FlippedBitInTheMiddleIsCorruptionNamingTheManifest") {
  Fixture t;
  auto vs = t.Create();
  t.AddNewRun(vs.get(), 0, 10);
  std::string fname = ManifestFileName(kDb, vs->ManifestFileNumber());
  uint64_t start = t.FileSize(fname);
  t.AddNewRun(vs.get(), 0, 20);
  uint64_t end = t.FileSize(fname);
  t.AddNewRun(vs.get(), 0, 30);
  t.AddNewRun(vs.get(), 0, 40);
  vs.reset();
  // The last byte of the second edit's record: payload, covered by its
  // checksum. Valid records follow.
  REQUIRE(end > start);
  std::string data = t.ReadFile(fname);
  data[end - 1] ^= 0x10;
  t.WriteFile(fname, data);

  auto vs2 = t.NewVersionSet();
  Status s = vs2->Recover();
  CHECK_MESSAGE(s.IsCorruption(), s.ToString());
  CHECK(s.ToString().find(fname) != std::string::npos);
  CHECK(vs2->current()->TotalFiles() == 0);
}

TEST_CASE("FlippedBitInTheFinalRecordIsATornTail") {
  Fixture t;
  auto vs = t.Create();
  t.AddNewRun(vs.get(), 0, 10);
  std::shared_ptr<const Version> before = vs->current();
  std::string fname = ManifestFileName(kDb, vs->ManifestFileNumber());
  t.AddNewRun(vs.get(), 0, 20);
  vs.reset();
  std::string data = t.ReadFile(fname);
  data[data.size() - 1] ^= 0x01;
  t.WriteFile(fname, data);
  auto vs2 = t.Recover();
  CheckSameVersion(*before, *vs2->current());
}

// Regression (corruption sweep): a damaged last edit that had taken effect
// (the tables it replaced are gone) was read as a torn write, and the open
// went on with an older state, losing data and deleting the newer tables.
TEST_CASE("DamagedFinalEditWhoseReplacedTablesAreGoneIsCorruption") {
  Fixture t;
  auto vs = t.Create();
  uint64_t old_table = t.AddNewRun(vs.get(), 0, 10);
  std::string fname = ManifestFileName(kDb, vs->ManifestFileNumber());
  t.AddNewRun(vs.get(), 0, 20);
  vs.reset();
  REQUIRE(t.env->RemoveFile(TableFileName(kDb, old_table)).ok());
  std::string data = t.ReadFile(fname);
  data[data.size() - 1] ^= 0x01;
  t.WriteFile(fname, data);
  auto vs2 = t.NewVersionSet();
  Status s = vs2->Recover();
  CHECK_MESSAGE(s.IsCorruption(), s.ToString());
  CHECK(s.ToString().find(fname + " at offset ") != std::string::npos);
  CHECK(s.ToString().find(TableFileName(kDb, old_table)) != std::string::npos);
}

TEST_CASE("CurrentNamingAMissingManifestIsCorruption") {
  Fixture t;
  auto vs = t.Create();
  t.AddNewRun(vs.get(), 0, 10);
  vs.reset();
  t.WriteFile(CurrentFileName(kDb), "MANIFEST-000099\n");
  auto vs2 = t.NewVersionSet();
  Status s = vs2->Recover();
  CHECK_MESSAGE(s.IsCorruption(), s.ToString());
  CHECK(s.ToString().find("MANIFEST-000099") != std::string::npos);
}

TEST_CASE("MalformedCurrentIsCorruption") {
  for (const char* current : {"", "MANIFEST-000002", "000002.log\n", "../MANIFEST-000002\n",
                              "garbage\n"}) {
    CAPTURE(current);
    Fixture t;
    auto vs = t.Create();
    t.AddNewRun(vs.get(), 0, 10);
    vs.reset();
    t.WriteFile(CurrentFileName(kDb), current);
    auto vs2 = t.NewVersionSet();
    Status s = vs2->Recover();
    CHECK_MESSAGE(s.IsCorruption(), s.ToString());
  }
}

TEST_CASE("NewerManifestFormatVersionIsInvalidArgument") {
  Fixture t;
  t.WriteManifest(5, {SnapshotEdit(99)});
  auto vs = t.NewVersionSet();
  Status s = vs->Recover();
  CHECK_MESSAGE(s.IsInvalidArgument(), s.ToString());
  CHECK(s.ToString().find("99") != std::string::npos);
  CHECK(vs->current()->TotalFiles() == 0);
}

TEST_CASE("HandWrittenVersion1ManifestIsRead") {
  // The control for the test above: the same manifest with version 1.
  Fixture t;
  t.WriteManifest(5, {SnapshotEdit(kManifestFormatVersion)});
  auto vs = t.Recover();
  CHECK(vs->current()->TotalFiles() == 1);
  CHECK(vs->LastSequence() == 100);
  CHECK(vs->LogNumber() == 3);
  CHECK(vs->ManifestFileNumber() == 5);
  CHECK(vs->NewFileNumber() == 10);
  CHECK(vs->NewRunId() == 4);
}

TEST_CASE("FirstEditWithoutFormatVersionIsCorruption") {
  Fixture t;
  VersionEdit e = SnapshotEdit(1);
  VersionEdit no_version;
  no_version.SetLogNumber(3);
  no_version.SetNextFileNumber(10);
  no_version.SetLastSequence(100);
  t.WriteManifest(5, {no_version, e});
  auto vs = t.NewVersionSet();
  CHECK(vs->Recover().IsCorruption());
}

TEST_CASE("ManifestWithoutCountersIsCorruption") {
  Fixture t;
  VersionEdit e;
  e.SetFormatVersion(1);
  e.AddFile(0, 1, Meta(5));
  t.WriteManifest(5, {e});
  auto vs = t.NewVersionSet();
  CHECK(vs->Recover().IsCorruption());
}

TEST_CASE("ManifestEditThatBreaksTheTreeIsCorruption") {
  Fixture t;
  VersionEdit bad;
  bad.RemoveFile(0, 2, 77);  // not there
  t.WriteManifest(5, {SnapshotEdit(1), bad});
  auto vs = t.NewVersionSet();
  Status s = vs->Recover();
  CHECK_MESSAGE(s.IsCorruption(), s.ToString());
  CHECK(s.ToString().find("MANIFEST-000005") != std::string::npos);
}

TEST_CASE("ManifestWithMoreLevelsThanOptionsIsInvalidArgument") {
  Fixture t;
  t.options.num_levels = 7;
  auto vs = t.Create();
  t.AddNewRun(vs.get(), 6, 10);
  vs.reset();
  t.options.num_levels = 4;
  auto vs2 = t.NewVersionSet();
  CHECK(vs2->Recover().IsInvalidArgument());
}

TEST_CASE("RejectedEditWritesNothingAndChangesNothing") {
  Fixture t;
  auto vs = t.Create();
  VersionEdit e;
  e.SetLogNumber(5);
  e.AddFile(0, vs->NewRunId(), Meta(vs->NewFileNumber()));
  t.MustApply(vs.get(), &e);
  std::shared_ptr<const Version> before = vs->current();
  std::string fname = ManifestFileName(kDb, vs->ManifestFileNumber());
  uint64_t size = t.FileSize(fname);

  VersionEdit missing;
  missing.RemoveFile(0, 12345, 1);
  CHECK(t.Apply(vs.get(), &missing).IsCorruption());
  VersionEdit backwards;
  backwards.SetLogNumber(4);
  CHECK(t.Apply(vs.get(), &backwards).IsInvalidArgument());
  CHECK(vs->current() == before);
  CHECK(vs->LogNumber() == 5);
  CHECK(t.FileSize(fname) == size);
}

TEST_CASE("SyncErrorLeavesCurrentVersionAndNextEditStartsNewManifest") {
  Fixture t;
  FaultInjectionEnv fault(t.mem.get());
  t.env = &fault;
  auto vs = t.Create();
  t.AddNewRun(vs.get(), 0, 10);
  t.AddNewRun(vs.get(), 1, 20);
  std::shared_ptr<const Version> before = vs->current();
  uint64_t old_manifest = vs->ManifestFileNumber();
  uint64_t log_before = vs->LogNumber();

  fault.InjectError(FaultInjectionEnv::OpKind::kSync, 1, Status::IOError("injected sync"),
                    /*sticky=*/false);
  VersionEdit failed;
  uint64_t lost = vs->NewFileNumber();
  failed.AddFile(0, vs->NewRunId(), Meta(lost));
  failed.SetLogNumber(log_before + 10);
  vs->SetLastSequence(30);
  Status s = t.Apply(vs.get(), &failed);
  CHECK_MESSAGE(s.IsIOError(), s.ToString());
  CHECK(vs->current() == before);
  CHECK(vs->LogNumber() == log_before);
  CHECK(vs->ManifestFileNumber() == old_manifest);

  // The next edit succeeds in a new manifest named by CURRENT.
  uint64_t added = t.AddNewRun(vs.get(), 0, 40);
  CHECK(vs->ManifestFileNumber() != old_manifest);
  CHECK(t.ReadFile(CurrentFileName(kDb)) ==
        ManifestFileName(kDb, vs->ManifestFileNumber()).substr(kDb.size() + 1) + "\n");
  CHECK(vs->current()->TotalFiles() == 3);

  auto vs2 = t.Recover();
  CheckSameVersion(*vs->current(), *vs2->current());
  CheckSameCounters(TakeCounters(vs.get()), TakeCounters(vs2.get()));
  std::set<uint64_t> live;
  vs2->AddLiveFiles(&live);
  CHECK(live.count(lost) == 0);
  CHECK(live.count(added) == 1);
}

TEST_CASE("SyncErrorOnTheFirstManifestLeavesNoCurrent") {
  Fixture t;
  FaultInjectionEnv fault(t.mem.get());
  t.env = &fault;
  auto vs = t.Create();
  fault.InjectError(FaultInjectionEnv::OpKind::kSync, 1, Status::IOError("injected sync"),
                    /*sticky=*/false);
  VersionEdit e;
  e.AddFile(0, vs->NewRunId(), Meta(vs->NewFileNumber()));
  CHECK(t.Apply(vs.get(), &e).IsIOError());
  CHECK(vs->current()->TotalFiles() == 0);
  CHECK(!t.env->FileExists(CurrentFileName(kDb)));
  t.AddNewRun(vs.get(), 0, 5);
  auto vs2 = t.Recover();
  CheckSameVersion(*vs->current(), *vs2->current());
  CHECK(vs2->current()->TotalFiles() == 1);
}

TEST_CASE("FailedCurrentSwitchKeepsTheOldStateRecoverable") {
  Fixture t;
  FaultInjectionEnv fault(t.mem.get());
  t.env = &fault;
  auto vs = t.Create();
  t.AddNewRun(vs.get(), 0, 10);
  // After a reopen the next edit starts a new manifest; the rename of
  // CURRENT onto it fails.
  vs = t.Recover();
  uint64_t old_manifest = vs->ManifestFileNumber();
  std::shared_ptr<const Version> before = vs->current();
  fault.InjectError(FaultInjectionEnv::OpKind::kRename, 1, Status::IOError("injected rename"),
                    false);
  VersionEdit e;
  e.AddFile(0, vs->NewRunId(), Meta(vs->NewFileNumber()));
  CHECK(t.Apply(vs.get(), &e).IsIOError());
  CHECK(vs->current() == before);
  CHECK(vs->ManifestFileNumber() == old_manifest);
  {
    // CURRENT still names the old manifest, which holds `before`.
    auto mid = t.Recover();
    CHECK(mid->ManifestFileNumber() == old_manifest);
    CheckSameVersion(*before, *mid->current());
  }
  t.AddNewRun(vs.get(), 2, 50);
  CHECK(vs->ManifestFileNumber() != old_manifest);
  auto vs2 = t.Recover();
  CheckSameVersion(*vs->current(), *vs2->current());
  CHECK(vs2->current()->TotalFiles() == 2);
}

TEST_CASE("AddLiveFilesIncludesVersionsHeldByReaders") {
  Fixture t;
  auto vs = t.Create();
  uint64_t a = t.AddNewRun(vs.get(), 0, 10);
  std::shared_ptr<const Version> held = vs->current();
  uint64_t run = held->level(0).runs[0].id;
  VersionEdit remove;
  remove.RemoveFile(0, run, a);
  t.MustApply(vs.get(), &remove);
  uint64_t b = t.AddNewRun(vs.get(), 0, 20);
  std::set<uint64_t> live;
  vs->AddLiveFiles(&live);
  CHECK(live == std::set<uint64_t>{a, b});
  held.reset();
  live.clear();
  vs->AddLiveFiles(&live);
  CHECK(live == std::set<uint64_t>{b});
}

// Regression: LogAndApply used to read the counters for a new manifest's
// snapshot after releasing the mutex, racing writers that change them under
// it (caught by TSan on this test).
TEST_CASE("CountersChangedUnderTheMutexWhileANewManifestIsWrittenAreNotRaced") {
  // The DB's writers move the last sequence and take file numbers under
  // the mutex while the background worker is inside LogAndApply (which
  // releases the mutex while it writes). Each failed sync forces the next
  // LogAndApply to start a new manifest with a snapshot of the counters.
  Fixture t;
  FaultInjectionEnv fault(t.mem.get());
  t.env = &fault;
  auto vs = t.Create();
  auto apply_new_run = [&](Status* s) {
    port::MutexLock l(&t.mu);
    VersionEdit e;
    e.AddFile(0, vs->NewRunId(), Meta(vs->NewFileNumber()));
    *s = vs->LogAndApply(&e, &t.mu);
  };
  Status s;
  apply_new_run(&s);
  REQUIRE(s.ok());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop.load()) {
      port::MutexLock l(&t.mu);
      vs->SetLastSequence(vs->LastSequence() + 1);
      vs->NewFileNumber();
    }
  });
  for (int i = 0; i < 30; ++i) {
    fault.InjectError(FaultInjectionEnv::OpKind::kSync, 1, Status::IOError("injected sync"),
                      false);
    apply_new_run(&s);
    CHECK(s.IsIOError());
    apply_new_run(&s);  // a new manifest
    CHECK_MESSAGE(s.ok(), s.ToString());
  }
  stop.store(true);
  writer.join();
  std::shared_ptr<const Version> cur;
  {
    port::MutexLock l(&t.mu);
    cur = vs->current();
  }
  auto vs2 = t.Recover();
  CheckSameVersion(*cur, *vs2->current());
  CHECK(cur->TotalFiles() == 31);
}
