#include "web_server/store/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "tests/unit/net_test_support.hpp"
#include "tests/unit/temp_dir.hpp"
#include "web_server/store/commit_queue.hpp"
#include "web_server/store/hlc.hpp"

namespace web::store {
namespace {

using namespace std::chrono_literals;

constexpr OriginId kA = 0xaaaa;
constexpr OriginId kB = 0xbbbb;
constexpr OriginId kC = 0xcccc;

// An hlc at the current wall time (plus `ms`), so that remote changes look recent.
uint64_t hlc_at(int64_t ms = 0) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return static_cast<uint64_t>(now.count() + ms) << 16;
}

Change change(OriginId origin, uint64_t seq, uint64_t hlc, std::string key,
              std::optional<std::string> value) {
  return Change{origin, seq, {hlc, origin}, std::move(key), std::move(value)};
}

// The first column of the first row, read behind the store's back through a connection of its
// own (what another process would find in the file is the point).
std::string query(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  const unsigned char* text = sqlite3_column_text(stmt, 0);
  std::string out = text != nullptr ? reinterpret_cast<const char*>(text) : "";
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// Runs `sql` on a read-write connection of the test's own, e.g. to plant a trigger.
void exec(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

int64_t count(const std::filesystem::path& file, const char* sql) {
  return std::stoll(query(file, sql));
}

class StoreTest : public testing::Test {
 protected:
  void SetUp() override { reopen(); }

  std::filesystem::path file() const { return dir_.path() / "data" / "s1" / "store.db"; }

  void reopen() {
    store_.reset();
    auto opened = Store::open({file().string()});
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }

  // The change log of `origin`: its current changes past `after`.
  std::vector<Change> log_of(OriginId origin, uint64_t after, size_t limit) const {
    return store_->changes_between(origin, after, std::numeric_limits<uint64_t>::max(), limit);
  }

  std::optional<std::string> value_of(std::string_view key) const {
    auto entry = store_->get(key);
    return entry ? std::optional<std::string>(entry->value) : std::nullopt;
  }

  test_support::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, PutThenGetReturnsTheValueAndVersion) {
  auto put = store_->put("a/b", "hello");
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ(put->change.origin, store_->id());
  EXPECT_EQ(put->change.seq, 1u);
  EXPECT_EQ(put->change.version.origin, store_->id());
  auto entry = store_->get("a/b");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->key, "a/b");
  EXPECT_EQ(entry->value, "hello");
  EXPECT_EQ(entry->version, put->change.version);
  EXPECT_FALSE(store_->get("a"));
}

TEST_F(StoreTest, PutOfTheSameValueWritesANewVersion) {
  auto first = store_->put("k", "v");
  auto second = store_->put("k", "v");
  ASSERT_TRUE(first && second);
  EXPECT_GT(second->change.version, first->change.version);
  EXPECT_EQ(second->change.seq, 2u);
  EXPECT_EQ(store_->get("k")->version, second->change.version);
}

TEST_F(StoreTest, EmptyValueIsAValueNotADelete) {
  ASSERT_TRUE(store_->put("k", ""));
  ASSERT_EQ(value_of("k"), "");
  EXPECT_EQ(log_of(store_->id(), 0, 10).at(0).value, "");
}

TEST_F(StoreTest, BinaryValuesRoundTrip) {
  const std::string value("\0\xff\x01zz", 5);
  ASSERT_TRUE(store_->put("bin", value));
  EXPECT_EQ(value_of("bin"), value);
}

TEST_F(StoreTest, RejectsBadKeysAndOversizedValues) {
  auto bad_key = store_->put("a//b", "v");
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().code, common::Errc::invalid_argument);
  EXPECT_NE(bad_key.error().message.find("a//b"), std::string::npos);
  auto too_big = store_->put("k", std::string(kMaxValueBytes + 1, 'x'));
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, common::Errc::limit_exceeded);
  ASSERT_TRUE(store_->put("k", std::string(kMaxValueBytes, 'x')));
  EXPECT_EQ(value_of("k")->size(), kMaxValueBytes);
  EXPECT_FALSE(store_->remove("../x"));
  EXPECT_EQ(store_->summary()[store_->id()], 1u);
}

