/**
 * The board config the installer writes: valid as it stands (loadBoardConfig reads JSON with
 * comments), every field explained where it is, so a person at the board can finish it
 * without the docs. Settings a board image may set for all its boards (periods, guest limits)
 * are shown commented out: written here they would override the image's defaults.
 */
import { BOARD_PATHS } from './board-paths.ts';

export interface ExampleConfigValues {
  desk: string;
  board: string;
  brokerUrl: string;
  username: string;
  passwordFile: string;
  caFile?: string;
  trustedKeys: string[];
  boardType: string;
  console: string;
}

export const CONSOLE_BAUD = 115200;

export function exampleConfig(c: ExampleConfigValues): string {
  const j = (x: unknown) => JSON.stringify(x);
  const ca = `${c.caFile ? '' : '// '}"caFile": ${j(c.caFile ?? BOARD_PATHS.caFile)},`;
  return `// deskbox board configuration (JSON with comments; trailing commas are fine).
// Read at every start by the boot program and the agent: after a change,
//   systemctl restart deskbox-board
{
  // Format version of this file.
  "v": 1,
  // The desk this board belongs to: its MQTT topics are deskbox/<desk>/...
  "desk": ${j(c.desk)},
  // This board's id, unique on the desk: deskbox/<desk>/...ds/<board>/status, telemetry, cmd...
  "board": ${j(c.board)},
  "broker": {
    // The desk broker: mqtt://host:1883, or mqtts://host:8883 for TLS.
    "url": ${j(c.brokerUrl)},
    // For mqtts:// when the system's CAs do not vouch for the broker's certificate: its CA (PEM).
    ${ca}
    // The broker user of this board (role board, on this desk and board id).
    "username": ${j(c.username)},
    // The password, alone in a root-only file (mode 0600) so it never shows in a process list.
    "passwordFile": ${j(c.passwordFile)}
  },
  // Names for groups of boards: \`--boards tag:rack1\` on the desk. Published in the status.
  "tags": [],
  // Set for every board by the image's defaults unless given here (defaults in brackets):
  // MQTT keepalive in seconds [10], telemetry period [2], power sampling period [1].
  // "keepaliveS": 10, "telemetryPeriodS": 2, "samplePeriodS": 1,
  "hardware": {
    // Power sensor: an INA219/INA226 on the board's supply, read through the kernel's ina2xx
    // hwmon driver. "auto" takes the first ina2xx under /sys/class/hwmon, or give its folder
    // ("/sys/class/hwmon/hwmon1"). The agent does not start without one. Bind the driver (here an
    // INA219 at address 0x40 on I2C bus 1; its shunt defaults to 10 mOhm) at every boot with
    //   echo ina219 0x40 > /sys/bus/i2c/devices/i2c-1/new_device
    // or for good in the device tree: a node compatible = "ti,ina219", reg = <0x40>,
    // shunt-resistor = <10000> (micro-ohms) under that I2C bus.
    "power": "auto",
    // GPIO: the agent drives "led" (heartbeat blink; on/off to find the board) and "power-en"
    // (on while the agent runs: the rail of the guests' peripherals). "onoff" is the kernel's
    // sysfs GPIO; gpioLines then maps each name to a kernel GPIO number (chip base + line, see
    // /sys/kernel/debug/gpio; often 512 and up on recent kernels). "sim:<dir>" keeps each line
    // in a file and drives no pin: the safe start until you know the numbers.
    "gpio": "sim:/run/deskbox/gpio",
    "gpioLines": {
      // "led": 53,
      // "power-en": 60
    },
    // Serial console for boot lines, \`deskbox console\` and flashing over the wire; "" for none.
    // /dev/ttyS0 is the first UART on BeagleBone and Allwinner boards; Raspberry Pi: /dev/ttyAMA0,
    // i.MX6: /dev/ttymxc0, RK3288: /dev/ttyS2. Stop the login prompt on it first
    // (systemctl mask serial-getty@ttyS0.service): two readers of one line garble both.
    "console": ${j(c.console)},
    // Line speed, as U-Boot and the kernel console use it.
    "consoleBaud": ${CONSOLE_BAUD}
  },
  "guests": {
    // "crun": containers (apt install crun); "process": plain processes, no isolation;
    // "auto": crun where it is installed, else processes.
    "runtime": "crun",
    // RAM (tmpfs): bundles, runtime state, readiness FIFOs. /run/deskbox survives restarts of
    // the service (RuntimeDirectoryPreserve=restart) and is emptied at a reboot.
    "stateDir": ${j(BOARD_PATHS.guestState)}
    // Limits, usually the image's defaults: "maxGuests": 1024, "maxParallel": 4,
    // "profile": "light", "stopGraceMs": 2000,
    // "restart": { "mode": "on-failure", "maxRestarts": 5, "backoffBaseMs": 1000, "backoffMaxMs": 60000 }
  },
  "images": {
    // The content-addressed store of guest images, on flash.
    "storeDir": ${j(BOARD_PATHS.imageStore)},
    // Keys whose signatures this board accepts, for board images (its slots) and guest images:
    // the desk's .desk/keys/desk.pub. Images signed by any other key are refused.
    "trustedKeys": ${j(c.trustedKeys)},
    // Board images must name this board type (their manifest's board.type).
    "boardType": ${j(c.boardType)}
    // "arch": "armv7",  the CPU guest images must be built for; default: the agent's own.
  },
  // The boot program unpacks the booted slot's image here (RAM), once per image.
  "boot": { "unpackDir": ${j(BOARD_PATHS.unpackDir)} },
  // Where the boot program tells the agent which slot and image it booted.
  "bootInfo": ${j(BOARD_PATHS.bootInfo)},
  "flash": {
    // The A/B slots (slot-a.dbi, slot-b.dbi) and the boot environment (bootenv.json), on flash.
    "dir": ${j(BOARD_PATHS.flashDir)},
    // A freshly flashed slot must be online and ready within this many seconds, or the board
    // restarts; after 3 unconfirmed boots it goes back to the slot it ran before.
    "confirmTimeoutS": 120
  },
  // Serving pushed files to peer boards (deskbox push) needs the board's LAN address:
  // "push": { "listenHost": "0.0.0.0", "advertiseHost": "192.168.1.57", "idleS": 600 }
}
`;
}
