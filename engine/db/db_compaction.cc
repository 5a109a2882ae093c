// db/db_compaction.cc: the background worker: flushes sealed memtables and
// runs the compactions the picker asks for.
#include <algorithm>

#include "compaction/compaction.h"
#include "db/builder.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "db/run_iterator.h"
#include "db/merging_iterator.h"
#include "db/table_cache.h"
#include "memtable/memtable.h"
#include "port/env.h"
#include "version/version_set.h"

namespace firn {

namespace {
// How often the picker is asked while nothing happens (it may decide to
// compact during a lull).
constexpr uint64_t kIdlePollMicros = 1000000;
// Back-off before retrying background work after an I/O error.
constexpr uint64_t kRetryMicros = 200000;

// Drops entries no reader can see: versions shadowed by a newer version
// visible to every snapshot, and deletions (when is_base says no older run
// holds the key) that every snapshot sees.
class EntryFilter {
 public:
  explicit EntryFilter(SequenceNumber smallest_snapshot) : smallest_snapshot_(smallest_snapshot) {}

  // REQUIRES: internal keys in increasing order.
  template <typename IsBase>
  bool Drop(const ParsedInternalKey& k, IsBase&& is_base) {
    if (!has_key_ || CompareUserKey(k.user_key, current_key_) != 0) {
      current_key_.assign(k.user_key);
      has_key_ = true;
      last_sequence_for_key_ = kMaxSequenceNumber;
    }
    bool drop = false;
    if (last_sequence_for_key_ <= smallest_snapshot_) {
      drop = true;  // a newer version is visible to every reader
    } else if (k.type == kTypeDeletion && k.sequence <= smallest_snapshot_ &&
               is_base(k.user_key)) {
      drop = true;  // nothing older to hide
    }
    last_sequence_for_key_ = k.sequence;
    return drop;
  }