TEST_F(StoreTest, ListReturnsLiveKeysWithThePrefixInOrderUpToTheLimit) {
  for (const char* key : {"b/2", "a", "b/1", "b/3", "c", "b", "b0", "b/1/x"}) {
    ASSERT_TRUE(store_->put(key, std::string("v-") + key));
  }
  ASSERT_TRUE(store_->remove("b/3"));
  auto keys = [&](std::string_view prefix, size_t limit) {
    std::vector<std::string> out;
    for (const Entry& e : store_->list(prefix, limit)) out.push_back(e.key);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(keys("b/", 10), (V{"b/1", "b/1/x", "b/2"}));
  EXPECT_EQ(keys("b", 10), (V{"b", "b/1", "b/1/x", "b/2", "b0"}));
  EXPECT_EQ(keys("", 3), (V{"a", "b", "b/1"}));
  EXPECT_EQ(keys("", 100).size(), 7u);
  EXPECT_EQ(keys("b/", 0), V{});
  EXPECT_EQ(keys("zz", 10), V{});
  EXPECT_EQ(keys("b ", 10), V{});
  EXPECT_EQ(store_->list("b/2", 1).at(0).value, "v-b/2");
}

TEST_F(StoreTest, RemoveDeletesAndRemovingAgainWritesNothing) {
  ASSERT_TRUE(store_->put("k", "v"));
  auto removed = store_->remove("k");
  ASSERT_TRUE(removed) << removed.error().message;
  ASSERT_TRUE(*removed);
  EXPECT_FALSE((*removed)->value);
  EXPECT_EQ((*removed)->seq, 2u);
  EXPECT_FALSE(store_->get("k"));
  auto again = store_->remove("k");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto absent = store_->remove("never");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
  EXPECT_EQ(store_->summary()[store_->id()], 2u);
  EXPECT_EQ(log_of(store_->id(), 0, 100).size(), 1u);  // the put was superseded: only the delete
}

TEST_F(StoreTest, CreatesTheFileWithWalAndTheSchema) {
  EXPECT_TRUE(std::filesystem::exists(file()));
  ASSERT_TRUE(store_->put("k", "v"));
  EXPECT_EQ(count(file(), "SELECT COUNT(*) FROM kv"), 1);
  EXPECT_EQ(count(file(), "SELECT contiguous FROM progress"), 1);
  EXPECT_EQ(count(file(), "SELECT value FROM meta WHERE name = 'hlc'"),
            static_cast<int64_t>(store_->get("k")->version.hlc));
  EXPECT_NE(store_->id(), 0u);
  EXPECT_EQ(query(file(), "PRAGMA journal_mode"), "wal");
}

TEST_F(StoreTest, ReopenKeepsDataIdentityAndSequence) {
  const OriginId id = store_->id();
  auto first = store_->put("a", "1");
  ASSERT_TRUE(first && store_->put("b", "2") && store_->remove("b"));
  reopen();
  EXPECT_EQ(store_->id(), id);
  EXPECT_EQ(value_of("a"), "1");
  EXPECT_FALSE(store_->get("b"));
  EXPECT_EQ(store_->summary()[id], 3u);
  auto next = store_->put("a", "3");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->change.seq, 4u);
  EXPECT_GT(next->change.version, first->change.version);
}

TEST_F(StoreTest, ReopenedClockStaysAheadOfAPeerWriteItSaw) {
  // A peer's clock runs 400ms ahead (within skew): after a restart, a local write that follows
  // the peer's write must still win, even though our wall clock is behind it.
  const uint64_t ahead = hlc_at(400);
  ASSERT_TRUE(store_->apply(change(kA, 1, ahead, "k", "peer")));
  reopen();
  auto mine = store_->put("k", "mine");
  ASSERT_TRUE(mine);
  EXPECT_GT(mine->change.version.hlc, ahead);
  EXPECT_EQ(value_of("k"), "mine");
}

TEST_F(StoreTest, TwoStoresGetDifferentIds) {
  auto other = Store::open({(dir_.path() / "other.db").string()});
  ASSERT_TRUE(other);
  EXPECT_NE((*other)->id(), store_->id());
}

TEST_F(StoreTest, OpenFailsWithTheFileNamed) {
  dir_.write("not-a-db", std::string(4096, 'x'));
  auto garbage = Store::open({(dir_.path() / "not-a-db").string()});
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("not-a-db"), std::string::npos) << garbage.error().message;
  dir_.write("plain-file", "x");
  auto under_file = Store::open({(dir_.path() / "plain-file" / "store.db").string()});
  ASSERT_FALSE(under_file);
  EXPECT_NE(under_file.error().message.find("plain-file"), std::string::npos)
      << under_file.error().message;
}

TEST_F(StoreTest, ApplyIsIdempotent) {
  const Change c = change(kA, 1, hlc_at(), "k", "v");
  auto first = store_->apply(c);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(*first);
  auto second = store_->apply(c);
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  // Same (origin, seq) with other content is still the same change: nothing written.
  auto forged = store_->apply(change(kA, 1, hlc_at(100), "k", "other"));
  ASSERT_TRUE(forged);
  EXPECT_FALSE(*forged);
  EXPECT_EQ(value_of("k"), "v");
  EXPECT_EQ(log_of(kA, 0, 10).size(), 1u);
}

TEST_F(StoreTest, ApplyRejectsMalformedChanges) {
  Change mismatched = change(kA, 1, hlc_at(), "k", "v");
  mismatched.version.origin = kB;
  for (const Change& bad : {change(kA, 0, hlc_at(), "k", "v"), change(0, 1, hlc_at(), "k", "v"),
                            change(kA, 1, hlc_at(), "/k", "v"), mismatched,
                            change(kA, 1, hlc_at(), "k", std::string(kMaxValueBytes + 1, 'v'))}) {
    EXPECT_FALSE(store_->apply(bad)) << bad.key << " seq " << bad.seq;
  }
  EXPECT_TRUE(store_->summary().empty());
}

