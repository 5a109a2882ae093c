// kvtool: the interactive shell and scripting tool of firn.
//
// Usage and every command: docs/kvtool.md. This file reads kvtool's own
// options, opens the session, and hands over to one command, a script or
// the interactive shell.
#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <set>

#include "cli_args.h"
#include "commands.h"
#include "escape.h"
#include "firn/options.h"
#include "output.h"
#include "session.h"
#include "shell.h"

#ifndef KVTOOL_VERSION
#define KVTOOL_VERSION "unknown"
#endif

namespace {

using namespace kvtool;

int UsageError(const std::string& message) {
  std::fprintf(stderr, "kvtool: %s\n", PrintableMessage(message).c_str());
  std::fprintf(
      stderr, "%s",
      "usage: kvtool [--db PATH] [--json] [--option NAME=VALUE ...] [COMMAND [ARGS...]]\n");
  return kExitUsage;
}

// The words of a command given on the command line: escapes are decoded
// (the shell that ran kvtool did the quoting), so binary keys can be given.
bool CommandWords(const std::vector<std::string>& args, std::vector<Word>* words,
                  std::string* error) {
  for (const std::string& a : args) {
    Word w;
    w.literal = a.find('\\') != std::string::npos;
    if (!Unescape(a, &w.text, error)) {
      *error = "'" + a + "': " + *error;
      return false;
    }
    words->push_back(std::move(w));
  }
  return true;
}

int RunOneCommand(Session& session, const std::vector<Word>& words, bool bail) {
  int code;
  if (words[0].text == "batch" && words.size() == 1) {
    // The updates follow on standard input, up to `end`.
    session.set_stdin_is_commands(true);
    bool quit;
    code = Execute(session, words, &quit);
    if (code == kExitOk) code = RunScript(session, stdin, bail, /*until_batch_ends=*/true);
  } else {
    bool quit;
    code = Execute(session, words, &quit);
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::setlocale(LC_CTYPE, "");  // libedit's multibyte input; UTF-8 bars in stats
  Invocation inv;
  std::string error;
  if (!ParseCommandLine(argc, argv, &inv, &error)) return UsageError(error);
  if (inv.help) {
    std::fputs(UsageText(), stdout);
    return kExitOk;
  }
  if (inv.version) {
    std::printf("kvtool %s (firn)\n", KVTOOL_VERSION);
    return kExitOk;
  }
  firn::Options options;
  std::set<std::string> given;
  for (const auto& [name, value] : inv.options) {
    firn::Status s = options.Set(name, value);
    if (!s.ok()) return UsageError(std::string(s.message()));
    given.insert(name);
  }
  if (firn::Status s = options.Validate(); !s.ok()) return UsageError(std::string(s.message()));

  Output out(inv.json, stdout, stderr);
  int code;
  if (!inv.command.empty()) {
    std::vector<Word> words;
    if (!CommandWords(inv.command, &words, &error)) return UsageError(error);
    Session session(inv.db_path, options, given, &out, /*interactive=*/false);
    code = RunOneCommand(session, words, inv.bail);
    firn::Status s = session.CloseDb();
    if (!s.ok() && code == kExitOk) code = out.Error(kExitDbError, "close: " + s.ToString());
  } else if (isatty(STDIN_FILENO)) {
    Session session(inv.db_path, options, given, &out, /*interactive=*/true);
    session.set_stdin_is_commands(true);
    code = RunShell(session);
    firn::Status s = session.CloseDb();
    if (!s.ok()) code = out.Error(kExitDbError, "close: " + s.ToString());
  } else {
    Session session(inv.db_path, options, given, &out, /*interactive=*/false);
    session.set_stdin_is_commands(true);
    code = RunScript(session, stdin, inv.bail, /*until_batch_ends=*/false);
    firn::Status s = session.CloseDb();
    if (!s.ok() && code == kExitOk) code = out.Error(kExitDbError, "close: " + s.ToString());
  }
  out.Flush();
  return code;
}
