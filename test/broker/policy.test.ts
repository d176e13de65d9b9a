/**
 * Every role x topic case of the pure policy, as tables: one row per topic or filter, one
 * expected outcome per role. Board principal: board b01 on desk d1.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  authorizeClientId,
  authorizeOrphanWill,
  authorizePublish,
  authorizeSubscribe,
  type Decision,
  type Principal,
} from '../../broker/policy.ts';

const board: Principal = { role: 'board', username: 'b01', desk: 'd1', board: 'b01' };
const host: Principal = { role: 'host', username: 'host' };
const monitor: Principal = { role: 'monitor', username: 'monitor' };
const outlet: Principal = { role: 'outlet', username: 'relay-rack1' };

type Row = [topic: string, board: boolean, host: boolean, monitor: boolean, outlet: boolean, why: string];

const publishTable: Row[] = [
  ['deskbox/d1/boards/b01/status', true, true, false, false, 'own status'],
  ['deskbox/d1/boards/b01/telemetry', true, true, false, false, 'own telemetry'],
  ['deskbox/d1/boards/b01/events', true, true, false, false, 'own events'],
  ['deskbox/d1/boards/b01/reply', true, true, false, false, 'own reply'],
  ['deskbox/d1/boards/b01/cmd', false, true, false, false, 'commands go to a board, not from it'],
  ['deskbox/d1/boards/b01/other', false, true, false, false, 'not a board channel'],
  ['deskbox/d1/boards/b01/status/x', false, true, false, false, 'below a channel'],
  ['deskbox/d1/boards/b01', false, true, false, false, 'the board node itself'],
  ['deskbox/d1/boards/b02/status', false, true, false, false, "another board's status"],
  ['deskbox/d1/boards/b02/telemetry', false, true, false, false, "another board's telemetry"],
  ['deskbox/d1/boards/b02/reply', false, true, false, false, "another board's reply"],
  ['deskbox/d2/boards/b01/status', false, true, false, false, 'same board id on another desk'],
  ['deskbox/d1/host/progress', false, true, false, false, 'desk-level host topic'],
  ['deskbox/x', false, true, false, false, 'anything under deskbox/'],
  ['deskbox', false, false, false, false, 'the root itself is not under it'],
  ['other/d1/boards/b01/status', false, false, false, true, 'outside the tree'],
  ['homeassistant/sensor/deskbox-d1-b01/power/config', false, true, false, false, 'a Home Assistant discovery config'],
  ['homeassistant/sensor/deskbox-d1-b01/config', false, true, false, false, 'a discovery config without node id'],
  ['homeassistant/status', false, false, false, false, "Home Assistant's own birth topic"],
  ['homeassistant/sensor/deskbox-d1-b01/power/state', false, false, false, false, 'not a discovery config'],
  ['homeassistant/sensor/config', false, false, false, false, 'a config topic without object id'],
  ['homeassistant/a/b/c/d/config', false, false, false, false, 'deeper than a discovery topic'],
  ['homeassistant', false, false, false, false, 'the discovery prefix itself'],
  ['$SYS/deskbox/broker/stats', false, false, false, false, "the broker's statistics"],
  ['$SYS/x', false, false, false, false, '$SYS'],
  ['$share/g/deskbox/d1/x', false, false, false, false, 'any $-topic'],
  ['deskbox/d1/boards/+/status', false, false, false, false, 'wildcard + in a publish'],
  ['deskbox/d1/boards/b01/#', false, false, false, false, 'wildcard # in a publish'],
  ['deskbox/#', false, false, false, false, 'wildcard # in a host publish'],
  ['#', false, false, false, false, 'bare #'],
  ['', false, false, false, false, 'empty topic'],
  ['deskbox/d1/\u0000', false, false, false, false, 'NUL in topic'],
  // Power outlets (host/power/): Tasmota and Shelly speak in their own trees.
  ['cmnd/relay-rack1/POWER2', false, true, false, true, 'a Tasmota command'],
  ['cmnd/relay-rack1', false, false, false, true, 'not a Tasmota command topic (two levels)'],
  ['cmnd/a/b/c', false, false, false, true, 'deeper than a Tasmota command'],
  ['shellyplus1pm-a8032ab12345/command/switch:0', false, true, false, true, 'a Shelly Gen2 switch command'],
  ['stat/relay-rack1/RESULT', false, false, false, true, "a Tasmota's answer"],
  ['stat/relay-rack1/POWER2', false, false, false, true, "a Tasmota's relay state"],
  ['tele/relay-rack1/LWT', false, false, false, true, "a Tasmota's last will"],
  ['shellyplus1pm-a8032ab12345/status/switch:0', false, false, false, true, "a Shelly's status"],
  ['shellyplus1pm-a8032ab12345/online', false, false, false, true, "a Shelly's availability"],
  ['deskbox/command/x', false, true, false, false, 'the desk tree is not an outlet command'],
  ['homeassistant/command/x', false, false, false, false, "Home Assistant's tree is not an outlet command"],
  ['homeassistant/sensor/x/y/config', false, true, false, false, 'outlets do not publish discovery'],
];

const subscribeTable: Row[] = [
  ['deskbox/d1/boards/b01/cmd', true, true, true, false, 'own cmd'],
  ['deskbox/d1/boards/b01/#', true, true, true, false, 'own subtree'],
  ['deskbox/d1/boards/b01/+', true, true, true, false, 'own channels'],
  ['deskbox/d1/boards/b01', true, true, true, false, 'own node'],
  ['deskbox/d1/boards/b01/status', true, true, true, false, 'own status'],
  ['deskbox/d1/boards/b02/cmd', false, true, true, false, "another board's cmd"],
  ['deskbox/d1/boards/+/cmd', false, true, true, false, "every board's cmd"],
  ['deskbox/d1/boards/#', false, true, true, false, 'all boards of the desk'],
  ['deskbox/d1/boards', false, true, true, false, 'the boards node'],
  ['deskbox/d1/+/b01/cmd', false, true, true, false, '+ above the board level'],
  ['deskbox/+/boards/b01/cmd', false, true, true, false, 'any desk'],
  ['deskbox/d2/boards/b01/cmd', false, true, true, false, 'same board id on another desk'],
  ['deskbox/#', false, true, true, false, 'whole tree'],
  ['deskbox/+', false, true, true, false, 'one level under deskbox'],
  ['deskbox', false, false, false, false, 'the root itself is not under it'],
  ['#', false, false, false, false, 'everything'],
  ['+/d1/boards/b01/cmd', false, false, false, false, '+ at the root can match outside the tree'],
  ['other/#', false, false, false, true, 'outside the tree'],
  ['homeassistant/#', false, true, true, false, 'Home Assistant discovery configs'],
  ['homeassistant/sensor/+/+/config', false, true, true, false, 'discovery configs of sensors'],
  ['homeassistant', false, false, false, false, 'the discovery prefix itself'],
  ['$SYS/#', false, true, true, false, 'broker statistics (aedes\' own $SYS topics are withheld at delivery)'],
  ['$SYS/deskbox/broker/stats', false, true, true, false, 'one statistic'],
  ['$SYS/deskbox/#', false, true, true, false, 'the desk\'s statistics'],
  ['$SYS/+/broker/stats', false, true, true, false, 'a wildcard where deskbox goes'],
  ['$SYS/6c1f3a0e-5b2d-4e8a-9f1c-2d3e4f5a6b7c/new/subscribes', false, false, false, false, 'aedes\' own $SYS topics: client ids and subscriptions'],
  ['$SYS/6c1f3a0e-5b2d-4e8a-9f1c-2d3e4f5a6b7c/#', false, false, false, false, 'everything aedes publishes about itself'],
  ['$SYS', false, false, false, false, 'the $SYS root itself'],
  ['$share/g/deskbox/#', false, false, false, false, 'shared subscriptions are not offered'],
  ['deskbox/d1/boards/b01#', false, false, false, false, '# inside a level'],
  ['deskbox/d1/boards/b01/#/x', false, false, false, false, '# not last'],
  ['deskbox/d1/boards/b01/a+', false, false, false, false, '+ inside a level'],
  ['', false, false, false, false, 'empty filter'],
  ['deskbox/d1/boards/b01/\u0000', false, false, false, false, 'NUL in filter'],
  // Power outlets (host/power/).
  ['stat/#', false, true, true, true, 'every Tasmota answer'],
  ['stat/relay-rack1/RESULT', false, true, true, true, "one Tasmota's answers"],
  ['tele/+/LWT', false, true, true, true, "Tasmotas' last wills"],
  ['stat', false, false, false, true, 'the stat level itself'],
  ['+/status/#', false, true, true, false, 'every Shelly status (a + first level cannot match $-topics)'],
  ['shellyplus1pm-a8032ab12345/status/switch:0', false, true, true, true, "one Shelly switch's status"],
  ['+/online', false, true, true, false, "Shellies' availability"],
  ['shellyplus1pm-a8032ab12345/online', false, true, true, true, "one Shelly's availability"],
  ['+/status', false, false, false, false, 'a status level with nothing below'],
  ['cmnd/relay-rack1/POWER1', false, false, false, true, 'commands are the outlet\'s to read'],
  ['shellyplus1pm-a8032ab12345/command/switch:0', false, false, false, true, "a Shelly reads its commands"],
  ['shellyplus1pm-a8032ab12345/#', false, false, false, true, "a Shelly's whole tree"],
  ['+/command/+', false, false, false, false, 'a + first level could reach the desk tree'],
  ['#/status', false, false, false, false, '# not last'],
  ['$SYS/status/#', false, false, false, false, 'outlet status rules never reach $-topics'],
  ['$SYS/deskbox/#', false, true, true, false, 'outlets do not read broker statistics'],
  ['deskbox/d1/#', false, true, true, false, 'outlets do not read the desk tree'],
  ['homeassistant/#', false, true, true, false, 'outlets do not read Home Assistant discovery'],
];

function check(kind: string, decide: (p: Principal, t: string) => Decision, rows: Row[]): void {
  for (const [topic, ...rest] of rows) {
    const why = rest[4];
    const expected: [Principal, boolean][] = [[board, rest[0]], [host, rest[1]], [monitor, rest[2]], [outlet, rest[3]]];
    for (const [principal, allow] of expected) {
      const decision = decide(principal, topic);
      assert.is(decision.allow, allow, `${kind} ${principal.role} ${JSON.stringify(topic)} (${why})`);
      if (!decision.allow) assert.ok(decision.reason.length > 0, `a denial says why: ${JSON.stringify(topic)}`);
    }
  }
}

test('publish: every role x topic', () => check('publish', authorizePublish, publishTable));

test('subscribe: every role x filter', () => check('subscribe', authorizeSubscribe, subscribeTable));

// Home Assistant's own user: reads what the monitor reads, and publishes its birth and will only.
const homeAssistant: Principal = { role: 'homeassistant', username: 'homeassistant' };

test('homeassistant: every topic of the tables; only its own status is its to publish', () => {
  for (const [topic] of publishTable) {
    assert.is(authorizePublish(homeAssistant, topic).allow, topic === 'homeassistant/status', `publish ${JSON.stringify(topic)}`);
  }
  assert.match((authorizePublish(homeAssistant, 'homeassistant/sensor/x/y/config') as { reason: string }).reason, /only its status, homeassistant\/status/);
  for (const [filter] of subscribeTable) {
    assert.is(authorizeSubscribe(homeAssistant, filter).allow, authorizeSubscribe(monitor, filter).allow, `subscribe ${JSON.stringify(filter)}: as the monitor`);
  }
});

// A press is judged by its payload: Home Assistant's buttons may ask for reboot and identify, nothing else, never retained.
test('presses: homeassistant presses reboot and identify only, live; host may press; boards, monitor and outlets may not', () => {
  const press = 'deskbox/d1/boards/b01/press';
  const live = (payload: string) => ({ payload: new TextEncoder().encode(payload), retain: false });
  const table: [Principal, string, { payload: Uint8Array | string; retain: boolean } | undefined, boolean, string][] = [
    [homeAssistant, press, live('reboot'), true, 'the reboot button'],
    [homeAssistant, press, live('identify'), true, 'the identify button'],
    [homeAssistant, 'deskbox/d1/boards/b02/press', { payload: 'identify', retain: false }, true, 'any board of any desk'],
    [homeAssistant, press, live('PRESS'), false, "HA's default payload_press"],
    [homeAssistant, press, live('exec'), false, 'another op'],
    [homeAssistant, press, live('reboot\n'), false, 'a word with something around it'],
    [homeAssistant, press, live('{"v":1,"id":"x","op":"reboot"}'), false, 'a command, not a word'],
    [homeAssistant, press, live(''), false, 'empty'],
    [homeAssistant, press, { payload: 'reboot', retain: true }, false, 'a retained press would outlive it'],
    [homeAssistant, press, undefined, false, 'as a last will (no payload to judge)'],
    [homeAssistant, 'deskbox/d1/boards/b01/cmd', live('{"v":1,"id":"x","op":"reboot"}'), false, 'commands are the host\'s'],
    [homeAssistant, 'deskbox/d1/boards/b01/cmd', live('reboot'), false, 'not on cmd either'],
    [homeAssistant, 'deskbox/d1/boards/b01/press/x', live('reboot'), false, 'below a press topic'],
    [homeAssistant, 'deskbox/d1/boards/b01/status', live('{"v":1,"state":"offline","board":"b01","reason":"shutdown"}'), false, 'a board\'s status'],
    [homeAssistant, 'deskbox/d1/health/b01/set', live('{"action":"retire"}'), false, 'a health decision'],
    [homeAssistant, 'homeassistant/button/x/reboot/config', live('{}'), false, 'discovery is the host\'s'],
    [homeAssistant, 'homeassistant/status', live('online'), true, 'its birth'],
    [host, press, live('reboot'), true, 'the host may press too'],
    [host, press, { payload: 'reboot', retain: true }, false, 'nobody retains a press'],
    [monitor, press, live('identify'), false, 'the monitor publishes nothing'],
    [board, press, live('identify'), false, 'a board does not press its own buttons'],
    [outlet, press, live('identify'), false, 'outlets stay outside the desk'],
  ];
  for (const [principal, topic, message, allow, why] of table) {
    const decision = authorizePublish(principal, topic, message);
    assert.is(decision.allow, allow, `${principal.role} ${topic} (${why})`);
    if (!decision.allow) assert.ok(decision.reason.length > 0);
  }
  const word = authorizePublish(homeAssistant, press, live('exec'));
  assert.ok(!word.allow && /one of reboot, identify/.test(word.reason), 'the refusal names the words');
});

test('a denial names the rule that was broken', () => {
  const d = authorizePublish(board, 'deskbox/d1/boards/b02/status');
  assert.is(d.allow, false);
  if (!d.allow) assert.match(d.reason, 'deskbox/d1/boards/b01/{status,telemetry,events,health,reply}');
  const m = authorizePublish(monitor, 'deskbox/d1/x');
  if (!m.allow) assert.match(m.reason, 'publishes nothing');
  const s = authorizeSubscribe(board, 'deskbox/d1/boards/+/cmd');
  if (!s.allow) assert.match(s.reason, 'inside deskbox/d1/boards/b01/');
  const o = authorizePublish(outlet, 'deskbox/d1/x');
  assert.is(o.allow, false);
  if (!o.allow) assert.match(o.reason, 'outlet publishes and subscribes only outside deskbox/');
});

test('stored wills whose client is gone: tree-wide rules only', () => {
  const table: [string, boolean][] = [
    ['deskbox/d1/boards/b01/status', true],
    ['deskbox/d1/boards/b02/status', true],
    ['deskbox', false],
    ['other/x', false],
    ['$SYS/deskbox/broker/stats', false],
    ['deskbox/+/x', false],
    ['', false],
  ];
  for (const [topic, allow] of table) assert.is(authorizeOrphanWill(topic).allow, allow, topic);
});

test('board client ids are reserved to their board', () => {
  const other: Principal = { role: 'board', username: 'b02', desk: 'd1', board: 'b02' };
  const table: [string, Principal, string, Principal | undefined, boolean][] = [
    ['board with its own id', board, 'deskbox-d1-b01', board, true],
    ['board with another board\'s id', board, 'deskbox-d1-b02', other, false],
    ['board with a free-form id', board, 'my-client', undefined, false],
    ['host with a board\'s id', host, 'deskbox-d1-b01', board, false],
    ['monitor with a board\'s id', monitor, 'deskbox-d1-b01', board, false],
    ['host with its own id', host, 'deskbox-boards-1a2b', undefined, true],
    ['monitor with its own id', monitor, 'dashboard-7', undefined, true],
    ['outlet with a board\'s id', outlet, 'deskbox-d1-b01', board, false],
    ['outlet with its own id', outlet, 'DVES_A1B2C3', undefined, true],
  ];
  for (const [what, principal, clientId, owner, allow] of table) assert.is(authorizeClientId(principal, clientId, owner).allow, allow, what);
});

test.run();
