// db/db_impl.cc: opening, recovery, reads, snapshots and closing.
#include "db/db_impl.h"

#include <algorithm>

#include "db/db_iter.h"
#include "db/filename.h"
#include "db/merging_iterator.h"
#include "db/table_cache.h"
#include "db/write_batch_internal.h"
#include "memtable/memtable.h"
#include "sst/bloom.h"
#include "policy/learned_picker.h"
#include "policy/model.h"
#include "policy/trace.h"
#include "port/env.h"
#include "sst/block_cache.h"
#include "version/version_set.h"
#include "wal/log_format.h"
#include "wal/log_probe.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace firn {

namespace {
// Adapts a caller-supplied shared picker (Options::compaction_picker).
class SharedPicker final : public CompactionPicker {
 public:
  explicit SharedPicker(std::shared_ptr<CompactionPicker> p) : p_(std::move(p)) {}
  const char* Name() const override { return p_->Name(); }
  bool Pick(const TreeShape& t, const WorkloadStats& w, CompactionRequest* r) override {
    return p_->Pick(t, w, r);
  }
  std::string Explain() const override { return p_->Explain(); }

 private:
  std::shared_ptr<CompactionPicker> p_;
};

// Records each seek of an iterator as a scan in the trace.
class TracingIterator final : public Iterator {
 public:
  TracingIterator(Iterator* it, TraceWriter* trace) : it_(it), trace_(trace) {}
  bool Valid() const override { return it_->Valid(); }
  void SeekToFirst() override {
    trace_->Record(TraceOp::kScan, std::string_view(), 0);
    it_->SeekToFirst();
  }
  void SeekToLast() override {
    trace_->Record(TraceOp::kScan, std::string_view(), 0);
    it_->SeekToLast();
  }
  void Seek(std::string_view t) override {
    trace_->Record(TraceOp::kScan, t, 0);
    it_->Seek(t);
  }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override { return it_->key(); }
  std::string_view value() const override { return it_->value(); }
  Status status() const override { return it_->status(); }

 private:
  std::unique_ptr<Iterator> it_;
  TraceWriter* trace_;
};
}  // namespace

class DBImpl::SnapshotImpl final : public Snapshot {
 public:
  explicit SnapshotImpl(std::multiset<SequenceNumber>::iterator pos) : pos(pos) {}
  ~SnapshotImpl() override = default;
  std::multiset<SequenceNumber>::iterator pos;
};

DBImpl::DBImpl(const Options& options, const std::string& dbname)
    : dbname_(dbname),
      options_(options),
      env_(std::make_unique<IOStatsEnv>(options.env != nullptr ? options.env : Env::Default())),
      bg_cv_(&mutex_),
      writers_cv_(&mutex_) {
  options_ = EffectiveOptions(options_);  // memory_budget_bytes
  options_.env = env_.get();
  table_options_.block_bytes = options_.block_bytes;
  table_options_.bloom_bits_per_key = options_.bloom_bits_per_key;
  table_options_.compression = options_.compression;
  table_options_.bytes_per_sync = options_.bytes_per_sync;
  if (options_.block_cache_bytes > 0) {
    block_cache_ = std::make_unique<BlockCache>(options_.block_cache_bytes);
  }
  table_cache_ = std::make_unique<TableCache>(env_.get(), dbname_, table_options_,
                                              block_cache_.get(), options_.max_open_files);
  guard_picker_ = NewTieredPicker(options_);
  versions_ = std::make_unique<VersionSet>(dbname_, options_, env_.get());
  versions_->SetWearSources(&env_->counters(), &user_bytes_written_);
}

DBImpl::~DBImpl() {
  Close().IgnoreError();
  port::MutexLock l(&mutex_);
  if (mem_ != nullptr) mem_->Unref();
  for (Sealed& s : sealed_) s.mem->Unref();
  sealed_.clear();
  mem_ = nullptr;
}

Status DB::Open(const Options& options, const std::string& path, std::unique_ptr<DB>* dbptr) {
  if (dbptr == nullptr) return Status::InvalidArgument("DB::Open: null result pointer");
  dbptr->reset();
  if (path.empty()) return Status::InvalidArgument("DB::Open: empty path");
  Status s = options.Validate();
  if (!s.ok()) return s;
  auto impl = std::make_unique<DBImpl>(options, path);
  s = impl->Open();
  if (!s.ok()) return s;
  *dbptr = std::move(impl);
  return Status::OK();
}

