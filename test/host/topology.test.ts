import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileTopology, type BoardNet } from '../../host/net/compile.ts';
import { parseTopology, TopologyError } from '../../host/net/topology.ts';

const TWO_LANS = `
v: 1
name: two-lans
networks:
  lan1: { subnet: 10.1.0.0/24, link: { rate: 10mbit } }
  lan2: { subnet: 10.2.0.0/24, vni: 42 }
attach:
  - { network: lan1, boards: b01-b02, count: 4 }
  - { network: lan2, boards: b02, count: 2 }
  - { network: lan2, guests: [b01-g0007] }
routers:
  r1: { board: b01, interfaces: { lan1: 10.1.0.1, lan2: 10.2.0.1 } }
`;

const desk = { boards: ['b01', 'b02', 'b03'], tagsOf: () => [] };
const lan = (b: string): BoardNet => ({ lanAddress: `172.31.0.${Number(b.slice(1)) + 1}`, features: { vxlan: true, tbf: true, netem: false } });

function problems(text: string, boardNet: (b: string) => BoardNet | undefined = lan): string[] {
  let loaded;
  try {
    loaded = parseTopology(text, 't.yaml');
  } catch (e) {
    assert.instance(e, TopologyError);
    return [...(e as TopologyError).problems];
  }
  return compileTopology(loaded, desk, boardNet).problems;
}

test('compile: VNIs, pools that never overlap, gateways, links and peers per board', () => {
  const { parts, problems: found } = compileTopology(parseTopology(TWO_LANS, 't.yaml'), desk, lan);
  assert.equal(found, []);
  const b01 = parts.get('b01')!;
  const b02 = parts.get('b02')!;
  assert.equal(b01.networks.map((n) => [n.name, n.vni, n.pool, n.attachCount, n.attach, n.gateway, n.peers]), [
    ['lan1', 1000, { first: '10.1.0.2', size: 126 }, 4, [], '10.1.0.1', ['172.31.0.3']],
    ['lan2', 42, { first: '10.2.0.2', size: 126 }, 0, [7], '10.2.0.1', ['172.31.0.3']],
  ]);
  assert.equal(b02.networks.map((n) => [n.name, n.pool.first, n.attachCount, n.peers]), [['lan1', '10.1.0.128', 4, ['172.31.0.2']], ['lan2', '10.2.0.128', 2, ['172.31.0.2']]]);
  assert.equal(b01.networks[0]!.link, { rate: '10mbit' });
  assert.equal(b01.routers, [{ name: 'r1', interfaces: [{ network: 'lan1', address: '10.1.0.1' }, { network: 'lan2', address: '10.2.0.1' }], routes: [] }]);
  assert.equal(parts.get('b03')!.networks, [], 'a board carrying nothing gets an empty part (its old networks go)');
  assert.equal(b01.topology.name, 'two-lans');
});

test('compile: every bad input refused before anything changes, each naming its field', () => {
  const cases: Array<[string, RegExp]> = [
    [TWO_LANS.replace('10.2.0.0/24', '10.1.0.0/16'), /networks\.lan2\.subnet: 10\.1\.0\.0\/16 overlaps lan1's 10\.1\.0\.0\/24/],
    [TWO_LANS.replace('network: lan2, boards: b02', 'network: lan9, boards: b02'), /attach\[1\]\.network: no network "lan9"/],
    [TWO_LANS.replace('count: 4', 'count: 200'), /lan1 \(10\.1\.0\.0\/24\) gives each of its 2 boards 126 addresses; b01 needs 200/],
    [TWO_LANS.replace('lan1: 10.1.0.1, lan2: 10.2.0.1', 'lan1: 10.1.0.1'), /routers\.r1\.interfaces: a router needs interfaces on at least two networks \(it has 1\)/],
    [TWO_LANS.replace('boards: b01-b02', 'boards: b01-b09'), /attach\[0\]\.boards: board set "b01-b09"/],
    [TWO_LANS.replace('board: b01,', 'board: b77,'), /routers\.r1\.board: the desk has no board "b77"/],
    [TWO_LANS.replace('lan2: 10.2.0.1', 'lan2: 10.3.0.1'), /routers\.r1\.interfaces\.lan2: 10\.3\.0\.1 is not a host address of 10\.2\.0\.0\/24/],
    [TWO_LANS.replace('10.2.0.0/24, vni', '10.2.0.5/24, vni'), /networks\.lan2\.subnet: 10\.2\.0\.5\/24 has host bits set/],
    [TWO_LANS.replace('{ rate: 10mbit }', '{ rate: 10mbit, delay: 5ms, loss: 1% }'), /lan1: needs netem \(delay, jitter or loss\), which the kernel lacks on b01, b02/],
    [TWO_LANS.replace('[b01-g0007]', '[b09-g0001]'), /attach\[2\]\.guests: b09-g0001 is on b09/],
    [TWO_LANS.replace('subnet: 10.1.0.0/24,', 'subnet: 10.1.0.0/33,'), /networks\.lan1\.subnet: must be an IPv4 prefix/],
    [TWO_LANS.replace('networks:', 'netwerks:'), /netwerks: not a topology field/],
  ];
  for (const [text, re] of cases) {
    const found = problems(text);
    assert.ok(found.some((p) => re.test(p)), `${re}: got ${JSON.stringify(found)}`);
  }
  assert.match(problems(TWO_LANS, (b) => (b === 'b02' ? { lanAddress: null, features: {} } : lan(b))).join('\n'), /b02: no desk-LAN address to carry lan1/);
  const vni = problems(TWO_LANS.replace('vni: 42', 'vni: 7').replace('{ subnet: 10.1.0.0/24,', '{ subnet: 10.1.0.0/24, vni: 7,'));
  assert.match(vni.join('\n'), /networks\.lan2\.vni: 7 is lan1's too/);
});

test('the example topology under plans/ compiles on a two-board desk', async () => {
  const { loadTopology } = await import('../../host/net/topology.ts');
  const loaded = await loadTopology(new URL('../../plans/two-lans.topology.yaml', import.meta.url).pathname);
  const { problems: found, parts } = compileTopology(loaded, { boards: ['b01', 'b02'], tagsOf: () => [] }, (b) => ({ ...lan(b), features: { vxlan: true, tbf: true } }));
  assert.equal(found, []);
  assert.equal(parts.get('b02')!.networks.map((n) => n.name), ['lan1', 'lan2']);
});

test.run();
