// kvtool/escape.h: byte strings as text, both ways.
//
// Keys and values are arbitrary bytes. On input, kvtool understands the
// escapes \xNN \n \t \r \0 \\ \" \' and "\ " (docs/kvtool.md); on output it
// prints a byte string in its printable form: printable ASCII and
// well-formed UTF-8 as they are, a backslash as \\, tab, newline and
// carriage return as \t \n \r, every other byte as \xNN. The printable form
// read back as input gives the same bytes.
#ifndef FIRN_TOOLS_KVTOOL_ESCAPE_H_
#define FIRN_TOOLS_KVTOOL_ESCAPE_H_

#include <string>
#include <string_view>

namespace kvtool {

// The printable form of `bytes` (see above).
std::string Printable(std::string_view bytes);
// A message for a person: like Printable, but a backslash stays as it is
// (messages quote escapes, "unknown escape \q").
std::string PrintableMessage(std::string_view text);
// Printable(bytes) in single quotes, cut after 60 bytes, for messages.
std::string Quoted(std::string_view bytes);

// Decodes the escape starting at in[*pos] (a backslash) and appends the
// byte to *out, advancing *pos past it. False with *error set for an
// unknown or incomplete escape.
bool DecodeEscape(std::string_view in, size_t* pos, std::string* out, std::string* error);
// Replaces every escape in `in`; no quoting. False with *error set.
bool Unescape(std::string_view in, std::string* out, std::string* error);

// True if `bytes` is well-formed UTF-8 (no overlong forms, no surrogates).
bool IsUtf8(std::string_view bytes);

std::string Base64Encode(std::string_view bytes);
// False if `text` is not standard base64 (padding optional).
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace kvtool

#endif  // FIRN_TOOLS_KVTOOL_ESCAPE_H_