Status DBImpl::Open() {
  port::MutexLock l(&mutex_);
  open_micros_ = env_->NowMicros();
  // From 0 until the recovered files say where it goes on from (below): a
  // flush during recovery must not read a clock that never started.
  policy_clock_.Start(0, open_micros_);
  if (options_.create_if_missing) {
    Status s = env_->CreateDir(dbname_);
    if (!s.ok()) return s;
  }
  Status s = env_->LockFile(LockFileName(dbname_), &db_lock_);
  if (!s.ok()) {
    if (!s.IsBusy() && !env_->FileExists(dbname_)) {
      return Status::InvalidArgument(dbname_ + ": no database (create_if_missing is false)");
    }
    return s;
  }
  s = CreatePicker();
  if (!s.ok()) {
    env_->UnlockFile(std::move(db_lock_)).IgnoreError();
    return s;
  }
  VersionEdit edit;
  s = Recover(&edit);
  if (s.ok()) s = StartLogAfterRecovery();
  if (s.ok()) {
    uint64_t min_log = sealed_.empty() ? mem_first_log_ : sealed_.front().first_log;
    edit.SetLogNumber(min_log);
    s = versions_->LogAndApply(&edit, &mutex_);
  }
  if (s.ok() && recovery_cut_short_) {
    // A log was read only up to damage with intact records after it (a
    // power cut persisted its pages out of order). At the next open it
    // would no longer be among the newest logs, and the same damage would
    // read as corruption: flush what was recovered, so no log before the
    // new one is read again.
    if (mem_->NumEntries() > 0) {
      sealed_.push_back({mem_, mem_first_log_, PolicyNow()});
      has_sealed_.store(true, std::memory_order_relaxed);
      mem_ = NewMemTable();
      mem_->Ref();
      mem_first_log_ = logfile_number_;
    }
    while (s.ok() && !sealed_.empty()) s = FlushOldestSealed();
    recovery_cut_short_ = false;
  }
  if (s.ok()) {
    // The options in force, for tools and humans (not read back by firn).
    Status os = WriteStringToFile(env_.get(), OptionsToString(options_), OptionsFileName(dbname_),
                                  /*sync=*/false);
    os.IgnoreError();
    DeleteObsoleteFiles();
    if (!options_.trace_path.empty()) {
      Status ts = TraceWriter::Open(env_.get(), options_.trace_path, &trace_);
      if (!ts.ok()) Log("trace not recorded: " + ts.ToString());
    }
    // The policy clock goes on from the newest file's creation time on it,
    // so ages stay non-negative across reopens (db/policy_clock.h).
    std::shared_ptr<const Version> v = versions_->current();
    for (int l = 0; l < v->num_levels(); ++l) {
      for (const Run& r : v->level(l).runs) {
        for (const FileRef& f : r.files) {
          clock_start_micros_ = std::max(clock_start_micros_, f->created_micros);
        }
      }
    }
    policy_clock_.Start(clock_start_micros_, env_->NowMicros());
    window_start_micros_ = clock_start_micros_;
    Log("opened " + dbname_ + " with picker " + picker_->Name());
    opened_ = true;
    if (!NoThread()) bg_thread_ = std::thread([this] { BackgroundThread(); });
  } else if (db_lock_) {
    env_->UnlockFile(std::move(db_lock_)).IgnoreError();
  }
  return s;
}

Status DBImpl::CreatePicker() {
  if (options_.compaction_picker) {
    picker_ = std::make_unique<SharedPicker>(options_.compaction_picker);
    return Status::OK();
  }
  if (options_.compaction != CompactionStyle::kLearned) {
    picker_ = NewCompactionPicker(options_);
    return Status::OK();
  }
  ObjectiveDial dial;
  Status s = ParseObjectiveDial(options_.policy_objective, &dial);
  if (!s.ok()) return s;
  std::shared_ptr<const PolicyModel> model;
  if (!options_.policy_model.empty()) {
    auto loaded = std::make_shared<PolicyModel>();
    s = LoadPolicyModelFile(env_->target(), options_.policy_model, loaded.get());
    if (!s.ok()) return s;
    model = std::move(loaded);
  } else if (!DefaultPolicyModel(&model).ok()) {
    picker_ = NewTieredPicker(options_);
    Log("compaction=learned: this build has no built-in policy model; using the tiered picker");
    return Status::OK();
  }
  picker_ = NewLearnedPicker(options_, std::move(model), dial);
  return Status::OK();
}

