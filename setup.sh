#!/usr/bin/env bash
# Installs everything deskbox needs on a fresh Debian/Ubuntu machine: the Debian packages
# its tests and simulated desk use, then the npm dependencies (exact, from the lockfile).
set -euo pipefail
cd "$(dirname "$0")"

# The desk computer's floor is package.json's engines (Node 20); Debian 12's nodejs is 18 and
# Ubuntu 22.04's is 12, so say so now rather than fail somewhere in npm ci or the build.
node_floor=20
if ! command -v node >/dev/null 2>&1 || ! node -e "process.exit(Number(process.versions.node.split('.')[0]) >= $node_floor ? 0 : 1)"; then
  echo "setup.sh: deskbox needs Node.js $node_floor or newer on this computer (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "  Debian 13 and Ubuntu 24.04: apt-get install nodejs npm; older releases: Node's own packages (https://nodejs.org/en/download)." >&2
  exit 1
fi

# qemu-*, u-boot-qemu and the cross compiler: armv7 boards tried on this x86_64 machine (docs/real-board.md);
# systemd for systemd-analyze, which checks the board's unit file; openssl issues the desk's TLS
# certificates (docs/tls.md); e2fsprogs (mke2fs -d) builds the QEMU boards' disks without root
# or loop devices; iproute2 (ip, bridge, tc) makes guest networks and the simulated desk LAN
# (docs/networks.md); g++, make and python3 for node-gyp, which builds node-pty (the desk's pty
# host) and onoff's epoll. redis-server: the shared store of a broker cluster (`deskbox broker
# --cluster`, `desk up --broker-nodes`); deskbox and its tests start their own on a free port (the
# package's system service, where systemd runs it, is not used).
packages=(crun socat mosquitto mosquitto-clients lrzsz busybox-static chromium openssl iproute2
          qemu-user-static qemu-system-arm u-boot-qemu g++-arm-linux-gnueabihf systemd e2fsprogs
          g++ make python3 redis-server)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# The missing packages but one.
without() { local drop=$1 p; shift; for p in "$@"; do [ "$p" = "$drop" ] || printf '%s ' "$p"; done; }
# A Chromium already on the PATH under another name will do (test/support/chromium.ts finds it).
for b in chromium-browser google-chrome-stable google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then read -r -a missing <<< "$(without chromium "${missing[@]}")"; break; fi
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "setup.sh: these Debian packages are missing, and installing them needs root (no sudo here). As root, run:" >&2
      echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
      echo "then run ./setup.sh again." >&2
      exit 1
    fi
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  # Ubuntu has Chromium only as a snap: no apt package to install.
  # Read whole before matching: grep -q stopping early would fail apt-cache with SIGPIPE, and pipefail the test.
  if [[ " ${missing[*]} " == *" chromium "* ]] && [[ "$(apt-cache policy chromium 2>/dev/null)" != *"Candidate: "[!\(]* ]]; then
    read -r -a missing <<< "$(without chromium "${missing[@]}")"
    echo "setup.sh: no chromium package here (Ubuntu ships it as a snap: sudo snap install chromium). The dashboard tests need it, or CHROMIUM=/path/to/chrome." >&2
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi
npm ci --no-audit --no-fund
# Prometheus' promtool for the metrics tests, out of Debian's package (cached in .cache/promtool).
./scripts/fetch-promtool.sh
# armhf Node builds, busybox and Node headers for armv7 boards (cached in .cache/armhf).
./scripts/fetch-armhf.sh
./scripts/build-armv7-addons.sh
# The QEMU boards' kernel, initramfs and shared system partition (cached in .cache/qemu-armhf).
./scripts/build-qemu-board-os.sh
