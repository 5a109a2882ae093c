// port/env_mem.cc: NewMemEnv(), a file system held in memory.
//
// Model: a map from path to file contents. A file's contents are shared by
// every open handle (like an inode), so a reader opened before an append
// sees the appended bytes, a handle keeps a removed file's bytes alive, and
// NewWritableFile on an existing path truncates the contents in place as
// O_TRUNC does. Directories are tracked loosely: CreateDir records the
// name, files may be created in a directory never created, and
// GetChildren(dir) lists the first path component below dir of every file
// and recorded directory. Sync and SyncDir do nothing: nothing is lost
// until the Env is deleted.
//
// Thread safety: MemEnv::mu_ guards the namespace; each FileData has its own
// mutex for the bytes, so reads and appends on different files do not
// contend; LockSet::mu guards the held locks. Lock order: MemEnv::mu_
// before FileData::mu_; LockSet::mu is never held with another.
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "port/env.h"
#include "port/port.h"

namespace firn {

namespace {

// What GetFreeSpace reports: the memory is not counted.
constexpr uint64_t kMemFreeSpace = uint64_t{1} << 40;

// The bytes of one file, shared by the namespace and open handles.
class FileData {
 public:
  uint64_t Size() const {
    port::MutexLock l(&mu_);
    return data_.size();
  }

  // Copies up to n bytes at offset into scratch; returns the count.
  size_t Read(uint64_t offset, size_t n, char* scratch) const {
    port::MutexLock l(&mu_);
    if (offset >= data_.size()) return 0;
    size_t avail = data_.size() - static_cast<size_t>(offset);
    size_t count = std::min(n, avail);
    std::memcpy(scratch, data_.data() + static_cast<size_t>(offset), count);
    return count;
  }

  void Append(std::string_view data) {
    port::MutexLock l(&mu_);
    data_.append(data.data(), data.size());
  }

  void Truncate() {
    port::MutexLock l(&mu_);
    data_.clear();
  }

 private:
  mutable port::Mutex mu_;
  std::string data_ GUARDED_BY(mu_);
};

using FileRef = std::shared_ptr<FileData>;

// Thread safety: one reader at a time; the position is unsynchronized.
class MemSequentialFile final : public SequentialFile {
 public:
  explicit MemSequentialFile(FileRef file) : file_(std::move(file)) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    size_t got = file_->Read(pos_, n, scratch);
    pos_ += got;
    *result = std::string_view(scratch, got);
    return Status::OK();
  }

  Status Skip(uint64_t n) override {
    uint64_t size = file_->Size();
    if (pos_ < size) pos_ += std::min(n, size - pos_);
    return Status::OK();
  }

 private:
  const FileRef file_;
  uint64_t pos_ = 0;
};

// Thread safety: Read may be called concurrently (FileData locks).
class MemRandomAccessFile final : public RandomAccessFile {
 public:
  explicit MemRandomAccessFile(FileRef file) : file_(std::move(file)) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result,
              char* scratch) const override {
    *result = std::string_view(scratch, file_->Read(offset, n, scratch));
    return Status::OK();
  }

 private:
  const FileRef file_;
};

// Thread safety: one thread at a time.
class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(std::string fname, FileRef file)
      : fname_(std::move(fname)), file_(std::move(file)) {}

  Status Append(std::string_view data) override {
    if (closed_) return Status::IOError("append " + fname_, "file is closed");
    file_->Append(data);
    return Status::OK();
  }
  Status Flush() override {
    if (closed_) return Status::IOError("flush " + fname_, "file is closed");
    return Status::OK();
  }
  Status Sync() override {
    if (closed_) return Status::IOError("sync " + fname_, "file is closed");
    return Status::OK();
  }
  Status Close() override {
    closed_ = true;
    return Status::OK();
  }

 private:
  const std::string fname_;
  const FileRef file_;
  bool closed_ = false;
};

// The paths locked in one MemEnv. Shared with the locks so a lock
// destroyed without UnlockFile, even after its Env, still releases.
struct LockSet {
  port::Mutex mu;
  std::set<std::string> held GUARDED_BY(mu);
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::shared_ptr<LockSet> locks, std::string fname)
      : locks_(std::move(locks)), fname_(std::move(fname)) {}
  ~MemFileLock() override {
    port::MutexLock l(&locks_->mu);
    locks_->held.erase(fname_);
  }

 private:
  const std::shared_ptr<LockSet> locks_;
  const std::string fname_;
};

// "a/b/" -> "a/b"; "/" stays "/".
std::string TrimSlashes(const std::string& path) {
  std::string r = path;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r;
}

class MemEnv final : public Env {
 public:
  Status NewSequentialFile(const std::string& fname,
                           std::unique_ptr<SequentialFile>* result) override {
    result->reset();
    FileRef file;
    Status s = Find(fname, "open", &file);
    if (s.ok()) *result = std::make_unique<MemSequentialFile>(std::move(file));
    return s;
  }

  Status NewRandomAccessFile(const std::string& fname,
                             std::unique_ptr<RandomAccessFile>* result) override {
    result->reset();
    FileRef file;
    Status s = Find(fname, "open", &file);
    if (s.ok()) *result = std::make_unique<MemRandomAccessFile>(std::move(file));
    return s;
  }

