// Mutual authentication of two servers that share a secret: each side sends a fresh random
// nonce and proves it knows the secret with HMAC-SHA256 over both nonces, its role and its
// origin id. The role keeps one side's proof from being reflected back as the other's; the
// fresh nonces keep a recorded proof from being replayed on another connection.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "common/result.hpp"
#include "web_server/store/version.hpp"

namespace web::replication {

using Nonce = std::array<uint8_t, 32>;
using Mac = std::array<uint8_t, 32>;

enum class Role : uint8_t { dialer = 'D', acceptor = 'A' };

// Fresh bytes from OpenSSL's CSPRNG; fails only when it cannot be seeded.
common::Result<Nonce> random_nonce();

// HMAC-SHA256(secret, role | dialer_nonce | acceptor_nonce | origin as 8 big-endian bytes).
Mac prove(std::string_view secret, Role role, const Nonce& dialer_nonce,
          const Nonce& acceptor_nonce, store::OriginId origin);

// Whether `proof` is prove(...) for these inputs, compared in constant time.
bool proof_valid(const Mac& proof, std::string_view secret, Role role, const Nonce& dialer_nonce,
                 const Nonce& acceptor_nonce, store::OriginId origin);

}  // namespace web::replication
