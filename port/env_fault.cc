// port/env_fault.cc: see port/env_fault.h for the model.
#include "port/env_fault.h"

#include <algorithm>
#include <random>
#include <utility>

namespace firn {

namespace {

// "a/b" -> "a", "b" -> ".", "/b" -> "/".
std::string Dirname(const std::string& fname) {
  size_t slash = fname.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return fname.substr(0, slash);
}

// "a/b/" -> "a/b", "" -> ".", "/" stays "/".
std::string NormalizeDir(const std::string& dir) {
  size_t last = dir.find_last_not_of('/');
  if (last == std::string::npos) return std::string(dir.empty() ? "." : "/");
  return dir.substr(0, last + 1);
}

// Replaces fname's contents on env. Unlike WriteStringToFile it leaves a
// partial file in place on failure: this is damage, not a commit.
Status Overwrite(Env* env, const std::string& fname, std::string_view data) {
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(fname, &file);
  if (s.ok()) s = file->Append(data);
  if (s.ok()) s = file->Close();
  return s;
}

[[maybe_unused]] bool IsMutating(FaultInjectionEnv::OpKind kind) {  // for assert
  return kind != FaultInjectionEnv::OpKind::kRead;
}

}  // namespace

// Thread safety: one reader at a time; the Env's checks lock.
class FaultInjectionEnv::SequentialReader final : public SequentialFile {
 public:
  SequentialReader(FaultInjectionEnv* env, std::unique_ptr<SequentialFile> base)
      : env_(env), base_(std::move(base)) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    Status s = env_->BeginRead();
    if (!s.ok()) {
      *result = std::string_view();
      return s;
    }
    return base_->Read(n, result, scratch);
  }
  Status Skip(uint64_t n) override { return base_->Skip(n); }

 private:
  FaultInjectionEnv* const env_;
  const std::unique_ptr<SequentialFile> base_;
};

// Thread safety: Read may be called concurrently, as on the base file.
class FaultInjectionEnv::RandomReader final : public RandomAccessFile {
 public:
  RandomReader(FaultInjectionEnv* env, std::unique_ptr<RandomAccessFile> base)
      : env_(env), base_(std::move(base)) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result,
              char* scratch) const override {
    Status s = env_->BeginRead();
    if (!s.ok()) {
      *result = std::string_view();
      return s;
    }
    return base_->Read(offset, n, result, scratch);
  }

 private:
  FaultInjectionEnv* const env_;
  const std::unique_ptr<RandomAccessFile> base_;
};

// Writes through to the base file after the Env's checks, and reports
// appended and synced sizes to the inode. Follows the inode, not the name,
// so a file renamed while open is still tracked.
// Thread safety: one thread at a time.
class FaultInjectionEnv::Writer final : public WritableFile {
 public:
  Writer(FaultInjectionEnv* env, std::string fname, InodeRef inode,
         std::unique_ptr<WritableFile> base)
      : env_(env), fname_(std::move(fname)), inode_(std::move(inode)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    Status s = env_->BeginFileWrite(OpKind::kAppend, "append", fname_, data.size());
    if (!s.ok()) return s;
    s = base_->Append(data);
    if (s.ok()) env_->EndAppend(inode_, data.size());
    return s;
  }

  Status Flush() override {
    Status s = env_->BeginFileWrite(OpKind::kFlush, "flush", fname_, 0);
    if (!s.ok()) return s;
    return base_->Flush();
  }

  Status Sync() override {
    uint64_t size = 0;
    Status s = env_->BeginSync(fname_, inode_, &size);
    if (!s.ok()) return s;
    s = base_->Sync();
    if (s.ok()) env_->EndSync(inode_, size);
    return s;
  }

  Status Close() override { return base_->Close(); }
  void SetWritebackBytes(uint64_t bytes) override { base_->SetWritebackBytes(bytes); }

 private:
  FaultInjectionEnv* const env_;
  const std::string fname_;
  const InodeRef inode_;
  const std::unique_ptr<WritableFile> base_;
};

FaultInjectionEnv::FaultInjectionEnv(Env* base) : EnvWrapper(base) {}

FaultInjectionEnv::~FaultInjectionEnv() = default;

void FaultInjectionEnv::InjectError(OpKind kind, uint64_t nth, Status error, bool sticky) {
  assert(!error.ok());
  port::MutexLock l(&mu_);
  ErrorRule rule;
  rule.kind = kind;
  rule.nth = nth;
  rule.error = std::move(error);
  rule.sticky = sticky;
  rules_.push_back(std::move(rule));
}

