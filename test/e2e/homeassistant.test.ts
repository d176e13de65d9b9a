/**
 * docs/homeassistant.md's tested configuration: its MQTT broker settings, read from the page,
 * used to connect to a simulated desk made with `--home-assistant` exactly as Home Assistant
 * would (TLS with the desk's CA, the homeassistant user, MQTT 3.1.1, its birth and will). Then,
 * as Home Assistant does: every discovery config, checked against HA's discovery rules; the
 * identify button (the board's simulated LED blinks fast, and goes back to its heartbeat); the
 * reboot button (the board goes offline, its telemetry goes, and it comes back with a new
 * boot); a publish its user may not make, refused with the connection, and its will heard.
 *   npm run build && node --import tsx node_modules/uvu/bin.js test '^e2e/homeassistant'
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { parse as parseYaml } from 'yaml';
import { Desk } from '../support/desk.ts';
import { processesMentioning } from '../support/deskbox.ts';
import { waitFor } from '../support/wait.ts';
import { discoveryProblems } from '../support/ha-discovery-rules.ts';

const DOC = new URL('../../docs/homeassistant.md', import.meta.url);
const BOARDS = ['b01', 'b02'];

let desk: Desk;
const clients: MqttClient[] = [];

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-ha-');
});

test.after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await desk.close();
});

interface Message { topic: string; payload: string; qos: number; retain: boolean }
interface HaSettings {
  broker: string; port: number; username: string; password: string; certificate: string;
  protocol: string; transport: string; keepalive: number; discovery: boolean; discovery_prefix: string;
  birth_message: Message; will_message: Message;
}

/** The page's first YAML block: the settings a person types into Home Assistant. */
async function documentedSettings(): Promise<HaSettings> {
  const block = /```yaml\n([\s\S]*?)```/.exec(await readFile(DOC, 'utf8'))?.[1];
  assert.ok(block, 'docs/homeassistant.md has a yaml block');
  const settings = parseYaml(block) as HaSettings;
  // Every setting is one this test uses: a new one on the page must be used here too.
  assert.equal(Object.keys(settings).sort(), ['birth_message', 'broker', 'certificate', 'discovery', 'discovery_prefix', 'keepalive', 'password', 'port', 'protocol', 'transport', 'username', 'will_message']);
  return settings;
}

type Config = Record<string, unknown> & { device: { identifiers: string[]; name: string } };

