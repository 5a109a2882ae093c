// sst/block_builder.cc: see block_builder.h.
//
// Block layout (all integers little-endian):
//
//   entry*  restart[num_restarts] fixed32  num_restarts fixed32
//
//   entry := shared      varint32   bytes of key shared with the previous key
//            non_shared  varint32   bytes of key that follow
//            value_len   varint32
//            key_delta   byte[non_shared]
//            value       byte[value_len]
//
// Every restart_interval-th entry (the first included) is a restart point:
// it stores its whole key (shared == 0) and its offset in the block is
// listed in the restart array, in increasing order. A reader binary
// searches the restart points and scans forward at most restart_interval
// entries. An empty block is just restart[0] = 0 and num_restarts = 1.
#include "sst/block_builder.h"

#include <algorithm>
#include <cassert>
#include <limits>

#include "util/coding.h"

namespace firn {

BlockBuilder::BlockBuilder(int restart_interval) : restart_interval_(restart_interval) {
  assert(restart_interval_ >= 1);
  restarts_.push_back(0);
}

void BlockBuilder::Reset() {
  buffer_.clear();
  restarts_.clear();
  restarts_.push_back(0);
  counter_ = 0;
  finished_ = false;
  last_key_.clear();
}

size_t BlockBuilder::CurrentSizeEstimate() const {
  return buffer_.size() + restarts_.size() * sizeof(uint32_t) + sizeof(uint32_t);
}

void BlockBuilder::Add(std::string_view key, std::string_view value) {
  assert(!finished_);
  assert(key.size() <= std::numeric_limits<uint32_t>::max() &&
         value.size() <= std::numeric_limits<uint32_t>::max());
  size_t shared = 0;
  if (counter_ < restart_interval_) {
    const size_t limit = std::min(last_key_.size(), key.size());
    while (shared < limit && last_key_[shared] == key[shared]) shared++;
  } else {
    restarts_.push_back(static_cast<uint32_t>(buffer_.size()));
    counter_ = 0;
  }
  const size_t non_shared = key.size() - shared;
  PutVarint32(&buffer_, static_cast<uint32_t>(shared));
  PutVarint32(&buffer_, static_cast<uint32_t>(non_shared));
  PutVarint32(&buffer_, static_cast<uint32_t>(value.size()));
  buffer_.append(key.data() + shared, non_shared);
  buffer_.append(value.data(), value.size());
  // Offsets in the restart array are fixed32.
  assert(buffer_.size() <= std::numeric_limits<uint32_t>::max());

  last_key_.resize(shared);
  last_key_.append(key.data() + shared, non_shared);
  counter_++;
}

std::string_view BlockBuilder::Finish() {
  if (!finished_) {
    for (uint32_t r : restarts_) PutFixed32(&buffer_, r);
    PutFixed32(&buffer_, static_cast<uint32_t>(restarts_.size()));
    finished_ = true;
  }
  return buffer_;
}

}  // namespace firn
