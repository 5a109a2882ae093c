// Tests of VerifyDB and RepairDB (firn/repair.h) on deliberately damaged
// databases: damaged and truncated SST files, a damaged manifest, a
// missing CURRENT, a WAL damaged in the middle. Repair must leave a
// database that opens and holds everything that was not damaged.
#include "firn/repair.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "db/filename.h"
#include "firn/db.h"
#include "port/env.h"

using namespace firn;

namespace {

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

std::string Value(int i, int version = 0) {
  return "value-" + std::to_string(i) + "-v" + std::to_string(version) + std::string(20, 'x');
}

// A database in an in-memory Env, with small files and blocks so a few
// thousand keys make several SST files of many blocks.
struct TestDB {
  std::unique_ptr<Env> env = NewMemEnv();
  Options options;
  std::string path = "/db";
  std::unique_ptr<DB> db;

  TestDB() {
    options.env = env.get();
    options.compaction = CompactionStyle::kTiered;
    options.memtable_bytes = 64 << 10;
    options.sst_target_bytes = 64 << 10;
    options.block_bytes = 1024;
    options.compression = CompressionType::kNone;
  }
  void Open() {
    db.reset();
    Status s = DB::Open(options, path, &db);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
  }
  void Close() {
    if (db) REQUIRE(db->Close().ok());
    db.reset();
  }
  void Put(int first, int last, int version = 0) {
    for (int i = first; i < last; ++i) {
      REQUIRE(db->Put(WriteOptions(), Key(i), Value(i, version)).ok());
    }
  }
  // Every key and value, read through a fresh open.
  std::map<std::string, std::string> Contents() {
    Open();
    std::map<std::string, std::string> r;
    std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) r[std::string(it->key())] = it->value();
    REQUIRE_MESSAGE(it->status().ok(), it->status().ToString());
    it.reset();
    Close();
    return r;
  }
  // The largest log: the one holding the writes (an empty one may have
  // been prepared ahead).
  std::string BiggestLog() {
    std::string best;
    size_t best_size = 0;
    for (const std::string& f : Files(FileType::kLog)) {
      const size_t size = Read(f).size();
      if (best.empty() || size > best_size) {
        best = f;
        best_size = size;
      }
    }
    REQUIRE(!best.empty());
    return best;
  }
  std::vector<std::string> Files(FileType want) {
    std::vector<std::string> children, r;
    REQUIRE(env->GetChildren(path, &children).ok());
    for (const std::string& name : children) {
      uint64_t number;
      FileType type;
      if (ParseFileName(name, &number, &type) && type == want) r.push_back(path + "/" + name);
    }
    std::sort(r.begin(), r.end());
    return r;
  }
  std::string Read(const std::string& fname) {
    std::string data;
    REQUIRE(ReadFileToString(env.get(), fname, &data).ok());
    return data;
  }
  void Write(const std::string& fname, const std::string& data) {
    REQUIRE(WriteStringToFile(env.get(), data, fname, false).ok());
  }
  void FlipByte(const std::string& fname, size_t offset) {
    std::string data = Read(fname);
    REQUIRE(offset < data.size());
    data[offset] = static_cast<char>(data[offset] ^ 0x5a);
    Write(fname, data);
  }
  VerifyReport Verify(Status* s) {
    VerifyReport report;
    *s = VerifyDB(path, options, &report);
    return report;
  }
  RepairReport Repair() {
    RepairReport report;
    Status s = RepairDB(path, options, &report);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    return report;
  }
};

std::string Joined(const std::vector<std::string>& lines) {
  std::string r;
  for (const std::string& l : lines) r += l + "\n";
  return r;
}

// Every value in `got` is the one in `want`.
void CheckSubset(const std::map<std::string, std::string>& got,
                 const std::map<std::string, std::string>& want) {
  for (const auto& [k, v] : got) {
    auto it = want.find(k);
    REQUIRE_MESSAGE(it != want.end(), "unexpected key " << k);
    CHECK_MESSAGE(it->second == v, "wrong value for " << k);
  }
}

