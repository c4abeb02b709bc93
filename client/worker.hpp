// One connection's request loop: take a ticket from the plan, wait until it is due, send the
// prebuilt request, read the response, count the outcome. Runs on its own thread; everything it
// counts is its own until the thread is joined.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "client/ok_status.hpp"
#include "client/plan.hpp"
#include "client/request_keys.hpp"
#include "client/response_reader.hpp"
#include "client/stats.hpp"
#include "common/address.hpp"
#include "common/fd.hpp"

namespace client {

// What every worker of a run sends, and where.
struct Target {
  common::Address address;
  std::string request;                       // the complete request bytes (see build_request)
  std::unique_ptr<const RequestKeys> keys;   // set when the URL has {n}: requests made from it
  std::string method;                        // the request's method, for reading the response
  bool keep_alive = true;                    // false: a new connection per request
  std::chrono::milliseconds timeout{10000};  // connect, and each request from send to response
  OkStatus ok_status;                        // which responses count as succeeded
};

class Worker {
 public:
  // `target` and `live` must outlive the worker.
  Worker(const Target& target, LiveCounters& live);

  // Sends requests until the plan runs out. A failed request is counted, never retried; a
  // connection that failed or was closed is opened again for the next request.
  void run(Plan& plan);
  const Stats& stats() const { return stats_; }

 private:
  void send_one(const Ticket& ticket);
  bool ensure_connected(const Ticket& ticket);
  void fail(const Ticket& ticket, Failure kind, std::string_view message);
  void record_response(const Ticket& ticket, const Response& response,
                       Clock::time_point attempt_start);

  const Target& target_;
  LiveCounters& live_;
  common::Fd connection_;
  ResponseReader reader_;
  Stats stats_;
  std::string keyed_request_;  // with target_.keys: this request's bytes, reused
};

}  // namespace client
