// One way for a main to read its command line with CLI11: parse it, then turn the flags into
// the values it runs with.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string_view>

namespace common {

// Gives `app` --version, parses argv, then runs `convert`, which throws BadFlag (startup.hpp)
// for a value that does not do. The exit status when main should stop at once: 0 after --help
// or --version, kExitUsage after a bad flag (one line "program: ..." on stderr); nullopt to go
// on.
std::optional<int> parse_command_line(CLI::App& app, std::string_view program, int argc,
                                      char** argv, const std::function<void()>& convert);

}  // namespace common
