// version/version_set.h: the current Version, the counters, and the
// manifest that makes them durable (docs/format-manifest.md).
//
// Invariants: current() reflects exactly the edits whose manifest record
// was synced; an edit is installed only after its record (and, for a new
// manifest, CURRENT and the directory) is durable. A new manifest starts
// with a snapshot of the whole tree, so only the live manifest is needed.
// Thread safety: guarded by the DB mutex passed to LogAndApply, except
// where a method says otherwise. LogAndApply releases the mutex while it
// writes; callers must not run two LogAndApply at once (the DB has a single
// background worker, and Open runs before it starts).
#ifndef FIRN_VERSION_VERSION_SET_H_
#define FIRN_VERSION_VERSION_SET_H_

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "firn/options.h"
#include "port/port.h"
#include "version/version.h"
#include "version/version_edit.h"

namespace firn {

class Env;
struct IOCounters;
class WritableFile;
namespace log {
class Writer;
}

class VersionSet {
 public:
  VersionSet(std::string dbname, const Options& options, Env* env);
  VersionSet(const VersionSet&) = delete;
  VersionSet& operator=(const VersionSet&) = delete;
  ~VersionSet();

  // Reads CURRENT and the manifest it names. NotFound if there is no
  // CURRENT (no database). Corruption naming the file and offset if the
  // manifest is damaged anywhere but a torn final record;
  // InvalidArgument if it was written by a newer format version.
  Status Recover();
  // Initializes counters for a new, empty database (no file written yet;
  // the first LogAndApply writes the manifest and CURRENT).
  void InitNew();

  // Fills in the counters, writes edit to the manifest, syncs it and
  // installs the resulting version. REQUIRES: *mu held (released while
  // writing, held again on return).
  Status LogAndApply(VersionEdit* edit, port::Mutex* mu);

  std::shared_ptr<const Version> current() const { return current_; }
  uint64_t NewFileNumber() { return next_file_number_++; }
  uint64_t NewRunId() { return next_run_id_++; }
  void MarkFileNumberUsed(uint64_t n) {
    if (next_file_number_ <= n) next_file_number_ = n + 1;
  }
  SequenceNumber LastSequence() const { return last_sequence_; }
  void SetLastSequence(SequenceNumber s) { last_sequence_ = s; }
  // Oldest log still needed (older ones hold only flushed data).
  uint64_t LogNumber() const { return log_number_; }
  uint64_t ManifestFileNumber() const { return manifest_file_number_; }
  // Device and user bytes written over the database's life up to this
  // open, as recovered from the manifest (0 for a new database or a
  // version 1 manifest).
  uint64_t RecoveredDeviceBytes() const { return recovered_device_bytes_; }
  uint64_t RecoveredUserBytes() const { return recovered_user_bytes_; }
  // Where the bytes written since open are read when an edit is written:
  // every edit records the recovered values plus device->TotalWritten()
  // and *user. nullptr (the default): the recovered values only. Not
  // owned; read with relaxed loads, so they may be read without the mutex.
  void SetWearSources(const IOCounters* device, const std::atomic<uint64_t>* user) {
    device_bytes_source_ = device;
    user_bytes_source_ = user;
  }
  // The recovered values plus the sources' counts.
  uint64_t LifetimeDeviceBytes() const;
  uint64_t LifetimeUserBytes() const;
  // Bytes written to manifests (and CURRENT) by this process.
  uint64_t manifest_bytes_written() const { return manifest_bytes_written_; }

  // Adds the numbers of files referenced by any live version (current or
  // held by a reader).
  void AddLiveFiles(std::set<uint64_t>* live);

 private:
  // The first record of a new manifest: the whole tree and the counters.
  std::string EncodeSnapshot() const;
  // Creates MANIFEST-<number> holding the header and the snapshot record.
  Status OpenNewManifest(uint64_t number, std::string_view snapshot);

  const std::string dbname_;
  const Options options_;
  Env* const env_;
  uint64_t next_file_number_ = 2;
  uint64_t manifest_file_number_ = 0;
  uint64_t next_run_id_ = 1;
  SequenceNumber last_sequence_ = 0;
  uint64_t log_number_ = 0;
  uint64_t manifest_bytes_written_ = 0;
  uint64_t recovered_device_bytes_ = 0;
  uint64_t recovered_user_bytes_ = 0;
  const IOCounters* device_bytes_source_ = nullptr;
  const std::atomic<uint64_t>* user_bytes_source_ = nullptr;

  std::unique_ptr<WritableFile> manifest_file_;
  std::unique_ptr<log::Writer> manifest_log_;
  std::shared_ptr<const Version> current_;
  std::list<std::weak_ptr<const Version>> live_versions_;
};

}  // namespace firn

#endif  // FIRN_VERSION_VERSION_SET_H_
