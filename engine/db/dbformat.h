// db/dbformat.h: the internal key, shared by memtable, SST files,
// compaction and reads.
//
// An internal key is   user_key | tag   where tag is a fixed64 (little
// endian) holding (sequence << 8) | type. Internal keys sort by user key
// ascending (bytewise, unsigned), then by sequence descending, then by type
// descending, so the newest version of a key comes first.
// Sequence numbers are assigned per update in write order; 0 is never used
// by a live write (kMaxSequenceNumber is the largest).
#ifndef FIRN_DB_DBFORMAT_H_
#define FIRN_DB_DBFORMAT_H_

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/coding.h"

namespace firn {

using SequenceNumber = uint64_t;
constexpr SequenceNumber kMaxSequenceNumber = (1ull << 56) - 1;

// Stored in files: never renumber.
enum ValueType : uint8_t {
  kTypeDeletion = 0x0,
  kTypeValue = 0x1,
};
// Seek keys use the highest type so they sort before every entry with the
// same user key and sequence.
constexpr ValueType kValueTypeForSeek = kTypeValue;

constexpr size_t kInternalKeyTagBytes = 8;

inline uint64_t PackSequenceAndType(SequenceNumber seq, ValueType t) {
  assert(seq <= kMaxSequenceNumber);
  return (seq << 8) | t;
}

// Appends user_key|tag to *dst.
inline void AppendInternalKey(std::string* dst, std::string_view user_key,
                              SequenceNumber seq, ValueType t) {
  dst->append(user_key.data(), user_key.size());
  PutFixed64(dst, PackSequenceAndType(seq, t));
}

inline std::string MakeInternalKey(std::string_view user_key, SequenceNumber seq,
                                   ValueType t) {
  std::string k;
  k.reserve(user_key.size() + kInternalKeyTagBytes);
  AppendInternalKey(&k, user_key, seq, t);
  return k;
}

// REQUIRES: ikey.size() >= 8 for the three extractors below.
inline std::string_view ExtractUserKey(std::string_view ikey) {
  assert(ikey.size() >= kInternalKeyTagBytes);
  return ikey.substr(0, ikey.size() - kInternalKeyTagBytes);
}
inline uint64_t ExtractTag(std::string_view ikey) {
  return DecodeFixed64(ikey.data() + ikey.size() - kInternalKeyTagBytes);
}
inline SequenceNumber ExtractSequence(std::string_view ikey) { return ExtractTag(ikey) >> 8; }
inline ValueType ExtractValueType(std::string_view ikey) {
  return static_cast<ValueType>(ExtractTag(ikey) & 0xff);
}

struct ParsedInternalKey {
  std::string_view user_key;
  SequenceNumber sequence = 0;
  ValueType type = kTypeValue;
};

// False if ikey is too short or has an unknown type (corruption).
inline bool ParseInternalKey(std::string_view ikey, ParsedInternalKey* result) {
  if (ikey.size() < kInternalKeyTagBytes) return false;
  uint64_t tag = ExtractTag(ikey);
  uint8_t t = static_cast<uint8_t>(tag & 0xff);
  result->user_key = ExtractUserKey(ikey);
  result->sequence = tag >> 8;
  result->type = static_cast<ValueType>(t);
  return t <= kTypeValue;
}

// Bytewise comparison of user keys (unsigned bytes, shorter prefix first).
inline int CompareUserKey(std::string_view a, std::string_view b) { return a.compare(b); }

// Total order on internal keys described at the top of this file.
inline int CompareInternalKey(std::string_view a, std::string_view b) {
  int r = CompareUserKey(ExtractUserKey(a), ExtractUserKey(b));
  if (r != 0) return r;
  uint64_t ta = ExtractTag(a), tb = ExtractTag(b);
  if (ta > tb) return -1;
  if (ta < tb) return 1;
  return 0;
}

// A key for looking up user_key as of sequence `seq`: sorts before every
// version of user_key with sequence <= seq.
inline std::string MakeLookupKey(std::string_view user_key, SequenceNumber seq) {
  return MakeInternalKey(user_key, seq, kValueTypeForSeek);
}

}  // namespace firn

#endif  // FIRN_DB_DBFORMAT_H_