Status DBImpl::Recover(VersionEdit* edit) {
  (void)edit;
  const bool exists = env_->FileExists(CurrentFileName(dbname_));
  if (!exists) {
    // No CURRENT but tables, or logs holding writes: CURRENT was lost, not
    // a new database. Creating one here would delete that data.
    std::vector<std::string> names;
    if (env_->GetChildren(dbname_, &names).ok()) {
      for (const std::string& name : names) {
        uint64_t number;
        FileType type;
        if (!ParseFileName(name, &number, &type)) continue;
        bool log_with_data =
            type == FileType::kLog && log::HoldsRecords(env_.get(), dbname_ + "/" + name);
        if (type == FileType::kTable || log_with_data) {
          return Status::Corruption(CurrentFileName(dbname_) + " is missing but " + name +
                                    " holds data; run repair");
        }
      }
    }
    if (!options_.create_if_missing) {
      return Status::InvalidArgument(dbname_ + ": no database (create_if_missing is false)");
    }
    versions_->InitNew();
  } else {
    if (options_.error_if_exists) {
      return Status::InvalidArgument(dbname_ + ": database exists (error_if_exists is true)");
    }
    Status s = versions_->Recover();
    if (!s.ok()) return s;
  }

  std::vector<std::string> children;
  Status s = env_->GetChildren(dbname_, &children);
  if (!s.ok()) return s;
  std::vector<uint64_t> logs;
  for (const std::string& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    versions_->MarkFileNumberUsed(number);
    if (type == FileType::kLog && number >= versions_->LogNumber()) logs.push_back(number);
  }
  std::sort(logs.begin(), logs.end());
  // The manifest names the oldest log still holding unflushed writes. That
  // log is deleted only after an edit moving past it is durable, so if it
  // is gone while newer logs exist, the manifest has lost its newest edits
  // (truncated or damaged at a record boundary): replaying would skip
  // writes and the tables those edits added would be deleted as strays.
  const uint64_t needed_log = versions_->LogNumber();
  if (needed_log != 0 && !logs.empty() && logs.front() != needed_log) {
    return Status::Corruption(
        ManifestFileName(dbname_, versions_->ManifestFileNumber()) + ": names " +
        LogFileName(dbname_, needed_log) + " as the oldest log to replay, which is missing while " +
        LogFileName(dbname_, logs.front()) +
        " exists (the manifest lost its newest edits; run repair)");
  }

  mem_ = NewMemTable();
  mem_->Ref();
  mem_first_log_ = 0;  // set by the first log that holds a record
  SequenceNumber max_sequence = versions_->LastSequence();
  // The log in use at the crash is the newest one holding more than its
  // header (a log prepared ahead holds only the header; a mapped log is
  // longer than what it holds, so its bytes are looked at). At most
  // kMaxUnsyncedSealedLogs sealed logs are unsynced at a time
  // (SealMemtableAndSwitchLog), the ones before the log in use, so only
  // that many + 1 newest logs holding records may have lost unsynced
  // pages, in any order.
  std::vector<uint64_t> with_records;
  for (uint64_t number : logs) {
    if (log::HoldsRecords(env_.get(), LogFileName(dbname_, number))) {
      with_records.push_back(number);
    }
  }
  const uint64_t active_log = with_records.empty() ? 0 : with_records.back();
  const uint64_t unsynced_from =
      with_records.size() > kMaxUnsyncedSealedLogs
          ? with_records[with_records.size() - kMaxUnsyncedSealedLogs - 1]
          : 0;
  std::vector<uint64_t> kept, dropped;
  ReplayState state;
  for (uint64_t number : logs) {
    if (!dropped.empty()) {
      dropped.push_back(number);
      continue;
    }
    bool torn_header = false, gap = false, cut_short = false;
    s = ReplayLog(number, number >= active_log, number >= unsynced_from, &state, &max_sequence,
                  &torn_header, &gap, &cut_short);
    if (!s.ok()) return s;
    if (cut_short) recovery_cut_short_ = true;
    if (gap) {
      dropped.push_back(number);
    } else if (torn_header ||
               (number > needed_log &&
                !std::binary_search(with_records.begin(), with_records.end(), number))) {
      // It holds nothing. Left in place, a damaged header would be an older
      // log's corruption at the next open; and a log holding only its
      // header (opened and closed with no write, or prepared ahead) would
      // be kept, and replayed, at every open while an older log's writes
      // wait in the memtable: one more file each open. The log the
      // manifest names is kept until an edit moves past it, so a crash
      // before that edit is durable does not look like a lost edit.
      s = env_->RemoveFile(LogFileName(dbname_, number));
      if (!s.ok()) return s;
    } else {
      kept.push_back(number);
    }
  }
  if (!dropped.empty()) {
    // A power cut lost writes of an unsynced log and kept later ones:
    // those later logs hold only unsynced writes that came after lost
    // ones. Replaying them would leave a hole, so they go, and their
    // removal is durable before any new write can reuse their sequence
    // numbers (a log coming back would otherwise be replayed after them).
    Log(LogFileName(dbname_, dropped.front()) + ": writes of an earlier log were lost (" +
        (state.have_last ? "last sequence recovered " + std::to_string(state.last)
                         : std::string("none recovered")) +
        "); dropped it and " + std::to_string(dropped.size() - 1) +
        " later logs, which hold only unsynced writes made after the lost ones");
    for (uint64_t number : dropped) {
      s = env_->RemoveFile(LogFileName(dbname_, number));
      if (!s.ok()) return s;
    }
    s = env_->SyncDir(dbname_);
    if (!s.ok()) return s;
  }
  recovered_logs_ = kept;
  versions_->SetLastSequence(max_sequence);
  return Status::OK();
}


