// kvtool/commands.cc: the command table, the dispatcher, help and quit.
#include "commands.h"

#include <nlohmann/json.hpp>

namespace kvtool {

namespace {

int CmdHelp(Session& s, const Words& args);
int CmdQuit(Session&, const Words&) { return kExitOk; }

const char kEscapesHelp[] =
    "Keys and values are bytes. On input:\n"
    "  \"...\"    quotes blanks; escapes work inside\n"
    "  '...'    quotes everything literally (no escapes)\n"
    "  \\xNN     the byte with hex value NN (\\x00 is a NUL byte)\n"
    "  \\n \\t \\r \\0   newline, tab, carriage return, NUL\n"
    "  \\\\ \\\" \\' \"\\ \"  backslash, double quote, single quote, space\n"
    "Quoted and unquoted parts next to each other form one word: a\"b c\" is 'ab c'.\n"
    "A word starting with # (unquoted) begins a comment.\n"
    "A word starting with - is a flag unless quoted or after --.\n"
    "On output, printable ASCII and UTF-8 are shown as they are, a backslash as \\\\,\n"
    "tab/newline/CR as \\t \\n \\r, any other byte as \\xNN: the output read back as\n"
    "input gives the same bytes. With --json, a key or value that is not UTF-8 is\n"
    "given as \"key_base64\"/\"value_base64\" instead of \"key\"/\"value\".";

const char kExitHelp[] =
    "Exit codes: 0 success; 1 key not found (get); 2 usage error (bad command,\n"
    "arguments, option or input file); 3 database error (corruption, I/O, busy).\n"
    "A script (commands on standard input) runs every line and exits with the\n"
    "highest code any line returned; with --bail it stops at the first failure.";

}  // namespace

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> commands = {
      {"put",
       "put KEY VALUE",
       "store a value",
       "Stores VALUE under KEY, replacing any value it had.",
       {},
       CmdPut},
      {"get",
       "get KEY",
       "print the value of a key",
       "Prints the value of KEY. Exit code 1 if there is none (with --json:\n"
       "{\"key\": ..., \"found\": false}).",
       {},
       CmdGet},
      {"del",
       "del KEY",
       "delete a key (alias: delete)",
       "Deletes KEY. Deleting an absent key is not an error.",
       {},
       CmdDel},
      {"scan",
       "scan [FROM [TO]] [--limit N] [--reverse]",
       "list keys and values in order",
       "Prints the entries with FROM <= key < TO (all when omitted), one per line:\n"
       "key, a tab, value. --limit stops after N entries; --reverse lists them from\n"
       "the largest key down. With --json, one object per entry.",
       {"--limit", "--reverse"},
       CmdScan},
      {"count",
       "count [FROM [TO]]",
       "count keys in a range",
       "Counts the entries with FROM <= key < TO (all when omitted).",
       {},
       CmdCount},
      {"batch",
       "batch [put KEY VALUE | del KEY]...",
       "apply several updates atomically",
       "One line:    batch put a 1 del b put c 3\n"
       "applies all the updates or none of them.\n"
       "Several lines: 'batch' alone starts a batch; each following line is\n"
       "'put KEY VALUE' or 'del KEY' (the prompt shows batch>); 'end' applies them\n"
       "all at once, 'abort' discards them. In the shell a mistyped line is\n"
       "reported and left out; in a script it makes 'end' discard the whole batch.\n"
       "Input that ends before 'end' applies nothing. 'kvtool batch' with no\n"
       "updates reads the lines from standard input the same way.",
       {},
       CmdBatch},
      {"stats",
       "stats",
       "show the tree: levels, runs, files, bytes, write amplification",
       "Shows each level's runs, files and bytes with a bar for its size, then\n"
       "bytes written by users and to the device, write amplification, flushes\n"
       "and compactions. Counters count since this kvtool opened the database.\n"
       "With --json, the engine's firn.stats.json object.",
       {},
       CmdStats},
      {"compact",
       "compact",
       "flush and compact everything into one run",
       "Flushes the memtable, then merges the whole tree into one run at the last\n"
       "level. Shows progress on a terminal.",
       {},
       CmdCompact},
      {"flush",
       "flush",
       "write the memtable to an SST file",
       "Flushes the memtable to level 0.",
       {},
       CmdFlush},
      {"verify",
       "verify",
       "check every checksum of the database",
       "Reads the manifest, every live SST file (every block) and every live log\n"
       "(every record) and checks their checksums and structure. Prints what was\n"
       "checked, then one line per problem: file and offset. Exit code 3 if\n"
       "anything is damaged. The database must not be open elsewhere.",
       {},
       CmdVerify},
      {"repair",
       "repair",
       "salvage a damaged database",
       "Rebuilds the database from every entry the checksums vouch for: damaged\n"
       "blocks of SST files are skipped, logs are read past damaged regions, the\n"
       "newest version of each key wins. Damaged files are moved to lost/ in the\n"
       "database directory. Prints what was kept and what was lost.",
       {},
       CmdRepair},
      {"load",
       "load FILE [--format tsv|csv|ndjson] [--skip-header]",
       "import entries from a file",
       "Imports key/value pairs from FILE ('-': standard input, in single-command\n"
       "mode). The format comes from --format or the file's extension (.tsv, .csv,\n"
       ".ndjson/.jsonl/.json):\n"
       "  tsv     key TAB value per line, with kvtool's escapes (help escapes)\n"
       "  csv     key,value per record (RFC 4180 quoting, bytes taken as they are)\n"
       "  ndjson  {\"key\": ..., \"value\": ...} per line (or key_base64/value_base64)\n"
       "--skip-header skips the first line (TSV/CSV). Entries are written in\n"
       "batches; input that is malformed stops the load at that line, reporting\n"
       "how many entries were loaded before it.",
       {"--format", "--skip-header"},
       CmdLoad},
      {"export",
       "export [FILE] [--format ndjson|tsv|csv]",
       "write every entry to a file",
       "Writes every entry, in key order, to FILE (or standard output). The format\n"
       "comes from --format or FILE's extension; NDJSON by default. The formats\n"
       "are those of load, so export then load gives back the same data.",
       {"--format"},
       CmdExport},
      {"policy",
       "policy [explain]",
       "show the compaction policy, or explain its decisions",
       "'policy' shows the picker in use, the compaction option and the objective\n"
       "dial policy_objective. 'policy explain' shows the last decisions: the\n"
       "property firn.policy.decisions when the engine has it, otherwise the\n"
       "compaction lines of firn.events.",
       {},
       CmdPolicy},
      {"options",
       "options",
       "show the options the database is opened with",
       "Lists every option as name=value (see 'set').",
       {},
       CmdOptions},
      {"set",
       "set NAME VALUE",
       "change an option (reopens the database)",
       "Sets an option as --option NAME=VALUE would; NAME=VALUE works too. The\n"
       "database is closed and reopened with it on the next command.",
       {},
       CmdSet},
      {"bench",
       "bench [--seconds N] [--value-bytes N] [--keys N]",
       "run a short built-in workload",
       "Runs random writes (80%) and reads (20%) over N keys for a few seconds in\n"
       "a temporary database next to the real one (which is not touched), with\n"
       "small memtables so flushes and compactions happen; prints throughput\n"
       "every half second and each compaction as it starts, then the tree.\n"
       "Options given with --option or set apply to it.",
       {"--seconds", "--value-bytes", "--keys"},
       CmdBench},
      {"help",
       "help [COMMAND | escapes | exit-codes]",
       "show help",
       "Shows the commands, or one in detail; 'help escapes' the quoting rules,\n"
       "'help exit-codes' the exit codes.",
       {},
       CmdHelp},
      {"quit",
       "quit",
       "leave the shell (alias: exit)",
       "Ends the session. So does end of input (Ctrl-D).",
       {},
       CmdQuit},
  };
  return commands;
}

