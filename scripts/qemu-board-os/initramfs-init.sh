#!/bin/busybox sh
# The QEMU board's first userspace (in its initramfs): loads the kernel modules the machine
# needs (Debian's armmp kernel builds virtio, ext4 and overlay as modules), then makes the root
# the board runs from: its shared, read-only system partition (vda2) under its own state
# partition (vda3), so what the board writes (/etc/deskbox, /var/lib/deskbox) lands on vda3
# the way it would on a real board's SD card, and the system stays the same for every board.
/bin/busybox mkdir -p /proc /sys /dev /lower /state /newroot
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "deskbox-init: $*" > /dev/console; }
say "initramfs at $(cut -d' ' -f1 /proc/uptime) s (kernel $(uname -r))"
while read -r module; do insmod "/lib/modules/$module" || say "insmod $module failed"; done < /etc/modules.order

# Devices appear asynchronously after insmod; an absent disk is a broken machine, not a race.
tries=0
until [ -b /dev/vda2 ] && [ -b /dev/vda3 ]; do
  tries=$((tries + 1))
  [ "$tries" -gt 300 ] && { say "no /dev/vda2 and /dev/vda3 after 30 s"; exec sh; }
  sleep 0.1
done
mount -t ext4 -o ro /dev/vda2 /lower || { say "cannot mount the system partition"; exec sh; }
mount -t ext4 /dev/vda3 /state || { say "cannot mount the state partition"; exec sh; }
mkdir -p /state/root /state/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/state/root,workdir=/state/work /newroot \
  || { say "cannot mount the overlay root"; exec sh; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/deskbox-init
