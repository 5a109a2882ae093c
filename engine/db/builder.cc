// db/builder.cc: see builder.h.
#include "db/builder.h"

#include <algorithm>

#include "db/dbformat.h"
#include "db/filename.h"
#include "port/env.h"

namespace firn {

OutputBuilder::OutputBuilder(Env* env, std::string dbname, const TableOptions& topts,
                             uint64_t target_file_bytes,
                             std::function<uint64_t()> new_file_number, uint64_t now_micros)
    : env_(env),
      dbname_(std::move(dbname)),
      topts_(topts),
      target_(target_file_bytes),
      new_file_number_(std::move(new_file_number)),
      now_micros_(now_micros) {}

OutputBuilder::~OutputBuilder() {
  if (builder_) builder_->Abandon();
  if (file_) file_->Close().IgnoreError();
}

Status OutputBuilder::OpenFile() {
  current_ = FileMetaData();
  current_.number = new_file_number_();
  current_.created_micros = now_micros_;
  created_.push_back(current_.number);
  Status s = env_->NewWritableFile(TableFileName(dbname_, current_.number), &file_);
  if (!s.ok()) return s;
  file_->SetWritebackBytes(topts_.bytes_per_sync);
  builder_ = std::make_unique<TableBuilder>(topts_, file_.get());
  return Status::OK();
}

Status OutputBuilder::CloseFile() {
  Status s = builder_->Finish();
  if (s.ok()) s = file_->Sync();
  if (s.ok()) s = file_->Close();
  current_.file_size = builder_->FileSize();
  current_.num_entries = builder_->NumEntries();
  bytes_written_ += current_.file_size;
  builder_.reset();
  file_.reset();
  if (s.ok()) outputs_.push_back(current_);
  return s;
}

Status OutputBuilder::Add(std::string_view ikey, std::string_view value) {
  std::string_view user_key = ExtractUserKey(ikey);
  if (builder_ && builder_->EstimatedFileSize() >= target_ &&
      CompareUserKey(user_key, last_user_key_) != 0) {
    Status s = CloseFile();
    if (!s.ok()) return s;
  }
  if (!builder_) {
    Status s = OpenFile();
    if (!s.ok()) return s;
    current_.smallest.assign(ikey);
    current_.smallest_seq = ExtractSequence(ikey);
    current_.largest_seq = current_.smallest_seq;
  }
  builder_->Add(ikey, value);
  current_.largest.assign(ikey);
  SequenceNumber seq = ExtractSequence(ikey);
  current_.smallest_seq = std::min(current_.smallest_seq, seq);
  current_.largest_seq = std::max(current_.largest_seq, seq);
  if (ExtractValueType(ikey) == kTypeDeletion) current_.num_deletions++;
  last_user_key_.assign(user_key);
  return builder_->status();
}

Status OutputBuilder::Finish(std::vector<FileMetaData>* outputs) {
  if (builder_) {
    Status s = CloseFile();
    if (!s.ok()) return s;
  }
  *outputs = outputs_;
  return Status::OK();
}

void OutputBuilder::Abandon() {
  if (builder_) builder_->Abandon();
  if (file_) file_->Close().IgnoreError();
  builder_.reset();
  file_.reset();
  for (uint64_t n : created_) env_->RemoveFile(TableFileName(dbname_, n)).IgnoreError();
  created_.clear();
  outputs_.clear();
}

}  // namespace firn
