/** The health.* ops: a board's self-checks on demand (broker/contract/health.ts, docs/mqtt.md). */
import { HealthReportSchema } from '../health.ts';
import { command, NoArgsSchema } from './spec.ts';

export const HEALTH_COMMANDS = {
  'health.check': command({
    args: NoArgsSchema,
    result: HealthReportSchema,
    summary: 'run every self-check now; the report is also retained on the board\'s health topic',
  }),
};
