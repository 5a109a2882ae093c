// Tests of kvtool run as a child process: single commands and scripts on
// standard input, every command, binary keys with escapes, --json, exit
// codes and error lines, load/export round trips, verify and repair of a
// damaged database. (The interactive shell is tested in pty_test.cc.)
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "firn/db.h"
#include "harness.h"

using kvtest::Kvtool;
using kvtest::Lines;
using kvtest::Run;
using kvtest::TempDir;
using nlohmann::json;

namespace {

// Runs kvtool on the database "db" inside dir.
Run K(const TempDir& dir, std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), {"--db", dir / "db"});
  return Kvtool(args, input);
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Every line of stdout parsed as JSON.
std::vector<json> JsonLines(const std::string& out) {
  std::vector<json> r;
  for (const std::string& line : Lines(out)) {
    json j = json::parse(line, nullptr, false);
    REQUIRE_MESSAGE(!j.is_discarded(), "not JSON: " << line);
    r.push_back(j);
  }
  return r;
}

// An error report: exactly one line on stderr.
void CheckOneErrorLine(const Run& r, const std::string& cause) {
  CHECK_MESSAGE(Lines(r.err).size() == 1, r.err);
  CHECK_MESSAGE(r.err.starts_with("kvtool: "), r.err);
  CHECK_MESSAGE(Contains(r.err, cause), r.err);
}

}  // namespace

TEST_CASE("SingleCommandsPutGetDelAndExitCodes") {
  TempDir d;
  Run r = K(d, {"put", "apple", "red"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
  r = K(d, {"get", "apple"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "red\n");
  r = K(d, {"del", "apple"});
  CHECK(r.exit_code == 0);
  r = K(d, {"get", "apple"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CheckOneErrorLine(r, "get: key not found: 'apple'");
  // The default database is ./firn-data, created if missing: the DB path
  // given is created too.
  CHECK(std::filesystem::exists(d / "db/CURRENT"));
}

TEST_CASE("UsageErrorsExitWithTwoAndNameTheCause") {
  TempDir d;
  Run r = K(d, {"frobnicate"});
  CHECK(r.exit_code == 2);
  CheckOneErrorLine(r, "unknown command 'frobnicate'");
  r = K(d, {"put", "onlykey"});
  CHECK(r.exit_code == 2);
  CheckOneErrorLine(r, "put: usage: put KEY VALUE");
  r = Kvtool({"--bogus"});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, "unknown option '--bogus'"));
  r = K(d, {"--option", "no_such_option=1", "get", "a"});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, "unknown option 'no_such_option'"));
  r = K(d, {"--option", "memtable_bytes=12", "get", "a"});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, "memtable_bytes"));
  r = K(d, {"scan", "--limit", "many"});
  CHECK(r.exit_code == 2);
  CheckOneErrorLine(r, "scan: --limit: 'many' is not a count");
  r = K(d, {"scan", "--sideways"});
  CHECK(r.exit_code == 2);
  CheckOneErrorLine(r, "unknown flag --sideways");
  r = K(d, {"get", "bad\\q"});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, "unknown escape \\q"));
  r = Kvtool({"--help"});
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "usage: kvtool"));
}

TEST_CASE("BusyDatabaseIsExitThree") {
  TempDir d;
  std::unique_ptr<firn::DB> db;
  firn::Options options;
  REQUIRE(firn::DB::Open(options, d / "db", &db).ok());
  Run r = K(d, {"get", "a"});
  CHECK(r.exit_code == 3);
  CheckOneErrorLine(r, "cannot open");
  CHECK(Contains(r.err, "Busy"));
  r = K(d, {"verify"});
  CHECK(r.exit_code == 3);
  CHECK(Contains(r.err, "Busy"));
  REQUIRE(db->Close().ok());
}

TEST_CASE("ScriptOnStdinRunsEveryLineAndExitsWithTheHighestCode") {
  TempDir d;
  Run r = K(d, {},
            "# a comment line\n"
            "put k1 v1\n"
            "\n"
            "get k1\n"
            "get missing\n"
            "nonsense\n"
            "put k2 \"two words\"   # trailing comment\n"
            "get k2\n");
  CHECK(r.exit_code == 2);
  CHECK(r.out == "v1\ntwo words\n");
  const std::vector<std::string> errors = Lines(r.err);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == "kvtool: line 5: get: key not found: 'missing'");
  CHECK(errors[1] == "kvtool: line 6: unknown command 'nonsense' (type 'help' for the list)");

  // --bail stops at the first failure.
  r = K(d, {"--bail"}, "get missing\nput k3 v3\n");
  CHECK(r.exit_code == 1);
  CHECK(K(d, {"get", "k3"}).exit_code == 1);
  // quit ends a script.
  r = K(d, {}, "put k4 v4\nquit\nput k5 v5\n");
  CHECK(r.exit_code == 0);
  CHECK(K(d, {"get", "k5"}).exit_code == 1);
}

