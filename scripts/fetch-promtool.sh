#!/usr/bin/env bash
# Prometheus' promtool, which the metrics tests run over the exposition (`promtool check
# metrics`): taken out of Debian's prometheus package with dpkg -x, not installed, so no
# Prometheus server gets set up or started on this machine. Cached in .cache/promtool (or
# $DESKBOX_PROMTOOL_DIR); idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${DESKBOX_PROMTOOL_DIR:-$PWD/.cache/promtool}"
[ -x "$cache/promtool" ] && exit 0
rm -rf "$cache.tmp"; mkdir -p "$cache.tmp"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
# apt-get download writes into the current folder; as root, apt warns that it is not sandboxed.
# Without package lists (a machine that had every other package already), fetch them once.
download() { (cd "$cache.tmp" && apt-get download -qq prometheus 2>/dev/null); }
download || { $sudo apt-get update -qq && download; } || {
  echo "fetch-promtool.sh: could not download Debian's prometheus package; the metrics tests need its promtool" >&2
  exit 1
}
dpkg -x "$cache.tmp"/prometheus_*.deb "$cache.tmp/root"
mkdir -p "$cache"
mv "$cache.tmp/root/usr/bin/promtool" "$cache/promtool"
rm -rf "$cache.tmp"
"$cache/promtool" --version >/dev/null