  Status NewWritableFile(const std::string& fname,
                         std::unique_ptr<WritableFile>* result) override {
    port::MutexLock l(&mu_);
    FileRef& file = files_[fname];
    if (file == nullptr) {
      file = std::make_shared<FileData>();
    } else {
      file->Truncate();
    }
    *result = std::make_unique<MemWritableFile>(fname, file);
    return Status::OK();
  }

  Status NewAppendableFile(const std::string& fname,
                           std::unique_ptr<WritableFile>* result) override {
    port::MutexLock l(&mu_);
    FileRef& file = files_[fname];
    if (file == nullptr) file = std::make_shared<FileData>();
    *result = std::make_unique<MemWritableFile>(fname, file);
    return Status::OK();
  }

  bool FileExists(const std::string& fname) override {
    port::MutexLock l(&mu_);
    return files_.count(fname) != 0 || dirs_.count(TrimSlashes(fname)) != 0;
  }

  Status GetChildren(const std::string& dir, std::vector<std::string>* result) override {
    result->clear();
    const std::string d = TrimSlashes(dir);
    const std::string prefix = (d == "/") ? d : d + "/";
    std::set<std::string> names;
    port::MutexLock l(&mu_);
    auto collect = [&](const std::string& path) {
      if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return;
      size_t end = path.find('/', prefix.size());
      names.insert(path.substr(prefix.size(), end == std::string::npos
                                                  ? std::string::npos
                                                  : end - prefix.size()));
    };
    for (const auto& entry : files_) collect(entry.first);
    for (const auto& sub : dirs_) collect(sub);
    if (names.empty() && dirs_.count(d) == 0) {
      return Status::NotFound("list dir " + dir, "no such directory");
    }
    result->assign(names.begin(), names.end());
    return Status::OK();
  }

  Status RemoveFile(const std::string& fname) override {
    port::MutexLock l(&mu_);
    if (files_.erase(fname) == 0) return Status::NotFound("remove " + fname, "no such file");
    return Status::OK();
  }

  Status RenameFile(const std::string& src, const std::string& target) override {
    port::MutexLock l(&mu_);
    auto it = files_.find(src);
    if (it == files_.end()) {
      return Status::NotFound("rename " + src + " to " + target, "no such file");
    }
    if (src == target) return Status::OK();
    FileRef file = std::move(it->second);
    files_.erase(it);
    files_[target] = std::move(file);
    return Status::OK();
  }

  Status CreateDir(const std::string& dir) override {
    port::MutexLock l(&mu_);
    const std::string d = TrimSlashes(dir);
    if (files_.count(d) != 0) {
      return Status::IOError("create dir " + dir, "exists and is not a directory");
    }
    dirs_.insert(d);
    return Status::OK();
  }

  Status RemoveDir(const std::string& dir) override {
    port::MutexLock l(&mu_);
    const std::string d = TrimSlashes(dir);
    if (dirs_.erase(d) == 0) return Status::NotFound("remove dir " + dir, "no such directory");
    return Status::OK();
  }

  Status SyncDir(const std::string& /*dir*/) override { return Status::OK(); }

  Status GetFileSize(const std::string& fname, uint64_t* size) override {
    *size = 0;
    FileRef file;
    Status s = Find(fname, "stat", &file);
    if (s.ok()) *size = file->Size();
    return s;
  }

  Status GetFreeSpace(const std::string& /*path*/, uint64_t* bytes) override {
    *bytes = kMemFreeSpace;
    return Status::OK();
  }

  Status LockFile(const std::string& fname, std::unique_ptr<FileLock>* lock) override {
    lock->reset();
    {
      port::MutexLock l(&locks_->mu);
      if (!locks_->held.insert(fname).second) {
        return Status::Busy("lock " + fname, "already held");
      }
    }
    port::MutexLock l(&mu_);
    FileRef& file = files_[fname];
    if (file == nullptr) file = std::make_shared<FileData>();
    *lock = std::make_unique<MemFileLock>(locks_, fname);
    return Status::OK();
  }

  // REQUIRES: lock came from this Env's LockFile.
  Status UnlockFile(std::unique_ptr<FileLock> lock) override {
    if (lock == nullptr) return Status::InvalidArgument("unlock", "no lock given");
    lock.reset();
    return Status::OK();
  }

  uint64_t NowMicros() override { return Env::Default()->NowMicros(); }
  void SleepMicros(uint64_t micros) override { Env::Default()->SleepMicros(micros); }

 private:
  Status Find(const std::string& fname, const char* op, FileRef* file) {
    port::MutexLock l(&mu_);
    auto it = files_.find(fname);
    if (it == files_.end()) return Status::NotFound(std::string(op) + " " + fname, "no such file");
    *file = it->second;
    return Status::OK();
  }

  port::Mutex mu_;
  std::map<std::string, FileRef> files_ GUARDED_BY(mu_);
  std::set<std::string> dirs_ GUARDED_BY(mu_);
  const std::shared_ptr<LockSet> locks_ = std::make_shared<LockSet>();
};

}  // namespace

std::unique_ptr<Env> NewMemEnv() { return std::make_unique<MemEnv>(); }

}  // namespace firn
