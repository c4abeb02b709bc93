#include "web_server/replication/message.hpp"

#include <cstdint>
#include <set>

namespace web::replication {
namespace {

template <class Uint>
void put(std::string& out, Uint value) {
  for (int shift = 8 * static_cast<int>(sizeof(Uint)) - 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>(value >> shift));
  }
}

template <size_t N>
void put(std::string& out, const std::array<uint8_t, N>& bytes) {
  out.append(bytes.begin(), bytes.end());
}

// Reads fields front to back; any read past the end marks the whole payload bad.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  template <class Uint>
  Uint number() {
    Uint value = 0;
    for (char c : take(sizeof(Uint)))
      value = static_cast<Uint>(value << 8 | static_cast<uint8_t>(c));
    return value;
  }
  template <size_t N>
  std::array<uint8_t, N> bytes() {
    std::array<uint8_t, N> out{};
    const std::string_view part = take(N);
    for (size_t i = 0; i < part.size(); ++i) out[i] = static_cast<uint8_t>(part[i]);
    return out;
  }
  std::string_view take(size_t n) {
    if (n > in_.size()) {
      bad_ = true;
      n = in_.size();
    }
    const std::string_view part = in_.substr(0, n);
    in_.remove_prefix(n);
    return part;
  }
  // True when every read fitted and nothing is left over.
  bool done() const { return !bad_ && in_.empty(); }

 private:
  std::string_view in_;
  bool bad_ = false;
};

}  // namespace

std::string encode(const Hello& hello) {
  std::string out;
  put(out, hello.origin);
  put(out, hello.nonce);
  return out;
}

std::string encode(const Challenge& challenge) {
  std::string out;
  put(out, challenge.origin);
  put(out, challenge.nonce);
  put(out, challenge.proof);
  return out;
}

std::string encode(const Mac& proof) {
  std::string out;
  put(out, proof);
  return out;
}

std::string encode(const store::Summary& summary) {
  std::string out;
  put(out, static_cast<uint32_t>(summary.size()));
  for (const auto& [origin, seq] : summary) {
    put(out, origin);
    put(out, seq);
  }
  return out;
}

std::string encode(const store::Change& change) {
  std::string out;
  put(out, change.origin);
  put(out, change.seq);
  put(out, change.version.hlc);
  put(out, static_cast<uint16_t>(change.key.size()));
  out += change.key;
  put(out, static_cast<uint8_t>(change.value ? 1 : 0));
  if (change.value) {
    put(out, static_cast<uint32_t>(change.value->size()));
    out += *change.value;
  }
  return out;
}

// The promises, then the retired origins as an ACK's summary.
std::string encode(const Progress& progress) {
  std::string out;
  put(out, static_cast<uint32_t>(progress.promises.size()));
  for (const store::Promise& promise : progress.promises) {
    put(out, promise.origin);
    put(out, promise.seq);
    put(out, promise.hlc);
  }
  return out + encode(progress.retired);
}

std::string encode(const Skip& skip) {
  std::string out;
  put(out, skip.origin);
  put(out, skip.upto);
  return out;
}

std::optional<Hello> decode_hello(std::string_view payload) {
  Reader in(payload);
  Hello hello{in.number<uint64_t>(), in.bytes<32>()};
  if (!in.done()) return std::nullopt;
  return hello;
}

std::optional<Challenge> decode_challenge(std::string_view payload) {
  Reader in(payload);
  Challenge challenge;
  challenge.origin = in.number<uint64_t>();
  challenge.nonce = in.bytes<32>();
  challenge.proof = in.bytes<32>();
  if (!in.done()) return std::nullopt;
  return challenge;
}

std::optional<Mac> decode_proof(std::string_view payload) {
  Reader in(payload);
  const Mac proof = in.bytes<32>();
  if (!in.done()) return std::nullopt;
  return proof;
}

std::optional<store::Summary> decode_summary(std::string_view payload) {
  Reader in(payload);
  const auto count = in.number<uint32_t>();
  if (payload.size() != 4 + size_t{count} * 16) return std::nullopt;
  store::Summary summary;
  for (uint32_t i = 0; i < count; ++i) {
    const auto origin = in.number<uint64_t>();
    summary[origin] = in.number<uint64_t>();
  }
  if (!in.done() || summary.size() != count) return std::nullopt;
  return summary;
}

std::optional<store::Change> decode_change(std::string_view payload) {
  Reader in(payload);
  store::Change change;
  change.origin = in.number<uint64_t>();
  change.seq = in.number<uint64_t>();
  change.version = store::Version{in.number<uint64_t>(), change.origin};
  const auto key_size = in.number<uint16_t>();
  if (key_size == 0 || key_size > store::kMaxKeyBytes) return std::nullopt;
  change.key = in.take(key_size);
  const auto has_value = in.number<uint8_t>();
  if (has_value > 1) return std::nullopt;
  if (has_value == 1) {
    const auto value_size = in.number<uint32_t>();
    if (value_size > store::kMaxValueBytes) return std::nullopt;
    change.value = std::string(in.take(value_size));
  }
  if (!in.done() || change.seq == 0) return std::nullopt;
  return change;
}

std::optional<Progress> decode_progress(std::string_view payload) {
  Reader in(payload);
  const auto count = in.number<uint32_t>();
  const size_t promises_end = 4 + size_t{count} * 24;
  if (payload.size() < promises_end) return std::nullopt;
  Progress progress;
  progress.promises.reserve(count);
  std::set<store::OriginId> origins;
  for (uint32_t i = 0; i < count; ++i) {
    store::Promise promise;
    promise.origin = in.number<uint64_t>();
    promise.seq = in.number<uint64_t>();
    promise.hlc = in.number<uint64_t>();
    if (promise.origin == 0 || !origins.insert(promise.origin).second) return std::nullopt;
    progress.promises.push_back(promise);
  }
  auto retired = decode_summary(payload.substr(promises_end));
  if (!retired || retired->contains(0)) return std::nullopt;
  progress.retired = std::move(*retired);
  return progress;
}

std::optional<Skip> decode_skip(std::string_view payload) {
  Reader in(payload);
  Skip skip{in.number<uint64_t>(), in.number<uint64_t>()};
  if (!in.done() || skip.origin == 0 || skip.upto == 0) return std::nullopt;
  return skip;
}

}  // namespace web::replication
