#include "tests/integration/nemesis.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdio>

namespace harness {

LinkMesh::LinkMesh(Cluster& cluster) : links_(cluster.size()) {
  for (size_t from = 0; from < cluster.size(); ++from) {
    cluster[from].peers.clear();
    links_[from].resize(cluster.size());
    for (size_t to = 0; to < cluster.size(); ++to) {
      if (to == from) continue;
      links_[from][to] = std::make_unique<FaultProxy>(cluster[to].repl);
      cluster[from].peers.push_back(links_[from][to]->address());
    }
  }
}

void LinkMesh::set_all(Fault fault) {
  for (auto& row : links_) {
    for (auto& link : row) {
      if (link) link->set(fault);
    }
  }
}

void log_event(const History& history, const std::string& what) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::printf("[%9.3fs] %s\n", history.seconds_now(), what.c_str());
  std::fflush(stdout);
}

namespace {

bool contains(const std::vector<size_t>& servers, size_t server) {
  return std::find(servers.begin(), servers.end(), server) != servers.end();
}

// Whether a link fault touches the link `from` dials to `to`: a partition cuts both directions
// across the split; the one-server faults touch that server's outgoing links (its changes) or
// its incoming ones; slow and flap touch both.
bool touches(const FaultEvent& event, size_t from, size_t to) {
  const size_t target = event.servers.front();
  switch (event.kind) {
    case FaultKind::partition:
      return contains(event.servers, from) != contains(event.servers, to);
    case FaultKind::mute:
    case FaultKind::acks_lost:
      return from == target;
    case FaultKind::deaf:
    case FaultKind::acks_unsent:
      return to == target;
    default:
      return from == target || to == target;
  }
}

}  // namespace

void Nemesis::set_links(const FaultEvent& event, Fault fault) {
  for (size_t from = 0; from < mesh_.size(); ++from) {
    for (size_t to = 0; to < mesh_.size(); ++to) {
      if (from != to && touches(event, from, to)) mesh_.link(from, to).set(fault);
    }
  }
}

void Nemesis::apply(const FaultEvent& event) {
  log_event(history_, "nemesis: start " + describe(event));
  const size_t target = event.servers.front();
  switch (event.kind) {
    case FaultKind::partition:
    case FaultKind::mute:
    case FaultKind::deaf:
      set_links(event, Fault::blackhole);
      break;
    case FaultKind::acks_lost:
    case FaultKind::acks_unsent:
      set_links(event, Fault::drop_to_dialer);
      break;
    case FaultKind::slow:
      set_links(event, Fault::slow);
      break;
    case FaultKind::flap:
      set_links(event, Fault::reset);
      break;
    case FaultKind::kill:
      cluster_.kill(target);
      break;
    case FaultKind::pause:
      cluster_[target].process->signal(SIGSTOP);
      break;
  }
}

void Nemesis::heal(const FaultEvent& event) {
  const size_t target = event.servers.front();
  if (event.kind == FaultKind::kill) {
    cluster_.start(target);
  } else if (event.kind == FaultKind::pause) {
    cluster_[target].process->signal(SIGCONT);
  } else {
    set_links(event, Fault::pass);
  }
  log_event(history_, "nemesis: healed " + describe(event));
}

bool Nemesis::wait_until(std::chrono::steady_clock::time_point until, std::stop_token stop) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_until(lock, stop, until, [] { return false; }) && !stop.stop_requested();
}

void Nemesis::run(const std::vector<FaultEvent>& events, std::stop_token stop) {
  const auto began = std::chrono::steady_clock::now();
  const auto at = [&](double seconds) {
    return began + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       std::chrono::duration<double>(seconds));
  };
  for (const FaultEvent& event : events) {
    if (!wait_until(at(event.at), stop)) return;
    apply(event);
    const bool finished = wait_until(at(event.at + event.duration), stop);
    heal(event);
    if (!finished) return;
  }
}

void Nemesis::heal_all() {
  mesh_.set_all(Fault::pass);
  for (size_t i = 0; i < cluster_.size(); ++i) {
    if (!cluster_[i].process || !cluster_[i].process->running()) {
      cluster_.start(i);
    } else {
      cluster_[i].process->signal(SIGCONT);
    }
  }
  log_event(history_, "nemesis: healed everything");
}

}  // namespace harness
