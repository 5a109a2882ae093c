// Fuzz target: the WAL reader (engine/wal/log_reader.h) and the write batch
// decoder on each record it returns. Any input must read as a (possibly
// empty) sequence of records or stop on damage; never crash, never loop.
// Seeds: format version 1 (variants 0-3), version 3 with LZ4-compressed
// (windowed) and raw records (variants 4-5) and version 2 (variant 6, each
// record compressed alone), so the record decoders are fuzzed too.
#include <memory>
#include <string>

#include "db/write_batch_internal.h"
#include "firn/write_batch.h"
#include "fuzz_util.h"
#include "port/env.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

using namespace firn;

namespace {

class NullHandler : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override {
    bytes += key.size() + value.size();
  }
  void Delete(std::string_view key) override { bytes += key.size(); }
  size_t bytes = 0;
};

const std::string kLog = "/db/000007.log";

}  // namespace

std::vector<std::string> FuzzSeeds() {
  std::vector<std::string> seeds;
  for (int variant = 0; variant < 7; ++variant) {
    std::unique_ptr<Env> env = NewMemEnv();
    std::unique_ptr<WritableFile> file;
    if (!env->CreateDir("/db").ok() || !env->NewWritableFile(kLog, &file).ok()) return seeds;
    const uint32_t version = variant < 4    ? log::kLogFormatVersionPlain
                             : variant < 6  ? log::kLogFormatVersionWindowed
                                            : log::kLogFormatVersionEncoded;
    log::Writer writer(file.get(), 7, version);
    if (!writer.WriteHeader().ok()) return seeds;
    for (int r = 0; r < 3 + variant; ++r) {
      WriteBatch b;
      std::string value(variant == 3 ? 1500 : 10 * r, 'v');
      if (variant >= 5) {
        // Compressible 2:1 (pseudo-random bytes written twice), except the
        // first record, too short to gain and stored raw.
        std::string half;
        uint32_t x = 12345u + static_cast<uint32_t>(r);
        for (int i = 0; i < (r == 0 ? 3 : 300 * r); ++i) {
          x = x * 1103515245u + 12345u;
          half.push_back(static_cast<char>(x >> 16));
        }
        value = half + half;
      }
      b.Put("key" + std::to_string(r), value);
      if (r % 2) b.Delete("gone" + std::to_string(r));
      WriteBatchInternal::SetSequence(&b, 100 + r);
      if (!writer.AddRecord(WriteBatchInternal::Contents(&b)).ok()) return seeds;
    }
    file->Close().IgnoreError();
    std::string data;
    if (ReadFileToString(env.get(), kLog, &data).ok()) {
      if (variant == 2) data.resize(data.size() - 5);  // torn tail
      seeds.push_back(data);
    }
  }
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<Env> env = NewMemEnv();
  if (!env->CreateDir("/db").ok()) return 0;
  if (!WriteStringToFile(env.get(), std::string_view(reinterpret_cast<const char*>(data), size),
                         kLog, false)
           .ok()) {
    return 0;
  }
  std::unique_ptr<SequentialFile> file;
  if (!env->NewSequentialFile(kLog, &file).ok()) return 0;
  log::FirstDamage reporter;
  log::Reader reader(file.get(), kLog, 7, &reporter);
  bool empty = false;
  Status s = reader.ReadHeader(&empty);
  if (!s.ok() || empty) return 0;
  std::string_view record;
  std::string scratch;
  uint64_t last_end = reader.LastRecordEnd();
  size_t records = 0;
  while (reader.ReadRecord(&record, &scratch)) {
    FUZZ_CHECK(++records <= size);  // every record takes at least one byte
    FUZZ_CHECK(reader.LastRecordEnd() > last_end);
    FUZZ_CHECK(reader.LastRecordEnd() <= size);
    last_end = reader.LastRecordEnd();
    WriteBatch batch;
    if (WriteBatchInternal::SetContents(&batch, record).ok()) {
      NullHandler h;
      batch.Iterate(&h).IgnoreError();
    }
  }
  if (reporter.damaged) {
    FUZZ_CHECK(reporter.offset <= size);
    FUZZ_CHECK(reporter.reason.IsCorruption());
    reader.DamageIsFollowedByValidRecords();
  }
  return 0;
}
