#!/usr/bin/env bash
# Deploys the built suite to servers over ssh: the executables, the web app and the systemd
# units (as `make install` lays them out under /usr/local), the role's configuration in
# /etc/balancer-suite, then enables and (re)starts the role's unit.
# Usage: scripts/deploy.sh --role web|balancer [OPTION]... [USER@]HOST...
#   --role web          each HOST runs web_server@NAME (NAME s1, s2, ... in the order given),
#                       replicating to the other HOSTs' port 7000 (or to --peers)
#   --role balancer     each HOST runs load_balancer in front of --backends
#   --backends LIST     balancer: host:port[@weight],... (written to /etc/balancer-suite/backends)
#   --peers LIST        web: replication addresses host:port,... instead of the other HOSTs
#   --sync-replicas K   web: peers that must hold a write before it is acknowledged (default 1)
#   --secret FILE       web: the cluster secret, the same on every server (default
#                       ./cluster.secret; made from 32 random bytes when missing)
#   --admin-token FILE  balancer: the admin API token (default ./admin.token; made when missing)
#   --build DIR         where the executables were built (default build/)
#   --no-sudo           run remote commands without sudo (when logging in as root); otherwise
#                       the login user needs sudo without a password
#   --dry-run           print every command it would run, run none
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
role="" backends="" peers="" sync_replicas=1 build=$root/build dry_run=no sudo="sudo "
secret=./cluster.secret admin_token=./admin.token
hosts=()

bad() { echo "deploy.sh: $*" >&2; exit 2; }
# value FLAG ARGC: the flag's value must be there.
need_value() { [ "$2" -ge 2 ] || bad "$1 needs a value"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --role|--backends|--peers|--sync-replicas|--secret|--admin-token|--build) need_value "$1" $# ;;
  esac
  case "$1" in
    --role) role=$2; shift 2 ;;
    --backends) backends=$2; shift 2 ;;
    --peers) peers=$2; shift 2 ;;
    --sync-replicas) sync_replicas=$2; shift 2 ;;
    --secret) secret=$2; shift 2 ;;
    --admin-token) admin_token=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --no-sudo) sudo=""; shift ;;
    --dry-run) dry_run=yes; shift ;;
    -h|--help) sed -n '5,19s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) bad "unknown option $1 (see --help)" ;;
    *) [[ $1 =~ ^([A-Za-z0-9._-]+@)?[A-Za-z0-9._:-]+$ ]] || bad "not a [USER@]HOST: '$1'"
       hosts+=("$1"); shift ;;
  esac
done
case "$role" in
  web) [ -z "$backends" ] || bad "--backends is for --role balancer" ;;
  balancer) [ -n "$backends" ] || bad "--role balancer needs --backends host:port,..."
            [ -z "$peers" ] || bad "--peers is for --role web" ;;
  "") bad "--role is required (web or balancer)" ;;
  *) bad "--role: '$role' is neither web nor balancer" ;;
