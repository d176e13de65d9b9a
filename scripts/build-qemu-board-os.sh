#!/usr/bin/env bash
# Builds the operating system of the desk's QEMU boards once, from Debian 12 armhf packages,
# into one cache folder (default .cache/qemu-armhf, or $DESKBOX_QEMU_OS):
#   boot.ext2     the boot partition: Debian's armmp kernel, a small initramfs (busybox, the
#                 kernel modules the virt machine needs, scripts/qemu-board-os/initramfs-init.sh)
#                 and extlinux/extlinux.conf, which U-Boot's distro boot finds on virtio0
#   system.ext4   the read-only root every QEMU board shares: busybox, Debian's nodejs 18.20, crun,
#                 their libraries, and scripts/qemu-board-os/board-init.sh as /sbin/deskbox-init
#   versions      what went in (kernel release, package versions)
# Nothing on this machine changes: apt runs on a private state folder whose only architecture is
# armhf (no `dpkg --add-architecture`), packages are unpacked with dpkg -x, file systems are made
# with mke2fs -d (no root, no loop mounts). Idempotent: a finished cache for the same inputs
# (this script and scripts/qemu-board-os/) is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${DESKBOX_QEMU_OS:-$PWD/.cache/qemu-armhf}"
inputs="$(cat scripts/build-qemu-board-os.sh scripts/qemu-board-os/* | sha256sum | cut -c1-16)"
[ -f "$cache/.done-$inputs" ] && exit 0
os=scripts/qemu-board-os
work="$cache.tmp"
rm -rf "$work"; mkdir -p "$work/apt/lists/partial" "$work/apt/archives/partial" "$work/kernel" "$work/root" "$work/initramfs" "$work/boot"
touch "$work/apt/status"
apt=(-q -o APT::Architecture=armhf -o "APT::Architectures::=armhf" -o "Dir::State::Lists=$work/apt/lists"
     -o "Dir::State::status=$work/apt/status" -o "Dir::Cache=$work/apt" -o "Dir::Cache::archives=$work/apt/archives"
     -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
apt-get "${apt[@]}" update >/dev/null
# The metapackage names the current kernel; its own dependencies (initramfs-tools, kmod) are not wanted.
kernel_pkg="$(apt-cache "${apt[@]}" depends linux-image-armmp | sed -n 's/^ *Depends: \(linux-image-[0-9].*-armmp\)$/\1/p' | head -n 1)"
[ -n "$kernel_pkg" ] || { echo "no linux-image-*-armmp behind linux-image-armmp" >&2; exit 1; }
(cd "$work/apt/archives" && apt-get "${apt[@]}" download "$kernel_pkg" >/dev/null)
# nodejs (Debian's 18.20, what a real board installs) and crun, with their library closure.
apt-get "${apt[@]}" -y install --download-only --no-install-recommends nodejs crun busybox-static >/dev/null
for d in "$work"/apt/archives/*.deb; do
  case "$(basename "$d")" in linux-image-*) dpkg -x "$d" "$work/kernel" ;; *) dpkg -x "$d" "$work/root" ;; esac
  dpkg-deb -W --showformat='${Package} ${Version}\n' "$d" >> "$work/versions"
done
release="$(ls "$work/kernel/lib/modules")"

# --- the system root: one /usr (Debian 12 armhf still ships /lib and /bin parts), no docs.
root="$work/root"
for dir in bin sbin lib; do
  if [ -d "$root/$dir" ] && [ ! -L "$root/$dir" ]; then mkdir -p "$root/usr/$dir"; cp -a "$root/$dir/." "$root/usr/$dir/"; rm -rf "${root:?}/$dir"; fi
  ln -sfn "usr/$dir" "$root/$dir"
done
rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bug,bash-completion} "$root/usr/include" "$root/etc/init.d"
# busybox's applets as links, where no package put a real program.
qemu-arm-static -cpu cortex-a15 "$root/usr/bin/busybox" --list-full | while read -r applet; do
  target="$root/usr/${applet#usr/}"; [ "${applet#usr/}" = "$applet" ] && target="$root/usr/$applet"
  [ -e "$target" ] || { mkdir -p "$(dirname "$target")"; ln -s /usr/bin/busybox "$target"; }
done
mkdir -p "$root"/{proc,sys,dev,run,tmp,mnt,etc/deskbox-qemu,var/lib,root}
install -m 0755 "$os/board-init.sh" "$root/usr/sbin/deskbox-init"
install -m 0755 "$os/udhcpc.sh" "$root/etc/deskbox-qemu/udhcpc.sh"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' > "$root/etc/group"
printf '127.0.0.1 localhost\n' > "$root/etc/hosts"

# --- the initramfs: busybox, the modules (with what they depend on, from each module's
# modinfo, in load order) and its init.
modules="$work/kernel/lib/modules/$release"
declare -A loaded=()
order=()
load() {
  local name="${1//-/_}" file dep
  [ -n "${loaded[$name]:-}" ] && return 0
  file="$(find "$modules/kernel" -name "$1.ko" -o -name "${name}.ko" -o -name "${1//_/-}.ko" | head -n 1)"
  [ -n "$file" ] || { grep -q "/${name}.ko$" "$modules/modules.builtin" && return 0; echo "no module $1" >&2; exit 1; }
  loaded[$name]=1
  for dep in $(tr '\0' '\n' < "$file" | sed -n 's/^depends=//p' | tr ',' ' '); do load "$dep"; done
  order+=("${file#"$modules/"}")
}
# Block and file systems for the root; the network; overlay, veth and bridge for crun's guests.
for m in virtio_mmio virtio_blk crc32c_generic ext4 overlay virtio_net virtio_rng veth bridge; do load "$m"; done
init="$work/initramfs"
mkdir -p "$init"/{bin,etc,lib/modules}
cp "$root/usr/bin/busybox" "$init/bin/busybox"
for m in "${order[@]}"; do mkdir -p "$init/lib/modules/$(dirname "$m")"; cp "$modules/$m" "$init/lib/modules/$m"; done
printf '%s\n' "${order[@]}" > "$init/etc/modules.order"
install -m 0755 "$os/initramfs-init.sh" "$init/init"
(cd "$init" && find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null | gzip -9n) > "$work/boot/initrd.img"

# --- the two partition images.
cp "$work/kernel/boot/vmlinuz-$release" "$work/boot/vmlinuz"
mkdir -p "$work/boot/extlinux"; cp "$os/extlinux.conf" "$work/boot/extlinux/extlinux.conf"
mib() { echo $(( $(du -sm "$1" | cut -f1) * 5 / 4 + $2 )); }
mke2fs -q -F -t ext2 -L deskbox-boot -d "$work/boot" "$work/boot.ext2" "$(mib "$work/boot" 8)M" >/dev/null
mke2fs -q -F -t ext4 -L deskbox-system -O ^has_journal -d "$root" "$work/system.ext4" "$(mib "$root" 32)M" >/dev/null
printf 'kernel %s\n' "$release" >> "$work/versions"
rm -rf "$cache"; mkdir -p "$cache"
mv "$work/boot.ext2" "$work/system.ext4" "$work/versions" "$cache/"
rm -rf "$work"
touch "$cache/.done-$inputs"
