#include "web_server/replication/handshake.hpp"

#include <string>

#include "web_server/replication/auth.hpp"
#include "web_server/replication/link_cipher.hpp"
#include "web_server/replication/message.hpp"
#include "web_server/replication/peer_table.hpp"

namespace web::replication {
namespace {

common::Error malformed(FrameType type) {
  return protocol_error("malformed " + std::string(to_string(type)) + " payload");
}

common::Status check_origin(store::OriginId peer, store::OriginId self) {
  if (peer == self) return protocol_error("the peer has our own origin id (a link to itself?)");
  return common::Ok{};
}

// Switches both directions to the link's keys: `self` seals with its own direction's key and
// opens with the other's.
common::Status start_cipher(FrameWriter& writer, FrameReader& reader, const LinkKeys& keys,
                            Role self) {
  const bool dialer = self == Role::dialer;
  auto sealer = FrameSealer::create(dialer ? keys.dialer_to_acceptor : keys.acceptor_to_dialer);
  if (!sealer) return sealer.error();
  auto opener = FrameOpener::create(dialer ? keys.acceptor_to_dialer : keys.dialer_to_acceptor);
  if (!opener) return opener.error();
  writer.start_sealing(std::move(*sealer));
  reader.start_opening(std::move(*opener));
  return common::Ok{};
}

}  // namespace

common::Error retired_origin(store::OriginId origin) {
  return protocol_error("origin " + origin_hex(origin) +
                        " is retired (removed from the peers, or replaced by a new origin); "
                        "its server rejoins only with an empty data folder");
}

common::Result<Frame> expect_frame(FrameReader& reader, FrameType expected) {
  auto frame = reader.read();
  if (!frame) return frame.error();
  if (frame->type != expected) {
    return protocol_error("expected " + std::string(to_string(expected)) + ", got " +
                          std::string(to_string(frame->type)));
  }
  return frame;
}

common::Result<store::OriginId> handshake_as_dialer(FrameWriter& writer, FrameReader& reader,
                                                    std::string_view secret, store::OriginId self) {
  auto nonce = random_nonce();
  if (!nonce) return nonce.error();
  if (auto sent = writer.send(FrameType::hello, encode(Hello{self, *nonce})); !sent) {
    return sent.error();
  }
  auto frame = expect_frame(reader, FrameType::challenge);
  if (!frame) return frame.error();
  const auto challenge = decode_challenge(frame->payload);
  if (!challenge) return malformed(FrameType::challenge);
  if (!proof_valid(challenge->proof, secret, Role::acceptor, *nonce, challenge->nonce,
                   challenge->origin)) {
    return protocol_error("wrong secret: the acceptor's proof does not verify");
  }
  if (auto same = check_origin(challenge->origin, self); !same) return same.error();
  const Mac proof = prove(secret, Role::dialer, *nonce, challenge->nonce, self);
  if (auto sent = writer.send(FrameType::proof, encode(proof)); !sent) return sent.error();
  const auto keys = derive_link_keys(secret, *nonce, challenge->nonce, self, challenge->origin);
  if (!keys) return keys.error();
  if (auto started = start_cipher(writer, reader, *keys, Role::dialer); !started) {
    return started.error();
  }
  return challenge->origin;
}

common::Result<store::OriginId> handshake_as_acceptor(FrameWriter& writer, FrameReader& reader,
                                                      std::string_view secret,
                                                      store::OriginId self) {
  auto frame = expect_frame(reader, FrameType::hello);
  if (!frame) return frame.error();
  const auto hello = decode_hello(frame->payload);
  if (!hello) return malformed(FrameType::hello);
  if (auto same = check_origin(hello->origin, self); !same) return same.error();
  auto nonce = random_nonce();
  if (!nonce) return nonce.error();
  const Challenge challenge{self, *nonce,
                            prove(secret, Role::acceptor, hello->nonce, *nonce, self)};
  if (auto sent = writer.send(FrameType::challenge, encode(challenge)); !sent) {
    return sent.error();
  }
  auto proof_frame = expect_frame(reader, FrameType::proof);
  if (!proof_frame) return proof_frame.error();
  const auto proof = decode_proof(proof_frame->payload);
  if (!proof) return malformed(FrameType::proof);
  if (!proof_valid(*proof, secret, Role::dialer, hello->nonce, *nonce, hello->origin)) {
    return protocol_error("wrong secret: the dialer's proof does not verify");
  }
  const auto keys = derive_link_keys(secret, hello->nonce, *nonce, hello->origin, self);
  if (!keys) return keys.error();
  if (auto started = start_cipher(writer, reader, *keys, Role::acceptor); !started) {
    return started.error();
  }
  return hello->origin;
}

}  // namespace web::replication
