// Tests of the POSIX Env (in a fresh directory under /tmp) and the memory
// Env: every behaviour port/env.h promises is checked on both.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "port/env.h"

namespace firn {
namespace {

// Deterministic bytes: pattern position i -> byte, so any misplaced read is
// visible.
std::string Pattern(size_t n, uint32_t seed = 1) {
  std::string s(n, '\0');
  uint32_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

// A fresh directory under /tmp, removed with everything in it.
struct PosixFixture {
  static constexpr const char* kName = "posix";
  PosixFixture() {
    char tmpl[] = "/tmp/firn_env_test_XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    env = Env::Default();
  }
  ~PosixFixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  Env* env;
  std::string dir;
};

struct MemFixture {
  static constexpr const char* kName = "mem";
  MemFixture() : owned(NewMemEnv()), env(owned.get()), dir("/db") {
    REQUIRE(env->CreateDir(dir).ok());
  }
  std::unique_ptr<Env> owned;
  Env* env;
  std::string dir;
};

std::string ReadAll(Env* env, const std::string& fname) {
  std::string data;
  Status s = ReadFileToString(env, fname, &data);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return data;
}

TEST_CASE_TEMPLATE("appended bytes read back sequentially in order", F, PosixFixture,
                   MemFixture) {
  F f;
  const std::string fname = f.dir + "/seq";
  // Pieces smaller than, equal to and larger than the 64 KiB write buffer.
  const std::string data = Pattern(3 + 65536 + 200000 + 17);
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env->NewWritableFile(fname, &w).ok());
  REQUIRE(w->Append(std::string_view(data).substr(0, 3)).ok());
  REQUIRE(w->Append(std::string_view(data).substr(3, 65536)).ok());
  REQUIRE(w->Flush().ok());
  REQUIRE(w->Append(std::string_view(data).substr(3 + 65536, 200000)).ok());
  REQUIRE(w->Append(std::string_view(data).substr(3 + 65536 + 200000)).ok());
  REQUIRE(w->Sync().ok());
  REQUIRE(w->Close().ok());

  std::unique_ptr<SequentialFile> r;
  REQUIRE(f.env->NewSequentialFile(fname, &r).ok());
  std::string got;
  std::vector<char> scratch(1000);
  while (true) {
    std::string_view piece;
    REQUIRE(r->Read(scratch.size(), &piece, scratch.data()).ok());
    if (piece.empty()) break;
    got.append(piece);
  }
  CHECK(got.size() == data.size());
  CHECK(got == data);
}

TEST_CASE_TEMPLATE("sequential skip moves past bytes and stops at end of file", F,
                   PosixFixture, MemFixture) {
  F f;
  const std::string fname = f.dir + "/skip";
  const std::string data = Pattern(100);
  REQUIRE(WriteStringToFile(f.env, data, fname, false).ok());
  std::unique_ptr<SequentialFile> r;
  REQUIRE(f.env->NewSequentialFile(fname, &r).ok());
  char scratch[10];
  std::string_view piece;
  REQUIRE(r->Skip(40).ok());
  REQUIRE(r->Read(10, &piece, scratch).ok());
  CHECK(piece == std::string_view(data).substr(40, 10));
  REQUIRE(r->Skip(1000).ok());
  REQUIRE(r->Read(10, &piece, scratch).ok());
  CHECK(piece.empty());
}

TEST_CASE_TEMPLATE("random access reads return the bytes at each offset", F, PosixFixture,
                   MemFixture) {
  F f;
  const std::string fname = f.dir + "/random";
  const std::string data = Pattern(150000, 7);
  REQUIRE(WriteStringToFile(f.env, data, fname, true).ok());
  std::unique_ptr<RandomAccessFile> r;
  REQUIRE(f.env->NewRandomAccessFile(fname, &r).ok());
  std::vector<char> scratch(70000);
  std::string_view piece;
  for (uint64_t offset : {uint64_t{0}, uint64_t{1}, uint64_t{65535}, uint64_t{99999}}) {
    CAPTURE(offset);
    REQUIRE(r->Read(offset, 50000, &piece, scratch.data()).ok());
    CHECK(piece == std::string_view(data).substr(offset, 50000));
  }
  // Short read at end of file, empty read past it.
  REQUIRE(r->Read(149990, 100, &piece, scratch.data()).ok());
  CHECK(piece == std::string_view(data).substr(149990));
  REQUIRE(r->Read(150000, 100, &piece, scratch.data()).ok());
  CHECK(piece.empty());
  REQUIRE(r->Read(uint64_t{1} << 40, 100, &piece, scratch.data()).ok());
  CHECK(piece.empty());
}

TEST_CASE_TEMPLATE("random access reads from several threads at once agree", F, PosixFixture,
                   MemFixture) {
  F f;
  const std::string fname = f.dir + "/shared";
  const std::string data = Pattern(64 * 1024, 3);
  REQUIRE(WriteStringToFile(f.env, data, fname, false).ok());
  std::unique_ptr<RandomAccessFile> r;
  REQUIRE(f.env->NewRandomAccessFile(fname, &r).ok());
  std::atomic<int> mismatches{0};
  auto reader = [&](uint64_t start) {
    char scratch[512];
    for (uint64_t off = start; off + 512 <= data.size(); off += 1024) {
      std::string_view piece;
      if (!r->Read(off, 512, &piece, scratch).ok() ||
          piece != std::string_view(data).substr(off, 512)) {
        ++mismatches;
      }
    }
  };
  std::thread t1(reader, 0), t2(reader, 512);
  t1.join();
  t2.join();
  CHECK(mismatches.load() == 0);
}

TEST_CASE_TEMPLATE("file size counts every appended byte", F, PosixFixture, MemFixture) {
  F f;
  const std::string fname = f.dir + "/size";
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env->NewWritableFile(fname, &w).ok());
  uint64_t size = 1;
  REQUIRE(f.env->GetFileSize(fname, &size).ok());
  CHECK(size == 0);
  REQUIRE(w->Append(Pattern(1234)).ok());
  REQUIRE(w->Flush().ok());
  REQUIRE(f.env->GetFileSize(fname, &size).ok());
  CHECK(size == 1234);
  REQUIRE(w->Append(Pattern(100000)).ok());
  REQUIRE(w->Close().ok());
  REQUIRE(f.env->GetFileSize(fname, &size).ok());
  CHECK(size == 101234);
}

TEST_CASE_TEMPLATE("append after close fails", F, PosixFixture, MemFixture) {
  F f;
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env->NewWritableFile(f.dir + "/closed", &w).ok());
  REQUIRE(w->Close().ok());
  Status s = w->Append("x");
  CHECK(s.IsIOError());
  CHECK(std::string(s.message()).find("closed") != std::string::npos);
}

