// kvtool/shell.cc: see shell.h.
#include "shell.h"

#include <histedit.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"
#include "completion.h"
#include "firn/options.h"
#include "lexer.h"

namespace kvtool {

namespace {

constexpr int kHistorySize = 1000;
char kPrompt[] = "kvtool> ";
char kBatchPrompt[] = "batch> ";

// Reads a line without its newline; false at the end of the input. Any
// byte but LF may appear.
bool ReadLine(FILE* in, std::string* line) {
  line->clear();
  int c;
  bool any = false;
  while ((c = std::getc(in)) != EOF) {
    any = true;
    if (c == '\n') break;
    line->push_back(static_cast<char>(c));
  }
  return any;
}

// Runs one line; returns its exit code.
int RunLine(Session& session, std::string_view line, bool* quit) {
  *quit = false;
  std::vector<Word> words;
  std::string error;
  if (!SplitWords(line, &words, &error)) {
    session.out().SetCommand("");
    return session.Usage(error);
  }
  const int code = Execute(session, words, quit);
  session.out().SetCommand("");
  session.out().Flush();
  return code;
}

std::vector<std::string> OptionNames() {
  std::vector<std::string> names;
  const std::string text = firn::OptionsToString(firn::Options());
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const size_t eq = text.find('=', start);
    if (eq != std::string::npos && eq < end) names.push_back(text.substr(start, eq - start));
    start = end + 1;
  }
  return names;
}

struct ShellState {
  Session* session;
  std::vector<std::string> option_names;
};

ShellState* StateOf(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return static_cast<ShellState*>(data);
}

char* Prompt(EditLine* el) { return StateOf(el)->session->InBatch() ? kBatchPrompt : kPrompt; }

// Bound to Tab: completes the word before the cursor, or lists the choices.
unsigned char CompleteWord(EditLine* el, int) {
  ShellState* state = StateOf(el);
  const LineInfo* li = el_line(el);
  const std::string_view before(li->buffer, static_cast<size_t>(li->cursor - li->buffer));
  const Completion c = Complete(before, state->option_names, state->session->InBatch());
  if (c.candidates.empty()) return CC_ERROR;
  const std::string_view word = before.substr(c.word_start);
  const std::string prefix = CommonPrefix(c.candidates);
  if (c.candidates.size() == 1) {
    std::string add = prefix.substr(word.size());
    if (!prefix.ends_with('/')) add += ' ';
    el_insertstr(el, add.c_str());
    return CC_REFRESH;
  }
  if (prefix.size() > word.size()) {
    el_insertstr(el, prefix.substr(word.size()).c_str());
    return CC_REFRESH;
  }
  size_t width = 0;
  for (const std::string& s : c.candidates) width = std::max(width, s.size());
  const size_t columns = std::max<size_t>(1, 78 / (width + 2));
  std::string list = "\n";
  for (size_t i = 0; i < c.candidates.size(); ++i) {
    std::string cell = c.candidates[i];
    const bool last_in_row = (i + 1) % columns == 0 || i + 1 == c.candidates.size();
    if (!last_in_row) cell.resize(width + 2, ' ');
    list += cell + (last_in_row ? "\n" : "");
  }
  std::fputs(list.c_str(), stdout);
  std::fflush(stdout);
  return CC_REDISPLAY;
}

std::string HistoryPath() {
  if (const char* p = std::getenv("KVTOOL_HISTORY"); p != nullptr && *p != '\0') return p;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.kvtool_history";
  }
  return "";
}

}  // namespace

int RunScript(Session& session, FILE* in, bool bail, bool until_batch_ends) {
  Output& out = session.out();
  int worst = kExitOk;
  uint64_t line_number = 0;
  std::string line;
  while (ReadLine(in, &line)) {
    out.SetLine(++line_number);
    bool quit = false;
    const int code = RunLine(session, line, &quit);
    worst = std::max(worst, code);
    if (quit || (bail && code != kExitOk)) break;
    if (until_batch_ends && !session.InBatch()) break;
  }
  out.SetLine(0);
  if (session.InBatch()) {
    out.SetCommand("batch");
    worst =
        std::max(worst, session.Usage("input ended inside a batch (no 'end'); nothing applied"));
    out.SetCommand("");
    session.EndBatch();
  }
  out.Flush();
  return worst;
}

int RunShell(Session& session) {
  ShellState state{&session, OptionNames()};
  EditLine* el = el_init("kvtool", stdin, stdout, stderr);
  if (el == nullptr) {
    // No usable terminal after all: read it as a script.
    return RunScript(session, stdin, false, false);
  }
  History* history = ::history_init();
  HistEvent ev;
  ::history(history, &ev, H_SETSIZE, kHistorySize);
  ::history(history, &ev, H_SETUNIQUE, 1);
  const std::string history_path = HistoryPath();
  if (!history_path.empty()) ::history(history, &ev, H_LOAD, history_path.c_str());

  el_set(el, EL_CLIENTDATA, &state);
  el_set(el, EL_EDITOR, "emacs");
  el_set(el, EL_PROMPT, &Prompt);
  el_set(el, EL_HIST, ::history, history);
  // The wide form stores these static strings as they are; the narrow
  // el_set(EL_ADDFN) copies them and never frees the copies.
  el_wset(el, EL_ADDFN, L"kvtool-complete", L"complete a command, option, flag or file name",
          &CompleteWord);
  el_set(el, EL_BIND, "^I", "kvtool-complete", nullptr);
  el_source(el, nullptr);  // the user's ~/.editrc, if any

  InstallInterruptHandler();
  std::printf(
      "kvtool: firn shell on %s. Type 'help' for the commands, 'quit' or Ctrl-D to leave.\n",
      session.path().c_str());
  std::fflush(stdout);
  for (;;) {
    ClearInterrupt();
    int count = 0;
    const char* raw = el_gets(el, &count);
    if (raw == nullptr || count <= 0) {
      if (Interrupted() || (count < 0 && errno == EINTR)) {
        // Ctrl-C at the prompt: a fresh line.
        std::fputc('\n', stdout);
        el_reset(el);
        continue;
      }
      std::fputc('\n', stdout);  // Ctrl-D
      break;
    }
    std::string line(raw, static_cast<size_t>(count));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    ::history(history, &ev, H_ENTER, line.c_str());
    if (!history_path.empty()) ::history(history, &ev, H_SAVE, history_path.c_str());
    bool quit = false;
    RunLine(session, line, &quit);
    if (quit) break;
  }
  if (session.InBatch()) {
    session.out().Note("the unfinished batch was discarded");
    session.EndBatch();
  }
  ::history_end(history);
  el_end(el);
  return kExitOk;
}

}  // namespace kvtool
