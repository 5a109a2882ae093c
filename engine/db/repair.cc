// db/repair.cc: RepairDB (firn/repair.h), salvaging a damaged database into
// a fresh, consistent one.
//
// Steps: take the LOCK; read the manifest if it can be read (it says which
// SST and WAL files are live); replay every input WAL into a memtable of
// its own, continuing after damaged regions; read every input SST file
// block by block, skipping damaged blocks; merge all of it in internal-key
// order so that for each user key only the newest entry survives (and a
// deletion removes the key); write the result as one run of SST files at
// the last level; write a new manifest and CURRENT; only then remove the
// old files, moving damaged ones to lost/.
//
// Crash safety: until CURRENT names the new manifest the old database is
// untouched (the new SST files are unreferenced and removed by the next
// open or repair); after that the old files are no longer referenced. The
// new files take numbers above every number seen, so nothing is
// overwritten.
#include "firn/repair.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>

#include "db/builder.h"
#include "db/dbformat.h"
#include "db/filename.h"
#include "db/merging_iterator.h"
#include "db/write_batch_internal.h"
#include "memtable/memtable.h"
#include "port/env.h"
#include "port/port.h"
#include "sst/block.h"
#include "sst/format.h"
#include "sst/table.h"
#include "util/coding.h"
#include "version/version_set.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace firn {

namespace {

// Entry size assumed when estimating losses with nothing to go by.
constexpr uint64_t kDefaultEntryBytes = 64;

// A key for a note: printable ASCII as is, other bytes as \xNN, cut at 48
// bytes.
std::string Printable(std::string_view key) {
  std::string r;
  for (size_t i = 0; i < key.size() && i < 48; ++i) {
    const unsigned char c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      r.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      r += buf;
    }
  }
  if (key.size() > 48) r += "...";
  return "'" + r + "'";
}

// What a Corruption about fname says, without the file name and offset
// that the note gives anyway ("<fname>: <what> at offset N", sst/format.h).
std::string WhatOf(const Status& s, const std::string& fname) {
  std::string m(s.message());
  if (m.starts_with(fname + ": ")) m.erase(0, fname.size() + 2);
  const size_t at = m.rfind(" at offset ");
  if (at != std::string::npos && at + 11 < m.size() &&
      m.find_first_not_of("0123456789", at + 11) == std::string::npos) {
    m.erase(at);
  }
  return m;
}

// Splits a log reader's damage message "<fname> at offset N: <reason>"
// (docs/format-wal.md) into N and the reason. False if it has another form.
bool ParseLogDamage(std::string_view msg, const std::string& fname, uint64_t* offset,
                    std::string* reason) {
  const std::string prefix = fname + " at offset ";
  if (!msg.starts_with(prefix)) return false;
  msg.remove_prefix(prefix.size());
  uint64_t n = 0;
  size_t digits = 0;
  while (digits < msg.size() && msg[digits] >= '0' && msg[digits] <= '9') {
    n = n * 10 + static_cast<uint64_t>(msg[digits] - '0');
    digits++;
  }
  if (digits == 0 || !msg.substr(digits).starts_with(": ")) return false;
  *offset = n;
  *reason = std::string(msg.substr(digits + 2));
  return true;
}

// ---------------------------------------------------------------------------
// WAL salvage.

// A WritableFile collecting its bytes in memory.
class StringSink final : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    contents.append(data.data(), data.size());
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  std::string contents;
};

// A log read from offset `start` on. log::Reader must begin at a header
// record and relies on where each byte lies within its 32 KiB block, so the
// reader is given a synthetic prefix: a header record and padding records
// that fill block 0, then padding records up to start's offset within its
// block. The real bytes from `start` follow, at the same block offset.
class ResumedLog final : public SequentialFile {
 public:
  ResumedLog(std::string prefix, std::unique_ptr<SequentialFile> rest)
      : prefix_(std::move(prefix)), rest_(std::move(rest)) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    size_t got = 0;
    if (used_ < prefix_.size()) {
      got = std::min(n, prefix_.size() - used_);
      std::copy_n(prefix_.data() + used_, got, scratch);
      used_ += got;
    }
    // The reader takes a short read for the end of the file: fill it.
    while (got < n) {
      std::string_view part;
      Status s = rest_->Read(n - got, &part, scratch + got);
      if (!s.ok()) return s;
      if (part.empty()) break;
      if (part.data() != scratch + got) std::copy_n(part.data(), part.size(), scratch + got);
      got += part.size();
    }
    *result = std::string_view(scratch, got);
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    const uint64_t from_prefix = std::min<uint64_t>(n, prefix_.size() - used_);
    used_ += from_prefix;
    return rest_->Skip(n - from_prefix);
  }

 private:
  const std::string prefix_;
  size_t used_ = 0;
  std::unique_ptr<SequentialFile> rest_;
};

