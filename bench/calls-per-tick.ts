/**
 * AWS calls per Monitor tick, and the Monitor's largest state payload, measured on the sandbox:
 * N links over two VPN Regions (and up to 20 canary VPCs, one per 10 links), real ASL and handlers,
 * every AWS API call the tick's functions make counted from the world's call log (issue 11 part 5:
 * O(Regions), at most 6 at 200 links). Lambda invocations by Step Functions are listed apart: they
 * are the state machine's integrations (one per function per tick, one canary per VPC), not API
 * calls of the product. Simulated AWS; call counts and payload bytes are exact, not timed.
 *
 * Run alone: `npx tsx bench/calls-per-tick.ts [--json]`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DEFAULT_VPN_REGIONS, manyLinksConfig } from '#sandbox/many-links.ts';
import type { ExecutionRecord } from '#sandbox/world/sfn.ts';
import { World } from '#sandbox/world/world.ts';
import { monitorStateBound, STATE_PAYLOAD_BUDGET_BYTES, type StateSizeLink } from '#shared/state-size.ts';

/** The target of issue 11 part 5 at 200 links over two Regions. */
export const CALLS_PER_TICK_TARGET = 6;
/** Step Functions' limit on a state's input or output (256 KiB). */
export const STATE_PAYLOAD_LIMIT_BYTES = 256 * 1024;

/** Canary VPCs for a link count, as the rows use them: one per 10 links, at most 20. */
const canaryVpcsFor = (links: number) => Math.min(20, Math.ceil(links / 10));

export interface CallsPerTickRow {
  readonly links: number;
  readonly regions: number;
  readonly canaryVpcs: number;
  /** The most API calls one tick made (of the ticks measured). */
  readonly awsCallsPerTick: number;
  /** Those calls by service:command, for the tick with the most. */
  readonly calls: Readonly<Record<string, number>>;
  /** Lambda invocations of the tick by the state machine (its Task states). */
  readonly lambdaInvocationsPerTick: number;
  /** The largest state input or output of the ticks, bytes (limit 256 KiB). */
  readonly largestStatePayloadBytes: number;
  /**
   * The config's upper bound of the largest state (every link failing at once, every error at its
   * cap: functions/shared/state-size.ts), which synth holds within 90 % of the limit.
   */
  readonly stateBoundBytes: number;
  /** Every tick ended as a healthy tick does (TickComplete). */
  readonly ticksSucceeded: boolean;
  /** The deployed policies were enforced on every call (false where the stack did not synthesize). */
  readonly iamEnforced: boolean;
}

export interface CallsPerTickResult {
  readonly simulated: true;
  readonly ticksPerSize: number;
  readonly rows: readonly CallsPerTickRow[];
  /** Calls per tick at 200 links (when measured) against {@link CALLS_PER_TICK_TARGET}. */
  readonly withinTarget: boolean | null;
  /**
   * The most links (these rows' shape: 20 canary VPCs, two Regions, the example's link names and
   * targets) whose state bound synth still accepts, and that bound: computed, not simulated.
   */
  readonly largestAccepted: { readonly links: number; readonly stateBoundBytes: number };
}

/** The state bound of `links` links shaped as the rows are. */
function boundFor(example: unknown, links: number, regions: readonly string[]): number {
  const config = manyLinksConfig(example as Parameters<typeof manyLinksConfig>[0], links, {
    regions,
    vpcs: canaryVpcsFor(links),
  });
  return monitorStateBound(config.links as unknown as readonly StateSizeLink[]).largestBytes;
}

/** The largest link count whose bound is within the budget (the bound grows with the links). */
function largestAccepted(
  example: unknown,
  regions: readonly string[],
): CallsPerTickResult['largestAccepted'] {
  let links = 1;
  while (boundFor(example, links * 2, regions) <= STATE_PAYLOAD_BUDGET_BYTES) links *= 2;
  let high = links * 2;
  while (high - links > 1) {
    const middle = Math.floor((links + high) / 2);
    if (boundFor(example, middle, regions) <= STATE_PAYLOAD_BUDGET_BYTES) links = middle;
    else high = middle;
  }
  return { links, stateBoundBytes: boundFor(example, links, regions) };
}