void FaultInjectionEnv::ClearErrors() {
  port::MutexLock l(&mu_);
  rules_.clear();
}

void FaultInjectionEnv::CutPowerAfter(uint64_t n) {
  port::MutexLock l(&mu_);
  cut_armed_ = true;
  ops_until_cut_ = n;
}

bool FaultInjectionEnv::power_is_off() const {
  port::MutexLock l(&mu_);
  return power_off_;
}

uint64_t FaultInjectionEnv::mutating_ops() const {
  port::MutexLock l(&mu_);
  return mutating_ops_;
}

void FaultInjectionEnv::SetFreeSpace(uint64_t bytes) {
  port::MutexLock l(&mu_);
  space_limited_ = true;
  space_limit_ = bytes;
  space_used_ = 0;
}

void FaultInjectionEnv::ClearFreeSpaceLimit() {
  port::MutexLock l(&mu_);
  space_limited_ = false;
}

Status FaultInjectionEnv::BeginWrite(OpKind kind, const char* op, const std::string& fname,
                                     uint64_t append_bytes) {
  assert(IsMutating(kind));
  if (power_off_) return Status::IOError("simulated power cut", std::string(op) + " " + fname);

  const Status* injected = nullptr;
  for (ErrorRule& rule : rules_) {
    if (rule.kind != kind && rule.kind != OpKind::kAnyWrite) continue;
    ++rule.seen;
    bool fires = rule.seen == rule.nth || (rule.sticky && rule.seen > rule.nth);
    if (fires && injected == nullptr) injected = &rule.error;
  }
  if (injected != nullptr) return *injected;

  if (kind == OpKind::kAppend && space_limited_ &&
      append_bytes > space_limit_ - std::min(space_used_, space_limit_)) {
    return Status::NoSpace("no space left on device (simulated)", fname);
  }

  if (cut_armed_) {
    if (ops_until_cut_ == 0) {
      cut_armed_ = false;
      power_off_ = true;
      return Status::IOError("simulated power cut", std::string(op) + " " + fname);
    }
    --ops_until_cut_;
  }

  if (kind == OpKind::kAppend && space_limited_) space_used_ += append_bytes;
  ++mutating_ops_;
  return Status::OK();
}

Status FaultInjectionEnv::BeginRead() {
  port::MutexLock l(&mu_);
  const Status* injected = nullptr;
  for (ErrorRule& rule : rules_) {
    if (rule.kind != OpKind::kRead) continue;
    ++rule.seen;
    bool fires = rule.seen == rule.nth || (rule.sticky && rule.seen > rule.nth);
    if (fires && injected == nullptr) injected = &rule.error;
  }
  if (injected != nullptr) return *injected;
  return Status::OK();
}

Status FaultInjectionEnv::BeginFileWrite(OpKind kind, const char* op, const std::string& fname,
                                         uint64_t append_bytes) {
  port::MutexLock l(&mu_);
  return BeginWrite(kind, op, fname, append_bytes);
}

void FaultInjectionEnv::EndAppend(const InodeRef& inode, uint64_t n) {
  port::MutexLock l(&mu_);
  inode->size += n;
}

Status FaultInjectionEnv::BeginSync(const std::string& fname, const InodeRef& inode,
                                    uint64_t* size) {
  port::MutexLock l(&mu_);
  Status s = BeginWrite(OpKind::kSync, "sync", fname, 0);
  if (s.ok()) *size = inode->size;
  return s;
}

void FaultInjectionEnv::EndSync(const InodeRef& inode, uint64_t size) {
  port::MutexLock l(&mu_);
  // A truncation since BeginSync (NewWritableFile on the same name) wins.
  inode->durable_size = std::max(inode->durable_size, std::min(size, inode->size));
}

void FaultInjectionEnv::Track(const std::string& fname) {
  if (current_.count(fname) != 0) return;
  InodeRef inode;
  uint64_t size = 0;
  if (target()->GetFileSize(fname, &size).ok()) {
    inode = std::make_shared<Inode>();
    inode->size = size;
    inode->durable_size = size;
  }
  current_[fname] = inode;
  durable_[fname] = inode;
}

bool FaultInjectionEnv::DurablyReferenced(const InodeRef& inode) const {
  return std::any_of(durable_.begin(), durable_.end(),
                     [&](const auto& entry) { return entry.second == inode; });
}

Status FaultInjectionEnv::Detach(const InodeRef& inode, const std::string& fname,
                                 bool* stashed) {
  *stashed = false;
  if (inode == nullptr || inode->stashed || !DurablyReferenced(inode)) return Status::OK();
  Status s = ReadFileToString(target(), fname, &inode->stash);
  if (!s.ok()) {
    inode->stash.clear();
    return s;
  }
  inode->stashed = true;
  *stashed = true;
  return Status::OK();
}

