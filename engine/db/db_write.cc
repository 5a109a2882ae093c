// db/db_write.cc: the write path: group commit, the WAL, the memtable and
// write backpressure.
#include <algorithm>

#include "db/db_impl.h"
#include "db/filename.h"
#include "db/write_batch_internal.h"
#include "memtable/memtable.h"
#include "policy/trace.h"
#include "port/env.h"
#include "version/version_set.h"
#include "wal/log_writer.h"

namespace firn {

namespace {
// Largest group the front writer assembles (bytes of batches).
constexpr size_t kMaxGroupBytes = 1u << 20;
// One write is delayed this long when the engine is behind. Short, so a
// delayed write still completes within about a millisecond (the latency
// goal of issue #6); the delay is applied to every write while behind,
// which still caps a single writer at a few thousand writes a second.
constexpr uint64_t kSlowdownMicros = 250;
}  // namespace

Status DBImpl::Put(const WriteOptions& o, std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return WriteImpl(o, &batch);
}

Status DBImpl::Delete(const WriteOptions& o, std::string_view key) {
  deletes_.fetch_add(1, std::memory_order_relaxed);
  WriteBatch batch;
  batch.Delete(key);
  return WriteImpl(o, &batch);
}

Status DBImpl::Write(const WriteOptions& o, const WriteBatch& batch) {
  return WriteImpl(o, &batch);
}

Status DBImpl::Sync() {
  WriteOptions o;
  o.sync = true;
  return WriteImpl(o, nullptr);
}

Status DBImpl::WriteImpl(const WriteOptions& o, const WriteBatch* batch) {
  if (batch != nullptr) {
    Status s = WriteBatchInternal::CheckLimits(*batch, options_.max_key_bytes,
                                               options_.max_value_bytes);
    if (!s.ok()) return s;
    if (trace_) {
      // Each update of the batch as its own record.
      struct Tracer : WriteBatch::Handler {
        TraceWriter* t;
        void Put(std::string_view k, std::string_view v) override {
          t->Record(TraceOp::kPut, k, static_cast<uint32_t>(v.size()));
        }
        void Delete(std::string_view k) override { t->Record(TraceOp::kDelete, k, 0); }
      } tracer;
      tracer.t = trace_.get();
      batch->Iterate(&tracer).IgnoreError();
    }
  }
  Writer w(&mutex_);
  w.batch = batch;
  w.sync = o.sync || options_.sync;
  const uint64_t start_micros = env_->NowMicros();

  port::MutexLock l(&mutex_);
  if (closed_ || shutting_down_ || !opened_) {
    return Status::InvalidArgument("write: database is closed");
  }
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.Wait();
  if (w.done) return w.status;

  Status status = MakeRoomForWrite(/*force=*/false);
  if (status.ok() && w.sync && !unsynced_logs_.empty()) {
    // A sync makes every write before it durable, so the sealed logs
    // first. A failure fails this group only: nothing was appended.
    status = SyncSealedLogs();
    if (!status.ok()) Log("sync write failed: " + status.ToString());
  }
  Writer* last_writer = &w;
  if (status.ok()) {
    WriteBatch* group = nullptr;
    SequenceNumber first = versions_->LastSequence() + 1;
    uint32_t count = 0;
    if (batch != nullptr) {
      group = BuildBatchGroup(&last_writer);
      WriteBatchInternal::SetSequence(group, first);
      count = WriteBatchInternal::Count(group);
    }
    // The first record of a log is its head marker (docs/durability.md):
    // an empty batch whose sequence is the lowest one that may not be
    // durable yet (in a sealed log still unsynced), or this group's first
    // if every earlier write is synced or in a table. Recovery checks
    // that the logs before this one delivered everything from there on.
    WriteBatch marker;
    const bool write_marker = group != nullptr && !log_has_records_;
    if (write_marker) {
      SequenceNumber lowest = first;
      for (const SealedLog& sl : unsynced_logs_) {
        if (sl.first_seq != 0) lowest = std::min(lowest, sl.first_seq);
      }
      WriteBatchInternal::SetSequence(&marker, lowest);
      log_has_records_ = true;
    }
    if (count > 0 && log_first_seq_ == 0) log_first_seq_ = first;
    bool sync = w.sync;
    {
      // Only the front writer touches the log and mem_, so the lock can go.
      mutex_.Unlock();
      if (write_marker) status = log_->AddRecord(WriteBatchInternal::Contents(&marker));
      if (status.ok() && group != nullptr) {
        status = log_->AddRecord(WriteBatchInternal::Contents(group));
      }
      if (status.ok() && sync) status = logfile_->Sync();
      if (status.ok() && group != nullptr) status = WriteBatchInternal::InsertInto(group, mem_);
      mutex_.Lock();
    }
    // The sequence numbers are used even if the write failed: its record
    // may have reached the log, and must never share numbers with a later
    // write.
    if (count > 0) versions_->SetLastSequence(first + count - 1);
    if (status.ok()) {
      const uint64_t now = env_->NowMicros();
      last_write_micros_.store(now, std::memory_order_relaxed);
      policy_clock_.Operation(PolicyClockCosts::kPut * count, now);
      if (now - start_micros > max_write_micros_.load(std::memory_order_relaxed)) {
        max_write_micros_.store(now - start_micros, std::memory_order_relaxed);
      }
    } else {
      // The log may end in a partial record: never append to it again. The
      // next write starts a new log (MakeRoomForWrite).
      log_broken_ = true;
      Log("WAL write failed: " + status.ToString());
    }
    if (group != nullptr && group == group_batch_.get()) group_batch_->Clear();
  }

  for (;;) {
    Writer* ready = writers_.front();
    writers_.pop_front();
    if (ready != &w) {
      ready->status = status;
      ready->done = true;
      ready->cv.Signal();
    }
    if (status.ok() && ready->batch != nullptr) {
      uint64_t user = ready->batch->UserBytes();
      user_bytes_written_.fetch_add(user, std::memory_order_relaxed);
      writes_.fetch_add(1, std::memory_order_relaxed);
    }
    if (ready == last_writer) break;
  }
  if (!writers_.empty()) writers_.front()->cv.Signal();
  if (writers_.empty()) writers_cv_.SignalAll();  // Close may wait for this
  return status;
}

WriteBatch* DBImpl::BuildBatchGroup(Writer** last_writer) {
  Writer* first = writers_.front();
  WriteBatch* result = const_cast<WriteBatch*>(first->batch);
  size_t size = WriteBatchInternal::ByteSize(first->batch);
  size_t max_size = std::min(kMaxGroupBytes, std::max<size_t>(size + (128u << 10), 128u << 10));
  *last_writer = first;
  auto it = writers_.begin();
  ++it;
  for (; it != writers_.end(); ++it) {
    Writer* w = *it;
    if (w->batch == nullptr) break;          // a sync request ends the group
    if (w->sync && !first->sync) break;      // no sync write in a non-sync group
    size += WriteBatchInternal::ByteSize(w->batch);
    if (size > max_size) break;
    if (result == first->batch) {
      if (!group_batch_) group_batch_ = std::make_unique<WriteBatch>();
      result = group_batch_.get();
      result->Clear();
      WriteBatchInternal::Append(result, first->batch);
    }
    WriteBatchInternal::Append(result, w->batch);
    *last_writer = w;
  }
  return result;
}

int DBImpl::MostRunsInALevel() const {
  size_t most = 0;
  for (const Level& level : versions_->current()->levels()) most = std::max(most, level.runs.size());
  return static_cast<int>(most);
}

uint64_t DBImpl::PendingFlushBytes(uint64_t sealed_by) const {
  uint64_t bytes = 0;
  for (const Sealed& s : sealed_) {
    if (s.sealed_micros <= sealed_by) bytes += s.mem->ApproximateMemoryUsage();
  }
  return bytes;
}

// With background = none (docs/edge.md) nobody else catches up: where a
// write would sleep or wait for the worker, it runs one background step
// itself (InlineStep). A write therefore runs at most one step when the
// engine is behind (pending flushes above max_pending_flush_bytes, or a
// level over the guardrail's run cap), and one step per stall round only
// when the hard limits are reached, which takes the application not
// calling DB::Maintain at all while writing faster than one step per
// write frees.
Status DBImpl::MakeRoomForWrite(bool force) {
  bool allow_delay = !force;
  bool allow_stall = true;
  const int max_runs = MaxRunsPerLevel(options_);
  const int l0_slowdown = 2 * max_runs;
  const int l0_stop = 3 * max_runs;
  // The guardrail's cap (PickCompaction): without a thread, a write keeps
  // it by running the compaction it calls for.
  const int run_cap = max_runs + (max_runs + 1) / 2;
  const uint64_t retries_seen = bg_retries_;
  for (;;) {
    // Level 0's runs once every sealed memtable is flushed (one run each):
    // counting only the runs already there let a slow worker's queue of
    // small sealed memtables take level 0 far past l0_stop.
    int l0_runs = static_cast<int>(versions_->current()->level(0).runs.size() + sealed_.size());
    uint64_t pending = PendingFlushBytes();
    if (wal_barrier_ != 0) {
      // A sealed log could not be synced: later writes must wait until its
      // data is safe in SST files, or a power cut could leave a hole.
      if (versions_->LogNumber() > wal_barrier_) {
        wal_barrier_ = 0;
        continue;
      }
      if (!bg_error_.ok()) return bg_error_;
      if (NoThread()) {
        if (!InlineStep() && versions_->LogNumber() <= wal_barrier_) {
          return bg_error_.ok() ? Status::IOError("write-ahead log " +
                                                  std::to_string(wal_barrier_) +
                                                  " could not be synced")
                                : bg_error_;
        }
        continue;
      }
      bg_cv_.SignalAll();
      if (!bg_cv_.WaitFor(100000) && versions_->LogNumber() <= wal_barrier_) {
        return Status::IOError("write-ahead log " + std::to_string(wal_barrier_) +
                               " could not be synced; writes resume once it is flushed");
      }
      continue;
    }
    if (log_broken_) {
      // The log may end in a partial record: seal what it holds and go on
      // in a fresh log. The failed write used sequence numbers that no
      // intact record may hold, so the next log's first batch does not
      // follow the last one recovery finds in this log: sync this log now,
      // and the new log's head marker says nothing before it is at risk.
      Status s = SealMemtableAndSwitchLog();
      if (!s.ok()) return s;
      log_broken_ = false;
      s = SyncSealedLogs();
      if (!s.ok()) return s;  // wal_barrier_ is set
      continue;
    }
    if (allow_delay && NoThread() &&
        (pending > options_.max_pending_flush_bytes || MostRunsInALevel() > run_cap)) {
      // Behind, and no thread to catch up: one step here instead of a sleep.
      write_slowdowns_.fetch_add(1, std::memory_order_relaxed);
      InlineStep();
      allow_delay = false;
      continue;
    }
    if (allow_delay && (pending > options_.max_pending_flush_bytes || l0_runs >= l0_slowdown)) {
      // Behind: spread the delay over many writes rather than stall one.
      write_slowdowns_.fetch_add(1, std::memory_order_relaxed);
      policy_clock_.Add(PolicyClockCosts::kSlowdown);
      mutex_.Unlock();
      env_->SleepMicros(kSlowdownMicros);
      mutex_.Lock();
      allow_delay = false;
      continue;
    }
    if (!force && mem_->ApproximateMemoryUsage() < options_.memtable_bytes) return Status::OK();
    if (allow_stall &&
        (pending >= 2 * options_.max_pending_flush_bytes || l0_runs >= l0_stop)) {
      if (!bg_error_.ok()) {
        // The cause (a full disk) may be gone: have the worker retry now
        // rather than after its back-off, and fail only if that retry, or
        // one since this write began, failed too.
        if (bg_retries_ > retries_seen) return bg_error_;
        bg_retry_at_micros_ = 0;
      }
      write_stalls_.fetch_add(1, std::memory_order_relaxed);
      uint64_t start = env_->NowMicros();
      if (NoThread()) {
        // A step that made no progress (nothing the picker may run) lets
        // this write through rather than spin.
        if (!InlineStep()) {
          if (!bg_error_.ok()) return bg_error_;
          allow_stall = false;
        }
        stall_micros_.fetch_add(env_->NowMicros() - start, std::memory_order_relaxed);
        continue;
      }
      bg_cv_.SignalAll();
      bg_cv_.WaitFor(100000);
      stall_micros_.fetch_add(env_->NowMicros() - start, std::memory_order_relaxed);
      continue;
    }
    if (mem_->NumEntries() == 0) return Status::OK();
    Status s = SealMemtableAndSwitchLog();
    if (!s.ok()) return s;
    force = false;
  }
}

Status DBImpl::CreateLog(uint64_t number, NewLog* log) {
  std::string fname = LogFileName(dbname_, number);
  Status s = env_->NewLogFile(fname, &log->file);
  if (s.ok()) {
    log->writer =
        std::make_unique<log::Writer>(log->file.get(), number, options_.wal_compression);
    s = log->writer->WriteHeader();
  }
  // The header and the name are made durable now, so a log can never be
  // left with a torn header, and a later sync needs only the data.
  if (s.ok()) s = log->file->Sync();
  if (s.ok()) s = env_->SyncDir(dbname_);
  if (!s.ok()) {
    log->writer.reset();
    if (log->file) log->file->Close().IgnoreError();
    log->file.reset();
    env_->RemoveFile(fname).IgnoreError();
    return s;
  }
  log->number = number;
  return Status::OK();
}

Status DBImpl::PrepareNextLog() {
  uint64_t number = versions_->NewFileNumber();
  NewLog log;
  mutex_.Unlock();
  Status s = CreateLog(number, &log);
  mutex_.Lock();
  if (!s.ok()) return s;
  if (number < logfile_number_ || next_log_.file) {
    // A writer created a log meanwhile: a log must never be numbered
    // below one that holds older writes (recovery replays in number order).
    log.file->Close().IgnoreError();
    env_->RemoveFile(LogFileName(dbname_, number)).IgnoreError();
    return Status::OK();
  }
  next_log_ = std::move(log);
  return s;
}

Status DBImpl::TakeNewLog(NewLog* log) {
  if (next_log_.file && next_log_.number < logfile_number_) {
    next_log_.file->Close().IgnoreError();
    env_->RemoveFile(LogFileName(dbname_, next_log_.number)).IgnoreError();
    next_log_ = NewLog();
  }
  if (next_log_.file) {
    // Prepared ahead by the background worker: no fsync for it here.
    *log = std::move(next_log_);
    next_log_ = NewLog();
  } else {
    Status s = CreateLog(versions_->NewFileNumber(), log);
    if (!s.ok()) return s;
  }
  bg_cv_.SignalAll();  // prepare the next one
  return Status::OK();
}

void DBImpl::InstallLog(NewLog log) {
  logfile_ = std::move(log.file);
  log_ = std::move(log.writer);
  logfile_number_ = log.number;
  log_has_records_ = false;
  log_first_seq_ = 0;
  if (mem_->NumEntries() == 0) mem_first_log_ = log.number;
}

Status DBImpl::SealMemtableAndSwitchLog() {
  if (unsynced_logs_.size() >= kMaxUnsyncedSealedLogs) {
    // The background worker fell behind by that many memtables: sync the
    // oldest sealed log here, so no more sealed logs are ever at risk.
    // Counted as a stall.
    write_stalls_.fetch_add(1, std::memory_order_relaxed);
    const uint64_t start = env_->NowMicros();
    Status s = SyncSealedLogs(kMaxUnsyncedSealedLogs - 1);
    stall_micros_.fetch_add(env_->NowMicros() - start, std::memory_order_relaxed);
    if (!s.ok()) return s;  // wal_barrier_ is set
  }
  NewLog log;
  Status s = TakeNewLog(&log);
  if (!s.ok()) return s;
  // The old log is not synced here: the background worker syncs it (or a
  // sync write, Sync or Close, whichever comes first). Until then a power
  // cut may keep later writes in the new log while losing earlier ones in
  // this one; recovery detects that gap with the new log's head marker and
  // stops there, so what it recovers is still a prefix.
  if (logfile_) {
    SealedLog sealed;
    sealed.number = logfile_number_;
    sealed.file = std::move(logfile_);
    sealed.first_seq = log_first_seq_;
    unsynced_logs_.push_back(std::move(sealed));
    has_unsynced_logs_.store(true, std::memory_order_relaxed);
  }
  if (mem_->NumEntries() > 0) {
    sealed_.push_back({mem_, mem_first_log_, PolicyNow()});
    has_sealed_.store(true, std::memory_order_relaxed);
    mem_ = NewMemTable();
    mem_->Ref();
  }
  InstallLog(std::move(log));
  bg_cv_.SignalAll();
  return Status::OK();
}

Status DBImpl::SyncSealedLogs(size_t keep) {
  Status result;
  for (;;) {
    while (syncing_logs_) bg_cv_.Wait();
    if (unsynced_logs_.size() <= keep) break;
    SealedLog& front = unsynced_logs_.front();
    const uint64_t number = front.number;
    WritableFile* file = front.file.get();
    // Its data is already in a table once the manifest's log number is past it.
    const bool needed = number >= versions_->LogNumber();
    syncing_logs_ = true;
    mutex_.Unlock();
    Status s = needed ? file->Sync() : Status::OK();
    file->Close().IgnoreError();
    mutex_.Lock();
    syncing_logs_ = false;
    unsynced_logs_.pop_front();  // only the syncing thread pops
    has_unsynced_logs_.store(!unsynced_logs_.empty(), std::memory_order_relaxed);
    bg_cv_.SignalAll();
    if (!s.ok()) {
      // A failed sync may have dropped the log's dirty pages, and a retry
      // could report success without them: its writes are durable only
      // once their memtable is in a table. Until then writes wait.
      wal_barrier_ = std::max(wal_barrier_, number);
      Log("sync of log " + std::to_string(number) + " failed: " + s.ToString());
      if (result.ok()) result = s;
    }
  }
  if (result.ok() && wal_barrier_ != 0 && versions_->LogNumber() <= wal_barrier_) {
    result = Status::IOError("write-ahead log " + std::to_string(wal_barrier_) +
                             " could not be synced; syncs resume once it is flushed");
  }
  return result;
}

}  // namespace firn
