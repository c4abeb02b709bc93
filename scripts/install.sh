#!/usr/bin/env bash
# Installs the built suite: the three executables, the web app, the systemd units and the example
# configuration, under DESTDIR/PREFIX (as `make install` does; packagers set DESTDIR).
# Usage: [DESTDIR=dir] [PREFIX=/usr/local] scripts/install.sh BUILD_DIR
#   PREFIX/bin/{load_balancer,web_server,client}
#   PREFIX/share/balancer-suite/www/           the web app (web_server --static-dir)
#   PREFIX/share/balancer-suite/examples/      env files, backends, nginx site, keepalived template
#   PREFIX/lib/systemd/system/                 web_server@.service, load_balancer.service
# The units name /usr/local paths; they are rewritten to PREFIX. Nothing is enabled or started.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 1 ] || { sed -n '4p' "$0" >&2; exit 2; }
build=$1
prefix=${PREFIX:-/usr/local}
dest=${DESTDIR:-}${prefix}
share=$dest/share/balancer-suite

for exe in load_balancer web_server client; do
  if [ ! -x "$build/$exe" ]; then
    echo "install.sh: $build/$exe is missing: build first (make)" >&2
    exit 1
  fi
  install -D -m 0755 "$build/$exe" "$dest/bin/$exe"
done

# The web app: every file under web_server/www, folders kept.
(cd "$root/web_server/www" && find . -type f) | while read -r file; do
  install -D -m 0644 "$root/web_server/www/$file" "$share/www/$file"
done

install -d "$dest/lib/systemd/system"
for unit in "$root"/scripts/systemd/*.service; do
  sed "s|/usr/local/|$prefix/|g" "$unit" >"$dest/lib/systemd/system/$(basename "$unit")"
  chmod 0644 "$dest/lib/systemd/system/$(basename "$unit")"
done

install -D -m 0644 -t "$share/examples" "$root"/scripts/systemd/*.example \
  "$root/scripts/nginx/balancer-suite.conf" "$root/scripts/keepalived/keepalived.conf.in"
install -D -m 0644 "$root/README.md" "$share/README.md"
echo "installed the balancer suite in ${DESTDIR:-}$prefix"
