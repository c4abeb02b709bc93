#!/usr/bin/env bash
# A local cluster on loopback: four web_servers that replicate their key-value store to each
# other, behind the balancer, driven by the client.
# Usage: scripts/cluster.sh demo [--servers N] [--requests N] [--concurrency C] [--mode http|tcp]
# Every port is ephemeral; every process started here is stopped here, by PID.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD_DIR:-$root/build}
servers=4 requests=20000 concurrency=8 mode=http

usage() { sed -n 's/^# Usage: /usage: /p' "$0" >&2; exit 2; }
[ "${1:-}" = demo ] || usage
shift
while [ $# -gt 0 ]; do
  case "$1" in
    --servers) servers=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    *) usage ;;
  esac
done
[[ "$servers" =~ ^[1-9][0-9]*$ ]] || usage

work=$(mktemp -d "${TMPDIR:-/tmp}/cluster.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME CMD...: runs CMD in the background and waits (up to 30 s) for its "listening on" line.
start() {
  local name=$1; shift
  : >"$work/$name.out"
  "$@" >"$work/$name.out" 2>"$work/$name.log" &
  pids+=($!)
  eval "pid_$name=$!"
  for _ in $(seq 300); do
    if grep -q '^listening on ' "$work/$name.out"; then
      eval "addr_$name=$(sed -n 's/^listening on //p' "$work/$name.out" | head -n1)"
      return 0
    fi
    kill -0 "$!" 2>/dev/null || break
    sleep 0.1
  done
  echo "cluster: $name did not start:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

# Replication addresses must be known before the servers start (each dials the others), so
# they are ports the kernel hands out and python3 releases at once.
read -r -a repl <<<"$(python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join("127.0.0.1:%d" % s.getsockname()[1] for s in socks))' "$servers")"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/secret"

# start_server I: web_server sI with its store in the work folder, replicating to every other
# (a lone server has no one to replicate to, so it runs without replication).
start_server() {
  local i=$1 peers="" replication=()
  for j in $(seq "$servers"); do
    [ "$j" = "$i" ] || peers=${peers:+$peers,}${repl[$((j - 1))]}
  done
  if [ "$servers" -gt 1 ]; then
    replication=(--peers "$peers" --replication-listen "${repl[$((i - 1))]}"
      --cluster-secret-file "$work/secret")
  fi
  start "s$i" "$bin/web_server" --listen "${2:-127.0.0.1:0}" --name "s$i" \
    --static-dir "$root/web_server/www" --data-dir "$work/data/s$i" "${replication[@]}"
}

# get ADDR PATH: the body of a GET, over bash's /dev/tcp (no curl needed).
get() {
  local host=${1%:*} port=${1##*:}
  exec 3<>"/dev/tcp/$host/$port"
  printf 'GET %s HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n' "$2" >&3
  sed '1,/^\r$/d' <&3
  exec 3<&-
}

# The store digest of every server, one line each; all equal once they have converged.
digests() {
  for i in $(seq "$servers"); do
    eval "local addr=\$addr_s$i"
    printf '   s%s %s\n' "$i" "$(get "$addr" /replication | sed -n 's/.*"digest":"\([0-9a-f]*\)".*/\1/p')"
  done
}

# Waits (up to 30 s) until every server reports the same digest.
converged() {
  for _ in $(seq 300); do
    [ "$(digests | awk '{print $2}' | sort -u | wc -l)" = 1 ] && return 0
    sleep 0.1
  done
  return 1
}

backends=""
for i in $(seq "$servers"); do
  start_server "$i"
  eval "backends=\${backends:+\$backends,}\$addr_s$i"
done
start lb "$bin/load_balancer" --listen 127.0.0.1:0 --backends "$backends" --mode "$mode" \
  --health-check http --health-interval 250ms
url="http://$addr_lb/"

echo "== $servers web servers ($backends) behind the balancer ($mode mode) at $addr_lb"
echo "== $requests requests over $concurrency keep-alive connections"
"$bin/client" "$url" --requests "$requests" --concurrency "$concurrency"

echo
echo "== 2,000 writes (PUT /kv/demo-counter) through the balancer, spread over every server"
"$bin/client" "http://$addr_lb/kv/demo-counter" --method PUT --body "written through $addr_lb" \
  --requests 2000 --concurrency "$concurrency" | grep -E '^(requests|status|backends)|^ +s[0-9]+:' || true
if [ "$servers" -lt 2 ]; then
  echo "== one server: no other to fail over to or to replicate from"
  echo "== cluster stopped"
  exit 0
fi
converged || echo "(not converged after 30 s)"
echo "== every server's store digest (multi-master replication: all equal):"
digests

echo
echo "== 3 seconds of reads; s2 is killed (SIGKILL) after 1 s"
"$bin/client" "$url" --duration 3s --concurrency "$concurrency" &
client_pid=$!
sleep 1
kill -KILL "$pid_s2"
{ wait "$pid_s2"; } 2>/dev/null || true  # quietly: the shell would report "Killed"
status=0
wait "$client_pid" || status=$?
# 1 means some requests failed: TCP mode cannot replay what was in flight on the dead server.
[ $status -le 1 ] || exit $status
echo
echo "== writes while s2 is down, then s2 restarted on its old port and data: it catches up"
"$bin/client" "http://$addr_lb/kv/while-s2-was-down" --method PUT --body "s2 missed this" \
  --requests 200 --concurrency 2 >/dev/null || true
start_server 2 "$addr_s2"
converged && echo "   converged:" || echo "   (not converged after 30 s)"
digests
echo "   s2 has: $(get "$addr_s2" /kv/while-s2-was-down)"
echo
echo "== what the balancer logged:"
grep -E 'is (DOWN|UP)|retry|retrying' "$work/lb.log" | tail -n 5 || true
echo "== cluster stopped"
