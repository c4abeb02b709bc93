#!/usr/bin/env bash
# The four-machine cluster on one host: each machine a network namespace on a private bridge,
# so that a machine can lose its link (cut) while the others keep serving. Needs root.
# Usage: scripts/netns-cluster.sh up [--two-balancers] | down | status | cut NODE | heal NODE
#   up                 s1..s4 (web_server on :8080, replication on :7000 to the three others) at
#                      SUBNET.11-.14, the balancer in its own namespace at SUBNET.10:8080
#   up --two-balancers two balancers, lb1 (SUBNET.21) and lb2 (SUBNET.22), sharing the virtual
#                      address SUBNET.100:8080 through keepalived (VRRP); lb1 preferred
#   cut NODE / heal NODE  take NODE's link down / up (NODE: s1..s4, lb, lb1, lb2)
#   status             each node's link and processes, and who holds the virtual address
#   down               stops what up started (by PID file), deletes its namespaces and bridge
# Environment: BUILD_DIR (the executables; default build/), NETNS_RUN_DIR (PIDs, logs, data;
# default /run/balancer-suite-netns), NETNS_PREFIX (names of namespaces and links; default bs),
# NETNS_SUBNET (first three octets; default 10.77.0), SYNC_REPLICAS (default 1).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD_DIR:-$root/build}
run=${NETNS_RUN_DIR:-/run/balancer-suite-netns}
prefix=${NETNS_PREFIX:-bs}
net=${NETNS_SUBNET:-10.77.0}
bridge=$prefix-br0
vip=$net.100

say() { echo "netns-cluster: $*"; }
die() { echo "netns-cluster: $*" >&2; exit 1; }
usage() { sed -n '4s/^# //p' "$0" >&2; exit 2; }

# A node NAME is the namespace $prefix-NAME, joined to the bridge by the veth pair
# $prefix-NAME (host side) / eth0 (inside).
ns_of() { echo "$prefix-$1"; }
address_of() {
  case "$1" in
    lb) echo "$net.10" ;;
    s[1-4]) echo "$net.1${1#s}" ;;
    lb[12]) echo "$net.2${1#lb}" ;;
    *) return 1 ;;
  esac
}

# Everything up creates is written down as it is created, so that down deletes only that.
created() { echo "$1" >>"$run/created"; }

add_bridge() {
  ip link add "$bridge" type bridge
  created "link $bridge"
  ip addr add "$net.1/24" dev "$bridge"
  ip link set "$bridge" up
}

add_node() {
  local name=$1 ns
  ns=$(ns_of "$name")
  ip netns add "$ns"
  created "netns $ns"
  ip link add "$ns" type veth peer name eth0 netns "$ns"
  # Deleted by hand in down: a deleted namespace takes its veth pair with it only later, when
  # the kernel gets round to freeing it.
  created "link $ns"
  ip link set "$ns" master "$bridge" up
  ip -n "$ns" addr add "$(address_of "$name")/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  echo "$name" >>"$run/nodes"
}

# start NODE PROGRAM ARGS...: runs PROGRAM in NODE's namespace, detached from this shell (setsid)
# so that it outlives it, with its PID in $run/pids/NODE.PROGRAM. `ip netns exec` execs the
# program in its own process, so $! is the program's PID.
start() {
  local node=$1 program=$2 label
  shift 2
  label=$node.$(basename "$program")
  setsid ip netns exec "$(ns_of "$node")" "$program" "$@" \
    </dev/null >"$run/logs/$label.out" 2>"$run/logs/$label.log" &
  echo $! >"$run/pids/$label"
}

# Waits (up to 30 s) for the "listening on" line of NODE.PROGRAM.
wait_listening() {
  local label=$1 pid
  pid=$(cat "$run/pids/$label")
  for _ in $(seq 300); do
    grep -q '^listening on ' "$run/logs/$label.out" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "netns-cluster: $label did not start; its log:" >&2
  tail -n 20 "$run/logs/$label.log" >&2
  return 1
}

# (No grep -q after a pipe: it may exit before the writer is done, and pipefail reports the
# writer's SIGPIPE as a failure.)
has_flag() { "$1" --help 2>/dev/null | grep -- "$2" >/dev/null; }