TEST_CASE_TEMPLATE("writable file truncates, appendable file extends", F, PosixFixture,
                   MemFixture) {
  F f;
  const std::string fname = f.dir + "/trunc";
  REQUIRE(WriteStringToFile(f.env, "first", fname, false).ok());
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env->NewAppendableFile(fname, &w).ok());
  REQUIRE(w->Append("+more").ok());
  REQUIRE(w->Close().ok());
  CHECK(ReadAll(f.env, fname) == "first+more");
  REQUIRE(f.env->NewWritableFile(fname, &w).ok());
  REQUIRE(w->Append("new").ok());
  REQUIRE(w->Close().ok());
  CHECK(ReadAll(f.env, fname) == "new");
}

TEST_CASE_TEMPLATE("rename replaces the target", F, PosixFixture, MemFixture) {
  F f;
  const std::string a = f.dir + "/a", b = f.dir + "/b";
  REQUIRE(WriteStringToFile(f.env, "contents of a", a, true).ok());
  REQUIRE(WriteStringToFile(f.env, "contents of b", b, true).ok());
  REQUIRE(f.env->RenameFile(a, b).ok());
  CHECK_FALSE(f.env->FileExists(a));
  CHECK(ReadAll(f.env, b) == "contents of a");
  CHECK(f.env->RenameFile(a, b).IsNotFound());
}