const Command* FindCommand(std::string_view name) {
  if (name == "delete") name = "del";
  if (name == "exit") name = "quit";
  for (const Command& c : AllCommands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

int Execute(Session& session, const Words& words, bool* quit) {
  *quit = false;
  if (words.empty()) return kExitOk;
  if (session.InBatch()) {
    session.out().SetCommand("batch");
    return BatchLine(session, words);
  }
  const Command* cmd = FindCommand(words[0].text);
  if (cmd == nullptr) {
    session.out().SetCommand("");
    return session.Usage("unknown command '" + words[0].text + "' (type 'help' for the list)");
  }
  session.out().SetCommand(cmd->name);
  const Words args(words.begin() + 1, words.end());
  if (cmd->run == CmdQuit) *quit = true;
  ClearInterrupt();
  return cmd->run(session, args);
}

namespace {

int CmdHelp(Session& s, const Words& args) {
  Output& out = s.out();
  std::string text;
  if (args.empty()) {
    text = "Commands (help COMMAND for details, help escapes for quoting):\n";
    for (const Command& c : AllCommands()) {
      std::string usage = c.usage;
      if (usage.size() < 44) usage.resize(44, ' ');
      text += "  " + usage + " " + c.summary + "\n";
    }
    text += "Keys and values may hold any bytes: quote and escape them (help escapes).";
  } else if (args.size() > 1) {
    return s.Usage("usage: help [COMMAND | escapes | exit-codes]");
  } else if (args[0].text == "escapes" || args[0].text == "quoting") {
    text = kEscapesHelp;
  } else if (args[0].text == "exit-codes" || args[0].text == "codes") {
    text = kExitHelp;
  } else {
    const Command* c = FindCommand(args[0].text);
    if (c == nullptr)
      return s.Usage("no command '" + args[0].text + "' (type 'help' for the list)");
    text = std::string("usage: ") + c->usage + "\n" + c->details;
    if (c->run == CmdQuit) text += std::string("\n") + kExitHelp;
  }
  if (out.json()) {
    nlohmann::json j;
    j["help"] = text;
    out.Object(j);
  } else {
    out.Line(text);
  }
  return kExitOk;
}

}  // namespace

}  // namespace kvtool
