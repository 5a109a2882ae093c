// Fuzz target: the SST reader (engine/sst): footer, index, filter, data
// blocks and their iterators. Any input must either fail Table::Open with
// Corruption/InvalidArgument or give a table whose reads return data or a
// Corruption status; never crash.
#include <memory>
#include <string>

#include "db/dbformat.h"
#include "firn/iterator.h"
#include "fuzz_util.h"
#include "port/env.h"
#include "sst/format.h"
#include "sst/table.h"

using namespace firn;

namespace {
const std::string kTable = "/db/000009.sst";
}  // namespace

std::vector<std::string> FuzzSeeds() {
  std::vector<std::string> seeds;
  for (int variant = 0; variant < 4; ++variant) {
    std::unique_ptr<Env> env = NewMemEnv();
    std::unique_ptr<WritableFile> file;
    if (!env->CreateDir("/db").ok() || !env->NewWritableFile(kTable, &file).ok()) return seeds;
    TableOptions options;
    options.block_bytes = 256;
    options.compression = variant % 2 ? CompressionType::kLZ4 : CompressionType::kNone;
    options.bloom_bits_per_key = variant >= 2 ? 0 : 10;
    TableBuilder builder(options, file.get());
    const int n = variant == 3 ? 3 : 60;
    for (int i = 0; i < n; ++i) {
      char key[16];
      std::snprintf(key, sizeof(key), "k%04d", i);
      builder.Add(MakeInternalKey(key, 1000 - i, i % 7 == 3 ? kTypeDeletion : kTypeValue),
                  i % 7 == 3 ? "" : std::string(8 + i % 13, static_cast<char>('a' + i % 26)));
    }
    if (!builder.Finish().ok()) return seeds;
    file->Close().IgnoreError();
    std::string data;
    if (ReadFileToString(env.get(), kTable, &data).ok()) seeds.push_back(data);
  }
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (size >= Footer::kEncodedLength) {
    Footer footer;
    Status s = footer.DecodeFrom(bytes.substr(size - Footer::kEncodedLength), kTable,
                                 size - Footer::kEncodedLength);
    FUZZ_CHECK(s.ok() || s.IsCorruption() || s.IsInvalidArgument());
  }
  std::unique_ptr<Env> env = NewMemEnv();
  if (!env->CreateDir("/db").ok() || !WriteStringToFile(env.get(), bytes, kTable, false).ok())
    return 0;
  std::unique_ptr<RandomAccessFile> file;
  if (!env->NewRandomAccessFile(kTable, &file).ok()) return 0;
  std::unique_ptr<Table> table;
  Status s = Table::Open(TableOptions(), std::move(file), size, kTable, 9, nullptr, &table);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption() || s.IsInvalidArgument());
    return 0;
  }
  ReadOptions ro;
  std::unique_ptr<Iterator> it(table->NewIterator(ro));
  int steps = 0;
  std::string first_key;
  for (it->SeekToFirst(); it->Valid() && steps < 10000; it->Next(), ++steps) {
    if (steps == 0) first_key = std::string(it->key());
    (void)it->value();
  }
  FUZZ_CHECK(it->status().ok() || it->status().IsCorruption());
  for (it->SeekToLast(), steps = 0; it->Valid() && steps < 10000; it->Prev(), ++steps) {
    (void)it->value();
  }
  it->Seek(MakeLookupKey("k0030", kMaxSequenceNumber));
  if (it->Valid()) it->Next();
  it.reset();
  for (const std::string& uk :
       {std::string("k0000"), std::string("k0031"),
        std::string(ExtractUserKey(first_key.size() >= 8 ? first_key : "xxxxxxxx"))}) {
    bool found = false;
    ValueType type;
    std::string value;
    s = table->Get(ro, uk, kMaxSequenceNumber, &found, &type, &value, nullptr);
    FUZZ_CHECK(s.ok() || s.IsCorruption());
  }
  s = table->VerifyChecksums();
  FUZZ_CHECK(s.ok() || s.IsCorruption());
  table->ApproximateOffsetOf(MakeLookupKey("k0010", 5));
  return 0;
}
