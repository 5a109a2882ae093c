// kvtool/cli_args.cc: see cli_args.h. getopt_long does the parsing.
#include "cli_args.h"

#include <getopt.h>

namespace kvtool {

const char* UsageText() {
  return "usage: kvtool [--db PATH] [--json] [--option NAME=VALUE ...] [--bail] [COMMAND "
         "[ARGS...]]\n"
         "\n"
         "The shell and scripting tool of the firn key-value store.\n"
         "With a COMMAND, runs it and exits. Without one, reads commands from standard\n"
         "input: an interactive shell on a terminal (history, editing, tab completion),\n"
         "one command per line otherwise.\n"
         "\n"
         "  -d, --db PATH             the database directory (default ./firn-data,\n"
         "                            created if missing)\n"
         "  -j, --json                one JSON object per result\n"
         "  -o, --option NAME=VALUE   a database option (see the 'options' command);\n"
         "                            may be repeated\n"
         "  -e, --bail                in a script, stop at the first failing command\n"
         "  -h, --help                this text; 'kvtool help' lists the commands\n"
         "  -V, --version             the version\n"
         "\n"
         "Exit codes: 0 success, 1 key not found (get), 2 usage error, 3 database error.\n";
}

bool ParseCommandLine(int argc, char** argv, Invocation* inv, std::string* error) {
  static const struct option kLong[] = {
      {"db", required_argument, nullptr, 'd'},
      {"json", no_argument, nullptr, 'j'},
      {"option", required_argument, nullptr, 'o'},
      {"bail", no_argument, nullptr, 'e'},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0},
  };
  opterr = 0;  // errors are reported here, in kvtool's words
  optind = 1;
  for (;;) {
    // '+': stop at the first non-option (the command); ':': report a
    // missing argument as ':'.
    const int c = getopt_long(argc, argv, "+:d:jo:ehV", kLong, nullptr);
    if (c == -1) break;
    switch (c) {
      case 'd':
        if (*optarg == '\0') {
          *error = "--db needs a path";
          return false;
        }
        inv->db_path = optarg;
        break;
      case 'j':
        inv->json = true;
        break;
      case 'o': {
        const std::string arg = optarg;
        const size_t eq = arg.find('=');
        if (eq == std::string::npos || eq == 0) {
          *error = "--option takes NAME=VALUE, not '" + arg + "'";
          return false;
        }
        inv->options.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
        break;
      }
      case 'e':
        inv->bail = true;
        break;
      case 'h':
        inv->help = true;
        break;
      case 'V':
        inv->version = true;
        break;
      case ':':
        *error = std::string("option ") + argv[optind - 1] + " needs a value";
        return false;
      default:
        *error =
            std::string("unknown option '") + argv[optind - 1] + "' (kvtool --help lists them)";
        return false;
    }
  }
  for (int i = optind; i < argc; ++i) inv->command.emplace_back(argv[i]);
  return true;
}

}  // namespace kvtool
