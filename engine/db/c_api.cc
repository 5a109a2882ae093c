// db/c_api.cc: the C API (firn/firn.h) over the C++ API.
//
// Every entry point checks its pointers first (NULL handle, or NULL data
// with a non-zero length: FIRN_INVALID_ARGUMENT), maps Status to
// firn_status, and records the message for firn_last_error() in a
// thread-local string. No C++ exception can escape: the engine throws none
// and allocation failure aborts (port/alloc.h).
#include "firn/firn.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "firn/db.h"

using firn::Status;

struct firn_db {
  std::unique_ptr<firn::DB> db;
};
struct firn_options {
  firn::Options options;
};
struct firn_batch {
  firn::WriteBatch batch;
  bool invalid = false;  // a put/delete was given a NULL buffer
};
struct firn_iter {
  std::unique_ptr<firn::Iterator> iter;
};

namespace {

thread_local std::string last_error;

firn_status ToC(const Status& s) {
  if (s.ok()) {
    last_error.clear();
    return FIRN_OK;
  }
  last_error = s.ToString();
  switch (s.code()) {
    case Status::Code::kOk:
      return FIRN_OK;
    case Status::Code::kNotFound:
      return FIRN_NOT_FOUND;
    case Status::Code::kInvalidArgument:
      return FIRN_INVALID_ARGUMENT;
    case Status::Code::kIOError:
      return FIRN_IO_ERROR;
    case Status::Code::kCorruption:
      return FIRN_CORRUPTION;
    case Status::Code::kNoSpace:
      return FIRN_NO_SPACE;
    case Status::Code::kBusy:
      return FIRN_BUSY;
  }
  return FIRN_IO_ERROR;
}

firn_status Invalid(const char* what) {
  last_error = std::string("Invalid argument: ") + what;
  return FIRN_INVALID_ARGUMENT;
}

bool BadBuffer(const void* p, size_t n) { return p == nullptr && n != 0; }

std::string_view View(const void* p, size_t n) {
  return n == 0 ? std::string_view() : std::string_view(static_cast<const char*>(p), n);
}

char* CopyOut(std::string_view s) {
  char* r = static_cast<char*>(std::malloc(s.size() + 1));
  if (r == nullptr) std::abort();
  if (!s.empty()) std::memcpy(r, s.data(), s.size());
  r[s.size()] = '\0';
  return r;
}

}  // namespace