Status DBImpl::ReplayLog(uint64_t number, bool newest, bool may_be_unsynced, ReplayState* state,
                         SequenceNumber* max_sequence, bool* torn_header, bool* gap,
                         bool* cut_short) {
  *torn_header = false;
  *gap = false;
  *cut_short = false;
  std::string fname = LogFileName(dbname_, number);
  std::unique_ptr<SequentialFile> file;
  Status s = env_->NewSequentialFile(fname, &file);
  if (!s.ok()) return s;
  log::FirstDamage reporter;
  log::Reader reader(file.get(), fname, number, &reporter);
  bool empty = false;
  s = reader.ReadHeader(&empty);
  if (s.IsCorruption() && (newest || !reader.DamageIsFollowedByValidRecords())) {
    // A header is synced before any record is written to its log, so an
    // unreadable header with no intact record after it is a log whose
    // creation the power cut tore (a log prepared ahead may be older than
    // one a writer created meanwhile): it never held a record. In the
    // newest log any damage counts as a torn tail (below).
    Log(fname + ": header unreadable (" + std::string(s.message()) +
        "): torn while the log was being created; no record recovered from it");
    *torn_header = true;
    return Status::OK();
  }
  if (!s.ok()) return s;
  if (empty) return Status::OK();
  std::string scratch;
  std::string_view record;
  WriteBatch batch;
  uint64_t records = 0;
  bool have_marker = false, checked = false;
  SequenceNumber marker = 0;
  while (reader.ReadRecord(&record, &scratch)) {
    const uint64_t offset = reader.LastRecordOffset();
    s = WriteBatchInternal::SetContents(&batch, record);
    if (!s.ok()) {
      return Status::Corruption(fname + " at offset " + std::to_string(offset), s.message());
    }
    const uint32_t count = WriteBatchInternal::Count(&batch);
    const SequenceNumber sequence = WriteBatchInternal::Sequence(&batch);
    if (records == 0 && count == 0) {
      // The head marker (docs/durability.md): every write numbered below
      // it was durable when this log got its first record.
      have_marker = true;
      marker = sequence;
    }
    if (count > 0 && !checked) {
      checked = true;
      // Writes numbered from the marker up to this batch were at risk (in
      // a sealed, unsynced log) when this log began: they must have been
      // replayed from the logs before, unless they are in tables already
      // (then this log is the first one the manifest needs).
      if (have_marker && marker < sequence &&
          (state->have_last ? state->last + 1 < sequence : number != versions_->LogNumber())) {
        *gap = true;
        return Status::OK();
      }
    }
    s = WriteBatchInternal::InsertInto(&batch, mem_);
    if (!s.ok()) {
      return Status::Corruption(fname + " at offset " + std::to_string(offset), s.message());
    }
    records++;
    if (count > 0) {
      if (mem_first_log_ == 0) mem_first_log_ = number;
      SequenceNumber last = sequence + count - 1;
      *max_sequence = std::max(*max_sequence, last);
      state->last = state->have_last ? std::max(state->last, last) : last;
      state->have_last = true;
    }
    if (mem_->ApproximateMemoryUsage() >= options_.memtable_bytes) {
      // Seal it: the background worker flushes it once the DB is open.
      sealed_.push_back({mem_, mem_first_log_, PolicyNow()});
      has_sealed_.store(true, std::memory_order_relaxed);
      mem_ = NewMemTable();
      mem_->Ref();
      mem_first_log_ = number;
    }
  }
  if (!reader.status().ok()) return reader.status();
  if (reporter.damaged) {
    // Logs that were synced whole hold acknowledged data, so damage with
    // valid records after it is corruption: refuse to open rather than
    // drop them silently (`repair` salvages). The newest logs may hold
    // unsynced pages that a power cut persisted out of order, so there
    // everything from the damage on counts as a torn tail.
    bool followed = reader.DamageIsFollowedByValidRecords();
    if (followed && !may_be_unsynced) {
      return Status::Corruption(fname + " at offset " + std::to_string(reporter.offset),
                                std::string(reporter.reason.message()) +
                                    " (valid records follow; run repair)");
    }
    *cut_short = followed;
    Log(fname + ": log ends at offset " + std::to_string(reporter.offset) + " (" +
        std::string(reporter.reason.message()) + "), " + std::to_string(records) +
        " records recovered" + (followed ? "; valid records after the damage were dropped" : ""));
  }
  return Status::OK();
}

