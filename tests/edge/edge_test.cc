// Tests of the edge-device features (docs/edge.md): background = none and
// DB::Maintain, the memory budget's derived options, lifetime wear counters
// kept in the manifest (format version 2, version 1 still read), and file
// offsets past 4 GiB on 32-bit targets.
#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "db/filename.h"
#include "doctest/doctest.h"
#include "firn/db.h"
#include "firn/firn.h"
#include "port/env.h"
#include "version/version_edit.h"
#include "wal/log_writer.h"

namespace firn {
namespace {

std::string TestDir(const char* name) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/firn_edge_" + name + "_" +
                    std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

int ThreadCount() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/task");
  if (d == nullptr) return -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') n++;
  }
  ::closedir(d);
  return n;
}

// The value of "name N" in a property of such lines (-1 if absent).
double PropertyField(DB* db, const char* property, const std::string& field) {
  std::string v;
  if (!db->GetProperty(property, &v)) return -1;
  size_t pos = v.find(field + " ");
  if (pos == std::string::npos) return -1;
  return std::strtod(v.c_str() + pos + field.size() + 1, nullptr);
}

// The integer counter `name` of firn.stats.json.
uint64_t Stat(DB* db, const std::string& name) {
  std::string v;
  REQUIRE(db->GetProperty("firn.stats.json", &v));
  size_t pos = v.find("\"" + name + "\":");
  REQUIRE(pos != std::string::npos);
  return std::strtoull(v.c_str() + pos + name.size() + 3, nullptr, 10);
}

int MaxRunsPerLevel(DB* db) {
  std::string v;
  REQUIRE(db->GetProperty("firn.levels", &v));
  int level, runs, max = 0;
  const char* p = v.c_str();
  int used;
  while (std::sscanf(p, "%d %d %*d %*d\n%n", &level, &runs, &used) == 2) {
    if (runs > max) max = runs;
    p += used;
  }
  return max;
}

Options SmallOptions(BackgroundMode mode) {
  Options o;
  o.background = mode;
  o.memtable_bytes = 64 << 10;
  o.max_pending_flush_bytes = 64 << 10;
  o.sst_target_bytes = 64 << 10;
  o.compaction = CompactionStyle::kTiered;
  o.max_runs_per_level = 2;
  return o;
}

std::string Key(int i) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "k%08d", i);
  return buf;
}

std::string Value(int i) { return std::string(100, static_cast<char>('a' + i % 26)) + Key(i); }

}  // namespace

