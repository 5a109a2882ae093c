// version/version_set.cc: see version_set.h.
#include "version/version_set.h"

#include "db/filename.h"
#include "db/io_stats_env.h"
#include "port/env.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace firn {

namespace {
// A new manifest (with a fresh snapshot) is started when the live one
// reaches this size, so recovery reads little and old edits do not pile up.
constexpr uint64_t kManifestRollBytes = 1u << 20;

}  // namespace

VersionSet::VersionSet(std::string dbname, const Options& options, Env* env)
    : dbname_(std::move(dbname)),
      options_(options),
      env_(env),
      current_(std::make_shared<const Version>(options.num_levels)) {}

VersionSet::~VersionSet() {
  if (manifest_file_) manifest_file_->Close().IgnoreError();
}

void VersionSet::InitNew() {
  next_file_number_ = 2;
  next_run_id_ = 1;
  last_sequence_ = 0;
  log_number_ = 0;
  recovered_device_bytes_ = 0;
  recovered_user_bytes_ = 0;
  current_ = std::make_shared<const Version>(options_.num_levels);
}

Status VersionSet::Recover() {
  std::string current;
  Status s = ReadFileToString(env_, CurrentFileName(dbname_), &current);
  if (!s.ok()) {
    if (!env_->FileExists(CurrentFileName(dbname_))) return Status::NotFound("no CURRENT file");
    return s;
  }
  if (current.empty() || current.back() != '\n' ||
      current.find('/') != std::string::npos) {
    return Status::Corruption(CurrentFileName(dbname_) + ": malformed (expected 'MANIFEST-N\\n')");
  }
  current.pop_back();
  uint64_t number;
  FileType type;
  if (!ParseFileName(current, &number, &type) || type != FileType::kManifest) {
    return Status::Corruption(CurrentFileName(dbname_) + ": names '" + current +
                              "', not a manifest");
  }
  std::string fname = dbname_ + "/" + current;
  std::unique_ptr<SequentialFile> file;
  s = env_->NewSequentialFile(fname, &file);
  if (!s.ok()) {
    return Status::Corruption("CURRENT names " + fname + " which cannot be opened", s.ToString());
  }
  log::FirstDamage reporter;
  log::Reader reader(file.get(), fname, number, &reporter);
  bool empty = false;
  s = reader.ReadHeader(&empty);
  if (!s.ok()) return s;
  if (empty) return Status::Corruption(fname + ": empty manifest");

  std::shared_ptr<Version> v = std::make_shared<Version>(options_.num_levels);
  bool have_version = false, have_next = false, have_last = false, have_log = false;
  uint64_t next_file = 0, log_number = 0, next_run = 1, device_bytes = 0, user_bytes = 0;
  SequenceNumber last_seq = 0;
  std::string_view record;
  std::string scratch;
  uint64_t record_start = reader.LastRecordEnd();
  while (reader.ReadRecord(&record, &scratch)) {
    VersionEdit edit;
    s = edit.DecodeFrom(record);
    if (!s.ok()) {
      return Status::Corruption(fname + " at offset " + std::to_string(record_start),
                                s.message());
    }
    if (edit.format_version()) {
      if (*edit.format_version() > kManifestFormatVersion) {
        return Status::InvalidArgument(
            fname + ": manifest format version " + std::to_string(*edit.format_version()) +
            " is newer than supported " + std::to_string(kManifestFormatVersion));
      }
      have_version = true;
    } else if (!have_version) {
      return Status::Corruption(fname + ": first edit lacks the format version");
    }
    for (const VersionEdit::NewFile& nf : edit.new_files()) {
      if (nf.level >= options_.num_levels) {
        return Status::InvalidArgument(fname + ": holds level " + std::to_string(nf.level) +
                                       " but num_levels is " +
                                       std::to_string(options_.num_levels));
      }
    }
    std::shared_ptr<Version> next;
    s = Version::Apply(*v, edit, &next);
    if (!s.ok()) {
      return Status::Corruption(fname + " at offset " + std::to_string(record_start),
                                s.message());
    }
    v = std::move(next);
    if (edit.log_number()) {
      log_number = *edit.log_number();
      have_log = true;
    }
    if (edit.next_file_number()) {
      next_file = *edit.next_file_number();
      have_next = true;
    }
    if (edit.last_sequence()) {
      last_seq = *edit.last_sequence();
      have_last = true;
    }
    if (edit.next_run_id()) next_run = *edit.next_run_id();
    if (edit.lifetime_device_bytes()) device_bytes = *edit.lifetime_device_bytes();
    if (edit.lifetime_user_bytes()) user_bytes = *edit.lifetime_user_bytes();
    record_start = reader.LastRecordEnd();
  }
  if (!reader.status().ok()) return reader.status();
  if (reporter.damaged && reader.DamageIsFollowedByValidRecords()) {
    return Status::Corruption(fname + " at offset " + std::to_string(reporter.offset),
                              reporter.reason.message());
  }
  if (reporter.damaged) {
    // A torn last edit was never acted on, so every table the edits before
    // it name still exists. If one is gone, the damaged record was an edit
    // that did take effect (damage, not a torn write): opening the older
    // state would lose data and delete the newer tables as strays.
    for (const Level& level : v->levels()) {
      for (const Run& run : level.runs) {
        for (const FileRef& f : run.files) {
          const std::string table = TableFileName(dbname_, f->number);
          if (!env_->FileExists(table)) {
            return Status::Corruption(
                fname + " at offset " + std::to_string(reporter.offset),
                std::string(reporter.reason.message()) + "; the edits before it name " + table +
                    ", which is missing (run repair)");
          }
        }
      }
    }
  }
  if (!have_next || !have_last || !have_log) {
    return Status::Corruption(fname + ": no complete snapshot record (missing counters)");
  }
  current_ = v;
  live_versions_.push_back(current_);
  next_file_number_ = next_file;
  last_sequence_ = last_seq;
  log_number_ = log_number;
  next_run_id_ = std::max<uint64_t>(next_run, v->MaxRunId() + 1);
  recovered_device_bytes_ = device_bytes;
  recovered_user_bytes_ = user_bytes;
  manifest_file_number_ = number;
  MarkFileNumberUsed(number);
  return Status::OK();
}

