// kvtool/commands.h: the command table and the dispatcher.
//
// Each command is a function taking the session and the words after the
// command name and returning an exit code (output.h). The handlers live in
// one file per group: cmd_data.cc (put get del scan count batch),
// cmd_admin.cc (stats compact flush verify repair policy options set),
// cmd_transfer.cc (load export), cmd_bench.cc (bench); help and quit are
// here.
#ifndef FIRN_TOOLS_KVTOOL_COMMANDS_H_
#define FIRN_TOOLS_KVTOOL_COMMANDS_H_

#include <string_view>
#include <vector>

#include "lexer.h"
#include "session.h"

namespace kvtool {

using Words = std::vector<Word>;
using Handler = int (*)(Session&, const Words&);

struct Command {
  const char* name;
  const char* usage;               // "scan [FROM [TO]] [--limit N] [--reverse]"
  const char* summary;             // one line for `help`
  const char* details;             // the rest of `help NAME`
  std::vector<const char*> flags;  // for completion: "--limit", ...
  Handler run;
};

// Every command, in the order `help` lists them.
const std::vector<Command>& AllCommands();
// The command called `name` (or one of its aliases: delete, exit), or nullptr.
const Command* FindCommand(std::string_view name);

// Runs one command line (already split) and returns its exit code. A
// line inside a multi-line batch goes to the batch. Sets *quit when the
// command was `quit`.
int Execute(Session& session, const Words& words, bool* quit);

// Handlers.
int CmdPut(Session&, const Words&);
int CmdGet(Session&, const Words&);
int CmdDel(Session&, const Words&);
int CmdScan(Session&, const Words&);
int CmdCount(Session&, const Words&);
int CmdBatch(Session&, const Words&);
// One line of a multi-line batch: put/del to add, end to apply, abort.
int BatchLine(Session&, const Words&);
int CmdStats(Session&, const Words&);
int CmdCompact(Session&, const Words&);
int CmdFlush(Session&, const Words&);
int CmdVerify(Session&, const Words&);
int CmdRepair(Session&, const Words&);
int CmdPolicy(Session&, const Words&);
int CmdOptions(Session&, const Words&);
int CmdSet(Session&, const Words&);
int CmdLoad(Session&, const Words&);
int CmdExport(Session&, const Words&);
int CmdBench(Session&, const Words&);

}  // namespace kvtool

#endif  // FIRN_TOOLS_KVTOOL_COMMANDS_H_