// Builds keys [0, n) in SST files only (flushed and compacted; no WAL data).
std::map<std::string, std::string> BuildFlushed(TestDB* t, int n) {
  t->Open();
  t->Put(0, n);
  REQUIRE(t->db->CompactAll().ok());
  t->Close();
  std::map<std::string, std::string> want;
  for (int i = 0; i < n; ++i) want[Key(i)] = Value(i);
  return want;
}

}  // namespace

TEST_CASE("VerifyCleanDatabaseFindsNoProblems") {
  TestDB t;
  BuildFlushed(&t, 3000);
  t.Open();
  t.Put(3000, 3100);  // some data only in the WAL
  t.Close();
  Status s;
  VerifyReport r = t.Verify(&s);
  CHECK_MESSAGE(s.ok(), s.ToString() << "\n" << Joined(r.problems));
  CHECK(r.problems.empty());
  CHECK(r.files_checked >= 3);  // tables, a log, the manifest
  CHECK(r.blocks_checked > 50);
  CHECK(r.records_checked >= 100);
  CHECK(r.bytes_checked > 100000);
}

TEST_CASE("VerifyReportsFileAndOffsetOfEveryDamagedBlock") {
  TestDB t;
  BuildFlushed(&t, 3000);
  std::vector<std::string> tables = t.Files(FileType::kTable);
  REQUIRE(!tables.empty());
  t.FlipByte(tables[0], 5);      // in the first data block
  t.FlipByte(tables[0], 20000);  // in a later one
  Status s;
  VerifyReport r = t.Verify(&s);
  CHECK(s.IsCorruption());
  REQUIRE(r.problems.size() == 2);
  CHECK(r.problems[0] == tables[0] + " at offset 0: block checksum mismatch");
  const std::string prefix = tables[0] + " at offset ";
  REQUIRE(r.problems[1].starts_with(prefix));
  const uint64_t offset = std::stoull(r.problems[1].substr(prefix.size()));
  CHECK(offset <= 20000);
  CHECK(offset > 20000 - 1200);
  CHECK(std::string(s.message()) == r.problems[0]);
}

TEST_CASE("VerifyAndRepairAreBusyWhileTheDatabaseIsOpen") {
  TestDB t;
  BuildFlushed(&t, 10);
  t.Open();
  Status s;
  t.Verify(&s);
  CHECK(s.IsBusy());
  RepairReport rr;
  CHECK(RepairDB(t.path, t.options, &rr).IsBusy());
  t.Close();
}

TEST_CASE("VerifyAndRepairRefuseADirectoryWithoutDatabase") {
  TestDB t;
  Status s;
  t.Verify(&s);
  CHECK(s.IsInvalidArgument());
  RepairReport rr;
  CHECK(RepairDB(t.path, t.options, &rr).IsInvalidArgument());
}

TEST_CASE("RepairOfIntactDatabaseKeepsNewestVersionsAndDropsDeletedKeys") {
  TestDB t;
  t.Open();
  t.Put(0, 2000, 0);
  REQUIRE(t.db->Flush().ok());
  t.Put(0, 1000, 1);  // newer versions in a newer run
  REQUIRE(t.db->Flush().ok());
  for (int i = 0; i < 100; ++i) REQUIRE(t.db->Delete(WriteOptions(), Key(i)).ok());
  t.Put(1500, 1600, 2);  // newest, only in the WAL
  t.Close();
  const std::map<std::string, std::string> want = t.Contents();
  REQUIRE(want.size() == 1900);

  RepairReport r = t.Repair();
  CHECK(r.tables_salvaged == 0);
  CHECK(r.tables_dropped == 0);
  CHECK(r.tables_kept >= 2);
  CHECK(r.logs_replayed >= 1);
  CHECK(r.log_bytes_dropped == 0);
  CHECK(r.entries_recovered == 1900);
  CHECK(r.entries_lost_estimate == 0);
  CHECK(t.Contents() == want);

  // Writes after the repair are newer than everything salvaged.
  t.Open();
  REQUIRE(t.db->Put(WriteOptions(), Key(1550), "after").ok());
  t.Close();
  CHECK(t.Contents().at(Key(1550)) == "after");
  Status s;
  VerifyReport vr = t.Verify(&s);
  CHECK_MESSAGE(s.ok(), Joined(vr.problems));
}

