#include "tests/integration/history_checker.hpp"

#include <optional>

namespace harness {

namespace {

bool is_write(const Op& op) { return op.kind == OpKind::put || op.kind == OpKind::del; }

std::string state_text(const KeyState& state) {
  if (state.status == 200) return "200 " + state.value + " v=" + state.version;
  return std::to_string(state.status) + (state.version.empty() ? "" : " v=" + state.version);
}

bool same_state(const KeyState& a, const KeyState& b) {
  if (a.status != b.status) return false;
  return a.status != 200 || (a.value == b.value && a.version == b.version);
}

// The acknowledged write on `key` with the largest version, if any.
std::optional<Op> largest_acknowledged(const std::vector<Op>& history, const std::string& key) {
  std::optional<Op> largest;
  for (const Op& op : history) {
    if (op.key != key || !is_write(op) || op.outcome != Outcome::ok) continue;
    if (!largest || version_order(op.version) > version_order(largest->version)) largest = op;
  }
  return largest;
}

// What is wrong with one server's final value for a key ("" when nothing).
std::string check_value(const std::vector<Op>& history, const KeyState& state,
                        const std::optional<Op>& largest) {
  const Op* writer = nullptr;
  for (const Op& op : history) {
    if (op.kind == OpKind::put && op.value == state.value) writer = &op;
  }
  if (writer == nullptr || writer->outcome == Outcome::failed) {
    return "value " + state.value + " was never written by a PUT that may have been applied" +
           (writer ? ": " + describe(*writer) : "");
  }
  if (writer->outcome == Outcome::ok && writer->version != state.version) {
    return "final version differs from the one its PUT was acknowledged with: " + describe(*writer);
  }
  if (largest && version_order(state.version) < version_order(largest->version)) {
    return std::string(largest->kind == OpKind::del ? "resurrection" : "lost acknowledged write") +
           ": final " + state_text(state) + " (written by " + describe(*writer) +
           ") is older than the acknowledged " + describe(*largest);
  }
  return "";
}

std::string check_absent(const std::vector<Op>& history, const std::string& key,
                         const std::optional<Op>& largest) {
  if (!largest || largest->kind == OpKind::del) return "";
  for (const Op& op : history) {
    if (op.key == key && op.kind == OpKind::del && op.outcome == Outcome::indeterminate) return "";
  }
  return "lost acknowledged write: key absent, yet no DELETE could remove " + describe(*largest);
}

// A DELETE that could explain a 404 right after `put`: it may have won (a larger version, or
// unknown outcome) and had not completed before the PUT began.
bool concurrent_delete(const std::vector<const Op*>& deletes, const Op& put, const Op& get) {
  for (const Op* delete_op : deletes) {
    const Op& op = *delete_op;
    if (op.outcome == Outcome::failed) continue;
    const bool may_win = op.outcome == Outcome::indeterminate ||
                         version_order(op.version) > version_order(put.version);
    if (may_win && op.end >= put.start && op.start <= get.end) return true;
  }
  return false;
}

// Why a GET right after `put` found the key absent: the DELETE with a larger version that had
// completed before the PUT began (the server may already have held its tombstone), if any.
std::string absent_because(const std::vector<const Op*>& deletes, const Op& put) {
  for (const Op* delete_op : deletes) {
    const Op& op = *delete_op;
    if (op.outcome == Outcome::ok && op.end < put.start &&
        version_order(op.version) > version_order(put.version)) {
      return "; the PUT lost at once to the earlier " + describe(op);
    }
  }
  return "; no DELETE explains it";
}

}  // namespace

std::vector<Violation> check_convergence(const FinalState& final_state) {
  std::vector<Violation> found;
  for (const std::string& key : final_state.keys) {
    const KeyState& first = final_state.servers.front().at(key);
    std::string answers;
    bool differ = false;
    for (size_t s = 0; s < final_state.servers.size(); ++s) {
      const KeyState& state = final_state.servers[s].at(key);
      differ |= !same_state(state, first);
      answers += " s" + std::to_string(s) + ": " + state_text(state) + ";";
    }
    if (differ) found.push_back({"convergence", key, "servers disagree:" + answers});
  }
  for (size_t s = 0; s < final_state.digests.size(); ++s) {
    if (final_state.digests[s].empty() || final_state.digests[s] != final_state.digests[0]) {
      found.push_back({"convergence", "/replication",
                       "digest of s" + std::to_string(s) + " '" + final_state.digests[s] +
                           "' differs from s0's '" + final_state.digests[0] + "'"});
    }
  }
  return found;
}

std::vector<Violation> check_no_lost_writes(const std::vector<Op>& history,
                                            const FinalState& final_state) {
  std::vector<Violation> found;
  for (const std::string& key : final_state.keys) {
    const std::optional<Op> largest = largest_acknowledged(history, key);
    std::vector<KeyState> seen;  // one report per distinct final state
    for (size_t s = 0; s < final_state.servers.size(); ++s) {
      const KeyState& state = final_state.servers[s].at(key);
      bool repeated = false;
      for (const KeyState& other : seen) repeated |= same_state(other, state);
      if (repeated) continue;
      seen.push_back(state);
      std::string wrong = state.status == 200   ? check_value(history, state, largest)
                          : state.status == 404 ? check_absent(history, key, largest)
                                                : "no answer (" + state_text(state) + ")";
      if (!wrong.empty()) {
        found.push_back({"no-lost-writes", key, "on s" + std::to_string(s) + ": " + wrong});
      }
    }
  }
  return found;
}

std::vector<Violation> check_read_your_writes(const std::vector<Op>& history) {
  std::vector<Violation> found;
  std::map<std::string, std::vector<const Op*>> deletes;  // by key: the history is long
  for (const Op& op : history) {
    if (op.kind == OpKind::del) deletes[op.key].push_back(&op);
  }
  for (const Op& get : history) {
    if (get.kind != OpKind::get || get.after_put < 0 || get.outcome != Outcome::ok) continue;
    const Op& put = history[static_cast<size_t>(get.after_put)];
    if (version_order(get.version) >= version_order(put.version)) continue;
    const auto& of_key = deletes[put.key];
    if (get.status == 404 && concurrent_delete(of_key, put, get)) continue;
    found.push_back({"read-your-write", put.key,
                     "acknowledged " + describe(put) + ", then " + describe(get) +
                         (get.status == 404 ? absent_because(of_key, put) : "")});
  }
  return found;
}

}  // namespace harness
