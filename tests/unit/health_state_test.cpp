#include "load_balancer/health_state.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lb {
namespace {

// Feeds results ('+' passed, '-' failed, '!' a failed connect for a client) and spells what each
// one did: 'U' went up, 'D' went down, '.' no change.
std::string run(HealthState& state, std::string_view results) {
  std::string changes;
  for (const char r : results) {
    const auto changed = r == '!' ? state.force_down() : state.record(r == '+');
    changes += !changed ? '.' : (*changed == Health::up ? 'U' : 'D');
  }
  return changes;
}

struct Case {
  const char* name;
  int rise;
  int fall;
  Health initial;
  const char* results;
  const char* changes;
};

const Case kCases[] = {
    {"PassesKeepItUp", 2, 2, Health::up, "++++", "...."},
    {"FallFailuresTakeItDown", 2, 2, Health::up, "--", ".D"},
    {"FallOfOneDownsAtOnce", 2, 1, Health::up, "-", "D"},
    {"APassResetsTheFailureCount", 2, 3, Health::up, "--+--+---", "........D"},
    {"FailuresWhileDownChangeNothing", 2, 2, Health::up, "-----", ".D..."},
    {"RisePassesBringItBack", 2, 2, Health::down, "++", ".U"},
    {"AFailureResetsThePassCount", 3, 2, Health::down, "++-++-+++", "........U"},
    {"FullCycle", 2, 3, Health::up, "---+++---", "..D.U...D"},
    {"RiseOfOneUpsAtOnce", 1, 2, Health::down, "+-+", "U.."},
    {"ForceDownFromUpIsImmediate", 2, 2, Health::up, "!", "D"},
    {"ForceDownNeedsFullRise", 2, 2, Health::up, "!+++", "D.U."},
    {"ForceDownRestartsTheRiseCount", 2, 2, Health::up, "!+!++", "D...U"},
    {"ForceDownWhileDownChangesNothing", 2, 2, Health::down, "!!", ".."},
    {"FailureCountStartsFreshAfterComingBack", 1, 2, Health::up, "-!+-", ".DU."},
};

class HealthStateTable : public testing::TestWithParam<Case> {};

TEST_P(HealthStateTable, ChangesStateAsRiseAndFallSay) {
  const Case& c = GetParam();
  HealthState state(Thresholds{c.rise, c.fall}, c.initial);
  EXPECT_EQ(run(state, c.results), c.changes) << "results " << c.results;
}

INSTANTIATE_TEST_SUITE_P(HealthStateTest, HealthStateTable, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<Case>& param) {
                           return param.param.name;
                         });

TEST(HealthStateTest, StreakAndNeededDescribeProgress) {
  HealthState state(Thresholds{3, 2});
  EXPECT_EQ(state.state(), Health::up);
  EXPECT_EQ(state.needed(), 2);
  (void)state.record(false);
  EXPECT_EQ(state.streak(), 1);
  (void)state.record(false);
  EXPECT_EQ(state.state(), Health::down);
  EXPECT_EQ(state.streak(), 0);
  EXPECT_EQ(state.needed(), 3);
  (void)state.record(true);
  EXPECT_EQ(state.streak(), 1);
}

TEST(HealthStateTest, NamesStates) {
  EXPECT_EQ(to_string(Health::up), "UP");
  EXPECT_EQ(to_string(Health::down), "DOWN");
}

}  // namespace
}  // namespace lb