TEST_CASE("RepairOfDamagedSstBlockKeepsTheOtherBlocks") {
  TestDB t;
  const std::map<std::string, std::string> want = BuildFlushed(&t, 3000);
  std::vector<std::string> tables = t.Files(FileType::kTable);
  REQUIRE(tables.size() >= 2);
  t.FlipByte(tables[0], 20000);

  RepairReport r = t.Repair();
  CHECK(r.tables_salvaged == 1);
  CHECK(r.tables_dropped == 0);
  CHECK(r.tables_kept == tables.size() - 1);
  const std::map<std::string, std::string> got = t.Contents();
  CheckSubset(got, want);
  // One block of ~1 KiB held a few dozen entries; the report counts them
  // exactly because the manifest recorded the file's entry count.
  const uint64_t lost = want.size() - got.size();
  CHECK(lost > 0);
  CHECK(lost < 40);
  CHECK(r.entries_lost_estimate == lost);
  CHECK(r.entries_recovered == got.size());
  CHECK(Joined(r.notes).find(tables[0] + " at offset ") != std::string::npos);
  // The damaged original is kept aside, and the result verifies clean.
  CHECK(t.env->FileExists(t.path + "/lost/" + tables[0].substr(t.path.size() + 1)));
  Status s;
  VerifyReport vr = t.Verify(&s);
  CHECK_MESSAGE(s.ok(), Joined(vr.problems));
}

TEST_CASE("RepairOfTruncatedSstRecoversTheBlocksBeforeTheCut") {
  TestDB t;
  const std::map<std::string, std::string> want = BuildFlushed(&t, 3000);
  std::vector<std::string> tables = t.Files(FileType::kTable);
  REQUIRE(tables.size() >= 2);
  std::string data = t.Read(tables[0]);
  t.Write(tables[0], data.substr(0, data.size() / 2));

  Status s;
  VerifyReport vr = t.Verify(&s);
  CHECK(s.IsCorruption());
  REQUIRE(!vr.problems.empty());
  CHECK(vr.problems[0].starts_with(tables[0]));

  RepairReport r = t.Repair();
  CHECK(r.tables_salvaged == 1);
  const std::map<std::string, std::string> got = t.Contents();
  CheckSubset(got, want);
  const uint64_t lost = want.size() - got.size();
  // About half of the first file survives: its data blocks before the cut.
  CHECK(lost > 50);
  CHECK(lost < 1000);
  CHECK(r.entries_lost_estimate == lost);
}

TEST_CASE("RepairOfDamagedManifestRebuildsFromAllFiles") {
  TestDB t;
  std::map<std::string, std::string> want = BuildFlushed(&t, 2000);
  t.Open();
  t.Put(2000, 2100);
  t.Close();
  for (int i = 2000; i < 2100; ++i) want[Key(i)] = Value(i);
  std::vector<std::string> manifests = t.Files(FileType::kManifest);
  REQUIRE(manifests.size() == 1);
  t.FlipByte(manifests[0], 30);  // inside the snapshot record
  std::unique_ptr<DB> db;
  CHECK(!DB::Open(t.options, t.path, &db).ok());

  Status s;
  VerifyReport vr = t.Verify(&s);
  CHECK(s.IsCorruption());
  REQUIRE(!vr.problems.empty());
  CHECK(vr.problems[0].find(manifests[0]) != std::string::npos);

  RepairReport r = t.Repair();
  CHECK(r.entries_recovered == want.size());
  CHECK(t.Contents() == want);
  CHECK(t.env->FileExists(t.path + "/lost/" + manifests[0].substr(t.path.size() + 1)));
}

TEST_CASE("RepairAfterCurrentWasDeletedRecoversEverything") {
  TestDB t;
  std::map<std::string, std::string> want = BuildFlushed(&t, 2000);
  REQUIRE(t.env->RemoveFile(CurrentFileName(t.path)).ok());
  Status s;
  VerifyReport vr = t.Verify(&s);
  CHECK(s.IsCorruption());
  REQUIRE(!vr.problems.empty());
  CHECK(vr.problems[0] == CurrentFileName(t.path) + ": missing");

  RepairReport r = t.Repair();
  CHECK(r.entries_recovered == want.size());
  CHECK(t.Contents() == want);
}

