// kvbench/adapter.h: the one interface every benchmarked engine is driven
// through (firn, LevelDB, RocksDB leveled and universal).
//
// An Adapter owns one open database. The workloads call it from one or more
// threads at once; Put/Get/Delete/Scan must be thread-safe (all three engines
// are). Errors are returned as false with a message in *error; the benchmark
// stops at the first one. Open is called once, Close once, before deletion.
#ifndef KVBENCH_ADAPTER_H_
#define KVBENCH_ADAPTER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kvbench {

// The settings every engine receives. Where an engine has the knob, it is
// set to exactly this value (docs/benchmarks.md lists what maps to what).
struct EngineConfig {
  std::string spec;           // "firn", "firn:compaction=tiered", "leveldb", ...
  size_t write_buffer_bytes = 4u << 20;
  size_t block_bytes = 4096;
  size_t block_cache_bytes = 1u << 20;
  uint64_t target_file_bytes = 2u << 20;
  int bloom_bits_per_key = 10;
  int max_open_files = 64;
  bool compression = true;    // LZ4 (LevelDB has only Snappy)
  bool sync = false;          // sync every write
};

class Adapter {
 public:
  virtual ~Adapter() = default;

  virtual bool Open(const EngineConfig& config, const std::string& path,
                    std::string* error) = 0;
  virtual bool Put(std::string_view key, std::string_view value, std::string* error) = 0;
  // *found tells whether the key was present; a missing key is no error.
  virtual bool Get(std::string_view key, std::string* value, bool* found,
                   std::string* error) = 0;
  virtual bool Delete(std::string_view key, std::string* error) = 0;
  // Positions at the first key >= start and reads up to `count` entries;
  // *read is the number actually read.
  virtual bool Scan(std::string_view start, int count, int* read, std::string* error) = 0;
  // Reads the whole database in key order; *read is the entry count.
  virtual bool ScanAll(uint64_t limit, uint64_t* read, std::string* error) = 0;
  // Engine-specific counters as a JSON object text ("{}" if none). For firn
  // this is the "firn.stats.json" property (user and device bytes written).
  virtual std::string StatsJson() = 0;
  // Waits for background work the engine finishes at close, then closes.
  virtual bool Close(std::string* error) = 0;
};

// The engine family of a spec: the part before the first ':' or '-'
// ("firn", "leveldb", "rocksdb").
std::string EngineFamily(std::string_view spec);

// Each kvbench binary links exactly one adapter file, which defines this:
// its adapter if `family` is the one it drives, else nullptr. So the firn
// binary never maps RocksDB or LevelDB into its address space, and the
// memory figures of each engine are its own.
std::unique_ptr<Adapter> NewAdapter(std::string_view family);

}  // namespace kvbench

#endif  // KVBENCH_ADAPTER_H_
