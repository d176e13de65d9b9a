import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetCommandError, runBatches } from '../../board/net/run.ts';

test('batches in one shell run in order; the first failing one stops the rest and is named with its failing line', async () => {
  await runBatches([{ tool: 'ip', ns: undefined, lines: ['link show lo'] }, { tool: 'exec', ns: undefined, lines: ['true'], file: 'true', args: [] }]);
  const e = await runBatches([
    { tool: 'ip', ns: undefined, lines: ['link show lo'] },
    { tool: 'ip', ns: undefined, lines: ['link show lo', 'link show deskbox-none0'] },
    { tool: 'exec', ns: undefined, lines: ['false'], file: 'false', args: [] },
  ]).then(() => undefined, (err: unknown) => err);
  assert.instance(e, NetCommandError);
  assert.is((e as NetCommandError).command, 'ip link show deskbox-none0');
  assert.match((e as NetCommandError).stderr, /does not exist/);
  const exec = await runBatches([{ tool: 'exec', ns: undefined, lines: ['false'], file: 'false', args: [] }]).then(() => undefined, (err: unknown) => err);
  assert.is((exec as NetCommandError).command, 'false');
});

test.run();
