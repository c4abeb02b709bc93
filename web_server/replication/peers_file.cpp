#include "web_server/replication/peers_file.hpp"

#include <algorithm>

#include "common/address.hpp"
#include "common/config_file.hpp"

namespace web::replication {

common::Result<std::vector<std::string>> parse_peers_file(std::string_view text,
                                                          std::string_view file) {
  std::vector<std::string> peers;
  std::vector<size_t> lines;  // where each peer was, for the error about a repeated one
  for (const common::ConfigLine& line : common::config_lines(text)) {
    const std::string where = std::string(file) + ":" + std::to_string(line.number);
    if (auto parsed = common::parse_host_port(line.text); !parsed) {
      return common::invalid_value(where, parsed.error().message);
    }
    const auto twin = std::find(peers.begin(), peers.end(), line.text);
    if (twin != peers.end()) {
      const size_t first = lines[static_cast<size_t>(twin - peers.begin())];
      return common::invalid_value(
          where, std::string(line.text) + ": listed already on line " + std::to_string(first));
    }
    peers.emplace_back(line.text);
    lines.push_back(line.number);
  }
  return peers;
}

common::Result<std::vector<std::string>> read_peers_file(const std::string& path) {
  auto text = common::read_text_file(path);
  if (!text) return text.error();
  return parse_peers_file(*text, path);
}

}  // namespace web::replication