// The prefix ResumedLog puts before offset `start` of log `number`, and the
// number of padding records in it (the reader returns them; the caller
// skips them). Its header names the log's format `version`, so the records
// after it are decoded as the log's own are. False if start's offset
// within its block cannot begin a fragment.
bool MakeResumePrefix(uint64_t number, uint32_t version, uint64_t start, std::string* prefix,
                      int* padding) {
  using log::kBlockSize;
  using log::kHeaderSize;
  const uint64_t in_block = start % kBlockSize;
  if (in_block != 0 && in_block < kHeaderSize) return false;
  StringSink sink;
  log::Writer writer(&sink, number, version);
  constexpr size_t kHeaderRecordBytes = kHeaderSize + 8;
  // Padding records are zero bytes as stored: in version 2 that is a raw
  // record (encoding byte 0), so they take the same bytes in both versions.
  Status s = writer.WriteHeader();
  if (s.ok()) {
    s = writer.AddEncodedRecord(
        std::string(kBlockSize - kHeaderRecordBytes - kHeaderSize, '\0'));
  }
  *padding = 1;
  if (s.ok() && in_block != 0) {
    s = writer.AddEncodedRecord(std::string(in_block - kHeaderSize, '\0'));
    *padding = 2;
  }
  if (!s.ok() || sink.contents.size() != kBlockSize + in_block) return false;
  *prefix = std::move(sink.contents);
  return true;
}

class DamageReporter final : public log::Reader::Reporter {
 public:
  void Corruption(uint64_t offset, size_t, const Status& reason) override {
    if (damaged) return;
    damaged = true;
    drop_start = offset;
    this->reason = reason;
  }
  bool damaged = false;
  uint64_t drop_start = 0;
  Status reason;
};

struct LogOutcome {
  uint64_t records = 0;
  uint64_t bytes_dropped = 0;
  SequenceNumber max_sequence = 0;
  std::vector<std::string> notes;
};

class LogSalvager {
 public:
  LogSalvager(Env* env, std::string fname, uint64_t number, uint64_t size, MemTable* mem)
      : env_(env), fname_(std::move(fname)), number_(number), size_(size), mem_(mem) {}

  // Replays every intact record into the memtable. Non-OK only for an I/O
  // error or a log of a newer format version.
  Status Run(LogOutcome* out);

 private:
  // Where to continue after damage at real offset `at` (the damaged
  // fragment) with the reader's reason.
  uint64_t ResumePoint(uint64_t at, const std::string& reason);
  // The version field of the header record, read without checking its
  // checksum (used only when the header record is damaged): the newest
  // version if the magic or the version does not look right.
  uint32_t GuessLogVersion() const;

  Env* const env_;
  const std::string fname_;
  const uint64_t number_;
  const uint64_t size_;
  MemTable* const mem_;
};