/** The calls the functions of one Monitor execution made (the world's call log). */
function callsOf(world: World, execution: ExecutionRecord): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of world.calls.all()) {
    if (call.caller?.machine !== 'monitor' || call.caller.executionName !== execution.name) continue;
    const key = `${call.service}:${call.command}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const sum = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Measures `ticks` healthy ticks for each link count (default 1, 50 and 200 over two Regions). */
export async function benchCallsPerTick(
  options: { linkCounts?: readonly number[]; ticks?: number; regions?: readonly string[] } = {},
): Promise<CallsPerTickResult> {
  const linkCounts = options.linkCounts ?? [1, 50, 200];
  const ticks = options.ticks ?? 3;
  const regions = options.regions ?? DEFAULT_VPN_REGIONS;
  // The scenarios' one-link config: the example's link with a loopback canary target (the world
  // replaces it by a real listener per link).
  const example = JSON.parse(readFileSync('scenarios/configs/one-link.json', 'utf8'));
  const rows: CallsPerTickRow[] = [];
  for (const links of linkCounts) {
    const canaryVpcs = canaryVpcsFor(links);
    const config = manyLinksConfig(example, links, { regions, vpcs: canaryVpcs });
    // IAM in the loop needs the synthesized stack; where one stack cannot hold the links (scale's
    // limits, issue 11 part 5) the calls are counted without the policy check, and the row says so.
    const options = { config, monitor: false, alarms: false, historyMinutes: 0 } as const;
    let iamEnforced = true;
    const world = await World.create(options).catch(async (error: unknown) => {
      if (!(error instanceof Error) || !/synthesize/i.test(`${error.name} ${error.message}`)) throw error;
      iamEnforced = false;
      return World.create({ ...options, iam: { enabled: false } });
    });
    try {
      let worst: Record<string, number> = {};
      let invocations = 0;
      let largest = 0;
      let succeeded = true;
      for (let tick = 0; tick < ticks; tick++) {
        const execution = world.startMonitorExecution();
        await world.runUntilDone(execution);
        succeeded &&= execution.status === 'SUCCEEDED';
        const calls = callsOf(world, execution);
        if (sum(calls) >= sum(worst)) worst = calls;
        invocations = Math.max(
          invocations,
          execution.history.filter((event) => event.type === 'StateEntered' && event.stateType === 'Task')
            .length,
        );
        for (const event of execution.history) {
          largest = Math.max(largest, event.inputBytes ?? 0, event.outputBytes ?? 0);
        }
        await world.advance(60);
      }
      rows.push({
        links,
        regions: new Set(world.config.links.map((link) => link.vpn.region)).size,
        canaryVpcs,
        awsCallsPerTick: sum(worst),
        calls: worst,
        lambdaInvocationsPerTick: invocations,
        largestStatePayloadBytes: largest,
        stateBoundBytes: monitorStateBound(world.config.links).largestBytes,
        ticksSucceeded: succeeded,
        iamEnforced,
      });
    } finally {
      await world.dispose();
    }
  }
  const at200 = rows.find((row) => row.links === 200);
  return {
    simulated: true,
    ticksPerSize: ticks,
    rows,
    withinTarget: at200 ? at200.awsCallsPerTick <= CALLS_PER_TICK_TARGET : null,
    largestAccepted: largestAccepted(example, regions),
  };
}

/** The section as `npm run bench` prints it. */
export function printCallsPerTick(result: CallsPerTickResult): void {
  console.log('\n## AWS calls per Monitor tick (sandbox, simulated AWS; exact counts)\n');
  console.table(
    result.rows.map((row) => ({
      links: row.links,
      'VPN Regions': row.regions,
      'canary VPCs': row.canaryVpcs,
      'AWS calls/tick': row.awsCallsPerTick,
      calls: Object.entries(row.calls)
        .map(([command, n]) => `${command} x${n}`)
        .join(', '),
      'Lambda invocations/tick': row.lambdaInvocationsPerTick,
      'largest state (KiB)': (row.largestStatePayloadBytes / 1024).toFixed(1),
      'state bound (KiB)': (row.stateBoundBytes / 1024).toFixed(1),
      'ticks succeeded': row.ticksSucceeded,
      'IAM enforced': row.iamEnforced,
    })),
  );
  const at200 = result.rows.find((row) => row.links === 200);
  if (at200) {
    console.log(
      `200 links: ${at200.awsCallsPerTick} AWS calls per tick (target <= ${CALLS_PER_TICK_TARGET}: ${result.withinTarget ? 'met' : 'NOT met'}); largest state ${(at200.largestStatePayloadBytes / 1024).toFixed(1)} KiB of Step Functions' 256 KiB (bound ${(at200.stateBoundBytes / 1024).toFixed(1)} KiB with every link failing)`,
    );
  }
  const { links, stateBoundBytes } = result.largestAccepted;
  console.log(
    `Largest deployment of this shape synth accepts: ${links} links (state bound ${(stateBoundBytes / 1024).toFixed(1)} KiB, within ${(STATE_PAYLOAD_BUDGET_BYTES / 1024).toFixed(1)} KiB = 90 % of 256 KiB; computed from the config, not simulated)`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchCallsPerTick();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else printCallsPerTick(result);
}
