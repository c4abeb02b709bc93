// What keeps a replication link's frames private and unforgeable once the handshake is done:
// an AEAD per frame, keyed fresh for each link.
//
// Why not TLS 1.3 with an external PSK: the handshake (auth.hpp) already proves both ends and
// yields two fresh nonces; what is missing is only record protection. Per-frame AEAD keeps the
// frame codec, the reader's length check before buffering, and the one-thread-per-direction
// layout of an outbound link (a sender thread and an ACK thread on one socket, which one SSL
// object could not serve without a lock around every read and write).
//
// Keys: HKDF-SHA256 with the cluster secret as input key material, salt = dialer nonce ||
// acceptor nonce, and info naming the protocol version, the direction and both origin ids. Each
// direction gets its own key and IV, so a frame cannot be reflected back to its sender, and a
// link's keys die with it: a reconnect (fresh nonces) means fresh keys.
//
// Cipher: ChaCha20-Poly1305. AES-256-GCM is faster where AES-NI is, but a GCM key must be
// retired after about 2^35 blocks (RFC 8446 5.5: some hundreds of GiB, hours for a busy link),
// which would mean rekeying inside a link; ChaCha20-Poly1305 has no such limit before its frame
// counter wraps, and is constant-time without hardware support. bench/micro/link_cipher_bench.cpp
// measures what it costs.
//
// Nonce: the IV XOR the direction's frame counter (as in TLS 1.3), never sent. A dropped,
// replayed, reordered or injected frame is opened with the wrong counter and fails, as does any
// changed bit. AAD: the frame header (its length covers the 16-byte tag, its type), which stays
// in clear so that the reader still bounds the length before buffering a frame.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "web_server/replication/auth.hpp"
#include "web_server/replication/frame.hpp"

namespace web::replication {

inline constexpr size_t kTagBytes = 16;
// The longest payload a sealed frame may carry: its tag must fit within kMaxFramePayload.
inline constexpr size_t kMaxSealedPayload = kMaxFramePayload - kTagBytes;

struct DirectionKey {
  std::array<uint8_t, 32> key{};
  std::array<uint8_t, 12> iv{};
};

// Both directions' keys of one link; wiped when destroyed.
struct LinkKeys {
  DirectionKey dialer_to_acceptor;
  DirectionKey acceptor_to_dialer;
  LinkKeys() = default;
  LinkKeys(const LinkKeys&) = default;
  LinkKeys& operator=(const LinkKeys&) = default;
  ~LinkKeys();
};

// Fails only when OpenSSL cannot run HKDF ("HKDF: ...").
common::Result<LinkKeys> derive_link_keys(std::string_view secret, const Nonce& dialer_nonce,
                                          const Nonce& acceptor_nonce, store::OriginId dialer,
                                          store::OriginId acceptor);

namespace detail {
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
}  // namespace detail

// Seals one direction's frames in order; one EVP context set up once, reused for every frame.
// Used by one thread at a time.
class FrameSealer {
 public:
  static common::Result<FrameSealer> create(const DirectionKey& key);

  // Appends the whole sealed frame (header, ciphertext, tag). The frames must reach the peer in
  // the order they were sealed. Errors: a payload over kMaxSealedPayload, the counter exhausted.
  common::Status append(std::string& out, FrameType type, std::string_view payload);

 private:
  FrameSealer(detail::CipherCtx ctx, const DirectionKey& key);
  detail::CipherCtx ctx_;
  std::array<uint8_t, 12> iv_;
  uint64_t counter_ = 0;
};

// Opens the other direction's frames, in order. After one fails, every later one fails too:
// the position in the stream is lost.
class FrameOpener {
 public:
  static common::Result<FrameOpener> create(const DirectionKey& key);

  // Decrypts in place `body` (ciphertext then tag, as the header's length says) of the frame
  // whose 5 header bytes are `header`; returns the plaintext (a prefix of body). Errors
  // (Errc::protocol): "frame 7 (CHANGE) fails authentication: ...", a body shorter than a tag.
  common::Result<std::string_view> open(std::string_view header, char* body, size_t size);

 private:
  FrameOpener(detail::CipherCtx ctx, const DirectionKey& key);
  detail::CipherCtx ctx_;
  std::array<uint8_t, 12> iv_;
  uint64_t counter_ = 0;
  bool failed_ = false;
};

}  // namespace web::replication
