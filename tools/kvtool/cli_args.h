// kvtool/cli_args.h: kvtool's own command line, before the command.
//
//   kvtool [--db PATH] [--json] [--option NAME=VALUE ...] [--bail]
//          [COMMAND [ARGS...]]
// Parsing stops at the first word that is not one of these options, so a
// command's own flags (scan --limit 5) follow it untouched.
#ifndef FIRN_TOOLS_KVTOOL_CLI_ARGS_H_
#define FIRN_TOOLS_KVTOOL_CLI_ARGS_H_

#include <string>
#include <utility>
#include <vector>

namespace kvtool {

struct Invocation {
  std::string db_path = "./firn-data";
  bool json = false;
  bool bail = false;  // scripts: stop at the first failing command
  bool help = false;
  bool version = false;
  std::vector<std::pair<std::string, std::string>> options;  // --option NAME=VALUE
  std::vector<std::string> command;                          // COMMAND ARGS..., as given
};

// Parses argv. False with *error set for an unknown option or a missing
// or malformed value.
bool ParseCommandLine(int argc, char** argv, Invocation* inv, std::string* error);

// The text --help prints.
const char* UsageText();

}  // namespace kvtool

#endif  // FIRN_TOOLS_KVTOOL_CLI_ARGS_H_
