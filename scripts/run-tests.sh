#!/usr/bin/env bash
# The whole suite (`npm test`): build, the persistence conformance suites, then every
# test/**/*.test.ts with uvu. The QEMU tests (a board OS under qemu-system-arm, U-Boot, Node
# under qemu-user) spend ~8 minutes emulating ARM on one core, so they run beside the unit
# tests, their output printed after; the end-to-end tests run alone afterwards, since several
# time fail-overs and lags and must not share the machine with an emulator.
set -uo pipefail
cd "$(dirname "$0")/.."

uvu() { node --import tsx node_modules/uvu/bin.js test "$1"; }
QEMU='^(e2e/(qemu-desk|uboot-qemu)|board/armv7-boot)\.test\.ts$'
UNIT='^(?!e2e/)(?!board/armv7-boot\.test\.ts$).*\.test\.ts$'
E2E='^e2e/(?!(qemu-desk|uboot-qemu)\.test\.ts$).*\.test\.ts$'

npm run build || exit 1
node --import tsx --test test/conformance/persistence.conformance.ts test/conformance/redis-persistence.conformance.ts || exit 1

qemu_log=$(mktemp)
trap 'rm -f "$qemu_log"' EXIT
uvu "$QEMU" > "$qemu_log" 2>&1 &
qemu_pid=$!
uvu "$UNIT"; unit=$?
wait "$qemu_pid"; qemu=$?
echo "== the QEMU tests, run beside the unit tests:"
cat "$qemu_log"
uvu "$E2E"; e2e=$?

echo "== unit: exit $unit; QEMU: exit $qemu; end-to-end: exit $e2e"
[ "$unit" -eq 0 ] && [ "$qemu" -eq 0 ] && [ "$e2e" -eq 0 ]