TEST_CASE_TEMPLATE("get children lists the names directly under the directory", F,
                   PosixFixture, MemFixture) {
  F f;
  REQUIRE(f.env->CreateDir(f.dir + "/sub").ok());
  REQUIRE(f.env->CreateDir(f.dir + "/sub").ok());  // existing: still OK
  REQUIRE(WriteStringToFile(f.env, "1", f.dir + "/x", false).ok());
  REQUIRE(WriteStringToFile(f.env, "2", f.dir + "/y.log", false).ok());
  REQUIRE(WriteStringToFile(f.env, "3", f.dir + "/sub/z", false).ok());
  std::vector<std::string> names;
  REQUIRE(f.env->GetChildren(f.dir, &names).ok());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"sub", "x", "y.log"});
  REQUIRE(f.env->GetChildren(f.dir + "/sub", &names).ok());
  CHECK(names == std::vector<std::string>{"z"});
  CHECK(f.env->GetChildren(f.dir + "/missing", &names).IsNotFound());
}

TEST_CASE_TEMPLATE("missing files are NotFound", F, PosixFixture, MemFixture) {
  F f;
  const std::string missing = f.dir + "/missing";
  Status s = f.env->RemoveFile(missing);
  CHECK(s.IsNotFound());
  CHECK(std::string(s.message()).find(missing) != std::string::npos);
  std::unique_ptr<SequentialFile> r;
  CHECK(f.env->NewSequentialFile(missing, &r).IsNotFound());
  CHECK(r == nullptr);
  std::unique_ptr<RandomAccessFile> rr;
  CHECK(f.env->NewRandomAccessFile(missing, &rr).IsNotFound());
  uint64_t size = 0;
  CHECK(f.env->GetFileSize(missing, &size).IsNotFound());
  CHECK_FALSE(f.env->FileExists(missing));
}

TEST_CASE_TEMPLATE("remove file deletes it", F, PosixFixture, MemFixture) {
  F f;
  const std::string fname = f.dir + "/doomed";
  REQUIRE(WriteStringToFile(f.env, "x", fname, false).ok());
  CHECK(f.env->FileExists(fname));
  REQUIRE(f.env->RemoveFile(fname).ok());
  CHECK_FALSE(f.env->FileExists(fname));
  CHECK(f.env->RemoveFile(fname).IsNotFound());
}

TEST_CASE_TEMPLATE("locking a file twice in one process is Busy until unlocked", F,
                   PosixFixture, MemFixture) {
  F f;
  const std::string fname = f.dir + "/LOCK";
  std::unique_ptr<FileLock> first, second;
  REQUIRE(f.env->LockFile(fname, &first).ok());
  CHECK(f.env->FileExists(fname));
  Status s = f.env->LockFile(fname, &second);
  CHECK(s.IsBusy());
  CHECK(std::string(s.message()).find(fname) != std::string::npos);
  CHECK(second == nullptr);
  REQUIRE(f.env->UnlockFile(std::move(first)).ok());
  REQUIRE(f.env->LockFile(fname, &second).ok());
  // Dropping the lock object also releases it.
  second.reset();
  REQUIRE(f.env->LockFile(fname, &first).ok());
  REQUIRE(f.env->UnlockFile(std::move(first)).ok());
}

TEST_CASE_TEMPLATE("free space is positive", F, PosixFixture, MemFixture) {
  F f;
  uint64_t bytes = 0;
  REQUIRE(f.env->GetFreeSpace(f.dir, &bytes).ok());
  CHECK(bytes > 0);
}

TEST_CASE_TEMPLATE("sync dir succeeds on an existing directory", F, PosixFixture, MemFixture) {
  F f;
  REQUIRE(WriteStringToFile(f.env, "x", f.dir + "/f", true).ok());
  CHECK(f.env->SyncDir(f.dir).ok());
}

TEST_CASE_TEMPLATE("write string then read string round trips", F, PosixFixture, MemFixture) {
  F f;
  const std::string fname = f.dir + "/roundtrip";
  const std::string data = Pattern(20000, 9);
  REQUIRE(WriteStringToFile(f.env, data, fname, true).ok());
  CHECK(ReadAll(f.env, fname) == data);
  REQUIRE(WriteStringToFile(f.env, "", fname, false).ok());
  CHECK(ReadAll(f.env, fname).empty());
}

