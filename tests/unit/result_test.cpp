#include "common/result.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace {

struct ErrnoCase {
  const char* name;
  int err;
  common::Errc code;
};

class SysError : public testing::TestWithParam<ErrnoCase> {};

TEST_P(SysError, ClassifiesErrno) {
  const ErrnoCase& c = GetParam();
  const common::Error error = common::sys_error("connect 10.0.0.2:8080", c.err);
  EXPECT_EQ(error.code, c.code) << common::to_string(error.code);
}

INSTANTIATE_TEST_SUITE_P(ResultTest, SysError,
                         testing::Values(ErrnoCase{"refused", ECONNREFUSED, common::Errc::refused},
                                         ErrnoCase{"timed_out", ETIMEDOUT, common::Errc::timed_out},
                                         ErrnoCase{"again", EAGAIN, common::Errc::timed_out},
                                         ErrnoCase{"reset", ECONNRESET, common::Errc::reset},
                                         ErrnoCase{"pipe", EPIPE, common::Errc::reset},
                                         ErrnoCase{"not_connected", ENOTCONN, common::Errc::reset},
                                         ErrnoCase{"invalid", EINVAL,
                                                   common::Errc::invalid_argument},
                                         ErrnoCase{"other", EACCES, common::Errc::io_error}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ResultTest, SysErrorMessageNamesTheCallAndTheReason) {
  EXPECT_EQ(common::sys_error("connect 127.0.0.1:9", ECONNREFUSED).message,
            "connect 127.0.0.1:9: Connection refused");
}

TEST(ResultTest, EveryCodeHasAName) {
  using common::Errc;
  for (Errc code :
       {Errc::invalid_argument, Errc::resolve_failed, Errc::refused, Errc::timed_out, Errc::reset,
        Errc::closed, Errc::limit_exceeded, Errc::protocol, Errc::io_error}) {
    EXPECT_NE(common::to_string(code), "unknown");
  }
  EXPECT_EQ(common::to_string(Errc::timed_out), "timed_out");
}

TEST(ResultTest, HoldsAValueOrAnError) {
  common::Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  common::Result<int> bad = common::Error{common::Errc::protocol, "bad"};
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, common::Errc::protocol);
}

}  // namespace