Status LogSalvager::Run(LogOutcome* out) {
  using log::kBlockSize;
  uint64_t start = 0;
  // The log's format version, from its header (or a guess when the header
  // record is damaged); the resume prefix repeats it.
  uint32_t version = GuessLogVersion();
  for (;;) {
    std::unique_ptr<SequentialFile> file;
    Status s = env_->NewSequentialFile(fname_, &file);
    if (!s.ok()) return s;
    uint64_t base = 0;  // reader offset of real offset `start`
    int padding = 0;
    if (start > 0) {
      std::string prefix;
      if (!MakeResumePrefix(number_, version, start, &prefix, &padding)) {
        return Status::Corruption(fname_,
                                  "cannot resume reading at offset " + std::to_string(start));
      }
      s = file->Skip(start);
      if (!s.ok()) return s;
      base = prefix.size();
      file = std::make_unique<ResumedLog>(std::move(prefix), std::move(file));
    }
    auto real = [&](uint64_t reader_offset) {
      return reader_offset >= base ? reader_offset - base + start : start;
    };
    DamageReporter damage;
    log::Reader reader(file.get(), fname_, number_, &damage);
    bool empty = false;
    s = reader.ReadHeader(&empty);
    if (s.IsInvalidArgument() || (!s.ok() && !s.IsCorruption())) return s;
    if (!s.ok()) {
      // start == 0 here: the prefix's header is always intact.
      out->notes.push_back(std::string(s.message()) + "; reading on from the next block");
      const uint64_t next = kBlockSize;
      out->bytes_dropped += std::min(next, size_);
      if (next >= size_) return Status::OK();
      start = next;
      continue;
    }
    if (empty) return Status::OK();
    if (start == 0) version = reader.format_version();

    std::string_view record;
    std::string scratch;
    WriteBatch batch;
    while (reader.ReadRecord(&record, &scratch)) {
      if (padding > 0) {
        padding--;
        continue;
      }
      const uint64_t offset = real(reader.LastRecordOffset());
      s = WriteBatchInternal::SetContents(&batch, record);
      if (s.ok()) s = WriteBatchInternal::InsertInto(&batch, mem_);
      if (!s.ok()) {
        out->notes.push_back(fname_ + " at offset " + std::to_string(offset) +
                             ": malformed write batch skipped (" + std::string(s.message()) + ")");
        out->bytes_dropped += record.size();
        continue;
      }
      out->records++;
      const uint32_t count = WriteBatchInternal::Count(&batch);
      if (count > 0) {
        out->max_sequence =
            std::max(out->max_sequence, WriteBatchInternal::Sequence(&batch) + count - 1);
      }
    }
    if (!reader.status().ok()) return reader.status();
    if (!damage.damaged) return Status::OK();

    uint64_t at = 0;
    std::string reason;
    if (ParseLogDamage(damage.reason.message(), fname_, &at, &reason)) {
      at = real(at);
    } else {
      at = real(damage.drop_start);
      reason = std::string(damage.reason.message());
    }
    const uint64_t drop_start = std::min(real(damage.drop_start), at);
    uint64_t next = ResumePoint(at, reason);
    if (next <= start) next = (start / kBlockSize + 1) * kBlockSize;
    // A fragment never starts within a block's first header's worth of
    // bytes except at 0 (MakeResumePrefix cannot place one there).
    if (next % kBlockSize != 0 && next % kBlockSize < log::kHeaderSize) {
      next = (next / kBlockSize + 1) * kBlockSize;
    }
    const uint64_t drop_end = std::min(next, size_);
    out->bytes_dropped += drop_end > drop_start ? drop_end - drop_start : 0;
    out->notes.push_back(fname_ + " at offset " + std::to_string(at) + ": " + reason +
                         "; skipped bytes " + std::to_string(drop_start) + " to " +
                         std::to_string(drop_end));
    if (next >= size_) return Status::OK();
    start = next;
  }
}

uint32_t LogSalvager::GuessLogVersion() const {
  std::unique_ptr<RandomAccessFile> file;
  char buf[log::kHeaderSize + 8];
  std::string_view header;
  if (env_->NewRandomAccessFile(fname_, &file).ok() &&
      file->Read(0, sizeof(buf), &header, buf).ok() && header.size() == sizeof(buf) &&
      DecodeFixed32(header.data() + log::kHeaderSize) == log::kLogMagic) {
    const uint32_t v = DecodeFixed32(header.data() + log::kHeaderSize + 4);
    if (v >= log::kLogFormatVersionPlain && v <= log::kLogFormatVersion) return v;
  }
  return log::kLogFormatVersion;
}

uint64_t LogSalvager::ResumePoint(uint64_t at, const std::string& reason) {
  using log::kBlockSize;
  using log::kHeaderSize;
  const uint64_t next_block = (at / kBlockSize + 1) * kBlockSize;
  if (reason.starts_with("fragment sequence broken: full") ||
      reason.starts_with("fragment sequence broken: first")) {
    return at;  // the fragment at `at` is intact and begins a record
  }
  if (reason.starts_with("fragment sequence broken: middle") ||
      reason.starts_with("fragment sequence broken: last")) {
    // The fragment at `at` is intact: continue right after it.
    std::unique_ptr<RandomAccessFile> file;
    char buf[kHeaderSize];
    std::string_view header;
    if (env_->NewRandomAccessFile(fname_, &file).ok() &&
        file->Read(at, kHeaderSize, &header, buf).ok() && header.size() == kHeaderSize) {
      const uint64_t length = static_cast<uint8_t>(header[4]) |
                              (static_cast<uint64_t>(static_cast<uint8_t>(header[5])) << 8);
      const uint64_t after = at + kHeaderSize + length;
      if (after <= next_block) return after;
    }
  }
  return next_block;
}

