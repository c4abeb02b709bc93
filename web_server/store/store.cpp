#include "web_server/store/store.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>
#include <utility>

#include "common/log.hpp"
#include "web_server/store/hlc.hpp"
#include "web_server/store/log_summary.hpp"
#include "web_server/store/reader.hpp"
#include "web_server/store/schema.hpp"
#include "web_server/store/writer.hpp"

namespace web::store {

namespace {

// Enough for the reads of a busy server to overlap without a page cache per connection thread.
constexpr size_t kMaxReaders = 8;

common::Status check_change(std::string_view key, const std::optional<std::string>& value) {
  if (!valid_key(key)) return common::invalid_value("key '" + std::string(key) + "'", "invalid");
  if (value && value->size() > kMaxValueBytes) {
    return common::Error{common::Errc::limit_exceeded,
                         "value of " + std::string(key) + ": " + std::to_string(value->size()) +
                             " bytes, over the limit of " + std::to_string(kMaxValueBytes)};
  }
  return common::Ok{};
}

}  // namespace

struct Store::Impl {
  Impl(OpenedFile&& file, Writer&& w, const Options& options)
      : id(file.id),
        clock(file.last_hlc, options.max_skew),
        readers(options.path, kMaxReaders),
        writer(std::move(w)) {
    // Past every version stored, so that a write after a restart beats what it overwrites.
    clock.observe(file.newest_hlc);
  }

  // Under write_mutex: a local write with the next seq and a fresh timestamp.
  common::Result<Change> write_local(std::string_view key, std::optional<std::string> value);
  // Under write_mutex, after a commit of a change new to the log: the summary, then the
  // listeners, in commit order.
  void published(const Change& change, bool won);

  template <class T>
  T read(T fallback, const std::function<common::Result<T>(Reader&)>& query);

  const OriginId id;
  HybridClock clock;
  LogSummary summary;
  ReaderPool readers;

