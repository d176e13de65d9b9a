/**
 * A self-check as a feature contributes it (Feature.healthChecks): a name from the contract's
 * catalogue and a function that says what it found. board/health runs them; features own them.
 */
import type { HealthCheckName } from '../../broker/contract/health.ts';

export interface Finding {
  ok: boolean;
  detail: string;
}

export interface HealthCheck {
  name: HealthCheckName;
  run(): Promise<Finding> | Finding;
}
