import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { DEFAULT_THRESHOLDS, type Evidence } from '../../host/health/evidence.ts';
import { openHealthHistory } from '../../host/health/history.ts';
import { decide, initialHealth } from '../../host/health/policy.ts';
import { withTempDir } from '../support/temp-dir.ts';

test('the record survives a reopen: current health and every transition with its evidence', () => withTempDir('deskbox-health-', async (dir) => {
  const path = join(dir, 'health.db');
  const history = openHealthHistory(path);
  let h = initialHealth(0);
  const evidence: Evidence[] = [
    { kind: 'check', at: 1000, ok: false, failed: ['slot'] },
    { kind: 'check', at: 2000, ok: false, failed: ['slot', 'images'] },
    { kind: 'recovery-started', at: 3000, steps: ['power-cycle'] },
  ];
  for (const e of evidence) {
    const v = decide('b07', h, e, DEFAULT_THRESHOLDS);
    h = v.health;
    history.record('b07', h, v.transition);
  }
  history.record('b01', initialHealth(5));
  history.close();

  const again = openHealthHistory(path);
  try {
    const all = again.all();
    assert.equal([...all.keys()], ['b01', 'b07']);
    assert.equal(all.get('b07'), h);
    const trs = again.transitions('b07');
    assert.equal(trs.map((x) => `${x.from}->${x.to}`), ['healthy->suspect', 'suspect->quarantined', 'quarantined->recovering']);
    assert.equal(trs[1]!.evidence, evidence.slice(0, 2));
    assert.equal(again.transitions('b07', 1).map((x) => x.to), ['recovering'], 'the newest, when limited');
    assert.equal(again.transitions('b01'), []);
  } finally {
    again.close();
  }
}));

test.run();