test('Home Assistant, configured as docs/homeassistant.md says: discovery, identify, reboot, refusals', () => desk.withLogs(async () => {
  const up = await desk.up({ boards: BOARDS.length, boardsPerProcess: 1, telemetryPeriod: 1, args: ['--home-assistant'] });
  const doc = await documentedSettings();
  assert.ok(up.broker.mqtts, 'the desk listens on TLS');
  // The page's placeholders, filled in for this desk: its address, TLS port, state folder, the password's file.
  const settings = {
    ...doc,
    broker: doc.broker === 'desk-pc' ? new URL(up.broker.mqtts!).hostname : doc.broker,
    port: doc.port === 8883 ? Number(new URL(up.broker.mqtts!).port) : doc.port,
    password: (await readFile(doc.password.replace('<state>', desk.state), 'utf8')).trim(),
    certificate: doc.certificate.replace('<state>', desk.state),
  };
  assert.equal([settings.protocol, settings.transport, settings.discovery], ['3.1.1', 'tcp', true]);
  assert.is(settings.certificate, up.broker.caFile, 'the CA the page names is the desk\'s');

  // Something else listening for Home Assistant's will (not retained by default: it must be there first).
  const monitor = await mqtt.connectAsync(up.broker.mqtts!, { ca: await readFile(up.broker.caFile), username: up.monitor.user, password: up.monitor.password, protocolVersion: 4, reconnectPeriod: 0 });
  clients.push(monitor);
  const haStatus: string[] = [];
  monitor.on('message', (topic, payload) => { if (topic === doc.will_message.topic) haStatus.push(payload.toString()); });
  await monitor.subscribeAsync(doc.will_message.topic, { qos: 1 });

  const will = settings.will_message;
  const ha = await mqtt.connectAsync(`mqtts://${settings.broker}:${settings.port}`, {
    ca: await readFile(settings.certificate), username: settings.username, password: settings.password,
    protocolVersion: 4, keepalive: settings.keepalive, clean: true, reconnectPeriod: 0,
    will: { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos as 0 | 1 | 2, retain: will.retain },
  });
  clients.push(ha);
  const birth = settings.birth_message;
  await ha.publishAsync(birth.topic, birth.payload, { qos: birth.qos as 0 | 1 | 2, retain: birth.retain });
  await waitFor(() => haStatus.includes('online'), { timeoutMs: 5000, what: 'Home Assistant\'s birth' });

  const configs = new Map<string, { payload: string; config: Config }>();
  const heard: { topic: string; payload: string; at: number }[] = [];
  ha.on('message', (topic, payload) => {
    const text = payload.toString();
    if (topic.startsWith(`${settings.discovery_prefix}/`) && topic.endsWith('/config')) {
      if (text.length > 0) configs.set(topic, { payload: text, config: JSON.parse(text) as Config });
    } else {
      heard.push({ topic, payload: text, at: Date.now() });
    }
  });
  // Home Assistant's discovery subscriptions: with and without a node id.
  await ha.subscribeAsync([`${settings.discovery_prefix}/+/+/config`, `${settings.discovery_prefix}/+/+/+/config`], { qos: 1 });
  await waitFor(() => configs.size === BOARDS.length * 7 + 3, { timeoutMs: 20_000, what: () => `seven configs per board and three for the desk, got ${configs.size}` });
  assert.equal([...configs].flatMap(([topic, c]) => discoveryProblems(topic, c.payload)), [], 'every config as HA takes it');

  // What HA subscribes to for its entities: their state, availability and attribute topics.
  const entityTopics = new Set([...configs.values()].flatMap(({ config }) =>
    ['state_topic', 'availability_topic', 'json_attributes_topic'].map((k) => config[k]).filter((t): t is string => typeof t === 'string')));
  await ha.subscribeAsync([...entityTopics, `deskbox/${up.desk}/boards/+/reply`], { qos: 0 });
  const button = (board: string, object: string) => {
    const found = [...configs.values()].find(({ config }) => config.unique_id === `${config.device.identifiers[0]}-${object}` && config.device.name === `${up.desk} ${board}`);
    assert.ok(found, `${board}'s ${object} button`);
    return found.config as Config & { command_topic: string; payload_press: string; qos: 0 | 1 | 2; retain: boolean; availability_topic: string };
  };
  const latest = (topic: string) => heard.filter((m) => m.topic === topic).at(-1)?.payload;
  const identify = button('b01', 'identify');
  await waitFor(() => latest(identify.availability_topic) === 'online', { timeoutMs: 10_000, what: 'b01\'s buttons available' });

  // Identify: the board's LED (a file-backed GPIO line on the simulated desk) toggles fast.
  const led = join(desk.state, 'boards', 'b01', 'hw', 'gpio', 'led');
  const toggles: number[] = [];
  let level = '';
  const fastBlinks = async () => {
    const now = (await readFile(led, 'utf8')).trim();
    if (now !== level) { level = now; toggles.push(Date.now()); }
    // The heartbeat toggles once a second: six toggles within 1.5 s are the identify blink.
    return toggles.length >= 6 && toggles.at(-1)! - toggles.at(-6)! < 1500;
  };
  const pressedAt = Date.now();
  await ha.publishAsync(identify.command_topic, identify.payload_press, { qos: identify.qos, retain: identify.retain });
  await waitFor(fastBlinks, { timeoutMs: 8000, pollMs: 20, what: () => `b01's LED blinking fast, toggles at ${toggles.map((t) => t - pressedAt).join(', ')} ms` });
  const identified = () => heard.find((m) => m.topic === `deskbox/${up.desk}/boards/b01/reply` && m.at >= pressedAt && /"id":"press-/.test(m.payload));
  await waitFor(identified, { timeoutMs: 5000, what: 'b01\'s reply to the press' });
  assert.equal((JSON.parse(identified()!.payload) as { result: unknown }).result, { seconds: 10, restores: 'heartbeat' });

  // Reboot: b02 goes offline (its telemetry cleared with it) and comes back with a new boot.
  const reboot = button('b02', 'reboot');
  const status = `deskbox/${up.desk}/boards/b02/status`;
  const telemetry = `deskbox/${up.desk}/boards/b02/telemetry`;
  const bootedAt = () => (JSON.parse(latest(status) ?? '{}') as { bootedAt?: number }).bootedAt;
  await waitFor(() => bootedAt() !== undefined && latest(telemetry), { timeoutMs: 10_000, what: 'b02 online with telemetry' });
  const firstBoot = bootedAt()!;
  const rebootAt = Date.now();
  await ha.publishAsync(reboot.command_topic, reboot.payload_press, { qos: reboot.qos, retain: reboot.retain });
  await waitFor(() => heard.some((m) => m.topic === reboot.availability_topic && m.payload === 'offline' && m.at >= rebootAt), { timeoutMs: 10_000, what: 'b02 offline' });
  await waitFor(() => heard.some((m) => m.topic === telemetry && m.payload === '' && m.at >= rebootAt), { timeoutMs: 5000, what: 'b02\'s telemetry cleared' });
  await waitFor(() => latest(reboot.availability_topic) === 'online' && (bootedAt() ?? 0) > firstBoot, { timeoutMs: 30_000, what: 'b02 back online with a new boot' });
  await waitFor(() => (latest(telemetry) ?? '').length > 0, { timeoutMs: 10_000, what: 'b02\'s telemetry again' });

  // What its user may not do: a command on a board's cmd (monitor-level rights elsewhere). The
  // broker drops the connection; Home Assistant's will says so.
  void ha.publishAsync(`deskbox/${up.desk}/boards/b01/cmd`, JSON.stringify({ v: 1, id: 'ha-1', op: 'reboot' }), { qos: 1 }).catch(() => undefined);
  await waitFor(() => !ha.connected, { timeoutMs: 5000, what: 'the homeassistant user dropped for a command' });
  await waitFor(() => haStatus.at(-1) === 'offline', { timeoutMs: 5000, what: 'Home Assistant\'s will' });
  const denied = new RegExp(`publish denied[^\\n]*deskbox/${up.desk}/boards/b01/cmd`);
  await waitFor(async () => denied.test(await readFile(join(desk.state, 'logs', 'broker.log'), 'utf8').catch(() => '')), { timeoutMs: 5000, what: 'the denial in the broker\'s log' });
  // b01 never got that reboot: it is still on its first boot.
  assert.not.ok(heard.some((m) => m.topic === `deskbox/${up.desk}/boards/b01/availability` && m.payload === 'offline'), 'b01 stayed up');

  await desk.down();
  assert.equal(await processesMentioning(desk.state), []);
}));

test.run();
