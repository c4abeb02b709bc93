#include "common/base64.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace common {
namespace {

struct Base64Case {
  const char* name;
  std::string data;
  std::string encoded;
};
void PrintTo(const Base64Case& c, std::ostream* os) { *os << c.name; }

const Base64Case kBase64Cases[] = {
    // RFC 4648 §10
    {"Empty", "", ""},
    {"F", "f", "Zg=="},
    {"Fo", "fo", "Zm8="},
    {"Foo", "foo", "Zm9v"},
    {"Foob", "foob", "Zm9vYg=="},
    {"Fooba", "fooba", "Zm9vYmE="},
    {"Foobar", "foobar", "Zm9vYmFy"},
    {"BinaryWithNul", std::string("\xff\xfe\x00", 3), "//4A"},
    {"NotUtf8", "\xc3\x28", "wyg="},
    {"HighestDigits", "\xfb\xff\xbf", "+/+/"},
    {"AllZeroBits", std::string(4, '\0'), "AAAAAA=="},
    // RFC 6455 §1.3: the SHA-1 behind the sample Sec-WebSocket-Accept.
    {"Rfc6455AcceptDigest",
     "\xb3\x7a\x4f\x2c\xc0\x62\x4f\x16\x90\xf6\x46\x06\xcf\x38\x59\x45\xb2\xbe\xc4\xea",
     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
};

class Base64Test : public testing::TestWithParam<Base64Case> {};

TEST_P(Base64Test, EncodesAsRfc4648Says) {
  EXPECT_EQ(base64_encode(GetParam().data), GetParam().encoded);
}

INSTANTIATE_TEST_SUITE_P(Table, Base64Test, testing::ValuesIn(kBase64Cases),
                         [](const testing::TestParamInfo<Base64Case>& param_info) {
                           return std::string(param_info.param.name);
                         });

// Input longer than one EVP_EncodeBlock call takes (3 MiB) comes out as if encoded in one go:
// 4 characters for every 3 bytes, padding only at the very end.
TEST(Base64LongInputTest, EncodesPastTheBlockSizeWithoutAGap) {
  const std::string data = std::string((size_t{3} << 20) + 1, '\0') + "f";
  const std::string encoded = base64_encode(data);
  ASSERT_EQ(encoded.size(), (data.size() + 2) / 3 * 4);
  EXPECT_EQ(encoded.find_first_not_of('A'), encoded.size() - 3);
  EXPECT_EQ(encoded.substr(encoded.size() - 4), "AGY=");
}

}  // namespace
}  // namespace common