 private:
  const SequenceNumber smallest_snapshot_;
  std::string current_key_;
  bool has_key_ = false;
  SequenceNumber last_sequence_for_key_ = kMaxSequenceNumber;
};
}  // namespace

uint64_t DBImpl::NewOutputFileNumber() {
  port::MutexLock l(&mutex_);
  uint64_t n = versions_->NewFileNumber();
  pending_outputs_.insert(n);
  return n;
}

void DBImpl::RecordBackgroundError(const Status& s) {
  if (s.ok()) return;
  if (bg_error_.ok()) Log("background error: " + s.ToString());
  bg_error_ = s;
  bg_retry_at_micros_ = env_->NowMicros() + kRetryMicros;
  bg_cv_.SignalAll();
}

void DBImpl::BackgroundThread() {
  if (options_.background_low_priority) LowerCurrentThreadPriority();
  port::MutexLock l(&mutex_);
  while (!shutting_down_) {
    if (!BackgroundStep()) {
      bg_cv_.SignalAll();  // waiters for "nothing left" (Flush, CompactAll)
      if (!shutting_down_) bg_cv_.WaitFor(bg_error_.ok() ? kIdlePollMicros : kRetryMicros);
    }
  }
  bg_cv_.SignalAll();
}

bool DBImpl::BackgroundStep() {
  bool progressed = false;
  if (!next_log_.file && bg_error_.ok() && !shutting_down_) {
    // The next log first: a writer that seals its memtable before one is
    // ready creates it itself, two fsyncs on its thread (up to 100 ms seen
    // on a busy device). A failure is retried and recorded below.
    PrepareNextLog().IgnoreError();
  }
  if (!unsynced_logs_.empty()) {
    // First, before any flush: a sealed log's writes are at risk of a
    // power cut until this sync (a failure sets wal_barrier_).
    SyncSealedLogs().IgnoreError();
    progressed = true;
  }
  if (!bg_error_.ok()) {
    if (env_->NowMicros() < bg_retry_at_micros_) return progressed;
    // Retry: a full disk or a passing I/O error may have cleared.
    bg_error_ = Status::OK();
    bg_retries_++;
  }
  if (obsolete_files_pending_) {
    obsolete_files_pending_ = false;
    DeleteObsoleteFiles();
  }
  if (!next_log_.file) {
    RecordBackgroundError(PrepareNextLog());
    if (!bg_error_.ok()) return progressed;
  }
  bool between_flushes = false;
  if (!sealed_.empty()) {
    RecordBackgroundError(FlushOldestSealed());
    if (!bg_error_.ok()) return false;
    // With more memtables sealed, the picker is still asked about this
    // tree, before the next flush, as the simulator asks at every flush:
    // flushing them all first would skip the decisions in between. A
    // compaction it starts flushes them between its entries.
    if (sealed_.empty() || manual_compaction_) return true;
    between_flushes = true;
  }
  std::unique_ptr<Compaction> c;
  if (!PickCompaction(&c)) {
    if (between_flushes) return true;  // the next flush
    if (manual_compaction_) {
      manual_compaction_ = false;  // nothing (left) to do
      bg_cv_.SignalAll();
    }
    return progressed;
  }
  Status s = RunCompaction(c.get());
  RecordBackgroundError(s);
  if (manual_compaction_ && (!s.ok() || c->output_level() == options_.num_levels - 1)) {
    // A manual compaction ends after its one full merge (or its failure).
    manual_status_ = s;
    manual_compaction_ = false;
    bg_cv_.SignalAll();
  }
  return s.ok();
}

uint64_t DBImpl::DecisionMicros(bool reasked) {
  if (reasked) return PolicyNow();  // asked again while idle
  return std::max(shape_changed_micros_, clock_start_micros_);
}

WorkloadStats DBImpl::CurrentWorkload(uint64_t decided) {
  const uint64_t wall = env_->NowMicros();
  // The rates' window closes now, not at `decided`: the counters are
  // read now, and a rate is operations over the same span of the clock.
  uint64_t now = policy_clock_.Now(wall);
  uint64_t elapsed = now - window_start_micros_;
  if (elapsed >= RateWindowMicros(options_.memtable_bytes)) {
    double secs = static_cast<double>(elapsed) / 1e6;
    uint64_t writes = writes_.load(std::memory_order_relaxed);
    uint64_t gets = gets_.load(std::memory_order_relaxed);
    uint64_t scans = scans_.load(std::memory_order_relaxed);
    uint64_t deletes = deletes_.load(std::memory_order_relaxed);
    last_rates_.write_rate = static_cast<double>(writes - window_writes_) / secs;
    last_rates_.read_rate = static_cast<double>(gets - window_gets_) / secs;
    last_rates_.scan_rate = static_cast<double>(scans - window_scans_) / secs;
    last_rates_.delete_rate = static_cast<double>(deletes - window_deletes_) / secs;
    window_writes_ = writes;
    window_gets_ = gets;
    window_scans_ = scans;
    window_deletes_ = deletes;
    window_start_micros_ = now;
  }
  WorkloadStats w = last_rates_;
  w.now_micros = decided;
  uint64_t last_c = std::max(last_compaction_micros_.load(std::memory_order_relaxed),
                             clock_start_micros_);
  uint64_t last_w = last_write_micros_.load(std::memory_order_relaxed);
  w.micros_since_last_compaction = decided > last_c ? decided - last_c : 0;
  w.micros_since_last_write = wall - std::max(last_w, open_micros_);
  // Waiting to flush at `decided`: memtables sealed after it are not yet
  // counted (the simulator, which flushes at once, never shows any).
  w.pending_flush_bytes = PendingFlushBytes(decided);
  uint64_t free_bytes = 0;
  if (env_->GetFreeSpace(dbname_, &free_bytes).ok()) w.free_space_bytes = free_bytes;
  w.user_bytes_written = user_bytes_written_.load(std::memory_order_relaxed);
  w.device_bytes_written = env_->counters().TotalWritten();
  return w;
}

bool DBImpl::PickCompaction(std::unique_ptr<Compaction>* c) {
  std::shared_ptr<const Version> v = versions_->current();
  if (v->TotalRuns() == 0) return false;
  uint64_t now = env_->NowMicros();
  const bool reasked = waited_version_.lock() == v;
  if (!manual_compaction_ && reasked && now - waited_micros_ < kIdlePollMicros) {
    return false;  // nothing changed since the picker said wait
  }
  CompactionRequest request;
  if (manual_compaction_) {
    if (v->TotalRuns() == 1 && v->level(options_.num_levels - 1).runs.size() == 1) return false;
    for (int l = 0; l < v->num_levels(); ++l) {
      for (const Run& r : v->level(l).runs) request.inputs.push_back({l, r.id, {}});
    }
    request.output_level = options_.num_levels - 1;
    request.reason = "manual: compact all";
  } else {
    const uint64_t decided = DecisionMicros(reasked);
    TreeShape shape = ShapeOf(*v, decided);
    WorkloadStats stats = CurrentWorkload(decided);
    bool pick = picker_->Pick(shape, stats, &request);
    // Guardrails (GuardrailTripped, compaction/picker.h): however the
    // picker decides, no level may hold more than 1.5x the configured
    // runs, and space amplification may not exceed twice its limit.
    const bool over_cap = GuardrailTripped(shape, options_);
    if (over_cap) {
      // The cap overrides the picker, whatever it asked for.
      CompactionRequest guard;
      if (guard_picker_->Pick(shape, stats, &guard)) {
        guardrail_overrides_.fetch_add(1, std::memory_order_relaxed);
        guard.reason = "guardrail: " + guard.reason;
        request = std::move(guard);
        pick = true;
      }
    }
    if (!pick) {
      waited_version_ = v;
      waited_micros_ = now;
      return false;
    }
  }
  waited_version_.reset();
  Status s = Compaction::Prepare(*v, request, c);
  if (!s.ok()) {
    picker_rejections_.fetch_add(1, std::memory_order_relaxed);
    Log("picker request rejected: " + s.ToString());
    return false;
  }
  return true;
}

Status DBImpl::FlushOldestSealed() {
  Sealed sealed = sealed_.front();
  SequenceNumber smallest_snapshot = SmallestSnapshot();
  // The files' creation time, for their ages: the seal, as in the
  // simulator, which flushes the moment a memtable fills.
  const uint64_t created = sealed.sealed_micros;
  std::vector<FileMetaData> outputs;
  Status s;
  {
    mutex_.Unlock();
    OutputBuilder out(env_.get(), dbname_, table_options_, options_.sst_target_bytes,
                      [this] { return NewOutputFileNumber(); }, created);
    std::unique_ptr<Iterator> it(sealed.mem->NewIterator());
    EntryFilter filter(smallest_snapshot);
    for (it->SeekToFirst(); s.ok() && it->Valid(); it->Next()) {
      ParsedInternalKey k;
      if (!ParseInternalKey(it->key(), &k)) {
        s = Status::Corruption("memtable: bad internal key");
        break;
      }
      if (filter.Drop(k, [](std::string_view) { return false; })) continue;
      s = out.Add(it->key(), it->value());
    }
    if (s.ok()) s = it->status();
    if (s.ok()) s = out.Finish(&outputs);
    if (s.ok() && !outputs.empty()) s = env_->SyncDir(dbname_);
    if (!s.ok()) out.Abandon();
    flush_bytes_written_.fetch_add(out.bytes_written(), std::memory_order_relaxed);
    mutex_.Lock();
  }
  if (s.ok()) {
    VersionEdit edit;
    uint64_t run_id = versions_->NewRunId();
    for (const FileMetaData& f : outputs) edit.AddFile(0, run_id, f);
    uint64_t next_first_log = sealed_.size() > 1 ? sealed_[1].first_log : mem_first_log_;
    edit.SetLogNumber(std::max(next_first_log, versions_->LogNumber()));
    s = versions_->LogAndApply(&edit, &mutex_);
    if (!s.ok()) {
      for (const FileMetaData& f : outputs) kept_outputs_.insert(f.number);
    }
  }
  for (const FileMetaData& f : outputs) pending_outputs_.erase(f.number);
  if (!s.ok()) return s;
  sealed_.pop_front();
  has_sealed_.store(!sealed_.empty(), std::memory_order_relaxed);
  shape_changed_micros_ = std::max(shape_changed_micros_, sealed.sealed_micros);
  sealed.mem->Unref();
  flushes_.fetch_add(1, std::memory_order_relaxed);
  DeleteObsoleteFiles();
  bg_cv_.SignalAll();
  return Status::OK();
}

Status DBImpl::RunCompaction(Compaction* c) {
  uint64_t now = PolicyNow();  // the outputs' creation time, for their ages
  Log(c->DebugString());
  VersionEdit edit;
  if (c->IsTrivialMove()) {
    const CompactionInput& in = c->inputs()[0];
    uint64_t run_id = c->output_run_id() != 0 ? c->output_run_id() : versions_->NewRunId();
    edit.RemoveFile(in.level, in.run_id, in.files[0]->number);
    edit.AddFile(c->output_level(), run_id, *in.files[0]);
    Status s = versions_->LogAndApply(&edit, &mutex_);
    if (s.ok()) {
      trivial_moves_.fetch_add(1, std::memory_order_relaxed);
      compactions_.fetch_add(1, std::memory_order_relaxed);
      last_compaction_micros_.store(now, std::memory_order_relaxed);
      shape_changed_micros_ = std::max(shape_changed_micros_, now);
    }
    return s;
  }

  SequenceNumber smallest_snapshot = SmallestSnapshot();
  std::vector<FileMetaData> outputs;
  Status s;
  uint64_t written = 0;
  {
    mutex_.Unlock();
    ReadOptions ro;
    ro.verify_checksums = true;
    ro.fill_cache = false;
    std::vector<Iterator*> children;
    for (const CompactionInput& in : c->inputs()) {
      std::vector<RunFile> bounds;
      for (const FileRef& f : in.files) bounds.push_back(RunFile{f->smallest, f->largest});
      TableCache* cache = table_cache_.get();
      std::vector<FileRef> files = in.files;
      children.push_back(NewRunIterator(std::move(bounds),
                                        [cache, ro, files = std::move(files)](size_t i) {
                                          return cache->NewIterator(ro, *files[i]);
                                        }));
    }
    std::unique_ptr<Iterator> input(NewMergingIterator(std::move(children)));
    OutputBuilder out(env_.get(), dbname_, table_options_, options_.sst_target_bytes,
                      [this] { return NewOutputFileNumber(); }, now);
    EntryFilter filter(smallest_snapshot);
    auto is_base = [c](std::string_view user_key) { return c->IsBaseForKey(user_key); };
    for (input->SeekToFirst(); s.ok() && input->Valid(); input->Next()) {
      if (has_sealed_.load(std::memory_order_relaxed) ||
          has_unsynced_logs_.load(std::memory_order_relaxed)) {
        // Keep writers moving: sync sealed logs and flush sealed memtables
        // between entries, and have the next log ready so the next seal
        // costs no log creation (two fsyncs) on the writer's thread. A
        // failure to prepare it is not the compaction's: the writer then
        // creates the log itself.
        mutex_.Lock();
        if (!next_log_.file && !shutting_down_) PrepareNextLog().IgnoreError();
        if (!unsynced_logs_.empty()) SyncSealedLogs().IgnoreError();
        while (s.ok() && !sealed_.empty() && !shutting_down_) {
          if (!next_log_.file) PrepareNextLog().IgnoreError();
          s = FlushOldestSealed();
        }
        mutex_.Unlock();
        if (!s.ok()) break;
      }
      ParsedInternalKey k;
      if (!ParseInternalKey(input->key(), &k)) {
        s = Status::Corruption("compaction input: bad internal key");
        break;
      }
      if (filter.Drop(k, is_base)) continue;
      s = out.Add(input->key(), input->value());
    }
    if (s.ok()) s = input->status();
    if (s.ok()) s = out.Finish(&outputs);
    if (s.ok() && !outputs.empty()) s = env_->SyncDir(dbname_);
    if (!s.ok()) out.Abandon();
    written = out.bytes_written();
    mutex_.Lock();
  }
  if (s.ok()) {
    c->AddInputDeletions(&edit);
    uint64_t run_id = c->output_run_id() != 0 ? c->output_run_id() : versions_->NewRunId();
    for (const FileMetaData& f : outputs) edit.AddFile(c->output_level(), run_id, f);
    s = versions_->LogAndApply(&edit, &mutex_);
    if (!s.ok()) {
      for (const FileMetaData& f : outputs) kept_outputs_.insert(f.number);
    }
  }
  for (const FileMetaData& f : outputs) pending_outputs_.erase(f.number);
  compaction_bytes_written_.fetch_add(written, std::memory_order_relaxed);
  if (!s.ok()) {
    Log("compaction failed: " + s.ToString());
    return s;
  }
  compaction_bytes_read_.fetch_add(c->InputBytes(), std::memory_order_relaxed);
  compactions_.fetch_add(1, std::memory_order_relaxed);
  const uint64_t ended = PolicyNow();
  last_compaction_micros_.store(ended, std::memory_order_relaxed);
  shape_changed_micros_ = std::max(shape_changed_micros_, ended);
  DeleteObsoleteFiles();
  bg_cv_.SignalAll();
  return Status::OK();
}

Status DBImpl::WaitForBackground(bool (DBImpl::*done)() const) {
  uint64_t retries_seen = bg_retries_;
  while (!(this->*done)()) {
    if (!bg_error_.ok()) {
      // Give the worker one retry now (the fault may have cleared) before
      // reporting the error.
      if (bg_retries_ > retries_seen + 1) return bg_error_;
      bg_retry_at_micros_ = 0;
    }
    if (shutting_down_) return Status::InvalidArgument("database is closing");
    if (NoThread()) {
      InlineStep();  // the caller's thread does the work
      continue;
    }
    bg_cv_.SignalAll();
    bg_cv_.WaitFor(100000);
  }
  return Status::OK();
}

bool DBImpl::InlineStep(bool from_maintain) {
  if (stepping_) {
    bg_cv_.WaitFor(100000);
    return true;
  }
  stepping_ = true;
  const uint64_t start = env_->NowMicros();
  const bool progressed = BackgroundStep();
  const uint64_t micros = env_->NowMicros() - start;
  stepping_ = false;
  if (progressed) {
    (from_maintain ? maintain_steps_ : inline_steps_)++;
    max_step_micros_ = std::max(max_step_micros_, micros);
    avg_step_micros_ = avg_step_micros_ == 0 ? micros : (3 * avg_step_micros_ + micros) / 4;
  }
  bg_cv_.SignalAll();
  return progressed;
}

Status DBImpl::Maintain(uint64_t budget_us) {
  port::MutexLock l(&mutex_);
  if (closed_ || shutting_down_ || !opened_) {
    return Status::InvalidArgument("Maintain: database is closed");
  }
  if (!NoThread() || stepping_ || budget_us == 0) return Status::OK();
  maintain_calls_++;
  const uint64_t start = env_->NowMicros();
  for (bool first = true;; first = false) {
    // Another step only if it is expected to fit: the overrun is at most
    // the one step that starts with budget left.
    const uint64_t elapsed = env_->NowMicros() - start;
    if (!first && (elapsed >= budget_us || avg_step_micros_ > budget_us - elapsed)) break;
    if (stepping_) break;  // a writer is running a step
    if (!InlineStep(/*from_maintain=*/true)) break;
  }
  // A failed step is retried by a later call once the back-off has passed.
  return bg_error_;
}

Status DBImpl::Flush() {
  port::MutexLock l(&mutex_);
  if (closed_ || shutting_down_ || !opened_) {
    return Status::InvalidArgument("Flush: database is closed");
  }
  // Seal through the writer queue so no writer is mid-append.
  Writer w(&mutex_);
  writers_.push_back(&w);
  while (&w != writers_.front()) w.cv.Wait();
  Status s = MakeRoomForWrite(/*force=*/true);
  writers_.pop_front();
  if (!writers_.empty()) writers_.front()->cv.Signal();
  if (!s.ok()) return s;
  bg_cv_.SignalAll();
  return WaitForBackground(&DBImpl::NoSealedMemtables);
}

Status DBImpl::CompactAll() {
  Status s = Flush();
  if (!s.ok()) return s;
  port::MutexLock l(&mutex_);
  manual_compaction_ = true;
  manual_status_ = Status::OK();
  bg_cv_.SignalAll();
  s = WaitForBackground(&DBImpl::ManualCompactionDone);
  if (!s.ok()) {
    manual_compaction_ = false;
    return s;
  }
  return manual_status_;
}

}  // namespace firn
