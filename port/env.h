// port/env.h: the platform layer every byte of firn's I/O goes through.
//
// Env is an abstract file system plus a clock. Implementations:
//   Env::Default()          POSIX files with real fsync/fdatasync (env_posix.cc)
//   NewMemEnv()             an in-memory file system (env_mem.cc)
//   FaultInjectionEnv       a wrapper that tracks what was synced and can
//                           simulate a power cut, torn writes, bit flips and
//                           injected errors (env_fault.h)
// EnvWrapper forwards every call to another Env so tests can interpose.
//
// Errors: every call returns a Status: IOError naming the file and the
// cause (strerror), NoSpace when the device is full (ENOSPC/EDQUOT),
// NotFound for a missing file where the call says so.
// Thread safety: Env methods may be called from any thread concurrently.
// A file object is used by one thread at a time, except RandomAccessFile,
// whose Read may be called concurrently.
#ifndef FIRN_PORT_ENV_H_
#define FIRN_PORT_ENV_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "firn/status.h"

namespace firn {

// Reads a file from front to back.
class SequentialFile {
 public:
  SequentialFile() = default;
  SequentialFile(const SequentialFile&) = delete;
  SequentialFile& operator=(const SequentialFile&) = delete;
  virtual ~SequentialFile() = default;

  // Reads up to n bytes. *result points into scratch (or other storage that
  // lives until the next call). Fewer than n bytes, or zero, at end of file.
  // REQUIRES: scratch has room for n bytes.
  virtual Status Read(size_t n, std::string_view* result, char* scratch) = 0;
  // Skips n bytes (or to end of file).
  virtual Status Skip(uint64_t n) = 0;
};

// Reads a file at arbitrary offsets. Read may be called concurrently.
class RandomAccessFile {
 public:
  RandomAccessFile() = default;
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;
  virtual ~RandomAccessFile() = default;

  // Reads up to n bytes at offset. *result may point into scratch. Fewer
  // than n bytes only at end of file.
  virtual Status Read(uint64_t offset, size_t n, std::string_view* result,
                      char* scratch) const = 0;
};

// Appends to a file. Data reaches the OS on Flush/Sync/Close and the device
// on Sync.
class WritableFile {
 public:
  WritableFile() = default;
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;
  virtual ~WritableFile() = default;

  virtual Status Append(std::string_view data) = 0;
  // Hands buffered data to the OS (survives a process kill, not power loss).
  virtual Status Flush() = 0;
  // Flushes, then makes the file's data durable (fdatasync or fsync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;

  // Asks the OS to start writing the file's data to the device each time
  // `bytes` more have been handed to it, so dirty pages do not pile up
  // until a kernel threshold stalls a write(2). Not a durability point: it
  // does not wait, and nothing is promised until Sync. 0 (the default):
  // never. A hint: wrappers forward it; files without such a call (the base
  // class, non-Linux POSIX) ignore it. A failure of the call itself shows
  // up as the error of the Append or Flush that triggered it.
  virtual void SetWritebackBytes(uint64_t /*bytes*/) {}
};

// A held lock on a file (see Env::LockFile).
class FileLock {
 public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  virtual ~FileLock() = default;
};

class Env {
 public:
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env() = default;

  // The POSIX Env. Never deleted; shared by every DB.
  static Env* Default();

  // NotFound if the file does not exist.
  virtual Status NewSequentialFile(const std::string& fname,
                                   std::unique_ptr<SequentialFile>* result) = 0;
  virtual Status NewRandomAccessFile(const std::string& fname,
                                     std::unique_ptr<RandomAccessFile>* result) = 0;
  // Creates the file, truncating any existing one.
  virtual Status NewWritableFile(const std::string& fname,
                                 std::unique_ptr<WritableFile>* result) = 0;
  // Opens the file for appending, creating it if missing.
  virtual Status NewAppendableFile(const std::string& fname,
                                   std::unique_ptr<WritableFile>* result) = 0;
  // Creates a write-ahead log file, truncating any existing one: as
  // NewWritableFile, with the same promises (an Append followed by Flush
  // survives a process kill, Sync a power cut), but the Env may keep the
  // file longer than the bytes appended until Close, zero-filled past them
  // (a log reader takes zeros for a clean end, docs/format-wal.md). The
  // POSIX Env on Linux writes logs through a shared memory mapping, so an
  // Append is in the page cache at once and Flush makes no system call.
  // The default calls NewWritableFile, so a wrapper that interposes on
  // NewWritableFile sees log files too; a wrapper forwards NewLogFile to
  // its target only on purpose.
  virtual Status NewLogFile(const std::string& fname, std::unique_ptr<WritableFile>* result) {
    return NewWritableFile(fname, result);
  }

