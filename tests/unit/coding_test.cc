// Tests of util/coding.h.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "util/coding.h"

namespace firn {
namespace {

std::vector<uint32_t> Varint32Boundaries() {
  std::vector<uint32_t> v = {0, 1, std::numeric_limits<uint32_t>::max()};
  for (int bits = 7; bits < 32; bits += 7) {
    const uint32_t p = uint32_t{1} << bits;
    v.insert(v.end(), {p - 1, p, p + 1});
  }
  return v;
}

std::vector<uint64_t> Varint64Boundaries() {
  std::vector<uint64_t> v = {0, 1, std::numeric_limits<uint64_t>::max()};
  for (int bits = 7; bits < 64; bits += 7) {
    const uint64_t p = uint64_t{1} << bits;
    v.insert(v.end(), {p - 1, p, p + 1});
  }
  for (int bits : {31, 32, 33, 63}) v.push_back(uint64_t{1} << bits);
  return v;
}

TEST_CASE("Coding: fixed-width values are little-endian") {
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0c0b0a0908070605ull);
  CHECK(s == std::string_view("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12));
}

TEST_CASE("Coding: fixed32 and fixed64 round trip at boundary values") {
  std::string s;
  const std::vector<uint32_t> v32 = {0, 1, 0x7fffffffu, 0x80000000u, 0xffffffffu, 0xdeadbeefu};
  const std::vector<uint64_t> v64 = {0, 1, 0xffffffffull, 0x100000000ull,
                                     0x8000000000000000ull, 0xffffffffffffffffull};
  for (uint32_t v : v32) PutFixed32(&s, v);
  for (uint64_t v : v64) PutFixed64(&s, v);
  std::string_view in(s);
  for (uint32_t v : v32) {
    uint32_t got = 0;
    REQUIRE(GetFixed32(&in, &got));
    CHECK(got == v);
  }
  for (uint64_t v : v64) {
    uint64_t got = 0;
    REQUIRE(GetFixed64(&in, &got));
    CHECK(got == v);
  }
  CHECK(in.empty());
}

TEST_CASE("Coding: varint32 round trips at boundary values") {
  for (uint32_t v : Varint32Boundaries()) {
    CAPTURE(v);
    std::string s;
    PutVarint32(&s, v);
    CHECK(static_cast<int>(s.size()) == VarintLength(v));
    std::string_view in(s);
    uint32_t got = 0;
    REQUIRE(GetVarint32(&in, &got));
    CHECK(got == v);
    CHECK(in.empty());
    // Pointer form stops at the same byte.
    uint32_t got2 = 0;
    CHECK(GetVarint32Ptr(s.data(), s.data() + s.size(), &got2) == s.data() + s.size());
    CHECK(got2 == v);
  }
}

TEST_CASE("Coding: varint64 round trips at boundary values") {
  for (uint64_t v : Varint64Boundaries()) {
    CAPTURE(v);
    std::string s;
    PutVarint64(&s, v);
    CHECK(static_cast<int>(s.size()) == VarintLength(v));
    std::string_view in(s);
    uint64_t got = 0;
    REQUIRE(GetVarint64(&in, &got));
    CHECK(got == v);
    CHECK(in.empty());
  }
}

TEST_CASE("Coding: varint lengths at the 7-bit steps") {
  CHECK(VarintLength(0) == 1);
  CHECK(VarintLength(127) == 1);
  CHECK(VarintLength(128) == 2);
  CHECK(VarintLength(16383) == 2);
  CHECK(VarintLength(16384) == 3);
  CHECK(VarintLength(std::numeric_limits<uint32_t>::max()) == 5);
  CHECK(VarintLength(std::numeric_limits<uint64_t>::max()) == 10);
}

TEST_CASE("Coding: truncated varints fail") {
  for (uint64_t v : Varint64Boundaries()) {
    std::string s;
    PutVarint64(&s, v);
    for (size_t len = 0; len < s.size(); len++) {
      CAPTURE(v);
      CAPTURE(len);
      std::string_view in(s.data(), len);
      uint64_t got64 = 0;
      CHECK_FALSE(GetVarint64(&in, &got64));
      CHECK(GetVarint64Ptr(s.data(), s.data() + len, &got64) == nullptr);
    }
  }
  for (uint32_t v : Varint32Boundaries()) {
    std::string s;
    PutVarint32(&s, v);
    for (size_t len = 0; len < s.size(); len++) {
      std::string_view in(s.data(), len);
      uint32_t got32 = 0;
      CHECK_FALSE(GetVarint32(&in, &got32));
    }
  }
}

TEST_CASE("Coding: over-long varints fail") {
  // Six continuation bytes cannot be a varint32; eleven cannot be a varint64.
  const std::string six(6, '\x80');
  std::string_view in(six);
  uint32_t v32 = 0;
  CHECK_FALSE(GetVarint32(&in, &v32));
  const std::string eleven = std::string(10, '\xff') + '\x01';
  std::string_view in64(eleven);
  uint64_t v64 = 0;
  CHECK_FALSE(GetVarint64(&in64, &v64));
}

TEST_CASE("Coding: length-prefixed strings round trip and fail on short input") {
  std::string s;
  PutLengthPrefixed(&s, "");
  PutLengthPrefixed(&s, "hello");
  PutLengthPrefixed(&s, std::string(300, 'x'));  // two-byte length
  std::string_view in(s);
  std::string_view out;
  REQUIRE(GetLengthPrefixed(&in, &out));
  CHECK(out.empty());
  REQUIRE(GetLengthPrefixed(&in, &out));
  CHECK(out == "hello");
  REQUIRE(GetLengthPrefixed(&in, &out));
  CHECK(out == std::string(300, 'x'));
  CHECK(in.empty());

  // Any proper prefix of an encoded string fails.
  std::string one;
  PutLengthPrefixed(&one, std::string(200, 'y'));
  for (size_t len = 0; len < one.size(); len++) {
    CAPTURE(len);
    std::string_view short_in(one.data(), len);
    CHECK_FALSE(GetLengthPrefixed(&short_in, &out));
  }
}

TEST_CASE("Coding: fixed-width reads fail on short input") {
  const std::string s(7, '\x01');
  std::string_view in3(s.data(), 3);
  uint32_t v32 = 0;
  CHECK_FALSE(GetFixed32(&in3, &v32));
  std::string_view in7(s);
  uint64_t v64 = 0;
  CHECK_FALSE(GetFixed64(&in7, &v64));
}

}  // namespace
}  // namespace firn
