// db/db_impl.h: the engine behind firn::DB.
//
// Data path (docs/architecture.md): a write is appended to the WAL, then
// inserted in the active memtable; a full memtable is sealed (a new WAL is
// started) and flushed by the background worker into a new run at level 0;
// the compaction picker merges runs (compaction/). Reads look at the active
// memtable, the sealed ones newest first, then the runs in recency order.
//
// Concurrency: mutex_ guards the state marked GUARDED_BY. Writers queue in
// writers_; the writer at the front appends the whole group to the WAL and
// the memtable with mutex_ released (group commit), so only one thread ever
// adds to mem_. One background thread does every flush and compaction, so
// VersionSet::LogAndApply never runs twice at once. Readers take references
// to the memtables and the current Version under mutex_ and read without it.
#ifndef FIRN_DB_DB_IMPL_H_
#define FIRN_DB_DB_IMPL_H_

#include <atomic>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "compaction/picker.h"
#include "db/dbformat.h"
#include "db/io_stats_env.h"
#include "db/policy_clock.h"
#include "firn/db.h"
#include "port/port.h"
#include "sst/table.h"

namespace firn {

class BlockCache;
class TraceWriter;
class Compaction;
class FileLock;
class MemTable;
class TableCache;
class Version;
class VersionEdit;
class VersionSet;
class WritableFile;
namespace log {
class Writer;
}

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, const std::string& dbname);
  ~DBImpl() override;

  Status Put(const WriteOptions& o, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& o, std::string_view key) override;
  Status Write(const WriteOptions& o, const WriteBatch& batch) override;
  Status Get(const ReadOptions& o, std::string_view key, std::string* value) override;
  Iterator* NewIterator(const ReadOptions& o) override;
  const Snapshot* GetSnapshot() override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  Status Sync() override;
  Status Flush() override;
  Status CompactAll() override;
  Status Maintain(uint64_t budget_us) override;
  bool GetProperty(std::string_view name, std::string* value) override;
  Status Close() override;

  // Opens the directory: lock, manifest, WAL replay, new WAL, manifest
  // snapshot, obsolete file removal, background thread.
  Status Open();

 private:
  // A thread waiting to write. batch == nullptr asks only for a WAL sync.
  struct Writer {
    explicit Writer(port::Mutex* mu) : cv(mu) {}
    const WriteBatch* batch = nullptr;
    bool sync = false;
    bool done = false;
    Status status;
    port::CondVar cv;
  };
  struct NewLog {
    uint64_t number = 0;
    std::unique_ptr<WritableFile> file;
    std::unique_ptr<log::Writer> writer;
  };
  struct Sealed {
    MemTable* mem;
    uint64_t first_log;  // oldest WAL holding any of its entries
    // The policy clock when it stopped taking writes: its files' creation
    // time, and the time its flush changed the tree (shape_changed_micros_).
    uint64_t sealed_micros;
  };
  // A log the writers left (sealed) whose data is not yet known durable.
  struct SealedLog {
    uint64_t number = 0;
    std::unique_ptr<WritableFile> file;
    SequenceNumber first_seq = 0;  // of its first batch; 0: it holds none
  };
  // Recovery's view of the sequence numbers replayed so far (ReplayLog).
  struct ReplayState {
    bool have_last = false;
    SequenceNumber last = 0;  // last sequence number replayed from a log
  };
  class SnapshotImpl;

  // Write path (db_write.cc).
  Status WriteImpl(const WriteOptions& o, const WriteBatch* batch);
  Status MakeRoomForWrite(bool force) REQUIRES(mutex_);
  // At most this many sealed logs wait for their sync (recovery relies on
  // the bound: only the newest kMaxUnsyncedSealedLogs + 1 logs holding
  // records may have lost unsynced pages, docs/durability.md).
  static constexpr size_t kMaxUnsyncedSealedLogs = 2;
  // Seals a non-empty memtable and continues in a new log; the old log
  // joins unsynced_logs_ (synced later, in order, by SyncSealedLogs). If
  // kMaxUnsyncedSealedLogs already wait, the oldest is synced first, on
  // the caller's thread.
  Status SealMemtableAndSwitchLog() REQUIRES(mutex_);
  // Syncs and closes the sealed logs, oldest first, until at most `keep`
  // remain, releasing mutex_ during each sync; a log whose data is already
  // in a table is closed unsynced.
  // One thread syncs at a time; others wait for it. A failed sync sets
  // wal_barrier_ (writes then wait until that log's data is in a table).
  // Returns OK once the synced logs are durable, else the error (also while
  // a barrier from an earlier failure stands).
  Status SyncSealedLogs(size_t keep = 0) REQUIRES(mutex_);
  // Creates a log with its header and directory entry durable.
  Status CreateLog(uint64_t number, NewLog* log);
  Status PrepareNextLog() REQUIRES(mutex_);
  // The prepared log, or a new one made now.
  Status TakeNewLog(NewLog* log) REQUIRES(mutex_);
  void InstallLog(NewLog log) REQUIRES(mutex_);
  WriteBatch* BuildBatchGroup(Writer** last_writer) REQUIRES(mutex_);

  // Recovery (db_impl.cc).
  Status Recover(VersionEdit* edit) REQUIRES(mutex_);
  // The picker `compaction` names (for learned: the model and the dial).
  Status CreatePicker() REQUIRES(mutex_);
  // Replays one log into the memtable(s). newest: the log the writers
  // used last (a damaged header then counts as torn). may_be_unsynced: one
  // of the newest kMaxUnsyncedSealedLogs + 1 logs holding records, which
  // may have lost unsynced pages in any order (damage with intact records after it is then a
  // torn tail, not corruption). *torn_header: the log's header was
  // unreadable and no intact record follows (torn while the log was
  // created), or it is the newest log; it counts as empty and the caller
  // removes it. *gap: the log's head marker says earlier logs held writes
  // that were not replayed (lost in a power cut); nothing of this log was
  // replayed and the caller drops it and every later log. *cut_short: the
  // replay stopped at damage with intact records after it.
  Status ReplayLog(uint64_t number, bool newest, bool may_be_unsynced, ReplayState* state,
                   SequenceNumber* max_sequence, bool* torn_header, bool* gap,
                   bool* cut_short) REQUIRES(mutex_);
  // Syncs the replayed logs (after a kill their data may be only in the OS
  // cache) and starts a new log; the recovered memtable stays active.
  Status StartLogAfterRecovery() REQUIRES(mutex_);
  // Removes files no version, pending output or log replay needs.
  // Releases mutex_ while reading the directory and removing files.
  void DeleteObsoleteFiles() REQUIRES(mutex_);

  // Background work (db_compaction.cc).
  void BackgroundThread();
  bool BackgroundStep() REQUIRES(mutex_);
  Status FlushOldestSealed() REQUIRES(mutex_);
  Status RunCompaction(Compaction* c) REQUIRES(mutex_);
  bool PickCompaction(std::unique_ptr<Compaction>* c) REQUIRES(mutex_);
  // What the picker sees of the workload at `decided` (on the policy clock,
  // DecisionMicros): rates over the window closing now, times up to
  // `decided`.
  WorkloadStats CurrentWorkload(uint64_t decided) REQUIRES(mutex_);
  // The time a decision is made at, on the policy clock: when the tree last
  // changed shape (a flushed memtable's seal, the end of a compaction), or
  // now when the picker is asked again about a tree it waited on
  // (`reasked`). The simulator asks at those instants (it flushes
  // instantly), so a background worker that gets to the decision later
  // than the writers sealed the memtable shows the model the same time
  // features as training and the inline engine did (docs/policy.md, "The
  // time of a decision").
  uint64_t DecisionMicros(bool reasked) REQUIRES(mutex_);
  uint64_t PolicyNow() const { return policy_clock_.Now(env_->NowMicros()); }
  // A new memtable, with a bloom filter of 1/kMemtableFilterShare of
  // memtable_bytes (outside the memtable's own bytes; docs/edge.md).
  static constexpr size_t kMemtableFilterShare = 64;
  MemTable* NewMemTable() const;
  uint64_t NewOutputFileNumber() EXCLUDES(mutex_);
  SequenceNumber SmallestSnapshot() REQUIRES(mutex_);
  // Bytes of the sealed memtables waiting to flush; with sealed_by, only
  // those sealed by then on the policy clock.
  uint64_t PendingFlushBytes(uint64_t sealed_by = UINT64_MAX) const REQUIRES(mutex_);
  int MostRunsInALevel() const REQUIRES(mutex_);
  void RecordBackgroundError(const Status& s) REQUIRES(mutex_);
  Status WaitForBackground(bool (DBImpl::*done)() const) REQUIRES(mutex_);
  bool NoSealedMemtables() const REQUIRES(mutex_) { return sealed_.empty(); }
  bool ManualCompactionDone() const REQUIRES(mutex_) { return !manual_compaction_; }
  // background = none: runs one BackgroundStep on the calling thread, or,
  // if another thread is inside one, waits (up to 100 ms) for it to end.
  // Returns true if work may have been done. Counts the step as the
  // caller's: Maintain's or a writer's.
  bool InlineStep(bool from_maintain = false) REQUIRES(mutex_);
  bool NoThread() const { return options_.background == BackgroundMode::kNone; }
  // The "firn.wear" property (lifetime counters are in the manifest,
  // docs/format-manifest.md).
  std::string WearReport() REQUIRES(mutex_);
  std::string MaintainReport() REQUIRES(mutex_);

  // Properties and the in-memory event log (db_properties.cc).
  void Log(std::string line) REQUIRES(mutex_);
  std::string StatsTable() REQUIRES(mutex_);
  std::string StatsJson() REQUIRES(mutex_);

  const std::string dbname_;
  Options options_;
  std::unique_ptr<IOStatsEnv> env_;  // wraps options_.env; every file goes through it
  TableOptions table_options_;
  std::unique_ptr<BlockCache> block_cache_;
  std::unique_ptr<TableCache> table_cache_;
  std::unique_ptr<FileLock> db_lock_;
  std::unique_ptr<CompactionPicker> picker_;
  std::unique_ptr<CompactionPicker> guard_picker_;  // used when a guardrail trips
  std::unique_ptr<TraceWriter> trace_;  // Options::trace_path; thread-safe

  port::Mutex mutex_;
  port::CondVar bg_cv_;    // background work to do, or some finished
  port::CondVar writers_cv_;  // the writer queue became empty
  std::unique_ptr<VersionSet> versions_ GUARDED_BY(mutex_);
  MemTable* mem_ GUARDED_BY(mutex_) = nullptr;
  uint64_t mem_first_log_ GUARDED_BY(mutex_) = 0;
  std::deque<Sealed> sealed_ GUARDED_BY(mutex_);  // oldest first
  std::unique_ptr<WritableFile> logfile_ GUARDED_BY(mutex_);
  std::unique_ptr<log::Writer> log_ GUARDED_BY(mutex_);
  uint64_t logfile_number_ GUARDED_BY(mutex_) = 0;
  bool log_broken_ GUARDED_BY(mutex_) = false;  // last append failed: rotate
  // The current log holds a record (its head marker, docs/durability.md).
  bool log_has_records_ GUARDED_BY(mutex_) = false;
  SequenceNumber log_first_seq_ GUARDED_BY(mutex_) = 0;  // of its first batch; 0: none
  // Sealed logs not yet known durable, oldest first (at most
  // kMaxUnsyncedSealedLogs, see SealMemtableAndSwitchLog).
  std::deque<SealedLog> unsynced_logs_ GUARDED_BY(mutex_);
  bool syncing_logs_ GUARDED_BY(mutex_) = false;  // a thread is in SyncSealedLogs' sync
  // Recovery stopped inside a log with intact records after the damage:
  // Open flushes what it recovered, so that log is not read again.
  bool recovery_cut_short_ GUARDED_BY(mutex_) = false;
  NewLog next_log_ GUARDED_BY(mutex_);  // created ahead by the background worker
  std::vector<uint64_t> recovered_logs_ GUARDED_BY(mutex_);
  uint64_t wal_barrier_ GUARDED_BY(mutex_) = 0;  // unsynced sealed log: writes wait
  std::deque<Writer*> writers_ GUARDED_BY(mutex_);
  std::unique_ptr<WriteBatch> group_batch_ GUARDED_BY(mutex_);
  std::multiset<SequenceNumber> snapshots_ GUARDED_BY(mutex_);
  std::set<uint64_t> pending_outputs_ GUARDED_BY(mutex_);
  std::set<uint64_t> kept_outputs_ GUARDED_BY(mutex_);  // of edits that may be durable
  Status bg_error_ GUARDED_BY(mutex_);
  uint64_t bg_retry_at_micros_ GUARDED_BY(mutex_) = 0;
  uint64_t bg_retries_ GUARDED_BY(mutex_) = 0;  // retries after an error
  bool manual_compaction_ GUARDED_BY(mutex_) = false;
  // An iterator released a version older than the current one: its files
  // may now be obsolete; the background step deletes them.
  bool obsolete_files_pending_ GUARDED_BY(mutex_) = false;
  // The version the picker last answered "wait" for, and when: it is asked
  // again when the tree changes or after the idle period. A weak reference,
  // so that it pins no files, and compared by lock(): while it is held no
  // later version can be allocated where an expired one was.
  std::weak_ptr<const Version> waited_version_ GUARDED_BY(mutex_);
  uint64_t waited_micros_ GUARDED_BY(mutex_) = 0;
  Status manual_status_ GUARDED_BY(mutex_);
  bool shutting_down_ GUARDED_BY(mutex_) = false;
  bool closed_ GUARDED_BY(mutex_) = false;
  bool opened_ GUARDED_BY(mutex_) = false;
  std::thread bg_thread_;
  std::deque<std::string> event_log_ GUARDED_BY(mutex_);
  // background = none: a thread is running a step (steps never overlap, so
  // LogAndApply never runs twice at once).
  bool stepping_ GUARDED_BY(mutex_) = false;
  uint64_t maintain_calls_ GUARDED_BY(mutex_) = 0;
  uint64_t maintain_steps_ GUARDED_BY(mutex_) = 0;  // steps run by Maintain
  uint64_t inline_steps_ GUARDED_BY(mutex_) = 0;    // steps run by writers
  uint64_t max_step_micros_ GUARDED_BY(mutex_) = 0;
  uint64_t avg_step_micros_ GUARDED_BY(mutex_) = 0;  // running average

  // Statistics (relaxed atomics: read without the mutex).
  std::atomic<bool> has_sealed_{false};
  std::atomic<bool> has_unsynced_logs_{false};  // !unsynced_logs_.empty()
  std::atomic<uint64_t> user_bytes_written_{0};
  std::atomic<uint64_t> writes_{0}, deletes_{0}, gets_{0}, scans_{0};
  std::atomic<uint64_t> get_blocks_read_{0}, get_files_probed_{0}, get_cache_hits_{0};
  // Data blocks fetched by iterators (cache or file), added when each
  // iterator is destroyed.
  std::atomic<uint64_t> iterator_blocks_read_{0};
  std::atomic<uint64_t> flushes_{0}, compactions_{0}, trivial_moves_{0};
  std::atomic<uint64_t> compaction_bytes_read_{0}, compaction_bytes_written_{0};
  std::atomic<uint64_t> flush_bytes_written_{0};
  std::atomic<uint64_t> write_slowdowns_{0}, write_stalls_{0}, stall_micros_{0};
  std::atomic<uint64_t> picker_rejections_{0}, guardrail_overrides_{0};
  // last_compaction_micros_ is on the policy clock; last_write_micros_ is
  // wall time.
  std::atomic<uint64_t> last_compaction_micros_{0}, last_write_micros_{0};
  // The clock of the policy's time features (db/policy_clock.h), set at
  // open to the newest file's creation time on it (clock_start_micros_).
  PolicyClock policy_clock_;
  uint64_t clock_start_micros_ = 0;
  // The policy clock at the latest change of the tree's shape (never
  // decreases): the seal of the newest flushed memtable or the end of the
  // latest compaction, whichever is later.
  uint64_t shape_changed_micros_ GUARDED_BY(mutex_) = 0;
  std::atomic<uint64_t> max_write_micros_{0};  // longest write call
  uint64_t open_micros_ = 0;
  // Sliding-window workload rates for the picker.
  uint64_t window_start_micros_ GUARDED_BY(mutex_) = 0;
  // Counter values at the start of the window.
  uint64_t window_writes_ GUARDED_BY(mutex_) = 0, window_gets_ GUARDED_BY(mutex_) = 0;
  uint64_t window_scans_ GUARDED_BY(mutex_) = 0, window_deletes_ GUARDED_BY(mutex_) = 0;
  WorkloadStats last_rates_ GUARDED_BY(mutex_);
};

}  // namespace firn

#endif  // FIRN_DB_DB_IMPL_H_
