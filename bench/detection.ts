/**
 * Time from a failure to the start of the fix, on the sandbox (simulated time, the sandbox's
 * timings): the gateway dies at several offsets within the Monitor's minute, and for each we read
 * when the Monitor's tick saw it, when the Remediation started (and by which trigger), when the fix
 * started (the Remediation entered its chosen rung's first action state: ConfigureInstance,
 * RestartIpsec, ReplaceInstance, or WaitForReplacement when it adopts the group's own replacement,
 * whose launch is already under way), when its first change to the gateway (a mutating EC2/Auto
 * Scaling call) was made and when the link was healthy again. Target (issue 9, part 5):
 * at most 90 s at the default 1-minute cadence. The worst case is a failure just after a tick: up to
 * 60 s until the next tick, plus ConfirmUnhealthy's window. Lambda run times count as zero here
 * (simulated time stands still while a handler runs); in AWS the tick's collection adds a few seconds.
 */
import { readFileSync } from 'node:fs';
import { World } from '#sandbox/world/world.ts';

export type DetectionRow = {
  readonly 'failure at (s past :00)': number;
  readonly 'seen by tick (s)': number | string;
  readonly 'remediation started (s)': number | string;
  readonly trigger: string;
  readonly rung: string;
  readonly 'fix started (s)': number | string;
  readonly 'first change (s)': number | string;
  readonly 'healthy (s)': number | string;
  readonly 'within 90 s': string;
};

/** The states a rung's action starts with (statemachines/remediation.asl.json, RouteDecision). */
const FIX_STATES = new Set(['ConfigureInstance', 'RestartIpsec', 'ReplaceInstance', 'WaitForReplacement']);

/** One run: the gateway dies `offset` seconds past a whole minute. */
export async function benchDetection(offset: number): Promise<DetectionRow> {
  const config = JSON.parse(readFileSync('scenarios/configs/one-link.json', 'utf8'));
  const world = await World.create({ config });
  try {
    const failAt = 120 + offset;
    world.at(failAt, 'gateway dies', () =>
      world.inject({ type: 'gateway-instance-dies', link: 'home-to-west' }),
    );
    await world.runUntil(failAt + 8 * 60);
    const failure = world.start + failAt * 1000;
    const since = (at: number | undefined) =>
      at === undefined ? 'never' : Math.round((at - failure) / 1000);
    const first = world.remediations()[0];
    const change = world.calls
      .all()
      .find(
        (call) =>
          call.at >= failure &&
          call.mutating &&
          !call.error &&
          (call.service === 'ec2' || call.service === 'autoscaling') &&
          call.caller?.machine === 'remediation',
      );
    // The first Monitor tick after the failure whose start-remediation call saw the link failing.
    const seen = world.calls
      .all()
      .find((call) => call.at >= failure && call.caller?.functionId === 'start-remediation');
    const fix = world
      .remediations()
      .flatMap((execution) => execution.history)
      .filter((event) => event.type === 'StateEntered' && FIX_STATES.has(event.state ?? ''))
      .sort((a, b) => a.timestamp - b.timestamp)[0];
    const recovered = world.remediations().find((execution) => outcomeOf(execution.output) === 'recovered');
    const fixSeconds = since(fix?.timestamp);
    return {
      'failure at (s past :00)': offset,
      'seen by tick (s)': since(seen?.at),
      'remediation started (s)': since(first?.startDate),
      trigger: first?.startedBy ?? 'none',
      rung: rungOf(recovered?.output) ?? 'none',
      'fix started (s)': fixSeconds,
      'first change (s)': since(change?.at),
      'healthy (s)': since(recovered?.stopDate),
      'within 90 s': typeof fixSeconds === 'number' && fixSeconds <= 90 ? 'yes' : 'NO',
    };
  } finally {
    await world.dispose();
  }
}

const outcomeOf = (output: unknown): unknown => (output as { outcome?: unknown } | undefined)?.outcome;
const rungOf = (output: unknown): string | undefined =>
  (output as { rung?: string | null } | undefined)?.rung ?? undefined;
