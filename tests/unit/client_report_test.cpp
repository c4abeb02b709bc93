#include <gtest/gtest.h>

#include <sstream>

#include "client/report.hpp"

namespace {

using nlohmann::json;

client::Options options_for_test() {
  client::Options options;
  options.request.url = *client::parse_url("http://127.0.0.1:8080/");
  options.plan.requests = 10;
  options.concurrency = 2;
  return options;
}

// Ten requests: seven 200s (s1 x4, s2 x3), one 503 (s1), two refused connections.
client::RunResult result_for_test() {
  client::RunResult result;
  client::Stats& s = result.stats;
  for (uint64_t us = 1000; us <= 8000; us += 1000) {
    s.latency.record(us);
    s.service.record(us / 2);
  }
  s.requests = 10;
  s.responses = 8;
  s.succeeded = 7;
  s.status[200] = 7;
  s.status[503] = 1;
  for (int i = 0; i < 5; ++i) s.record_backend("s1");
  for (int i = 0; i < 3; ++i) s.record_backend("s2");
  s.record_failure(client::Failure::status_5xx, "status 503");
  s.record_failure(client::Failure::connect, "connect 127.0.0.1:8080: Connection refused");
  s.record_failure(client::Failure::connect, "a later message is not kept");
  result.duration_s = 2.0;
  return result;
}

TEST(ClientReportTest, JsonHasEveryField) {
  const json j = client::to_json(result_for_test(), options_for_test());
  for (const char* key : {"url", "mode", "concurrency", "requests", "succeeded", "failed",
                          "responses", "duration_s", "rps", "bytes_received", "latency_ms",
                          "status", "errors", "error_messages", "backends", "without_backend"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  for (const char* key : {"p50", "p90", "p99", "p999", "p9999", "max", "min", "mean"}) {
    EXPECT_TRUE(j["latency_ms"].contains(key)) << key;
  }
  for (const char* kind : {"connect", "reset", "closed", "timeout", "protocol", "io", "status_5xx",
                           "handshake", "mismatch"}) {
    EXPECT_TRUE(j["errors"].contains(kind)) << kind;
  }
  EXPECT_FALSE(j.contains("service_ms"));
  EXPECT_FALSE(j.contains("histogram"));
  EXPECT_FALSE(j.contains("rate"));
  EXPECT_FALSE(j.contains("websocket"));
}

TEST(ClientReportTest, JsonCarriesTheCounts) {
  const json j = client::to_json(result_for_test(), options_for_test());
  EXPECT_EQ(j["url"], "http://127.0.0.1:8080/");
  EXPECT_EQ(j["mode"], "closed");
  EXPECT_EQ(j["requests"], 10);
  EXPECT_EQ(j["succeeded"], 7);
  EXPECT_EQ(j["failed"], 3);
  EXPECT_DOUBLE_EQ(j["rps"].get<double>(), 4.0);  // 8 responses in 2 s
  EXPECT_EQ(j["status"]["200"], 7);
  EXPECT_EQ(j["status"]["503"], 1);
  EXPECT_EQ(j["status"].size(), 2u);
  EXPECT_EQ(j["errors"]["connect"], 2);
  EXPECT_EQ(j["errors"]["status_5xx"], 1);
  EXPECT_EQ(j["errors"]["timeout"], 0);
  EXPECT_EQ(j["error_messages"]["connect"], "connect 127.0.0.1:8080: Connection refused");
  EXPECT_FALSE(j["error_messages"].contains("timeout"));
  EXPECT_EQ(j["backends"]["s1"], 5);
  EXPECT_EQ(j["backends"]["s2"], 3);
  EXPECT_DOUBLE_EQ(j["latency_ms"]["max"].get<double>(), 8.0);
  EXPECT_NEAR(j["latency_ms"]["p50"].get<double>(), 4.0, 0.04);  // the histogram keeps 1%
}

TEST(ClientReportTest, JsonAddsTheOptionalViewsWhenAsked) {
  client::Options options = options_for_test();
  options.plan.rate = 100;
  options.uncorrected = true;
  options.histogram = true;
  const json j = client::to_json(result_for_test(), options);
  EXPECT_EQ(j["mode"], "open");
  EXPECT_EQ(j["rate"], 100.0);
  EXPECT_DOUBLE_EQ(j["service_ms"]["max"].get<double>(), 4.0);
  ASSERT_EQ(j["histogram"].size(), 8u);  // eight distinct values
  EXPECT_DOUBLE_EQ(j["histogram"].back()["percentile"].get<double>(), 100.0);
  EXPECT_EQ(j["histogram"].front()["count"], 1);
}

TEST(ClientReportTest, HumanReportMentionsPercentilesStatusFailuresAndBackends) {
  std::ostringstream out;
  client::write_human(out, result_for_test(), options_for_test());
  const std::string text = out.str();
  for (const char* part :
       {"http://127.0.0.1:8080/", "p50", "p90", "p99 ", "p99.9", "p99.99", "max", "200: 7",
        "503: 1", "s1: 5", "s2: 3", "connect: 2", "Connection refused", "status_5xx: 1",
        "4.0 responses/s", "Non-2xx or 3xx responses: 1", "mean 4.500  stddev 2.291"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << " in:\n" << text;
  }
  EXPECT_EQ(text.find("service time"), std::string::npos);
  EXPECT_EQ(text.find("distribution"), std::string::npos);
}

TEST(ClientReportTest, NotOkResponsesAreReportedApartFromFailures) {
  const struct {
    const char* name;
    uint64_t responses;
    uint64_t succeeded;
    const char* line;  // nullptr: no such line
  } cases[] = {
      {"all_ok", 5, 5, nullptr},
      {"some_404", 5, 3, "Non-2xx or 3xx responses: 2\n"},
  };
  for (const auto& c : cases) {
    client::RunResult result;
    result.stats.requests = c.responses;
    result.stats.responses = c.responses;
    result.stats.succeeded = c.succeeded;
    std::ostringstream out;
    client::write_human(out, result, options_for_test());
    const bool found = out.str().find("Non-2xx or 3xx") != std::string::npos;
    EXPECT_EQ(found, c.line != nullptr) << c.name << ":\n" << out.str();
    if (c.line != nullptr) {
      EXPECT_NE(out.str().find(c.line), std::string::npos) << out.str();
    }
    EXPECT_EQ(client::to_json(result, options_for_test()).value("not_ok", -1),
              static_cast<int>(c.responses - c.succeeded))
        << c.name;
  }
}

// What HdrHistogram's plotter reads: a header, rows of four columns (three on the 100% row),
// and the three trailer lines.
TEST(ClientReportTest, PercentileDistributionHasHdrHistogramsFormat) {
  common::Histogram h;
  // Below 128 us every value has a bucket of its own, so the rows show the values exactly.
  for (uint64_t us : {10, 20, 30, 40}) h.record(us);
  std::ostringstream out;
  client::write_percentile_distribution(out, h);
  const std::string expected =
      "       Value     Percentile TotalCount 1/(1-Percentile)\n"
      "\n"
      "       0.010 0.250000000000          1           1.33\n"
      "       0.020 0.500000000000          2           2.00\n"
      "       0.030 0.750000000000          3           4.00\n"
      "       0.040 1.000000000000          4\n"
      "#[Mean    =        0.025, StdDeviation   =        0.011]\n"
      "#[Max     =        0.040, Total count    =            4]\n"
      "#[Buckets =           20, SubBuckets     =          128]\n";
  EXPECT_EQ(out.str(), expected);
}

TEST(ClientReportTest, HumanReportAddsServiceTimeAndDistributionWhenAsked) {
  client::Options options = options_for_test();
  options.uncorrected = true;
  options.histogram = true;
  std::ostringstream out;
  client::write_human(out, result_for_test(), options);
  EXPECT_NE(out.str().find("service time"), std::string::npos);
  EXPECT_NE(out.str().find("#[Buckets ="), std::string::npos);
}

TEST(ClientReportTest, ProgressLineShowsTotalsAndTheRecentRate) {
  const client::Progress before{100, 1, std::chrono::seconds(1)};
  const client::Progress now{300, 4, std::chrono::seconds(2)};
  const std::string line = client::progress_line(now, before);
  EXPECT_NE(line.find("requests 300"), std::string::npos) << line;
  EXPECT_NE(line.find("rate 200/s"), std::string::npos) << line;
  EXPECT_NE(line.find("errors 4"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(ClientStatsTest, MergeAddsEverythingAndKeepsTheFirstMessages) {
  client::Stats a = result_for_test().stats;
  client::Stats b;
  b.requests = 1;
  b.responses = 1;
  b.succeeded = 1;
  b.status[200] = 1;
  b.latency.record(20000);
  b.record_backend("s3");
  b.record_failure(client::Failure::timeout, "response: timed out");
  a.merge(b);
  EXPECT_EQ(a.requests, 11u);
  EXPECT_EQ(a.succeeded, 8u);
  EXPECT_EQ(a.status[200], 8u);
  EXPECT_EQ(a.latency.count(), 9u);
  EXPECT_EQ(a.latency.max(), 20000u);
  EXPECT_EQ(a.backends.at("s3"), 1u);
  EXPECT_EQ(a.backends.at("s1"), 5u);
  EXPECT_EQ(a.failures_of(client::Failure::timeout), 1u);
  EXPECT_EQ(a.first_error[static_cast<size_t>(client::Failure::timeout)], "response: timed out");
  EXPECT_EQ(a.first_error[static_cast<size_t>(client::Failure::connect)],
            "connect 127.0.0.1:8080: Connection refused");
}

TEST(ClientStatsTest, ARunPassesOnlyWhenItEndedRequestsAndAllSucceeded) {
  const struct {
    const char* name;
    uint64_t requests;
    uint64_t succeeded;
    bool passed;
  } cases[] = {
      {"nothing_sent", 0, 0, false},
      {"all_succeeded", 5, 5, true},
      {"one_failed", 5, 4, false},
  };
  for (const auto& c : cases) {
    client::Stats stats;
    stats.requests = c.requests;
    stats.succeeded = c.succeeded;
    EXPECT_EQ(stats.passed(), c.passed) << c.name;
  }
}

}  // namespace
