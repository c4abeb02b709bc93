// The JSON form of a key's state, shared by GET /kv and the /live push:
//   {"key":"k","value":"text","version":"<hlc>-<origin>"}
// A value that is not valid UTF-8 goes as "value_base64" instead (JSON strings are text); a
// delete has "value":null.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "web_server/store/version.hpp"

namespace web {

std::string entry_json(std::string_view key, std::optional<std::string_view> value,
                       const store::Version& version);

}  // namespace web
