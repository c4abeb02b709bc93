#include "web_server/replication/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <string>

namespace web::replication {

common::Result<Nonce> random_nonce() {
  Nonce nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    return common::Error{common::Errc::io_error, "RAND_bytes: no randomness for a nonce"};
  }
  return nonce;
}

Mac prove(std::string_view secret, Role role, const Nonce& dialer_nonce,
          const Nonce& acceptor_nonce, store::OriginId origin) {
  std::string message(1, static_cast<char>(role));
  message.append(dialer_nonce.begin(), dialer_nonce.end());
  message.append(acceptor_nonce.begin(), acceptor_nonce.end());
  for (int shift = 56; shift >= 0; shift -= 8)
    message.push_back(static_cast<char>(origin >> shift));
  Mac mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &length);
  return mac;
}

bool proof_valid(const Mac& proof, std::string_view secret, Role role, const Nonce& dialer_nonce,
                 const Nonce& acceptor_nonce, store::OriginId origin) {
  const Mac expected = prove(secret, role, dialer_nonce, acceptor_nonce, origin);
  return CRYPTO_memcmp(proof.data(), expected.data(), expected.size()) == 0;
}

}  // namespace web::replication