// ---------------------------------------------------------------------------
// SST salvage.

struct TableOutcome {
  uint64_t entries = 0;
  uint64_t entry_bytes = 0;  // stored bytes of the intact data blocks
  uint64_t bad_bytes = 0;    // bytes of data that could not be read
  std::vector<std::string> notes;
  bool damaged() const { return !notes.empty(); }
};

// Yields the entries of the intact data blocks of one SST file, in order.
// Blocks are found through the footer and index; if either is damaged, by
// searching the file from its start for checksummed blocks (data blocks
// are back to back from offset 0, docs/format-sst.md). Forward iteration
// only (SeekToFirst once, then Next), as the merge needs.
class TableSalvager final : public Iterator {
 public:
  TableSalvager(std::unique_ptr<RandomAccessFile> file, std::string fname, uint64_t size,
                uint64_t* consumed, TableOutcome* out)
      : file_(std::move(file)),
        fname_(std::move(fname)),
        size_(size),
        consumed_(consumed),
        out_(out) {}

  // Locates the data blocks. Non-OK only for an I/O error or a newer
  // format version.
  Status Init();

  bool Valid() const override { return pos_ < entries_.size(); }
  void SeekToFirst() override { LoadNextBlock(); }
  void Next() override {
    if (++pos_ >= entries_.size()) LoadNextBlock();
  }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  Status status() const override { return status_; }
  void SeekToLast() override { Unsupported(); }
  void Seek(std::string_view) override { Unsupported(); }
  void Prev() override { Unsupported(); }

 private:
  using Entries = std::vector<std::pair<std::string, std::string>>;

  void Unsupported() {
    entries_.clear();
    status_ = Status::InvalidArgument("table salvage reads forward only");
  }
  // Replaces entries_ with the next intact block's entries (empty at the
  // end or on an I/O error).
  void LoadNextBlock();
  // Reads and checks one data block: checksum, structure, keys increasing
  // after last_key_. Non-OK Corruption says what is wrong; other codes are
  // I/O errors.
  Status DecodeBlock(const BlockHandle& handle, Entries* entries);
  // Scan mode: the handle of the next checksummed block at scan_pos_.
  bool FindBlockAt(uint64_t pos, BlockHandle* handle) const;
  void Lost(uint64_t offset, uint64_t bytes, const std::string& what);

  const std::unique_ptr<RandomAccessFile> file_;
  const std::string fname_;
  const uint64_t size_;
  uint64_t* const consumed_;
  TableOutcome* const out_;
  Status status_;

  bool scan_mode_ = false;
  // Index mode: the blocks and the index separators (internal keys).
  std::vector<BlockHandle> handles_;
  std::vector<std::string> separators_;
  size_t next_block_ = 0;
  // Scan mode: the whole file, and where the next block may start.
  std::string contents_;
  uint64_t scan_pos_ = 0;

  Entries entries_;
  size_t pos_ = 0;
  std::string last_key_;  // last key yielded
};

