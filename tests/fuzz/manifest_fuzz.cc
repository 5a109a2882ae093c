// Fuzz target: the manifest. The first input byte picks what the rest is:
// even: one version edit (engine/version/version_edit.h), which must
// decode to an error or re-encode to an edit that decodes the same;
// odd: a whole MANIFEST file that VersionSet::Recover reads (through
// CURRENT), which must succeed or fail with Corruption/InvalidArgument.
#include <memory>
#include <string>

#include "db/filename.h"
#include "firn/db.h"
#include "fuzz_util.h"
#include "port/env.h"
#include "version/version_edit.h"
#include "version/version_set.h"

using namespace firn;

std::vector<std::string> FuzzSeeds() {
  std::vector<std::string> seeds;
  std::unique_ptr<Env> env = NewMemEnv();
  Options o;
  o.env = env.get();
  o.compaction = CompactionStyle::kTiered;
  o.memtable_bytes = 64 << 10;
  o.sst_target_bytes = 64 << 10;
  std::unique_ptr<DB> db;
  if (!DB::Open(o, "/db", &db).ok()) return seeds;
  for (int i = 0; i < 3000; ++i) {
    db->Put(WriteOptions(), "key" + std::to_string(i * 7919 % 3000), std::string(60, 'v'))
        .IgnoreError();
    if (i == 1500) db->Flush().IgnoreError();
  }
  db->CompactAll().IgnoreError();
  db->Close().IgnoreError();
  db.reset();
  std::vector<std::string> children;
  env->GetChildren("/db", &children).IgnoreError();
  for (const std::string& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type) || type != FileType::kManifest) continue;
    std::string data;
    if (ReadFileToString(env.get(), "/db/" + name, &data).ok()) seeds.push_back("\x01" + data);
  }
  VersionEdit edit;
  edit.SetLogNumber(12);
  edit.SetNextFileNumber(40);
  edit.SetLastSequence(123456);
  std::string rec;
  edit.EncodeTo(&rec);
  seeds.push_back(std::string(1, '\0') + rec);
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const uint8_t mode = in.Byte();
  const std::string_view rest = in.Rest();
  if (mode % 2 == 0) {
    VersionEdit edit;
    if (!edit.DecodeFrom(rest).ok()) return 0;
    std::string once, twice;
    edit.EncodeTo(&once);
    VersionEdit again;
    FUZZ_CHECK(again.DecodeFrom(once).ok());
    again.EncodeTo(&twice);
    FUZZ_CHECK(once == twice);
    return 0;
  }
  std::unique_ptr<Env> env = NewMemEnv();
  if (!env->CreateDir("/db").ok() ||
      !WriteStringToFile(env.get(), rest, ManifestFileName("/db", 2), false).ok() ||
      !WriteStringToFile(env.get(), "MANIFEST-000002\n", CurrentFileName("/db"), false).ok()) {
    return 0;
  }
  Options o;
  o.env = env.get();
  VersionSet versions("/db", o, env.get());
  Status s = versions.Recover();
  FUZZ_CHECK(s.ok() || s.IsCorruption() || s.IsInvalidArgument());
  return 0;
}