struct LwwCase {
  const char* name;
  Version existing;
  Version incoming;
  bool incoming_wins;
};

class StoreLwwTest : public StoreTest, public testing::WithParamInterface<LwwCase> {};

TEST_P(StoreLwwTest, LastWriterWinsByHlcThenOrigin) {
  const LwwCase& c = GetParam();
  const uint64_t base = hlc_at();
  ASSERT_TRUE(store_->apply(change(c.existing.origin, 1, base + c.existing.hlc, "k", "existing")));
  std::vector<bool> won;
  store_->add_listener([&](const Change&, bool w) { won.push_back(w); });
  auto applied = store_->apply(change(c.incoming.origin, 1, base + c.incoming.hlc, "k", "incoming"));
  ASSERT_TRUE(applied && *applied);
  EXPECT_EQ(value_of("k"), c.incoming_wins ? "incoming" : "existing");
  EXPECT_EQ(won, std::vector<bool>{c.incoming_wins});
  // The loser leaves no trace but its seq, held (a peer never needs it: it gets the winner).
  EXPECT_EQ(log_of(c.incoming.origin, 0, 10).size(), c.incoming_wins ? 1u : 0u);
  EXPECT_EQ(log_of(c.existing.origin, 0, 10).size(), c.incoming_wins ? 0u : 1u);
  EXPECT_EQ(store_->summary().at(c.incoming.origin), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, StoreLwwTest,
    testing::Values(LwwCase{"OlderRemoteLoses", {10, kA}, {5, kB}, false},
                    LwwCase{"NewerRemoteWins", {10, kA}, {11, kB}, true},
                    LwwCase{"NewerRemoteWinsOverHigherOrigin", {10, kB}, {11, kA}, true},
                    LwwCase{"EqualHlcHigherOriginWins", {10, kA}, {10, kB}, true},
                    LwwCase{"EqualHlcLowerOriginLoses", {10, kB}, {10, kA}, false}),
    [](const testing::TestParamInfo<LwwCase>& param_info) { return param_info.param.name; });

TEST_F(StoreTest, ApplyOfADeleteRemovesTheKeyOnlyWhenNewer) {
  const uint64_t base = hlc_at();
  ASSERT_TRUE(store_->apply(change(kA, 1, base + 10, "gone", "v")));
  ASSERT_TRUE(store_->apply(change(kA, 2, base + 10, "kept", "v")));
  ASSERT_TRUE(store_->apply(change(kB, 1, base + 20, "gone", std::nullopt)));
  ASSERT_TRUE(store_->apply(change(kB, 2, base + 5, "kept", std::nullopt)));
  EXPECT_FALSE(store_->get("gone"));
  EXPECT_EQ(value_of("kept"), "v");
  EXPECT_EQ(store_->list("", 10).size(), 1u);
  auto removed = store_->remove("gone");
  ASSERT_TRUE(removed);
  EXPECT_FALSE(*removed);
  // An older put arriving after the delete stays deleted.
  ASSERT_TRUE(store_->apply(change(kC, 1, base + 15, "gone", "late")));
  EXPECT_FALSE(store_->get("gone"));
}

TEST_F(StoreTest, FarAheadRemoteWriteIsKeptButDoesNotDragTheClock) {
  const uint64_t hour_ahead = hlc_at(3'600'000);
  auto applied = store_->apply(change(kA, 1, hour_ahead, "k", "future"));
  ASSERT_TRUE(applied && *applied);
  EXPECT_EQ(value_of("k"), "future");
  auto mine = store_->put("other", "v");
  ASSERT_TRUE(mine);
  EXPECT_LT(mine->change.version.hlc, hlc_at(60'000));
}

TEST_F(StoreTest, SummaryIsTheHighestContiguousSeqPerOrigin) {
  const uint64_t t = hlc_at();
  for (const uint64_t seq : {1, 2, 3, 5, 7}) {
    ASSERT_TRUE(store_->apply(change(kA, seq, t + seq, "a" + std::to_string(seq), "v")));
  }
  ASSERT_TRUE(store_->apply(change(kB, 2, t, "b", "v")));
  ASSERT_TRUE(store_->put("mine", "v"));
  EXPECT_EQ(store_->summary(), (Summary{{kA, 3}, {kB, 0}, {store_->id(), 1}}));
  ASSERT_TRUE(store_->apply(change(kA, 4, t + 4, "a4", "v")));
  EXPECT_EQ(store_->summary()[kA], 5u);
  reopen();  // the contiguous part is kept; seq 7 and kB's 2, past gaps, are sent again
  EXPECT_EQ(store_->summary(), (Summary{{kA, 5}, {store_->id(), 1}}));
  ASSERT_TRUE(store_->apply(change(kA, 6, t + 6, "a6", "v")));
  EXPECT_EQ(store_->summary()[kA], 6u);
  ASSERT_TRUE(*store_->apply(change(kA, 7, t + 7, "a7", "v")));
  EXPECT_EQ(store_->summary()[kA], 7u);
}

TEST_F(StoreTest, ChangesBetweenListsAnOriginsLogInSeqOrder) {
  const uint64_t t = hlc_at();
  for (const uint64_t seq : {3, 1, 4, 2, 6}) {
    ASSERT_TRUE(store_->apply(change(kA, seq, t + seq, "k" + std::to_string(seq),
                                     seq == 4 ? std::nullopt : std::optional<std::string>("v"))));
  }
  ASSERT_TRUE(store_->apply(change(kB, 1, t, "b", "v")));
  const std::vector<Change> got = log_of(kA, 1, 3);
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq, i + 2);
    EXPECT_EQ(got[i].origin, kA);
    EXPECT_EQ(got[i].version, (Version{t + i + 2, kA}));
    EXPECT_EQ(got[i].key, "k" + std::to_string(i + 2));
  }
  EXPECT_FALSE(got[2].value);
  EXPECT_EQ(got[0].value, "v");
  EXPECT_EQ(log_of(kA, 4, 100).size(), 1u);
  EXPECT_TRUE(log_of(kA, 6, 100).empty());
  EXPECT_TRUE(log_of(kC, 0, 100).empty());
}

int64_t rows(const std::filesystem::path& file) { return count(file, "SELECT COUNT(*) FROM kv"); }

TEST_F(StoreTest, ASupersededChangeLeavesNoTraceAndItsSeqStaysHeld) {
  const OriginId me = store_->id();
  ASSERT_TRUE(store_->put("k", "old"));   // seq 1: superseded by seq 2
  ASSERT_TRUE(store_->put("k", "new"));   // seq 2
  ASSERT_TRUE(store_->put("live", "v"));  // seq 3
  const auto log = log_of(me, 0, 10);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].seq, 2u);
  EXPECT_EQ(log[1].seq, 3u);
  EXPECT_EQ(store_->changes_between(me, 0, 2, 10).size(), 1u) << "up to seq 2";
  EXPECT_EQ(store_->summary(), (Summary{{me, 3}}));
  // A copy of the superseded change still in flight is recognised without its row.
  EXPECT_FALSE(*store_->apply(Change{me, 1, {1, me}, "k", "old"}));
  EXPECT_EQ(value_of("k"), "new");
  // Many writes to one key leave one row.
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(store_->put("k", std::to_string(i)));
  EXPECT_EQ(rows(file()), 2);
}

