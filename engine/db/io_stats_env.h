// db/io_stats_env.h: an Env wrapper that counts the bytes the engine writes
// and reads, by kind of file (db/filename.h), for write-amplification and
// wear accounting. Every file the DB touches goes through it.
// Thread safety: counters are atomics; everything else forwards.
#ifndef FIRN_DB_IO_STATS_ENV_H_
#define FIRN_DB_IO_STATS_ENV_H_

#include <atomic>
#include <cstdint>

#include "port/env.h"

namespace firn {

struct IOCounters {
  std::atomic<uint64_t> wal_bytes{0};
  std::atomic<uint64_t> sst_bytes{0};
  std::atomic<uint64_t> manifest_bytes{0};  // MANIFEST, CURRENT, temp files
  std::atomic<uint64_t> other_bytes{0};     // OPTIONS, TRACE, anything else
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> syncs{0};

  uint64_t TotalWritten() const {
    return wal_bytes.load(std::memory_order_relaxed) + sst_bytes.load(std::memory_order_relaxed) +
           manifest_bytes.load(std::memory_order_relaxed) +
           other_bytes.load(std::memory_order_relaxed);
  }
};

class IOStatsEnv final : public EnvWrapper {
 public:
  explicit IOStatsEnv(Env* target) : EnvWrapper(target) {}
  const IOCounters& counters() const { return counters_; }

  Status NewSequentialFile(const std::string& f, std::unique_ptr<SequentialFile>* r) override;
  Status NewRandomAccessFile(const std::string& f,
                             std::unique_ptr<RandomAccessFile>* r) override;
  Status NewWritableFile(const std::string& f, std::unique_ptr<WritableFile>* r) override;
  Status NewAppendableFile(const std::string& f, std::unique_ptr<WritableFile>* r) override;
  // Forwarded (the target's log files, memory-mapped on POSIX), counted.
  Status NewLogFile(const std::string& f, std::unique_ptr<WritableFile>* r) override;

 private:
  std::atomic<uint64_t>* CounterFor(const std::string& fname);
  // If s is OK, *r = base wrapped so its writes and syncs are counted for
  // f. Returns s.
  Status CountWrites(const std::string& f, Status s, std::unique_ptr<WritableFile> base,
                     std::unique_ptr<WritableFile>* r);
  IOCounters counters_;
};

}  // namespace firn

#endif  // FIRN_DB_IO_STATS_ENV_H_