  std::mutex write_mutex;  // guards everything below
  Writer writer;
  uint64_t own_seq = 0;
  std::map<OriginId, uint64_t> purged_upto;  // purge() has seen each origin's rows up to here
  std::vector<Listener> listeners;
};

void Store::Impl::published(const Change& change, bool won) {
  summary.add(change.origin, change.seq);
  // A peer may send back this server's own changes (after a restore from an old copy of the
  // file, say): never reuse their seqs.
  if (change.origin == id && change.seq > own_seq) own_seq = change.seq;
  for (const Listener& listener : listeners) listener(change, won);
}

common::Result<Change> Store::Impl::write_local(std::string_view key,
                                                std::optional<std::string> value) {
  Change change{id, own_seq + 1, {clock.now(), id}, std::string(key), std::move(value)};
  auto written = writer.write(change, change.version.hlc);
  if (!written) return written.error();
  published(change, written->won);
  return change;
}

// Reads cannot report errors through the Store API (get/list/... return plain values): a failed
// read is logged and answers `fallback`.
template <class T>
T Store::Impl::read(T fallback, const std::function<common::Result<T>(Reader&)>& query) {
  auto lease = readers.acquire();
  if (!lease) {
    common::log("store: ", lease.error().message);
    return fallback;
  }
  auto result = query((*lease)->reader());
  if (!result) {
    common::log("store: ", result.error().message);
    return fallback;
  }
  return std::move(*result);
}

common::Result<std::unique_ptr<Store>> Store::open(const Options& options) {
  auto file = open_file(options.path);
  if (!file) return file.error();
  auto writer = Writer::open(std::move(file->db));
  if (!writer) return writer.error();
  auto impl = std::make_unique<Impl>(std::move(*file), std::move(*writer), options);
  auto own = impl->writer.max_seq(impl->id);
  if (!own) return own.error();
  impl->own_seq = *own;
  LogSummary& summary = impl->summary;
  if (auto loaded = impl->writer.for_each_seq([&](OriginId o, uint64_t s) { summary.add(o, s); });
      !loaded) {
    return loaded.error();
  }
  // Open one reader now so that a file readers cannot open fails here, not on the first get().
  if (auto reader = impl->readers.acquire(); !reader) return reader.error();
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

OriginId Store::id() const { return impl_->id; }

common::Result<Change> Store::put(std::string_view key, std::string_view value) {
  std::optional<std::string> owned(std::in_place, value);
  if (auto checked = check_change(key, owned); !checked) return checked.error();
  const std::lock_guard lock(impl_->write_mutex);
  return impl_->write_local(key, std::move(owned));
}

common::Result<std::optional<Change>> Store::remove(std::string_view key) {
  if (auto checked = check_change(key, std::nullopt); !checked) return checked.error();
  const std::lock_guard lock(impl_->write_mutex);
  auto current = impl_->writer.current(key);
  if (!current) return current.error();
  if (!*current || (*current)->deleted) return std::optional<Change>();
  auto change = impl_->write_local(key, std::nullopt);
  if (!change) return change.error();
  return std::optional<Change>(std::move(*change));
}

common::Result<bool> Store::apply(const Change& change) {
  if (auto checked = check_change(change.key, change.value); !checked) return checked.error();
  if (change.origin == 0 || change.seq == 0 || change.version.origin != change.origin) {
    return common::invalid_value("change " + to_string(change.version) + " seq " +
                                     std::to_string(change.seq) + " of " + change.key,
                                 "origin and seq must be non-zero and match the version");
  }
  const std::lock_guard lock(impl_->write_mutex);
  auto written = impl_->writer.write(change, std::nullopt);
  if (!written) return written.error();
  if (!written->is_new) return false;
  // Observed before the listeners hear of it, so that a write they cause follows it.
  if (!impl_->clock.observe(change.version.hlc)) {
    common::log("store: clock of ", to_string(change.version), " (", change.key,
                ") is ahead of ours by more than the allowed skew; ours was clamped");
  }
  impl_->published(change, written->won);
  return true;
}

Summary Store::summary() const { return impl_->summary.contiguous(); }

std::optional<Entry> Store::get(std::string_view key) const {
  if (!valid_key(key)) return std::nullopt;
  return impl_->read<std::optional<Entry>>(
      std::nullopt, [&](Reader& reader) { return reader.get(key); });
}

std::vector<Entry> Store::list(std::string_view prefix, size_t limit) const {
  return impl_->read<std::vector<Entry>>(
      {}, [&](Reader& reader) { return reader.list(prefix, limit); });
}

std::vector<Change> Store::changes_after(OriginId origin, uint64_t after, size_t limit) const {
  return impl_->read<std::vector<Change>>(
      {}, [&](Reader& reader) { return reader.changes_after(origin, after, limit); });
}

std::string Store::digest() const {
  return impl_->read<std::string>({}, [](Reader& reader) { return reader.digest(); });
}

// Safe because every peer already has each change purged here: (1) the change-log rows stay, so a
// change sent again (the delete itself, or any covered write it beat) is refused by apply() on its
// (origin, seq) before any version is compared; (2) a value NULLed in the log is one its key no
// longer shows anywhere (a newer change beat it on every server that has both), so a peer that
// catches up from the log later and reads it as a delete ends in the same state. What it does
// not cover: a write older than the tombstone that no peer has yet (a partition that outlives
// the purge); the caller makes that unlikely by purging with summaries old enough.
void Store::purge_tombstones(const Summary& everyone_has) {
  const std::lock_guard lock(impl_->write_mutex);
  for (const auto& [origin, upto] : everyone_has) {
    uint64_t& done = impl_->purged_upto[origin];
    if (auto purged = impl_->writer.purge(origin, done, upto); !purged) {
      common::log("store: purge of ", origin, ": ", purged.error().message);
      continue;
    }
    done = std::max(done, upto);
  }
}

void Store::add_listener(Listener listener) {
  const std::lock_guard lock(impl_->write_mutex);
  impl_->listeners.push_back(std::move(listener));
}

}  // namespace web::store