TEST_F(StoreTest, TombstonesGoOnlyPastTheHorizonAndWithinWhatEveryoneHolds) {
  const OriginId me = store_->id();
  ASSERT_TRUE(store_->put("k", "x"));        // seq 1
  const auto k_gone = *store_->remove("k");  // seq 2
  ASSERT_TRUE(store_->put("j", "y"));        // seq 3
  const auto j_gone = *store_->remove("j");  // seq 4
  ASSERT_TRUE(k_gone && j_gone);
  // A horizon past both, but what everyone holds covers neither delete: both stay.
  const auto none = store_->compact({{{me, 1}}, j_gone->version.hlc});
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0u);
  EXPECT_EQ(rows(file()), 2);
  // Both held everywhere, the horizon past k's only.
  const auto first = store_->compact({{{me, 4}}, k_gone->version.hlc});
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 1u);
  EXPECT_EQ(count(file(), "SELECT COUNT(*) FROM kv WHERE key = 'k'"), 0);
  ASSERT_TRUE(store_->compact({{{me, 4}}, j_gone->version.hlc}));
  EXPECT_EQ(rows(file()), 0);
  EXPECT_EQ(store_->summary(), (Summary{{me, 4}}));
  EXPECT_FALSE(*store_->apply(Change{me, 2, k_gone->version, "k", std::nullopt}))
      << "the dropped delete sent again is still recognised";
  // The key can be written again, as a new one.
  const auto again = store_->put("k", "back");
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->replaced);
  EXPECT_EQ(again->change.seq, 5u);
}

TEST_F(StoreTest, OwnSeqSurvivesAReopenWhenNoRowOfItsIsLeft) {
  const OriginId me = store_->id();
  ASSERT_TRUE(store_->put("k", "1"));  // seq 1
  ASSERT_TRUE(store_->put("k", "2"));  // seq 2, then beaten by a peer's later write
  ASSERT_TRUE(*store_->apply(change(kA, 1, hlc_at(100), "k", "peer")));
  EXPECT_TRUE(log_of(me, 0, 10).empty());
  reopen();
  EXPECT_EQ(store_->summary(), (Summary{{me, 2}, {kA, 1}}));
  EXPECT_EQ(store_->put("other", "v")->change.seq, 3u);
  EXPECT_EQ(store_->promise(), (Promise{me, 3, store_->promise().hlc}));
}

