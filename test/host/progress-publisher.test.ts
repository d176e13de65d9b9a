/** The experiment state a run publishes: throttled updates, a heartbeat, the will's content, staleness. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { abandonedRun, createProgressPublisher } from '../../host/experiment/progress-publisher.ts';
import { decodeExperimentProgress, EXPERIMENT_HEARTBEAT_MS, experimentIsStale, type ExperimentProgress } from '../../broker/contract/experiment.ts';

function publisher() {
  let t = 1_000_000;
  const sent: ExperimentProgress[] = [];
  const p = createProgressPublisher({
    desk: 'desk1', run: 'r1', plan: 'p', boards: 3, repetitions: 1, now: () => t,
    publish: (_topic, payload) => {
      const d = decodeExperimentProgress(payload);
      assert.ok(d.ok, 'every message keeps the contract');
      sent.push(d.value);
    },
  });
  return { p, sent, advance: (ms: number) => { t += ms; }, now: () => t };
}

test('updates are throttled; phase starts and ends always go out', () => {
  const { p, sent, advance } = publisher();
  p.start('launch', 30, 'guests');
  for (let i = 1; i <= 30; i++) { advance(10); p.update(i); }
  p.end();
  assert.equal(sent.map((s) => [s.phase, s.done]), [[null, 0], ['launch', 0], ['launch', 30]]);
});

test('a running experiment is republished every heartbeat, so a silent one is stale; a finished one is never stale', () => {
  const { p, sent, advance, now } = publisher();
  advance(EXPERIMENT_HEARTBEAT_MS - 1);
  p.tick();
  assert.is(sent.length, 1);
  advance(1);
  p.tick();
  assert.is(sent.length, 2);
  const last = sent.at(-1)!;
  assert.not.ok(experimentIsStale(last, now() + 3 * EXPERIMENT_HEARTBEAT_MS));
  assert.ok(experimentIsStale(last, now() + 3 * EXPERIMENT_HEARTBEAT_MS + 1));
  p.finish('done');
  advance(10 * EXPERIMENT_HEARTBEAT_MS);
  p.tick();
  assert.is(sent.length, 3, 'no heartbeat after the end');
  assert.not.ok(experimentIsStale(sent.at(-1)!, now()));
});

test('the will a runner leaves with the broker keeps the contract and says aborted', () => {
  const will = abandonedRun({ run: 'r1', plan: 'p', boards: 3, repetitions: 2, now: () => 5 });
  const d = decodeExperimentProgress(JSON.stringify(will));
  assert.ok(d.ok);
  assert.equal([d.value.state, d.value.run, d.value.phase], ['aborted', 'r1', null]);
  assert.match(d.value.error ?? '', /stopped without finishing/);
});

test.run();