Status TableSalvager::Init() {
  std::string why;
  if (size_ < Footer::kEncodedLength) {
    why = "file too short for a footer";
  } else {
    const uint64_t footer_offset = size_ - Footer::kEncodedLength;
    char buf[Footer::kEncodedLength];
    std::string_view bytes;
    Status s = file_->Read(footer_offset, sizeof(buf), &bytes, buf);
    if (!s.ok()) return s;
    Footer footer;
    s = footer.DecodeFrom(bytes, fname_, footer_offset);
    if (s.IsInvalidArgument()) return s;  // a newer format: never guess
    std::string index;
    if (s.ok())
      s = ReadBlock(file_.get(), size_, fname_, footer.index_handle, true, &index, nullptr);
    if (!s.ok() && !s.IsCorruption()) return s;
    if (s.ok()) {
      const Block block(std::make_shared<const std::string>(std::move(index)));
      uint64_t data_end = footer.index_handle.offset();
      if (footer.filter_handle.size() != 0) {
        data_end = std::min(data_end, footer.filter_handle.offset());
      }
      BlockIter it(block, fname_, footer.index_handle.offset());
      for (it.SeekToFirst(); it.Valid(); it.Next()) {
        BlockHandle h;
        std::string_view v = it.value();
        if (!h.DecodeFrom(&v) || !h.FitsBelow(data_end)) break;
        handles_.push_back(h);
        separators_.emplace_back(it.key());
      }
      if (block.well_formed() && it.status().ok() && !it.Valid()) {
        return Status::OK();  // the index lists every data block
      }
      why = "malformed index block";
      handles_.clear();
      separators_.clear();
    } else {
      why = std::string(s.message());
    }
  }
  // Read the whole file and look for blocks from its start.
  scan_mode_ = true;
  out_->notes.push_back(fname_ + ": " + why + "; looking for data blocks by their checksums");
  contents_.resize(size_);
  std::string_view got;
  Status s = file_->Read(0, size_, &got, contents_.data());
  if (!s.ok()) return s;
  if (got.data() != contents_.data()) contents_.assign(got.data(), got.size());
  contents_.resize(got.size());
  return Status::OK();
}

bool TableSalvager::FindBlockAt(uint64_t pos, BlockHandle* handle) const {
  // A data block holds at least one entry and the restart array.
  constexpr uint64_t kMinStored = 8;
  const char* data = contents_.data();
  for (uint64_t end = pos + kMinStored; end + kBlockTrailerSize <= contents_.size(); ++end) {
    const uint8_t type = static_cast<uint8_t>(data[end]);
    if (type > kLZ4CompressionBlock) continue;
    const uint64_t stored = end - pos;
    const uint64_t raw = DecodeFixed32(data + end + 1);
    // Cheap tests first (docs/format-sst.md, trailer): a raw block's size
    // is the stored size; LZ4 saved at least 1/8 and expands at most 255:1.
    // Then ReadBlock checks the checksum as every reader does.
    if (type == kNoCompressionBlock ? raw != stored : (raw <= stored || raw > 255 * stored + 64)) {
      continue;
    }
    std::string unused;
    if (ReadBlock(file_.get(), size_, fname_, BlockHandle(pos, stored), true, &unused, nullptr)
            .ok()) {
      *handle = BlockHandle(pos, stored);
      return true;
    }
  }
  return false;
}

Status TableSalvager::DecodeBlock(const BlockHandle& handle, Entries* entries) {
  entries->clear();
  std::string contents;
  Status s = ReadBlock(file_.get(), size_, fname_, handle, true, &contents, nullptr);
  if (!s.ok()) return s;
  const Block block(std::make_shared<const std::string>(std::move(contents)));
  if (!block.well_formed()) return Status::Corruption("bad restart array");
  BlockIter it(block, fname_, handle.offset());
  std::string_view prev = last_key_;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    ParsedInternalKey parsed;
    if (!ParseInternalKey(it.key(), &parsed)) return Status::Corruption("bad internal key");
    if (!prev.empty() && CompareInternalKey(prev, it.key()) >= 0) {
      return Status::Corruption("keys out of order");
    }
    entries->emplace_back(std::string(it.key()), std::string(it.value()));
    prev = entries->back().first;
  }
  if (!it.status().ok()) return it.status();
  if (entries->empty()) return Status::Corruption("empty data block");
  return Status::OK();
}

void TableSalvager::Lost(uint64_t offset, uint64_t bytes, const std::string& what) {
  out_->bad_bytes += bytes;
  out_->notes.push_back(fname_ + " at offset " + std::to_string(offset) + ": " + what);
}

