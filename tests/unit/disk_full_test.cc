// A real full disk (docs/durability.md, "Errors"): a small tmpfs is mounted
// in a temporary directory, a ballast file is written into it, and the
// engine (POSIX Env) fills the rest until writes fail with NoSpace. Then:
// every acknowledged write is still readable in the open database and
// after a reopen, and once the ballast is deleted writes resume, in the
// same instance and after a reopen. Needs root (mount); otherwise it says
// so and passes.
#include <doctest/doctest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "firn/db.h"
#include "port/env.h"

using namespace firn;

namespace {

constexpr size_t kFsBytes = 4u << 20;
constexpr size_t kBallastBytes = 1u << 20;

// A tmpfs of kFsBytes mounted on a fresh directory; unmounted and removed
// at the end. ok() is false when mounting is not possible here.
class SmallFs {
 public:
  SmallFs() {
    char tmpl[] = "/tmp/firn-disk-full-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      why_ = std::string("mkdtemp: ") + std::strerror(errno);
      return;
    }
    dir_ = tmpl;
    if (geteuid() != 0) {
      why_ = "not running as root";
      return;
    }
    const std::string opts = "size=" + std::to_string(kFsBytes) + ",mode=0700";
    if (mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
      why_ = std::string("mount tmpfs: ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~SmallFs() {
    if (mounted_ && umount2(dir_.c_str(), MNT_DETACH) != 0) {
      std::fprintf(stderr, "umount %s: %s\n", dir_.c_str(), std::strerror(errno));
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  bool ok() const { return mounted_; }
  const std::string& why() const { return why_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string why_;
  bool mounted_ = false;
};

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%07d", i);
  return buf;
}

// Incompressible enough that LZ4 does not make the disk last forever.
std::string Value(int i) {
  std::string v = "v" + std::to_string(i) + ":";
  uint64_t x = static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ull + 1;
  while (v.size() < 1000) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v.push_back(static_cast<char>(x & 0xff));
  }
  return v;
}

Options SmallOptions() {
  Options o;
  o.compaction = CompactionStyle::kTiered;
  o.memtable_bytes = 64 << 10;
  o.max_pending_flush_bytes = 64 << 10;
  o.sst_target_bytes = 64 << 10;
  o.block_bytes = 1024;
  return o;
}

void CheckAll(DB* db, const std::map<std::string, std::string>& acked, const char* when) {
  INFO(when);
  int bad = 0;
  for (const auto& [k, v] : acked) {
    std::string got;
    Status s = db->Get(ReadOptions(), k, &got);
    if (!s.ok() || got != v) {
      if (++bad <= 5) FAIL_CHECK(k << ": " << (s.ok() ? "wrong value" : s.ToString()));
    }
  }
  CHECK(bad == 0);
}

// Writes keys 0, 1, ... until a write fails (at most 20000), recording each
// acknowledged one; every 50th is synced when sync_some. Returns the failing
// status; *next is the first key not written.
Status FillUntilFull(DB* db, bool sync_some, std::map<std::string, std::string>* acked,
                     int* next) {
  Status s;
  int i = 0;
  for (; i < 20000; ++i) {
    WriteOptions wo;
    wo.sync = sync_some && i % 50 == 0;
    s = db->Put(wo, Key(i), Value(i));
    if (!s.ok()) break;
    (*acked)[Key(i)] = Value(i);
  }
  *next = i;
  return s;
}

}  // namespace

TEST_CASE("FullTmpfsFailsWithNoSpaceKeepsAcknowledgedWritesAndResumes") {
  SmallFs fs;
  if (!fs.ok()) {
    MESSAGE("skipped: cannot mount a small tmpfs (" << fs.why() << ")");
    return;
  }
  const std::string ballast = fs.dir() + "/ballast";
  REQUIRE(WriteStringToFile(Env::Default(), std::string(kBallastBytes, 'b'), ballast, true).ok());
  const std::string path = fs.dir() + "/db";
  Options o = SmallOptions();

  std::map<std::string, std::string> acked;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(o, path, &db).ok());
  int i = 0;
  Status s = FillUntilFull(db.get(), /*sync_some=*/true, &acked, &i);
  MESSAGE("disk full after " << acked.size() << " writes: " << s.ToString());
  REQUIRE_MESSAGE(s.IsNoSpace(), "expected NoSpace, got " << s.ToString());
  REQUIRE(acked.size() > 100);
  // Reads go on while the disk is full.
  CheckAll(db.get(), acked, "full disk, same instance");

  // Free the ballast: writes resume in the same instance (the background
  // worker retries the failed flush after a back-off).
  REQUIRE(Env::Default()->RemoveFile(ballast).ok());
  int resumed = 0;
  for (int tries = 0; tries < 200 && resumed < 100; ++tries) {
    s = db->Put(WriteOptions(), Key(i), Value(i));
    if (s.ok()) {
      acked[Key(i)] = Value(i);
      ++i;
      ++resumed;
    } else {
      CHECK_MESSAGE(s.IsNoSpace(), s.ToString());
      Env::Default()->SleepMicros(50000);
    }
  }
  CHECK_MESSAGE(resumed == 100, "writes did not resume after space was freed: " << s.ToString());
  CheckAll(db.get(), acked, "after freeing space");
  s = db->Close();
  CHECK_MESSAGE(s.ok(), s.ToString());
  db.reset();

  REQUIRE(DB::Open(o, path, &db).ok());
  CheckAll(db.get(), acked, "after reopen");
  db.reset();
}

TEST_CASE("ReopenOnAFullTmpfsLosesNoAcknowledgedWrite") {
  SmallFs fs;
  if (!fs.ok()) {
    MESSAGE("skipped: cannot mount a small tmpfs (" << fs.why() << ")");
    return;
  }
  const std::string ballast = fs.dir() + "/ballast";
  REQUIRE(WriteStringToFile(Env::Default(), std::string(kBallastBytes, 'b'), ballast, true).ok());
  const std::string path = fs.dir() + "/db";
  Options o = SmallOptions();
  std::map<std::string, std::string> acked;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(o, path, &db).ok());
  int i = 0;
  Status s = FillUntilFull(db.get(), /*sync_some=*/false, &acked, &i);
  REQUIRE_MESSAGE(s.IsNoSpace(), s.ToString());
  // Close on a full disk may fail (it cannot flush); it must not lose the
  // acknowledged writes, which are in the WAL.
  s = db->Close();
  CHECK_MESSAGE((s.ok() || s.IsNoSpace()), s.ToString());
  db.reset();

  // Reopen with the disk still full: either it works and everything is
  // there, or it fails with NoSpace.
  s = DB::Open(o, path, &db);
  if (s.ok()) {
    CheckAll(db.get(), acked, "reopen on a full disk");
    db.reset();
  } else {
    CHECK_MESSAGE(s.IsNoSpace(), s.ToString());
    MESSAGE("reopen on the full disk: " << s.ToString());
  }

  REQUIRE(Env::Default()->RemoveFile(ballast).ok());
  s = DB::Open(o, path, &db);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  CheckAll(db.get(), acked, "reopen after freeing space");
  for (int j = 0; j < 100; ++j, ++i) {
    s = db->Put(WriteOptions(), Key(i), Value(i));
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    acked[Key(i)] = Value(i);
  }
  REQUIRE(db->Close().ok());
  db.reset();
  REQUIRE(DB::Open(o, path, &db).ok());
  CheckAll(db.get(), acked, "final reopen");
}
