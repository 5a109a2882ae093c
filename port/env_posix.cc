// port/env_posix.cc: Env::Default(), files on a POSIX file system.
//
// Every descriptor is opened O_CLOEXEC so a forked child never inherits a
// database file or the lock. Offsets are off_t, which the build makes 64
// bits wide (_FILE_OFFSET_BITS=64, set by meson) also on 32-bit ARM; the
// static_assert below refuses a build where it is not. Offsets never pass
// through size_t or long.
//
// Errors: "<operation> <path>: <strerror>". ENOENT maps to NotFound,
// ENOSPC/EDQUOT to NoSpace, every other errno to IOError.
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE  // sync_file_range
#endif
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <thread>

#include "port/env.h"
#include "port/port.h"

static_assert(sizeof(off_t) >= 8,
              "firn needs a 64-bit off_t: build with -D_FILE_OFFSET_BITS=64");

namespace firn {

namespace {

// Appends are gathered here before a write(2); a WAL of small records then
// costs one system call per 64 KiB rather than one per record.
constexpr size_t kWritableFileBufferSize = 64 * 1024;

// Incremental writeback (WritableFile::SetWritebackBytes) stops at a
// multiple of this, a multiple of every page size Linux uses, so the page
// the next write extends is not sent to the device half-written only to be
// dirtied and written again.
[[maybe_unused]] constexpr uint64_t kWritebackAlign = 64 * 1024;

constexpr uint64_t kMaxOffset = static_cast<uint64_t>(std::numeric_limits<off_t>::max());

// strerror_r comes in two flavours: GNU returns the message, XSI fills the
// buffer and returns an int. Overloading on the return type accepts either.
[[maybe_unused]] const char* StrerrorResult(int /*xsi_rc*/, const char* buf) { return buf; }
[[maybe_unused]] const char* StrerrorResult(const char* gnu_msg, const char* /*buf*/) {
  return gnu_msg;
}

std::string ErrnoMessage(int err) {
  char buf[256];
  buf[0] = '\0';
  return std::string(StrerrorResult(strerror_r(err, buf, sizeof(buf)), buf));
}

Status PosixError(const std::string& context, int err) {
  const std::string cause = ErrnoMessage(err);
  switch (err) {
    case ENOENT:
      return Status::NotFound(context, cause);
    case ENOSPC:
#if defined(EDQUOT) && EDQUOT != ENOSPC
    case EDQUOT:
#endif
      return Status::NoSpace(context, cause);
    default:
      return Status::IOError(context, cause);
  }
}

// Makes fd's data durable. fdatasync skips metadata that reading the data
// back does not need; where it is missing (macOS), F_FULLFSYNC also flushes
// the drive's cache, with fsync as the fallback.
// A failed sync leaves the file in an unknown state (the kernel may have
// dropped the dirty pages); callers must not retry and trust a later OK.
Status SyncFd(int fd, const std::string& fname) {
  int rc;
#if defined(__APPLE__)
  do {
    rc = ::fcntl(fd, F_FULLFSYNC);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return Status::OK();
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
#elif defined(_POSIX_SYNCHRONIZED_IO) && _POSIX_SYNCHRONIZED_IO > 0
  do {
    rc = ::fdatasync(fd);
  } while (rc != 0 && errno == EINTR);
#else
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
#endif
  if (rc != 0) return PosixError("sync " + fname, errno);
  return Status::OK();
}

// Reads n bytes (fewer only at end of file) into scratch, retrying on
// EINTR and short reads: at the file position when offset < 0 (read),
// else at offset (pread, which keeps no shared position).
Status ReadFully(int fd, const std::string& fname, off_t offset, size_t n,
                 std::string_view* result, char* scratch) {
  *result = std::string_view();
  size_t got = 0;
  while (got < n) {
    ssize_t r = offset < 0 ? ::read(fd, scratch + got, n - got)
                           : ::pread(fd, scratch + got, n - got,
                                     offset + static_cast<off_t>(got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return PosixError("read " + fname, errno);
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  *result = std::string_view(scratch, got);
  return Status::OK();
}

// Thread safety: one reader at a time (SequentialFile contract).
class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string fname, int fd) : fname_(std::move(fname)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    return ReadFully(fd_, fname_, /*offset=*/-1, n, result, scratch);
  }

  Status Skip(uint64_t n) override {
    if (n > kMaxOffset) return Status::InvalidArgument("skip " + fname_, "offset too large");
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) == static_cast<off_t>(-1)) {
      return PosixError("skip " + fname_, errno);
    }
    return Status::OK();
  }

 private:
  const std::string fname_;
  const int fd_;
};

// Thread safety: Read may be called concurrently; pread keeps no shared
// file position.
class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string fname, int fd) : fname_(std::move(fname)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Status Read(uint64_t offset, size_t n, std::string_view* result,
              char* scratch) const override {
    *result = std::string_view();
    if (offset > kMaxOffset || n > kMaxOffset - offset) {
      return Status::InvalidArgument("read " + fname_, "offset too large");
    }
    return ReadFully(fd_, fname_, static_cast<off_t>(offset), n, result, scratch);
  }

 private:
  const std::string fname_;
  const int fd_;
};

// Invariant: buf_[0, pos_) holds appended bytes not yet handed to the OS;
// offset_ is the file offset the next write(2) lands at; writeback was last
// started up to written_back_ <= offset_; fd_ < 0 once closed.
// After a failed Append the file holds an unspecified prefix of the data;
// callers treat the file as broken. A failed Flush keeps the bytes the OS
// did not take, so a later Flush retries them.
// Thread safety: one thread at a time.
class PosixWritableFile final : public WritableFile {
 public:
  // offset: the file's size at open (the first write lands there).
  PosixWritableFile(std::string fname, int fd, uint64_t offset)
      : fname_(std::move(fname)), fd_(fd), offset_(offset), written_back_(offset) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) Close().IgnoreError();
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Status::IOError("append " + fname_, "file is closed");
    size_t copy = std::min(data.size(), kWritableFileBufferSize - pos_);
    std::memcpy(buf_ + pos_, data.data(), copy);
    pos_ += copy;
    data.remove_prefix(copy);
    if (data.empty()) return Status::OK();