void TableSalvager::LoadNextBlock() {
  entries_.clear();
  pos_ = 0;
  while (status_.ok()) {
    BlockHandle handle;
    std::string range;  // what the block held, for the note
    if (!scan_mode_) {
      if (next_block_ >= handles_.size()) return;
      handle = handles_[next_block_];
      const std::string_view upper = ExtractUserKey(separators_[next_block_]);
      range = next_block_ == 0
                  ? "the keys up to " + Printable(upper)
                  : "the keys after " + Printable(ExtractUserKey(separators_[next_block_ - 1])) +
                        " up to " + Printable(upper);
      next_block_++;
    } else {
      if (scan_pos_ >= contents_.size()) return;
      if (!FindBlockAt(scan_pos_, &handle)) {
        Lost(
            scan_pos_, contents_.size() - scan_pos_,
            "no intact block from here on; " + std::to_string(contents_.size() - scan_pos_) +
                " bytes unreadable" +
                (last_key_.empty() ? std::string()
                                   : " (keys after " + Printable(ExtractUserKey(last_key_)) + ")"));
        scan_pos_ = contents_.size();
        return;
      }
    }
    const uint64_t block_bytes = handle.size() + kBlockTrailerSize;
    Entries entries;
    Status s = DecodeBlock(handle, &entries);
    *consumed_ += block_bytes;
    if (s.ok()) {
      if (scan_mode_) scan_pos_ = handle.offset() + block_bytes;
      out_->entries += entries.size();
      out_->entry_bytes += handle.size();
      last_key_ = entries.back().first;
      entries_ = std::move(entries);
      return;
    }
    if (!s.IsCorruption()) {
      status_ = s;
      return;
    }
    if (scan_mode_) {
      // An intact block that is not a data block continuing the key order
      // is the filter or index block: the data blocks have ended.
      scan_pos_ = contents_.size();
      return;
    }
    Lost(handle.offset(), block_bytes,
         "damaged block of " + std::to_string(block_bytes) + " bytes skipped (" +
             WhatOf(s, fname_) + "); it held " + range);
  }
}

// ---------------------------------------------------------------------------
// The repair.

class Repairer {
 public:
  Repairer(const std::string& path, const Options& options, RepairReport* report,
           const ProgressFunction& progress)
      : path_(path),
        options_(options),
        env_(options.env != nullptr ? options.env : Env::Default()),
        report_(report),
        progress_(progress) {
    options_.env = env_;
  }
  ~Repairer() {
    for (MemTable* m : mems_) m->Unref();
  }

  Status Run();

 private:
  struct OldFile {
    FileType type;
    uint64_t number;
    std::string name;
    bool input = false;    // read by this repair
    bool damaged = false;  // moved to lost/ instead of deleted
  };

  Status FindFiles();
  void ChooseInputs();
  Status ReplayLogs();
  Status WriteTables(std::vector<FileMetaData>* outputs);
  Status InstallManifest(const std::vector<FileMetaData>& outputs);
  void RemoveOldFiles();
  void Note(std::string line) { report_->notes.push_back(std::move(line)); }
  void Progress() {
    if (progress_) progress_(std::min(done_ + consumed_, total_), total_);
  }
  std::string FilePath(const OldFile& f) const { return path_ + "/" + f.name; }

  const std::string path_;
  Options options_;
  Env* const env_;
  RepairReport* const report_;
  const ProgressFunction& progress_;

  std::map<uint64_t, OldFile> files_;  // logs, tables, manifests, temps by number
  bool have_current_ = false;
  uint64_t max_number_ = 0;
  // From the old manifest, when it could be read.
  bool manifest_ok_ = false;
  std::map<uint64_t, FileMetaData> live_;
  uint64_t min_log_ = 0;
  SequenceNumber last_sequence_ = 0;

  std::vector<MemTable*> mems_;
  uint64_t total_ = 0, done_ = 0, consumed_ = 0;
  std::unique_ptr<VersionSet> fresh_;
};

Status Repairer::FindFiles() {
  std::vector<std::string> children;
  Status s = env_->GetChildren(path_, &children);
  if (!s.ok()) return Status::InvalidArgument(path_ + ": no database directory", s.message());
  for (const std::string& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    if (type == FileType::kCurrent) have_current_ = true;
    if (type == FileType::kLog || type == FileType::kTable || type == FileType::kManifest ||
        type == FileType::kTemp) {
      files_[number] = OldFile{type, number, name};
      max_number_ = std::max(max_number_, number);
    }
  }
  if (files_.empty() && !have_current_) {
    return Status::InvalidArgument(path_ + ": no firn database here");
  }
  return Status::OK();
}