extern "C" {

const char* firn_last_error(void) { return last_error.c_str(); }

firn_options* firn_options_new(void) { return new firn_options(); }
void firn_options_free(firn_options* o) { delete o; }

firn_status firn_options_set(firn_options* o, const char* name, const char* value) {
  if (o == nullptr || name == nullptr || value == nullptr) {
    return Invalid("firn_options_set: NULL argument");
  }
  return ToC(o->options.Set(name, value));
}

firn_status firn_open(const char* path, const firn_options* opts, firn_db** out) {
  if (path == nullptr || out == nullptr) return Invalid("firn_open: NULL path or result");
  *out = nullptr;
  firn::Options options = opts != nullptr ? opts->options : firn::Options();
  std::unique_ptr<firn::DB> db;
  Status s = firn::DB::Open(options, path, &db);
  if (!s.ok()) return ToC(s);
  *out = new firn_db{std::move(db)};
  return FIRN_OK;
}

firn_status firn_close(firn_db* db) {
  if (db == nullptr) return Invalid("firn_close: NULL database");
  Status s = db->db->Close();
  delete db;
  return ToC(s);
}

firn_status firn_put(firn_db* db, const void* key, size_t klen, const void* val, size_t vlen) {
  if (db == nullptr) return Invalid("firn_put: NULL database");
  if (BadBuffer(key, klen) || BadBuffer(val, vlen)) {
    return Invalid("firn_put: NULL key or value with non-zero length");
  }
  return ToC(db->db->Put(firn::WriteOptions(), View(key, klen), View(val, vlen)));
}

firn_status firn_get(firn_db* db, const void* key, size_t klen, void** val, size_t* vlen) {
  if (db == nullptr) return Invalid("firn_get: NULL database");
  if (BadBuffer(key, klen)) return Invalid("firn_get: NULL key with non-zero length");
  if (val == nullptr || vlen == nullptr) return Invalid("firn_get: NULL result pointer");
  *val = nullptr;
  *vlen = 0;
  std::string value;
  Status s = db->db->Get(firn::ReadOptions(), View(key, klen), &value);
  if (!s.ok()) return ToC(s);
  *val = CopyOut(value);
  *vlen = value.size();
  return ToC(s);
}

firn_status firn_delete(firn_db* db, const void* key, size_t klen) {
  if (db == nullptr) return Invalid("firn_delete: NULL database");
  if (BadBuffer(key, klen)) return Invalid("firn_delete: NULL key with non-zero length");
  return ToC(db->db->Delete(firn::WriteOptions(), View(key, klen)));
}

firn_status firn_sync(firn_db* db) {
  if (db == nullptr) return Invalid("firn_sync: NULL database");
  return ToC(db->db->Sync());
}

firn_batch* firn_batch_new(void) { return new firn_batch(); }
void firn_batch_free(firn_batch* b) { delete b; }

void firn_batch_put(firn_batch* b, const void* key, size_t klen, const void* val, size_t vlen) {
  if (b == nullptr) return;
  if (BadBuffer(key, klen) || BadBuffer(val, vlen)) {
    b->invalid = true;
    return;
  }
  b->batch.Put(View(key, klen), View(val, vlen));
}

void firn_batch_delete(firn_batch* b, const void* key, size_t klen) {
  if (b == nullptr) return;
  if (BadBuffer(key, klen)) {
    b->invalid = true;
    return;
  }
  b->batch.Delete(View(key, klen));
}

void firn_batch_clear(firn_batch* b) {
  if (b == nullptr) return;
  b->batch.Clear();
  b->invalid = false;
}

firn_status firn_write(firn_db* db, const firn_batch* b) {
  if (db == nullptr || b == nullptr) return Invalid("firn_write: NULL database or batch");
  if (b->invalid) {
    return Invalid("firn_write: the batch was given a NULL key or value with non-zero length");
  }
  return ToC(db->db->Write(firn::WriteOptions(), b->batch));
}

firn_status firn_iter_new(firn_db* db, firn_iter** out) {
  if (db == nullptr || out == nullptr) return Invalid("firn_iter_new: NULL database or result");
  *out = new firn_iter{std::unique_ptr<firn::Iterator>(db->db->NewIterator(firn::ReadOptions()))};
  return ToC((*out)->iter->status());
}

void firn_iter_seek(firn_iter* it, const void* key, size_t klen) {
  if (it == nullptr || BadBuffer(key, klen)) return;
  it->iter->Seek(View(key, klen));
}
void firn_iter_seek_first(firn_iter* it) {
  if (it != nullptr) it->iter->SeekToFirst();
}
void firn_iter_seek_last(firn_iter* it) {
  if (it != nullptr) it->iter->SeekToLast();
}
int firn_iter_valid(const firn_iter* it) { return it != nullptr && it->iter->Valid() ? 1 : 0; }
void firn_iter_next(firn_iter* it) {
  if (it != nullptr && it->iter->Valid()) it->iter->Next();
}
void firn_iter_prev(firn_iter* it) {
  if (it != nullptr && it->iter->Valid()) it->iter->Prev();
}

const void* firn_iter_key(const firn_iter* it, size_t* len) {
  if (it == nullptr || !it->iter->Valid()) {
    if (len != nullptr) *len = 0;
    return nullptr;
  }
  std::string_view k = it->iter->key();
  if (len != nullptr) *len = k.size();
  return k.data();
}

const void* firn_iter_value(const firn_iter* it, size_t* len) {
  if (it == nullptr || !it->iter->Valid()) {
    if (len != nullptr) *len = 0;
    return nullptr;
  }
  std::string_view v = it->iter->value();
  if (len != nullptr) *len = v.size();
  return v.data();
}

firn_status firn_iter_status(const firn_iter* it) {
  if (it == nullptr) return Invalid("firn_iter_status: NULL iterator");
  return ToC(it->iter->status());
}

void firn_iter_free(firn_iter* it) { delete it; }

firn_status firn_compact(firn_db* db) {
  if (db == nullptr) return Invalid("firn_compact: NULL database");
  return ToC(db->db->CompactAll());
}

firn_status firn_flush(firn_db* db) {
  if (db == nullptr) return Invalid("firn_flush: NULL database");
  return ToC(db->db->Flush());
}

firn_status firn_maintain(firn_db* db, uint64_t budget_us) {
  if (db == nullptr) return Invalid("firn_maintain: NULL database");
  return ToC(db->db->Maintain(budget_us));
}

char* firn_property(firn_db* db, const char* name) {
  if (db == nullptr || name == nullptr) return nullptr;
  std::string value;
  if (!db->db->GetProperty(name, &value)) return nullptr;
  return CopyOut(value);
}

void firn_free(void* p) { std::free(p); }

}  // extern "C"