start_web_server() {
  local name=$1 self peers="" replication=()
  self=$(address_of "$name")
  for other in s1 s2 s3 s4; do
    [ "$other" = "$name" ] || peers=${peers:+$peers,}$(address_of "$other"):7000
  done
  if [ "$replicated" = yes ]; then
    mkdir -p "$run/data/$name"
    replication=(--data-dir "$run/data/$name" --replication-listen "$self:7000" --peers "$peers"
      --cluster-secret-file "$run/cluster.secret" --sync-replicas "${SYNC_REPLICAS:-1}")
  fi
  start "$name" "$bin/web_server" --listen "$self:8080" --name "$name" \
    --static-dir "$root/web_server/www" --drain-timeout 2s "${replication[@]}"
}

# The balancer of NODE, listening on LISTEN; checks are quick so that a cut server leaves the
# rotation within about a second, and a request stuck on it gives up after 3 s.
start_balancer() {
  local node=$1 listen=$2 backends="" admin=()
  for s in s1 s2 s3 s4; do backends=${backends:+$backends,}$(address_of "$s"):8080; done
  if has_flag "$bin/load_balancer" --admin-token-file; then
    admin=(--admin "$(address_of "$node"):9090" --admin-token-file "$run/admin.token")
  fi
  start "$node" "$bin/load_balancer" --listen "$listen" --backends "$backends" \
    --health-check http --health-interval 250ms --health-timeout 500ms --fall 2 --rise 2 \
    --connect-timeout 500ms --server-timeout 3s --drain-timeout 2s "${admin[@]}"
}

# keepalived in NODE (lb1 or lb2) from scripts/keepalived/keepalived.conf.in.
start_keepalived() {
  local node=$1 peer=$2 priority=$3 conf="$run/keepalived/$1.conf"
  sed -e "s|@NAME@|$node|; s|@INTERFACE@|eth0|g; s|@SELF@|$(address_of "$node")|" \
    -e "s|@PEER@|$(address_of "$peer")|; s|@PRIORITY@|$priority|; s|@VIP@|$vip/24|" \
    -e "s|@CHECK@|$bin/client http://127.0.0.1:8080/health --requests 1 --timeout 1s|" \
    "$root/scripts/keepalived/keepalived.conf.in" >"$conf"
  start "$node" "$(command -v keepalived)" --dont-fork --vrrp --log-console --log-detail \
    --no-syslog --use-file "$conf" --pid "$run/keepalived/$node.pid" \
    --vrrp_pid "$run/keepalived/$node.vrrp.pid"
}

# The node holding the virtual address, or nothing.
vip_holder() {
  for node in lb1 lb2; do
    ip -n "$(ns_of "$node")" -4 addr show dev eth0 2>/dev/null | grep "inet $vip/" >/dev/null &&
      echo "$node" && return 0
  done
  return 0
}

random_hex() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

cmd_up() {
  local two=no
  case "${1:-}" in
    "") ;;
    --two-balancers) two=yes ;;
    *) usage ;;
  esac
  [ "$(id -u)" -eq 0 ] || die "up needs root (network namespaces)"
  [ ! -e "$run/created" ] || die "already up ($run/created exists): run down first"
  for program in web_server load_balancer client; do
    [ -x "$bin/$program" ] || die "$bin/$program is missing: build first or set BUILD_DIR"
  done
  [ $two = no ] || command -v keepalived >/dev/null ||
    die "--two-balancers needs keepalived: scripts/install-deps.sh test"
  if ip -4 addr show | grep "inet $net\." >/dev/null; then
    die "$net.0/24 is already in use on this host (set NETNS_SUBNET)"
  fi

  mkdir -p "$run"
  rm -rf "$run/logs" "$run/pids" "$run/data" "$run/keepalived" "$run/nodes"
  mkdir -p "$run/logs" "$run/pids" "$run/keepalived"
  (umask 077 && random_hex >"$run/cluster.secret" && random_hex >"$run/admin.token")
  # A failure half-way leaves nothing behind.
  trap 'echo "netns-cluster: up failed; removing what it made" >&2; cmd_down >&2' EXIT

  replicated=yes
  if ! has_flag "$bin/web_server" --peers; then
    replicated=no
    say "$bin/web_server has no --peers flag yet: starting the servers WITHOUT replication"
  fi
  add_bridge
  for s in s1 s2 s3 s4; do add_node "$s"; start_web_server "$s"; done
  for s in s1 s2 s3 s4; do wait_listening "$s.web_server"; done

  if [ $two = no ]; then
    add_node lb
    start_balancer lb "$(address_of lb):8080"
    wait_listening lb.load_balancer
    trap - EXIT
    say "up: balancer at http://$(address_of lb):8080/ in front of s1..s4 ($net.11-14:8080)"
    return 0
  fi
  for node in lb1 lb2; do add_node "$node"; start_balancer "$node" 0.0.0.0:8080; done
  for node in lb1 lb2; do wait_listening "$node.load_balancer"; done
  start_keepalived lb1 lb2 150
  start_keepalived lb2 lb1 100
  for _ in $(seq 300); do
    [ -n "$(vip_holder)" ] && break
    sleep 0.1
  done
  [ -n "$(vip_holder)" ] ||
    die "no balancer took $vip within 30 s; see $run/logs/lb*.keepalived.log"
  trap - EXIT
  say "up: balancers lb1 ($(address_of lb1)) and lb2 ($(address_of lb2)) share http://$vip:8080/;" \
    "$(vip_holder) holds it"
}

