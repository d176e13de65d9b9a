/**
 * The seed desk's host side at a reduced scale (bench/lib/seed-scale.ts; the full 490 x 256
 * desk is `npm run bench -- seedscale`): synthetic boards on one connection each publish
 * through the real desk broker (`deskbox broker`, needs `npm run build`) at a board's real
 * cadence while the host side of `deskbox run` runs a plan on them. The host must hold exactly
 * what the broker acknowledged, lose no telemetry, count every guest in the summary, and
 * render the report.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { runSeedScale } from '../../bench/lib/seed-scale.ts';
import { formatNumber } from '../../host/report/format.ts';
import { processesMentioning } from '../support/deskbox.ts';
import { withTempDir } from '../support/temp-dir.ts';

const BOARDS = 128;
const GUESTS = 64;

test(`${BOARDS} boards x ${GUESTS} guests: the host holds every message, the summary every guest, the report renders`, async () => {
  await withTempDir('deskbox-seedscale-', async (dir) => {
    // Guests boot faster than on an A8 (32/s, not 7.7/s) and logins are cheap, to keep the test short;
    // the message volume a second is the same: boards report once a second, whatever they boot.
    const r = await runSeedScale({ dir, boards: BOARDS, guestsPerBoard: GUESTS, launchPerS: 32, bootMs: 130, periodS: 1, holdS: 2, rampBatch: 32, cheapLogins: true });
    const { published: p, stored: s } = r;
    assert.equal(r.storeErrors, []);
    assert.is(p.failed, 0, 'publishes refused');
    assert.is(s.lostTelemetry, 0, 'seq gaps');
    assert.is(s.malformed, 0);
    assert.is(s.telemetry, p.telemetry, 'telemetry stored = acknowledged');
    assert.is(s.events, p.bootPhases + p.guestEvents, 'events stored = acknowledged');
    assert.is(s.statuses, p.status, 'statuses stored = acknowledged');
    assert.is(s.guestBoots, p.guestsBooted, 'guest boots stored = reported');
    assert.is(p.guestsBooted, BOARDS * GUESTS);
    // The boards reported once a second, not once a guest: the desk's real message volume.
    assert.ok(p.guestEvents < p.guestsBooted / 4, `${p.guestEvents} guests events for ${p.guestsBooted} guests`);
    assert.is(r.baseline.telemetry, p.telemetry, 'the plain subscriber saw the same telemetry');
    assert.is(r.outcome.guestsStarted, BOARDS * GUESTS);
    assert.equal([r.outcome.lost, r.outcome.aborted], [[], false]);
    assert.is(r.summary.desk.boardsReporting, BOARDS);
    assert.is(r.summary.desk.guestsBooted, BOARDS * GUESTS);
    assert.is(r.summary.desk.peakGuestsRunning, BOARDS * GUESTS);
    assert.equal(await processesMentioning(dir), [], 'the broker is gone');
    const html = await readFile(r.reportFile, 'utf8');
    const n = BOARDS * GUESTS;
    assert.match(html, `Guests booted</div><div class="v">${formatNumber(n)}</div><div class="s">0 failed, peak ${formatNumber(n)} running`);
    assert.match(html, `Peak ${n} guests running`);
  });
});

test.run();