Status DBImpl::StartLogAfterRecovery() {
  for (uint64_t number : recovered_logs_) {
    std::unique_ptr<WritableFile> f;
    Status s = env_->NewAppendableFile(LogFileName(dbname_, number), &f);
    if (s.ok()) s = f->Sync();
    if (f) f->Close().IgnoreError();
    if (!s.ok()) return s;
  }
  recovered_logs_.clear();
  NewLog log;
  Status s = TakeNewLog(&log);
  if (s.ok()) InstallLog(std::move(log));
  return s;
}

void DBImpl::DeleteObsoleteFiles() {
  // Reading the directory and unlinking files can take milliseconds each
  // on a busy device, and writers wait for mutex_: both run without it. A
  // file created after the listing is not looked at; one listed is judged
  // below under the lock, and a file judged obsolete never becomes live
  // again (numbers are not reused), so removing it later is safe.
  std::vector<std::string> children;
  mutex_.Unlock();
  Status listed = env_->GetChildren(dbname_, &children);
  mutex_.Lock();
  if (!listed.ok()) return;
  std::set<uint64_t> live = pending_outputs_;
  live.insert(kept_outputs_.begin(), kept_outputs_.end());
  versions_->AddLiveFiles(&live);
  uint64_t min_log = sealed_.empty() ? mem_first_log_ : sealed_.front().first_log;
  if (min_log == 0) min_log = logfile_number_;
  std::vector<std::string> doomed;
  std::vector<uint64_t> doomed_tables;  // evicted from the caches unlocked
  for (const std::string& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    bool keep = true;
    switch (type) {
      case FileType::kLog:
        keep = number >= min_log || number == logfile_number_ || number == next_log_.number;
        break;
      case FileType::kManifest:
        keep = number >= versions_->ManifestFileNumber();
        break;
      case FileType::kTable:
        keep = live.count(number) > 0;
        break;
      case FileType::kTemp:
        keep = live.count(number) > 0 || opened_;
        break;
      default:
        break;
    }
    if (keep) continue;
    if (type == FileType::kTable) {
      doomed_tables.push_back(number);
      doomed.push_back(TableFileName(dbname_, number));
    } else if (type == FileType::kLog) {
      doomed.push_back(LogFileName(dbname_, number));
    } else if (type == FileType::kManifest) {
      doomed.push_back(ManifestFileName(dbname_, number));
    } else {
      doomed.push_back(TempFileName(dbname_, number));
    }
  }
  if (doomed.empty()) return;
  // Evicting a table closes its reader and visits every block cache shard;
  // no reader can want an obsolete table again, so this needs no lock.
  mutex_.Unlock();
  for (uint64_t number : doomed_tables) table_cache_->Evict(number);
  for (const std::string& fname : doomed) env_->RemoveFile(fname).IgnoreError();
  mutex_.Lock();
}