TEST_CASE_TEMPLATE("now micros is monotonic and advances across a sleep", F, PosixFixture,
                   MemFixture) {
  F f;
  uint64_t a = f.env->NowMicros();
  f.env->SleepMicros(2000);
  uint64_t b = f.env->NowMicros();
  CHECK(b >= a + 2000);
}

TEST_CASE("posix: errors name the file and the cause") {
  PosixFixture f;
  const std::string missing = f.dir + "/nope";
  std::unique_ptr<SequentialFile> r;
  Status s = f.env->NewSequentialFile(missing, &r);
  REQUIRE(s.IsNotFound());
  std::string msg(s.message());
  CHECK(msg.find(missing) != std::string::npos);
  CHECK(msg.find("No such file") != std::string::npos);
  // A directory cannot be opened for writing: an IOError, not NotFound.
  std::unique_ptr<WritableFile> w;
  s = f.env->NewWritableFile(f.dir, &w);
  CHECK(s.IsIOError());
  CHECK(std::string(s.message()).find(f.dir) != std::string::npos);
  CHECK(f.env->SyncDir(f.dir + "/nodir").IsNotFound());
}

TEST_CASE("posix: flush hands buffered appends to the OS before close") {
  PosixFixture f;
  const std::string fname = f.dir + "/wal";
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env->NewWritableFile(fname, &w).ok());
  REQUIRE(w->Append("record").ok());
  uint64_t size = 99;
  REQUIRE(f.env->GetFileSize(fname, &size).ok());
  CHECK(size == 0);  // still in the 64 KiB buffer
  REQUIRE(w->Flush().ok());
  REQUIRE(f.env->GetFileSize(fname, &size).ok());
  CHECK(size == 6);
  CHECK(ReadAll(f.env, fname) == "record");
}

TEST_CASE_TEMPLATE("log files read back every appended byte after close", F, PosixFixture,
                   MemFixture) {
  F f;
  const std::string fname = f.dir + "/000007.log";
  // Appends across the POSIX log file's 256 KiB chunks, one larger than a
  // chunk, and the tiny appends of log records.
  const std::string data = Pattern(5 + 262144 + 600000 + 11 * 1000);
  REQUIRE(WriteStringToFile(f.env, "old contents", fname, false).ok());
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env->NewLogFile(fname, &w).ok());  // truncates
  size_t at = 0;
  for (size_t n : {size_t{5}, size_t{262144}, size_t{600000}}) {
    REQUIRE(w->Append(std::string_view(data).substr(at, n)).ok());
    REQUIRE(w->Flush().ok());
    at += n;
  }
  while (at < data.size()) {
    REQUIRE(w->Append(std::string_view(data).substr(at, 11)).ok());
    REQUIRE(w->Flush().ok());
    at += 11;
  }
  REQUIRE(w->Sync().ok());
  REQUIRE(w->Close().ok());
  CHECK(w->Append("x").IsIOError());
  uint64_t size = 0;
  REQUIRE(f.env->GetFileSize(fname, &size).ok());
  CHECK(size == data.size());  // no zero tail once closed
  CHECK(ReadAll(f.env, fname) == data);
}

TEST_CASE("posix: a log file's appends are in the file at once, zeros after them") {
  PosixFixture f;
  const std::string fname = f.dir + "/000009.log";
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env->NewLogFile(fname, &w).ok());
  const std::string data = Pattern(300000, 7);
  REQUIRE(w->Append(data).ok());
  REQUIRE(w->Flush().ok());
  // Read through another descriptor while the file is open: every appended
  // byte is there (a process kill now loses none), then zeros up to the
  // reserved chunk's end.
  const std::string seen = ReadAll(f.env, fname);
  REQUIRE(seen.size() >= data.size());
  CHECK(seen.substr(0, data.size()) == data);
  CHECK(std::all_of(seen.begin() + static_cast<std::ptrdiff_t>(data.size()), seen.end(),
                    [](char c) { return c == 0; }));
  REQUIRE(w->Close().ok());
  CHECK(ReadAll(f.env, fname) == data);
}

