#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "web_server/replication/stability.hpp"

namespace web::replication {
namespace {

constexpr store::OriginId kA = 0xa, kB = 0xb, kM = 0x1, kN = 0x2, kX = 0x7;

// The horizon when no origin is retired and no member declared anything.
std::optional<uint64_t> horizon_of(Stability& stability, const store::Summary& everyone_has,
                                   const std::set<store::OriginId>& origins) {
  const std::set<store::OriginId> members;
  const store::Summary retired;
  return stability.horizon({everyone_has, origins, members, retired});
}

struct HorizonCase {
  std::string name;
  std::vector<store::Promise> heard;
  store::Summary everyone_has;
  std::set<store::OriginId> origins;
  std::optional<uint64_t> horizon;
};

class StabilityHorizonTest : public testing::TestWithParam<HorizonCase> {};

TEST_P(StabilityHorizonTest, IsTheOldestBestPromiseEveryServerHolds) {
  const HorizonCase& c = GetParam();
  Stability stability;
  stability.heard(c.heard);
  EXPECT_EQ(horizon_of(stability, c.everyone_has, c.origins), c.horizon);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, StabilityHorizonTest,
    testing::Values(
        HorizonCase{"NoOrigins", {{kA, 0, 50}}, {}, {}, std::nullopt},
        HorizonCase{"AnOriginNeverHeardFrom", {{kA, 0, 50}}, {}, {kA, kB}, std::nullopt},
        HorizonCase{"QuietOriginsPromiseTheirClocks", {{kA, 0, 50}, {kB, 0, 70}}, {}, {kA, kB}, 50},
        HorizonCase{"APromisePastWhatEveryoneHoldsIsNotUsable",
                    {{kA, 5, 50}},
                    {{kA, 4}},
                    {kA},
                    std::nullopt},
        HorizonCase{"TheNewestPromiseWithinTheFloorCounts",
                    {{kA, 2, 20}, {kA, 4, 40}, {kA, 6, 60}},
                    {{kA, 5}},
                    {kA},
                    40},
        HorizonCase{"TheSlowestOriginHoldsItBack",
                    {{kA, 3, 90}, {kB, 1, 30}, {kB, 9, 95}},
                    {{kA, 3}, {kB, 8}},
                    {kA, kB},
                    30},
        HorizonCase{
            "OriginsOutsideTheSetDoNotCount", {{kA, 1, 10}, {kB, 1, 99}}, {{kB, 1}}, {kB}, 99}),
    [](const testing::TestParamInfo<HorizonCase>& param_info) { return param_info.param.name; });

// Origin kX, last heard promising hlc 20, is retired. Members kM and kN; we are kA (promise 90).
struct RetiredCase {
  std::string name;
  store::Summary retired;                              // ours
  std::map<store::OriginId, store::Summary> declared;  // by each member
  uint64_t everyone_has_x = 0;
  std::optional<uint64_t> horizon;
};

class StabilityRetiredTest : public testing::TestWithParam<RetiredCase> {};

TEST_P(StabilityRetiredTest, AnOriginStopsCountingOnlyOnceEveryMemberRetiredItAlike) {
  const RetiredCase& c = GetParam();
  Stability stability;
  stability.heard(std::vector<store::Promise>{{kA, 1, 90}, {kX, 5, 20}});
  for (const auto& [member, retired] : c.declared) stability.declared(member, retired);
  const store::Summary everyone_has{{kA, 1}, {kX, c.everyone_has_x}};
  const std::set<store::OriginId> origins{kA, kX}, members{kM, kN};
  EXPECT_EQ(stability.horizon({everyone_has, origins, members, c.retired}), c.horizon);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, StabilityRetiredTest,
    testing::Values(RetiredCase{"NotRetiredItsLastPromiseHolds", {}, {}, 9, 20},
                    RetiredCase{"RetiredHereOnlyItStillHolds", {{kX, 9}}, {}, 9, 20},
                    RetiredCase{
                        "AMemberThatHasNotRetiredItHolds", {{kX, 9}}, {{kM, {{kX, 9}}}}, 9, 20},
                    RetiredCase{"AMemberWithAnotherFinalSeqHolds",
                                {{kX, 9}},
                                {{kM, {{kX, 9}}}, {kN, {{kX, 11}}}},
                                11,
                                20},
                    RetiredCase{"NotYetEverywhereUpToItsFinalSeqHolds",
                                {{kX, 9}},
                                {{kM, {{kX, 9}}}, {kN, {{kX, 9}}}},
                                8,
                                20},
                    RetiredCase{"RetiredByAllAlikeAndHeldByAllItStopsCounting",
                                {{kX, 9}},
                                {{kM, {{kX, 9}}}, {kN, {{kX, 9}}}},
                                9,
                                90}),
    [](const testing::TestParamInfo<RetiredCase>& param_info) { return param_info.param.name; });

TEST(StabilityTest, HighestDeclaredIsTheMaximumOverTheMembersAsked) {
  Stability stability;
  stability.declared(kM, {{kX, 9}, {kB, 2}});
  stability.declared(kN, {{kX, 11}});
  stability.declared(kA, {{kX, 50}});  // not a member any more
  EXPECT_EQ(stability.highest_declared({kM, kN}), (store::Summary{{kX, 11}, {kB, 2}}));
  stability.declared(kN, {});  // its newest PROGRESS replaces the one before
  EXPECT_EQ(stability.highest_declared({kM, kN}), (store::Summary{{kX, 9}, {kB, 2}}));
}

TEST(StabilityTest, LatestIsTheNewestPromiseOfEachOrigin) {
  Stability stability;
  stability.heard(std::vector<store::Promise>{{kA, 1, 10}, {kB, 0, 5}, {kA, 3, 30}});
  stability.heard(store::Promise{kA, 2, 20});
  EXPECT_EQ(stability.latest(), (std::vector<store::Promise>{{kA, 3, 30}, {kB, 0, 5}}));
}

TEST(StabilityTest, DominatedPromisesAddNothing) {
  Stability stability;
  stability.heard(store::Promise{kA, 2, 50});
  stability.heard(store::Promise{kA, 3, 40});  // a later seq with an older clock: says less
  stability.heard(store::Promise{kA, 2, 45});  // the same seq, older
  EXPECT_EQ(horizon_of(stability, {{kA, 3}}, {kA}), 50u);
  stability.heard(store::Promise{kA, 2, 60});  // the same seq, newer: replaces it
  EXPECT_EQ(stability.latest(), (std::vector<store::Promise>{{kA, 2, 60}}));
}

TEST(StabilityTest, ABusyOriginKeepsAnOldPromiseUsableWhileItsNewOnesAreNot) {
  Stability stability;
  const uint64_t heard = 3 * Stability::kKeptPerOrigin;
  for (uint64_t seq = 1; seq <= heard; ++seq) stability.heard(store::Promise{kA, seq, seq * 10});
  EXPECT_EQ(stability.latest().back(), (store::Promise{kA, heard, heard * 10}));
  // Everyone holds only the start of the log: the first promise is still there to count.
  EXPECT_EQ(horizon_of(stability, {{kA, 1}}, {kA}), 10u);
  EXPECT_EQ(horizon_of(stability, {{kA, heard}}, {kA}), heard * 10);
}

TEST(StabilityTest, OriginZeroIsIgnored) {
  Stability stability;
  stability.heard(store::Promise{0, 1, 10});
  EXPECT_TRUE(stability.latest().empty());
}

}  // namespace
}  // namespace web::replication
