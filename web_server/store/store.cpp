#include "web_server/store/store.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "web_server/store/commit_queue.hpp"
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

// One write in the commit queue: what the caller asked for, then what became of it.
struct Request : CommitQueue::Entry {
  enum class Kind { put, remove, apply, skip };
  Request(Kind k, Change c) : kind(k), change(std::move(c)) {
    bytes = change.key.size() + (change.value ? change.value->size() : 0);
  }
  const Kind kind;
  Change change;  // put/remove: the commit fills in origin, seq and version
  common::Status status = common::Ok{};
  bool written = false;   // a change new to the log was committed
  bool won = false;       // it became its key's current version
  bool replaced = false;  // put: the key held a live value before
};

}  // namespace

struct Store::Impl {
  Impl(OpenedFile&& file, Writer&& w, const Options& options)
      : id(file.id),
        clock(file.last_hlc, options.max_skew),
        writer(std::move(w)),
        own_seq(file.own_seq),
        readers(options.path, kMaxReaders),
        queue([this](const CommitQueue::Batch& batch) { commit(batch); }) {
    // Past every version stored, so that a write after a restart beats what it overwrites.
    clock.observe(file.newest_hlc);
  }

  // What a batch has taken so far; becomes the store's state only if the batch commits.
  struct Staged {
    uint64_t seq = 0;                    // the last seq of this server's own changes
    std::optional<uint64_t> issued_hlc;  // the last timestamp a local write of the batch took
    std::set<std::pair<OriginId, uint64_t>> remote;   // remote changes the batch holds
    std::map<OriginId, std::vector<uint64_t>> added;  // per origin, the seqs the batch holds
    Summary skipped;                                  // per origin, the batch's largest skip
    Summary progress;                                 // the summary as the batch saves it
  };
  // The leader's commit of a batch: one transaction, then, once it is durable, the in-memory
  // state and the listeners, in queue order (seqs and timestamps were taken in that order).
  void commit(const CommitQueue::Batch& batch);
  common::Status stage_all(const CommitQueue::Batch& batch, Staged& staged);
  // Inside the batch's transaction: one request's rows.
  common::Status stage(Request& request, Staged& staged);
  common::Status stage_local(Request& request, Staged& staged,
                             const std::optional<Writer::Current>& current);
  common::Status stage_remote(Request& request, Staged& staged);
  // The summary as the batch leaves it, into the file.
  common::Status stage_progress(Staged& staged);
  // Under write_mutex, after a commit of a change new to the log.
  void published(const Change& change, bool won);

  template <class T>
  T read(T fallback, const std::function<common::Result<T>(Reader&)>& query);

  const OriginId id;
  HybridClock clock;  // only the leader draws from it, so timestamps follow commit order
  LogSummary summary;

  std::mutex write_mutex;  // guards the members up to `readers`
  Writer writer;
  uint64_t own_seq = 0;
  Summary saved_progress;  // what the file's progress table holds
  std::vector<Listener> listeners;

  // After the writer, so closed before it: the file's last connection to close checkpoints the
  // WAL into the file and removes it, and only the read-write one can.
  ReaderPool readers;
  CommitQueue queue;  // every write goes through it; submit() returns once it is committed
};

void Store::Impl::commit(const CommitQueue::Batch& batch) {
  const std::lock_guard lock(write_mutex);
  Staged staged;
  staged.seq = own_seq;
  if (auto committed = stage_all(batch, staged); !committed) {
    // Rolled back: nothing of the batch is in the file, so nothing of it is kept in memory
    // either (own_seq and the summary were left as they were). The clock keeps what it issued:
    // a clock ahead of the file is harmless, it only has to grow.
    for (CommitQueue::Entry* entry : batch) {
      auto& request = static_cast<Request&>(*entry);
      request.status = committed.error();
      request.written = false;
    }
    return;
  }
  own_seq = staged.seq;
  for (const auto& [origin, contiguous] : staged.progress) saved_progress[origin] = contiguous;
  for (CommitQueue::Entry* entry : batch) {
    const auto& request = static_cast<const Request&>(*entry);
    if (!request.written) continue;
    if (request.kind == Request::Kind::skip) {
      summary.advance(request.change.origin, request.change.seq);
    } else {
      published(request.change, request.won);
    }
  }
}

common::Status Store::Impl::stage_all(const CommitQueue::Batch& batch, Staged& staged) {
  return writer.transaction([&]() -> common::Result<bool> {
    bool any = false;
    for (CommitQueue::Entry* entry : batch) {
      auto& request = static_cast<Request&>(*entry);
      if (auto staged_one = stage(request, staged); !staged_one) return staged_one.error();
      any = any || request.written;
    }
    if (!any) return false;  // a batch that wrote nothing (duplicates, absent keys): no commit
    if (staged.issued_hlc) {
      if (auto saved = writer.save_local(*staged.issued_hlc, staged.seq); !saved) {
        return saved.error();
      }
    }
    if (auto saved = stage_progress(staged); !saved) return saved.error();
    return true;
  });
}