void Repairer::ChooseInputs() {
  VersionSet old(path_, options_, env_);
  Status s = old.Recover();
  if (s.ok()) {
    manifest_ok_ = true;
    for (const Level& level : old.current()->levels()) {
      for (const firn::Run& run : level.runs) {
        for (const FileRef& f : run.files) live_[f->number] = *f;
      }
    }
    min_log_ = old.LogNumber();
    last_sequence_ = old.LastSequence();
  } else {
    Note("the manifest could not be read (" + s.ToString() +
         "): every SST and log file in the directory is read");
  }
  for (auto& [number, f] : files_) {
    switch (f.type) {
      case FileType::kTable:
        f.input = !manifest_ok_ || live_.count(number) > 0;
        break;
      case FileType::kLog:
        f.input = number >= min_log_;
        break;
      case FileType::kManifest:
        f.damaged = !manifest_ok_;  // kept in lost/ for inspection
        break;
      default:
        break;
    }
    if (f.input) {
      uint64_t size = 0;
      if (env_->GetFileSize(FilePath(f), &size).ok()) total_ += size;
    }
  }
  for (const auto& [number, meta] : live_) {
    if (files_.count(number) == 0) {
      Note(TableFileName(path_, number) + ": missing; its " + std::to_string(meta.num_entries) +
           " entries are lost");
      report_->entries_lost_estimate += meta.num_entries;
    }
  }
}

Status Repairer::ReplayLogs() {
  for (auto& [number, f] : files_) {
    if (f.type != FileType::kLog || !f.input) continue;
    uint64_t size = 0;
    Status s = env_->GetFileSize(FilePath(f), &size);
    if (!s.ok()) return s;
    MemTable* mem = new MemTable();
    mem->Ref();
    mems_.push_back(mem);
    LogOutcome out;
    LogSalvager salvager(env_, FilePath(f), number, size, mem);
    s = salvager.Run(&out);
    if (!s.ok()) return s;
    report_->logs_replayed++;
    report_->log_bytes_dropped += out.bytes_dropped;
    last_sequence_ = std::max(last_sequence_, out.max_sequence);
    for (std::string& n : out.notes) Note(std::move(n));
    f.damaged = out.bytes_dropped > 0;  // even a torn tail: keep it in lost/
    done_ += size;
    Progress();
  }
  return Status::OK();
}

Status Repairer::WriteTables(std::vector<FileMetaData>* outputs) {
  std::vector<Iterator*> children;
  for (MemTable* m : mems_) children.push_back(m->NewIterator());
  std::map<uint64_t, TableOutcome> outcomes;
  for (auto& [number, f] : files_) {
    if (f.type != FileType::kTable || !f.input) continue;
    uint64_t size = 0;
    std::unique_ptr<RandomAccessFile> file;
    Status s = env_->GetFileSize(FilePath(f), &size);
    if (s.ok()) s = env_->NewRandomAccessFile(FilePath(f), &file);
    auto salvager = std::make_unique<TableSalvager>(std::move(file), FilePath(f), size, &consumed_,
                                                    &outcomes[number]);
    if (s.ok()) s = salvager->Init();
    if (!s.ok()) {
      for (Iterator* c : children) delete c;
      return s;
    }
    children.push_back(salvager.release());
  }

  OutputBuilder out(
      env_, path_,
      TableOptions{options_.block_bytes, options_.bloom_bits_per_key, options_.compression,
                   options_.bytes_per_sync},
      options_.sst_target_bytes, [this] { return fresh_->NewFileNumber(); }, env_->NowMicros());
  std::unique_ptr<Iterator> merged(NewMergingIterator(std::move(children)));
  std::string last_user_key;
  bool have_last = false;
  Status s;
  uint64_t step = 0;
  for (merged->SeekToFirst(); s.ok() && merged->Valid(); merged->Next()) {
    const std::string_view ikey = merged->key();
    ParsedInternalKey parsed;
    if (!ParseInternalKey(ikey, &parsed)) continue;  // the salvagers checked; memtables are ours
    last_sequence_ = std::max(last_sequence_, parsed.sequence);
    if (have_last && parsed.user_key == last_user_key) continue;  // an older version
    last_user_key.assign(parsed.user_key);
    have_last = true;
    if (parsed.type == kTypeDeletion) continue;  // nothing older may show through
    s = out.Add(ikey, merged->value());
    report_->entries_recovered++;
    if (++step % 4096 == 0) Progress();
  }
  if (s.ok()) s = merged->status();
  if (s.ok()) s = out.Finish(outputs);
  if (s.ok() && !outputs->empty()) s = env_->SyncDir(path_);
  if (!s.ok()) {
    out.Abandon();
    return s;
  }
  report_->tables_written = outputs->size();

  // Account for what each table lost.
  uint64_t entries = 0, bytes = 0;
  for (const auto& [number, o] : outcomes) {
    entries += o.entries;
    bytes += o.entry_bytes;
  }
  const uint64_t entry_bytes =
      entries > 0 ? std::max<uint64_t>(1, bytes / entries) : kDefaultEntryBytes;
  for (const auto& [number, o] : outcomes) {
    OldFile& f = files_[number];
    if (!o.damaged()) {
      report_->tables_kept++;
      continue;
    }
    f.damaged = true;
    if (o.entries > 0) {
      report_->tables_salvaged++;
    } else {
      report_->tables_dropped++;
    }
    auto meta = live_.find(number);
    uint64_t lost = 0;
    if (meta != live_.end()) {
      lost = meta->second.num_entries > o.entries ? meta->second.num_entries - o.entries : 0;
    } else {
      const uint64_t own =
          o.entries > 0 ? std::max<uint64_t>(1, o.entry_bytes / o.entries) : entry_bytes;
      lost = (o.bad_bytes + own - 1) / own;
    }
    report_->entries_lost_estimate += lost;
    for (const std::string& n : o.notes) Note(n);
    Note(FilePath(f) + ": " + std::to_string(o.entries) + " entries recovered, about " +
         std::to_string(lost) + " lost");
  }
  return Status::OK();
}

