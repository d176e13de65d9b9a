/**
 * The experiment commands: `deskbox run <plan.yaml>` (experiment-run.ts); `deskbox report
 * <bundle>` rebuilds a bundle's report; `deskbox compare <a> <b>` sets two runs side by side.
 */
import type { Command } from 'commander';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { buildReport, loadComparedRun } from '../experiment/bundle.ts';
import { comparedPlanDifferences, comparisonDeltas, renderComparisonFiles } from '../report/comparison.ts';
import { describeDifferences } from '../report/plan-diff.ts';
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
    .description('two runs side by side: headline figures, their differences, desk power overlaid; warns when the plans differ')
    .argument('<a>', 'a results bundle').argument('<b>', 'another one')
    .option('-o, --out <file>', 'the page to write (its figures\' SVG and CSV files go beside it)', 'compare.html')
    .option('--json', 'print both summaries, the plan differences and the figures\' differences as JSON')
    .action(action(async (a: string, b: string, o: { out: string; json?: boolean }) => {
      const [ra, rb] = [await loadComparedRun(a), await loadComparedRun(b)];
      const planDifferences = comparedPlanDifferences(ra, rb);
      // On stderr, so it is seen with --json too and never mixes into what a script parses.
      if (planDifferences.length) process.stderr.write(`warning: the runs' plans differ: ${describeDifferences(planDifferences)}\n`);
      if (o.json) {
        return printJson({ a: { runId: ra.runId, summary: ra.summary }, b: { runId: rb.runId, summary: rb.summary }, planDifferences, deltas: comparisonDeltas(ra.summary, rb.summary) });
      }
      const { html, files } = renderComparisonFiles(ra, rb);
      const dir = dirname(resolve(o.out));
      for (const f of files) await writeFileAtomic(join(dir, f.name), f.content);
      await writeFileAtomic(o.out, html);
      process.stdout.write(`comparison ${resolve(o.out)}\n`);
    }));
}
