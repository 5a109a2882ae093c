// kvtool/completion.cc: see completion.h.
#include "completion.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>

#include "commands.h"

namespace kvtool {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

void AddMatching(std::string_view word, const std::vector<std::string>& names,
                 std::vector<std::string>* out) {
  for (const std::string& n : names) {
    if (n.starts_with(word)) out->push_back(n);
  }
}

std::vector<std::string> FileNames(std::string_view word) {
  std::vector<std::string> r;
  const size_t slash = word.rfind('/');
  const std::string dir_part =
      slash == std::string_view::npos ? "" : std::string(word.substr(0, slash + 1));
  const std::string base = std::string(word.substr(dir_part.size()));
  const std::string dir = dir_part.empty() ? "." : dir_part;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return r;
  while (struct dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (name[0] == '.' && !base.starts_with(".")) continue;
    if (!name.starts_with(base)) continue;
    std::string full = dir_part + name;
    struct stat st;
    if (stat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) full += "/";
    r.push_back(std::move(full));
  }
  closedir(d);
  return r;
}

}  // namespace

Completion Complete(std::string_view line, const std::vector<std::string>& option_names,
                    bool in_batch) {
  Completion c;
  // Plain blank-separated words are enough here: completion of quoted
  // words is not offered.
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsBlank(line[i])) i++;
    if (i >= line.size()) break;
    const size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) i++;
    words.emplace_back(line.substr(start, i - start));
    c.word_start = start;
  }
  std::string word;
  if (line.empty() || IsBlank(line.back())) {
    c.word_start = line.size();
  } else {
    word = words.back();
    words.pop_back();
  }
  if (word.find_first_of("\"'\\") != std::string::npos) return c;

  std::vector<std::string>& out = c.candidates;
  if (in_batch) {
    if (words.empty()) AddMatching(word, {"put", "del", "end", "abort"}, &out);
  } else if (words.empty()) {
    std::vector<std::string> names;
    for (const Command& cmd : AllCommands()) names.push_back(cmd.name);
    AddMatching(word, names, &out);
  } else {
    const Command* cmd = FindCommand(words[0]);
    const std::string& prev = words.back();
    if (cmd == nullptr) {
      // nothing to offer
    } else if (prev == "--format") {
      AddMatching(word, {"tsv", "csv", "ndjson"}, &out);
    } else if (word.starts_with("-")) {
      std::vector<std::string> flags(cmd->flags.begin(), cmd->flags.end());
      AddMatching(word, flags, &out);
    } else if (words.size() == 1 && std::string_view(cmd->name) == "help") {
      std::vector<std::string> names = {"escapes", "exit-codes"};
      for (const Command& other : AllCommands()) names.push_back(other.name);
      AddMatching(word, names, &out);
    } else if (words.size() == 1 && std::string_view(cmd->name) == "set") {
      AddMatching(word, option_names, &out);
    } else if (words.size() == 1 && std::string_view(cmd->name) == "policy") {
      AddMatching(word, {"explain"}, &out);
    } else if (std::string_view(cmd->name) == "load" || std::string_view(cmd->name) == "export") {
      out = FileNames(word);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return c;
}

std::string CommonPrefix(const std::vector<std::string>& candidates) {
  if (candidates.empty()) return "";
  std::string prefix = candidates[0];
  for (const std::string& c : candidates) {
    size_t n = 0;
    while (n < prefix.size() && n < c.size() && prefix[n] == c[n]) n++;
    prefix.resize(n);
  }
  return prefix;
}

}  // namespace kvtool
