// sst/block.h: read access to one uncompressed block (layout in
// block_builder.cc and docs/format-sst.md) holding internal keys in
// CompareInternalKey order: data blocks and the index block.
//
// Invariants: a Block whose restart array is malformed (count too large,
// first restart not 0, offsets not increasing or past the entries) yields
// only iterators that are invalid with a Corruption status. A BlockIter
// never reads outside the block, whatever its bytes; a malformed entry
// makes it invalid with a Corruption status naming the file and offset.
// Thread safety: a Block is immutable and may be shared between threads;
// a BlockIter is used by one thread at a time.
#ifndef FIRN_SST_BLOCK_H_
#define FIRN_SST_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "firn/iterator.h"
#include "firn/status.h"
#include "sst/block_cache.h"

namespace firn {

class Block {
 public:
  // REQUIRES: contents is not null.
  explicit Block(BlockCache::Block contents);

  size_t size() const { return contents_.size(); }
  // False if the restart array is malformed.
  bool well_formed() const { return well_formed_; }

  // A new iterator over the entries; the caller deletes it. fname and
  // file_offset (of the block) are used in Corruption messages; fname's
  // bytes must outlive the iterator. The iterator keeps the contents alive,
  // so it may outlive the Block.
  Iterator* NewIterator(std::string_view fname, uint64_t file_offset) const;

 private:
  friend class BlockIter;

  BlockCache::Block contents_;
  uint32_t restarts_offset_ = 0;  // start of the restart array
  uint32_t num_restarts_ = 0;
  bool well_formed_ = false;
};

// Iterator over one Block; may live on the stack (Table::Get does).
class BlockIter final : public Iterator {
 public:
  BlockIter(const Block& block, std::string_view fname, uint64_t file_offset);

  // Makes this an unpositioned iterator over another block, as if newly
  // constructed, but keeps the key buffer (no allocation on the hot path
  // of a table iterator moving between data blocks).
  void Reset(const Block& block, std::string_view fname, uint64_t file_offset);

  bool Valid() const override { return current_ < restarts_offset_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status status() const override { return status_; }

 private:
  uint32_t RestartPoint(uint32_t index) const;
  void SeekToRestartPoint(uint32_t index);
  // Decodes the entry at next_ into key_/value_. False at the end of the
  // entries or on corruption (then status_ is set).
  bool ParseNextKey();
  void MarkCorrupted(std::string_view what, uint64_t block_offset);
  void MarkInvalid();

  BlockCache::Block contents_;
  const char* data_;
  uint32_t restarts_offset_;  // end of the entries
  uint32_t num_restarts_;
  std::string_view fname_;
  uint64_t file_offset_;

  // current_ == restarts_offset_ means not Valid(). next_ is the offset
  // just past the current entry.
  uint32_t current_;
  uint32_t next_;
  uint32_t restart_index_ = 0;  // restart point at or before current_
  std::string key_;
  std::string_view value_;
  Status status_;
};

}  // namespace firn

#endif  // FIRN_SST_BLOCK_H_