TEST_F(StoreTest, AFileWithTheOlderChangeLogIsMigrated) {
  store_.reset();
  const auto old = dir_.path() / "old.db";
  exec(old,
       "CREATE TABLE kv(key TEXT PRIMARY KEY, value BLOB, hlc INTEGER NOT NULL, "
       "origin INTEGER NOT NULL, seq INTEGER NOT NULL);"
       "CREATE TABLE changelog(origin INTEGER NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT "
       "NULL, key TEXT NOT NULL, value BLOB, PRIMARY KEY(origin, seq));"
       "CREATE TABLE meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
       "INSERT INTO meta VALUES ('origin', 7), ('hlc', 100);"
       "INSERT INTO kv VALUES ('a', 'x', 90, 7, 2), ('b', 'y', 95, 43690, 1);"
       "INSERT INTO changelog VALUES (7, 1, 80, 'a', 'w'), (7, 2, 90, 'a', 'x'), "
       "(43690, 1, 95, 'b', 'y'), (43690, 3, 99, 'c', NULL);");
  auto opened = Store::open({old.string()});
  ASSERT_TRUE(opened) << opened.error().message;
  store_ = std::move(*opened);
  EXPECT_EQ(store_->summary(), (Summary{{7, 2}, {kA, 1}}));  // kA's 3 was past a gap
  EXPECT_EQ(value_of("a"), "x");
  EXPECT_EQ(store_->put("a", "z")->change.seq, 3u);
  EXPECT_EQ(count(old, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'changelog'"), 0);
}

TEST_F(StoreTest, LocalWriteBeatsATombstoneFromAClockFarAhead) {
  // A peer's clock a minute ahead: ours is clamped and stays behind its delete.
  const Change tombstone = change(kA, 2, hlc_at(60'001), "k", std::nullopt);
  ASSERT_TRUE(*store_->apply(change(kA, 1, hlc_at(60'000), "k", "peer's")));
  ASSERT_TRUE(*store_->apply(tombstone));
  const auto put = store_->put("k", "ours");
  ASSERT_TRUE(put);
  EXPECT_FALSE(put->replaced);  // the key was deleted
  EXPECT_GT(put->change.version, tombstone.version);
  EXPECT_EQ(value_of("k"), "ours");  // acknowledged, and what this server returns
  const auto replaced = store_->put("k", "ours again");
  ASSERT_TRUE(replaced);
  EXPECT_TRUE(replaced->replaced);
  EXPECT_GT(replaced->change.version, put->change.version);
  const auto removed = store_->remove("k");
  ASSERT_TRUE(removed && *removed);
  EXPECT_GT((*removed)->version, replaced->change.version);
  EXPECT_FALSE(value_of("k"));
}

TEST_F(StoreTest, SkipCountsAStretchOfAnOriginsSeqsAsHeldAcrossReopens) {
  ASSERT_TRUE(*store_->apply(change(kA, 2, hlc_at(), "a", "2")));  // past a gap
  ASSERT_TRUE(*store_->apply(change(kA, 5, hlc_at(), "e", "5")));  // the skip's own seq
  ASSERT_TRUE(store_->skip(kA, 5));
  EXPECT_EQ(store_->summary().at(kA), 5u);
  EXPECT_FALSE(*store_->apply(change(kA, 3, hlc_at(), "a", "3"))) << "inside the skipped stretch";
  EXPECT_TRUE(*store_->apply(change(kA, 6, hlc_at(), "b", "6")));
  EXPECT_EQ(store_->summary().at(kA), 6u);
  reopen();
  EXPECT_EQ(store_->summary().at(kA), 6u);
  EXPECT_EQ(value_of("a"), "2");
  EXPECT_FALSE(store_->skip(0, 5));
}

TEST_F(StoreTest, ApplyAllCommitsARunOfChangesTogether) {
  std::vector<Change> run;
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    run.push_back(change(kA, seq, hlc_at() + seq, "k" + std::to_string(seq % 7), "v"));
  }
  const auto before = detail::commit_stats().batches;
  const auto fresh = store_->apply_all(run);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(*fresh, 20u);
  EXPECT_EQ(detail::commit_stats().batches - before, 1u);
  EXPECT_EQ(*store_->apply_all(run), 0u);
  EXPECT_EQ(store_->summary().at(kA), 20u);
  run.push_back(change(kA, 21, hlc_at(), "bad//key", "v"));
  EXPECT_FALSE(store_->apply_all(run)) << "a bad change refuses the run";
}

// Changes from three origins, with puts and deletes over a few keys and equal timestamps across
// origins, so that every last-writer-wins rule is exercised.
std::vector<Change> history(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Change> changes;
  const uint64_t t = hlc_at(-10'000);
  for (const OriginId origin : {kA, kB, kC}) {
    uint64_t hlc = t;
    for (uint64_t seq = 1; seq <= 60; ++seq) {
      hlc += rng() % 3 == 0 ? 0 : rng() % 4 + 1;
      std::optional<std::string> value;
      if (rng() % 4 != 0) value = "v" + std::to_string(rng() % 1000);
      if (rng() % 3 == 0) hlc = t + seq * 2;  // collides with other origins' timestamps
      changes.push_back(change(origin, seq, hlc + seq, "key" + std::to_string(rng() % 12), value));
    }
  }
  return changes;
}

TEST_F(StoreTest, StoresFedTheSameChangesInAnyOrderConverge) {
  auto other = Store::open({(dir_.path() / "other.db").string()});
  ASSERT_TRUE(other);
  EXPECT_EQ(store_->digest(), (*other)->digest());
  std::vector<Change> changes = history(7);
  std::mt19937_64 rng(11);
  std::shuffle(changes.begin(), changes.end(), rng);
  for (const Change& c : changes) ASSERT_TRUE(store_->apply(c));
  std::shuffle(changes.begin(), changes.end(), rng);
  for (const Change& c : changes) ASSERT_TRUE((*other)->apply(c));
  const std::string digest = store_->digest();
  EXPECT_EQ(digest.size(), 64u);
  EXPECT_EQ(digest, (*other)->digest());
  EXPECT_EQ(store_->summary(), (*other)->summary());
  EXPECT_FALSE(store_->list("", 100).empty());
  ASSERT_TRUE(store_->apply(change(kA, 61, hlc_at(), "key0", "final")));
  EXPECT_NE(store_->digest(), digest);
}

TEST_F(StoreTest, ListenersHearEveryNewChangeWithWhetherItWon) {
  std::vector<std::pair<uint64_t, bool>> heard;
  store_->add_listener([&](const Change& c, bool won) { heard.emplace_back(c.seq, won); });
  const uint64_t t = hlc_at();
  auto mine = store_->put("k", "v");                               // seq 1, wins
  ASSERT_TRUE(mine);
  ASSERT_TRUE(store_->apply(change(kA, 7, t - 1000, "k", "old")));  // older: loses
  ASSERT_TRUE(store_->apply(change(kA, 7, t - 1000, "k", "old")));  // duplicate: not heard
  ASSERT_TRUE(store_->apply(change(kA, 8, hlc_at(100), "k", "new")));  // newer: wins
  ASSERT_TRUE(store_->remove("absent"));                           // nothing written
  using H = std::vector<std::pair<uint64_t, bool>>;
  EXPECT_EQ(heard, (H{{1, true}, {7, false}, {8, true}}));
}

TEST_F(StoreTest, ConcurrentWritersAndReadersSeeConsistentData) {
  constexpr int kWriters = 3;
  constexpr int kEach = 25;
  std::atomic<bool> writing{true};
  std::atomic<int> heard{0};
  store_->add_listener([&](const Change&, bool) { heard.fetch_add(1); });
  std::vector<std::thread> readers;
  std::atomic<int> reads{0};
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (writing.load()) {
        for (const Entry& e : store_->list("w", 1000)) {
          if (e.value != "value-" + e.key) ADD_FAILURE() << e.key << " = " << e.value;
        }
        (void)store_->get("w0/1");
        (void)store_->summary();
        (void)store_->digest();
        reads.fetch_add(1);
      }
    });
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        const std::string key = "w" + std::to_string(w) + "/" + std::to_string(i);
        if (!store_->put(key, "value-" + key)) ADD_FAILURE() << "put " << key;
        const Change remote = change(kA + static_cast<OriginId>(w), static_cast<uint64_t>(i) + 1,
                                     hlc_at(), "r" + key, "remote");
        if (!store_->apply(remote)) ADD_FAILURE() << "apply " << remote.key;
      }
    });
  }
  for (std::thread& t : writers) t.join();
  writing = false;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(store_->list("w", 1000).size(), static_cast<size_t>(kWriters * kEach));
  EXPECT_EQ(store_->list("rw", 1000).size(), static_cast<size_t>(kWriters * kEach));
  EXPECT_EQ(store_->summary()[store_->id()], static_cast<uint64_t>(kWriters * kEach));
  EXPECT_EQ(heard.load(), 2 * kWriters * kEach);
  EXPECT_GT(reads.load(), 0);
}

// Many writers at once: every write durable and readable, this server's seqs 1..N without gap or
// duplicate, heard in seq order with growing timestamps, and all of it there after a reopen.
TEST_F(StoreTest, ConcurrentWritesAllCommitInSeqOrderWithoutGaps) {
  constexpr int kThreads = 16;
  constexpr int kPuts = 50;
  std::mutex mutex;
  std::vector<Change> heard;
  store_->add_listener([&](const Change& c, bool) {
    const std::lock_guard lock(mutex);
    heard.push_back(c);
  });
  const auto before = detail::commit_stats();
  const uint64_t t = hlc_at(-1000);
  std::atomic<int> applied_new{0};
  std::vector<std::vector<uint64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      const std::string prefix = "c" + std::to_string(w) + "/";
      for (int i = 0; i < kPuts; ++i) {
        auto put = store_->put(prefix + std::to_string(i), "v" + std::to_string(i));
        ASSERT_TRUE(put) << put.error().message;
        seqs[static_cast<size_t>(w)].push_back(put->change.seq);
        if (i % 10 == 9) {  // removes key i - 5: five live keys per thread
          auto removed = store_->remove(prefix + std::to_string(i - 5));
          ASSERT_TRUE(removed && *removed) << "remove " << prefix << i - 5;
          seqs[static_cast<size_t>(w)].push_back((*removed)->seq);
        }
        if (i % 10 == 4) {  // threads 2p and 2p+1 apply the same five changes of origin kA + p
          const auto seq = static_cast<uint64_t>(i / 10 + 1);
          const Change remote = change(kA + static_cast<OriginId>(w / 2), seq, t + seq,
                                       "r" + std::to_string(w / 2) + "/" + std::to_string(i), "r");
          auto applied = store_->apply(remote);
          ASSERT_TRUE(applied) << applied.error().message;
          if (*applied) applied_new.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  constexpr uint64_t kOwn = kThreads * (kPuts + 5);
  std::vector<uint64_t> all;
  for (const auto& mine : seqs) {
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));  // a thread's writes commit in order
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<uint64_t> expected(kOwn);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(all, expected);
  EXPECT_EQ(applied_new.load(), kThreads / 2 * 5);  // each shared change applied once

  std::vector<uint64_t> heard_seqs;
  uint64_t last_hlc = 0;
  for (const Change& c : heard) {
    if (c.origin != store_->id()) continue;
    heard_seqs.push_back(c.seq);
    EXPECT_GT(c.version.hlc, last_hlc) << "seq " << c.seq;
    last_hlc = c.version.hlc;
  }
  EXPECT_EQ(heard_seqs, expected);
  EXPECT_EQ(heard.size(), kOwn + kThreads / 2 * 5);
  // The clock floor saved with the last commit is the last timestamp issued.
  EXPECT_EQ(query(file(), "SELECT value FROM meta WHERE name = 'hlc'"), std::to_string(last_hlc));

  const auto after = detail::commit_stats();
  EXPECT_EQ(after.entries - before.entries, uint64_t{kThreads * (kPuts + 5 + 5)});
  EXPECT_GT(after.batches - before.batches, 0u);
  EXPECT_LE(after.batches - before.batches, after.entries - before.entries);

  Summary want{{store_->id(), kOwn}};
  for (OriginId p = 0; p < kThreads / 2; ++p) want[kA + p] = 5;
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "before reopen" : "after reopen");
    EXPECT_EQ(store_->summary(), want);
    for (int w = 0; w < kThreads; ++w) {
      for (int i = 0; i < kPuts; ++i) {
        const std::string key = "c" + std::to_string(w) + "/" + std::to_string(i);
        const bool removed = i % 10 == 4;
        EXPECT_EQ(value_of(key), removed ? std::nullopt : std::optional("v" + std::to_string(i)))
            << key;
      }
    }
    EXPECT_EQ(store_->list("r", 1000).size(), static_cast<size_t>(kThreads / 2 * 5));
    reopen();
  }
  auto next = store_->put("next", "v");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->change.seq, kOwn + 1);
}

