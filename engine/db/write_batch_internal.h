// db/write_batch_internal.h: the engine's access to a WriteBatch's encoded
// form, which the public class keeps private.
//
// Encoding (also docs/format-wal.md, "batch"; a WAL record's payload is
// exactly this):
//   header   fixed64 sequence of the first update | fixed32 count
//   record*  uint8 type (kTypeValue = 1, kTypeDeletion = 0)
//            varint32 key length | key
//            (kTypeValue only) varint32 value length | value
// The i-th record (from 0) gets sequence number `sequence + i`.
//
// Thread safety: none; the functions touch one batch like its own methods.
#ifndef FIRN_DB_WRITE_BATCH_INTERNAL_H_
#define FIRN_DB_WRITE_BATCH_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "db/dbformat.h"
#include "firn/status.h"
#include "firn/write_batch.h"

namespace firn {

class MemTable;

class WriteBatchInternal {
 public:
  // Bytes of the fixed header that starts every batch.
  static constexpr size_t kHeaderBytes = 12;

  // Number of updates, as stored in the header.
  static uint32_t Count(const WriteBatch* batch);
  static void SetCount(WriteBatch* batch, uint32_t n);

  // Sequence number of the batch's first update.
  static SequenceNumber Sequence(const WriteBatch* batch);
  static void SetSequence(WriteBatch* batch, SequenceNumber seq);

  // The encoded batch; valid until the batch is next modified.
  static std::string_view Contents(const WriteBatch* batch) { return batch->rep_; }
  static size_t ByteSize(const WriteBatch* batch) { return batch->rep_.size(); }

  // Replaces the batch with an encoded one (a WAL record's payload).
  // Corruption if `contents` is shorter than the header; the records are
  // checked later, by Iterate / InsertInto. On error the batch is unchanged.
  static Status SetContents(WriteBatch* batch, std::string_view contents);

  // Appends src's updates to dst; dst keeps its sequence number.
  static void Append(WriteBatch* dst, const WriteBatch* src);

  // Adds every update to the memtable, the i-th with sequence
  // Sequence(batch) + i. The whole batch is decoded before anything is
  // added, so a malformed batch (Corruption) adds nothing; so does a batch
  // whose last sequence would exceed kMaxSequenceNumber (Corruption).
  // REQUIRES: the caller serializes writers of `memtable`.
  static Status InsertInto(const WriteBatch* batch, MemTable* memtable);

  // InvalidArgument naming the first key longer than max_key bytes or value
  // longer than max_value bytes; Corruption if the batch is malformed.
  static Status CheckLimits(const WriteBatch& batch, size_t max_key, size_t max_value);
};

}  // namespace firn

#endif  // FIRN_DB_WRITE_BATCH_INTERNAL_H_