esac
[ ${#hosts[@]} -gt 0 ] || bad "no HOST given"
[[ $sync_replicas =~ ^[0-9]+$ ]] || bad "--sync-replicas: '$sync_replicas' is not a number"

stage=${TMPDIR:-/tmp}/balancer-suite-deploy.$$
remote_stage=/tmp/balancer-suite-deploy.$$
copy=(scp -rpq)
command -v rsync >/dev/null && copy=(rsync -az)

# run CMD...: prints it (shell-quoted, so it can be pasted), then runs it unless --dry-run.
run() {
  printf '+'
  printf ' %q' "$@"
  printf '\n'
  [ $dry_run = yes ] || "$@"
}
# write FILE MODE CONTENT: the same for a local file.
write() {
  printf '+ write %q (mode %s):\n%s\n' "$1" "$2" "$3" | sed '2,$s/^/    /'
  [ $dry_run = yes ] && return 0
  mkdir -p "$(dirname "$1")"
  (umask 077 && printf '%s\n' "$3" >"$1")
  chmod "$2" "$1"
}
# remote HOST CMD: CMD on HOST through ssh (printed in single quotes, as one would type it).
remote() {
  local host=$1
  shift
  echo "+ ssh $host '$*'"
  # shellcheck disable=SC2029  # the command is meant to be expanded here, before it is sent
  [ $dry_run = yes ] || ssh "$host" "$*"
}
# A secret made once and then reused, so that every deploy gives all servers the same one.
ensure_secret() {
  [ -e "$1" ] && return 0
  echo "+ make $1: 32 random bytes in hex, mode 0600"
  [ $dry_run = yes ] || (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$1")
}
host_of() { local h=${1#*@}; echo "${h%%:*}"; }

# The files common to every host: what `make install` puts under /usr/local.
run env DESTDIR="$stage/root" PREFIX=/usr/local "$root/scripts/install.sh" "$build"
[ $dry_run = yes ] || trap 'rm -rf "$stage"' EXIT

# deploy_host HOST UNIT: copies the install tree and the host's files (staged in
# $stage/HOST/etc, for /etc/balancer-suite), installs them, enables and restarts UNIT.
deploy_host() {
  local host=$1 unit=$2
  remote "$host" "mkdir -m 0700 -p $remote_stage"
  run "${copy[@]}" "$stage/root" "$stage/$host/etc" "$host:$remote_stage/"
  remote "$host" "${sudo}cp -r --remove-destination $remote_stage/root/usr/local/. /usr/local/"
  local etc=/etc/balancer-suite
  remote "$host" "${sudo}install -d -m 0755 $etc && ${sudo}cp -p $remote_stage/etc/* $etc/ &&" \
    "${sudo}chown root:root $etc/*"
  remote "$host" "rm -rf $remote_stage"
  remote "$host" "${sudo}systemctl daemon-reload"
  remote "$host" "${sudo}systemctl enable $unit"
  # restart, not start: a server already running must pick up the new executable.
  remote "$host" "${sudo}systemctl restart $unit"
  remote "$host" "systemctl is-active $unit"
}

deploy_web() {
  ensure_secret "$secret"
  local i=0 host name list
  for host in "${hosts[@]}"; do
    i=$((i + 1))
    name=s$i
    list=$peers
    if [ -z "$list" ]; then
      for other in "${hosts[@]}"; do
        [ "$other" = "$host" ] || list=${list:+$list,}$(host_of "$other"):7000
      done
    fi
    write "$stage/$host/etc/web_server-$name.env" 0644 "LISTEN=0.0.0.0:8080
REPLICATION_LISTEN=0.0.0.0:7000
PEERS=$list
SYNC_REPLICAS=$sync_replicas
WEB_SERVER_OPTS="
    run install -m 0600 "$secret" "$stage/$host/etc/cluster.secret"
    deploy_host "$host" "web_server@$name"
  done
}

deploy_balancer() {
  ensure_secret "$admin_token"
  local host
  for host in "${hosts[@]}"; do
    write "$stage/$host/etc/load_balancer.env" 0644 "LISTEN=0.0.0.0:8080
ADMIN_LISTEN=127.0.0.1:9090
LOAD_BALANCER_OPTS=--mode http --health-check http"
    # load_balancer --backends-file: one "ADDR [weight=N]" a line.
    write "$stage/$host/etc/backends" 0644 \
      "$(tr ',' '\n' <<<"$backends" | sed 's/@\(.*\)$/ weight=\1/')"
    run install -m 0600 "$admin_token" "$stage/$host/etc/admin.token"
    deploy_host "$host" load_balancer
  done
}

"deploy_$role"
if [ $dry_run = yes ]; then
  echo "deploy.sh: ${hosts[*]}: $role (dry run: nothing was run)"
else
  echo "deploy.sh: ${hosts[*]}: $role deployed"
fi
