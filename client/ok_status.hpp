// Which response statuses count as a success (--ok-status): 2xx and 3xx unless told otherwise,
// so that a run against a missing path (404) or a wrong method (405) does not pass unnoticed.
#pragma once

#include <bitset>
#include <string_view>

#include "common/result.hpp"

namespace client {

class OkStatus {
 public:
  OkStatus();  // 200 to 399
  bool contains(int status) const;

  // "200,201,404": exactly these three-digit codes.
  static common::Result<OkStatus> parse(std::string_view text);

 private:
  std::bitset<1000> codes_;
};

}  // namespace client
