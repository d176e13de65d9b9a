#!/usr/bin/env bash
# Installs everything deskbox needs on a fresh Debian/Ubuntu machine: the Debian packages
# its tests and simulated desk use, then the npm dependencies (exact, from the lockfile).
set -euo pipefail
cd "$(dirname "$0")"

packages=(crun socat mosquitto mosquitto-clients lrzsz busybox-static chromium)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
npm ci --no-audit --no-fund
