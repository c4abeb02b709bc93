#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "load_balancer/admin/metrics.hpp"
#include "tests/unit/lb_test_support.hpp"

namespace lb {
namespace {

using std::chrono::microseconds;

struct Sample {
  std::string name;
  std::string labels;
  double value;
};

bool is_name(std::string_view name, bool metric) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [metric](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (metric && c == ':');
  });
}

// Checks `labels` ("a=\"x\",b=\"y\"", values with \\, \" and \n escapes) label by label.
bool valid_labels(std::string_view labels) {
  while (!labels.empty()) {
    const size_t equals = labels.find("=\"");
    if (equals == std::string_view::npos || !is_name(labels.substr(0, equals), false)) return false;
    size_t at = equals + 2;
    for (; at < labels.size() && labels[at] != '"'; ++at) {
      if (labels[at] == '\\') ++at;
    }
    if (at >= labels.size()) return false;
    labels.remove_prefix(at + 1);
    if (!labels.empty() && labels.front() != ',') return false;
    if (!labels.empty()) labels.remove_prefix(1);
  }
  return true;
}

// One "name{labels} value" line, or nullopt when the line is anything else.
std::optional<Sample> parse_sample(std::string_view line) {
  const size_t open = line.find('{');
  const size_t close = line.rfind("} ");
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  const std::string name(line.substr(0, open));
  const std::string labels(line.substr(open + 1, close - open - 1));
  const std::string value(line.substr(close + 2));
  if (!is_name(name, true) || !valid_labels(labels) || value.empty()) return std::nullopt;
  size_t used = 0;
  const double number = std::stod(value, &used);
  if (used != value.size()) return std::nullopt;
  return Sample{name, labels, number};
}

// Parses the exposition text: every line is "# HELP name text", "# TYPE name type", or
// "name{labels} value"; a sample's family was announced by HELP and TYPE before it.
std::vector<Sample> parse(const std::string& text) {
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string hash, keyword, name, type;
    if (line.starts_with("# HELP ")) {
      words >> hash >> keyword >> name;
      EXPECT_TRUE(is_name(name, true)) << line;
      helped.insert(name);
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      words >> hash >> keyword >> name >> type;
      EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram") << line;
      EXPECT_TRUE(helped.count(name)) << "TYPE before HELP: " << line;
      types[name] = type;
      continue;
    }
    const auto sample = parse_sample(line);
    EXPECT_TRUE(sample) << "not a sample: " << line;
    if (!sample) continue;
    std::string family = sample->name;
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
      const std::string base =
          family.substr(0, family.size() - std::min(family.size(), suffix.size()));
      if (family.ends_with(suffix) && types.count(base) && types[base] == "histogram")
        family = base;
    }
    EXPECT_TRUE(types.count(family)) << "no TYPE before " << line;
    samples.push_back(*sample);
  }
  return samples;
}

double value_of(const std::vector<Sample>& samples, const std::string& name,
                const std::string& labels) {
  for (const Sample& s : samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  ADD_FAILURE() << "no sample " << name << "{" << labels << "}";
  return -1;
}

TEST(AdminMetricsTest, EveryLineIsACommentOrASampleAndCountsAddUp) {
  BackendPool pool(test::specs_of({1, 3}), Thresholds{1, 1});
  ProxyStats proxy;
  Backend& a = *pool.at(0);
  Backend& b = *pool.at(1);
  a.stats().record_response(200, microseconds(300));       // bucket 0.0005
  a.stats().record_response(204, microseconds(2000));      // bucket 0.0025
  a.stats().record_response(503, microseconds(20000000));  // +Inf
  b.stats().record_response(404, microseconds(700));
  b.stats().record_retry();
  b.mark_down("test");
  a.set_admin_state(AdminState::draining);
  proxy.record_error(502);
  proxy.record_error(502);
  proxy.record_error(418);  // not one the balancer counts

  const std::vector<Sample> samples = parse(metrics_text(pool, proxy));
  const std::string la = R"(backend="127.0.0.1:1")";
  const std::string lb = R"(backend="127.0.0.1:2")";
  EXPECT_EQ(value_of(samples, "lb_backend_requests_total", la), 3);
  EXPECT_EQ(value_of(samples, "lb_backend_requests_total", lb), 1);
  EXPECT_EQ(value_of(samples, "lb_backend_responses_total", la + R"(,class="2xx")"), 2);
  EXPECT_EQ(value_of(samples, "lb_backend_responses_total", la + R"(,class="5xx")"), 1);
  EXPECT_EQ(value_of(samples, "lb_backend_responses_total", lb + R"(,class="4xx")"), 1);
  EXPECT_EQ(value_of(samples, "lb_backend_retries_total", lb), 1);
  EXPECT_EQ(value_of(samples, "lb_backend_connect_failures_total", lb), 1);
  EXPECT_EQ(value_of(samples, "lb_backend_up", la), 1);
  EXPECT_EQ(value_of(samples, "lb_backend_up", lb), 0);
  EXPECT_EQ(value_of(samples, "lb_backend_state", la + R"(,state="draining")"), 1);
  EXPECT_EQ(value_of(samples, "lb_backend_state", la + R"(,state="up")"), 0);
  EXPECT_EQ(value_of(samples, "lb_backend_state", lb + R"(,state="down")"), 1);
  EXPECT_EQ(value_of(samples, "lb_backend_weight", lb), 3);
  EXPECT_EQ(value_of(samples, "lb_backend_active_sessions", la), 0);
  const std::string h = "lb_backend_request_duration_seconds";
  EXPECT_EQ(value_of(samples, h + "_bucket", la + R"(,le="0.0005")"), 1);
  EXPECT_EQ(value_of(samples, h + "_bucket", la + R"(,le="0.001")"), 1);
  EXPECT_EQ(value_of(samples, h + "_bucket", la + R"(,le="0.0025")"), 2);
  EXPECT_EQ(value_of(samples, h + "_bucket", la + R"(,le="10")"), 2);
  EXPECT_EQ(value_of(samples, h + "_bucket", la + R"(,le="+Inf")"), 3);
  EXPECT_EQ(value_of(samples, h + "_count", la), 3);
  EXPECT_DOUBLE_EQ(value_of(samples, h + "_sum", la), 20.0023);
  EXPECT_EQ(value_of(samples, "lb_proxy_errors_total", R"(status="502")"), 2);
  EXPECT_EQ(value_of(samples, "lb_proxy_errors_total", R"(status="503")"), 0);
}

TEST(AdminMetricsTest, BucketsAreCumulativeAndEndWithInf) {
  BackendPool pool(test::specs_of({1}), Thresholds{1, 1});
  for (int i = 0; i < 100; ++i) pool.at(0)->stats().record_response(200, microseconds(i * 1000));
  const std::vector<Sample> samples = parse(metrics_text(pool, ProxyStats{}));
  double last = 0;
  int buckets = 0;
  for (const Sample& s : samples) {
    if (s.name != "lb_backend_request_duration_seconds_bucket") continue;
    EXPECT_GE(s.value, last) << s.labels;
    last = s.value;
    ++buckets;
  }
  EXPECT_EQ(buckets, static_cast<int>(kLatencyBuckets));
  EXPECT_EQ(last, 100);
}

}  // namespace
}  // namespace lb
