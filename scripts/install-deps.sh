#!/usr/bin/env bash
# Installs the Debian packages a task needs, skipping those already installed.
# Usage: scripts/install-deps.sh [build|test|bench|fuzz|all]...   (default: build)
set -euo pipefail

declare -A groups=(
  [build]="g++ make cmake ninja-build libcli11-dev nlohmann-json3-dev libssl-dev libsqlite3-dev libsystemd-dev pkg-config python3"
  [test]="libgtest-dev libgmock-dev python3 python3-websockets procps iproute2 chromium openssl nginx-light keepalived faketime"
  [bench]="libbenchmark-dev haproxy nginx-light wrk procps"
  [fuzz]="clang libclang-rt-14-dev"
)

wanted=()
for group in "${@:-build}"; do
  if [ "$group" = all ]; then
    for g in "${!groups[@]}"; do wanted+=(${groups[$g]}); done
  elif [ -n "${groups[$group]:-}" ]; then
    wanted+=(${groups[$group]})
  else
    echo "install-deps.sh: unknown group '$group' (build, test, bench, fuzz, all)" >&2
    exit 2
  fi
done

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
