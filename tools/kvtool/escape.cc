// kvtool/escape.cc: see escape.h.
#include "escape.h"

#include <cstdint>

namespace kvtool {

namespace {

constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the well-formed UTF-8 sequence at s[i] encoding a code point
// of at least U+00A0 (so no C1 control), or 0.
size_t Utf8PrintableLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  size_t n;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0) return 0;
  return n;
}

// The printable form; backslashes escaped or left alone.
std::string Escaped(std::string_view bytes, bool escape_backslash) {
  std::string r;
  r.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && (c != '\\' || !escape_backslash)) {
      r.push_back(static_cast<char>(c));
      i++;
      continue;
    }
    if (c >= 0x80) {
      const size_t n = Utf8PrintableLength(bytes, i);
      if (n > 0) {
        r.append(bytes.substr(i, n));
        i += n;
        continue;
      }
    }
    switch (c) {
      case '\\':
        r += "\\\\";
        break;
      case '\n':
        r += "\\n";
        break;
      case '\t':
        r += "\\t";
        break;
      case '\r':
        r += "\\r";
        break;
      default:
        r += "\\x";
        r.push_back(kHex[c >> 4]);
        r.push_back(kHex[c & 15]);
    }
    i++;
  }
  return r;
}

}  // namespace

std::string Printable(std::string_view bytes) { return Escaped(bytes, true); }
std::string PrintableMessage(std::string_view text) { return Escaped(text, false); }

std::string Quoted(std::string_view bytes) {
  constexpr size_t kMax = 60;
  if (bytes.size() > kMax) return "'" + Printable(bytes.substr(0, kMax)) + "...'";
  return "'" + Printable(bytes) + "'";
}

bool DecodeEscape(std::string_view in, size_t* pos, std::string* out, std::string* error) {
  size_t i = *pos + 1;
  if (i >= in.size()) {
    *error = "a backslash ends the word (write \\\\ for a backslash)";
    return false;
  }
  const char c = in[i];
  switch (c) {
    case 'n':
      out->push_back('\n');
      break;
    case 't':
      out->push_back('\t');
      break;
    case 'r':
      out->push_back('\r');
      break;
    case '0':
      out->push_back('\0');
      break;
    case '\\':
    case '"':
    case '\'':
    case ' ':
      out->push_back(c);
      break;
    case 'x': {
      if (i + 2 >= in.size()) {
        *error = "\\x needs two hex digits";
        return false;
      }
      const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) {
        *error = "\\x needs two hex digits";
        return false;
      }
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
      break;
    }
    default:
      *error = std::string("unknown escape \\") + c;
      return false;
  }
  *pos = i + 1;
  return true;
}

bool Unescape(std::string_view in, std::string* out, std::string* error) {
  out->clear();
  for (size_t i = 0; i < in.size();) {
    if (in[i] == '\\') {
      if (!DecodeEscape(in, &i, out, error)) return false;
    } else {
      out->push_back(in[i++]);
    }
  }
  return true;
}

bool IsUtf8(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      i++;
      continue;
    }
    // Accept C1 controls too: they are valid UTF-8, only not printable.
    if (c == 0xc2 && i + 1 < bytes.size()) {
      const unsigned char d = static_cast<unsigned char>(bytes[i + 1]);
      if (d >= 0x80 && d < 0xa0) {
        i += 2;
        continue;
      }
    }
    const size_t n = Utf8PrintableLength(bytes, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string r;
  r.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    r.push_back(kAlphabet[v >> 18]);
    r.push_back(kAlphabet[(v >> 12) & 63]);
    r.push_back(kAlphabet[(v >> 6) & 63]);
    r.push_back(kAlphabet[v & 63]);
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    r.push_back(kAlphabet[v >> 18]);
    r.push_back(kAlphabet[(v >> 12) & 63]);
    r.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
    r.push_back('=');
  }
  return r;
}

bool Base64Decode(std::string_view text, std::string* out) {
  out->clear();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else {
      return false;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be padding zeros, and 6 leftover bits is no encoding.
  return bits < 6 && (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace kvtool
