// db/io_stats_env.cc: see io_stats_env.h.
#include "db/io_stats_env.h"

#include "db/filename.h"

namespace firn {

namespace {

class CountingWritableFile final : public WritableFile {
 public:
  CountingWritableFile(std::unique_ptr<WritableFile> base, std::atomic<uint64_t>* bytes,
                       std::atomic<uint64_t>* syncs)
      : base_(std::move(base)), bytes_(bytes), syncs_(syncs) {}
  Status Append(std::string_view data) override {
    Status s = base_->Append(data);
    if (s.ok()) bytes_->fetch_add(data.size(), std::memory_order_relaxed);
    return s;
  }
  Status Flush() override { return base_->Flush(); }
  Status Sync() override {
    syncs_->fetch_add(1, std::memory_order_relaxed);
    return base_->Sync();
  }
  Status Close() override { return base_->Close(); }
  void SetWritebackBytes(uint64_t bytes) override { base_->SetWritebackBytes(bytes); }

 private:
  std::unique_ptr<WritableFile> base_;
  std::atomic<uint64_t>* bytes_;
  std::atomic<uint64_t>* syncs_;
};

class CountingRandomAccessFile final : public RandomAccessFile {
 public:
  CountingRandomAccessFile(std::unique_ptr<RandomAccessFile> base, std::atomic<uint64_t>* bytes)
      : base_(std::move(base)), bytes_(bytes) {}
  Status Read(uint64_t offset, size_t n, std::string_view* result,
              char* scratch) const override {
    Status s = base_->Read(offset, n, result, scratch);
    if (s.ok()) bytes_->fetch_add(result->size(), std::memory_order_relaxed);
    return s;
  }

 private:
  std::unique_ptr<RandomAccessFile> base_;
  std::atomic<uint64_t>* bytes_;
};

class CountingSequentialFile final : public SequentialFile {
 public:
  CountingSequentialFile(std::unique_ptr<SequentialFile> base, std::atomic<uint64_t>* bytes)
      : base_(std::move(base)), bytes_(bytes) {}
  Status Read(size_t n, std::string_view* result, char* scratch) override {
    Status s = base_->Read(n, result, scratch);
    if (s.ok()) bytes_->fetch_add(result->size(), std::memory_order_relaxed);
    return s;
  }
  Status Skip(uint64_t n) override { return base_->Skip(n); }

 private:
  std::unique_ptr<SequentialFile> base_;
  std::atomic<uint64_t>* bytes_;
};

}  // namespace

std::atomic<uint64_t>* IOStatsEnv::CounterFor(const std::string& fname) {
  size_t slash = fname.rfind('/');
  std::string_view base = slash == std::string::npos ? std::string_view(fname)
                                                     : std::string_view(fname).substr(slash + 1);
  uint64_t number;
  FileType type;
  if (!ParseFileName(base, &number, &type)) return &counters_.other_bytes;
  switch (type) {
    case FileType::kLog:
      return &counters_.wal_bytes;
    case FileType::kTable:
      return &counters_.sst_bytes;
    case FileType::kManifest:
    case FileType::kCurrent:
    case FileType::kTemp:
      return &counters_.manifest_bytes;
    default:
      return &counters_.other_bytes;
  }
}

Status IOStatsEnv::NewSequentialFile(const std::string& f, std::unique_ptr<SequentialFile>* r) {
  std::unique_ptr<SequentialFile> base;
  Status s = target()->NewSequentialFile(f, &base);
  if (s.ok()) *r = std::make_unique<CountingSequentialFile>(std::move(base), &counters_.bytes_read);
  return s;
}

Status IOStatsEnv::NewRandomAccessFile(const std::string& f,
                                       std::unique_ptr<RandomAccessFile>* r) {
  std::unique_ptr<RandomAccessFile> base;
  Status s = target()->NewRandomAccessFile(f, &base);
  if (s.ok()) {
    *r = std::make_unique<CountingRandomAccessFile>(std::move(base), &counters_.bytes_read);
  }
  return s;
}

Status IOStatsEnv::CountWrites(const std::string& f, Status s,
                               std::unique_ptr<WritableFile> base,
                               std::unique_ptr<WritableFile>* r) {
  if (s.ok()) {
    *r = std::make_unique<CountingWritableFile>(std::move(base), CounterFor(f), &counters_.syncs);
  }
  return s;
}

Status IOStatsEnv::NewWritableFile(const std::string& f, std::unique_ptr<WritableFile>* r) {
  std::unique_ptr<WritableFile> base;
  Status s = target()->NewWritableFile(f, &base);
  return CountWrites(f, std::move(s), std::move(base), r);
}

Status IOStatsEnv::NewAppendableFile(const std::string& f, std::unique_ptr<WritableFile>* r) {
  std::unique_ptr<WritableFile> base;
  Status s = target()->NewAppendableFile(f, &base);
  return CountWrites(f, std::move(s), std::move(base), r);
}

Status IOStatsEnv::NewLogFile(const std::string& f, std::unique_ptr<WritableFile>* r) {
  std::unique_ptr<WritableFile> base;
  Status s = target()->NewLogFile(f, &base);
  return CountWrites(f, std::move(s), std::move(base), r);
}

}  // namespace firn
