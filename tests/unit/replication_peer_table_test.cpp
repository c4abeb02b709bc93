#include <gtest/gtest.h>

#include <thread>

#include "web_server/replication/change_feed.hpp"
#include "web_server/replication/peer_table.hpp"

namespace web::replication {
namespace {

using namespace std::chrono_literals;

TEST(PeerTableTest, PurgeFloorWaitsForEveryPeerAndTakesTheMinimum) {
  PeerTable peers({"a:1", "b:2"});
  EXPECT_EQ(peers.everyone_has(), std::nullopt);
  peers.acknowledged(0, {{1, 10}, {2, 5}, {3, 7}});
  EXPECT_EQ(peers.everyone_has(), std::nullopt) << "peer b was never heard from";
  peers.acknowledged(1, {{1, 4}, {2, 9}});
  EXPECT_EQ(peers.everyone_has(), (store::Summary{{1, 4}, {2, 5}})) << "b lacks origin 3";
}

TEST(PeerTableTest, WaitCountsPeersThatAcknowledgedTheSeq) {
  PeerTable peers({"a:1", "b:2"});
  const auto soon = [] { return PeerTable::Clock::now() + 50ms; };
  EXPECT_FALSE(peers.wait_acknowledged(7, 3, 1, soon()));
  peers.acknowledged(0, {{7, 2}});
  EXPECT_FALSE(peers.wait_acknowledged(7, 3, 1, soon()));
  std::thread later([&] { peers.acknowledged(1, {{7, 3}}); });
  EXPECT_TRUE(peers.wait_acknowledged(7, 3, 1, PeerTable::Clock::now() + 20s));
  later.join();
  EXPECT_FALSE(peers.wait_acknowledged(7, 3, 2, soon()));
  EXPECT_TRUE(peers.wait_acknowledged(7, 2, 2, soon()));
}

TEST(PeerTableTest, StatusShowsConnectionAndWhatWasAcknowledged) {
  PeerTable peers({"a:1", "b:2"});
  peers.connected(0, 0xab);
  peers.acknowledged(0, {{1, 4}});
  EXPECT_EQ(peers.connected_count(), 1u);
  const auto status = peers.status();
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].address, "a:1");
  EXPECT_EQ(status[0].origin, 0xabu);
  EXPECT_TRUE(status[0].connected);
  EXPECT_TRUE(status[0].last_heard_ago.has_value());
  EXPECT_EQ(status[0].acknowledged, (store::Summary{{1, 4}}));
  EXPECT_EQ(status[1].address, "b:2");
  EXPECT_EQ(status[1].origin, std::nullopt);
  EXPECT_FALSE(status[1].last_heard_ago.has_value());
  peers.disconnected(0);
  EXPECT_EQ(peers.connected_count(), 0u);
}

TEST(PeerTableTest, ARemovedPeerIsWaitedForByNothing) {
  PeerTable peers({"a:1", "b:2"});
  peers.connected(1, 0xb);
  peers.acknowledged(0, {{7, 9}});
  peers.acknowledged(1, {{7, 1}});
  EXPECT_EQ(peers.everyone_has(), (store::Summary{{7, 1}})) << "b lags";
  const PeerTable::PeerId c = peers.add("c:3");
  EXPECT_EQ(peers.everyone_has(), std::nullopt) << "c was never heard from";
  peers.acknowledged(c, {{7, 9}});
  EXPECT_EQ(peers.remove(1), 0xbu) << "its origin, learnt when its link came up";
  EXPECT_EQ(peers.everyone_has(), (store::Summary{{7, 9}}));
  EXPECT_EQ(peers.member_origins(), std::set<store::OriginId>{});
  EXPECT_TRUE(peers.wait_acknowledged(7, 9, 2, PeerTable::Clock::now() + 20s));
  EXPECT_FALSE(peers.wait_acknowledged(7, 1, 3, PeerTable::Clock::now() + 50ms));
  peers.acknowledged(1, {{7, 50}});  // a late answer on its link changes nothing
  EXPECT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers.highest_acknowledged(7), 9u);
  EXPECT_EQ(peers.remove(0), std::nullopt) << "a's link never came up";
}

store::Change change(uint64_t seq) { return store::Change{1, seq, {seq, 1}, "k", "v"}; }

TEST(ChangeFeedTest, DeliversInOrderToEverySubscription) {
  ChangeFeed feed;
  auto one = feed.subscribe(), two = feed.subscribe();
  feed.publish(change(1));
  feed.publish(change(2));
  for (auto* subscription : {one.get(), two.get()}) {
    const auto batch = subscription->take(1s);
    ASSERT_EQ(batch.changes.size(), 2u);
    EXPECT_EQ(batch.changes[1].seq, 2u);
    EXPECT_FALSE(batch.overflowed);
  }
  EXPECT_TRUE(one->take(10ms).changes.empty());
}

TEST(ChangeFeedTest, OverflowDropsTheQueueAndSaysSoWithoutBlocking) {
  ChangeFeed feed(FeedLimits{.max_changes = 3, .max_bytes = 1 << 20});
  auto subscription = feed.subscribe();
  for (uint64_t seq = 1; seq <= 10; ++seq) feed.publish(change(seq));
  const auto batch = subscription->take(1s);
  EXPECT_TRUE(batch.overflowed);
  EXPECT_TRUE(batch.changes.empty());
  feed.publish(change(11));
  const auto next = subscription->take(1s);
  EXPECT_FALSE(next.overflowed);
  ASSERT_EQ(next.changes.size(), 1u);
}

TEST(ChangeFeedTest, CloseWakesATake) {
  ChangeFeed feed;
  auto subscription = feed.subscribe();
  std::thread closer([&] { subscription->close(); });
  EXPECT_TRUE(subscription->take(20s).closed);
  closer.join();
}

}  // namespace
}  // namespace web::replication