Status FaultInjectionEnv::NewSequentialFile(const std::string& fname,
                                            std::unique_ptr<SequentialFile>* result) {
  std::unique_ptr<SequentialFile> base;
  Status s = target()->NewSequentialFile(fname, &base);
  result->reset();
  if (s.ok()) *result = std::make_unique<SequentialReader>(this, std::move(base));
  return s;
}

Status FaultInjectionEnv::NewRandomAccessFile(const std::string& fname,
                                              std::unique_ptr<RandomAccessFile>* result) {
  std::unique_ptr<RandomAccessFile> base;
  Status s = target()->NewRandomAccessFile(fname, &base);
  result->reset();
  if (s.ok()) *result = std::make_unique<RandomReader>(this, std::move(base));
  return s;
}

Status FaultInjectionEnv::NewWritableFile(const std::string& fname,
                                          std::unique_ptr<WritableFile>* result) {
  return OpenWritable(fname, /*truncate=*/true, result);
}

Status FaultInjectionEnv::NewAppendableFile(const std::string& fname,
                                            std::unique_ptr<WritableFile>* result) {
  return OpenWritable(fname, /*truncate=*/false, result);
}

Status FaultInjectionEnv::OpenWritable(const std::string& fname, bool truncate,
                                       std::unique_ptr<WritableFile>* result) {
  result->reset();
  port::MutexLock l(&mu_);
  Status s = BeginWrite(OpKind::kCreate, "open", fname, 0);
  if (!s.ok()) return s;
  Track(fname);
  std::unique_ptr<WritableFile> base;
  s = truncate ? target()->NewWritableFile(fname, &base)
               : target()->NewAppendableFile(fname, &base);
  if (!s.ok()) return s;
  InodeRef& inode = current_[fname];
  if (inode == nullptr) {
    inode = std::make_shared<Inode>();
  } else if (truncate) {
    inode->size = 0;
    inode->durable_size = 0;
  }
  *result = std::make_unique<Writer>(this, fname, inode, std::move(base));
  return Status::OK();
}

Status FaultInjectionEnv::RemoveFile(const std::string& fname) {
  port::MutexLock l(&mu_);
  Status s = BeginWrite(OpKind::kRemove, "remove", fname, 0);
  if (!s.ok()) return s;
  Track(fname);
  InodeRef inode = current_[fname];
  bool stashed = false;
  s = Detach(inode, fname, &stashed);
  if (s.ok()) s = target()->RemoveFile(fname);
  if (!s.ok()) {
    if (stashed) {
      inode->stashed = false;
      inode->stash.clear();
    }
    return s;
  }
  current_[fname] = nullptr;
  return Status::OK();
}

Status FaultInjectionEnv::RenameFile(const std::string& src, const std::string& target_name) {
  port::MutexLock l(&mu_);
  Status s = BeginWrite(OpKind::kRename, "rename", src, 0);
  if (!s.ok()) return s;
  if (src == target_name) return target()->RenameFile(src, target_name);
  Track(src);
  Track(target_name);
  InodeRef moving = current_[src];
  InodeRef replaced = current_[target_name];
  bool stashed = false;
  if (replaced != moving) s = Detach(replaced, target_name, &stashed);
  if (s.ok()) s = target()->RenameFile(src, target_name);
  if (!s.ok()) {
    if (stashed) {
      replaced->stashed = false;
      replaced->stash.clear();
    }
    return s;
  }
  current_[target_name] = moving;
  current_[src] = nullptr;
  return Status::OK();
}

Status FaultInjectionEnv::CreateDir(const std::string& dir) {
  port::MutexLock l(&mu_);
  Status s = BeginWrite(OpKind::kCreate, "create dir", dir, 0);
  if (!s.ok()) return s;
  return target()->CreateDir(dir);
}

Status FaultInjectionEnv::RemoveDir(const std::string& dir) {
  port::MutexLock l(&mu_);
  Status s = BeginWrite(OpKind::kRemove, "remove dir", dir, 0);
  if (!s.ok()) return s;
  return target()->RemoveDir(dir);
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  port::MutexLock l(&mu_);
  Status s = BeginWrite(OpKind::kSyncDir, "sync dir", dir, 0);
  if (!s.ok()) return s;
  s = target()->SyncDir(dir);
  if (!s.ok()) return s;
  const std::string d = NormalizeDir(dir);
  for (auto it = current_.begin(); it != current_.end();) {
    if (Dirname(it->first) != d) {
      ++it;
      continue;
    }
    if (it->second == nullptr) {
      durable_.erase(it->first);
      it = current_.erase(it);
    } else {
      durable_[it->first] = it->second;
      ++it;
    }
  }
  return Status::OK();
}

