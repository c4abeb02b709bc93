// The --peers-file: one peer's replication address a line, "HOST:PORT", '#' starts a comment,
// blank lines are skipped. Read at start-up and again on SIGHUP, when the replicator makes it
// its members (Replicator::set_peers).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace web::replication {

// The whole file's text; `file` names it in errors: "peers.txt:3: 10.0.0.2: expected HOST:PORT",
// "peers.txt:4: 10.0.0.2:7000: listed already on line 1". An empty file is no peers.
common::Result<std::vector<std::string>> parse_peers_file(std::string_view text,
                                                          std::string_view file);
// Reads and parses the file at `path`: "open peers.txt: No such file or directory".
common::Result<std::vector<std::string>> read_peers_file(const std::string& path);

}  // namespace web::replication