TEST_CASE("BinaryKeysAndValuesWithQuotesAndEscapes") {
  TempDir d;
  Run r = K(d, {},
            "put \"a\\x00b\" \"\\xff\\x01\"\n"
            "put 'single \\x00 stays' literal\n"
            "put \"tab\\there\" \"line\\nbreak\"\n"
            "put back\\\\slash \"say \\\"hi\\\"\"\n"
            "put \"\" empty-key\n"
            "put utf8 \"gr\xc3\xbc\xc3\x9f\"\n"
            "put pre\"fix suf\"fix glued\n");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  r = K(d, {"scan"});
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        "\tempty-key\n"
        "a\\x00b\t\\xff\\x01\n"
        "back\\\\slash\tsay \"hi\"\n"
        "prefix suffix\tglued\n"
        "single \\\\x00 stays\tliteral\n"
        "tab\\there\tline\\nbreak\n"
        "utf8\tgr\xc3\xbc\xc3\x9f\n");
  // Escapes in command-line words work too; the printable form reads back.
  r = K(d, {"get", "a\\x00b"});
  CHECK(r.out == "\\xff\\x01\n");
  r = K(d, {"count"});
  CHECK(r.out == "7\n");
  r = K(d, {}, "get \"a\\x00b\"\nget 'tab\\there'\n");
  CHECK(r.exit_code == 1);  // the single-quoted one has a literal backslash
  CHECK(r.out == "\\xff\\x01\n");
  // Binary keys in JSON: UTF-8 as strings, other bytes as base64.
  r = K(d, {"--json", "get", "a\\x00b"});
  std::vector<json> js = JsonLines(r.out);
  REQUIRE(js.size() == 1);
  CHECK(js[0]["key"] == std::string("a\0b", 3));
  CHECK(js[0]["value_base64"] == "/wE=");
  CHECK(js[0]["found"] == true);
  // Unterminated quotes are usage errors.
  r = K(d, {}, "put \"open value\n");
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, "unterminated double quote"));
}

TEST_CASE("JsonOutputIsOneObjectPerResult") {
  TempDir d;
  Run r = K(d, {"--json"},
            "put a 1\n"
            "put b 2\n"
            "get a\n"
            "get zz\n"
            "scan\n"
            "count\n"
            "del a\n"
            "batch put c 3 del b\n"
            "flush\n"
            "stats\n"
            "policy\n"
            "policy explain\n"
            "options\n"
            "nonsense\n");
  CHECK(r.exit_code == 2);
  std::vector<json> js = JsonLines(r.out);
  REQUIRE(js.size() == 15);
  CHECK(js[0] == json({{"op", "put"}, {"key", "a"}}));
  CHECK(js[2] == json({{"key", "a"}, {"found", true}, {"value", "1"}}));
  CHECK(js[3] == json({{"key", "zz"}, {"found", false}}));
  CHECK(js[4] == json({{"key", "a"}, {"value", "1"}}));
  CHECK(js[5] == json({{"key", "b"}, {"value", "2"}}));
  CHECK(js[6] == json({{"count", 2}}));
  CHECK(js[7] == json({{"op", "del"}, {"key", "a"}}));
  CHECK(js[8] == json({{"op", "batch"}, {"puts", 1}, {"deletes", 1}}));
  CHECK(js[9] == json({{"op", "flush"}}));
  CHECK(js[10].contains("levels"));
  CHECK(js[10]["live_files"] == 1);
  CHECK(js[11].contains("picker"));
  CHECK(js[11]["policy_objective"] == "wear=2,read=1,space=1");
  CHECK(js[12].contains("lines"));
  CHECK(js[13].contains("memtable_bytes"));
  CHECK(js[14]["exit"] == 2);
  CHECK(Contains(js[14]["error"].get<std::string>(), "unknown command"));
}

