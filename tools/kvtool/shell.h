// kvtool/shell.h: reading commands: the interactive shell and scripts.
#ifndef FIRN_TOOLS_KVTOOL_SHELL_H_
#define FIRN_TOOLS_KVTOOL_SHELL_H_

#include <cstdio>

#include "session.h"

namespace kvtool {

// Runs commands read from `in`, one per line, without a prompt. Every line
// runs (unless `bail`, which stops at the first failure) and the result is
// the highest exit code of any line. Errors name the line. With
// `until_batch_ends`, stops once a multi-line batch has ended (kvtool
// batch). Input that ends inside a batch applies nothing and is an error.
int RunScript(Session& session, FILE* in, bool bail, bool until_batch_ends);

// The interactive shell on the terminal (libedit): a prompt, line editing,
// history kept in $KVTOOL_HISTORY or ~/.kvtool_history, tab completion of
// commands, options, flags and file names. An error never ends it; quit,
// exit or Ctrl-D does. Ctrl-C stops a long command or clears the line.
// Returns 0.
int RunShell(Session& session);

}  // namespace kvtool

#endif  // FIRN_TOOLS_KVTOOL_SHELL_H_
