// kvtool/output.h: where results and errors go, as text or JSON.
//
// Text mode: results are lines on standard output, keys and values in
// their printable form (escape.h). JSON mode (--json): every result is one
// JSON object on its own line. Errors are always one line on standard
// error, "kvtool: [line N: ][command: ]<cause>"; in JSON mode an object
// {"error": "<cause>", "exit": N} also goes to standard output, so a
// script reading results line by line stays in step.
// Thread safety: one thread.
#ifndef FIRN_TOOLS_KVTOOL_OUTPUT_H_
#define FIRN_TOOLS_KVTOOL_OUTPUT_H_

#include <cstdio>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace kvtool {

// Process exit codes (docs/kvtool.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitNotFound = 1,  // get: no such key
  kExitUsage = 2,     // bad command line, arguments or input file
  kExitDbError = 3,   // the database failed: corruption, I/O, busy
};

class Output {
 public:
  Output(bool json, FILE* out, FILE* err) : json_(json), out_(out), err_(err) {}
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  bool json() const { return json_; }
  FILE* out() const { return out_; }

  // A text result line (a newline is added).
  void Line(std::string_view text);
  // A JSON result: one line.
  void Object(const nlohmann::json& object);
  // Reports an error and returns `code` (never kExitOk). The cause is
  // printed with control bytes escaped.
  int Error(int code, std::string_view cause);
  // A warning or note on standard error ("kvtool: <text>"), in both modes.
  void Note(std::string_view text);

  // What errors are prefixed with: the script line (0: none) and the
  // command being run ("": none).
  void SetLine(uint64_t line) { line_ = line; }
  void SetCommand(std::string command) { command_ = std::move(command); }
  void Flush();

 private:
  const bool json_;
  FILE* const out_;
  FILE* const err_;
  uint64_t line_ = 0;
  std::string command_;
};

// Stores `bytes` in object[name] as a string if they are valid UTF-8, else
// in object[name + "_base64"] as base64.
void SetBytes(nlohmann::json* object, const std::string& name, std::string_view bytes);
// Reads what SetBytes stored. False with *error set if neither field is
// there, or it is not a string, or not valid base64.
bool GetBytes(const nlohmann::json& object, const std::string& name, std::string* bytes,
              std::string* error);

// "12.3 MiB" style sizes.
std::string HumanBytes(uint64_t bytes);

}  // namespace kvtool

#endif  // FIRN_TOOLS_KVTOOL_OUTPUT_H_