    Status s = FlushBuffer();
    if (!s.ok()) return s;
    if (data.size() < kWritableFileBufferSize) {
      std::memcpy(buf_, data.data(), data.size());
      pos_ = data.size();
      return Status::OK();
    }
    size_t written = 0;
    return WriteFully(data.data(), data.size(), &written);
  }

  Status Flush() override {
    if (fd_ < 0) return Status::IOError("flush " + fname_, "file is closed");
    return FlushBuffer();
  }

  Status Sync() override {
    if (fd_ < 0) return Status::IOError("sync " + fname_, "file is closed");
    Status s = FlushBuffer();
    if (!s.ok()) return s;
    return SyncFd(fd_, fname_);
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    Status s = FlushBuffer();
    if (::close(fd_) != 0 && s.ok()) s = PosixError("close " + fname_, errno);
    fd_ = -1;
    pos_ = 0;
    return s;
  }

  void SetWritebackBytes(uint64_t bytes) override { writeback_bytes_ = bytes; }

 private:
  // Writes all of data, retrying on EINTR and partial writes. *written is
  // the number of bytes the OS took, also on failure.
  Status WriteFully(const char* data, size_t size, size_t* written) {
    *written = 0;
    while (*written < size) {
      ssize_t w = ::write(fd_, data + *written, size - *written);
      if (w < 0) {
        if (errno == EINTR) continue;
        return PosixError("write " + fname_, errno);
      }
      *written += static_cast<size_t>(w);
      offset_ += static_cast<uint64_t>(w);
    }
    return StartWriteback();
  }

  // Once the bytes from written_back_ to the last kWritebackAlign boundary
  // below offset_ reach writeback_bytes_, asks the kernel to start writing
  // them (sync_file_range with SYNC_FILE_RANGE_WRITE queues the I/O and
  // returns). A kernel, file system or file type without the call turns
  // the feature off for this file.
  Status StartWriteback() {
#ifdef __linux__
    const uint64_t end = offset_ / kWritebackAlign * kWritebackAlign;
    if (writeback_bytes_ == 0 || end <= written_back_ || end - written_back_ < writeback_bytes_) {
      return Status::OK();
    }
    if (::sync_file_range(fd_, static_cast<off_t>(written_back_),
                          static_cast<off_t>(end - written_back_), SYNC_FILE_RANGE_WRITE) != 0) {
      if (errno != ENOSYS && errno != EINVAL && errno != ESPIPE) {
        return PosixError("writeback " + fname_, errno);
      }
      writeback_bytes_ = 0;
    }
    written_back_ = end;
#endif
    return Status::OK();
  }

  Status FlushBuffer() {
    if (pos_ == 0) return Status::OK();
    size_t written = 0;
    Status s = WriteFully(buf_, pos_, &written);
    if (written < pos_ && written > 0) std::memmove(buf_, buf_ + written, pos_ - written);
    pos_ -= written;
    return s;
  }

  const std::string fname_;
  int fd_;
  size_t pos_ = 0;
  uint64_t offset_;
  uint64_t written_back_;
  uint64_t writeback_bytes_ = 0;  // 0: off
  char buf_[kWritableFileBufferSize];
};