# Sends SIGTERM to each process up started that still runs in the namespace it was started in
# (a PID reused by an unrelated process is never touched), then SIGKILL after 10 s.
stop_processes() {
  local pids=() pidfile pid node
  for pidfile in "$run"/pids/*; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    node=$(basename "$pidfile")
    node=${node%%.*}
    if [ "$(ip netns identify "$pid" 2>/dev/null)" = "$(ns_of "$node")" ]; then
      kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    fi
    rm -f "$pidfile"
  done
  for _ in $(seq 100); do
    local alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    pids=("${alive[@]}")
    [ ${#pids[@]} -eq 0 ] && return 0
    sleep 0.1
  done
  say "still running after 10 s, killing: ${pids[*]}"
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

cmd_down() {
  trap - EXIT
  [ -d "$run" ] || { say "nothing to stop ($run does not exist)"; return 0; }
  stop_processes
  if [ -e "$run/created" ]; then
    # Newest first: each veth pair before its namespace, the bridge last.
    tac "$run/created" | while read -r kind name; do
      case "$kind" in
        netns) ip netns del "$name" 2>/dev/null || say "netns $name was already gone" ;;
        link) ip link del "$name" 2>/dev/null || say "link $name was already gone" ;;
      esac
    done
    rm -f "$run/created" "$run/nodes"
  fi
  say "down (logs kept in $run/logs)"
}

cmd_status() {
  [ -e "$run/nodes" ] || { say "not up ($run/nodes does not exist)"; return 3; }
  local node state pidfile pid
  while read -r node; do
    state=$(ip -br link show "$(ns_of "$node")" 2>/dev/null | awk '{print $2}')
    case "$state" in
      UP|UNKNOWN) state=up ;;
      *) state=down ;;
    esac
    printf '%-4s %-12s link %-5s' "$node" "$(address_of "$node")" "$state"
    for pidfile in "$run/pids/$node".*; do
      [ -e "$pidfile" ] || continue
      pid=$(cat "$pidfile")
      if kill -0 "$pid" 2>/dev/null; then
        printf '  %s %s running' "${pidfile##*.}" "$pid"
      else
        printf '  %s %s EXITED' "${pidfile##*.}" "$pid"
      fi
    done
    printf '\n'
  done <"$run/nodes"
  if grep -q '^lb1$' "$run/nodes"; then
    echo "virtual address $vip held by: $(vip_holder)"
  fi
}

# cut NODE / heal NODE: the host side of NODE's veth pair down or up; the node loses its carrier
# as a machine whose cable is pulled would.
cmd_link() {
  local action=$1 node=${2:-}
  if [ -z "$node" ] || ! grep -qx "$node" "$run/nodes" 2>/dev/null; then
    echo "netns-cluster: $action: no node '$node' in this cluster (see status)" >&2
    exit 2
  fi
  if [ "$action" = cut ]; then
    ip link set "$(ns_of "$node")" down
    say "cut $node ($(address_of "$node")): link down"
  else
    ip link set "$(ns_of "$node")" up
    say "healed $node ($(address_of "$node")): link up"
  fi
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  up) [ $# -le 1 ] || usage; cmd_up "$@" ;;
  down) [ $# -eq 0 ] || usage; cmd_down ;;
  status) [ $# -eq 0 ] || usage; cmd_status ;;
  cut|heal) [ $# -eq 1 ] || usage; cmd_link "$command" "$1" ;;
  *) usage ;;
esac
