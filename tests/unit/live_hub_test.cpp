#include "web_server/live/hub.hpp"

#include <poll.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

namespace web::live {
namespace {

store::Change put(std::string key, std::string value, uint64_t hlc = 1) {
  store::Change change;
  change.origin = 7;
  change.seq = hlc;
  change.version = {hlc, 7};
  change.key = std::move(key);
  change.value = std::move(value);
  return change;
}

bool readable(const Queue& queue) {
  pollfd p{queue.fd(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

TEST(LiveHubTest, PushesWinningChangesAsJsonAndWakesTheSubscriber) {
  Hub hub;
  auto subscription = hub.subscribe();
  ASSERT_TRUE(subscription);
  EXPECT_FALSE(readable(subscription->queue()));
  hub.publish(put("a", "1"), true);
  store::Change deleted = put("a", "", 2);
  deleted.value.reset();
  hub.publish(deleted, true);
  EXPECT_TRUE(readable(subscription->queue()));
  const Queue::Taken taken = subscription->queue().take();
  EXPECT_FALSE(taken.overflowed);
  ASSERT_EQ(taken.messages.size(), 2u);
  const auto first = nlohmann::json::parse(*taken.messages[0]);
  EXPECT_EQ(first["key"], "a");
  EXPECT_EQ(first["value"], "1");
  EXPECT_EQ(first["version"], "1-0000000000000007");
  EXPECT_TRUE(nlohmann::json::parse(*taken.messages[1])["value"].is_null());
  EXPECT_FALSE(readable(subscription->queue()));
}

TEST(LiveHubTest, ChangesThatLostAreNotPushed) {
  Hub hub;
  auto subscription = hub.subscribe();
  hub.publish(put("a", "old"), false);
  EXPECT_FALSE(readable(subscription->queue()));
  EXPECT_TRUE(subscription->queue().take().messages.empty());
}

TEST(LiveHubTest, ASubscriberThatFallsBehindIsMarkedAndDropped) {
  Limits limits;
  limits.max_queued_messages = 2;
  Hub hub(limits);
  auto slow = hub.subscribe();
  auto fast = hub.subscribe();
  for (int i = 0; i < 3; ++i) {
    hub.publish(put("k", std::to_string(i)), true);
    if (i < 2) {
      EXPECT_EQ(fast->queue().take().messages.size(), 1u);
    }
  }
  EXPECT_EQ(hub.subscribers(), 1u);  // the fast one
  const Queue::Taken taken = slow->queue().take();
  EXPECT_TRUE(taken.overflowed);
  EXPECT_TRUE(taken.messages.empty());
  hub.publish(put("k", "later"), true);
  EXPECT_TRUE(slow->queue().take().messages.empty());
  EXPECT_EQ(fast->queue().take().messages.size(), 2u);
}

TEST(LiveHubTest, QueuedBytesAreBoundedToo) {
  Limits limits;
  limits.max_queued_bytes = 100;
  Hub hub(limits);
  auto subscription = hub.subscribe();
  hub.publish(put("k", std::string(200, 'v')), true);
  EXPECT_TRUE(subscription->queue().take().overflowed);
}

TEST(LiveHubTest, SubscribersAreBoundedAndLeaveWhenTheirSubscriptionEnds) {
  Limits limits;
  limits.max_subscribers = 2;
  Hub hub(limits);
  auto a = hub.subscribe();
  auto b = hub.subscribe();
  EXPECT_TRUE(a && b);
  EXPECT_FALSE(hub.subscribe());
  a.reset();
  EXPECT_EQ(hub.subscribers(), 1u);
  EXPECT_TRUE(hub.subscribe());
}

TEST(LiveHubTest, PublishingWhileSubscribersComeAndGoIsSafe) {
  Hub hub;
  std::thread writer([&hub] {
    for (int i = 0; i < 2000; ++i) hub.publish(put("k", "v", static_cast<uint64_t>(i)), true);
  });
  for (int i = 0; i < 200; ++i) {
    auto subscription = hub.subscribe();
    ASSERT_TRUE(subscription);
    (void)subscription->queue().take();
  }
  writer.join();
  EXPECT_EQ(hub.subscribers(), 0u);
}

}  // namespace
}  // namespace web::live
