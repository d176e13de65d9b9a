#!/bin/sh
# udhcpc's hook: applies the lease QEMU's user-mode network hands out (10.0.2.15/24 via 10.0.2.2).
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    for r in $router; do ip route add default via "$r" dev "$interface"; break; done
    ;;
  deconfig) ip addr flush dev "$interface" ;;
esac
