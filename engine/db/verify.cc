// db/verify.cc: VerifyDB (firn/repair.h), an offline check of every file a
// database needs.
//
// The manifest is read through VersionSet::Recover, exactly as DB::Open
// reads it. Each live SST file is opened with Table::Open (footer, index,
// filter) and then walked block by block through the index, so that every
// damaged block is reported, not only the first one as
// Table::VerifyChecksums would. Each live WAL is read with log::Reader and
// every record decoded as a write batch. Nothing is written.
#include <algorithm>
#include <map>
#include <set>

#include "db/dbformat.h"
#include "db/filename.h"
#include "db/write_batch_internal.h"
#include "firn/repair.h"
#include "firn/write_batch.h"
#include "port/env.h"
#include "sst/block.h"
#include "sst/format.h"
#include "sst/table.h"
#include "version/version_set.h"
#include "wal/log_format.h"
#include "wal/log_probe.h"
#include "wal/log_reader.h"

namespace firn {

namespace {

// Brings a Corruption message about fname into the report's form
// "<fname> at offset N: <what>". SST errors read "<fname>: <what> at offset
// N" (sst/format.h CorruptionAt); WAL and manifest errors already have the
// report's form.
std::string ProblemLine(const Status& s, const std::string& fname) {
  std::string m(s.message());
  const std::string at_prefix = fname + " at offset ";
  if (m.starts_with(at_prefix)) return m;
  const std::string colon_prefix = fname + ": ";
  if (m.starts_with(colon_prefix)) {
    std::string what = m.substr(colon_prefix.size());
    const size_t at = what.rfind(" at offset ");
    if (at != std::string::npos && at + 11 < what.size() &&
        what.find_first_not_of("0123456789", at + 11) == std::string::npos) {
      return at_prefix + what.substr(at + 11) + ": " + what.substr(0, at);
    }
    return m;
  }
  return fname + ": " + m;
}

std::string AtOffset(const std::string& fname, uint64_t offset, const std::string& what) {
  return fname + " at offset " + std::to_string(offset) + ": " + what;
}


// Counts the updates of a batch (WriteBatch::Iterate checks the framing).
class CountingHandler final : public WriteBatch::Handler {
 public:
  void Put(std::string_view, std::string_view) override { count++; }
  void Delete(std::string_view) override { count++; }
  uint32_t count = 0;
};

class Verifier {
 public:
  Verifier(const std::string& path, const Options& options, VerifyReport* report,
           const ProgressFunction& progress)
      : path_(path),
        options_(options),
        env_(options.env != nullptr ? options.env : Env::Default()),
        report_(report),
        progress_(progress) {
    options_.env = env_;
  }

  Status Run();

 private:
  // Each returns a non-OK status only for an I/O error, which ends the
  // check; damage is added to the report.
  Status CheckManifest(uint64_t manifest_number);
  Status CheckTable(uint64_t number, const FileMetaData* meta);
  Status WalkTable(const std::string& fname, uint64_t size, const FileMetaData* meta);
  // active: the newest log holding records, whose damage DB::Open
  // treats as a torn tail even when records follow.
  Status CheckLog(uint64_t number, bool active);

  // Records damage; s is the status it came from (its code becomes the
  // result when it is the first).
  void Problem(std::string line, const Status& s) {
    if (first_problem_.ok()) {
      first_problem_ =
          s.IsInvalidArgument() ? Status::InvalidArgument(line) : Status::Corruption(line);
    }
    report_->problems.push_back(std::move(line));
  }
  static bool IsDamage(const Status& s) { return s.IsCorruption() || s.IsInvalidArgument(); }
  // Records a damage status about fname and returns OK; returns any other
  // error (I/O) as it is.
  Status Record(const Status& s, const std::string& fname) {
    if (!IsDamage(s)) return s;
    Problem(ProblemLine(s, fname), s);
    return Status::OK();
  }
  void Advance(uint64_t bytes) {
    done_ += bytes;
    report_->bytes_checked += bytes;
    if (progress_) progress_(std::min(done_, total_), total_);
  }
  uint64_t SizeOf(const std::string& fname) {
    uint64_t size = 0;
    if (!env_->GetFileSize(fname, &size).ok()) size = 0;
    return size;
  }