std::string VersionSet::EncodeSnapshot() const {
  VersionEdit edit;
  edit.SetFormatVersion(kManifestFormatVersion);
  edit.SetLogNumber(log_number_);
  edit.SetNextFileNumber(next_file_number_);
  edit.SetLastSequence(last_sequence_);
  edit.SetNextRunId(next_run_id_);
  edit.SetLifetimeDeviceBytes(LifetimeDeviceBytes());
  edit.SetLifetimeUserBytes(LifetimeUserBytes());
  for (int l = 0; l < current_->num_levels(); ++l) {
    for (const Run& run : current_->level(l).runs) {
      for (const FileRef& f : run.files) edit.AddFile(l, run.id, *f);
    }
  }
  std::string record;
  edit.EncodeTo(&record);
  return record;
}

Status VersionSet::OpenNewManifest(uint64_t number, std::string_view snapshot) {
  std::string fname = ManifestFileName(dbname_, number);
  std::unique_ptr<WritableFile> file;
  Status s = env_->NewWritableFile(fname, &file);
  if (!s.ok()) return s;
  auto log = std::make_unique<log::Writer>(file.get(), number);
  s = log->WriteHeader();
  if (s.ok()) s = log->AddRecord(snapshot);
  if (!s.ok()) {
    file->Close().IgnoreError();
    env_->RemoveFile(fname).IgnoreError();
    return s;
  }
  manifest_file_ = std::move(file);
  manifest_log_ = std::move(log);
  return Status::OK();
}

