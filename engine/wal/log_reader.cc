// wal/log_reader.cc: see log_reader.h; recovery rules in docs/format-wal.md.
//
// Reading never skips over damage: the first fragment that fails a check
// ends the log, so what recovery replays is always a prefix of what was
// written. A hole in the middle would let a later write survive while an
// earlier one is lost, which no caller could have observed before a crash.
#include "wal/log_reader.h"

#include <lz4.h>

#include <algorithm>
#include <cassert>
#include <utility>

#include "port/env.h"
#include "util/coding.h"
#include "util/hash.h"

namespace firn::log {

namespace {

bool IsAllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

// decoded_ is kept for the next record up to this size; a bigger one is
// freed when the next record is read.
constexpr size_t kRetainedBufferBytes = (1u << 20) + 64;

}  // namespace

Reader::Reader(SequentialFile* file, std::string fname, uint64_t log_number,
               Reporter* reporter)
    : file_(file),
      fname_(std::move(fname)),
      log_number_(log_number),
      reporter_(reporter),
      backing_(kBlockSize, '\0') {}

Status Reader::ReadHeader(bool* empty) {
  assert(!header_done_);
  header_done_ = true;
  *empty = false;

  std::string_view record;
  std::string scratch;
  if (!ReadRecord(&record, &scratch)) {
    if (!status_.ok()) return status_;
    if (!damaged_ || damage_truncated_) {
      // No bytes, only zeros, or a header torn by a crash while the file
      // was being created: the log holds no record.
      *empty = true;
      return Status::OK();
    }
    return damage_;
  }

  // From here on a bad header ends reading: no record of an unknown or
  // foreign format is ever returned.
  const std::string where = fname_ + " at offset 0";
  if (record.size() != 8) {
    finished_ = true;
    return Status::Corruption(where, "bad log header record size " +
                                         std::to_string(record.size()));
  }
  const uint32_t magic = DecodeFixed32(record.data());
  const uint32_t version = DecodeFixed32(record.data() + 4);
  if (magic != kLogMagic) {
    finished_ = true;
    return Status::Corruption(where, "bad log magic (not a firn WAL file)");
  }
  if (version > kLogFormatVersion) {
    finished_ = true;
    return Status::InvalidArgument(fname_ + ": WAL format version " +
                                   std::to_string(version) +
                                   " is newer than supported " +
                                   std::to_string(kLogFormatVersion));
  }
  if (version == 0) {
    finished_ = true;
    return Status::Corruption(where, "bad WAL format version 0");
  }
  version_ = version;
  return Status::OK();
}

bool Reader::ReadRecord(std::string_view* record, std::string* scratch) {
  assert(header_done_);
  if (finished_) return false;

  if (decoded_.size() > kRetainedBufferBytes) std::string().swap(decoded_);
  scratch->clear();
  bool in_fragmented_record = false;
  uint64_t record_start = 0;  // offset of the first fragment, when fragmented

  std::string_view fragment;
  uint8_t type = kZeroType;
  uint64_t offset = 0;
  for (;;) {
    switch (ReadPhysicalRecord(&fragment, &type, &offset)) {
      case Physical::kRecord:
        break;
      case Physical::kEof:
        if (in_fragmented_record) {
          Damage(buffer_end_offset_, "truncated record: log ends inside a fragmented record",
                 /*truncated=*/true);
          ReportDamage(record_start);
        }
        finished_ = true;
        return false;
      case Physical::kDamage:
        ReportDamage(in_fragmented_record ? record_start : damage_offset_);
        return false;
      case Physical::kIOError:
        finished_ = true;
        return false;
    }

    switch (type) {
      case kFullType:
        if (in_fragmented_record) {
          Damage(offset, "fragment sequence broken: full record inside a fragmented one", false,
                 /*intact=*/true);
          ReportDamage(record_start);
          return false;
        }
        return FinishRecord(fragment, offset, offset + kHeaderSize + fragment.size(), record);

      case kFirstType:
        if (in_fragmented_record) {
          Damage(offset, "fragment sequence broken: first fragment inside a fragmented record",
                 false, /*intact=*/true);
          ReportDamage(record_start);
          return false;
        }
        in_fragmented_record = true;
        record_start = offset;
        scratch->assign(fragment.data(), fragment.size());
        break;

      case kMiddleType:
        if (!in_fragmented_record) {
          Damage(offset, "fragment sequence broken: middle fragment without a first", false,
                 /*intact=*/true);
          ReportDamage(offset);
          return false;
        }
        scratch->append(fragment.data(), fragment.size());
        break;

      case kLastType:
        if (!in_fragmented_record) {
          Damage(offset, "fragment sequence broken: last fragment without a first", false,
                 /*intact=*/true);
          ReportDamage(offset);
          return false;
        }
        scratch->append(fragment.data(), fragment.size());
        return FinishRecord(*scratch, record_start, offset + kHeaderSize + fragment.size(), record);

      default:
        // ReadPhysicalRecord only returns known types.
        assert(false);
        return false;
    }
  }
}

bool Reader::FinishRecord(std::string_view stored, uint64_t offset, uint64_t end,
                          std::string_view* record) {
  if (version_ < kLogFormatVersionEncoded) {
    // Version 1, or the header record itself (version_ is still 0).
    *record = stored;
  } else if (const char* reason = Decode(stored, record); reason != nullptr) {
    // The fragments are intact, so this is not a torn write: like a
    // fragment out of sequence, it counts as an intact record at the
    // damaged spot for DamageIsFollowedByValidRecords.
    Damage(offset, reason, false, /*intact=*/true);
    ReportDamage(offset);
    return false;
  }
  last_record_offset_ = offset;
  last_record_end_ = end;
  return true;
}

const char* Reader::Decode(std::string_view stored, std::string_view* record) {
  if (stored.empty()) return "record without an encoding byte";
  const uint8_t encoding = static_cast<uint8_t>(stored[0]);
  stored.remove_prefix(1);
  const bool windowed_log = version_ >= kLogFormatVersionWindowed;
  if (encoding == kRawEncoding) {
    *record = stored;
    window_valid_ = false;  // version 3: a raw record ends the window
    return nullptr;
  }
  const bool windowed = encoding == kLZ4WindowedEncoding && windowed_log;
  if (encoding != kLZ4Encoding && !windowed) return "unknown record encoding";
  // Without the records its window holds, a windowed record cannot be
  // decoded: decoding it against other bytes could yield a wrong payload
  // that still parses, so it is damage. (Reading resumed after damage, by
  // RepairDB, meets this until the next record that starts a window.)
  if (windowed && !window_valid_) return "LZ4 record refers to earlier records that were not read";

  uint32_t length = 0;
  if (!GetVarint32(&stored, &length)) return "bad uncompressed length in LZ4 record";
  // Both bounds keep a damaged length from making the reader allocate more
  // than the record can hold; the writer never exceeds either.
  if (length > kMaxLZ4PayloadBytes || length / kMaxLZ4ExpansionRatio > stored.size() ||
      stored.size() > static_cast<size_t>(LZ4_compressBound(static_cast<int>(length)))) {
    return "uncompressed length of LZ4 record out of bounds";
  }
  if (windowed && window_.size() + length > kWindowBytes) {
    return "LZ4 record overflows its window";  // the writer starts a new one first
  }
  if (decoded_.size() < length) decoded_.resize(length);
  const int got =
      windowed ? LZ4_decompress_safe_usingDict(stored.data(), decoded_.data(),
                                               static_cast<int>(stored.size()),
                                               static_cast<int>(length), window_.data(),
                                               static_cast<int>(window_.size()))
               : LZ4_decompress_safe(stored.data(), decoded_.data(),
                                     static_cast<int>(stored.size()), static_cast<int>(length));
  if (got < 0 || static_cast<uint32_t>(got) != length) {
    return "LZ4 record does not decode to its stated length";
  }
  *record = std::string_view(decoded_.data(), length);
  if (windowed_log) {
    // kLZ4Encoding starts a window (none if the payload is longer than a
    // window can be); kLZ4WindowedEncoding extends it.
    if (!windowed) {
      window_.clear();
      window_valid_ = length <= kWindowBytes;
    }
    if (window_valid_) window_.append(decoded_.data(), length);
  }
  return nullptr;
}

Reader::Physical Reader::ReadPhysicalRecord(std::string_view* fragment, uint8_t* type,
                                            uint64_t* offset) {
  for (;;) {
    const uint64_t pos = buffer_end_offset_ - buffer_.size();
    if (buffer_.size() < kHeaderSize) {
      // Too short for a header: the zero-filled tail of a block, the end of
      // the file, or a header cut short by the end of the file.
      if (!IsAllZero(buffer_)) {
        if (eof_) return Damage(pos, "truncated record header", true);
        return Damage(pos, "non-zero bytes in block trailer", false);
      }
      if (eof_) return Physical::kEof;
      if (!ReadBlock()) return Physical::kIOError;
      continue;
    }

    const char* header = buffer_.data();
    const uint32_t length = static_cast<uint32_t>(static_cast<uint8_t>(header[4])) |
                            (static_cast<uint32_t>(static_cast<uint8_t>(header[5])) << 8);
    const uint8_t t = static_cast<uint8_t>(header[6]);

    if (t == kZeroType) {
      // Writers never emit this type. Zeros here are preallocated or
      // zero-extended space: a clean end if nothing but zeros follows.
      if (RestOfFileIsZero()) return Physical::kEof;
      if (!status_.ok()) return Physical::kIOError;
      return Damage(pos, "zero-filled region followed by data", false);
    }
    if (t > kMaxRecordType) return Damage(pos, "unknown record type", false);
    if (kHeaderSize + length > buffer_.size()) {
      if (pos % kBlockSize + kHeaderSize + length > kBlockSize) {
        return Damage(pos, "record length past the end of the block", false);
      }
      // Only the last, short block can end before its record does.
      assert(eof_);
      return Damage(pos, "truncated record", true);
    }

    const std::string_view payload(header + kHeaderSize, length);
    const uint32_t expected = DecodeFixed32(header);
    const uint32_t actual = Checksum32(std::string_view(header + 6, 5), payload);
    if (actual != expected) return Damage(pos, "checksum mismatch", false);
    if (DecodeFixed32(header + 7) != static_cast<uint32_t>(log_number_)) {
      // Intact, but written to another log: stale contents of a reused file.
      return Damage(pos, "record from another log number", false);
    }

    buffer_.remove_prefix(kHeaderSize + length);
    *fragment = payload;
    *type = t;
    *offset = pos;
    return Physical::kRecord;
  }
}

bool Reader::ReadBlock() {
  assert(!eof_);
  std::string_view result;
  Status s = file_->Read(kBlockSize, &result, backing_.data());
  if (!s.ok()) {
    status_ = std::move(s);
    buffer_ = {};
    eof_ = true;
    return false;
  }
  buffer_ = result;
  buffer_end_offset_ += result.size();
  if (result.size() < kBlockSize) eof_ = true;
  return true;
}

bool Reader::RestOfFileIsZero() {
  for (;;) {
    if (!IsAllZero(buffer_)) return false;
    buffer_ = {};
    if (eof_) return true;
    if (!ReadBlock()) return false;
  }
}

Reader::Physical Reader::Damage(uint64_t offset, const char* reason, bool truncated,
                                bool intact) {
  damage_offset_ = offset;
  damage_reason_ = reason;
  damage_truncated_ = truncated;
  damage_fragment_intact_ = intact;
  return Physical::kDamage;
}

bool Reader::DamageIsFollowedByValidRecords() {
  if (!damaged_ || !status_.ok()) return false;
  // An intact fragment out of sequence is itself a valid record after the
  // damaged spot (the broken sequence is the damage).
  if (damage_fragment_intact_) return true;

  // buffer_ starts at the damaged fragment, unless the damage was a zeroed
  // region (then it may start anywhere in a later block). The damaged
  // header's length cannot be trusted (a flipped length byte would hide
  // every record after it), so look for an intact fragment at every byte
  // after the damaged spot.
  std::string_view rest = buffer_;
  const uint64_t pos = buffer_end_offset_ - rest.size();
  if (pos == damage_offset_ && !rest.empty()) rest.remove_prefix(1);
  for (;;) {
    if (HasIntactFragmentAnywhere(rest)) return true;
    buffer_ = {};
    if (eof_ || !ReadBlock()) return false;
    rest = buffer_;
  }
}

bool Reader::HasIntactFragmentAnywhere(std::string_view block_rest) const {
  const uint32_t lognum = static_cast<uint32_t>(log_number_);
  for (size_t i = 0; i + kHeaderSize <= block_rest.size(); ++i) {
    const char* header = block_rest.data() + i;
    // Cheap filters first: the log number and type, then the checksum.
    if (DecodeFixed32(header + 7) != lognum) continue;
    const uint8_t t = static_cast<uint8_t>(header[6]);
    if (t == kZeroType || t > kMaxRecordType) continue;
    const uint32_t length = static_cast<uint32_t>(static_cast<uint8_t>(header[4])) |
                            (static_cast<uint32_t>(static_cast<uint8_t>(header[5])) << 8);
    if (kHeaderSize + length > block_rest.size() - i) continue;
    const std::string_view payload(header + kHeaderSize, length);
    if (DecodeFixed32(header) == Checksum32(std::string_view(header + 6, 5), payload)) return true;
  }
  return false;
}

void Reader::ReportDamage(uint64_t drop_start) {
  assert(damage_reason_ != nullptr);
  finished_ = true;
  damaged_ = true;
  damage_ = Status::Corruption(fname_ + " at offset " + std::to_string(damage_offset_),
                               damage_reason_);
  if (reporter_ != nullptr) {
    const uint64_t end = std::max(buffer_end_offset_, drop_start);
    reporter_->Corruption(drop_start, static_cast<size_t>(end - drop_start), damage_);
  }
}

}  // namespace firn::log
