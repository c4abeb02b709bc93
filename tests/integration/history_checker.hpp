// Checks a nemesis run's history against the servers' final state. Each check returns every
// violation it finds (empty: the property held), with the ops and versions that show it:
//  - convergence: every server answers every key alike (status, value, version), tombstones
//    included (a deleted key is 404 everywhere), and the /replication digests are equal;
//  - no lost or resurrected write: a key's final value has a version >= the largest version any
//    acknowledged op on it got, and was written by a PUT that may have been applied; a key is
//    absent only if that largest op was a DELETE (or a DELETE of unknown outcome exists);
//  - read your write: a GET made right after an acknowledged PUT, on the same server, answers a
//    version >= the PUT's, or a 404 explained by a DELETE with a larger version (or unknown
//    outcome) that had not completed before the PUT began.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/integration/history.hpp"

namespace harness {

struct KeyState {  // one server's answer for one key
  int status = 0;
  std::string value;
  std::string version;
};

struct FinalState {
  std::vector<std::string> keys;
  std::vector<std::map<std::string, KeyState>> servers;  // [server][key]
  std::vector<std::string> digests;                      // [server], "" when it did not answer
};

struct Violation {
  std::string check;
  std::string key;
  std::string detail;
};

std::vector<Violation> check_convergence(const FinalState& final_state);
std::vector<Violation> check_no_lost_writes(const std::vector<Op>& history,
                                            const FinalState& final_state);
std::vector<Violation> check_read_your_writes(const std::vector<Op>& history);

}  // namespace harness
