/**
 * The functions' own AWS/Lambda metrics in the world (sandbox/world/lambda-metrics.ts), as Lambda
 * documents them: the canary collection's success/failure and latency are its function's
 * Invocations, Errors and Duration (CANARY_COLLECTION_METRICS), so the world must count a timeout as
 * an error, a throttle as neither an invocation nor an error, and a service error as nothing.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { functionNameOf } from '#sandbox/world/lambda-metrics.ts';
import { canaryFunctionArn } from '#sandbox/world/lambdas.ts';
import { World } from '#sandbox/world/world.ts';
import { CANARY_COLLECTION_METRICS } from '#shared/metric-names.ts';

const config = JSON.parse(
  readFileSync(new URL('../../scenarios/configs/one-link.json', import.meta.url), 'utf8'),
);

let world: World | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

async function tick(inject?: Parameters<World['inject']>[0]) {
  world = await World.create({ config, monitor: false, alarms: false, historyMinutes: 0 });
  const w = world;
  if (inject) w.inject(inject);
  const monitor = w.startMonitorExecution();
  await w.runUntilDone(monitor);
  const vpcId: string = config.links[0].canary.vpcId;
  const canary = { [CANARY_COLLECTION_METRICS.dimension]: functionNameOf(canaryFunctionArn(vpcId)) };
  const lambda = (metricName: string) =>
    w.cloudwatch.samples(CANARY_COLLECTION_METRICS.namespace, metricName, canary);
  const sum = (metricName: string) => lambda(metricName).reduce((total, sample) => total + sample.sum, 0);
  return { w, monitor, lambda, sum };
}

describe('AWS/Lambda metrics of the canary function (the canary collection)', () => {
  it('counts a healthy run as one invocation, no error, with its duration, and nothing custom per VPC', async () => {
    // Act
    const { w, monitor, lambda, sum } = await tick();
    // Assess
    expect(monitor.status).toBe('SUCCEEDED');
    expect(sum(CANARY_COLLECTION_METRICS.runs)).toBe(1);
    // Errors has a 0 datapoint for the successful invocation (Sum is the failures).
    expect(lambda(CANARY_COLLECTION_METRICS.failures)).toEqual([
      expect.objectContaining({ count: 1, sum: 0 }),
    ]);
    const [duration] = lambda(CANARY_COLLECTION_METRICS.latency);
    expect(duration?.sum).toBeGreaterThan(0);
    expect(sum(CANARY_COLLECTION_METRICS.throttles)).toBe(0);
    // The timestamp is when the invoke arrived, within the tick.
    expect(duration?.timestamp).toBeGreaterThanOrEqual(monitor.startDate);
    expect(duration?.timestamp).toBeLessThanOrEqual(monitor.stopDate ?? Number.POSITIVE_INFINITY);
    expect(
      w.cloudwatch.samples('VpnGuard', 'CanaryCheckSuccess', { CanaryVpc: config.links[0].canary.vpcId }),
    ).toEqual([]);
  });

  it('counts a run that times out as an error lasting the function timeout', async () => {
    // Act: ping-canary's 25 s timeout is below the PingCanary Task's 30 s.
    const { monitor, lambda, sum } = await tick({
      type: 'lambda-timeout',
      function: 'ping-canary',
      state: 'PingCanary',
    });
    // Assess
    expect(monitor.status).toBe('FAILED');
    expect(monitor.history.some((event) => event.state === 'CanaryFailed')).toBe(true);
    expect(sum(CANARY_COLLECTION_METRICS.runs)).toBe(1);
    expect(sum(CANARY_COLLECTION_METRICS.failures)).toBe(1);
    expect(lambda(CANARY_COLLECTION_METRICS.latency).map((sample) => sample.sum)).toEqual([25_000]);
  });

  it.each([
    // A throttle counts as a throttle only; the retry that ran is the invocation.
    { type: 'lambda-throttled' as const, throttles: 1 },
    // A Lambda service error counts nowhere: the code never ran.
    { type: 'lambda-error' as const, throttles: 0 },
  ])(
    'counts a $type invoke as $throttles throttle(s), and the retry that ran as the one invocation',
    async ({ type, throttles }) => {
      // Act: the ASL's retrier runs it again.
      const { monitor, sum } = await tick({ type, function: 'ping-canary', state: 'PingCanary', calls: 1 });
      // Assess
      expect(monitor.status).toBe('SUCCEEDED');
      expect(sum(CANARY_COLLECTION_METRICS.throttles)).toBe(throttles);
      expect(sum(CANARY_COLLECTION_METRICS.runs)).toBe(1);
      expect(sum(CANARY_COLLECTION_METRICS.failures)).toBe(0);
    },
  );
});