TEST_CASE("posix: a log file's appends survive the writing process's death") {
  PosixFixture f;
  const std::string fname = f.dir + "/000011.log";
  const std::string data = Pattern(100000, 3);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child appends, flushes and dies without closing or syncing.
    std::unique_ptr<WritableFile> w;
    if (!Env::Default()->NewLogFile(fname, &w).ok()) ::_exit(2);
    for (size_t at = 0; at < data.size(); at += 100) {
      if (!w->Append(std::string_view(data).substr(at, 100)).ok() || !w->Flush().ok()) ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  const std::string seen = ReadAll(f.env, fname);
  REQUIRE(seen.size() >= data.size());
  CHECK(seen.substr(0, data.size()) == data);
  CHECK(std::all_of(seen.begin() + static_cast<std::ptrdiff_t>(data.size()), seen.end(),
                    [](char c) { return c == 0; }));
}

TEST_CASE("posix: files written with writeback every 4 KiB read back byte-identical") {
  PosixFixture f;
  const std::string fname = f.dir + "/writeback";
  // Appends around the page size and the 64 KiB buffer (the largest go to
  // the OS directly), flushed now and then as the WAL does: about 4 MiB, so
  // writeback is started many times.
  const size_t sizes[] = {1, 100, 4095, 4096, 4097, 65535, 65536, 65537, 200000};
  std::string data;
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env->NewWritableFile(fname, &w).ok());
  w->SetWritebackBytes(4096);
  for (uint32_t i = 0; i < 90; ++i) {
    const std::string piece = Pattern(sizes[i % 9], i + 1);
    REQUIRE(w->Append(piece).ok());
    data += piece;
    if (i % 4 == 0) REQUIRE(w->Flush().ok());
  }
  REQUIRE(w->Close().ok());
  // An appendable file starts writeback from the file's (unaligned) end.
  REQUIRE(f.env->NewAppendableFile(fname, &w).ok());
  w->SetWritebackBytes(4096);
  for (uint32_t i = 0; i < 30; ++i) {
    const std::string piece = Pattern(30011, 1000 + i);
    REQUIRE(w->Append(piece).ok());
    data += piece;
    REQUIRE(w->Flush().ok());
  }
  REQUIRE(w->Sync().ok());
  REQUIRE(w->Close().ok());

  const std::string got = ReadAll(f.env, fname);
  CHECK(got.size() == data.size());
  const bool identical = got == data;
  CHECK(identical);
}

TEST_CASE("posix: writeback on a pipe, which cannot do it, is ignored") {
  PosixFixture f;
  const std::string fifo = f.dir + "/fifo";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  // Opened for reading first so opening it for writing does not block.
  const int rfd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  REQUIRE(rfd >= 0);
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env->NewWritableFile(fifo, &w).ok());
  REQUIRE(::fcntl(rfd, F_SETFL, 0) == 0);
  std::string got;
  std::thread reader([&] {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(rfd, buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
  });
  // sync_file_range fails with ESPIPE here: the appends still succeed.
  w->SetWritebackBytes(4096);
  const std::string data = Pattern(300000);
  for (size_t off = 0; off < data.size(); off += 10000) {
    Status s = w->Append(std::string_view(data).substr(off, 10000));
    if (s.ok()) s = w->Flush();
    CHECK_MESSAGE(s.ok(), s.ToString());
    if (!s.ok()) break;
  }
  CHECK(w->Close().ok());
  reader.join();
  ::close(rfd);
  CHECK(got.size() == data.size());
  const bool identical = got == data;
  CHECK(identical);
}

TEST_CASE("mem: a reader opened before an append sees the appended bytes") {
  MemFixture f;
  const std::string fname = f.dir + "/grow";
  std::unique_ptr<WritableFile> w;
  REQUIRE(f.env->NewWritableFile(fname, &w).ok());
  REQUIRE(w->Append("abc").ok());
  std::unique_ptr<RandomAccessFile> r;
  REQUIRE(f.env->NewRandomAccessFile(fname, &r).ok());
  REQUIRE(w->Append("def").ok());
  char scratch[16];
  std::string_view piece;
  REQUIRE(r->Read(0, sizeof(scratch), &piece, scratch).ok());
  CHECK(piece == "abcdef");
  // A removed file stays readable through an open handle.
  REQUIRE(f.env->RemoveFile(fname).ok());
  REQUIRE(r->Read(3, sizeof(scratch), &piece, scratch).ok());
  CHECK(piece == "def");
}

}  // namespace
}  // namespace firn