MemTable* DBImpl::NewMemTable() const {
  return new MemTable(options_.memtable_bytes / kMemtableFilterShare);
}

Status DBImpl::Get(const ReadOptions& o, std::string_view key, std::string* value) {
  if (value == nullptr) return Status::InvalidArgument("Get: null value pointer");
  MemTable* mem;
  std::vector<MemTable*> sealed;
  std::shared_ptr<const Version> version;
  SequenceNumber seq;
  {
    port::MutexLock l(&mutex_);
    if (closed_ || !opened_) return Status::InvalidArgument("Get: database is closed");
    seq = o.snapshot != nullptr
              ? *static_cast<const SnapshotImpl*>(o.snapshot)->pos
              : versions_->LastSequence();
    mem = mem_;
    mem->Ref();
    for (auto it = sealed_.rbegin(); it != sealed_.rend(); ++it) {
      it->mem->Ref();
      sealed.push_back(it->mem);
    }
    version = versions_->current();
  }
  gets_.fetch_add(1, std::memory_order_relaxed);
  if (trace_) trace_->Record(TraceOp::kGet, key, 0);
  Status s;
  const uint64_t hash = BloomHash(key);  // for every filter this lookup probes
  bool done = mem->Get(key, hash, seq, value, &s);
  for (size_t i = 0; !done && i < sealed.size(); ++i) {
    done = sealed[i]->Get(key, hash, seq, value, &s);
  }
  uint64_t blocks = 0;
  if (!done) {
    ReadStats stats;
    s = version->Get(o, table_cache_.get(), key, hash, seq, value, &stats);
    blocks = stats.blocks_read;
    get_blocks_read_.fetch_add(stats.blocks_read, std::memory_order_relaxed);
    get_files_probed_.fetch_add(stats.files_probed, std::memory_order_relaxed);
    get_cache_hits_.fetch_add(stats.block_cache_hits, std::memory_order_relaxed);
  }
  policy_clock_.Operation(PolicyClockCosts::kGet + PolicyClockCosts::kBlock * blocks,
                         env_->NowMicros());
  mem->Unref();
  for (MemTable* m : sealed) m->Unref();
  if (s.IsNotFound()) return Status::NotFound(key.size() <= 64 ? std::string(key) : "key");
  return s;
}

