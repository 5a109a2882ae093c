// kvtool/completion.h: what tab completes in the shell.
//
// The first word completes to a command name; after `help` to a command or
// help topic; after `set` to an option name; after `policy` to `explain`;
// a word starting with '-' to the command's flags; after --format to a
// format; the file argument of load and export to a file name; inside a
// multi-line batch to put, del, end and abort.
#ifndef FIRN_TOOLS_KVTOOL_COMPLETION_H_
#define FIRN_TOOLS_KVTOOL_COMPLETION_H_

#include <string>
#include <string_view>
#include <vector>

namespace kvtool {

struct Completion {
  size_t word_start = 0;  // where the word being completed begins in the line
  // Whole words that fit, sorted. A directory ends in '/' (no space is
  // added after it).
  std::vector<std::string> candidates;
};

// Completes the last word of `line`, the text before the cursor.
// option_names are the names `set` accepts.
Completion Complete(std::string_view line, const std::vector<std::string>& option_names,
                    bool in_batch);

// The longest common prefix of the candidates.
std::string CommonPrefix(const std::vector<std::string>& candidates);

}  // namespace kvtool

#endif  // FIRN_TOOLS_KVTOOL_COMPLETION_H_
