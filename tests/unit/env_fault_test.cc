// Tests of FaultInjectionEnv: the power-cut model (what survives), injected
// errors, the simulated full disk and direct damage.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "port/env.h"
#include "port/env_fault.h"

namespace firn {
namespace {

using OpKind = FaultInjectionEnv::OpKind;
using PowerCutOptions = FaultInjectionEnv::PowerCutOptions;

// Counts the operations that reach the base Env, so a test can prove that
// a refused operation had no effect.
class RecordingEnv : public EnvWrapper {
 public:
  explicit RecordingEnv(Env* base) : EnvWrapper(base) {}

  int count(OpKind kind) const { return counts_[static_cast<int>(kind)].load(); }

  Status NewSequentialFile(const std::string& f, std::unique_ptr<SequentialFile>* r) override {
    std::unique_ptr<SequentialFile> base;
    Status s = target()->NewSequentialFile(f, &base);
    if (s.ok()) *r = std::make_unique<Reader>(this, std::move(base));
    return s;
  }
  Status NewWritableFile(const std::string& f, std::unique_ptr<WritableFile>* r) override {
    Bump(OpKind::kCreate);
    std::unique_ptr<WritableFile> base;
    Status s = target()->NewWritableFile(f, &base);
    if (s.ok()) *r = std::make_unique<Writer>(this, std::move(base));
    return s;
  }
  Status NewAppendableFile(const std::string& f, std::unique_ptr<WritableFile>* r) override {
    Bump(OpKind::kCreate);
    std::unique_ptr<WritableFile> base;
    Status s = target()->NewAppendableFile(f, &base);
    if (s.ok()) *r = std::make_unique<Writer>(this, std::move(base));
    return s;
  }
  Status RemoveFile(const std::string& f) override {
    Bump(OpKind::kRemove);
    return target()->RemoveFile(f);
  }
  Status RenameFile(const std::string& s, const std::string& t) override {
    Bump(OpKind::kRename);
    return target()->RenameFile(s, t);
  }
  Status SyncDir(const std::string& d) override {
    Bump(OpKind::kSyncDir);
    return target()->SyncDir(d);
  }

 private:
  class Reader : public SequentialFile {
   public:
    Reader(RecordingEnv* env, std::unique_ptr<SequentialFile> base)
        : env_(env), base_(std::move(base)) {}
    Status Read(size_t n, std::string_view* result, char* scratch) override {
      env_->Bump(OpKind::kRead);
      return base_->Read(n, result, scratch);
    }
    Status Skip(uint64_t n) override { return base_->Skip(n); }

   private:
    RecordingEnv* env_;
    std::unique_ptr<SequentialFile> base_;
  };
  class Writer : public WritableFile {
   public:
    Writer(RecordingEnv* env, std::unique_ptr<WritableFile> base)
        : env_(env), base_(std::move(base)) {}
    Status Append(std::string_view d) override {
      env_->Bump(OpKind::kAppend);
      return base_->Append(d);
    }
    Status Flush() override {
      env_->Bump(OpKind::kFlush);
      return base_->Flush();
    }
    Status Sync() override {
      env_->Bump(OpKind::kSync);
      return base_->Sync();
    }
    Status Close() override { return base_->Close(); }

   private:
    RecordingEnv* env_;
    std::unique_ptr<WritableFile> base_;
  };

  void Bump(OpKind kind) { ++counts_[static_cast<int>(kind)]; }
  std::atomic<int> counts_[9] = {};
};

// A memory Env, a recorder over it and the fault env over the recorder.
// The database directory "/db" exists and is durable.
struct Fixture {
  Fixture() : mem(NewMemEnv()), rec(mem.get()), env(&rec) {
    REQUIRE(mem->CreateDir(dir).ok());
  }
  std::string Path(const std::string& name) const { return dir + "/" + name; }

  // Creates name with data, synced, and its name made durable.
  void WriteDurable(const std::string& name, const std::string& data) {
    REQUIRE(WriteStringToFile(&env, data, Path(name), true).ok());
    REQUIRE(env.SyncDir(dir).ok());
  }
  std::string Read(const std::string& name) {
    std::string data;
    Status s = ReadFileToString(mem.get(), Path(name), &data);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    return data;
  }
  bool Exists(const std::string& name) { return mem->FileExists(Path(name)); }
  void Reset(const PowerCutOptions& o = PowerCutOptions()) {
    Status s = env.ResetAfterPowerCut(o);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
  }

