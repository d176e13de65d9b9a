/** The telemetry sample the agent publishes: figures rounded to what they can mean. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as v from 'valibot';
import { TelemetrySchema } from '../../broker/contract/payloads.ts';
import { telemetrySample } from '../../board/telemetry/sample.ts';

test('no float noise reaches the wire: uW, mV, mA, ms, mJ, 0.01% of a CPU', () => {
  const sample = telemetrySample({
    board: 'b01', now: 1_000_123, seq: 7, bootedAt: 1000,
    reading: { watts: 1017000 / 1e6 + 1e-12, volts: 5.000000001, amps: 0.20340000001 },
    energyJ: 24.83764841946377,
    load: { cpu: 0.123456789, memBytes: 1234 },
    guests: { running: 2, failed: 0 },
  });
  assert.ok(v.safeParse(TelemetrySchema, sample).success);
  assert.equal([sample.powerW, sample.volts, sample.amps, sample.energyJ, sample.uptimeS, sample.cpu], [1.017, 5, 0.203, 24.838, 999.123, 0.1235]);
  assert.ok(!JSON.stringify(sample).match(/\d\.\d{7,}/), JSON.stringify(sample));
});

test.run();