TEST_CASE("ScanAndCountHonourRangeLimitAndReverse") {
  TempDir d;
  REQUIRE(K(d, {}, "put a 1\nput b 2\nput c 3\nput d 4\nput e 5\n").exit_code == 0);
  auto keys = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "scan");
    Run r = K(d, args);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::string ks;
    for (const std::string& l : Lines(r.out)) ks += l.substr(0, l.find('\t'));
    return ks;
  };
  CHECK(keys({}) == "abcde");
  CHECK(keys({"b", "d"}) == "bc");
  CHECK(keys({"c"}) == "cde");
  CHECK(keys({"--limit", "2"}) == "ab");
  CHECK(keys({"--limit=0"}) == "");
  CHECK(keys({"--reverse"}) == "edcba");
  CHECK(keys({"b", "d", "--reverse"}) == "cb");
  CHECK(keys({"--reverse", "--limit", "2", "b"}) == "ed");
  CHECK(keys({"a", "zzz", "--reverse"}) == "edcba");
  CHECK(K(d, {"count", "b"}).out == "4\n");
  CHECK(K(d, {"count", "b", "d"}).out == "2\n");
  // A key that starts with '-' after --.
  CHECK(K(d, {"put", "--", "-dash", "x"}).exit_code == 0);
  CHECK(K(d, {"get", "--", "-dash"}).out == "x\n");
}

TEST_CASE("BatchOneLineMultiLineAbortAndIncompleteInput") {
  TempDir d;
  REQUIRE(K(d, {"put", "b", "old"}).exit_code == 0);
  Run r = K(d, {"batch", "put", "a", "1", "del", "b", "put", "c", "3"});
  CHECK(r.exit_code == 0);
  CHECK(K(d, {"scan"}).out == "a\t1\nc\t3\n");
  // A malformed one-line batch applies nothing.
  r = K(d, {"batch", "put", "x", "1", "del"});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, "nothing applied"));
  CHECK(K(d, {"get", "x"}).exit_code == 1);

  // Multi-line: applied at `end`, discarded at `abort`.
  r = K(d, {}, "batch\nput m 1\ndel a\nend\nbatch\nput n 1\nabort\nget m\n");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "1\n");
  CHECK(K(d, {"get", "a"}).exit_code == 1);
  CHECK(K(d, {"get", "n"}).exit_code == 1);
  // In a script a bad line makes `end` discard the whole batch.
  r = K(d, {}, "batch\nput p 1\nput q\nend\n");
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, "line 3: batch: put needs a key and a value"));
  CHECK(Contains(r.err, "line 4: batch: 1 line(s) of the batch were malformed; nothing applied"));
  CHECK(K(d, {"get", "p"}).exit_code == 1);
  // Input ending inside a batch applies nothing.
  r = K(d, {}, "batch\nput r 1\n");
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, "input ended inside a batch"));
  CHECK(K(d, {"get", "r"}).exit_code == 1);
  // `kvtool batch` reads its updates from standard input.
  r = K(d, {"batch"}, "put s 1\nput t \"\\x00\"\nend\n");
  CHECK(r.exit_code == 0);
  CHECK(K(d, {"get", "t"}).out == "\\x00\n");
  r = K(d, {"batch"}, "put u 1\n");
  CHECK(r.exit_code == 2);
  CHECK(K(d, {"get", "u"}).exit_code == 1);
}

TEST_CASE("LoadExportRoundTripInEveryFormat") {
  TempDir d;
  // Keys and values with every awkward byte: NUL, tab, newline, CR, comma,
  // quotes, backslash, 0xff, spaces at the ends, UTF-8, an empty value.
  std::string script;
  std::map<std::string, std::string> want;
  const char* values[] = {"plain", "a,b",   "say \"x\"",   " padded ", "tab\there",
                          "nl\nx", "cr\rx", "back\\slash", "\xff\xfe", "gr\xc3\xbc\xc3\x9f",
                          ""};
  int i = 0;
  for (const char* v : values) {
    const std::string key = "key" + std::to_string(i) + std::string("\0,\t", 3);
    want[key] = v;
    i++;
  }
  // Build the script with the printable form so escapes carry every byte.
  auto escape = [](const std::string& s) {
    std::string r = "\"";
    char buf[8];
    for (unsigned char c : s) {
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      r += buf;
    }
    return r + "\"";
  };
  for (const auto& [k, v] : want) script += "put " + escape(k) + " " + escape(v) + "\n";
  for (int n = 0; n < 3000; ++n) {
    const std::string k = "bulk" + std::to_string(n);
    want[k] = std::string(n % 50, 'z');
    script += "put " + k + " " + escape(want[k]) + "\n";
  }
  REQUIRE(K(d, {}, script).exit_code == 0);
  const std::string reference = K(d, {"export"}).out;  // NDJSON on stdout
  REQUIRE(Lines(reference).size() == want.size());

  for (const char* format : {"tsv", "csv", "ndjson"}) {
    CAPTURE(format);
    const std::string file = d / (std::string("dump.") + format);
    Run r = K(d, {"export", file});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.out == "exported " + std::to_string(want.size()) + " entries to " + file + " (" +
                       format + ")\n");
    CHECK(r.err.empty());  // no progress bar in a pipe
    TempDir other;
    r = K(other, {"load", file});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(Contains(r.out, "loaded " + std::to_string(want.size()) + " entries"));
    CHECK(r.err.empty());
    CHECK(K(other, {"export", "--format", "ndjson"}).out == reference);
  }
  // --format wins over the extension; export to stdout as TSV.
  Run r = K(d, {"export", "--format=tsv"});
  CHECK(Lines(r.out).size() == want.size());
  CHECK(Contains(r.out, "key1\\x00,\\t\ta,b\n"));
}