  std::unique_ptr<Env> mem;
  RecordingEnv rec;
  FaultInjectionEnv env;
  const std::string dir = "/db";
};

std::string Pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + static_cast<char>(i * 7));
  return s;
}

TEST_CASE("synced data survives a power cut and unsynced data is dropped") {
  Fixture f;
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env.NewWritableFile(f.Path("log"), &w).ok());
  REQUIRE(w->Append("synced").ok());
  REQUIRE(w->Sync().ok());
  REQUIRE(f.env.SyncDir(f.dir).ok());
  REQUIRE(w->Append("+unsynced").ok());
  REQUIRE(w->Flush().ok());
  REQUIRE(w->Close().ok());
  w.reset();
  CHECK(f.Read("log") == "synced+unsynced");
  f.Reset();
  CHECK(f.Read("log") == "synced");
}

TEST_CASE("a file never synced keeps its durable name but loses its data") {
  Fixture f;
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env.NewWritableFile(f.Path("empty"), &w).ok());
  REQUIRE(f.env.SyncDir(f.dir).ok());
  REQUIRE(w->Append("never synced").ok());
  w.reset();
  f.Reset();
  REQUIRE(f.Exists("empty"));
  CHECK(f.Read("empty").empty());
}

TEST_CASE("appends to a file that existed before tracking are dropped, its data kept") {
  Fixture f;
  REQUIRE(WriteStringToFile(f.mem.get(), "old", f.Path("pre"), false).ok());
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env.NewAppendableFile(f.Path("pre"), &w).ok());
  REQUIRE(w->Append("+new").ok());
  w.reset();
  CHECK(f.Read("pre") == "old+new");
  f.Reset();
  CHECK(f.Read("pre") == "old");
}

TEST_CASE("torn write keeps only a prefix of the unsynced tail") {
  const std::string synced = "SYNCED";
  const std::string tail = Pattern(1000, 'a');
  std::set<size_t> lengths;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Fixture f;
    std::unique_ptr<WritableFile> w;
    REQUIRE(f.env.NewWritableFile(f.Path("torn"), &w).ok());
    REQUIRE(w->Append(synced).ok());
    REQUIRE(w->Sync().ok());
    REQUIRE(f.env.SyncDir(f.dir).ok());
    REQUIRE(w->Append(tail).ok());
    w.reset();
    PowerCutOptions o;
    o.tear_last_write = true;
    o.seed = seed;
    f.Reset(o);
    std::string got = f.Read("torn");
    REQUIRE(got.size() >= synced.size());
    REQUIRE(got.size() <= synced.size() + tail.size());
    CHECK(got == (synced + tail).substr(0, got.size()));
    lengths.insert(got.size());
  }
  // The cut point varies with the seed and usually lands inside the tail.
  CHECK(lengths.size() > 5);
  CHECK(*lengths.rbegin() < synced.size() + tail.size() + 1);
  bool strictly_inside = false;
  for (size_t n : lengths) strictly_inside |= n > synced.size() && n < synced.size() + tail.size();
  CHECK(strictly_inside);
}

TEST_CASE("garbage is appended only to files that had unsynced data") {
  Fixture f;
  f.WriteDurable("clean", "all synced");
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env.NewWritableFile(f.Path("dirty"), &w).ok());
  REQUIRE(w->Append("durable").ok());
  REQUIRE(w->Sync().ok());
  REQUIRE(f.env.SyncDir(f.dir).ok());
  REQUIRE(w->Append("lost").ok());
  w.reset();
  PowerCutOptions o;
  o.garbage_bytes = 16;
  o.seed = 42;
  f.Reset(o);
  CHECK(f.Read("clean") == "all synced");
  std::string dirty = f.Read("dirty");
  REQUIRE(dirty.size() == 7 + 16);
  CHECK(dirty.substr(0, 7) == "durable");
  CHECK(dirty.substr(7) != "lost");
}

TEST_CASE("a file created without sync dir vanishes in a power cut") {
  Fixture f;
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env.NewWritableFile(f.Path("new.sst"), &w).ok());
  REQUIRE(w->Append("data").ok());
  REQUIRE(w->Sync().ok());  // data durable, name not
  w.reset();
  f.Reset();
  CHECK_FALSE(f.Exists("new.sst"));
}

