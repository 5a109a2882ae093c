// sst/block.cc: see block.h; the layout is at the top of block_builder.cc.
#include "sst/block.h"

#include <cassert>
#include <limits>

#include "db/dbformat.h"
#include "sst/format.h"
#include "util/coding.h"

namespace firn {

namespace {

// Orders block keys (internal keys of at least 8 bytes) against a target.
// A target shorter than a tag is taken as a bare user key placed before
// every version of that user key, so a misused Seek never reads outside
// the target.
int CompareToTarget(std::string_view key, std::string_view target) {
  if (target.size() >= kInternalKeyTagBytes) return CompareInternalKey(key, target);
  const int r = CompareUserKey(ExtractUserKey(key), target);
  return r != 0 ? r : 1;
}

// Decodes the header of the entry at p, which must end by limit. Returns
// the first byte of the key delta, or nullptr if the entry does not fit.
const char* DecodeEntry(const char* p, const char* limit, uint32_t* shared,
                        uint32_t* non_shared, uint32_t* value_len) {
  p = GetVarint32Ptr(p, limit, shared);
  if (p == nullptr) return nullptr;
  p = GetVarint32Ptr(p, limit, non_shared);
  if (p == nullptr) return nullptr;
  p = GetVarint32Ptr(p, limit, value_len);
  if (p == nullptr) return nullptr;
  const size_t left = static_cast<size_t>(limit - p);
  if (*non_shared > left || *value_len > left - *non_shared) return nullptr;
  return p;
}

}  // namespace

Block::Block(BlockCache::Block contents) : contents_(std::move(contents)) {
  assert(contents_ != nullptr);
  const size_t size = contents_.size();
  if (size < sizeof(uint32_t) || size > std::numeric_limits<uint32_t>::max()) return;
  const char* data = contents_.data();
  const uint32_t num = DecodeFixed32(data + size - sizeof(uint32_t));
  const size_t max_restarts = (size - sizeof(uint32_t)) / sizeof(uint32_t);
  if (num == 0 || num > max_restarts) return;
  const uint32_t restarts_offset =
      static_cast<uint32_t>(size - sizeof(uint32_t) * (static_cast<size_t>(num) + 1));
  const char* restarts = data + restarts_offset;
  if (DecodeFixed32(restarts) != 0) return;
  uint32_t prev = 0;
  for (uint32_t i = 1; i < num; i++) {
    const uint32_t r = DecodeFixed32(restarts + sizeof(uint32_t) * i);
    if (r <= prev || r >= restarts_offset) return;
    prev = r;
  }
  restarts_offset_ = restarts_offset;
  num_restarts_ = num;
  well_formed_ = true;
}

Iterator* Block::NewIterator(std::string_view fname, uint64_t file_offset) const {
  return new BlockIter(*this, fname, file_offset);
}

BlockIter::BlockIter(const Block& block, std::string_view fname, uint64_t file_offset) {
  Reset(block, fname, file_offset);
}

void BlockIter::Reset(const Block& block, std::string_view fname, uint64_t file_offset) {
  contents_ = block.contents_;
  data_ = contents_.data();
  restarts_offset_ = block.restarts_offset_;
  num_restarts_ = block.num_restarts_;
  fname_ = fname;
  file_offset_ = file_offset;
  current_ = block.restarts_offset_;
  next_ = block.restarts_offset_;
  restart_index_ = 0;
  key_.clear();
  value_ = {};
  if (block.well_formed_) {
    status_ = Status::OK();
  } else {
    status_ = CorruptionAt(fname_, "bad restart array in block", file_offset_);
  }
}

uint32_t BlockIter::RestartPoint(uint32_t index) const {
  assert(index < num_restarts_);
  return DecodeFixed32(data_ + restarts_offset_ + index * sizeof(uint32_t));
}

void BlockIter::MarkInvalid() {
  current_ = restarts_offset_;
  next_ = restarts_offset_;
  restart_index_ = num_restarts_;
}

void BlockIter::MarkCorrupted(std::string_view what, uint64_t block_offset) {
  status_ = CorruptionAt(fname_, what, file_offset_ + block_offset);
  MarkInvalid();
  key_.clear();
  value_ = {};
}

void BlockIter::SeekToRestartPoint(uint32_t index) {
  key_.clear();
  restart_index_ = index;
  next_ = RestartPoint(index);
}

bool BlockIter::ParseNextKey() {
  current_ = next_;
  if (current_ >= restarts_offset_) {
    MarkInvalid();
    return false;
  }
  // Keep restart_index_ at the last restart point <= current_; an entry
  // that steps over a restart point is corruption.
  while (restart_index_ + 1 < num_restarts_ && RestartPoint(restart_index_ + 1) <= current_) {
    if (RestartPoint(restart_index_ + 1) < current_) {
      MarkCorrupted("block entry overlaps a restart point", current_);
      return false;
    }
    restart_index_++;
  }
  const char* p = data_ + current_;
  const char* limit = data_ + restarts_offset_;
  uint32_t shared, non_shared, value_len;
  const char* delta = DecodeEntry(p, limit, &shared, &non_shared, &value_len);
  const bool at_restart = RestartPoint(restart_index_) == current_;
  if (delta == nullptr || shared > key_.size() || (at_restart && shared != 0)) {
    MarkCorrupted("bad block entry", current_);
    return false;
  }
  key_.resize(shared);
  key_.append(delta, non_shared);
  if (key_.size() < kInternalKeyTagBytes) {
    MarkCorrupted("short internal key in block", current_);
    return false;
  }
  value_ = std::string_view(delta + non_shared, value_len);
  next_ = static_cast<uint32_t>(value_.data() + value_.size() - data_);
  return true;
}

void BlockIter::SeekToFirst() {
  if (!status_.ok()) return;
  SeekToRestartPoint(0);
  ParseNextKey();
}

void BlockIter::SeekToLast() {
  if (!status_.ok()) return;
  SeekToRestartPoint(num_restarts_ - 1);
  while (ParseNextKey() && next_ < restarts_offset_) {
  }
}

void BlockIter::Next() {
  assert(Valid());
  ParseNextKey();
}

void BlockIter::Prev() {
  assert(Valid());
  const uint32_t original = current_;
  while (RestartPoint(restart_index_) >= original) {
    if (restart_index_ == 0) {
      MarkInvalid();
      return;
    }
    restart_index_--;
  }
  SeekToRestartPoint(restart_index_);
  while (ParseNextKey()) {
    if (next_ == original) return;
    if (next_ > original) {
      MarkCorrupted("block entries do not chain", current_);
      return;
    }
  }
}

void BlockIter::Seek(std::string_view target) {
  if (!status_.ok()) return;
  // Find the last restart point whose key is < target.
  uint32_t left = 0;
  uint32_t right = num_restarts_ - 1;
  const char* limit = data_ + restarts_offset_;
  while (left < right) {
    const uint32_t mid = left + (right - left + 1) / 2;
    const uint32_t offset = RestartPoint(mid);
    uint32_t shared, non_shared, value_len;
    const char* delta = DecodeEntry(data_ + offset, limit, &shared, &non_shared, &value_len);
    if (delta == nullptr || shared != 0 || non_shared < kInternalKeyTagBytes) {
      MarkCorrupted("bad restart entry in block", offset);
      return;
    }
    if (CompareToTarget(std::string_view(delta, non_shared), target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  SeekToRestartPoint(left);
  while (ParseNextKey()) {
    if (CompareToTarget(key_, target) >= 0) return;
  }
}

}  // namespace firn