// Holds the store's first commit open until a given number of writes have queued behind it, so
// that those share the next commit whatever the scheduling: the store calls its listeners inside
// the commit, and this fixture's listener waits there on its first call.
class StoreGroupCommitTest : public StoreTest {
 protected:
  struct Heard {
    Change change;
    bool won;
    std::thread::id thread;
  };

  void SetUp() override {
    StoreTest::SetUp();
    store_->add_listener([this](const Change& c, bool won) {
      if (!holding_.exchange(true)) {
        EXPECT_TRUE(net_test::eventually(
            [this] { return detail::commit_stats().queued >= base_ + behind_; }, 60s));
      }
      const std::lock_guard lock(mutex_);
      heard_.push_back({c, won, std::this_thread::get_id()});
    });
  }

  // Puts "first" on a thread of its own, then runs each of `rest` on a thread of its own while
  // that commit is held; `behind`: how many of them reach the queue.
  void behind_first(const std::vector<std::function<void()>>& rest, uint64_t behind) {
    behind_ = behind;
    base_ = detail::commit_stats().queued;
    before_ = detail::commit_stats();
    std::vector<std::thread> threads;
    threads.emplace_back([this] { ASSERT_TRUE(store_->put("first", "1")); });
    ASSERT_TRUE(net_test::eventually([this] { return holding_.load(); }));
    for (const auto& write : rest) threads.emplace_back(write);
    for (std::thread& thread : threads) thread.join();
  }