TEST_CASE("sync dir of another directory does not make the name durable") {
  Fixture f;
  REQUIRE(f.env.CreateDir("/other").ok());
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env.NewWritableFile(f.Path("x"), &w).ok());
  REQUIRE(w->Sync().ok());
  REQUIRE(f.env.SyncDir("/other").ok());
  w.reset();
  f.Reset();
  CHECK_FALSE(f.Exists("x"));
}

TEST_CASE("rename without sync dir is undone: old target content returns") {
  Fixture f;
  f.WriteDurable("CURRENT", "MANIFEST-1");
  f.WriteDurable("CURRENT.tmp", "MANIFEST-2");
  REQUIRE(f.env.RenameFile(f.Path("CURRENT.tmp"), f.Path("CURRENT")).ok());
  CHECK(f.Read("CURRENT") == "MANIFEST-2");
  f.Reset();
  CHECK(f.Read("CURRENT") == "MANIFEST-1");
  CHECK(f.Read("CURRENT.tmp") == "MANIFEST-2");
}

TEST_CASE("rename without sync dir is undone: a new target vanishes") {
  Fixture f;
  f.WriteDurable("a", "payload");
  REQUIRE(f.env.RenameFile(f.Path("a"), f.Path("b")).ok());
  f.Reset();
  CHECK(f.Read("a") == "payload");
  CHECK_FALSE(f.Exists("b"));
}

TEST_CASE("rename followed by sync dir survives a power cut") {
  Fixture f;
  f.WriteDurable("CURRENT", "MANIFEST-1");
  f.WriteDurable("CURRENT.tmp", "MANIFEST-2");
  REQUIRE(f.env.RenameFile(f.Path("CURRENT.tmp"), f.Path("CURRENT")).ok());
  REQUIRE(f.env.SyncDir(f.dir).ok());
  f.Reset();
  CHECK(f.Read("CURRENT") == "MANIFEST-2");
  CHECK_FALSE(f.Exists("CURRENT.tmp"));
}

TEST_CASE("remove without sync dir is undone, with sync dir it is durable") {
  Fixture f;
  f.WriteDurable("keep", "kept bytes");
  f.WriteDurable("gone", "gone bytes");
  REQUIRE(f.env.RemoveFile(f.Path("keep")).ok());
  f.Reset();
  CHECK(f.Read("keep") == "kept bytes");
  REQUIRE(f.env.RemoveFile(f.Path("gone")).ok());
  REQUIRE(f.env.SyncDir(f.dir).ok());
  f.Reset();
  CHECK_FALSE(f.Exists("gone"));
}

TEST_CASE("a chain of unsynced renames and removes is undone completely") {
  Fixture f;
  f.WriteDurable("a", "A");
  f.WriteDurable("b", "B");
  REQUIRE(f.env.RenameFile(f.Path("a"), f.Path("b")).ok());  // b's old bytes stashed
  REQUIRE(f.env.RemoveFile(f.Path("b")).ok());               // a's bytes stashed
  REQUIRE(WriteStringToFile(&f.env, "C", f.Path("a"), true).ok());
  CHECK_FALSE(f.Exists("b"));
  f.Reset();
  CHECK(f.Read("a") == "A");
  CHECK(f.Read("b") == "B");
}

TEST_CASE("rewriting an existing file loses its old contents until synced") {
  Fixture f;
  f.WriteDurable("opts", "old options");
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env.NewWritableFile(f.Path("opts"), &w).ok());
  REQUIRE(w->Append("new").ok());
  w.reset();
  f.Reset();
  REQUIRE(f.Exists("opts"));
  CHECK(f.Read("opts").empty());
}

TEST_CASE("reset restarts tracking: a second reset changes nothing") {
  Fixture f;
  f.WriteDurable("a", "durable");
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env.NewAppendableFile(f.Path("a"), &w).ok());
  REQUIRE(w->Append("+tail").ok());
  REQUIRE(w->Sync().ok());
  w.reset();
  PowerCutOptions o;
  o.garbage_bytes = 8;
  f.Reset(o);
  CHECK(f.Read("a") == "durable+tail");
  f.Reset(o);
  CHECK(f.Read("a") == "durable+tail");
}

