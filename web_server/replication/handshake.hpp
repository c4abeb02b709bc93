// The opening of a replication link, before any change may flow:
//   dialer   -> HELLO     {origin_d, nonce_d}
//   acceptor -> CHALLENGE {origin_a, nonce_a, prove(acceptor, nonce_d, nonce_a, origin_a)}
//   dialer   -> PROOF     {prove(dialer, nonce_d, nonce_a, origin_d)}
// Each side checks the other's proof (auth.hpp) and drops the link at the first frame that is
// not the one expected, so nothing a peer sends before proving itself reaches the store. These
// frames go in clear (the proofs authenticate them); once both proofs check, each side keys its
// writer and reader with the link's keys (link_cipher.hpp), so every later frame is sealed.
#pragma once

#include <string_view>

#include "common/result.hpp"
#include "web_server/replication/frame_stream.hpp"
#include "web_server/store/version.hpp"

namespace web::replication {

// Each returns the peer's origin id once it proved it knows `secret` (and `writer` and `reader`
// seal and open from then on), or why the link must go: Errc::protocol for a wrong proof
// ("wrong secret: ..."), an unexpected or malformed frame, or a peer that has our own origin id;
// the socket's error otherwise.
common::Result<store::OriginId> handshake_as_dialer(FrameWriter& writer, FrameReader& reader,
                                                    std::string_view secret, store::OriginId self);
common::Result<store::OriginId> handshake_as_acceptor(FrameWriter& writer, FrameReader& reader,
                                                      std::string_view secret,
                                                      store::OriginId self);

// Why a link with a server of a retired origin goes once it has authenticated: its server was
// removed from the peers, or came back as a new origin at its address, and what it holds may be
// older than tombstones dropped since; it rejoins with an empty data folder, as a new origin.
common::Error retired_origin(store::OriginId origin);

// Reads the next frame and requires it to be of type `expected` ("expected PROOF, got CHANGE").
common::Result<Frame> expect_frame(FrameReader& reader, FrameType expected);

}  // namespace web::replication
