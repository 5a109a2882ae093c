// kvtool/args.h: the arguments of one command, split into positional words
// and flags.
//
// Flags are words starting with '-' that were not quoted: --name,
// --name=value or --name value. "--" ends the flags, so a key starting
// with '-' can follow it (or be quoted). Numbers take an optional K, M or
// G suffix (powers of 1024).
#ifndef FIRN_TOOLS_KVTOOL_ARGS_H_
#define FIRN_TOOLS_KVTOOL_ARGS_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lexer.h"

namespace kvtool {

struct FlagSpec {
  std::string_view name;  // without the dashes
  bool takes_value;
};

class Args {
 public:
  // Splits `words`. False with *error set for an unknown flag or a
  // missing flag value.
  bool Parse(const std::vector<Word>& words, std::initializer_list<FlagSpec> specs,
             std::string* error);

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(std::string_view flag) const { return flags_.count(std::string(flag)) > 0; }
  // The flag's value; nullptr if absent.
  const std::string* Value(std::string_view flag) const;
  // The flag's value as a count (default if absent). False with *error set
  // if it is not a number.
  bool Count(std::string_view flag, uint64_t default_value, uint64_t* value,
             std::string* error) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> flags_;
};

// Parses a decimal count with an optional K/M/G suffix.
bool ParseCount(std::string_view text, uint64_t* value);

}  // namespace kvtool

#endif  // FIRN_TOOLS_KVTOOL_ARGS_H_