TEST_CASE("injected errors fail the nth operation of each kind and have no effect") {
  for (OpKind kind : {OpKind::kRead, OpKind::kAppend, OpKind::kFlush, OpKind::kSync,
                      OpKind::kCreate, OpKind::kRename, OpKind::kRemove, OpKind::kSyncDir}) {
    for (bool sticky : {false, true}) {
      CAPTURE(static_cast<int>(kind));
      CAPTURE(sticky);
      Fixture f;
      for (int i = 0; i < 5; ++i) f.WriteDurable("f" + std::to_string(i), "content");
      std::unique_ptr<WritableFile> w;
      REQUIRE(f.env.NewWritableFile(f.Path("w"), &w).ok());
      std::unique_ptr<SequentialFile> r;
      REQUIRE(f.env.NewSequentialFile(f.Path("f0"), &r).ok());
      char scratch[1];
      std::string_view piece;
      // op(i) is the i-th operation of the kind; each touches its own file.
      std::function<Status(int)> op;
      switch (kind) {
        case OpKind::kRead: op = [&](int) { return r->Read(1, &piece, scratch); }; break;
        case OpKind::kAppend: op = [&](int) { return w->Append("x"); }; break;
        case OpKind::kFlush: op = [&](int) { return w->Flush(); }; break;
        case OpKind::kSync: op = [&](int) { return w->Sync(); }; break;
        case OpKind::kCreate:
          op = [&](int i) {
            std::unique_ptr<WritableFile> c;
            return f.env.NewWritableFile(f.Path("new" + std::to_string(i)), &c);
          };
          break;
        case OpKind::kRename:
          op = [&](int i) {
            return f.env.RenameFile(f.Path("f" + std::to_string(i)),
                                    f.Path("g" + std::to_string(i)));
          };
          break;
        case OpKind::kRemove:
          op = [&](int i) { return f.env.RemoveFile(f.Path("f" + std::to_string(i))); };
          break;
        case OpKind::kSyncDir: op = [&](int) { return f.env.SyncDir(f.dir); }; break;
        case OpKind::kAnyWrite: break;
      }
      const Status injected = kind == OpKind::kAppend ? Status::NoSpace("injected", "full")
                                                      : Status::IOError("injected", "boom");
      f.env.InjectError(kind, 2, injected, sticky);
      const uint64_t ops_before = f.env.mutating_ops();
      for (int i = 0; i < 4; ++i) {
        CAPTURE(i);
        const int reached_before = f.rec.count(kind);
        Status s = op(i);
        const bool should_fail = i == 1 || (sticky && i > 1);
        if (should_fail) {
          CHECK(s.code() == injected.code());
          CHECK(s.message() == injected.message());
          CHECK(f.rec.count(kind) == reached_before);  // no effect
        } else {
          CHECK_MESSAGE(s.ok(), s.ToString());
          CHECK(f.rec.count(kind) == reached_before + 1);
        }
      }
      if (kind != OpKind::kRead) {
        CHECK(f.env.mutating_ops() - ops_before == (sticky ? 1u : 3u));
      }
      f.env.ClearErrors();
      CHECK(op(4).ok());
    }
  }
}

TEST_CASE("a failed injected sync does not make data durable") {
  Fixture f;
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env.NewWritableFile(f.Path("log"), &w).ok());
  REQUIRE(f.env.SyncDir(f.dir).ok());
  REQUIRE(w->Append("data").ok());
  f.env.InjectError(OpKind::kSync, 1, Status::IOError("injected", "sync"), false);
  CHECK(w->Sync().IsIOError());
  w.reset();
  f.Reset();
  CHECK(f.Read("log").empty());
}

TEST_CASE("kAnyWrite injection fails whichever mutating operation comes nth") {
  Fixture f;
  f.env.InjectError(OpKind::kAnyWrite, 2, Status::IOError("injected", "any"), false);
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env.NewWritableFile(f.Path("w"), &w).ok());  // 1st
  Status s = w->Append("x");                              // 2nd
  CHECK(s.IsIOError());
  CHECK(s.message() == "injected: any");
  CHECK(f.rec.count(OpKind::kAppend) == 0);
  CHECK(w->Append("y").ok());  // 3rd
  // Reads are not writes.
  f.env.InjectError(OpKind::kAnyWrite, 1, Status::IOError("injected", "any"), true);
  std::string data;
  CHECK(ReadFileToString(&f.env, f.Path("w"), &data).ok());
  CHECK(w->Flush().IsIOError());
}

