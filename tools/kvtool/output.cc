// kvtool/output.cc: see output.h.
#include "output.h"

#include <nlohmann/json.hpp>

#include "escape.h"

namespace kvtool {

using Json = nlohmann::json;

void Output::Line(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fputc('\n', out_);
}

void Output::Object(const Json& object) {
  // Strings are checked for UTF-8 before they go in; replace anyway rather
  // than throw if one slipped through.
  Line(object.dump(-1, ' ', false, Json::error_handler_t::replace));
}

int Output::Error(int code, std::string_view cause) {
  // Messages from the engine may quote key bytes: keep the line printable.
  const std::string clean = PrintableMessage(cause);
  std::string line = "kvtool: ";
  if (line_ > 0) line += "line " + std::to_string(line_) + ": ";
  if (!command_.empty()) line += command_ + ": ";
  line += clean;
  std::fflush(out_);
  std::fprintf(err_, "%s\n", line.c_str());
  std::fflush(err_);
  if (json_) {
    Json j;
    j["error"] = (command_.empty() ? "" : command_ + ": ") + clean;
    j["exit"] = code;
    Object(j);
  }
  return code;
}

void Output::Note(std::string_view text) {
  std::fflush(out_);
  std::fprintf(err_, "kvtool: %s\n", PrintableMessage(text).c_str());
  std::fflush(err_);
}

void Output::Flush() {
  std::fflush(out_);
  std::fflush(err_);
}

void SetBytes(Json* object, const std::string& name, std::string_view bytes) {
  if (IsUtf8(bytes)) {
    (*object)[name] = std::string(bytes);
  } else {
    (*object)[name + "_base64"] = Base64Encode(bytes);
  }
}

bool GetBytes(const Json& object, const std::string& name, std::string* bytes, std::string* error) {
  auto it = object.find(name);
  if (it != object.end()) {
    if (!it->is_string()) {
      *error = "\"" + name + "\" is not a string";
      return false;
    }
    *bytes = it->get<std::string>();
    return true;
  }
  it = object.find(name + "_base64");
  if (it == object.end()) {
    *error = "no \"" + name + "\" (or \"" + name + "_base64\") field";
    return false;
  }
  if (!it->is_string() || !Base64Decode(it->get_ref<const std::string&>(), bytes)) {
    *error = "\"" + name + "_base64\" is not valid base64";
    return false;
  }
  return true;
}

std::string HumanBytes(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) {
    std::snprintf(buf, sizeof(buf), "%.1f GiB", static_cast<double>(b) / (1ull << 30));
  } else if (b >= (1ull << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(b) / (1ull << 20));
  } else if (b >= 1024) {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", static_cast<double>(b) / 1024);
  } else {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(b));
  }
  return buf;
}

}  // namespace kvtool