#ifdef __linux__
// A write-ahead log written through a shared memory mapping (Env::NewLogFile):
// Append copies into the page cache, so it survives a process kill without
// a system call, and Flush has nothing to do. The file grows by chunks of
// kLogChunkBytes, each reserved with posix_fallocate before it is mapped,
// so a full disk is the NoSpace error of the Append that needs the chunk,
// never a SIGBUS at a page fault. Sync is fdatasync, which writes the pages
// dirtied through the mapping like any other. Close unmaps the chunk and
// truncates the file to the bytes appended; until then (and after a crash)
// the bytes past them read as zeros.
// Invariants: map_ is null or maps [map_offset_, map_offset_ + kLogChunkBytes)
// of the file, which is at least that long; size_ = map_offset_ + map_pos_
// when map_ is not null, the bytes appended so far.
class PosixMmapLogFile final : public WritableFile {
 public:
  PosixMmapLogFile(std::string fname, int fd) : fname_(std::move(fname)), fd_(fd) {}
  ~PosixMmapLogFile() override {
    if (fd_ >= 0) Close().IgnoreError();
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Status::IOError("append " + fname_, "file is closed");
    while (!data.empty()) {
      if (map_ == nullptr || map_pos_ == kLogChunkBytes) {
        Status s = MapNextChunk();
        if (!s.ok()) return s;
      }
      const size_t n = std::min<size_t>(data.size(), kLogChunkBytes - map_pos_);
      std::memcpy(map_ + map_pos_, data.data(), n);
      map_pos_ += n;
      size_ += n;
      data.remove_prefix(n);
    }
    return Status::OK();
  }

  // The bytes are in the page cache already.
  Status Flush() override {
    if (fd_ < 0) return Status::IOError("flush " + fname_, "file is closed");
    return Status::OK();
  }

  Status Sync() override {
    if (fd_ < 0) return Status::IOError("sync " + fname_, "file is closed");
    return SyncFd(fd_, fname_);
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    Status s = Unmap();
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0 && s.ok()) {
      s = PosixError("truncate " + fname_, errno);
    }
    if (::close(fd_) != 0 && s.ok()) s = PosixError("close " + fname_, errno);
    fd_ = -1;
    return s;
  }

 private:
  // 256 KiB: a few hundred mmap calls per GiB of log, and at most this
  // much of the log mapped (resident) at a time.
  static constexpr size_t kLogChunkBytes = 256 * 1024;

  Status Unmap() {
    if (map_ == nullptr) return Status::OK();
    const int rc = ::munmap(map_, kLogChunkBytes);
    map_ = nullptr;
    map_offset_ += kLogChunkBytes;
    map_pos_ = 0;
    return rc == 0 ? Status::OK() : PosixError("unmap " + fname_, errno);
  }

  Status MapNextChunk() {
    Status s = Unmap();
    if (!s.ok()) return s;
    if (map_offset_ > kMaxOffset - kLogChunkBytes) {
      return Status::IOError("append " + fname_, "file too large");
    }
    const int rc = ::posix_fallocate(fd_, static_cast<off_t>(map_offset_),
                                     static_cast<off_t>(kLogChunkBytes));
    if (rc != 0) return PosixError("allocate " + fname_, rc);
    void* p = ::mmap(nullptr, kLogChunkBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_,
                     static_cast<off_t>(map_offset_));
    if (p == MAP_FAILED) return PosixError("map " + fname_, errno);
    map_ = static_cast<char*>(p);
    return Status::OK();
  }

  const std::string fname_;
  int fd_;
  char* map_ = nullptr;
  uint64_t map_offset_ = 0;  // file offset of the mapped (or next) chunk
  size_t map_pos_ = 0;       // bytes appended into the mapped chunk
  uint64_t size_ = 0;        // bytes appended
};
#endif  // __linux__