Iterator* DBImpl::NewIterator(const ReadOptions& o) {
  std::vector<Iterator*> children;
  std::vector<MemTable*> refs;
  SequenceNumber seq;
  std::shared_ptr<const Version> version;
  {
    port::MutexLock l(&mutex_);
    if (closed_ || !opened_) {
      return NewErrorIterator(Status::InvalidArgument("NewIterator: database is closed"));
    }
    seq = o.snapshot != nullptr
              ? *static_cast<const SnapshotImpl*>(o.snapshot)->pos
              : versions_->LastSequence();
    refs.push_back(mem_);
    for (auto it = sealed_.rbegin(); it != sealed_.rend(); ++it) refs.push_back(it->mem);
    for (MemTable* m : refs) m->Ref();
    version = versions_->current();
  }
  scans_.fetch_add(1, std::memory_order_relaxed);
  policy_clock_.Operation(PolicyClockCosts::kScan, env_->NowMicros());
  for (MemTable* m : refs) children.push_back(m->NewIterator());
  ReadOptions ro = o;
  // The run iterators count the data blocks they fetch here; the count is
  // added to the database's once the iterator is gone (after its children).
  auto stats = std::make_shared<ReadStats>();
  version->AddIterators(ro, table_cache_.get(), &children, stats.get());
  Iterator* merged = NewMergingIterator(std::move(children));
  Iterator* it = NewDBIterator(merged, seq, [this, refs = std::move(refs), version,
                                             stats]() mutable {
    iterator_blocks_read_.fetch_add(stats->blocks_read, std::memory_order_relaxed);
    policy_clock_.Add(PolicyClockCosts::kBlock * stats->blocks_read);
    for (MemTable* m : refs) m->Unref();
    // The last reader of an old version may leave its files unreferenced
    // (replaced by compactions meanwhile): have them deleted now, not at
    // the next flush or compaction, which may be far off when idle.
    port::MutexLock l(&mutex_);
    const bool stale = version != versions_->current();
    version.reset();
    if (stale) {
      obsolete_files_pending_ = true;
      bg_cv_.SignalAll();
    }
  });
  return trace_ ? new TracingIterator(it, trace_.get()) : it;
}

const Snapshot* DBImpl::GetSnapshot() {
  port::MutexLock l(&mutex_);
  return new SnapshotImpl(snapshots_.insert(versions_->LastSequence()));
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) return;
  const SnapshotImpl* s = static_cast<const SnapshotImpl*>(snapshot);
  {
    port::MutexLock l(&mutex_);
    snapshots_.erase(s->pos);
  }
  delete s;
}

SequenceNumber DBImpl::SmallestSnapshot() {
  return snapshots_.empty() ? versions_->LastSequence() : *snapshots_.begin();
}

Status DBImpl::Close() {
  {
    port::MutexLock l(&mutex_);
    if (closed_ || !opened_) return Status::OK();
    // Let queued writers finish.
    while (!writers_.empty()) writers_cv_.Wait();
    shutting_down_ = true;
    bg_cv_.SignalAll();
  }
  if (bg_thread_.joinable()) bg_thread_.join();
  port::MutexLock l(&mutex_);
  Status s;
  if (bg_error_.ok()) {
    // Persist the wear counter with the WAL bytes since the last edit (one
    // small manifest record). A failure loses only that increment.
    VersionEdit edit;
    versions_->LogAndApply(&edit, &mutex_).IgnoreError();
  }
  // Everything acknowledged becomes durable: the sealed logs first, then
  // the current one.
  s = SyncSealedLogs();
  if (logfile_) {
    Status synced = logfile_->Sync();
    if (s.ok()) s = synced;
    Status c = logfile_->Close();
    if (s.ok() && !log_broken_) s = c;
  }
  if (next_log_.file) {
    // Prepared but never used: nothing to keep.
    next_log_.file->Close().IgnoreError();
    env_->RemoveFile(LogFileName(dbname_, next_log_.number)).IgnoreError();
  }
  next_log_ = NewLog();
  log_.reset();
  logfile_.reset();
  if (trace_) trace_->Close().IgnoreError();
  closed_ = true;
  if (db_lock_) {
    Status u = env_->UnlockFile(std::move(db_lock_));
    if (s.ok()) s = u;
  }
  return s;
}

Status DestroyDB(const std::string& path, const Options& options) {
  Env* env = options.env != nullptr ? options.env : Env::Default();
  std::vector<std::string> children;
  Status s = env->GetChildren(path, &children);
  if (!s.ok()) return env->FileExists(path) ? s : Status::OK();
  std::unique_ptr<FileLock> lock;
  s = env->LockFile(LockFileName(path), &lock);
  if (!s.ok()) return s;
  for (const std::string& name : children) {
    uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type) && type != FileType::kLock) {
      Status r = env->RemoveFile(path + "/" + name);
      if (s.ok() && !r.ok()) s = r;
    }
  }
  env->UnlockFile(std::move(lock)).IgnoreError();
  env->RemoveFile(LockFileName(path)).IgnoreError();
  env->RemoveDir(path).IgnoreError();
  return s;
}

}  // namespace firn
