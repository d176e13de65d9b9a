#!/bin/sh
# PID 1 of the QEMU board, in place of systemd: mounts what the board's unit expects, brings up
# the network and runs the ExecStart line of the unit `board-boot.mjs install` wrote
# (/etc/systemd/system/deskbox-board.service) with that unit's restart rules: again at once on
# 75 (the agent asks for a reboot after a flash), never on 78 (halted), after 1 s otherwise.
export PATH=/usr/sbin:/usr/bin
say() { echo "deskbox-init: $*" > /dev/console; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p /dev/pts /dev/shm /run/deskbox
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
init_up="$(cut -d' ' -f1 /proc/uptime)"
hostname "$(sed -n 's/.*"board": *"\([^"]*\)".*/\1/p' /etc/deskbox/board.json | head -n 1)"
say "system at $init_up s"

# The kernel's messages would land inside the agent's console protocol from now on.
echo 1 > /proc/sys/kernel/printk
ip link set lo up
ip link set eth0 up && udhcpc -q -n -t 10 -T 1 -i eth0 -s /etc/deskbox-qemu/udhcpc.sh >/dev/null 2>&1 \
  || say "no address from DHCP on eth0"
say "network $(ip -4 -o addr show eth0 | awk '{print $4}') at $(cut -d' ' -f1 /proc/uptime) s"
# The desk's power switch: when it last switched this board on and its clock now, both on the
# desk computer's clock (QEMU forwards 10.0.2.101:80 to them): the agent reports the boot from
# power-on, U-Boot included, which nothing on the board itself can time (board/boot-timeline.ts).
desk_clock="$(nc -w 3 10.0.2.101 80 2>/dev/null | tr '\n' ' ')"
[ -n "$desk_clock" ] && export DESKBOX_HOST_CLOCK="$(cut -d' ' -f1 /proc/uptime) $desk_clock"

# QEMU's virt machine has no ina2xx sensor; a fixed reading in its hwmon layout stands in.
hwmon=/run/deskbox/hwmon
mkdir -p "$hwmon"
echo ina219 > "$hwmon/name"; echo 2500000 > "$hwmon/power1_input"; echo 5000 > "$hwmon/in1_input"; echo 500 > "$hwmon/curr1_input"

unit=/etc/systemd/system/deskbox-board.service
exec_start="$(sed -n 's/^ExecStart=//p' "$unit")"
export $(sed -n 's/^Environment=//p' "$unit")
[ -n "$exec_start" ] || { say "no ExecStart in $unit: was the board installed?"; exec sh; }
while :; do
  up="$(cut -d' ' -f1 /proc/uptime)"
  say "starting the boot program at $up s"
  # A boot program started again (a flash asked for it, or it died) is a new boot of the
  # software, not of the board: its boot starts there, as under systemd on a real board.
  if [ -z "$booted" ]; then
    export DESKBOX_BOOT_UPTIMES="kernel=0 init=$init_up boot-program=$up"
    booted=1
  else
    unset DESKBOX_HOST_CLOCK
    export DESKBOX_BOOT_UPTIMES="boot-program=$up"
  fi
  $exec_start
  code=$?
  case "$code" in
    75) say "reboot requested (exit 75)" ;;
    78) say "halted (exit 78)"; while :; do sleep 3600; done ;;
    *) say "boot program exited with $code; again in 1 s"; sleep 1 ;;
  esac
done
