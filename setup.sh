#!/usr/bin/env bash
# Installs everything deskbox needs on a fresh Debian/Ubuntu machine: the Debian packages
# its tests and simulated desk use, then the npm dependencies (exact, from the lockfile).
set -euo pipefail
cd "$(dirname "$0")"

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
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
npm ci --no-audit --no-fund
# armhf Node builds, busybox and Node headers for armv7 boards (cached in .cache/armhf).
./scripts/fetch-armhf.sh
./scripts/build-armv7-addons.sh
# The QEMU boards' kernel, initramfs and shared system partition (cached in .cache/qemu-armhf).
./scripts/build-qemu-board-os.sh