  uint64_t batches() const { return detail::commit_stats().batches - before_.batches; }

  std::vector<Heard> heard() {
    const std::lock_guard lock(mutex_);
    return heard_;
  }

  std::atomic<bool> holding_{false};
  uint64_t behind_ = 0;
  uint64_t base_ = 0;
  detail::CommitStats before_;
  std::mutex mutex_;
  std::vector<Heard> heard_;
};

TEST_F(StoreGroupCommitTest, WritesQueuedDuringACommitShareTheNextOne) {
  std::vector<std::function<void()>> rest;
  for (int i = 0; i < 12; ++i) {
    rest.emplace_back([this, i] { EXPECT_TRUE(store_->put("k" + std::to_string(i), "v")); });
  }
  std::atomic<int> applied_new{0};
  const Change remote = change(kA, 1, hlc_at(-1000), "remote", "r");
  for (int i = 0; i < 2; ++i) {  // the same change twice in one batch: applied once
    rest.emplace_back([&] {
      auto applied = store_->apply(remote);
      ASSERT_TRUE(applied) << applied.error().message;
      if (*applied) applied_new.fetch_add(1);
    });
  }
  rest.emplace_back([this] {
    auto removed = store_->remove("first");
    ASSERT_TRUE(removed);
    EXPECT_TRUE(*removed);  // the batch sees "first", committed before it
  });
  rest.emplace_back([this] {  // fails before it is queued, alone
    auto put = store_->put("big", std::string(kMaxValueBytes + 1, 'x'));
    ASSERT_FALSE(put);
    EXPECT_EQ(put.error().code, common::Errc::limit_exceeded);
  });
  behind_first(rest, 15);

  EXPECT_EQ(batches(), 2u);
  EXPECT_EQ(applied_new.load(), 1);
  const auto heard = this->heard();
  ASSERT_EQ(heard.size(), 15u);  // first, 12 puts, the remove, one apply
  std::vector<uint64_t> own;
  for (const Heard& h : heard) {
    if (h.change.origin == store_->id()) own.push_back(h.change.seq);
    if (h.change.key != "first") {
      EXPECT_EQ(h.thread, heard[1].thread);  // one commit, so one leader heard them all
    }
  }
  std::vector<uint64_t> expected(14);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(own, expected);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(value_of("k" + std::to_string(i)), "v");
  EXPECT_EQ(value_of("first"), std::nullopt);
  EXPECT_EQ(value_of("remote"), "r");
  EXPECT_EQ(store_->summary(), (Summary{{kA, 1}, {store_->id(), 14}}));
}

