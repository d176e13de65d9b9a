/**
 * Where deskbox lives on a Debian board, as the board itself sees it. The installer writes
 * these under its `--root` (like DESTDIR), but the paths inside the files it writes (the
 * unit, the config) stay these: they are read on the board.
 */
export const BOARD_PATHS = {
  bootProgram: '/usr/lib/deskbox/board-boot.mjs',
  /** A Node runtime copied from the payload (`image build board --with-node`), when it carries one. */
  node: '/usr/lib/deskbox/node',
  config: '/etc/deskbox/board.json',
  passwordFile: '/etc/deskbox/password',
  /** Where `--ca` is copied, so the config never points at a file the user may move or delete. */
  caFile: '/etc/deskbox/ca.pem',
  unit: '/etc/systemd/system/deskbox-board.service',
  /** The A/B slots and boot environment: on flash, systemd's StateDirectory=deskbox. */
  flashDir: '/var/lib/deskbox/flash',
  imageStore: '/var/lib/deskbox/images',
  /** RAM (tmpfs), systemd's RuntimeDirectory=deskbox. */
  unpackDir: '/run/deskbox/agents',
  bootInfo: '/run/deskbox/boot-info.json',
  guestState: '/run/deskbox/guests',
} as const;

export const UNIT_NAME = 'deskbox-board';
