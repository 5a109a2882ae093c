// kvtool/cmd_transfer.cc: load and export (formats in formats.h).
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "escape.h"
#include "firn/iterator.h"
#include "formats.h"
#include "progress.h"

namespace kvtool {

using nlohmann::json;

namespace {

// Entries per write batch while loading, and bytes.
constexpr uint32_t kLoadBatchEntries = 1000;
constexpr size_t kLoadBatchBytes = 1 << 20;

bool ChooseFormat(Session& s, const Args& args, const std::string& path, bool have_default,
                  Format* format, int* code) {
  if (const std::string* name = args.Value("format")) {
    if (!ParseFormat(*name, format)) {
      *code = s.Usage("unknown format '" + *name + "' (tsv, csv or ndjson)");
      return false;
    }
    return true;
  }
  if (!path.empty() && path != "-" && FormatFromPath(path, format)) return true;
  if (have_default) {
    *format = Format::kNdjson;
    return true;
  }
  *code = s.Usage("cannot tell the format of '" + path +
                  "' from its name: give --format tsv, csv or ndjson");
  return false;
}

uint64_t FileSize(FILE* f) {
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size);
  return 0;
}

}  // namespace

int CmdLoad(Session& s, const Words& words) {
  static const char kUsage[] = "usage: load FILE [--format tsv|csv|ndjson] [--skip-header]";
  Args args;
  std::string error;
  if (!args.Parse(words, {{"format", true}, {"skip-header", false}}, &error)) {
    return s.Usage(error);
  }
  if (args.positional().size() != 1) return s.Usage(kUsage);
  const std::string path = args.positional()[0];
  Format format;
  int code;
  if (!ChooseFormat(s, args, path, false, &format, &code)) return code;
  FILE* in = stdin;
  if (path == "-") {
    if (s.stdin_is_commands()) {
      return s.Usage("standard input carries the commands here; load from a file");
    }
  } else {
    in = std::fopen(path.c_str(), "rb");
    if (in == nullptr) return s.Usage("cannot read " + path + ": " + std::strerror(errno));
  }
  struct Closer {
    FILE* f;
    ~Closer() {
      if (f != stdin) std::fclose(f);
    }
  } closer{in};

  firn::DB* db = s.Db(&code);
  if (db == nullptr) return code;
  std::unique_ptr<RecordReader> reader = RecordReader::New(format, in);
  if (args.Has("skip-header")) reader->SkipLine();
  const uint64_t total = FileSize(in);
  ProgressBar bar("load");
  firn::WriteBatch batch;
  uint64_t entries = 0, pending = 0, bytes = 0;
  auto apply = [&]() -> firn::Status {
    if (pending == 0) return firn::Status::OK();
    firn::Status st = db->Write(firn::WriteOptions(), batch);
    if (st.ok()) entries += pending;
    batch.Clear();
    pending = 0;
    bar.Update(reader->bytes_read(), total);
    return st;
  };
  std::string key, value;
  while (reader->Next(&key, &value)) {
    batch.Put(key, value);
    bytes += key.size() + value.size();
    if (++pending >= kLoadBatchEntries || batch.ApproximateSize() >= kLoadBatchBytes) {
      firn::Status st = apply();
      if (!st.ok()) return s.Fail(st);
      if (Interrupted()) {
        bar.Done();
        return s.Usage("interrupted after " + std::to_string(entries) + " entries");
      }
    }
  }
  const bool read_error = std::ferror(in) != 0;
  firn::Status st = apply();
  bar.Done();
  if (!st.ok()) return s.Fail(st);
  const std::string where = path == "-" ? "standard input" : path;
  if (!reader->error().empty()) {
    return s.Usage(where + " " + reader->error() + "; " + std::to_string(entries) +
                   " entries before it were loaded");
  }
  if (read_error) {
    return s.Usage("error reading " + where + " after " + std::to_string(entries) + " entries");
  }
  if (s.out().json()) {
    json j = {
        {"op", "load"}, {"entries", entries}, {"bytes", bytes}, {"format", FormatName(format)}};
    s.out().Object(j);
  } else {
    s.out().Line("loaded " + std::to_string(entries) + " entries (" + HumanBytes(bytes) +
                 ") from " + Printable(where));
  }
  return kExitOk;
}

int CmdExport(Session& s, const Words& words) {
  static const char kUsage[] = "usage: export [FILE] [--format ndjson|tsv|csv]";
  Args args;
  std::string error;
  if (!args.Parse(words, {{"format", true}}, &error)) return s.Usage(error);
  if (args.positional().size() > 1) return s.Usage(kUsage);
  const std::string path = args.positional().empty() ? "" : args.positional()[0];
  const bool to_stdout = path.empty() || path == "-";
  Format format;
  int code;
  if (!ChooseFormat(s, args, path, true, &format, &code)) return code;
  firn::DB* db = s.Db(&code);
  if (db == nullptr) return code;

  // What there is, roughly, for the progress bar.
  uint64_t estimate = 0;
  std::string stats;
  if (db->GetProperty("firn.stats.json", &stats)) {
    json j = json::parse(stats, nullptr, false);
    if (j.is_object()) {
      estimate = j.value("live_bytes", uint64_t{0}) + j.value("memtable_bytes", uint64_t{0});
    }
  }
  FILE* out = stdout;
  if (!to_stdout) {
    out = std::fopen(path.c_str(), "wb");
    if (out == nullptr) return s.Usage("cannot write " + path + ": " + std::strerror(errno));
  }
  std::unique_ptr<RecordWriter> writer = RecordWriter::New(format, out);
  ProgressBar bar("export");
  uint64_t entries = 0;
  std::unique_ptr<firn::Iterator> it(db->NewIterator(firn::ReadOptions()));
  bool interrupted = false;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    writer->Write(it->key(), it->value());
    if (++entries % 1024 == 0) {
      bar.Update(writer->bytes_written(), std::max(estimate, writer->bytes_written() + 1));
      if (Interrupted()) {
        interrupted = true;
        break;
      }
    }
  }
  bar.Done();
  const firn::Status st = it->status();
  it.reset();
  const bool write_failed = std::fflush(out) != 0 || std::ferror(out) != 0;
  const bool close_failed = !to_stdout && std::fclose(out) != 0;
  if (!st.ok()) return s.Fail(st);
  const std::string where = to_stdout ? "standard output" : path;
  if (write_failed || close_failed) {
    return s.out().Error(kExitDbError, "writing " + where + " failed: " + std::strerror(errno));
  }
  if (interrupted) return s.Usage("interrupted after " + std::to_string(entries) + " entries");
  if (to_stdout) return kExitOk;  // the data is the output
  if (s.out().json()) {
    json j = {
        {"op", "export"}, {"entries", entries}, {"file", path}, {"format", FormatName(format)}};
    s.out().Object(j);
  } else {
    s.out().Line("exported " + std::to_string(entries) + " entries to " + Printable(path) + " (" +
                 FormatName(format) + ")");
  }
  return kExitOk;
}

}  // namespace kvtool