Status Repairer::InstallManifest(const std::vector<FileMetaData>& outputs) {
  fresh_->SetLastSequence(std::max(fresh_->LastSequence(), last_sequence_));
  VersionEdit edit;
  const uint64_t run_id = fresh_->NewRunId();
  for (const FileMetaData& f : outputs) edit.AddFile(options_.num_levels - 1, run_id, f);
  // No log is needed: everything is in the new files.
  edit.SetLogNumber(fresh_->NewFileNumber());
  port::Mutex mu;
  port::MutexLock l(&mu);
  return fresh_->LogAndApply(&edit, &mu);
}

void Repairer::RemoveOldFiles() {
  const std::string lost_dir = path_ + "/lost";
  bool lost_created = false;
  for (auto& [number, f] : files_) {
    const std::string fname = FilePath(f);
    if (!f.damaged) {
      Status s = env_->RemoveFile(fname);
      if (!s.ok()) Note("could not remove " + fname + ": " + s.ToString());
      continue;
    }
    if (!lost_created) {
      Status s = env_->CreateDir(lost_dir);
      if (!s.ok()) {
        Note("could not create " + lost_dir + " (" + s.ToString() +
             "); damaged files left in place");
        return;
      }
      lost_created = true;
    }
    std::string target = lost_dir + "/" + f.name;
    for (int i = 1; env_->FileExists(target); ++i) {
      target = lost_dir + "/" + f.name + "." + std::to_string(i);
    }
    Status s = env_->RenameFile(fname, target);
    Note(s.ok() ? "moved " + fname + " to " + target
                : "could not move " + fname + " to " + target + ": " + s.ToString());
  }
  env_->SyncDir(path_).IgnoreError();
  if (lost_created) env_->SyncDir(lost_dir).IgnoreError();
}

Status Repairer::Run() {
  Status s = FindFiles();
  if (!s.ok()) return s;
  std::unique_ptr<FileLock> lock;
  s = env_->LockFile(LockFileName(path_), &lock);
  if (!s.ok()) return s;
  ChooseInputs();
  fresh_ = std::make_unique<VersionSet>(path_, options_, env_);
  fresh_->InitNew();
  fresh_->MarkFileNumberUsed(max_number_);
  Progress();
  s = ReplayLogs();
  std::vector<FileMetaData> outputs;
  if (s.ok()) s = WriteTables(&outputs);
  if (s.ok()) {
    s = InstallManifest(outputs);
    if (!s.ok()) {
      Note("the new manifest could not be written; the old files are untouched");
    }
  }
  if (s.ok()) {
    RemoveOldFiles();
    done_ = total_;
    consumed_ = 0;
    Progress();
  }
  env_->UnlockFile(std::move(lock)).IgnoreError();
  return s;
}

}  // namespace

Status RepairDB(const std::string& path, const Options& options, RepairReport* report,
                const ProgressFunction& progress) {
  if (report == nullptr) return Status::InvalidArgument("RepairDB: null report");
  *report = RepairReport();
  Status s = options.Validate();
  if (!s.ok()) return s;
  Repairer repairer(path, options, report, progress);
  return repairer.Run();
}

}  // namespace firn
