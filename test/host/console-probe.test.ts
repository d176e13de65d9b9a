import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { simSerialBinding } from '../../board/hal/serial/sim.ts';
import { manualClock, systemClock } from '../../platform/clock.ts';
import type { SerialLink } from '../../platform/hal/serial.ts';
import { BUILTIN_PROFILES, promptPattern } from '../../host/flash/uboot-profile.ts';
import { probeConsole, type ProbeOptions } from '../../host/real-desk/console-probe.ts';
import { discoverConsoles } from '../../host/real-desk/discover.ts';
import type { PowerOutlet } from '../../host/power/outlet.ts';

const sim = BUILTIN_PROFILES.sim!;
const options = (timeoutMs = 1500): ProbeOptions => ({ prompt: promptPattern(sim), autoboot: sim.autobootPrompt, timeoutMs, clock: systemClock(), retryMs: 200 });

/** A console pair; `board` answers what the host end writes. */
async function pair(board: (line: string, link: SerialLink) => void) {
  const serial = simSerialBinding();
  serial.createPair('host', 'board');
  const [host, far] = [await serial.open('host', { baudRate: 115200 }), await serial.open('board', { baudRate: 115200 })];
  let pending = '';
  far.onData((c) => {
    pending += c.toString();
    let cut;
    while ((cut = pending.indexOf('\r')) >= 0) {
      board(pending.slice(0, cut), far);
      pending = pending.slice(cut + 1);
    }
  });
  return { host, far, close: async () => { await host.close(); await far.close(); } };
}

test('probe: the agent answers `status` with its board; U-Boot with its prompt; a stranger and silence are told apart', async () => {
  const agent = await pair((line, far) => { if (line === 'status') void far.write('{"v":1,"state":"online","board":"b07","version":"0.1.0"}\r\n'); });
  assert.equal(await probeConsole(agent.host, options()), { kind: 'agent', board: 'b07', version: '0.1.0' });
  await agent.close();

  const uboot = await pair((line, far) => { void far.write(`${line}\r\nUnknown command '${line}' - try 'help'\r\n=> `); });
  assert.equal(await probeConsole(uboot.host, options()), { kind: 'uboot' });
  await uboot.close();

  const login = await pair((_line, far) => { void far.write('\r\nDebian GNU/Linux 12 board ttyS0\r\n\r\nboard login: '); });
  assert.equal(await probeConsole(login.host, options(800)), { kind: 'other', lastLine: 'board login:' });
  await login.close();

  const silent = await pair(() => undefined);
  assert.equal(await probeConsole(silent.host, options(600)), { kind: 'none' });
  await silent.close();
});

test('probe: a U-Boot counting down gets no key (it would stop the boot); it is asked once the countdown is over', async () => {
  const sent: string[] = [];
  let counting = true;
  const uboot = await pair((line, far) => { sent.push(line); if (!counting) void far.write(`${line}\r\nUnknown command\r\n=> `); });
  await uboot.far.write('U-Boot 2024.01\r\nHit any key to stop autoboot:  2 ');
  const clock = manualClock();
  const settle = () => new Promise((r) => setImmediate(r));
  await settle();
  const answer = probeConsole(uboot.host, { ...options(3000), clock });
  for (let i = 0; i < 5; i++) { clock.advance(200); await settle(); }
  assert.equal(sent, [], 'nothing sent for a second of countdown');
  counting = false;
  await uboot.far.write('\b\b\b 0 \r\n=> ');
  await settle();
  clock.advance(200);
  assert.equal(await answer, { kind: 'uboot' });
  await uboot.close();
});

test('discover: each outlet switched on alone shows which console boots; nothing or two consoles is a problem that maps nothing', async () => {
  const serial = simSerialBinding();
  const ports = ['usb-1', 'usb-2', 'usb-3', 'usb-4'];
  const adapters = ports.map((p) => { serial.createPair(`/dev/serial/by-path/${p}`, `${p}.board`); return { device: `/dev/${p}`, byPath: `/dev/serial/by-path/${p}` }; });
  const boardEnds = await Promise.all(ports.map((p) => serial.open(`${p}.board`, { baudRate: 115200 })));
  const log: string[] = [];
  // b01 is wired to usb-3, b02 to usb-1; b03's outlet powers nothing; b04's two boards (usb-2, usb-4);
  // b05's powers usb-1 again (b02's, taken: a reboot there says nothing of b05) and usb-2.
  const outlet = (name: string, ends: SerialLink[]): PowerOutlet => ({
    description: `test ${name}`,
    async on() { log.push(`${name} on`); for (const e of ends) void e.write('\r\nU-Boot 2024.01-test\r\n'); },
    async off() { log.push(`${name} off`); },
    async cycle() { await this.off(); await this.on(); },
    async state() { return 'unknown'; },
    async close() {},
  });
  const result = await discoverConsoles(adapters, [['b01', outlet('b01', [boardEnds[2]!])], ['b02', outlet('b02', [boardEnds[0]!])], ['b03', outlet('b03', [])], ['b04', outlet('b04', [boardEnds[1]!, boardEnds[3]!])], ['b05', outlet('b05', [boardEnds[0]!, boardEnds[1]!])]], {
    openSerial: (path, baud) => serial.open(path, { baudRate: baud }), baud: 115200, clock: systemClock(), banner: /U-Boot \d{4}\.\d{2}/,
    bootTimeoutMs: 500, graceMs: 100, offSettleMs: 10, say: () => undefined,
  });
  assert.equal(Object.fromEntries(Object.entries(result.found).map(([b, a]) => [b, a.byPath])), { b01: '/dev/serial/by-path/usb-3', b02: '/dev/serial/by-path/usb-1', b05: '/dev/serial/by-path/usb-2' });
  assert.equal(log.slice(0, 5), ['b01 off', 'b02 off', 'b03 off', 'b04 off', 'b05 off'], 'every outlet off first');
  assert.is(result.problems.length, 2, result.problems.join('\n'));
  assert.match(result.problems[0]!, /b03: no console showed a boot within 0.5 s of switching on test b03/);
  assert.match(result.problems[1]!, /b04: 2 consoles showed a boot .*usb-2, .*usb-4\): several boards on one outlet/);
  await Promise.all(boardEnds.map((e) => e.close()));
});

test.run();
