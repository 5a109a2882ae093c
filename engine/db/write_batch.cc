// db/write_batch.cc: see firn/write_batch.h; the encoding is described in
// db/write_batch_internal.h.
#include "firn/write_batch.h"

#include <cassert>
#include <string>

#include "db/dbformat.h"
#include "db/write_batch_internal.h"
#include "memtable/memtable.h"
#include "util/coding.h"

namespace firn {

namespace {

constexpr size_t kCountOffset = 8;

// One decoded record.
struct Record {
  ValueType type;
  std::string_view key;
  std::string_view value;
};

// Decodes the records after the header one at a time and, at the end,
// checks that their number matches the header's count.
// Invariant: `input_` holds the undecoded rest of the records.
class RecordReader {
 public:
  explicit RecordReader(std::string_view rep)
      : input_(rep.substr(WriteBatchInternal::kHeaderBytes)),
        expected_(DecodeFixed32(rep.data() + kCountOffset)) {}

  // True and fills *r while records remain; false at the end or on error
  // (then status() says which).
  bool Next(Record* r) {
    if (input_.empty()) {
      if (found_ != expected_) {
        status_ = Status::Corruption("write batch: header count " + std::to_string(expected_) +
                                     " but " + std::to_string(found_) + " records");
      }
      return false;
    }
    const uint8_t type = static_cast<uint8_t>(input_[0]);
    input_.remove_prefix(1);
    if (type == kTypeValue) {
      if (!GetLengthPrefixed(&input_, &r->key) || !GetLengthPrefixed(&input_, &r->value)) {
        return Fail("truncated put record");
      }
    } else if (type == kTypeDeletion) {
      if (!GetLengthPrefixed(&input_, &r->key)) return Fail("truncated delete record");
      r->value = std::string_view();
    } else {
      return Fail("unknown record type " + std::to_string(type));
    }
    r->type = static_cast<ValueType>(type);
    found_++;
    if (found_ > expected_) {
      return Fail("header count " + std::to_string(expected_) + " but more records follow");
    }
    return true;
  }

  const Status& status() const { return status_; }

 private:
  bool Fail(const std::string& what) {
    status_ = Status::Corruption("write batch: " + what + " (record " + std::to_string(found_) +
                                 ")");
    return false;
  }

  std::string_view input_;
  const uint32_t expected_;
  uint32_t found_ = 0;
  Status status_;
};

}  // namespace

WriteBatch::WriteBatch() { Clear(); }

void WriteBatch::Clear() {
  rep_.assign(WriteBatchInternal::kHeaderBytes, '\0');
  user_bytes_ = 0;
}

uint32_t WriteBatch::Count() const { return WriteBatchInternal::Count(this); }

void WriteBatch::Put(std::string_view key, std::string_view value) {
  WriteBatchInternal::SetCount(this, WriteBatchInternal::Count(this) + 1);
  rep_.push_back(static_cast<char>(kTypeValue));
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
  user_bytes_ += key.size() + value.size();
}

void WriteBatch::Delete(std::string_view key) {
  WriteBatchInternal::SetCount(this, WriteBatchInternal::Count(this) + 1);
  rep_.push_back(static_cast<char>(kTypeDeletion));
  PutLengthPrefixed(&rep_, key);
  user_bytes_ += key.size();
}

void WriteBatch::Append(const WriteBatch& other) { WriteBatchInternal::Append(this, &other); }

Status WriteBatch::Iterate(Handler* handler) const {
  RecordReader reader(rep_);
  Record r;
  while (reader.Next(&r)) {
    if (r.type == kTypeValue) {
      handler->Put(r.key, r.value);
    } else {
      handler->Delete(r.key);
    }
  }
  return reader.status();
}

uint32_t WriteBatchInternal::Count(const WriteBatch* batch) {
  return DecodeFixed32(batch->rep_.data() + kCountOffset);
}

void WriteBatchInternal::SetCount(WriteBatch* batch, uint32_t n) {
  EncodeFixed32(batch->rep_.data() + kCountOffset, n);
}

SequenceNumber WriteBatchInternal::Sequence(const WriteBatch* batch) {
  return DecodeFixed64(batch->rep_.data());
}

void WriteBatchInternal::SetSequence(WriteBatch* batch, SequenceNumber seq) {
  EncodeFixed64(batch->rep_.data(), seq);
}

Status WriteBatchInternal::SetContents(WriteBatch* batch, std::string_view contents) {
  if (contents.size() < kHeaderBytes) {
    return Status::Corruption("write batch: " + std::to_string(contents.size()) +
                              " bytes, shorter than the " + std::to_string(kHeaderBytes) +
                              "-byte header");
  }
  batch->rep_.assign(contents.data(), contents.size());
  // UserBytes of a decoded batch counts the well-formed leading records;
  // a malformed tail is reported by Iterate / InsertInto.
  batch->user_bytes_ = 0;
  RecordReader reader(batch->rep_);
  Record r;
  while (reader.Next(&r)) batch->user_bytes_ += r.key.size() + r.value.size();
  return Status::OK();
}

void WriteBatchInternal::Append(WriteBatch* dst, const WriteBatch* src) {
  SetCount(dst, Count(dst) + Count(src));
  assert(src->rep_.size() >= kHeaderBytes);
  dst->rep_.append(src->rep_.data() + kHeaderBytes, src->rep_.size() - kHeaderBytes);
  dst->user_bytes_ += src->user_bytes_;
}

Status WriteBatchInternal::InsertInto(const WriteBatch* batch, MemTable* memtable) {
  // Validate first so that a malformed batch leaves the memtable untouched:
  // a batch applies entirely or not at all.
  {
    RecordReader reader(batch->rep_);
    Record r;
    while (reader.Next(&r)) {
    }
    if (!reader.status().ok()) return reader.status();
  }
  const SequenceNumber first = Sequence(batch);
  const uint32_t count = Count(batch);
  if (count > 0 && (first > kMaxSequenceNumber || kMaxSequenceNumber - first < count - 1)) {
    return Status::Corruption("write batch: sequence " + std::to_string(first) + " plus " +
                              std::to_string(count) + " updates exceeds the largest sequence");
  }
  RecordReader reader(batch->rep_);
  Record r;
  SequenceNumber seq = first;
  while (reader.Next(&r)) {
    memtable->Add(seq, r.type, r.key, r.value);
    seq++;
  }
  return reader.status();
}

Status WriteBatchInternal::CheckLimits(const WriteBatch& batch, size_t max_key, size_t max_value) {
  RecordReader reader(batch.rep_);
  Record r;
  while (reader.Next(&r)) {
    if (r.key.size() > max_key) {
      return Status::InvalidArgument("key of " + std::to_string(r.key.size()) +
                                     " bytes exceeds max_key_bytes " + std::to_string(max_key));
    }
    if (r.value.size() > max_value) {
      return Status::InvalidArgument("value of " + std::to_string(r.value.size()) +
                                     " bytes exceeds max_value_bytes " +
                                     std::to_string(max_value));
    }
  }
  return reader.status();
}

}  // namespace firn