TEST_CASE("RepairOfWalDamagedInTheMiddleKeepsRecordsOnBothSides") {
  TestDB t;
  t.options.memtable_bytes = 4 << 20;  // everything stays in the WAL
  t.Open();
  // Enough puts for four blocks of the compressed WAL.
  constexpr int kPuts = 5000;
  t.Put(0, kPuts);
  t.Close();
  const std::vector<std::string> logs = {t.BiggestLog()};
  REQUIRE(t.Read(logs[0]).size() > 3 * 32768);
  t.FlipByte(logs[0], 40000);  // in block 1

  Status s;
  VerifyReport vr = t.Verify(&s);
  CHECK(s.IsCorruption());
  REQUIRE(vr.problems.size() == 1);
  CHECK(vr.problems[0].starts_with(logs[0] + " at offset "));

  RepairReport r = t.Repair();
  CHECK(r.logs_replayed >= 1);
  CHECK(r.log_bytes_dropped > 0);
  CHECK(r.log_bytes_dropped <= 32768);
  const std::map<std::string, std::string> got = t.Contents();
  std::map<std::string, std::string> want;
  for (int i = 0; i < kPuts; ++i) want[Key(i)] = Value(i);
  CheckSubset(got, want);
  // What is missing is one contiguous stretch of writes inside block 1
  // (in a version-3 WAL, from the damaged record to the block's end: the
  // records after it in its block decode only with it).
  CHECK(got.count(Key(0)) == 1);
  CHECK(got.count(Key(kPuts - 1)) == 1);
  int first_missing = -1, last_missing = -1;
  for (int i = 0; i < kPuts; ++i) {
    if (got.count(Key(i)) == 0) {
      if (first_missing < 0) first_missing = i;
      last_missing = i;
    }
  }
  REQUIRE(first_missing > 0);
  CHECK(static_cast<size_t>(last_missing - first_missing + 1) == kPuts - got.size());
  CHECK(t.env->FileExists(t.path + "/lost/" + logs[0].substr(t.path.size() + 1)));
}

TEST_CASE("RepairOfWalResumesAfterAFragmentedRecordWhoseStartIsDamaged") {
  TestDB t;
  t.options.memtable_bytes = 4 << 20;
  t.Open();
  t.Put(0, 10);
  // A 40 KB value spans blocks 0 and 1: its first fragment is damaged
  // below, so the reader meets its last fragment without a first.
  // Incompressible, so it spans the blocks also in a compressed WAL.
  std::string big(40000, '\0');
  uint32_t x = 1;
  for (char& c : big) c = static_cast<char>((x = x * 1103515245u + 12345u) >> 16);
  REQUIRE(t.db->Put(WriteOptions(), "big", big).ok());
  t.Put(10, 20);
  t.Close();
  const std::vector<std::string> logs = {t.BiggestLog()};
  t.FlipByte(logs[0], 10000);

  RepairReport r = t.Repair();
  const std::map<std::string, std::string> got = t.Contents();
  CHECK(got.count("big") == 0);
  for (int i = 0; i < 20; ++i) CHECK_MESSAGE(got.count(Key(i)) == 1, Key(i));
  CHECK(got.size() == 20);
}

TEST_CASE("RepairOfLogWithDamagedHeaderReadsTheLaterBlocks") {
  TestDB t;
  t.options.memtable_bytes = 4 << 20;
  t.Open();
  t.Put(0, 2000);
  t.Close();
  const std::vector<std::string> logs = {t.BiggestLog()};
  t.FlipByte(logs[0], 2);  // the header record's checksum

  RepairReport r = t.Repair();
  const std::map<std::string, std::string> got = t.Contents();
  std::map<std::string, std::string> want;
  for (int i = 0; i < 2000; ++i) want[Key(i)] = Value(i);
  CheckSubset(got, want);
  CHECK(got.count(Key(1999)) == 1);
  CHECK(got.count(Key(0)) == 0);
  // Block 0, and perhaps the tail of a record continuing into block 1.
  CHECK(r.log_bytes_dropped >= 32768);
  CHECK(r.log_bytes_dropped < 32768 + 200);
}