common::Status Store::Impl::stage_progress(Staged& staged) {
  std::set<OriginId> touched;
  for (const auto& entry : staged.added) touched.insert(entry.first);
  for (const auto& entry : staged.skipped) touched.insert(entry.first);
  for (const OriginId origin : touched) {
    const uint64_t contiguous =
        summary.contiguous_after(origin, staged.added[origin], seq_of(staged.skipped, origin));
    if (contiguous <= seq_of(saved_progress, origin)) continue;
    if (auto done = writer.save_progress(origin, contiguous); !done) return done;
    staged.progress[origin] = contiguous;
  }
  return common::Ok{};
}

common::Status Store::Impl::stage(Request& request, Staged& staged) {
  if (request.kind == Request::Kind::apply) return stage_remote(request, staged);
  if (request.kind == Request::Kind::skip) {
    const Change& mark = request.change;
    request.written = summary.contiguous(mark.origin) < mark.seq;
    uint64_t& skipped = staged.skipped[mark.origin];
    skipped = std::max(skipped, mark.seq);
    return common::Ok{};
  }
  // Read inside the transaction, so that it sees the batch's earlier writes to the key.
  auto current = writer.current(request.change.key);
  if (!current) return current.error();
  const bool live = *current && !(*current)->deleted;
  if (request.kind == Request::Kind::remove && !live) return common::Ok{};  // nothing to remove
  request.replaced = live;
  return stage_local(request, staged, *current);
}

// A local write: the next seq and a fresh timestamp, taken in queue order, and above the key's
// current version: a clock clamped behind a peer's tombstone must not make an acknowledged write
// lose at once. The clock itself is not moved there (see HybridClock::observe on why).
common::Status Store::Impl::stage_local(Request& request, Staged& staged,
                                        const std::optional<Writer::Current>& current) {
  Change& change = request.change;
  change.origin = id;
  change.seq = ++staged.seq;
  uint64_t hlc = clock.now();
  if (current && current->version.hlc >= hlc) hlc = current->version.hlc + 1;
  change.version = {hlc, id};
  auto written = writer.write(change);
  if (!written) return written.error();
  staged.issued_hlc = std::max(staged.issued_hlc.value_or(0), hlc);
  staged.added[id].push_back(change.seq);
  request.written = true;
  request.won = written->won;
  return common::Ok{};
}

common::Status Store::Impl::stage_remote(Request& request, Staged& staged) {
  const Change& change = request.change;
  if (summary.has(change.origin, change.seq)) return common::Ok{};  // already had it
  if (!staged.remote.emplace(change.origin, change.seq).second) return common::Ok{};
  auto written = writer.write(change);
  if (!written) return written.error();
  staged.added[change.origin].push_back(change.seq);
  request.written = true;
  request.won = written->won;
  // A peer may send back this server's own changes (after a restore from an old copy of the
  // file, say): never reuse their seqs.
  if (change.origin == id && change.seq > staged.seq) staged.seq = change.seq;
  // Observed before the batch's later local writes take a timestamp and before the listeners
  // hear of it, so that a write that follows it causally carries a larger one.
  if (!clock.observe(change.version.hlc)) {
    common::log("store: clock of ", to_string(change.version), " (", change.key,
                ") is ahead of ours by more than the allowed skew; ours was clamped");
  }
  return common::Ok{};
}

