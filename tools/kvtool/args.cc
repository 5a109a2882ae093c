// kvtool/args.cc: see args.h.
#include "args.h"

#include <limits>

namespace kvtool {

bool Args::Parse(const std::vector<Word>& words, std::initializer_list<FlagSpec> specs,
                 std::string* error) {
  positional_.clear();
  flags_.clear();
  bool flags_done = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const Word& w = words[i];
    if (flags_done || w.literal || w.text.size() < 2 || w.text[0] != '-') {
      positional_.push_back(w.text);
      continue;
    }
    if (w.text == "--") {
      flags_done = true;
      continue;
    }
    std::string_view body(w.text);
    body.remove_prefix(body.starts_with("--") ? 2 : 1);
    std::string_view name = body, value;
    const size_t eq = body.find('=');
    const bool has_inline_value = eq != std::string_view::npos;
    if (has_inline_value) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      *error =
          "unknown flag " + w.text + " (quote a key that starts with '-', or put -- before it)";
      return false;
    }
    if (!spec->takes_value) {
      if (has_inline_value) {
        *error = "flag --" + std::string(name) + " takes no value";
        return false;
      }
      flags_[std::string(name)] = "";
      continue;
    }
    if (!has_inline_value) {
      if (i + 1 >= words.size()) {
        *error = "flag --" + std::string(name) + " needs a value";
        return false;
      }
      value = words[++i].text;
    }
    flags_[std::string(name)] = std::string(value);
  }
  return true;
}

const std::string* Args::Value(std::string_view flag) const {
  auto it = flags_.find(std::string(flag));
  return it == flags_.end() ? nullptr : &it->second;
}

bool Args::Count(std::string_view flag, uint64_t default_value, uint64_t* value,
                 std::string* error) const {
  const std::string* text = Value(flag);
  if (text == nullptr) {
    *value = default_value;
    return true;
  }
  if (!ParseCount(*text, value)) {
    *error = "--" + std::string(flag) + ": '" + *text + "' is not a count";
    return false;
  }
  return true;
}

bool ParseCount(std::string_view text, uint64_t* value) {
  uint64_t shift = 0;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k':
      case 'K':
        shift = 10;
        break;
      case 'm':
      case 'M':
        shift = 20;
        break;
      case 'g':
      case 'G':
        shift = 30;
        break;
      default:
        break;
    }
    if (shift != 0) text.remove_suffix(1);
  }
  if (text.empty()) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  if (shift != 0 && v > (std::numeric_limits<uint64_t>::max() >> shift)) return false;
  *value = v << shift;
  return true;
}

}  // namespace kvtool
