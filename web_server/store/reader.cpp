#include "web_server/store/reader.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace web::store {

namespace {

// SQLite's LIMIT takes an int64; a size_t past it means "no limit".
uint64_t sql_limit(size_t limit) {
  return std::min<uint64_t>(limit, std::numeric_limits<int64_t>::max());
}

// The first string greater than every string starting with `prefix`, or nullopt when a key can
// not start with it. Key bytes are printable ASCII (valid_key), so incrementing the last byte of
// the prefix stays below 0x80 and "\x7f" is above every key.
std::optional<std::string> prefix_end(std::string_view prefix) {
  for (const char c : prefix) {
    if (c < 0x21 || c > 0x7e) return std::nullopt;
  }
  if (prefix.empty()) return std::string("\x7f");
  std::string end(prefix);
  end.back() = static_cast<char>(end.back() + 1);
  return end;
}

struct DigestDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

void hash_u64(EVP_MD_CTX* ctx, uint64_t value) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
  EVP_DigestUpdate(ctx, bytes, sizeof bytes);
}

// Length-prefixed, so that ("ab", "c") and ("a", "bc") hash differently.
void hash_bytes(EVP_MD_CTX* ctx, std::string_view bytes) {
  hash_u64(ctx, bytes.size());
  EVP_DigestUpdate(ctx, bytes.data(), bytes.size());
}

std::string hex(const unsigned char* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0x0f];
  }
  return out;
}

}  // namespace

common::Result<std::unique_ptr<Reader>> Reader::open(const std::string& path) {
  auto db = sqlite::Database::open(path, SQLITE_OPEN_READONLY);
  if (!db) return db.error();
  std::unique_ptr<Reader> reader(new Reader(std::move(*db)));
  if (auto busy = reader->db_.exec("PRAGMA busy_timeout = 5000"); !busy) return busy.error();
  if (auto prepared = reader->prepare(); !prepared) return prepared.error();
  return reader;
}

common::Status Reader::prepare() {
  struct Spec {
    sqlite::Statement* statement;
    const char* sql;
  };
  const Spec specs[] = {
      {&get_, "SELECT value, hlc, origin FROM kv WHERE key = ?1"},
      {&list_,
       "SELECT key, value, hlc, origin FROM kv WHERE key >= ?1 AND key < ?2 AND value IS NOT NULL "
       "ORDER BY key LIMIT ?3"},
      {&changes_between_,
       "SELECT seq, hlc, key, value FROM kv WHERE origin = ?1 AND seq > ?2 AND seq <= ?3 "
       "ORDER BY seq LIMIT ?4"},
      {&live_rows_, "SELECT key, value, hlc, origin FROM kv WHERE value IS NOT NULL ORDER BY key"},
  };
  for (const Spec& spec : specs) {
    auto statement = db_.prepare(spec.sql);
    if (!statement) return statement.error();
    *spec.statement = std::move(*statement);
  }
  return common::Ok{};
}

common::Result<std::optional<Store::Stored>> Reader::lookup(std::string_view key) {
  sqlite::Run run(get_);
  auto row = run.bind(1, key).step();
  if (!row) return row.error();
  if (!*row) return std::optional<Store::Stored>();
  Store::Stored stored{std::nullopt, {run.u64(1), run.u64(2)}};
  if (!run.is_null(0)) stored.value = run.text(0);
  return std::optional<Store::Stored>(std::move(stored));
}

common::Result<std::vector<Entry>> Reader::list(std::string_view prefix, size_t limit) {
  std::vector<Entry> entries;
  const std::optional<std::string> end = prefix_end(prefix);
  if (!end || limit == 0) return entries;
  sqlite::Run run(list_);
  run.bind(1, prefix).bind(2, std::string_view(*end)).bind(3, sql_limit(limit));
  for (;;) {
    auto row = run.step();
    if (!row) return row.error();
    if (!*row) return entries;
    entries.push_back(Entry{run.text(0), run.text(1), {run.u64(2), run.u64(3)}});
  }
}

common::Result<std::vector<Change>> Reader::changes_between(OriginId origin, uint64_t after,
                                                            uint64_t upto, size_t limit) {
  std::vector<Change> changes;
  sqlite::Run run(changes_between_);
  run.bind(1, origin).bind(2, after).bind(3, sql_limit(upto)).bind(4, sql_limit(limit));
  for (;;) {
    auto row = run.step();
    if (!row) return row.error();
    if (!*row) return changes;
    Change change{origin, run.u64(0), {run.u64(1), origin}, run.text(2), std::nullopt};
    if (!run.is_null(3)) change.value = run.text(3);
    changes.push_back(std::move(change));
  }
}

common::Result<std::string> Reader::digest() {
  std::unique_ptr<EVP_MD_CTX, DigestDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return common::Error{common::Errc::io_error, "digest: EVP_DigestInit_ex failed"};
  }
  sqlite::Run run(live_rows_);
  for (;;) {
    auto row = run.step();
    if (!row) return row.error();
    if (!*row) break;
    hash_bytes(ctx.get(), run.text(0));
    hash_bytes(ctx.get(), run.text(1));
    hash_u64(ctx.get(), run.u64(2));
    hash_u64(ctx.get(), run.u64(3));
  }
  unsigned char sum[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx.get(), sum, &size) != 1) {
    return common::Error{common::Errc::io_error, "digest: EVP_DigestFinal_ex failed"};
  }
  return hex(sum, size);
}

common::Result<std::unique_ptr<ReaderPool::Lease>> ReaderPool::acquire() {
  std::unique_lock lock(mutex_);
  idle_changed_.wait(lock, [this] { return !idle_.empty() || open_ < max_; });
  if (!idle_.empty()) {
    std::unique_ptr<Reader> reader = std::move(idle_.back());
    idle_.pop_back();
    return std::make_unique<Lease>(*this, std::move(reader));
  }
  ++open_;
  lock.unlock();  // opening a connection touches the file: not under the pool's lock
  auto reader = Reader::open(path_);
  if (!reader) {
    lock.lock();
    --open_;
    idle_changed_.notify_one();
    return reader.error();
  }
  return std::make_unique<Lease>(*this, std::move(*reader));
}

void ReaderPool::give_back(std::unique_ptr<Reader> reader) {
  {
    const std::lock_guard lock(mutex_);
    idle_.push_back(std::move(reader));
  }
  idle_changed_.notify_one();
}

}  // namespace web::store
