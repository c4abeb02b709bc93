#include "load_balancer/backend_spec.hpp"

#include <algorithm>
#include <charconv>

namespace lb {

namespace {

common::Result<uint32_t> parse_weight(std::string_view text, std::string_view digits) {
  const std::string range = "weight must be 1.." + std::to_string(kMaxWeight);
  uint32_t weight = 0;
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, weight);
  if (digits.empty() || ptr != end || ec == std::errc::invalid_argument) {
    return common::invalid_value(
        text, "weight '" + std::string(digits) + "' is not a number (" + range + ")");
  }
  if (ec == std::errc::result_out_of_range || weight < 1 || weight > kMaxWeight) {
    return common::invalid_value(text, range);
  }
  return weight;
}

}  // namespace

common::Result<BackendSpec> parse_backend_spec(std::string_view text) {
  const size_t at = text.find('@');
  const std::string_view where = text.substr(0, at);
  uint32_t weight = 1;
  if (at != std::string_view::npos) {
    auto parsed = parse_weight(text, text.substr(at + 1));
    if (!parsed) return parsed.error();
    weight = *parsed;
  }
  auto host_port = common::parse_host_port(where);
  if (!host_port) return host_port.error();
  if (host_port->port == 0)
    return common::invalid_value(text, "port 0 names no server (expected 1-65535)");
  auto address = common::resolve(*host_port);
  if (!address) return address.error();
  return BackendSpec{host_port->to_string(), *address, weight};
}

common::Result<std::vector<BackendSpec>> parse_backend_list(std::string_view text) {
  std::vector<BackendSpec> specs;
  if (text.empty()) return common::Error{common::Errc::invalid_argument, "empty backend list"};
  for (size_t start = 0; start <= text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = text.substr(start, comma - start);
    if (item.empty()) return common::invalid_value(text, "empty item in the list");
    auto spec = parse_backend_spec(item);
    if (!spec) return spec.error();
    const bool repeated = std::any_of(specs.begin(), specs.end(), [&](const BackendSpec& s) {
      return s.address.to_string() == spec->address.to_string();
    });
    if (repeated)
      return common::invalid_value(item, "listed twice (use @weight to give it more traffic)");
    specs.push_back(std::move(*spec));
    start = comma + 1;
  }
  return specs;
}

}  // namespace lb
