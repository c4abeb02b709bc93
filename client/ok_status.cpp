#include "client/ok_status.hpp"

#include <charconv>
#include <string>

namespace client {

OkStatus::OkStatus() {
  for (size_t code = 200; code < 400; ++code) codes_.set(code);
}

bool OkStatus::contains(int status) const {
  return status >= 0 && static_cast<size_t>(status) < codes_.size() &&
         codes_.test(static_cast<size_t>(status));
}

common::Result<OkStatus> OkStatus::parse(std::string_view text) {
  OkStatus ok;
  ok.codes_.reset();
  std::string_view rest = text;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    int code = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), code);
    if (ec != std::errc() || end != item.data() + item.size() || code < 100 || code > 999) {
      return common::invalid_value(
          text, "'" + std::string(item) + "' is not a status code from 100 to 999");
    }
    ok.codes_.set(static_cast<size_t>(code));
    if (comma == std::string_view::npos) return ok;
    rest.remove_prefix(comma + 1);
  }
}

}  // namespace client