Status FaultInjectionEnv::GetFreeSpace(const std::string& path, uint64_t* bytes) {
  {
    port::MutexLock l(&mu_);
    if (space_limited_) {
      *bytes = space_limit_ - std::min(space_used_, space_limit_);
      return Status::OK();
    }
  }
  return target()->GetFreeSpace(path, bytes);
}

Status FaultInjectionEnv::ResetAfterPowerCut(const PowerCutOptions& options) {
  port::MutexLock l(&mu_);
  power_off_ = true;
  std::mt19937_64 rng(options.seed);

  // Where each live inode's bytes are now.
  std::map<const Inode*, std::string> current_name;
  for (const auto& [name, inode] : current_) {
    if (inode != nullptr) current_name[inode.get()] = name;
  }

  // What each name holds after reboot, decided (and every byte read)
  // before the base Env changes: names in `writes` get their durable
  // inode's bytes from `contents`, names in `removes` vanish.
  std::map<const Inode*, std::string> contents;
  std::vector<std::pair<std::string, const Inode*>> writes;
  std::vector<std::string> removes;
  for (const auto& [name, durable] : durable_) {
    const InodeRef& now = current_[name];
    if (durable == nullptr) {
      if (now != nullptr) removes.push_back(name);
      continue;
    }
    if (durable == now && !durable->stashed && durable->size <= durable->durable_size) {
      continue;  // untouched since it was last durable
    }
    writes.emplace_back(name, durable.get());
    if (contents.count(durable.get()) != 0) continue;

    std::string data;
    if (durable->stashed) {
      data = durable->stash;
    } else {
      auto where = current_name.find(durable.get());
      if (where == current_name.end()) {
        return Status::IOError("reset after power cut", "lost the bytes of " + name);
      }
      Status s = ReadFileToString(target(), where->second, &data);
      if (!s.ok()) return s;
    }
    const uint64_t durable_size = durable->durable_size;
    const bool had_unsynced = data.size() > durable_size;
    size_t keep = static_cast<size_t>(std::min<uint64_t>(durable_size, data.size()));
    if (options.tear_last_write && had_unsynced) {
      keep += static_cast<size_t>(rng() % (data.size() - keep + 1));
    }
    data.resize(keep);
    if (had_unsynced) {
      for (size_t i = 0; i < options.garbage_bytes; ++i) {
        data.push_back(static_cast<char>(rng() & 0xff));
      }
    }
    contents[durable.get()] = std::move(data);
  }

  for (const std::string& name : removes) {
    Status s = target()->RemoveFile(name);
    if (!s.ok()) return s;
  }
  for (const auto& [name, inode] : writes) {
    Status s = Overwrite(target(), name, contents[inode]);
    if (!s.ok()) return s;
  }

  current_.clear();
  durable_.clear();
  rules_.clear();
  cut_armed_ = false;
  power_off_ = false;
  return Status::OK();
}

Status FaultInjectionEnv::FlipBit(const std::string& fname, uint64_t offset, int bit) {
  port::MutexLock l(&mu_);
  if (bit < 0 || bit > 7) return Status::InvalidArgument("flip bit " + fname, "bit not in [0, 7]");
  std::string data;
  Status s = ReadFileToString(target(), fname, &data);
  if (!s.ok()) return s;
  if (offset >= data.size()) {
    return Status::InvalidArgument("flip bit " + fname, "offset beyond end of file");
  }
  data[static_cast<size_t>(offset)] ^= static_cast<char>(1 << bit);
  return Overwrite(target(), fname, data);
}

Status FaultInjectionEnv::TruncateFile(const std::string& fname, uint64_t size) {
  port::MutexLock l(&mu_);
  std::string data;
  Status s = ReadFileToString(target(), fname, &data);
  if (!s.ok()) return s;
  if (size > data.size()) {
    return Status::InvalidArgument("truncate " + fname, "size beyond end of file");
  }
  data.resize(static_cast<size_t>(size));
  s = Overwrite(target(), fname, data);
  if (!s.ok()) return s;
  auto it = current_.find(fname);
  if (it != current_.end() && it->second != nullptr) {
    it->second->size = size;
    it->second->durable_size = std::min(it->second->durable_size, size);
  }
  return Status::OK();
}

}  // namespace firn
