// kvtool/formats.cc: see formats.h.
#include "formats.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "escape.h"
#include "output.h"

namespace kvtool {

using nlohmann::json;

bool ParseFormat(std::string_view name, Format* format) {
  if (name == "tsv") {
    *format = Format::kTsv;
  } else if (name == "csv") {
    *format = Format::kCsv;
  } else if (name == "ndjson" || name == "jsonl" || name == "json") {
    *format = Format::kNdjson;
  } else {
    return false;
  }
  return true;
}

bool FormatFromPath(std::string_view path, Format* format) {
  const size_t dot = path.rfind('.');
  const size_t slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return false;
  }
  return ParseFormat(path.substr(dot + 1), format);
}

const char* FormatName(Format format) {
  switch (format) {
    case Format::kTsv:
      return "tsv";
    case Format::kCsv:
      return "csv";
    case Format::kNdjson:
      return "ndjson";
  }
  return "?";
}

bool RecordReader::ReadLine(std::string* line) {
  line->clear();
  int c;
  bool any = false;
  while ((c = std::getc(in_)) != EOF) {
    any = true;
    bytes_read_++;
    if (c == '\n') break;
    line->push_back(static_cast<char>(c));
  }
  if (!any) return false;
  line_++;
  return true;
}

bool RecordReader::Fail(std::string what) {
  error_ = "line " + std::to_string(line_) + ": " + std::move(what);
  return false;
}

void RecordWriter::Put(std::string_view bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), out_);
  bytes_written_ += bytes.size();
}

namespace {

class TsvReader final : public RecordReader {
 public:
  explicit TsvReader(FILE* in) : RecordReader(in) {}
  bool Next(std::string* key, std::string* value) override {
    std::string line;
    do {
      if (!ReadLine(&line)) return false;
      if (!line.empty() && line.back() == '\r') line.pop_back();
    } while (line.empty());
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) return Fail("no tab between key and value");
    if (line.find('\t', tab + 1) != std::string::npos) {
      return Fail("more than one tab (write a tab inside a key or value as \\t)");
    }
    std::string error;
    if (!Unescape(std::string_view(line).substr(0, tab), key, &error)) return Fail("key: " + error);
    if (!Unescape(std::string_view(line).substr(tab + 1), value, &error)) {
      return Fail("value: " + error);
    }
    return true;
  }
};

class TsvWriter final : public RecordWriter {
 public:
  explicit TsvWriter(FILE* out) : RecordWriter(out) {}
  void Write(std::string_view key, std::string_view value) override {
    Put(Printable(key) + "\t" + Printable(value) + "\n");
  }
};

class CsvReader final : public RecordReader {
 public:
  explicit CsvReader(FILE* in) : RecordReader(in) {}
  bool Next(std::string* key, std::string* value) override {
    std::vector<std::string> fields;
    for (;;) {
      bool eof = false;
      if (!ReadRecord(&fields, &eof) || eof) return false;
      if (fields.size() == 1 && fields[0].empty() && !quoted_) continue;  // blank line
      break;
    }
    if (fields.size() != 2) {
      return Fail("expected 2 fields (key,value), found " + std::to_string(fields.size()));
    }
    *key = std::move(fields[0]);
    *value = std::move(fields[1]);
    return true;
  }

 private:
  int Get() {
    const int c = std::getc(in_);
    if (c != EOF) bytes_read_++;
    if (c == '\n') newlines_++;
    return c;
  }
  // Reads one record (which may span lines inside quotes); line_ is the
  // line it starts on. *eof when the input ended before it began.
  bool ReadRecord(std::vector<std::string>* fields, bool* eof) {
    fields->assign(1, std::string());
    quoted_ = false;
    line_ = newlines_ + 1;
    int c = Get();
    if (c == EOF) {
      *eof = true;
      return true;
    }
    bool in_quotes = false, field_quoted = false, after_quote = false;
    for (;; c = Get()) {
      if (in_quotes) {
        if (c == EOF) return Fail("a quoted field is not closed");
        if (c == '"') {
          in_quotes = false;
          after_quote = true;
        } else {
          fields->back().push_back(static_cast<char>(c));
        }
        continue;
      }
      if (c == EOF || c == '\n') {
        if (!field_quoted && !fields->back().empty() && fields->back().back() == '\r') {
          fields->back().pop_back();
        }
        return true;
      }
      if (c == '\r' && after_quote) continue;  // CRLF after a quoted field
      if (c == ',') {
        fields->emplace_back();
        field_quoted = after_quote = false;
      } else if (c == '"') {
        if (after_quote) {  // "" inside a quoted field
          fields->back().push_back('"');
          in_quotes = true;
          after_quote = false;
        } else if (fields->back().empty() && !field_quoted) {
          in_quotes = field_quoted = quoted_ = true;
        } else {
          return Fail("a quote inside an unquoted field (quote the field and double the quote)");
        }
      } else {
        if (after_quote) return Fail("text after a closing quote");
        fields->back().push_back(static_cast<char>(c));
      }
    }
  }

  uint64_t newlines_ = 0;
  bool quoted_ = false;  // some field of the last record was quoted
};

class CsvWriter final : public RecordWriter {
 public:
  explicit CsvWriter(FILE* out) : RecordWriter(out) {}
  void Write(std::string_view key, std::string_view value) override {
    std::string line = Field(key) + "," + Field(value) + "\n";
    Put(line);
  }

 private:
  static std::string Field(std::string_view f) {
    const bool quote = f.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!f.empty() && (f.front() == ' ' || f.back() == ' '));
    if (!quote) return std::string(f);
    std::string r = "\"";
    for (char c : f) {
      if (c == '"') r.push_back('"');
      r.push_back(c);
    }
    r.push_back('"');
    return r;
  }
};

class NdjsonReader final : public RecordReader {
 public:
  explicit NdjsonReader(FILE* in) : RecordReader(in) {}
  bool Next(std::string* key, std::string* value) override {
    std::string line;
    do {
      if (!ReadLine(&line)) return false;
    } while (line.find_first_not_of(" \t\r") == std::string::npos);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      return Fail(std::string("not JSON: ") + e.what());
    }
    if (!j.is_object()) return Fail("not a JSON object");
    std::string error;
    if (!GetBytes(j, "key", key, &error) || !GetBytes(j, "value", value, &error)) {
      return Fail(error);
    }
    return true;
  }
};

class NdjsonWriter final : public RecordWriter {
 public:
  explicit NdjsonWriter(FILE* out) : RecordWriter(out) {}
  void Write(std::string_view key, std::string_view value) override {
    json j;
    SetBytes(&j, "key", key);
    SetBytes(&j, "value", value);
    Put(j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
  }
};

}  // namespace

std::unique_ptr<RecordReader> RecordReader::New(Format format, FILE* in) {
  switch (format) {
    case Format::kTsv:
      return std::make_unique<TsvReader>(in);
    case Format::kCsv:
      return std::make_unique<CsvReader>(in);
    case Format::kNdjson:
      return std::make_unique<NdjsonReader>(in);
  }
  return nullptr;
}

std::unique_ptr<RecordWriter> RecordWriter::New(Format format, FILE* out) {
  switch (format) {
    case Format::kTsv:
      return std::make_unique<TsvWriter>(out);
    case Format::kCsv:
      return std::make_unique<CsvWriter>(out);
    case Format::kNdjson:
      return std::make_unique<NdjsonWriter>(out);
  }
  return nullptr;
}

}  // namespace kvtool
