// kvtool/cmd_data.cc: the data commands: put, get, del, scan, count, batch.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "escape.h"
#include "firn/iterator.h"

namespace kvtool {

using nlohmann::json;

namespace {

// Parses args that take no flags into exactly `n` positional words.
bool Positional(Session& s, const Words& words, size_t n, const char* usage,
                std::vector<std::string>* out, int* code) {
  Args args;
  std::string error;
  if (!args.Parse(words, {}, &error)) {
    *code = s.Usage(error);
    return false;
  }
  if (args.positional().size() != n) {
    *code = s.Usage(std::string("usage: ") + usage);
    return false;
  }
  *out = args.positional();
  return true;
}

void ReportUpdate(Session& s, const char* op, std::string_view key) {
  if (!s.out().json()) return;
  json j;
  j["op"] = op;
  SetBytes(&j, "key", key);
  s.out().Object(j);
}

void PrintEntry(Output& out, std::string_view key, std::string_view value) {
  if (out.json()) {
    json j;
    SetBytes(&j, "key", key);
    SetBytes(&j, "value", value);
    out.Object(j);
  } else {
    out.Line(Printable(key) + "\t" + Printable(value));
  }
}

// The range [from, to) of scan and count.
struct Range {
  bool has_from = false, has_to = false;
  std::string from, to;
  bool Below(std::string_view key) const { return !has_to || key < std::string_view(to); }
  bool Above(std::string_view key) const { return !has_from || key >= std::string_view(from); }
};

bool ParseRange(Session& s, const Args& args, const char* usage, Range* r, int* code) {
  const auto& p = args.positional();
  if (p.size() > 2) {
    *code = s.Usage(std::string("usage: ") + usage);
    return false;
  }
  if (p.size() >= 1) {
    r->has_from = true;
    r->from = p[0];
  }
  if (p.size() == 2) {
    r->has_to = true;
    r->to = p[1];
  }
  return true;
}

// Walks the range, forward or backward, calling visit(key, value) until it
// returns false. Returns the iterator's status (or an interruption).
template <typename Visit>
firn::Status Walk(firn::DB* db, const Range& r, bool reverse, Visit visit) {
  std::unique_ptr<firn::Iterator> it(db->NewIterator(firn::ReadOptions()));
  uint64_t steps = 0;
  if (!reverse) {
    if (r.has_from) {
      it->Seek(r.from);
    } else {
      it->SeekToFirst();
    }
    for (; it->Valid() && r.Below(it->key()); it->Next()) {
      if (!visit(it->key(), it->value())) break;
      if (++steps % 1024 == 0 && Interrupted()) return firn::Status::IOError("interrupted");
    }
  } else {
    if (r.has_to) {
      it->Seek(r.to);
      if (it->Valid()) {
        it->Prev();
      } else if (it->status().ok()) {
        it->SeekToLast();
      }
    } else {
      it->SeekToLast();
    }
    for (; it->Valid() && r.Above(it->key()); it->Prev()) {
      if (!visit(it->key(), it->value())) break;
      if (++steps % 1024 == 0 && Interrupted()) return firn::Status::IOError("interrupted");
    }
  }
  return it->status();
}

}  // namespace

int CmdPut(Session& s, const Words& words) {
  std::vector<std::string> p;
  int code;
  if (!Positional(s, words, 2, "put KEY VALUE", &p, &code)) return code;
  firn::DB* db = s.Db(&code);
  if (db == nullptr) return code;
  firn::Status st = db->Put(firn::WriteOptions(), p[0], p[1]);
  if (!st.ok()) return s.Fail(st);
  ReportUpdate(s, "put", p[0]);
  return kExitOk;
}

int CmdGet(Session& s, const Words& words) {
  std::vector<std::string> p;
  int code;
  if (!Positional(s, words, 1, "get KEY", &p, &code)) return code;
  firn::DB* db = s.Db(&code);
  if (db == nullptr) return code;
  std::string value;
  firn::Status st = db->Get(firn::ReadOptions(), p[0], &value);
  if (st.IsNotFound()) {
    if (s.out().json()) {
      json j;
      SetBytes(&j, "key", p[0]);
      j["found"] = false;
      s.out().Object(j);
      return kExitNotFound;
    }
    return s.out().Error(kExitNotFound, "key not found: " + Quoted(p[0]));
  }
  if (!st.ok()) return s.Fail(st);
  if (s.out().json()) {
    json j;
    SetBytes(&j, "key", p[0]);
    j["found"] = true;
    SetBytes(&j, "value", value);
    s.out().Object(j);
  } else {
    s.out().Line(Printable(value));
  }
  return kExitOk;
}

int CmdDel(Session& s, const Words& words) {
  std::vector<std::string> p;
  int code;
  if (!Positional(s, words, 1, "del KEY", &p, &code)) return code;
  firn::DB* db = s.Db(&code);
  if (db == nullptr) return code;
  firn::Status st = db->Delete(firn::WriteOptions(), p[0]);
  if (!st.ok()) return s.Fail(st);
  ReportUpdate(s, "del", p[0]);
  return kExitOk;
}

int CmdScan(Session& s, const Words& words) {
  static const char kUsage[] = "scan [FROM [TO]] [--limit N] [--reverse]";
  Args args;
  std::string error;
  if (!args.Parse(words, {{"limit", true}, {"reverse", false}}, &error)) return s.Usage(error);
  uint64_t limit;
  if (!args.Count("limit", UINT64_MAX, &limit, &error)) return s.Usage(error);
  Range range;
  int code;
  if (!ParseRange(s, args, kUsage, &range, &code)) return code;
  firn::DB* db = s.Db(&code);
  if (db == nullptr) return code;
  uint64_t n = 0;
  firn::Status st =
      Walk(db, range, args.Has("reverse"), [&](std::string_view k, std::string_view v) {
        if (n >= limit) return false;
        PrintEntry(s.out(), k, v);
        return ++n < limit;
      });
  if (Interrupted()) return s.Usage("interrupted");
  if (!st.ok()) return s.Fail(st);
  return kExitOk;
}

int CmdCount(Session& s, const Words& words) {
  Args args;
  std::string error;
  if (!args.Parse(words, {}, &error)) return s.Usage(error);
  Range range;
  int code;
  if (!ParseRange(s, args, "count [FROM [TO]]", &range, &code)) return code;
  firn::DB* db = s.Db(&code);
  if (db == nullptr) return code;
  uint64_t n = 0;
  firn::Status st = Walk(db, range, false, [&](std::string_view, std::string_view) {
    n++;
    return true;
  });
  if (Interrupted()) return s.Usage("interrupted");
  if (!st.ok()) return s.Fail(st);
  if (s.out().json()) {
    json j;
    j["count"] = n;
    s.out().Object(j);
  } else {
    s.out().Line(std::to_string(n));
  }
  return kExitOk;
}

namespace {

// Adds one "put K V" / "del K" update from words[*i...] to the batch.
bool AddUpdate(const Words& words, size_t* i, Session::PendingBatch* b, std::string* error) {
  const std::string& op = words[*i].text;
  if (op == "put") {
    if (*i + 2 >= words.size()) {
      *error = "put needs a key and a value";
      return false;
    }
    b->batch.Put(words[*i + 1].text, words[*i + 2].text);
    b->puts++;
    *i += 3;
  } else if (op == "del" || op == "delete") {
    if (*i + 1 >= words.size()) {
      *error = "del needs a key";
      return false;
    }
    b->batch.Delete(words[*i + 1].text);
    b->deletes++;
    *i += 2;
  } else {
    *error = "expected put or del, got '" + Printable(op) + "'";
    return false;
  }
  return true;
}

int ApplyBatch(Session& s, const Session::PendingBatch& b) {
  int code;
  firn::DB* db = s.Db(&code);
  if (db == nullptr) return code;
  firn::Status st = db->Write(firn::WriteOptions(), b.batch);
  if (!st.ok()) return s.Fail(st);
  if (s.out().json()) {
    json j;
    j["op"] = "batch";
    j["puts"] = b.puts;
    j["deletes"] = b.deletes;
    s.out().Object(j);
  }
  return kExitOk;
}

}  // namespace

int CmdBatch(Session& s, const Words& words) {
  if (words.empty()) {
    s.BeginBatch();
    return kExitOk;
  }
  Session::PendingBatch b;
  for (size_t i = 0; i < words.size();) {
    std::string error;
    if (!AddUpdate(words, &i, &b, &error)) {
      return s.Usage(error + "; nothing applied (usage: batch put K V | del K ...)");
    }
  }
  return ApplyBatch(s, b);
}

int BatchLine(Session& s, const Words& words) {
  Session::PendingBatch* b = s.batch();
  const std::string& op = words[0].text;
  if (words.size() == 1 && (op == "end" || op == "commit")) {
    std::unique_ptr<Session::PendingBatch> done = s.TakeBatch();
    if (done->bad_lines > 0 && !s.interactive()) {
      return s.Usage(std::to_string(done->bad_lines) +
                     " line(s) of the batch were malformed; nothing applied");
    }
    return ApplyBatch(s, *done);
  }
  if (words.size() == 1 && op == "abort") {
    s.EndBatch();
    return kExitOk;
  }
  size_t i = 0;
  std::string error;
  Session::PendingBatch line;
  if (!AddUpdate(words, &i, &line, &error) || i != words.size()) {
    if (error.empty()) error = "one update per line";
    b->bad_lines++;
    return s.Usage(error + " (batch lines: put K V, del K, end, abort)" +
                   (s.interactive() ? "; line left out" : ""));
  }
  b->batch.Append(line.batch);
  b->puts += line.puts;
  b->deletes += line.deletes;
  return kExitOk;
}

}  // namespace kvtool