void Store::Impl::published(const Change& change, bool won) {
  summary.add(change.origin, change.seq);
  for (const Listener& listener : listeners) listener(change, won);
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
  auto progress = impl->writer.progress();
  if (!progress) return progress.error();
  for (const auto& [origin, contiguous] : *progress) impl->summary.advance(origin, contiguous);
  // A batch that took back our own changes from a peer saved their seqs as progress only.
  impl->own_seq = std::max(impl->own_seq, impl->summary.contiguous(impl->id));
  impl->summary.advance(impl->id, impl->own_seq);
  impl->saved_progress = std::move(*progress);
  // Open one reader now so that a file readers cannot open fails here, not on the first get().
  if (auto reader = impl->readers.acquire(); !reader) return reader.error();
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

OriginId Store::id() const { return impl_->id; }

common::Result<Committed> Store::put(std::string_view key, std::string_view value) {
  Request request(Request::Kind::put, Change{0, 0, {}, std::string(key), std::string(value)});
  if (auto checked = check_change(key, request.change.value); !checked) return checked.error();
  impl_->queue.submit(request);
  if (!request.status) return request.status.error();
  return Committed{std::move(request.change), request.replaced};
}

common::Result<std::optional<Change>> Store::remove(std::string_view key) {
  if (auto checked = check_change(key, std::nullopt); !checked) return checked.error();
  Request request(Request::Kind::remove, Change{0, 0, {}, std::string(key), std::nullopt});
  impl_->queue.submit(request);
  if (!request.status) return request.status.error();
  if (!request.written) return std::optional<Change>();
  return std::optional<Change>(std::move(request.change));
}

common::Result<bool> Store::apply(const Change& change) {
  auto applied = apply_all(std::span<const Change>(&change, 1));
  if (!applied) return applied.error();
  return *applied == 1;
}

common::Result<size_t> Store::apply_all(std::span<const Change> changes) {
  std::vector<Request> requests;
  requests.reserve(changes.size());
  for (const Change& change : changes) {
    if (auto checked = check_change(change.key, change.value); !checked) return checked.error();
    if (change.origin == 0 || change.seq == 0 || change.version.origin != change.origin) {
      return common::invalid_value("change " + to_string(change.version) + " seq " +
                                       std::to_string(change.seq) + " of " + change.key,
                                   "origin and seq must be non-zero and match the version");
    }
    requests.emplace_back(Request::Kind::apply, change);
  }
  std::vector<CommitQueue::Entry*> entries;
  entries.reserve(requests.size());
  for (Request& request : requests) entries.push_back(&request);
  impl_->queue.submit(entries);
  size_t fresh = 0;
  for (const Request& request : requests) {
    if (!request.status) return request.status.error();
    fresh += request.written ? 1 : 0;
  }
  return fresh;
}

common::Status Store::skip(OriginId origin, uint64_t upto) {
  if (origin == 0) return common::invalid_value("skip of origin 0", "origin must be non-zero");
  Request request(Request::Kind::skip, Change{origin, upto, {0, origin}, {}, std::nullopt});
  impl_->queue.submit(request);
  return request.status;
}

Promise Store::promise() const {
  const std::lock_guard lock(impl_->write_mutex);
  return Promise{impl_->id, impl_->own_seq, impl_->clock.last()};
}

Summary Store::summary() const { return impl_->summary.contiguous(); }

std::optional<Entry> Store::get(std::string_view key) const {
  auto stored = lookup(key);
  if (!stored || !stored->value) return std::nullopt;
  return Entry{std::string(key), std::move(*stored->value), stored->version};
}

std::optional<Store::Stored> Store::lookup(std::string_view key) const {
  if (!valid_key(key)) return std::nullopt;
  return impl_->read<std::optional<Stored>>(std::nullopt,
                                            [&](Reader& reader) { return reader.lookup(key); });
}

std::vector<Entry> Store::list(std::string_view prefix, size_t limit) const {
  return impl_->read<std::vector<Entry>>(
      {}, [&](Reader& reader) { return reader.list(prefix, limit); });
}

std::vector<Change> Store::changes_between(OriginId origin, uint64_t after, uint64_t upto,
                                           size_t limit) const {
  return impl_->read<std::vector<Change>>(
      {}, [&](Reader& reader) { return reader.changes_between(origin, after, upto, limit); });
}

std::string Store::digest() const {
  return impl_->read<std::string>({}, [](Reader& reader) { return reader.digest(); });
}

common::Status Store::retire(OriginId origin, uint64_t last_seq) {
  const std::lock_guard lock(impl_->write_mutex);
  return impl_->writer.retire(origin, last_seq);
}

Summary Store::retired() const {
  const std::lock_guard lock(impl_->write_mutex);
  auto retired = impl_->writer.retired();
  if (!retired) {
    common::log("store: ", retired.error().message);
    return {};
  }
  return std::move(*retired);
}

common::Status Store::remember_peer(std::string_view address, OriginId origin) {
  const std::lock_guard lock(impl_->write_mutex);
  return impl_->writer.remember_peer(address, origin);
}

std::optional<OriginId> Store::peer_origin(std::string_view address) const {
  const std::lock_guard lock(impl_->write_mutex);
  auto origin = impl_->writer.peer_origin(address);
  if (!origin) {
    common::log("store: ", origin.error().message);
    return std::nullopt;
  }
  return *origin;
}

// Safe by what the caller proved (store.hpp): a tombstone older than the horizon has been applied
// everywhere, and so has every write it beat, which no peer can send again (each holds its seq).
common::Result<uint64_t> Store::compact(const Compaction& compaction) {
  const std::lock_guard lock(impl_->write_mutex);
  return impl_->writer.compact(compaction);
}

void Store::add_listener(Listener listener) {
  const std::lock_guard lock(impl_->write_mutex);
  impl_->listeners.push_back(std::move(listener));
}

}  // namespace web::store
