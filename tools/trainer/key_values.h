// tools/trainer/key_values.h: "name=value,name=value" lists, as the tools'
// flags take them (firn-trainer --timing, firn-policy-eval --static).
#ifndef FIRN_TOOLS_TRAINER_KEY_VALUES_H_
#define FIRN_TOOLS_TRAINER_KEY_VALUES_H_

#include <functional>
#include <string>

namespace firn::trainer {

// Calls fn(name, value) for each comma-separated item of `list`, in order.
// Returns false at once for an item without '=' (after calling
// bad_item(item), if given) or when fn returns false; true otherwise,
// including for an empty list.
inline bool ForEachKeyValue(const std::string& list,
                            const std::function<bool(const std::string&, const std::string&)>& fn,
                            const std::function<void(const std::string&)>& bad_item = nullptr) {
  size_t at = 0;
  while (at < list.size()) {
    size_t end = list.find(',', at);
    if (end == std::string::npos) end = list.size();
    const std::string item = list.substr(at, end - at);
    at = end + 1;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      if (bad_item) bad_item(item);
      return false;
    }
    if (!fn(item.substr(0, eq), item.substr(eq + 1))) return false;
  }
  return true;
}

}  // namespace firn::trainer

#endif  // FIRN_TOOLS_TRAINER_KEY_VALUES_H_
