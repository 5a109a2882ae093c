// util/coding.h: little-endian fixed-width and varint encodings used by
// every on-disk format (docs/format-*.md). All formats are little-endian
// regardless of the host, so files move between x86-64 and ARM.
#ifndef FIRN_UTIL_CODING_H_
#define FIRN_UTIL_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace firn {

void PutFixed32(std::string* dst, uint32_t value);
void PutFixed64(std::string* dst, uint64_t value);
void PutVarint32(std::string* dst, uint32_t value);
void PutVarint64(std::string* dst, uint64_t value);
// varint32 length, then the bytes.
void PutLengthPrefixed(std::string* dst, std::string_view value);

// Each Get* consumes from the front of *input; false (input unspecified) if
// the input is too short or malformed.
bool GetFixed32(std::string_view* input, uint32_t* value);
bool GetFixed64(std::string_view* input, uint64_t* value);
bool GetVarint32(std::string_view* input, uint32_t* value);
bool GetVarint64(std::string_view* input, uint64_t* value);
bool GetLengthPrefixed(std::string_view* input, std::string_view* result);

// Pointer-based varint decoding: returns the byte after the value, or
// nullptr if [p, limit) holds no complete varint.
// Hot path (memtable and block key comparisons): the one-byte case is
// inline, the rest is in GetVarint32PtrFallback.
const char* GetVarint32PtrFallback(const char* p, const char* limit, uint32_t* value);
inline const char* GetVarint32Ptr(const char* p, const char* limit, uint32_t* value) {
  if (p < limit) {
    const uint32_t byte = static_cast<uint8_t>(*p);
    if ((byte & 0x80) == 0) {
      *value = byte;
      return p + 1;
    }
  }
  return GetVarint32PtrFallback(p, limit, value);
}
const char* GetVarint64Ptr(const char* p, const char* limit, uint64_t* value);

// Writes a varint at dst; returns the byte after it (at most 5/10 bytes).
char* EncodeVarint32(char* dst, uint32_t value);
char* EncodeVarint64(char* dst, uint64_t value);
int VarintLength(uint64_t value);

inline void EncodeFixed32(char* dst, uint32_t value) {
  uint8_t* b = reinterpret_cast<uint8_t*>(dst);
  b[0] = static_cast<uint8_t>(value);
  b[1] = static_cast<uint8_t>(value >> 8);
  b[2] = static_cast<uint8_t>(value >> 16);
  b[3] = static_cast<uint8_t>(value >> 24);
}

inline void EncodeFixed64(char* dst, uint64_t value) {
  EncodeFixed32(dst, static_cast<uint32_t>(value));
  EncodeFixed32(dst + 4, static_cast<uint32_t>(value >> 32));
}

inline uint32_t DecodeFixed32(const char* ptr) {
  const uint8_t* b = reinterpret_cast<const uint8_t*>(ptr);
  return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
         (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
}

inline uint64_t DecodeFixed64(const char* ptr) {
  return static_cast<uint64_t>(DecodeFixed32(ptr)) |
         (static_cast<uint64_t>(DecodeFixed32(ptr + 4)) << 32);
}

}  // namespace firn

#endif  // FIRN_UTIL_CODING_H_
