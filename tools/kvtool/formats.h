// kvtool/formats.h: the file formats of load and export.
//
//   tsv     one entry per line: key TAB value, each in the printable form
//           of escape.h (so tabs, newlines and any byte survive); a
//           trailing CR is dropped (files from Windows)
//   csv     RFC 4180: key,value records; a field holding a comma, quote,
//           CR or LF, or starting or ending with a space, is quoted, with
//           "" for a quote; bytes are taken as they are
//   ndjson  one JSON object per line: {"key": "...", "value": "..."}, or
//           "key_base64"/"value_base64" for bytes that are not UTF-8
// Blank lines are skipped in every format.
#ifndef FIRN_TOOLS_KVTOOL_FORMATS_H_
#define FIRN_TOOLS_KVTOOL_FORMATS_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace kvtool {

enum class Format { kTsv, kCsv, kNdjson };

// "tsv", "csv", "ndjson" (also "jsonl", "json").
bool ParseFormat(std::string_view name, Format* format);
// From a file name's extension; false if it has none of the known ones.
bool FormatFromPath(std::string_view path, Format* format);
const char* FormatName(Format format);

// Reads entries from a file (not owned; the caller closes it).
class RecordReader {
 public:
  static std::unique_ptr<RecordReader> New(Format format, FILE* in);
  virtual ~RecordReader() = default;

  // The next entry; false at the end of the input or on malformed input,
  // then error() says what and where ("line 7: no tab between key and
  // value").
  virtual bool Next(std::string* key, std::string* value) = 0;
  const std::string& error() const { return error_; }
  // Skips one line (a header row). False at the end of the input.
  bool SkipLine() {
    std::string line;
    return ReadLine(&line);
  }
  // Bytes consumed so far (for progress).
  uint64_t bytes_read() const { return bytes_read_; }

 protected:
  explicit RecordReader(FILE* in) : in_(in) {}
  // Reads one line without its LF; false at the end of the input.
  bool ReadLine(std::string* line);
  bool Fail(std::string what);

  FILE* const in_;
  uint64_t line_ = 0;  // number of the last line read
  uint64_t bytes_read_ = 0;
  std::string error_;
};

// Writes entries to a file (not owned). Errors show in ferror().
class RecordWriter {
 public:
  static std::unique_ptr<RecordWriter> New(Format format, FILE* out);
  virtual ~RecordWriter() = default;
  virtual void Write(std::string_view key, std::string_view value) = 0;
  uint64_t bytes_written() const { return bytes_written_; }

 protected:
  explicit RecordWriter(FILE* out) : out_(out) {}
  void Put(std::string_view bytes);

  FILE* const out_;
  uint64_t bytes_written_ = 0;
};

}  // namespace kvtool

#endif  // FIRN_TOOLS_KVTOOL_FORMATS_H_
