#!/usr/bin/env bash
# A local cluster on loopback: four web_servers behind the balancer, driven by the client.
# Usage: scripts/cluster.sh demo [--servers N] [--requests N] [--concurrency C] [--mode http|tcp]
# Every port is ephemeral; every process started here is stopped here, by PID.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BUILD_DIR:-$root/build}
servers=4 requests=20000 concurrency=8 mode=http

usage() { sed -n '3p' "$0" >&2; exit 2; }
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

backends=""
for i in $(seq "$servers"); do
  start "s$i" "$bin/web_server" --listen 127.0.0.1:0 --name "s$i" --static-dir "$root/web_server/www"
  eval "backends=\${backends:+\$backends,}\$addr_s$i"
done
start lb "$bin/load_balancer" --listen 127.0.0.1:0 --backends "$backends" --mode "$mode" \
  --health-check http --health-interval 250ms
url="http://$addr_lb/"

echo "== $servers web servers ($backends) behind the balancer ($mode mode) at $addr_lb"
echo "== $requests requests over $concurrency keep-alive connections"
"$bin/client" "$url" --requests "$requests" --concurrency "$concurrency"

echo
echo "== 3 seconds of load; s2 is killed (SIGKILL) after 1 s"
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
echo "== what the balancer logged:"
grep -E 'is (DOWN|UP)|retry|retrying' "$work/lb.log" | tail -n 5 || true
echo "== cluster stopped"
