// kvtool/lexer.h: splits a command line into words.
//
// Words are separated by blanks. Inside a word, "..." quotes blanks and
// understands the escapes of escape.h; '...' quotes everything literally;
// outside quotes, escapes work too. Quoted and unquoted parts next to each
// other form one word. A '#' at the start of a word begins a comment that
// runs to the end of the line. Words are bytes: any byte but the
// separators may appear, and escapes give the others (\x00 included).
#ifndef FIRN_TOOLS_KVTOOL_LEXER_H_
#define FIRN_TOOLS_KVTOOL_LEXER_H_

#include <string>
#include <string_view>
#include <vector>

namespace kvtool {

struct Word {
  std::string text;
  // True if any part was quoted or escaped: such a word is never taken for
  // a flag ("-..."), a command keyword or a comment.
  bool literal = false;
};

// Splits `line` into *words. False with *error set ("unterminated double
// quote", "unknown escape \q", ...) if the line is malformed.
bool SplitWords(std::string_view line, std::vector<Word>* words, std::string* error);

}  // namespace kvtool

#endif  // FIRN_TOOLS_KVTOOL_LEXER_H_
