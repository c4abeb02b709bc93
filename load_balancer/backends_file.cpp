#include "load_balancer/backends_file.hpp"

#include <algorithm>
#include <charconv>

#include "common/config_file.hpp"

namespace lb {

namespace {

constexpr std::string_view kSpaces = " \t\r";

// Splits `line` at runs of spaces and tabs.
std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> words;
  for (size_t at = line.find_first_not_of(kSpaces); at != std::string_view::npos;) {
    const size_t end = std::min(line.find_first_of(kSpaces, at), line.size());
    words.push_back(line.substr(at, end - at));
    at = line.find_first_not_of(kSpaces, end);
  }
  return words;
}

common::Result<uint32_t> parse_weight_option(std::string_view word) {
  constexpr std::string_view kKey = "weight=";
  if (word.substr(0, kKey.size()) != kKey) {
    return common::invalid_value(word, "unexpected (expected weight=N)");
  }
  const std::string_view digits = word.substr(kKey.size());
  uint32_t weight = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), weight);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || weight < 1 ||
      weight > kMaxWeight) {
    return common::invalid_value(word, "weight must be 1.." + std::to_string(kMaxWeight));
  }
  return weight;
}

bool same_address(const BackendSpec& a, const BackendSpec& b) {
  return a.address.to_string() == b.address.to_string();
}

}  // namespace

common::Result<BackendSpec> parse_backend_line(std::string_view line) {
  const std::vector<std::string_view> words = words_of(line);
  if (words.empty()) return common::invalid_value(line, "no address");
  if (words[0].find('@') != std::string_view::npos) {
    return common::invalid_value(words[0], "write the weight as weight=N");
  }
  auto spec = parse_backend_spec(words[0]);
  if (!spec) return spec.error();
  if (words.size() > 2) return common::invalid_value(words[2], "unexpected (one weight=N at most)");
  if (words.size() == 2) {
    auto weight = parse_weight_option(words[1]);
    if (!weight) return weight.error();
    spec->weight = *weight;
  }
  return spec;
}

common::Result<std::vector<BackendSpec>> parse_backends_file(std::string_view text,
                                                             std::string_view file) {
  std::vector<BackendSpec> specs;
  std::vector<size_t> lines;  // where each spec was, for the error about a repeated one
  for (const common::ConfigLine& line : common::config_lines(text)) {
    const std::string where = std::string(file) + ":" + std::to_string(line.number);
    auto spec = parse_backend_line(line.text);
    if (!spec) return common::invalid_value(where, spec.error().message);
    const auto twin = std::find_if(specs.begin(), specs.end(),
                                   [&](const BackendSpec& s) { return same_address(s, *spec); });
    if (twin != specs.end()) {
      const size_t first = lines[static_cast<size_t>(twin - specs.begin())];
      return common::invalid_value(
          where, spec->name + ": listed already on line " + std::to_string(first));
    }
    specs.push_back(std::move(*spec));
    lines.push_back(line.number);
  }
  return specs;
}

common::Result<std::vector<BackendSpec>> read_backends_file(const std::string& path) {
  auto text = common::read_text_file(path);
  if (!text) return text.error();
  return parse_backends_file(*text, path);
}

BackendsDiff diff_backends(const std::vector<BackendSpec>& before,
                           const std::vector<BackendSpec>& after) {
  BackendsDiff diff;
  for (const BackendSpec& spec : after) {
    const auto old = std::find_if(before.begin(), before.end(),
                                  [&](const BackendSpec& s) { return same_address(s, spec); });
    if (old == before.end()) {
      diff.added.push_back(spec);
    } else if (old->weight != spec.weight) {
      diff.reweighed.push_back(spec);
    }
  }
  for (const BackendSpec& spec : before) {
    const bool kept = std::any_of(after.begin(), after.end(),
                                  [&](const BackendSpec& s) { return same_address(s, spec); });
    if (!kept) diff.removed.push_back(spec);
  }
  return diff;
}

}  // namespace lb
