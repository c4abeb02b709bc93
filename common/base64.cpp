#include "common/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace common {

std::string base64_encode(std::string_view data) {
  // EVP_EncodeBlock takes an int length, so longer input goes in blocks of whole 3-byte groups;
  // each block's 4 characters per group then follow the last's without a gap.
  constexpr size_t kBlock = size_t{3} << 20;
  // Room for 4 characters per started group and the NUL that EVP_EncodeBlock adds after them.
  std::string out((data.size() + 2) / 3 * 4 + 1, '\0');
  size_t written = 0;
  for (size_t at = 0; at < data.size(); at += kBlock) {
    const size_t n = std::min(kBlock, data.size() - at);
    written += static_cast<size_t>(EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(out.data() + written),
        reinterpret_cast<const unsigned char*>(data.data() + at), static_cast<int>(n)));
  }
  out.resize(written);
  return out;
}

}  // namespace common
