/**
 * What happens every minute on the clock: EventBridge Scheduler starts the Monitor (with the
 * canaryGroups input, as the stack's schedule sends it), CloudWatch evaluates the alarms, and
 * DynamoDB sweeps the items whose TTL has passed (deleting them once the lag has passed too).
 */
import { compactUtc } from '#shared/execution-name.ts';
import { UnmodelledCommandError } from './aws-errors.ts';
import type { AlarmTransition } from './cloudwatch.ts';
import type { WorldContext } from './context.ts';
import type { Executions } from './executions.ts';
import { canaryFunctionArn, canaryVpcs } from './lambdas.ts';
import type { ExecutionRecord } from './sfn.ts';

const MINUTE = 60_000;

/** CloudWatch evaluates every alarm at `alarmEvaluationOffsetSeconds` past each minute. */
export function scheduleAlarmEvaluation(
  world: WorldContext,
  onTransitions: (transitions: readonly AlarmTransition[]) => void,
): void {
  const { clock } = world;
  const evaluate = (at: number) =>
    clock.scheduleAt(at, 'CloudWatch evaluates alarms', () =>
      world.guarded(() => {
        // Evaluate after everything else due at this instant (a Wait state waking up and
        // publishing, say): a datapoint stamped now belongs to the period being evaluated.
        if (clock.nextEventAt() === at) {
          evaluate(at);
          return;
        }
        onTransitions(world.cloudwatch.evaluate());
        evaluate(at + MINUTE);
      }),
    );
  let first = Math.floor(world.start / MINUTE) * MINUTE + world.timing.alarmEvaluationOffsetSeconds * 1000;
  if (first < world.start) first += MINUTE;
  evaluate(first);
}

/** DynamoDB's TTL sweep, every minute from the second whole minute after the start. */
export function scheduleTtlSweep(world: WorldContext): void {
  const sweep = (at: number) =>
    world.clock.scheduleAt(at, 'DynamoDB TTL sweep', () =>
      world.guarded(() => {
        world.dynamodb.sweepTtl();
        sweep(at + MINUTE);
      }),
    );
  sweep(Math.ceil(world.start / MINUTE) * MINUTE + MINUTE);
}

/** EventBridge Scheduler and the Monitor it starts. */
export class MonitorSchedule {
  /** Simulated epoch ms until which the schedule starts nothing (the `monitor-silent` fault). */
  private pausedUntil = 0;

  constructor(
    private readonly world: WorldContext,
    private readonly executions: Executions,
  ) {}

  /** Starts the Monitor at `tickOffsetSeconds` past every N minutes of the config's `rate(N minutes)`. */
  start(): void {
    const { clock, config } = this.world;
    const rate = /^rate\((\d+) minutes?\)$/.exec(config.schedule);
    if (!rate) {
      throw new UnmodelledCommandError(
        `the sandbox's scheduler models rate(N minutes) only, not ${config.schedule}`,
      );
    }
    const every = Number(rate[1]) * MINUTE;
    const tick = (at: number) =>
      clock.scheduleAt(at, 'EventBridge Scheduler tick', () =>
        this.world.guarded(() => {
          if (clock.now() >= this.pausedUntil) this.scheduledStart();
          tick(at + every);
        }),
      );
    tick(Math.ceil(this.world.start / MINUTE) * MINUTE + this.world.timing.tickOffsetSeconds * 1000);
  }

  /** The schedule's delivery: StartExecution with the schedule's role, which IAM must allow. */
  private scheduledStart(): void {
    const denied = this.world.iam.schedulerDenial(this.world.sfn.machine('monitor').arn);
    if (denied) this.world.emit('trigger', `EventBridge Scheduler could not start the Monitor: ${denied}`);
    else this.startExecution();
  }

  /** The schedule starts nothing until `until` (simulated epoch ms; Infinity: for good). */
  pause(until: number): void {
    this.pausedUntil = until;
  }

  /** The Monitor's input, as the stack's schedule sends it. */
  input(): { canaryGroups: { vpcId: string; functionName: string; links: string[] }[] } {
    const { config } = this.world;
    return {
      canaryGroups: canaryVpcs(config).map((vpcId) => ({
        vpcId,
        functionName: canaryFunctionArn(vpcId),
        links: config.links.filter((link) => link.canary.vpcId === vpcId).map((link) => link.name),
      })),
    };
  }

  /** Starts one Monitor execution now (what the scheduler does each minute). */
  startExecution(): ExecutionRecord {
    const { clock, sfn } = this.world;
    const record = this.executions.launch(
      sfn.machine('monitor'),
      `tick-${compactUtc(new Date(clock.now()))}`,
      JSON.stringify(this.input()),
      'scheduler',
    );
    sfn.executions.push(record);
    return record;
  }
}