  const std::string path_;
  Options options_;
  Env* const env_;
  VerifyReport* const report_;
  const ProgressFunction& progress_;
  uint64_t done_ = 0, total_ = 0;
  Status first_problem_;
};

Status Verifier::Run() {
  std::vector<std::string> children;
  Status s = env_->GetChildren(path_, &children);
  if (!s.ok()) return Status::InvalidArgument(path_ + ": no database directory", s.message());
  std::map<uint64_t, FileType> files;  // by number: logs, tables, manifests
  bool any = false;
  for (const std::string& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    any = true;
    if (type == FileType::kLog || type == FileType::kTable || type == FileType::kManifest) {
      files[number] = type;
    }
  }
  if (!any) return Status::InvalidArgument(path_ + ": no firn database here");

  std::unique_ptr<FileLock> lock;
  s = env_->LockFile(LockFileName(path_), &lock);
  if (!s.ok()) return s;

  VersionSet versions(path_, options_, env_);
  Status recovered = versions.Recover();
  std::map<uint64_t, const FileMetaData*> live_tables;
  std::shared_ptr<const Version> current;
  uint64_t min_log = 0;
  if (recovered.ok()) {
    current = versions.current();
    for (const Level& level : current->levels()) {
      for (const firn::Run& run : level.runs) {
        for (const FileRef& f : run.files) live_tables[f->number] = f.get();
      }
    }
    min_log = versions.LogNumber();
  } else if (recovered.IsNotFound()) {
    Problem(CurrentFileName(path_) + ": missing", Status::Corruption("missing CURRENT"));
  } else if (IsDamage(recovered)) {
    // Messages from Recover name CURRENT or the manifest and the offset.
    Problem(std::string(recovered.message()), recovered);
  } else {
    lock.reset();
    return recovered;
  }
  if (!recovered.ok()) {
    report_->notes.push_back(
        "the manifest could not be read: checked every SST and log file in the directory");
  }

  // What to check, and the total for progress.
  std::vector<uint64_t> tables, logs;
  for (auto [number, type] : files) {
    if (type == FileType::kTable) {
      if (!recovered.ok() || live_tables.count(number) > 0) {
        tables.push_back(number);
      } else {
        report_->notes.push_back(TableFileName(path_, number) +
                                 ": not part of the database (left by an interrupted flush "
                                 "or compaction; the next open deletes it)");
      }
    } else if (type == FileType::kLog) {
      if (number >= min_log) {
        logs.push_back(number);
      } else {
        report_->notes.push_back(LogFileName(path_, number) +
                                 ": obsolete log (already flushed; the next open deletes it)");
      }
    }
  }
  for (uint64_t n : tables) total_ += SizeOf(TableFileName(path_, n));
  for (uint64_t n : logs) total_ += SizeOf(LogFileName(path_, n));
  if (recovered.ok()) total_ += SizeOf(ManifestFileName(path_, versions.ManifestFileNumber()));

  if (recovered.ok()) s = CheckManifest(versions.ManifestFileNumber());
  for (auto [number, meta] : live_tables) {
    if (!s.ok()) break;
    if (files.count(number) == 0) {
      Problem(TableFileName(path_, number) + ": missing (the manifest lists it)",
              Status::Corruption("missing table"));
    }
  }
  for (uint64_t n : tables) {
    if (!s.ok()) break;
    auto it = live_tables.find(n);
    s = CheckTable(n, it == live_tables.end() ? nullptr : it->second);
  }
  // As DB::Open decides: a log prepared ahead holds only its header.
  uint64_t active_log = 0;
  for (uint64_t n : logs) {
    if (log::HoldsRecords(env_, LogFileName(path_, n))) active_log = n;
  }
  for (uint64_t n : logs) {
    if (!s.ok()) break;
    s = CheckLog(n, n == active_log);
  }
  env_->UnlockFile(std::move(lock)).IgnoreError();
  if (!s.ok()) return s;
  return first_problem_;
}

Status Verifier::CheckManifest(uint64_t number) {
  // Recover has checked it; read it again for the counts and to note a
  // torn final edit, which Recover ignores.
  const std::string fname = ManifestFileName(path_, number);
  std::unique_ptr<SequentialFile> file;
  Status s = env_->NewSequentialFile(fname, &file);
  if (!s.ok()) return s;
  log::FirstDamage damage;
  log::Reader reader(file.get(), fname, number, &damage);
  bool empty = false;
  s = reader.ReadHeader(&empty);
  if (!s.ok()) return Record(s, fname);
  std::string_view record;
  std::string scratch;
  while (reader.ReadRecord(&record, &scratch)) report_->records_checked++;
  if (!reader.status().ok()) return reader.status();
  if (damage.damaged) {
    report_->notes.push_back(ProblemLine(damage.reason, fname) +
                             " (a torn final edit, never installed; ignored)");
  }
  report_->files_checked++;
  Advance(SizeOf(fname));
  return Status::OK();
}

Status Verifier::CheckTable(uint64_t number, const FileMetaData* meta) {
  const std::string fname = TableFileName(path_, number);
  uint64_t size = 0;
  Status s = env_->GetFileSize(fname, &size);
  if (!s.ok()) return s;
  report_->files_checked++;
  if (meta != nullptr && size != meta->file_size) {
    Problem(fname + ": " + std::to_string(size) + " bytes, the manifest says " +
                std::to_string(meta->file_size),
            Status::Corruption("size"));
  }
  std::unique_ptr<RandomAccessFile> file;
  s = env_->NewRandomAccessFile(fname, &file);
  if (!s.ok()) return s;
  std::unique_ptr<Table> table;
  s = Table::Open(TableOptions(), std::move(file), size, fname, number, nullptr, &table);
  if (!s.ok()) {
    if (!IsDamage(s)) return s;
    Problem(ProblemLine(s, fname), s);
    Advance(size);
    return Status::OK();
  }
  return WalkTable(fname, size, meta);
}

// Reads every block of a table that Table::Open accepted.
Status Verifier::WalkTable(const std::string& fname, uint64_t size, const FileMetaData* meta) {
  std::unique_ptr<RandomAccessFile> file;
  Status s = env_->NewRandomAccessFile(fname, &file);
  if (!s.ok()) return s;
  const uint64_t footer_offset = size - Footer::kEncodedLength;
  char footer_buf[Footer::kEncodedLength];
  std::string_view footer_bytes;
  s = file->Read(footer_offset, sizeof(footer_buf), &footer_bytes, footer_buf);
  if (!s.ok()) return s;
  Footer footer;
  s = footer.DecodeFrom(footer_bytes, fname, footer_offset);
  if (!s.ok()) return Record(s, fname);
  std::string index_contents;
  s = ReadBlock(file.get(), size, fname, footer.index_handle, true, &index_contents, nullptr);
  if (!s.ok()) return Record(s, fname);
  uint64_t data_end = footer.index_handle.offset();
  report_->blocks_checked++;  // the index
  uint64_t meta_bytes = Footer::kEncodedLength + footer.index_handle.size() + kBlockTrailerSize;
  if (footer.filter_handle.size() != 0) {
    report_->blocks_checked++;  // the filter, checked by Table::Open
    meta_bytes += footer.filter_handle.size() + kBlockTrailerSize;
    data_end = std::min(data_end, footer.filter_handle.offset());
  }
  Advance(meta_bytes);

  const size_t problems_before = report_->problems.size();
  const Block index(std::make_shared<const std::string>(std::move(index_contents)));
  BlockIter index_iter(index, fname, footer.index_handle.offset());
  std::string prev_key, first_key, last_key;
  uint64_t entries = 0;
  for (index_iter.SeekToFirst(); index_iter.Valid(); index_iter.Next()) {
    BlockHandle handle;
    std::string_view handle_bytes = index_iter.value();
    if (!handle.DecodeFrom(&handle_bytes) || !handle.FitsBelow(data_end)) {
      Problem(AtOffset(fname, footer.index_handle.offset(), "bad data block handle in index"),
              Status::Corruption("index"));
      break;
    }
    report_->blocks_checked++;
    Advance(handle.size() + kBlockTrailerSize);
    std::string contents;
    s = ReadBlock(file.get(), size, fname, handle, true, &contents, nullptr);
    if (!s.ok()) {
      if (!IsDamage(s)) return s;
      Problem(ProblemLine(s, fname), s);
      prev_key.clear();  // the next block's keys cannot be compared
      continue;
    }
    const Block block(std::make_shared<const std::string>(std::move(contents)));
    if (!block.well_formed()) {
      Problem(AtOffset(fname, handle.offset(), "bad restart array in data block"),
              Status::Corruption("block"));
      continue;
    }
    BlockIter it(block, fname, handle.offset());
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      ParsedInternalKey parsed;
      if (!ParseInternalKey(it.key(), &parsed)) {
        Problem(AtOffset(fname, handle.offset(), "bad internal key in data block"),
                Status::Corruption("key"));
        break;
      }
      if (!prev_key.empty() && CompareInternalKey(prev_key, it.key()) >= 0) {
        Problem(AtOffset(fname, handle.offset(), "keys out of order"), Status::Corruption("order"));
        break;
      }
      prev_key.assign(it.key());
      if (entries == 0) first_key = prev_key;
      last_key = prev_key;
      entries++;
    }
    if (!it.status().ok()) Problem(ProblemLine(it.status(), fname), it.status());
    if (!prev_key.empty() && CompareInternalKey(index_iter.key(), prev_key) < 0) {
      Problem(AtOffset(fname, footer.index_handle.offset(),
                       "index separator below the last key of the block at offset " +
                           std::to_string(handle.offset())),
              Status::Corruption("index"));
    }
  }
  if (!index_iter.status().ok())
    Problem(ProblemLine(index_iter.status(), fname), index_iter.status());
  if (meta != nullptr && report_->problems.size() == problems_before) {
    if (entries != meta->num_entries) {
      Problem(fname + ": holds " + std::to_string(entries) + " entries, the manifest says " +
                  std::to_string(meta->num_entries),
              Status::Corruption("entries"));
    } else if (entries > 0 && (first_key != meta->smallest || last_key != meta->largest)) {
      Problem(fname + ": key range differs from the one the manifest records",
              Status::Corruption("range"));
    }
  }
  return Status::OK();
}

Status Verifier::CheckLog(uint64_t number, bool active) {
  const std::string fname = LogFileName(path_, number);
  const uint64_t size = SizeOf(fname);
  std::unique_ptr<SequentialFile> file;
  Status s = env_->NewSequentialFile(fname, &file);
  if (!s.ok()) return s;
  report_->files_checked++;
  log::FirstDamage damage;
  log::Reader reader(file.get(), fname, number, &damage);
  bool empty = false;
  s = reader.ReadHeader(&empty);
  if (!s.ok()) {
    if (!IsDamage(s)) return s;
    Problem(ProblemLine(s, fname), s);
    Advance(size);
    return Status::OK();
  }
  std::string_view record;
  std::string scratch;
  WriteBatch batch;
  SequenceNumber next_seq = 0;
  uint64_t reported = 0;
  while (!empty && reader.ReadRecord(&record, &scratch)) {
    report_->records_checked++;
    const uint64_t offset = reader.LastRecordOffset();
    CountingHandler counter;
    s = WriteBatchInternal::SetContents(&batch, record);
    if (s.ok()) s = batch.Iterate(&counter);
    if (s.ok() && counter.count != WriteBatchInternal::Count(&batch)) {
      s = Status::Corruption("write batch holds " + std::to_string(counter.count) +
                             " updates, its header says " +
                             std::to_string(WriteBatchInternal::Count(&batch)));
    }
    if (!s.ok()) {
      Problem(AtOffset(fname, offset, "malformed write batch (" + std::string(s.message()) + ")"),
              Status::Corruption("batch"));
    } else {
      const SequenceNumber seq = WriteBatchInternal::Sequence(&batch);
      if (seq < next_seq) {
        Problem(
            AtOffset(fname, offset,
                     "sequence number " + std::to_string(seq) +
                         " goes backwards (expected at least " + std::to_string(next_seq) + ")"),
            Status::Corruption("sequence"));
      }
      next_seq = seq + counter.count;
    }
    Advance(reader.LastRecordEnd() - reported);
    reported = reader.LastRecordEnd();
  }
  if (!reader.status().ok()) return reader.status();
  if (damage.damaged) {
    if (reader.DamageIsFollowedByValidRecords()) {
      Problem(ProblemLine(damage.reason, fname) +
                  (active ? " (valid records follow; DB::Open drops them as the torn tail of "
                            "the newest log, repair keeps them)"
                          : " (valid records follow; DB::Open refuses this log, repair "
                            "salvages it)"),
              damage.reason);
    } else {
      report_->notes.push_back(ProblemLine(damage.reason, fname) +
                               ": the log ends in a torn "
                               "record (a crash while writing); open recovers every record "
                               "before it");
    }
  }
  Advance(size > reported ? size - reported : 0);
  return Status::OK();
}

}  // namespace

Status VerifyDB(const std::string& path, const Options& options, VerifyReport* report,
                const ProgressFunction& progress) {
  if (report == nullptr) return Status::InvalidArgument("VerifyDB: null report");
  *report = VerifyReport();
  Verifier verifier(path, options, report, progress);
  return verifier.Run();
}

}  // namespace firn