TEST_F(StoreGroupCommitTest, AFailedCommitFailsEveryWriteInItAndKeepsNothingOfIt) {
  exec(file(),
       "CREATE TRIGGER poison BEFORE INSERT ON kv WHEN NEW.key = 'poison' "
       "BEGIN SELECT RAISE(ABORT, 'poisoned'); END");
  std::vector<std::string> errors;
  std::mutex mutex;
  auto expect_failure = [&](auto result) {
    ASSERT_FALSE(result);
    const std::lock_guard lock(mutex);
    errors.push_back(result.error().message);
  };
  std::vector<std::function<void()>> rest;
  for (const char* key : {"a", "poison", "b"}) {
    rest.emplace_back([&, key] { expect_failure(store_->put(key, "v")); });
  }
  const Change remote = change(kA, 1, hlc_at(-1000), "remote", "r");
  rest.emplace_back([&] { expect_failure(store_->apply(remote)); });
  rest.emplace_back([&] { expect_failure(store_->remove("first")); });
  behind_first(rest, 5);

  EXPECT_EQ(batches(), 2u);
  ASSERT_EQ(errors.size(), 5u);
  for (const std::string& error : errors) EXPECT_NE(error.find("poisoned"), std::string::npos);
  EXPECT_EQ(heard().size(), 1u);  // only "first"
  EXPECT_EQ(store_->summary(), (Summary{{store_->id(), 1}}));
  EXPECT_EQ(value_of("first"), "1");
  EXPECT_EQ(value_of("a"), std::nullopt);
  EXPECT_EQ(value_of("remote"), std::nullopt);
  EXPECT_EQ(count(file(), "SELECT contiguous FROM progress"), 1);
  // The seqs the failed batch took were given back, and the change it lost can come again.
  auto next = store_->put("a", "v");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->change.seq, 2u);
  EXPECT_EQ(store_->apply(remote).value(), true);
  reopen();
  EXPECT_EQ(store_->summary(), (Summary{{kA, 1}, {store_->id(), 2}}));
  EXPECT_EQ(value_of("a"), "v");
  EXPECT_EQ(query(file(), "SELECT value FROM meta WHERE name = 'hlc'"),
            std::to_string(next->change.version.hlc));
}

}  // namespace
}  // namespace web::store
