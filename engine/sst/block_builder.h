// sst/block_builder.h: builds one block of prefix-compressed key/value
// entries with restart points (layout at the top of block_builder.cc and in
// docs/format-sst.md). Used for data blocks and the index block.
//
// Thread safety: a BlockBuilder is used by one thread.
#ifndef FIRN_SST_BLOCK_BUILDER_H_
#define FIRN_SST_BLOCK_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace firn {

class BlockBuilder {
 public:
  // REQUIRES: restart_interval >= 1.
  explicit BlockBuilder(int restart_interval);
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Forgets every entry, as if newly constructed.
  void Reset();

  // REQUIRES: Finish not called since the last Reset; key sorts after every
  // key added before (the caller's order; the builder does not compare).
  void Add(std::string_view key, std::string_view value);

  // Appends the restart array and returns the finished block, valid until
  // the next Reset or the builder's destruction.
  std::string_view Finish();

  // Size the block would have if Finish were called now.
  size_t CurrentSizeEstimate() const;
  bool empty() const { return buffer_.empty(); }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;  // offsets of restart entries in buffer_
  int counter_ = 0;                 // entries since the last restart
  bool finished_ = false;
  std::string last_key_;
};

}  // namespace firn

#endif  // FIRN_SST_BLOCK_BUILDER_H_
