// kvtool/lexer.cc: see lexer.h.
#include "lexer.h"

#include "escape.h"

namespace kvtool {

namespace {
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
}  // namespace

bool SplitWords(std::string_view line, std::vector<Word>* words, std::string* error) {
  words->clear();
  size_t i = 0;
  for (;;) {
    while (i < line.size() && IsBlank(line[i])) i++;
    if (i >= line.size() || line[i] == '#') return true;
    Word w;
    while (i < line.size() && !IsBlank(line[i])) {
      const char c = line[i];
      if (c == '\\') {
        if (!DecodeEscape(line, &i, &w.text, error)) return false;
        w.literal = true;
      } else if (c == '\'') {
        const size_t end = line.find('\'', i + 1);
        if (end == std::string_view::npos) {
          *error = "unterminated single quote";
          return false;
        }
        w.text.append(line.substr(i + 1, end - i - 1));
        w.literal = true;
        i = end + 1;
      } else if (c == '"') {
        w.literal = true;
        i++;
        for (;;) {
          if (i >= line.size()) {
            *error = "unterminated double quote";
            return false;
          }
          if (line[i] == '"') {
            i++;
            break;
          }
          if (line[i] == '\\') {
            if (!DecodeEscape(line, &i, &w.text, error)) return false;
          } else {
            w.text.push_back(line[i++]);
          }
        }
      } else {
        w.text.push_back(c);
        i++;
      }
    }
    words->push_back(std::move(w));
  }
}

}  // namespace kvtool
