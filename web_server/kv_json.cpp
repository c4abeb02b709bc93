#include "web_server/kv_json.hpp"

#include <nlohmann/json.hpp>

#include "common/base64.hpp"
#include "common/utf8.hpp"

namespace web {

std::string entry_json(std::string_view key, std::optional<std::string_view> value,
                       const store::Version& version) {
  nlohmann::json entry;
  entry["key"] = key;
  if (!value) {
    entry["value"] = nullptr;
  } else if (common::valid_utf8(*value)) {
    entry["value"] = *value;
  } else {
    entry["value_base64"] = common::base64_encode(*value);
  }
  entry["version"] = store::to_string(version);
  return entry.dump();
}

}  // namespace web
