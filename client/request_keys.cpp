#include "client/request_keys.hpp"

#include <charconv>

namespace client {

namespace {

std::string_view request_line(std::string_view request) {
  return request.substr(0, request.find("\r\n"));
}

}  // namespace

bool has_key_placeholder(std::string_view request) {
  return request_line(request).find(kKeyPlaceholder) != std::string_view::npos;
}

std::unique_ptr<RequestKeys> RequestKeys::of(std::string_view request, uint64_t key_space) {
  const size_t line_end = request_line(request).size();
  std::vector<std::string> pieces;
  size_t from = 0;
  for (size_t at = request.find(kKeyPlaceholder); at < line_end;
       at = request.find(kKeyPlaceholder, from)) {
    pieces.emplace_back(request.substr(from, at - from));
    from = at + kKeyPlaceholder.size();
  }
  if (pieces.empty()) return nullptr;
  pieces.emplace_back(request.substr(from));
  return std::unique_ptr<RequestKeys>(new RequestKeys(std::move(pieces), key_space));
}

RequestKeys::RequestKeys(std::vector<std::string> pieces, uint64_t key_space)
    : pieces_(std::move(pieces)), key_space_(key_space) {}

void RequestKeys::next(std::string& out) const {
  const uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  render(key_space_ == 0 ? n : n % key_space_, out);
}

void RequestKeys::render(uint64_t n, std::string& out) const {
  char digits[20];  // 2^64 - 1 has 20 decimal digits
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  const std::string_view number(digits, static_cast<size_t>(end - digits));
  out.clear();
  out += pieces_.front();
  for (size_t i = 1; i < pieces_.size(); ++i) {
    out += number;
    out += pieces_[i];
  }
}

}  // namespace client