// fcntl locks belong to the process, so a second F_SETLK from the same
// process succeeds; this table makes a second lock of the same path (as
// spelled) in this process fail with Busy. Never destroyed, so a lock
// released during static destruction still finds it.
// Thread safety: mu guards held.
struct LockTable {
  port::Mutex mu;
  std::set<std::string> held GUARDED_BY(mu);
};

LockTable* Locks() {
  static LockTable* table = new LockTable;
  return table;
}

// Holds the fcntl lock and the path's entry in the lock table until
// released (by UnlockFile or by destruction).
// Caveat of fcntl locks: closing ANY descriptor of the file in this process
// drops the lock, so nothing else should open the lock file.
class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(std::string fname, int fd) : fname_(std::move(fname)), fd_(fd) {}
  ~PosixFileLock() override { Release().IgnoreError(); }

  Status Release() {
    if (fd_ < 0) return Status::OK();
    Status s;
    struct flock fl = {};
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd_, F_SETLK, &fl) != 0) s = PosixError("unlock " + fname_, errno);
    ::close(fd_);
    fd_ = -1;
    LockTable* table = Locks();
    port::MutexLock l(&table->mu);
    table->held.erase(fname_);
    return s;
  }

 private:
  const std::string fname_;
  int fd_;
};

// Thread safety: stateless apart from the lock table; any thread.
class PosixEnv final : public Env {
 public:
  Status NewSequentialFile(const std::string& fname,
                           std::unique_ptr<SequentialFile>* result) override {
    result->reset();
    int fd = ::open(fname.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open " + fname, errno);
    *result = std::make_unique<PosixSequentialFile>(fname, fd);
    return Status::OK();
  }

  Status NewRandomAccessFile(const std::string& fname,
                             std::unique_ptr<RandomAccessFile>* result) override {
    result->reset();
    int fd = ::open(fname.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open " + fname, errno);
    *result = std::make_unique<PosixRandomAccessFile>(fname, fd);
    return Status::OK();
  }

  Status NewWritableFile(const std::string& fname,
                         std::unique_ptr<WritableFile>* result) override {
    return OpenForWrite(fname, O_TRUNC, result);
  }

  Status NewAppendableFile(const std::string& fname,
                           std::unique_ptr<WritableFile>* result) override {
    return OpenForWrite(fname, O_APPEND, result);
  }

  Status NewLogFile(const std::string& fname, std::unique_ptr<WritableFile>* result) override {
#ifdef __linux__
    result->reset();
    int fd = ::open(fname.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError("open " + fname, errno);
    *result = std::make_unique<PosixMmapLogFile>(fname, fd);
    return Status::OK();
#else
    return NewWritableFile(fname, result);
#endif
  }

  bool FileExists(const std::string& fname) override {
    return ::access(fname.c_str(), F_OK) == 0;
  }

  Status GetChildren(const std::string& dir, std::vector<std::string>* result) override {
    result->clear();
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError("list dir " + dir, errno);
    DIR* d = ::fdopendir(fd);
    if (d == nullptr) {
      Status s = PosixError("list dir " + dir, errno);
      ::close(fd);
      return s;
    }
    Status s;
    while (true) {
      errno = 0;
      struct dirent* entry = ::readdir(d);
      if (entry == nullptr) {
        if (errno != 0) s = PosixError("list dir " + dir, errno);
        break;
      }
      if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) {
        continue;
      }
      result->emplace_back(entry->d_name);
    }
    ::closedir(d);
    return s;
  }

  Status RemoveFile(const std::string& fname) override {
    if (::unlink(fname.c_str()) != 0) return PosixError("remove " + fname, errno);
    return Status::OK();
  }

  Status RenameFile(const std::string& src, const std::string& target) override {
    if (::rename(src.c_str(), target.c_str()) != 0) {
      return PosixError("rename " + src + " to " + target, errno);
    }
    return Status::OK();
  }

  Status CreateDir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) == 0) return Status::OK();
    int err = errno;
    if (err == EEXIST) {
      struct stat st;
      if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
      return Status::IOError("create dir " + dir, "exists and is not a directory");
    }
    return PosixError("create dir " + dir, err);
  }

  Status RemoveDir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) return PosixError("remove dir " + dir, errno);
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError("sync dir " + dir, errno);
    int rc;
    do {
      rc = ::fsync(fd);
    } while (rc != 0 && errno == EINTR);
    Status s;
    if (rc != 0) s = PosixError("sync dir " + dir, errno);
    ::close(fd);
    return s;
  }

  Status GetFileSize(const std::string& fname, uint64_t* size) override {
    struct stat st;
    if (::stat(fname.c_str(), &st) != 0) {
      *size = 0;
      return PosixError("stat " + fname, errno);
    }
    *size = static_cast<uint64_t>(st.st_size);
    return Status::OK();
  }

  Status GetFreeSpace(const std::string& path, uint64_t* bytes) override {
    struct statvfs st;
    if (::statvfs(path.c_str(), &st) != 0) {
      *bytes = 0;
      return PosixError("statvfs " + path, errno);
    }
    *bytes = static_cast<uint64_t>(st.f_bavail) * static_cast<uint64_t>(st.f_frsize);
    return Status::OK();
  }

  Status LockFile(const std::string& fname, std::unique_ptr<FileLock>* lock) override {
    lock->reset();
    LockTable* table = Locks();
    {
      port::MutexLock l(&table->mu);
      if (!table->held.insert(fname).second) {
        return Status::Busy("lock " + fname, "already held by this process");
      }
    }
    int fd = ::open(fname.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      Status s = PosixError("lock " + fname, errno);
      port::MutexLock l(&table->mu);
      table->held.erase(fname);
      return s;
    }
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd, F_SETLK, &fl) != 0) {
      int err = errno;
      ::close(fd);
      port::MutexLock l(&table->mu);
      table->held.erase(fname);
      if (err == EACCES || err == EAGAIN) {
        return Status::Busy("lock " + fname, "already held by another process");
      }
      return PosixError("lock " + fname, err);
    }
    *lock = std::make_unique<PosixFileLock>(fname, fd);
    return Status::OK();
  }

  // REQUIRES: lock came from this Env's LockFile.
  Status UnlockFile(std::unique_ptr<FileLock> lock) override {
    if (lock == nullptr) return Status::InvalidArgument("unlock", "no lock given");
    return static_cast<PosixFileLock*>(lock.get())->Release();
  }

  uint64_t NowMicros() override {
    auto now = std::chrono::steady_clock::now().time_since_epoch();
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now).count());
  }

  void SleepMicros(uint64_t micros) override {
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
  }

 private:
  Status OpenForWrite(const std::string& fname, int mode_flag,
                      std::unique_ptr<WritableFile>* result) {
    result->reset();
    int fd = ::open(fname.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | mode_flag, 0644);
    if (fd < 0) return PosixError("open " + fname, errno);
    // Where appends start, for incremental writeback; a descriptor that
    // cannot seek (a pipe) cannot do writeback either, so 0 is fine there.
    const off_t end = mode_flag == O_APPEND ? ::lseek(fd, 0, SEEK_END) : 0;
    *result =
        std::make_unique<PosixWritableFile>(fname, fd, end > 0 ? static_cast<uint64_t>(end) : 0);
    return Status::OK();
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv;
  return env;
}

// Linux gives each thread its own nice value (setpriority on the thread
// id); POSIX elsewhere applies it to the whole process, so nothing there.
// Ten steps below the thread's own, at most 19, so a process that already
// runs niced still gets a background thread below its foreground.
void LowerCurrentThreadPriority() {
#ifdef __linux__
  const id_t tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0 && nice < 19) ::setpriority(PRIO_PROCESS, tid, nice + 10 > 19 ? 19 : nice + 10);
#endif
}

}  // namespace firn
