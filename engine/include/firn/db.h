// firn/db.h: the C++ interface to a firn database.
//
// A DB is a persistent ordered map from byte-string keys to byte-string
// values held in a directory. Keys and values are arbitrary bytes (an empty
// key is allowed), bounded by Options::max_key_bytes / max_value_bytes.
//
// Ownership: DB::Open gives the caller a std::unique_ptr<DB>. Iterators and
// snapshots obtained from a DB must be released before it is destroyed.
// Thread safety: all methods of DB may be called concurrently from several
// threads without external synchronization.
// Durability: a write acknowledged with OK survives a kill of the process
// even with sync=false; with sync=true, or once Sync()/Close() returned OK,
// it survives a power cut. Recovery restores a prefix of the acknowledged
// writes: never a hole. See docs/durability.md.
// Errors: every fallible call returns a Status; none throws.
#ifndef FIRN_DB_H_
#define FIRN_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "firn/iterator.h"
#include "firn/options.h"
#include "firn/status.h"
#include "firn/write_batch.h"

namespace firn {

// A consistent read point, obtained from DB::GetSnapshot.
class Snapshot {
 protected:
  virtual ~Snapshot() = default;
};

class DB {
 public:
  // Opens (or, with create_if_missing, creates) the database in `path`.
  // On success stores the DB in *dbptr and returns OK. Errors: Busy if the
  // directory is open by this or another process; InvalidArgument for bad
  // options, a missing database without create_if_missing, or an existing
  // one with error_if_exists; Corruption naming file and offset when the
  // manifest cannot be read; IOError / NoSpace from the device.
  static Status Open(const Options& options, const std::string& path,
                     std::unique_ptr<DB>* dbptr);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Closes the database as Close() does, ignoring its status.
  virtual ~DB() = default;

  virtual Status Put(const WriteOptions& options, std::string_view key,
                     std::string_view value) = 0;
  // Deleting an absent key is not an error.
  virtual Status Delete(const WriteOptions& options, std::string_view key) = 0;
  // Applies the batch atomically. InvalidArgument (nothing written) if any
  // key or value exceeds its limit.
  virtual Status Write(const WriteOptions& options, const WriteBatch& batch) = 0;

  // Stores the value of `key` in *value. NotFound if absent.
  virtual Status Get(const ReadOptions& options, std::string_view key,
                     std::string* value) = 0;

  // Returns a heap-allocated iterator (caller deletes it, before the DB).
  // The iterator is invalid until a Seek* call.
  virtual Iterator* NewIterator(const ReadOptions& options) = 0;

  // A handle to the current state; release it with ReleaseSnapshot.
  virtual const Snapshot* GetSnapshot() = 0;
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Makes every earlier acknowledged write durable against power loss.
  virtual Status Sync() = 0;
  // Flushes the memtable to an SST file.
  virtual Status Flush() = 0;
  // Flushes, then compacts everything into one run at the last level.
  virtual Status CompactAll() = 0;

  // Does pending flush and compaction work for about `budget_us`
  // microseconds, in bounded steps, then returns (Options::background =
  // none; docs/edge.md). A step is one of: creating the next WAL, flushing
  // one sealed memtable, or one compaction. At least one step runs if any
  // work is pending; another starts only while the time spent plus the
  // running average step time fits the budget, so a call overruns its
  // budget by at most one step. OK if there was nothing to do; the
  // error of a failed step otherwise (the step is retried by a later call).
  // With background = thread it returns OK at once (the thread does the
  // work). Safe to call concurrently with writes; a call made while another
  // thread is in Maintain returns OK at once.
  virtual Status Maintain(uint64_t budget_us) = 0;

  // Stores a property's value in *value; false if the name is unknown.
  // Names: "firn.stats", "firn.stats.json", "firn.levels", "firn.wear",
  // "firn.maintain", ... (docs/architecture.md and docs/edge.md list them).
  virtual bool GetProperty(std::string_view name, std::string* value) = 0;

  // Waits for background work, syncs, and releases the directory. Every
  // write acknowledged before it is durable when it returns OK. Calls other
  // than destruction after Close return InvalidArgument.
  virtual Status Close() = 0;
};

// Deletes the database in `path` (its files, then the directory if empty).
Status DestroyDB(const std::string& path, const Options& options);

}  // namespace firn

#endif  // FIRN_DB_H_