TEST_CASE("LoadReadsHandwrittenFilesAndReportsMalformedLines") {
  TempDir d;
  kvtest::WriteFile(d / "in.csv",
                    "key,value\r\n"
                    "plain,one\r\n"
                    "\"quoted, key\",\"multi\nline \"\"value\"\"\"\r\n"
                    "\n"
                    "empty,\n");
  Run r = K(d, {"load", d / "in.csv", "--skip-header"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(K(d, {"get", "quoted, key"}).out == "multi\\nline \"value\"\n");
  CHECK(K(d, {"get", "empty"}).out == "\n");
  CHECK(K(d, {"get", "key"}).exit_code == 1);

  kvtest::WriteFile(d / "in.ndjson",
                    "{\"key\": \"j1\", \"value\": \"v1\"}\n"
                    "{\"key_base64\": \"AP8=\", \"value\": \"bin\"}\n"
                    "{\"key\": \"j3\"}\n"
                    "{\"key\": \"j4\", \"value\": \"v4\"}\n");
  r = K(d, {"load", d / "in.ndjson"});
  CHECK(r.exit_code == 2);
  CheckOneErrorLine(
      r, "line 3: no \"value\" (or \"value_base64\") field; 2 entries before it were loaded");
  CHECK(K(d, {"get", "\\x00\\xff"}).out == "bin\n");
  CHECK(K(d, {"get", "j4"}).exit_code == 1);

  kvtest::WriteFile(d / "in.tsv", "t1\tv1\nno tab here\n");
  r = K(d, {"load", d / "in.tsv"});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, "line 2: no tab between key and value"));
  kvtest::WriteFile(d / "in.txt", "t1\tv1\n");
  r = K(d, {"load", d / "in.txt"});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, "give --format"));
  r = K(d, {"load", d / "missing.tsv"});
  CHECK(r.exit_code == 2);
  CheckOneErrorLine(r, "cannot read");
  // Standard input is the data in single-command mode, the commands in a script.
  r = K(d, {"load", "-", "--format", "tsv"}, "s1\tstdin\n");
  CHECK(r.exit_code == 0);
  CHECK(K(d, {"get", "s1"}).out == "stdin\n");
  r = K(d, {}, "load - --format tsv\n");
  CHECK(r.exit_code == 2);
}