TEST_CASE("BackgroundNoneStartsNoThreadWhileThreadModeStartsOne") {
  std::string dir = TestDir("threads");
  for (BackgroundMode mode : {BackgroundMode::kNone, BackgroundMode::kThread}) {
    CAPTURE(static_cast<int>(mode));
    const int before = ThreadCount();
    REQUIRE(before > 0);
    std::unique_ptr<DB> db;
    Options o = SmallOptions(mode);
    REQUIRE(DB::Open(o, dir, &db).ok());
    REQUIRE(db->Put(WriteOptions(), "a", "b").ok());
    const int after = ThreadCount();
    if (mode == BackgroundMode::kNone) {
      CHECK(after == before);
    } else {
#if defined(__SANITIZE_THREAD__)
      // ThreadSanitizer starts a thread of its own with the first one.
      CHECK(after - before >= 1);
#else
      CHECK(after - before == 1);
#endif
    }
    REQUIRE(db->Close().ok());
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("BackgroundOptionParsesAndRoundTrips") {
  Options o;
  CHECK(o.Set("background", "none").ok());
  CHECK(o.background == BackgroundMode::kNone);
  CHECK(OptionsToString(o).find("background=none\n") != std::string::npos);
  CHECK(o.Set("background", "THREAD").ok());
  CHECK(o.background == BackgroundMode::kThread);
  CHECK(o.Set("background", "fibers").IsInvalidArgument());
  CHECK(o.background == BackgroundMode::kThread);
  CHECK(o.Set("memory_budget_bytes", "8M").ok());
  CHECK(o.memory_budget_bytes == (8u << 20));
  CHECK(o.Validate().ok());
  o.memory_budget_bytes = 1000;  // below 1 MiB
  CHECK(o.Validate().IsInvalidArgument());
  CHECK(o.Set("flash_endurance_bytes", "64G").ok());
  CHECK(o.flash_endurance_bytes == (uint64_t{64} << 30));
}

TEST_CASE("NoThreadModeFlushesOnlyInMaintainUntilWritesFallBehind") {
  std::string dir = TestDir("maintain");
  std::unique_ptr<DB> db;
  Options o = SmallOptions(BackgroundMode::kNone);
  o.max_pending_flush_bytes = 1 << 20;  // room for several sealed memtables
  REQUIRE(DB::Open(o, dir, &db).ok());
  for (int i = 0; i < 2000; i++) REQUIRE(db->Put(WriteOptions(), Key(i), Value(i)).ok());
  // No thread and not behind: the sealed memtables wait for Maintain.
  CHECK(Stat(db.get(), "flushes") == 0);
  CHECK(Stat(db.get(), "pending_flush_bytes") > 0);
  // A 1 µs budget runs exactly one step (creating the next log, or a flush).
  uint64_t steps = Stat(db.get(), "maintain_steps");
  CHECK(db->Maintain(1).ok());
  CHECK(Stat(db.get(), "maintain_steps") == steps + 1);
  // A zero budget does nothing.
  CHECK(db->Maintain(0).ok());
  CHECK(Stat(db.get(), "maintain_steps") == steps + 1);
  for (int round = 0; round < 100 && Stat(db.get(), "pending_flush_bytes") > 0; round++) {
    REQUIRE(db->Maintain(1000000).ok());
  }
  CHECK(Stat(db.get(), "pending_flush_bytes") == 0);
  CHECK(Stat(db.get(), "flushes") > 0);
  CHECK(Stat(db.get(), "inline_steps") == 0);
  for (int i = 0; i < 2000; i += 7) {
    std::string v;
    REQUIRE(db->Get(ReadOptions(), Key(i), &v).ok());
    CHECK(v == Value(i));
  }
  REQUIRE(db->Close().ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("NoThreadModeWithoutMaintainKeepsPendingBytesAndRunCapBounded") {
  // The application never calls Maintain: writes do the work inline, so
  // memtables waiting to be flushed stay bounded and the guardrail's run
  // cap holds.
  std::string dir = TestDir("nomaintain");
  std::unique_ptr<DB> db;
  Options o = SmallOptions(BackgroundMode::kNone);
  REQUIRE(DB::Open(o, dir, &db).ok());
  const int run_cap = MaxRunsPerLevel(o) + (MaxRunsPerLevel(o) + 1) / 2;
  uint64_t max_pending = 0;
  int max_runs = 0;
  const int n = 20000;
  for (int i = 0; i < n; i++) {
    REQUIRE(db->Put(WriteOptions(), Key(i * 7919 % n), Value(i)).ok());
    if (i % 500 == 0) {
      max_pending = std::max(max_pending, Stat(db.get(), "pending_flush_bytes"));
      max_runs = std::max(max_runs, MaxRunsPerLevel(db.get()));
    }
  }
  CHECK(Stat(db.get(), "flushes") > 0);
  CHECK(Stat(db.get(), "inline_steps") > 0);
  CHECK(Stat(db.get(), "maintain_steps") == 0);
  // Pending bytes: at most the slowdown threshold plus one memtable (the
  // one sealed as it is crossed) plus its arena rounding.
  CHECK(max_pending <= o.max_pending_flush_bytes + 2 * o.memtable_bytes);
  CHECK(max_runs <= run_cap + 1);  // +1: the flush that trips the cap
  MESSAGE("max write micros (no Maintain calls): "
          << PropertyField(db.get(), "firn.maintain", "max_write_micros")
          << ", max step micros: " << PropertyField(db.get(), "firn.maintain", "max_step_micros"));
  REQUIRE(db->Close().ok());
  // Everything is there after reopen.
  REQUIRE(DB::Open(o, dir, &db).ok());
  std::map<std::string, std::string> expect;
  for (int i = 0; i < n; i++) expect[Key(i * 7919 % n)] = Value(i);
  for (int i = 0; i < n; i += 13) {
    std::string v;
    REQUIRE(db->Get(ReadOptions(), Key(i), &v).ok());
    CHECK(v == expect[Key(i)]);
  }
  REQUIRE(db->Close().ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("FlushAndCompactAllRunOnTheCallersThreadInNoThreadMode") {
  std::string dir = TestDir("flushnone");
  std::unique_ptr<DB> db;
  Options o = SmallOptions(BackgroundMode::kNone);
  REQUIRE(DB::Open(o, dir, &db).ok());
  for (int i = 0; i < 3000; i++) REQUIRE(db->Put(WriteOptions(), Key(i), Value(i)).ok());
  REQUIRE(db->Flush().ok());
  CHECK(Stat(db.get(), "pending_flush_bytes") == 0);
  REQUIRE(db->CompactAll().ok());
  CHECK(Stat(db.get(), "live_runs") == 1);
  std::string v;
  REQUIRE(db->Get(ReadOptions(), Key(1234), &v).ok());
  CHECK(v == Value(1234));
  REQUIRE(db->Close().ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("MaintainIsANoOpWithABackgroundThreadAndFailsWhenClosed") {
  std::string dir = TestDir("maintainthread");
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(SmallOptions(BackgroundMode::kThread), dir, &db).ok());
  CHECK(db->Maintain(1000).ok());
  CHECK(Stat(db.get(), "maintain_steps") == 0);
  REQUIRE(db->Close().ok());
  CHECK(db->Maintain(1000).IsInvalidArgument());
  std::filesystem::remove_all(dir);
}

TEST_CASE("CApiMaintain") {
  std::string dir = TestDir("capi");
  CHECK(firn_maintain(nullptr, 10) == FIRN_INVALID_ARGUMENT);
  firn_options* opts = firn_options_new();
  REQUIRE(firn_options_set(opts, "background", "none") == FIRN_OK);
  REQUIRE(firn_options_set(opts, "memtable_bytes", "64K") == FIRN_OK);
  firn_db* db = nullptr;
  REQUIRE(firn_open(dir.c_str(), opts, &db) == FIRN_OK);
  for (int i = 0; i < 1000; i++) {
    std::string k = Key(i), v = Value(i);
    REQUIRE(firn_put(db, k.data(), k.size(), v.data(), v.size()) == FIRN_OK);
  }
  CHECK(firn_maintain(db, 100000) == FIRN_OK);
  char* wear = firn_property(db, "firn.wear");
  REQUIRE(wear != nullptr);
  CHECK(std::string(wear).find("lifetime_device_bytes_written ") != std::string::npos);
  firn_free(wear);
  CHECK(firn_close(db) == FIRN_OK);
  firn_options_free(opts);
  std::filesystem::remove_all(dir);
}

TEST_CASE("WearCountersSurviveReopenAndProjectLifetime") {
  std::string dir = TestDir("wear");
  Options o = SmallOptions(BackgroundMode::kNone);
  o.flash_endurance_bytes = uint64_t{1} << 40;
  double device1, user1;
  {
    std::unique_ptr<DB> db;
    REQUIRE(DB::Open(o, dir, &db).ok());
    for (int i = 0; i < 3000; i++) REQUIRE(db->Put(WriteOptions(), Key(i), Value(i)).ok());
    REQUIRE(db->Flush().ok());
    device1 = PropertyField(db.get(), "firn.wear", "lifetime_device_bytes_written");
    user1 = PropertyField(db.get(), "firn.wear", "lifetime_user_bytes_written");
    CHECK(user1 >= 3000 * 100);
    // WAL + SST, both LZ4-compressed: below the user bytes for these
    // compressible values, but the same order.
    CHECK(device1 >= user1 / 4);
    CHECK(PropertyField(db.get(), "firn.wear", "lifetime_write_amplification") >= 0.25);
    CHECK(PropertyField(db.get(), "firn.wear", "endurance_used_percent") > 0);
    CHECK(PropertyField(db.get(), "firn.wear", "projected_remaining_days") > 0);
    REQUIRE(db->Close().ok());
  }
  {
    std::unique_ptr<DB> db;
    REQUIRE(DB::Open(o, dir, &db).ok());
    // Kept across the reopen (and counting what the last close wrote).
    CHECK(PropertyField(db.get(), "firn.wear", "lifetime_device_bytes_written") >= device1);
    CHECK(PropertyField(db.get(), "firn.wear", "lifetime_user_bytes_written") == user1);
    CHECK(PropertyField(db.get(), "firn.wear", "session_device_bytes_written") < device1);
    REQUIRE(db->Put(WriteOptions(), "x", std::string(1000, 'x')).ok());
    CHECK(PropertyField(db.get(), "firn.wear", "lifetime_user_bytes_written") >= user1 + 1000);
    REQUIRE(db->Close().ok());
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("WearWithoutEnduranceReportsUnknownLifetime") {
  std::string dir = TestDir("wear0");
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(SmallOptions(BackgroundMode::kNone), dir, &db).ok());
  REQUIRE(db->Put(WriteOptions(), "a", "b").ok());
  CHECK(PropertyField(db.get(), "firn.wear", "projected_remaining_days") == -1);
  REQUIRE(db->Close().ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("LifetimeCountersRoundTripThroughAVersionEdit") {
  VersionEdit e;
  e.SetLifetimeDeviceBytes(uint64_t{5} << 40);
  e.SetLifetimeUserBytes(12345);
  std::string rec;
  e.EncodeTo(&rec);
  VersionEdit d;
  REQUIRE(d.DecodeFrom(rec).ok());
  REQUIRE(d.lifetime_device_bytes().has_value());
  CHECK(*d.lifetime_device_bytes() == (uint64_t{5} << 40));
  CHECK(*d.lifetime_user_bytes() == 12345);
  VersionEdit none;
  none.SetLogNumber(1);
  rec.clear();
  none.EncodeTo(&rec);
  REQUIRE(d.DecodeFrom(rec).ok());
  CHECK_FALSE(d.lifetime_device_bytes().has_value());
}

TEST_CASE("Version1ManifestWithoutWearCountersStillOpens") {
  // A database as firn wrote it before format version 2: the manifest has
  // no tags 8 and 9. It opens, the lifetime counters start from 0, and the
  // next manifest is version 2.
  std::string dir = TestDir("v1");
  Env* env = Env::Default();
  REQUIRE(env->CreateDir(dir).ok());
  {
    std::unique_ptr<WritableFile> file;
    REQUIRE(env->NewWritableFile(ManifestFileName(dir, 5), &file).ok());
    log::Writer w(file.get(), 5);
    REQUIRE(w.WriteHeader().ok());
    VersionEdit e;
    e.SetFormatVersion(1);
    e.SetLogNumber(0);
    e.SetNextFileNumber(10);
    e.SetLastSequence(0);
    e.SetNextRunId(1);
    std::string rec;
    e.EncodeTo(&rec);
    REQUIRE(w.AddRecord(rec).ok());
    REQUIRE(file->Sync().ok());
    REQUIRE(file->Close().ok());
    REQUIRE(SetCurrentFile(env, dir, 5).ok());
  }
  Options o = SmallOptions(BackgroundMode::kNone);
  o.create_if_missing = false;
  std::unique_ptr<DB> db;
  Status s = DB::Open(o, dir, &db);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  CHECK(PropertyField(db.get(), "firn.wear", "lifetime_user_bytes_written") == 0);
  REQUIRE(db->Put(WriteOptions(), "k", "v").ok());
  REQUIRE(db->Close().ok());
  REQUIRE(DB::Open(o, dir, &db).ok());
  CHECK(PropertyField(db.get(), "firn.wear", "lifetime_user_bytes_written") == 2);
  std::string v;
  REQUIRE(db->Get(ReadOptions(), "k", &v).ok());
  CHECK(v == "v");
  REQUIRE(db->Close().ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("MemoryBudgetLowersTheMemoryBearingOptions") {
  Options o;
  o.memory_budget_bytes = 4u << 20;
  Options e = EffectiveOptions(o);
  CHECK(e.memtable_bytes == (512u << 10));
  CHECK(e.max_pending_flush_bytes == (256u << 10));
  CHECK(e.block_cache_bytes == (1u << 20));
  CHECK(e.sst_target_bytes == (256u << 10));
  CHECK(e.Validate().ok());
  // Memtables (active + 2 x pending + one sealed at the limit), cache and
  // table readers stay within the budget.
  CHECK(2 * e.memtable_bytes + 2 * e.max_pending_flush_bytes + e.block_cache_bytes +
            static_cast<uint64_t>(e.max_open_files) * (e.sst_target_bytes / 32) <=
        o.memory_budget_bytes);
  // Smaller settings are kept; no budget changes nothing.
  o.block_cache_bytes = 0;
  CHECK(EffectiveOptions(o).block_cache_bytes == 0);
  Options none;
  CHECK(OptionsToString(EffectiveOptions(none)) == OptionsToString(none));
  // The smallest budget still validates.
  o.memory_budget_bytes = 1u << 20;
  CHECK(EffectiveOptions(o).Validate().ok());
}

TEST_CASE("FileOffsetsPast4GiBWorkOnEveryTarget") {
  // size_t is 32 bits on armhf: file sizes and read offsets must be 64-bit
  // all the way down (off_t with _FILE_OFFSET_BITS=64). A sparse file.
  std::string dir = TestDir("big");
  Env* env = Env::Default();
  REQUIRE(env->CreateDir(dir).ok());
  std::string fname = dir + "/sparse";
  const uint64_t offset = (uint64_t{5} << 30) + 12345;
  {
    std::FILE* f = std::fopen(fname.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fclose(f);
    std::error_code ec;
    std::filesystem::resize_file(fname, offset, ec);
    if (ec) {
      MESSAGE("no sparse files here: " << ec.message());
      std::filesystem::remove_all(dir);
      return;
    }
  }
  {
    std::unique_ptr<WritableFile> w;
    REQUIRE(env->NewAppendableFile(fname, &w).ok());
    REQUIRE(w->Append("past-4GiB").ok());
    REQUIRE(w->Close().ok());
  }
  uint64_t size = 0;
  REQUIRE(env->GetFileSize(fname, &size).ok());
  CHECK(size == offset + 9);
  std::unique_ptr<RandomAccessFile> r;
  REQUIRE(env->NewRandomAccessFile(fname, &r).ok());
  char scratch[16];
  std::string_view got;
  REQUIRE(r->Read(offset, 9, &got, scratch).ok());
  CHECK(got == "past-4GiB");
  std::filesystem::remove_all(dir);
}

}  // namespace firn
