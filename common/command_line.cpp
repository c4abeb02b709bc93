#include "common/command_line.hpp"

#include "common/startup.hpp"
#include "common/version.hpp"

namespace common {

std::optional<int> parse_command_line(CLI::App& app, std::string_view program, int argc,
                                      char** argv, const std::function<void()>& convert) {
  app.set_version_flag("--version", version_line(program));
  try {
    app.parse(argc, argv);
    convert();
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return startup_failure(program, e.what(), kExitUsage);
  } catch (const BadFlag& e) {
    return startup_failure(program, e.what(), kExitUsage);
  }
  return std::nullopt;
}

}  // namespace common
