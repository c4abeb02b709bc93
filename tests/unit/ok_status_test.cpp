#include "client/ok_status.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

TEST(OkStatusTest, DefaultsTo2xxAnd3xx) {
  const client::OkStatus ok;
  const struct {
    int status;
    bool expected;
  } cases[] = {{199, false}, {200, true},  {204, true},  {301, true}, {399, true},
               {400, false}, {404, false}, {405, false}, {503, false}};
  for (const auto& c : cases) EXPECT_EQ(ok.contains(c.status), c.expected) << c.status;
}

TEST(OkStatusTest, ParsesExactlyTheListedCodes) {
  auto ok = client::OkStatus::parse("200,201,404");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  for (int status : {200, 201, 404}) EXPECT_TRUE(ok->contains(status)) << status;
  for (int status : {202, 301, 403, 500}) EXPECT_FALSE(ok->contains(status)) << status;
}

TEST(OkStatusTest, RejectsWhatIsNotAListOfStatusCodes) {
  const struct {
    const char* text;
    const char* message;
  } cases[] = {
      {"", ": '' is not a status code from 100 to 999"},
      {"200,", "200,: '' is not a status code from 100 to 999"},
      {"2xx", "2xx: '2xx' is not a status code from 100 to 999"},
      {"99", "99: '99' is not a status code from 100 to 999"},
      {"200, 201", "200, 201: ' 201' is not a status code from 100 to 999"},
      {"1000", "1000: '1000' is not a status code from 100 to 999"},
  };
  for (const auto& c : cases) {
    auto ok = client::OkStatus::parse(c.text);
    ASSERT_FALSE(ok.ok()) << c.text;
    EXPECT_EQ(ok.error().message, c.message);
  }
}

}  // namespace
