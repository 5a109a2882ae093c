// Fuzz target: kvtool's command-line parser (tools/kvtool lexer.cc,
// args.cc, escape.cc): splitting a line into words (quotes, escapes,
// comments), flag parsing, counts, unescaping and base64. Never crashes;
// printable forms and base64 read back as the bytes they came from.
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "tools/kvtool/args.h"
#include "tools/kvtool/escape.h"
#include "tools/kvtool/lexer.h"

std::vector<std::string> FuzzSeeds() {
  return {
      "put key value",
      "get \"quoted key\" --hex",
      "scan --from a --to 'z z' --limit 10 # comment",
      "put \\x00\\xff \"tab\\there\" --sync",
      "batch put a 1 ; del b",
      "bench --ops 1k --value-size 4K --threads 2",
      "put k \"unterminated",
      "get --limit=12 -- -dash-key",
      "import --format base64 aGVsbG8gd29ybGQ=",
  };
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  std::vector<kvtool::Word> words;
  std::string error;
  if (kvtool::SplitWords(line, &words, &error)) {
    kvtool::Args args;
    if (args.Parse(words,
                   {{"limit", true},
                    {"from", true},
                    {"to", true},
                    {"hex", false},
                    {"sync", false},
                    {"ops", true},
                    {"format", true}},
                   &error)) {
      uint64_t n;
      args.Count("limit", 10, &n, &error);
      args.Count("ops", 0, &n, &error);
      for (const std::string& p : args.positional()) (void)kvtool::Printable(p);
    }
    // The printable form of a word reads back as the same bytes
    // (escape.h).
    for (const kvtool::Word& w : words) {
      std::string back, error2;
      FUZZ_CHECK(kvtool::Unescape(kvtool::Printable(w.text), &back, &error2));
      FUZZ_CHECK(back == w.text);
    }
  }
  std::string out;
  kvtool::Unescape(line, &out, &error);
  if (kvtool::Base64Decode(line, &out)) {
    std::string back;
    FUZZ_CHECK(kvtool::Base64Decode(kvtool::Base64Encode(out), &back) && back == out);
  }
  uint64_t count;
  kvtool::ParseCount(line, &count);
  (void)kvtool::IsUtf8(line);
  (void)kvtool::PrintableMessage(line);
  return 0;
}
