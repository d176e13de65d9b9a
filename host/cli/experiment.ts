/**
 * The experiment commands: `deskbox run <plan.yaml>` (experiment-run.ts); `deskbox report
 * <bundle>` rebuilds a bundle's report; `deskbox compare <a> <b>` sets two runs side by side.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { bundlePaths, buildReport, readRunRecord } from '../experiment/bundle.ts';
import { renderComparison } from '../report/report.ts';
import type { RunSummary } from '../analysis/summary.ts';
import { registerRun } from './experiment-run.ts';
import { action, printJson } from './run.ts';

export function registerExperiment(program: Command): void {
  registerRun(program);

  program.command('report')
    .description('rebuild a results bundle\'s summary.json and report.html')
    .argument('<bundle>', 'a run\'s folder (runs/<run id>)')
    .option('--json', 'print the summary as JSON')
    .action(action(async (dir: string, o: { json?: boolean }) => {
      const { summary, report } = await buildReport(dir, { csv: true });
      if (o.json) return printJson(summary);
      process.stdout.write(`report ${report}\n`);
    }));

  program.command('compare')
    .description('two runs side by side: headline figures and their differences')
    .argument('<a>', 'a results bundle').argument('<b>', 'another one')
    .option('-o, --out <file>', 'the page to write', 'compare.html')
    .option('--json', 'print both summaries as JSON')
    .action(action(async (a: string, b: string, o: { out: string; json?: boolean }) => {
      const load = async (dir: string) => ({ runId: (await readRunRecord(dir)).runId, summary: JSON.parse(await readFile(bundlePaths(dir).summary, 'utf8')) as RunSummary });
      const [ra, rb] = [await load(a), await load(b)];
      if (o.json) return printJson({ a: ra, b: rb });
      await writeFileAtomic(o.out, renderComparison(ra, rb));
      process.stdout.write(`comparison ${resolve(o.out)}\n`);
    }));
}