TEST_CASE("reset after power cut clears injected errors") {
  Fixture f;
  f.env.InjectError(OpKind::kCreate, 1, Status::IOError("injected", "x"), true);
  std::unique_ptr<WritableFile> w;
  CHECK(f.env.NewWritableFile(f.Path("w"), &w).IsIOError());
  f.Reset();
  CHECK(f.env.NewWritableFile(f.Path("w"), &w).ok());
}

TEST_CASE("cut power after n fails the n+1th mutating operation and every later one") {
  Fixture f;
  f.WriteDurable("readable", "still readable");
  f.env.CutPowerAfter(3);
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env.NewWritableFile(f.Path("log"), &w).ok());  // 1
  REQUIRE(w->Append("one").ok());                          // 2
  REQUIRE(w->Append("two").ok());                          // 3
  CHECK_FALSE(f.env.power_is_off());
  const int syncs = f.rec.count(OpKind::kSync);
  Status s = w->Sync();  // 4: the cut
  CHECK(s.IsIOError());
  CHECK(std::string(s.message()).find("simulated power cut") != std::string::npos);
  CHECK(std::string(s.message()).find(f.Path("log")) != std::string::npos);
  CHECK(f.env.power_is_off());
  CHECK(f.rec.count(OpKind::kSync) == syncs);
  CHECK(w->Append("three").IsIOError());
  CHECK(f.env.SyncDir(f.dir).IsIOError());
  CHECK(f.env.RemoveFile(f.Path("readable")).IsIOError());
  CHECK(f.Exists("readable"));
  std::string data;
  REQUIRE(ReadFileToString(&f.env, f.Path("readable"), &data).ok());
  CHECK(data == "still readable");
  w.reset();
  f.Reset();
  CHECK_FALSE(f.env.power_is_off());
  CHECK_FALSE(f.Exists("log"));
  CHECK(f.env.SyncDir(f.dir).ok());
}

TEST_CASE("cut power after zero fails the very next mutating operation") {
  Fixture f;
  f.env.CutPowerAfter(0);
  std::unique_ptr<WritableFile> w;
  CHECK(f.env.NewWritableFile(f.Path("x"), &w).IsIOError());
  CHECK(f.env.power_is_off());
  CHECK_FALSE(f.Exists("x"));
}

TEST_CASE("mutating ops counts each operation that reached the device") {
  Fixture f;
  const uint64_t start = f.env.mutating_ops();
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env.NewWritableFile(f.Path("x"), &w).ok());
  REQUIRE(w->Append("a").ok());
  REQUIRE(w->Flush().ok());
  REQUIRE(w->Sync().ok());
  REQUIRE(w->Close().ok());  // not counted
  REQUIRE(f.env.RenameFile(f.Path("x"), f.Path("y")).ok());
  REQUIRE(f.env.SyncDir(f.dir).ok());
  REQUIRE(f.env.RemoveFile(f.Path("y")).ok());
  std::string data;
  CHECK(ReadFileToString(&f.env, f.Path("missing"), &data).IsNotFound());  // reads: not counted
  CHECK(f.env.mutating_ops() - start == 7);
}

TEST_CASE("set free space returns NoSpace, writes resume after the limit is cleared") {
  Fixture f;
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env.NewWritableFile(f.Path("big"), &w).ok());
  f.env.SetFreeSpace(10);
  uint64_t free_bytes = 0;
  REQUIRE(f.env.GetFreeSpace(f.dir, &free_bytes).ok());
  CHECK(free_bytes == 10);
  REQUIRE(w->Append("123456").ok());
  REQUIRE(f.env.GetFreeSpace(f.dir, &free_bytes).ok());
  CHECK(free_bytes == 4);
  Status s = w->Append("12345");
  CHECK(s.IsNoSpace());
  CHECK(std::string(s.message()).find("no space left on device (simulated)") !=
        std::string::npos);
  CHECK(std::string(s.message()).find(f.Path("big")) != std::string::npos);
  CHECK(f.Read("big") == "123456");  // the refused append wrote nothing
  REQUIRE(w->Append("7890").ok());
  CHECK(w->Append("x").IsNoSpace());
  f.env.ClearFreeSpaceLimit();
  REQUIRE(w->Append(std::string(100000, 'z')).ok());
  CHECK(f.Read("big").size() == 10 + 100000);
  REQUIRE(f.env.GetFreeSpace(f.dir, &free_bytes).ok());
  CHECK(free_bytes > 10);
}

