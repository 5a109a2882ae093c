// Fuzz target: differential test of the whole engine against std::map.
// The input is a sequence of operations (put, delete, batch, get, scan,
// flush, compact, reopen, sync) on a database in an in-memory Env with tiny
// memtables and files; after each read and at the end the engine must
// agree with the map exactly.
#include <map>
#include <memory>
#include <string>

#include "firn/db.h"
#include "fuzz_util.h"
#include "port/env.h"

using namespace firn;

std::vector<std::string> FuzzSeeds() {
  std::vector<std::string> seeds;
  // A few hundred puts with a flush, a compaction and a reopen between.
  for (int variant = 0; variant < 3; ++variant) {
    std::string s;
    for (int i = 0; i < (variant == 2 ? 60 : 300); ++i) {
      s.push_back(static_cast<char>(i % 40 == 39 ? 6 + variant : (i % 9 == 4 ? 1 : 0)));
      s.push_back(static_cast<char>(1));
      s.push_back(static_cast<char>('a' + i % 26));
      s.push_back(static_cast<char>(variant == 2 ? 200 : 16));
      s.append(variant == 2 ? 200 : 16, static_cast<char>('0' + i % 10));
    }
    seeds.push_back(s);
  }
  return seeds;
}

namespace {

Options FuzzOptions(Env* env) {
  Options o;
  o.env = env;
  o.compaction = CompactionStyle::kTiered;
  o.memtable_bytes = 64 << 10;
  o.sst_target_bytes = 64 << 10;
  o.max_pending_flush_bytes = 64 << 10;
  o.block_bytes = 256;
  o.max_runs_per_level = 2;
  return o;
}

void CheckScan(DB* db, const std::map<std::string, std::string>& model) {
  std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
  auto m = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
    FUZZ_CHECK(m != model.end());
    FUZZ_CHECK(it->key() == m->first);
    FUZZ_CHECK(it->value() == m->second);
  }
  FUZZ_CHECK(it->status().ok());
  FUZZ_CHECK(m == model.end());
  auto r = model.rbegin();
  for (it->SeekToLast(); it->Valid(); it->Prev(), ++r) {
    FUZZ_CHECK(r != model.rend());
    FUZZ_CHECK(it->key() == r->first);
  }
  FUZZ_CHECK(r == model.rend());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16 << 10) return 0;
  std::unique_ptr<Env> env = NewMemEnv();
  const Options options = FuzzOptions(env.get());
  std::unique_ptr<DB> db;
  FUZZ_CHECK(DB::Open(options, "/db", &db).ok());
  std::map<std::string, std::string> model;
  FuzzInput in(data, size);
  int heavy = 0;  // flushes, compactions and reopens are slow: at most 4
  while (!in.empty()) {
    const uint8_t op = in.Byte() % 10;
    switch (op) {
      case 0: {
        std::string k = in.Bytes(12), v = in.Bytes(255);
        FUZZ_CHECK(db->Put(WriteOptions(), k, v).ok());
        model[k] = v;
        break;
      }
      case 1: {
        std::string k = in.Bytes(12);
        FUZZ_CHECK(db->Delete(WriteOptions(), k).ok());
        model.erase(k);
        break;
      }
      case 2: {
        WriteBatch b;
        std::map<std::string, std::string> next = model;
        const int n = in.Byte() % 8;
        for (int i = 0; i < n; ++i) {
          std::string k = in.Bytes(12);
          if (in.Byte() % 3 == 0) {
            b.Delete(k);
            next.erase(k);
          } else {
            std::string v = in.Bytes(64);
            b.Put(k, v);
            next[k] = v;
          }
        }
        FUZZ_CHECK(db->Write(WriteOptions(), b).ok());
        model = std::move(next);
        break;
      }
      case 3: {
        std::string k = in.Bytes(12), v;
        Status s = db->Get(ReadOptions(), k, &v);
        auto it = model.find(k);
        if (it == model.end()) {
          FUZZ_CHECK(s.IsNotFound());
        } else {
          FUZZ_CHECK(s.ok() && v == it->second);
        }
        break;
      }
      case 4: {
        std::string k = in.Bytes(12);
        std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
        it->Seek(k);
        auto m = model.lower_bound(k);
        if (m == model.end()) {
          FUZZ_CHECK(!it->Valid());
        } else {
          FUZZ_CHECK(it->Valid() && it->key() == m->first && it->value() == m->second);
        }
        FUZZ_CHECK(it->status().ok());
        break;
      }
      case 5:
        FUZZ_CHECK(db->Sync().ok());
        break;
      case 6:
        if (++heavy <= 4) FUZZ_CHECK(db->Flush().ok());
        break;
      case 7:
        if (++heavy <= 4) FUZZ_CHECK(db->CompactAll().ok());
        break;
      case 8:
        if (++heavy <= 4) {
          FUZZ_CHECK(db->Close().ok());
          db.reset();
          FUZZ_CHECK(DB::Open(options, "/db", &db).ok());
        }
        break;
      case 9:
        CheckScan(db.get(), model);
        break;
    }
  }
  CheckScan(db.get(), model);
  FUZZ_CHECK(db->Close().ok());
  db.reset();
  FUZZ_CHECK(DB::Open(options, "/db", &db).ok());
  CheckScan(db.get(), model);
  return 0;
}
