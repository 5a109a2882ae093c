// db/run_iterator.cc: see run_iterator.h.
#include "db/run_iterator.h"

#include <cassert>
#include <memory>
#include <utility>

#include "db/dbformat.h"

namespace firn {

namespace {

// Invariants: file_ is null or the open iterator of files_[index_]; the run
// iterator is valid exactly when file_ is non-null and valid. status_ holds
// the first error seen.
class RunIterator final : public Iterator {
 public:
  RunIterator(std::vector<RunFile> files, std::function<Iterator*(size_t)> open_file)
      : files_(std::move(files)), open_file_(std::move(open_file)) {}

  bool Valid() const override { return file_ != nullptr && file_->Valid(); }

  void SeekToFirst() override {
    if (!OpenFile(0)) return;
    file_->SeekToFirst();
    SkipEmptyFilesForward();
  }

  void SeekToLast() override {
    if (files_.empty()) return;
    if (!OpenFile(files_.size() - 1)) return;
    file_->SeekToLast();
    SkipEmptyFilesBackward();
  }

  void Seek(std::string_view target) override {
    // First file whose largest key is >= target.
    size_t lo = 0, hi = files_.size();
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (CompareInternalKey(files_[mid].largest, target) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (!OpenFile(lo)) return;
    file_->Seek(target);
    SkipEmptyFilesForward();
  }

  void Next() override {
    assert(Valid());
    file_->Next();
    SkipEmptyFilesForward();
  }

  void Prev() override {
    assert(Valid());
    file_->Prev();
    SkipEmptyFilesBackward();
  }

  std::string_view key() const override {
    assert(Valid());
    return file_->key();
  }

  std::string_view value() const override {
    assert(Valid());
    return file_->value();
  }

  Status status() const override {
    if (!status_.ok()) return status_;
    if (file_ != nullptr) return file_->status();
    return Status::OK();
  }

 private:
  // Makes file i the open file, reusing it if it is open already. Returns
  // false (and closes any open file) if i is past the last file.
  bool OpenFile(size_t i) {
    if (i >= files_.size()) {
      file_.reset();
      return false;
    }
    if (file_ == nullptr || index_ != i) {
      file_.reset();  // at most one file open at a time
      file_.reset(open_file_(i));
      index_ = i;
    }
    return true;
  }

  // True if the open file stopped with an error; records the error.
  bool FileFailed() {
    Status s = file_->status();
    if (s.ok()) return false;
    if (status_.ok()) status_ = std::move(s);
    return true;
  }

  void SkipEmptyFilesForward() {
    while (file_ != nullptr && !file_->Valid()) {
      if (FileFailed() || !OpenFile(index_ + 1)) return;
      file_->SeekToFirst();
    }
  }

  void SkipEmptyFilesBackward() {
    while (file_ != nullptr && !file_->Valid()) {
      if (FileFailed()) return;
      if (index_ == 0) {
        file_.reset();
        return;
      }
      OpenFile(index_ - 1);
      file_->SeekToLast();
    }
  }

  const std::vector<RunFile> files_;
  const std::function<Iterator*(size_t)> open_file_;
  std::unique_ptr<Iterator> file_;
  size_t index_ = 0;
  Status status_;
};

}  // namespace

Iterator* NewRunIterator(std::vector<RunFile> files,
                         std::function<Iterator*(size_t file_index)> open_file) {
  return new RunIterator(std::move(files), std::move(open_file));
}

}  // namespace firn