TEST_CASE("flip bit changes exactly one bit") {
  Fixture f;
  const std::string before = Pattern(100, 'q');
  f.WriteDurable("sst", before);
  REQUIRE(f.env.FlipBit(f.Path("sst"), 37, 5).ok());
  std::string after = f.Read("sst");
  REQUIRE(after.size() == before.size());
  int differing_bits = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    unsigned x = static_cast<unsigned char>(before[i] ^ after[i]);
    differing_bits += __builtin_popcount(x);
    if (x != 0) {
      CHECK(i == 37);
      CHECK(x == 0x20);
    }
  }
  CHECK(differing_bits == 1);
  CHECK(f.env.FlipBit(f.Path("sst"), 100, 0).IsInvalidArgument());
  CHECK(f.env.FlipBit(f.Path("sst"), 0, 8).IsInvalidArgument());
  CHECK(f.env.FlipBit(f.Path("none"), 0, 0).IsNotFound());
}

TEST_CASE("truncate file cuts the file to the given size and stays durable") {
  Fixture f;
  f.WriteDurable("wal", "0123456789");
  REQUIRE(f.env.TruncateFile(f.Path("wal"), 4).ok());
  CHECK(f.Read("wal") == "0123");
  CHECK(f.env.TruncateFile(f.Path("wal"), 5).IsInvalidArgument());
  f.Reset();
  CHECK(f.Read("wal") == "0123");
}

TEST_CASE("two threads appending to different files keep all synced data") {
  Fixture f;
  constexpr int kRecords = 2000;
  auto writer = [&](const std::string& name, char c, std::atomic<bool>* ok) {
    std::unique_ptr<WritableFile> w;
    if (!f.env.NewWritableFile(f.Path(name), &w).ok()) return;
    for (int i = 0; i < kRecords; ++i) {
      if (!w->Append(std::string(10, c)).ok()) return;
      if (i % 100 == 99 && !w->Sync().ok()) return;
    }
    if (!w->Append("unsynced").ok()) return;
    *ok = true;
  };
  std::atomic<bool> ok1{false}, ok2{false};
  const uint64_t start = f.env.mutating_ops();
  std::thread t1(writer, "one", '1', &ok1), t2(writer, "two", '2', &ok2);
  t1.join();
  t2.join();
  REQUIRE(ok1.load());
  REQUIRE(ok2.load());
  CHECK(f.env.mutating_ops() - start == 2u * (1 + kRecords + kRecords / 100 + 1));
  REQUIRE(f.env.SyncDir(f.dir).ok());
  f.Reset();
  CHECK(f.Read("one") == std::string(10 * kRecords, '1'));
  CHECK(f.Read("two") == std::string(10 * kRecords, '2'));
}

// A fresh directory under /tmp, removed with everything in it even when a
// REQUIRE fails.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/firn_env_fault_test_XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

TEST_CASE("power cut over the POSIX env drops unsynced data from real files") {
  TempDir tmp;
  const std::string& dir = tmp.path;
  FaultInjectionEnv env(Env::Default());
  std::unique_ptr<WritableFile> w;
  REQUIRE(env.NewWritableFile(dir + "/log", &w).ok());
  REQUIRE(w->Append("kept").ok());
  REQUIRE(w->Sync().ok());
  REQUIRE(env.SyncDir(dir).ok());
  REQUIRE(w->Append("dropped").ok());
  REQUIRE(WriteStringToFile(&env, "tmp", dir + "/unnamed", true).ok());
  w.reset();
  REQUIRE(env.ResetAfterPowerCut(PowerCutOptions()).ok());
  std::string data;
  REQUIRE(ReadFileToString(Env::Default(), dir + "/log", &data).ok());
  CHECK(data == "kept");
  CHECK_FALSE(Env::Default()->FileExists(dir + "/unnamed"));
}

}  // namespace
}  // namespace firn
