#include "web_server/replication/link_cipher.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <limits>

namespace web::replication {
namespace {

// Names the protocol in every derived key, so that keys for a later version never equal these.
constexpr std::string_view kInfoLabel = "balancer-suite replication link v1";

struct KdfFree {
  void operator()(EVP_KDF* kdf) const { EVP_KDF_free(kdf); }
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};

common::Error openssl_error(std::string_view what) {
  const unsigned long code = ERR_get_error();
  char reason[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
  ERR_clear_error();
  return common::Error{common::Errc::io_error, std::string(what) + ": " + reason};
}

void append_be64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

// info = label | direction ('D': dialer to acceptor, 'A': the other way) | origin_d | origin_a
std::string info_for(Role sender, store::OriginId dialer, store::OriginId acceptor) {
  std::string info(kInfoLabel);
  info.push_back(static_cast<char>(sender));
  append_be64(info, dialer);
  append_be64(info, acceptor);
  return info;
}

common::Result<DirectionKey> hkdf(std::string_view secret, std::string salt, std::string info) {
  const std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return openssl_error("HKDF: fetch");
  const std::unique_ptr<EVP_KDF_CTX, KdfFree> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return openssl_error("HKDF: context");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(secret.data()),
                                        secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  std::array<uint8_t, sizeof(DirectionKey::key) + sizeof(DirectionKey::iv)> out{};
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return openssl_error("HKDF: derive");
  }
  DirectionKey key;
  std::copy_n(out.begin(), key.key.size(), key.key.begin());
  std::copy_n(out.begin() + key.key.size(), key.iv.size(), key.iv.begin());
  OPENSSL_cleanse(out.data(), out.size());
  return key;
}

// ChaCha20-Poly1305 (see the header for why), with `key` set once; each frame sets only its nonce.
common::Result<detail::CipherCtx> keyed_context(const DirectionKey& key, bool encrypt) {
  detail::CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_error("AEAD: context");
  if (EVP_CipherInit_ex(ctx.get(), EVP_chacha20_poly1305(), nullptr, key.key.data(), nullptr,
                        encrypt ? 1 : 0) != 1) {
    return openssl_error("AEAD: key");
  }
  return ctx;
}

// The IV XOR the 64-bit big-endian counter in its last 8 bytes.
std::array<uint8_t, 12> nonce_for(const std::array<uint8_t, 12>& iv, uint64_t counter) {
  std::array<uint8_t, 12> nonce = iv;
  for (size_t i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<uint8_t>(counter >> (8 * i));
  return nonce;
}

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

LinkKeys::~LinkKeys() {
  OPENSSL_cleanse(&dialer_to_acceptor, sizeof dialer_to_acceptor);
  OPENSSL_cleanse(&acceptor_to_dialer, sizeof acceptor_to_dialer);
}

common::Result<LinkKeys> derive_link_keys(std::string_view secret, const Nonce& dialer_nonce,
                                          const Nonce& acceptor_nonce, store::OriginId dialer,
                                          store::OriginId acceptor) {
  std::string salt(dialer_nonce.begin(), dialer_nonce.end());
  salt.append(acceptor_nonce.begin(), acceptor_nonce.end());
  auto forward = hkdf(secret, salt, info_for(Role::dialer, dialer, acceptor));
  if (!forward) return forward.error();
  auto backward = hkdf(secret, salt, info_for(Role::acceptor, dialer, acceptor));
  if (!backward) return backward.error();
  LinkKeys keys;
  keys.dialer_to_acceptor = *forward;
  keys.acceptor_to_dialer = *backward;
  OPENSSL_cleanse(&*forward, sizeof(DirectionKey));
  OPENSSL_cleanse(&*backward, sizeof(DirectionKey));
  return keys;
}

FrameSealer::FrameSealer(detail::CipherCtx ctx, const DirectionKey& key)
    : ctx_(std::move(ctx)), iv_(key.iv) {}

common::Result<FrameSealer> FrameSealer::create(const DirectionKey& key) {
  auto ctx = keyed_context(key, true);
  if (!ctx) return ctx.error();
  return FrameSealer(std::move(*ctx), key);
}

common::Status FrameSealer::append(std::string& out, FrameType type, std::string_view payload) {
  if (payload.size() > kMaxSealedPayload) {
    return common::Error{common::Errc::limit_exceeded, "seal: payload over the frame maximum"};
  }
  if (counter_ == std::numeric_limits<uint64_t>::max()) {
    return common::Error{common::Errc::limit_exceeded, "seal: frame counter exhausted"};
  }
  const std::string header = frame_header(type, payload.size() + kTagBytes);
  const size_t at = out.size();
  out.resize(at + header.size() + payload.size() + kTagBytes);
  unsigned char* body = reinterpret_cast<unsigned char*>(out.data()) + at + header.size();
  const auto nonce = nonce_for(iv_, counter_++);
  int length = 0;
  if (EVP_EncryptInit_ex(ctx_.get(), nullptr, nullptr, nullptr, nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx_.get(), nullptr, &length, bytes(header),
                        static_cast<int>(header.size())) != 1 ||
      EVP_EncryptUpdate(ctx_.get(), body, &length, bytes(payload),
                        static_cast<int>(payload.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx_.get(), body + payload.size(), &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes),
                          body + payload.size()) != 1) {
    out.resize(at);
    return openssl_error("seal");
  }
  std::copy(header.begin(), header.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
  return common::Ok{};
}

FrameOpener::FrameOpener(detail::CipherCtx ctx, const DirectionKey& key)
    : ctx_(std::move(ctx)), iv_(key.iv) {}

common::Result<FrameOpener> FrameOpener::create(const DirectionKey& key) {
  auto ctx = keyed_context(key, false);
  if (!ctx) return ctx.error();
  return FrameOpener(std::move(*ctx), key);
}

common::Result<std::string_view> FrameOpener::open(std::string_view header, char* body,
                                                   size_t size) {
  const uint64_t number = counter_++;
  const auto type = static_cast<FrameType>(static_cast<uint8_t>(header[4]));
  const auto refuse = [&](std::string_view why) {
    failed_ = true;
    ERR_clear_error();
    return common::Error{common::Errc::protocol, "frame " + std::to_string(number) + " (" +
                                                     std::string(to_string(type)) +
                                                     ") fails authentication: " + std::string(why)};
  };
  if (failed_) return refuse("an earlier frame failed");
  if (size < kTagBytes) return refuse("shorter than its tag");
  const size_t text = size - kTagBytes;
  auto* data = reinterpret_cast<unsigned char*>(body);
  const auto nonce = nonce_for(iv_, number);
  int length = 0;
  if (EVP_DecryptInit_ex(ctx_.get(), nullptr, nullptr, nullptr, nonce.data()) != 1 ||
      EVP_DecryptUpdate(ctx_.get(), nullptr, &length, bytes(header),
                        static_cast<int>(header.size())) != 1 ||
      EVP_DecryptUpdate(ctx_.get(), data, &length, data, static_cast<int>(text)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes),
                          data + text) != 1 ||
      EVP_DecryptFinal_ex(ctx_.get(), data + text, &length) != 1) {
    return refuse("altered, dropped, replayed or injected bytes, or another key");
  }
  return std::string_view(body, text);
}

}  // namespace web::replication
