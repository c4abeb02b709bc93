#include "web_server/kv_json.hpp"

#include <nlohmann/json.hpp>

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
    entry["value_base64"] = base64(*value);
  }
  entry["version"] = store::to_string(version);
  return entry.dump();
}

std::string base64(std::string_view data) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const uint32_t n = static_cast<uint32_t>(static_cast<uint8_t>(data[i]) << 16 |
                                             static_cast<uint8_t>(data[i + 1]) << 8 |
                                             static_cast<uint8_t>(data[i + 2]));
    out += kDigits[n >> 18];
    out += kDigits[(n >> 12) & 63];
    out += kDigits[(n >> 6) & 63];
    out += kDigits[n & 63];
  }
  if (i < data.size()) {
    const bool two = i + 1 < data.size();
    const uint32_t n = static_cast<uint32_t>(static_cast<uint8_t>(data[i]) << 16 |
                                             (two ? static_cast<uint8_t>(data[i + 1]) << 8 : 0));
    out += kDigits[n >> 18];
    out += kDigits[(n >> 12) & 63];
    out += two ? kDigits[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace web
