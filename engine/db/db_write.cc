// db/db_write.cc: the write path: group commit, the WAL, the memtable and
// write backpressure.
#include <algorithm>

#include "db/db_impl.h"
#include "db/filename.h"
#include "db/write_batch_internal.h"
#include "memtable/memtable.h"
#include "port/env.h"
#include "version/version_set.h"
#include "wal/log_writer.h"

namespace firn {

namespace {
// Largest group the front writer assembles (bytes of batches).
constexpr size_t kMaxGroupBytes = 1u << 20;
// One write is delayed this long when the engine is behind.
constexpr uint64_t kSlowdownMicros = 1000;
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
  }
  Writer w(&mutex_);
  w.batch = batch;
  w.sync = o.sync || options_.sync;

  port::MutexLock l(&mutex_);
  if (closed_ || shutting_down_ || !opened_) {
    return Status::InvalidArgument("write: database is closed");
  }
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.Wait();
  if (w.done) return w.status;

  Status status = MakeRoomForWrite(/*force=*/false);
  Writer* last_writer = &w;
  if (status.ok() && batch != nullptr) {
    WriteBatch* group = BuildBatchGroup(&last_writer);
    SequenceNumber first = versions_->LastSequence() + 1;
    WriteBatchInternal::SetSequence(group, first);
    uint32_t count = WriteBatchInternal::Count(group);
    bool sync = w.sync;
    {
      // Only the front writer touches the log and mem_, so the lock can go.
      mutex_.Unlock();
      status = log_->AddRecord(WriteBatchInternal::Contents(group));
      if (status.ok() && sync) status = logfile_->Sync();
      if (status.ok()) status = WriteBatchInternal::InsertInto(group, mem_);
      mutex_.Lock();
    }
    if (status.ok()) {
      versions_->SetLastSequence(first + count - 1);
      uint64_t now = env_->NowMicros();
      last_write_micros_.store(now, std::memory_order_relaxed);
    } else {
      // The log may end in a partial record: never append to it again. The
      // next write starts a new log (MakeRoomForWrite).
      log_broken_ = true;
      Log("WAL append failed: " + status.ToString());
    }
    if (group == group_batch_.get()) group_batch_->Clear();
  } else if (status.ok()) {
    // A sync request: everything before it is in the current log (sealed
    // logs were synced when they were closed).
    mutex_.Unlock();
    status = logfile_->Sync();
    mutex_.Lock();
    if (!status.ok()) log_broken_ = true;
    if (status.ok() && !sealed_sync_error_.ok()) status = sealed_sync_error_;
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
  if (writers_.empty()) bg_cv_.SignalAll();  // Close may wait for this
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

uint64_t DBImpl::PendingFlushBytes() const {
  uint64_t bytes = 0;
  for (const Sealed& s : sealed_) bytes += s.mem->ApproximateMemoryUsage();
  return bytes;
}

Status DBImpl::MakeRoomForWrite(bool force) {
  bool allow_delay = !force;
  const int l0_slowdown = 2 * options_.max_runs_per_level;
  const int l0_stop = 3 * options_.max_runs_per_level;
  for (;;) {
    int l0_runs = static_cast<int>(versions_->current()->level(0).runs.size());
    uint64_t pending = PendingFlushBytes();
    if (log_broken_) {
      // Seal what the broken log holds and continue in a fresh one.
      Status s = SwitchToNewLog();
      if (!s.ok()) return s;
      log_broken_ = false;
      continue;
    }
    if (allow_delay && (pending > options_.max_pending_flush_bytes || l0_runs >= l0_slowdown)) {
      // Behind: spread the delay over many writes rather than stall one.
      write_slowdowns_.fetch_add(1, std::memory_order_relaxed);
      mutex_.Unlock();
      env_->SleepMicros(kSlowdownMicros);
      mutex_.Lock();
      allow_delay = false;
      continue;
    }
    if (!force && mem_->ApproximateMemoryUsage() < options_.memtable_bytes) return Status::OK();
    if (pending >= 2 * options_.max_pending_flush_bytes || l0_runs >= l0_stop) {
      if (!bg_error_.ok()) return bg_error_;
      write_stalls_.fetch_add(1, std::memory_order_relaxed);
      uint64_t start = env_->NowMicros();
      bg_cv_.SignalAll();
      bg_cv_.WaitFor(100000);
      stall_micros_.fetch_add(env_->NowMicros() - start, std::memory_order_relaxed);
      continue;
    }
    if (mem_->NumEntries() == 0) return Status::OK();
    // Seal the memtable; a new log takes the writes that follow.
    MemTable* old = mem_;
    uint64_t old_first_log = mem_first_log_;
    mem_ = new MemTable();
    mem_->Ref();
    Status s = SwitchToNewLog();
    if (!s.ok()) {
      mem_->Unref();
      mem_ = old;
      mem_first_log_ = old_first_log;
      return s;
    }
    sealed_.push_back({old, old_first_log});
    has_sealed_.store(true, std::memory_order_relaxed);
    bg_cv_.SignalAll();
    force = false;
  }
}

Status DBImpl::SwitchToNewLog() {
  uint64_t number = versions_->NewFileNumber();
  std::string fname = LogFileName(dbname_, number);
  std::unique_ptr<WritableFile> file;
  Status s = env_->NewWritableFile(fname, &file);
  std::unique_ptr<log::Writer> writer;
  if (s.ok()) {
    writer = std::make_unique<log::Writer>(file.get(), number);
    s = writer->WriteHeader();
  }
  // The new log's name must be durable before a synced write lands in it.
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = env_->SyncDir(dbname_);
  if (!s.ok()) {
    if (file) file->Close().IgnoreError();
    env_->RemoveFile(fname).IgnoreError();
    return s;
  }
  std::unique_ptr<WritableFile> old_file = std::move(logfile_);
  logfile_ = std::move(file);
  log_ = std::move(writer);
  logfile_number_ = number;
  if (mem_->NumEntries() == 0) mem_first_log_ = number;
  if (old_file) {
    // A closed log is complete on the device, so Sync() of the current log
    // covers every write (docs/durability.md). The caller is the front
    // writer (or Open), so nobody else appends meanwhile.
    mutex_.Unlock();
    Status ss = old_file->Sync();
    old_file->Close().IgnoreError();
    mutex_.Lock();
    if (!ss.ok()) {
      // Its writes are safe only once their memtable is flushed; until then
      // Sync() reports the failure (FlushOldestSealed clears it).
      sealed_sync_error_ = ss;
      Log("sync of sealed log failed: " + ss.ToString());
    }
  }
  return Status::OK();
}

}  // namespace firn