TEST_CASE("StatsCompactFlushPolicyOptionsSetHelpAndBench") {
  TempDir d;
  std::string script = "set memtable_bytes 64K\n";
  for (int i = 0; i < 3000; ++i)
    script += "put key" + std::to_string(i) + " value-" + std::to_string(i) + "\n";
  script += "flush\nstats\ncompact\nstats\npolicy\npolicy explain\n";
  Run r = K(d, {"--option", "compaction=tiered"}, script);
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(Contains(r.out, "level   runs  files"));
  CHECK(Contains(r.out, "write amplification"));
  CHECK(Contains(r.out, "compacted in "));
  CHECK(Contains(r.out, "picker in use:    tiered"));
  CHECK(Contains(r.out, "policy_objective: wear=2,read=1,space=1"));
  // After compact everything is one run at the last level, drawn as a bar.
  const size_t last = r.out.rfind("L6         1");
  CHECK(last != std::string::npos);

  r = K(d, {"options"});
  CHECK(Contains(r.out, "memtable_bytes=4194304\n"));
  r = K(d, {"--option", "memtable_bytes=1M", "options"});
  CHECK(Contains(r.out, "memtable_bytes=1048576\n"));
  r = K(d, {"set", "memtable_bytes", "lots"});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.err, "is not a size"));
  r = K(d, {}, "set policy_objective=wear=1,read=1,space=1\npolicy\n");
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "policy_objective: wear=1,read=1,space=1"));

  r = K(d, {"help"});
  for (const char* cmd :
       {"put", "get", "del", "scan", "count", "batch", "stats", "compact", "flush", "verify",
        "repair", "load", "export", "policy", "bench", "help", "quit"}) {
    CHECK_MESSAGE(Contains(r.out, std::string("\n  ") + cmd), cmd);
  }
  CHECK(Contains(K(d, {"help", "batch"}).out, "'end' applies them"));
  CHECK(Contains(K(d, {"help", "escapes"}).out, "\\xNN"));
  CHECK(K(d, {"help", "nope"}).exit_code == 2);

  r = K(d, {"bench", "--seconds", "1", "--keys", "5000"});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(Contains(r.out, "writes/s"));
  CHECK(Contains(r.out, "ops/s; write amplification"));
  // The benchmark leaves nothing behind and does not touch the database.
  for (const auto& e : std::filesystem::directory_iterator(d.path())) {
    CHECK_MESSAGE(!e.path().filename().string().starts_with("kvtool-bench-"), e.path());
  }
  CHECK(K(d, {"count"}).out == "3000\n");
}

TEST_CASE("VerifyAndRepairOnADamagedDatabase") {
  TempDir d;
  std::string tsv;
  for (int i = 0; i < 20000; ++i)
    tsv += "key" + std::to_string(100000 + i) + "\tvalue number " + std::to_string(i) + "\n";
  kvtest::WriteFile(d / "data.tsv", tsv);
  Run r = K(d, {"--option", "memtable_bytes=64K", "--option", "compression=none", "load",
                d / "data.tsv"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  r = K(d, {"compact"});
  REQUIRE(r.exit_code == 0);
  r = K(d, {"verify"});
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "no damage found"));

  // Damage the middle of one SST file.
  std::string victim;
  for (const auto& e : std::filesystem::directory_iterator(d / "db")) {
    if (e.path().extension() == ".sst") victim = e.path().string();
  }
  REQUIRE(!victim.empty());
  std::string data = kvtest::ReadFile(victim);
  REQUIRE(data.size() > 100000);
  data[50000] = static_cast<char>(data[50000] ^ 0x40);
  kvtest::WriteFile(victim, data);

  r = K(d, {"verify"});
  CHECK(r.exit_code == 3);
  CHECK(Contains(r.out, "problem: " + victim + " at offset "));
  CheckOneErrorLine(r, "verify: 1 problem(s); first: " + victim + " at offset ");
  r = K(d, {"--json", "verify"});
  std::vector<json> js = JsonLines(r.out);
  REQUIRE(js.size() == 2);
  CHECK(js[0]["ok"] == false);
  CHECK(js[0]["problems"].size() == 1);

  r = K(d, {"repair"});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(Contains(r.out, "1 damaged (partly salvaged)"));
  CHECK(Contains(r.out, "entries lost"));
  CHECK(Contains(r.out, "moved " + victim));
  r = K(d, {"verify"});
  CHECK(r.exit_code == 0);
  const uint64_t left = std::stoull(K(d, {"count"}).out);
  CHECK(left < 20000);
  CHECK(left > 19000);
  CHECK(K(d, {"get", "key100000"}).out == "value number 0\n");
  CHECK(K(d, {"get", "key119999"}).out == "value number 19999\n");
}

TEST_CASE("DirectoryWithoutCurrentIsRefusedUntilRepaired") {
  TempDir d;
  REQUIRE(K(d, {}, "put a 1\nput b 2\nflush\n").exit_code == 0);
  std::filesystem::remove(d / "db/CURRENT");
  Run r = K(d, {"get", "a"});
  CHECK(r.exit_code == 3);
  CheckOneErrorLine(r, "CURRENT is missing but database files remain");
  r = K(d, {"verify"});
  CHECK(r.exit_code == 3);
  CHECK(Contains(r.out, "CURRENT: missing"));
  r = K(d, {"repair"});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(K(d, {"scan"}).out == "a\t1\nb\t2\n");
}
