// firn/write_batch.h: a group of puts and deletes applied atomically.
//
// DB::Write applies all of a batch or none of it, also across a crash: the
// batch is one WAL record. Updates apply in the order they were added.
//
// Thread safety: a WriteBatch is not synchronized; callers that share one
// must lock around it.
#ifndef FIRN_WRITE_BATCH_H_
#define FIRN_WRITE_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "firn/status.h"

namespace firn {

class WriteBatch {
 public:
  // Receives the updates of a batch in order (see Iterate).
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void Put(std::string_view key, std::string_view value) = 0;
    virtual void Delete(std::string_view key) = 0;
  };

  WriteBatch();
  WriteBatch(const WriteBatch&) = default;
  WriteBatch& operator=(const WriteBatch&) = default;
  ~WriteBatch() = default;

  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  void Clear();
  // Appends the updates of `other` to this batch.
  void Append(const WriteBatch& other);

  // Number of updates in the batch.
  uint32_t Count() const;
  // Sum of key and value bytes of all updates (what "user bytes" counts).
  uint64_t UserBytes() const { return user_bytes_; }
  // Size of the encoded batch in bytes.
  size_t ApproximateSize() const { return rep_.size(); }

  // Calls handler for each update in order. Corruption if the encoded
  // representation is malformed.
  Status Iterate(Handler* handler) const;

 private:
  friend class WriteBatchInternal;
  // Format (docs/format-wal.md, "batch"): fixed64 sequence, fixed32 count,
  // then records: kTypeValue varstring key varstring value | kTypeDeletion
  // varstring key.
  std::string rep_;
  uint64_t user_bytes_ = 0;
};

}  // namespace firn

#endif  // FIRN_WRITE_BATCH_H_