Status VersionSet::LogAndApply(VersionEdit* edit, port::Mutex* mu) {
  mu->AssertHeld();
  if (edit->log_number()) {
    if (*edit->log_number() < log_number_) {
      return Status::InvalidArgument("version edit moves the log number backwards");
    }
  } else {
    edit->SetLogNumber(log_number_);
  }
  edit->SetNextFileNumber(next_file_number_);
  edit->SetLastSequence(last_sequence_);
  edit->SetNextRunId(next_run_id_);
  edit->SetLifetimeDeviceBytes(LifetimeDeviceBytes());
  edit->SetLifetimeUserBytes(LifetimeUserBytes());

  std::shared_ptr<Version> v;
  Status s = Version::Apply(*current_, *edit, &v);
  if (!s.ok()) return s;

  // A new manifest is written when none is open (first edit after open,
  // or after a failed write left the old one with a torn record) or when
  // the live one has grown large.
  uint64_t new_manifest_number = 0;
  if (manifest_log_ == nullptr || manifest_log_->FileSize() >= kManifestRollBytes) {
    new_manifest_number = NewFileNumber();
    edit->SetNextFileNumber(next_file_number_);
  }
  std::string record;
  edit->EncodeTo(&record);
  // The snapshot is encoded under the mutex: writers move the counters
  // while the manifest is written.
  std::string snapshot;
  if (new_manifest_number != 0) snapshot = EncodeSnapshot();

  std::unique_ptr<WritableFile> old_file;
  std::unique_ptr<log::Writer> old_log;
  uint64_t size_before = 0;
  mu->Unlock();
  if (new_manifest_number != 0) {
    old_log = std::move(manifest_log_);
    old_file = std::move(manifest_file_);
    s = OpenNewManifest(new_manifest_number, snapshot);
  } else {
    size_before = manifest_log_->FileSize();
  }
  if (s.ok()) s = manifest_log_->AddRecord(record);
  if (s.ok()) s = manifest_file_->Sync();
  bool current_may_name_it = false;
  if (s.ok() && new_manifest_number != 0) {
    current_may_name_it = true;
    s = SetCurrentFile(env_, dbname_, new_manifest_number);
  }
  uint64_t written = 0;
  if (manifest_log_) {
    written = manifest_log_->FileSize() - size_before;
    if (new_manifest_number != 0) written += ManifestFileName(dbname_, 0).size();
  }
  if (old_file) old_file->Close().IgnoreError();
  mu->Lock();

  manifest_bytes_written_ += written;
  if (!s.ok()) {
    // The manifest may now end in a torn record: never append to it again.
    // The record may also have reached the device, so the caller must keep
    // the files the edit adds until the next open decides.
    if (manifest_file_) manifest_file_->Close().IgnoreError();
    manifest_file_.reset();
    manifest_log_.reset();
    if (new_manifest_number != 0 && !current_may_name_it) {
      env_->RemoveFile(ManifestFileName(dbname_, new_manifest_number)).IgnoreError();
    }
    return s;
  }
  if (new_manifest_number != 0) manifest_file_number_ = new_manifest_number;
  log_number_ = *edit->log_number();
  current_ = std::move(v);
  live_versions_.push_back(current_);
  return Status::OK();
}

uint64_t VersionSet::LifetimeDeviceBytes() const {
  return recovered_device_bytes_ +
         (device_bytes_source_ != nullptr ? device_bytes_source_->TotalWritten() : 0);
}

uint64_t VersionSet::LifetimeUserBytes() const {
  return recovered_user_bytes_ +
         (user_bytes_source_ != nullptr ? user_bytes_source_->load(std::memory_order_relaxed) : 0);
}

void VersionSet::AddLiveFiles(std::set<uint64_t>* live) {
  for (auto it = live_versions_.begin(); it != live_versions_.end();) {
    std::shared_ptr<const Version> v = it->lock();
    if (!v) {
      it = live_versions_.erase(it);
      continue;
    }
    for (const Level& level : v->levels()) {
      for (const Run& run : level.runs) {
        for (const FileRef& f : run.files) live->insert(f->number);
      }
    }
    ++it;
  }
}

}  // namespace firn