  virtual bool FileExists(const std::string& fname) = 0;
  // Names (not paths) of the entries in dir, without "." and "..".
  virtual Status GetChildren(const std::string& dir,
                             std::vector<std::string>* result) = 0;
  virtual Status RemoveFile(const std::string& fname) = 0;
  // Atomically replaces target with src (POSIX rename semantics).
  virtual Status RenameFile(const std::string& src, const std::string& target) = 0;
  // OK if the directory already exists.
  virtual Status CreateDir(const std::string& dir) = 0;
  virtual Status RemoveDir(const std::string& dir) = 0;
  // Makes the directory's entries (created, renamed, removed files)
  // durable: fsync of the directory on POSIX.
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Status GetFileSize(const std::string& fname, uint64_t* size) = 0;
  // Bytes available to this process on the file system holding path.
  virtual Status GetFreeSpace(const std::string& path, uint64_t* bytes) = 0;

  // Takes an exclusive lock on fname (creating it). Busy if this or another
  // process holds it. Release by UnlockFile.
  virtual Status LockFile(const std::string& fname,
                          std::unique_ptr<FileLock>* lock) = 0;
  virtual Status UnlockFile(std::unique_ptr<FileLock> lock) = 0;

  // Microseconds since some fixed point; monotonic.
  virtual uint64_t NowMicros() = 0;
  virtual void SleepMicros(uint64_t micros) = 0;
};

// Forwards every call to target(). Subclass to interpose on some calls.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Status NewSequentialFile(const std::string& f,
                           std::unique_ptr<SequentialFile>* r) override {
    return target_->NewSequentialFile(f, r);
  }
  Status NewRandomAccessFile(const std::string& f,
                             std::unique_ptr<RandomAccessFile>* r) override {
    return target_->NewRandomAccessFile(f, r);
  }
  Status NewWritableFile(const std::string& f,
                         std::unique_ptr<WritableFile>* r) override {
    return target_->NewWritableFile(f, r);
  }
  Status NewAppendableFile(const std::string& f,
                           std::unique_ptr<WritableFile>* r) override {
    return target_->NewAppendableFile(f, r);
  }
  bool FileExists(const std::string& f) override { return target_->FileExists(f); }
  Status GetChildren(const std::string& d, std::vector<std::string>* r) override {
    return target_->GetChildren(d, r);
  }
  Status RemoveFile(const std::string& f) override { return target_->RemoveFile(f); }
  Status RenameFile(const std::string& s, const std::string& t) override {
    return target_->RenameFile(s, t);
  }
  Status CreateDir(const std::string& d) override { return target_->CreateDir(d); }
  Status RemoveDir(const std::string& d) override { return target_->RemoveDir(d); }
  Status SyncDir(const std::string& d) override { return target_->SyncDir(d); }
  Status GetFileSize(const std::string& f, uint64_t* s) override {
    return target_->GetFileSize(f, s);
  }
  Status GetFreeSpace(const std::string& p, uint64_t* b) override {
    return target_->GetFreeSpace(p, b);
  }
  Status LockFile(const std::string& f, std::unique_ptr<FileLock>* l) override {
    return target_->LockFile(f, l);
  }
  Status UnlockFile(std::unique_ptr<FileLock> l) override {
    return target_->UnlockFile(std::move(l));
  }
  uint64_t NowMicros() override { return target_->NowMicros(); }
  void SleepMicros(uint64_t m) override { target_->SleepMicros(m); }

 private:
  Env* target_;
};

// Lowers the calling thread's CPU priority below the process's other
// threads (Linux: nice +10 for this thread only, if that stays within 19;
// elsewhere nothing).
// Cannot be undone by an unprivileged process.
void LowerCurrentThreadPriority();

// A new in-memory Env (caller owns it). Files live until removed or until
// the Env is deleted; Sync is a no-op there.
std::unique_ptr<Env> NewMemEnv();

// Helpers over an Env.
Status WriteStringToFile(Env* env, std::string_view data,
                         const std::string& fname, bool sync);
Status ReadFileToString(Env* env, const std::string& fname, std::string* data);

}  // namespace firn

#endif  // FIRN_PORT_ENV_H_
