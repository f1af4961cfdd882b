/**
 * The Monitor's state-size bound (functions/shared/state-size.ts) held to the product's real output:
 * the real ping-canary, check-tunnel, publish-metric and remediation-naming functions run on
 * worst-case inputs (longest names, every target failing or at its widest figure, maximum attempts,
 * every error at its cap), their JSON composed as statemachines/monitor.asl.json composes it, and
 * compared with the bound. Per entry the widest real JSON must equal the bound's figure exactly, so
 * a field added to an output (or a wider one) without updating the bound fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkTunnels } from '#functions/check-tunnel/check.ts';
import type { VpnConnectionTelemetry } from '#functions/check-tunnel/telemetry.ts';
import type { TunnelCheckResult } from '#functions/check-tunnel/types.ts';
import { type CanaryLink, runCanary } from '#functions/ping-canary/canary.ts';
import type { CanaryResult, Probe, ProbeAttempt } from '#functions/ping-canary/types.ts';
import {
  type CanaryBranch,
  datumGroups,
  failureSummary,
  type TunnelBranch,
  tickDatums,
} from '#functions/publish-metric/datums.ts';
import { type Config, type LinkConfig, parseConfig } from '#shared/config.ts';
import { CanaryError } from '#shared/errors.ts';
import { MAX_ATTEMPT, remediationExecutionName } from '#shared/execution-name.ts';
import {
  boundError,
  CANARY_ERROR_BOUND,
  capMessage,
  capText,
  causeMaxBytes,
  ERROR_MESSAGE_MAX_CHARS,
  ERROR_NAME_MAX_CHARS,
  type ErrorBound,
  FAILURE_MESSAGE_MAX_CHARS,
  jsonBytes,
  MONITOR_ERROR_BOUND,
  monitorStateBound,
  STATE_PAYLOAD_BUDGET_BYTES,
  STATE_PAYLOAD_LIMIT,
  widestCanaryFailure,
  widestCanaryFigures,
  widestExecutionArn,
  widestRegionCheck,
  widestTunnelFailure,
  widestTunnelFigures,
} from '#shared/state-size.ts';
import { scaleConfigJson } from '../../bench/scale-config.ts';

/** The longest link name the schema takes (32 characters), unique per index. */
const longName = (index: number) => `s${String(index).padStart(3, '0')}-${'x'.repeat(27)}`;

/**
 * A config at its widest per link: 32-character names, the longest Region name, 4 VPN connections
 * (8 tunnels) all required, 9 canary targets all required, 3 attempts each.
 */
function widestConfig(links: number, vpcs: number): Config {
  const raw = scaleConfigJson({ links, vpcs, regions: ['ap-southeast-5', 'ap-northeast-3'] });
  (raw.links as Record<string, unknown>[]).forEach((link, index) => {
    link.name = longName(index);
    const vpn = link.vpn as { vpnConnectionIds: string[] };
    link.vpn = {
      ...vpn,
      vpnConnectionIds: [0, 1, 2, 3].map(
        (k) => `vpn-0${(k + 4).toString(16)}${index.toString(16).padStart(15, '0')}`,
      ),
      minTunnelsUp: 8,
    };
    link.canary = {
      ...(link.canary as Record<string, unknown>),
      targets: Array.from({ length: 9 }, (_, k) => ({
        host: `${'h'.repeat(50)}-${k}.corp.example.com`,
        port: 65535 - k,
      })),
      attempts: 3,
      minTargetsUp: 9,
    };
  });
  return parseConfig(raw, 'widest');
}

/** A probe that answers a target's attempts from its port: a script per port, cycling. */
function scripted(script: (port: number) => ProbeAttempt[]): Probe {
  const seen = new Map<number, number>();
  return async (target) => {
    const done = seen.get(target.port) ?? 0;
    seen.set(target.port, done + 1);
    const answers = script(target.port);
    return answers[done % answers.length] as ProbeAttempt;
  };
}

// 99999.94 ms rounds to 99999.9 (7 characters): the widest latency a result can carry.
const slow: ProbeAttempt = { outcome: 'connected', rttMs: 99_999.94 };
const lost: ProbeAttempt = { outcome: 'timeout', rttMs: null, detail: 'no answer' };
const unresolved: ProbeAttempt = { outcome: 'unresolved', rttMs: null, detail: 'ENOTFOUND' };

/**
 * The widest judged link: 8 of 9 targets answer (one short of minTargetsUp 9, so `success: false`
 * with latencies), one silent, six of the answering ones lose one attempt of three: 9 of 27 lost,
 * 33.33 %.
 */
const widestProbe = scripted((port) => {
  const k = 65535 - port;
  if (k === 8) return [lost];
  return k < 6 ? [slow, slow, lost] : [slow];
});

const asCanaryLink = (link: LinkConfig): CanaryLink => link;

/** The Lambda response for a failed invocation (Node.js runtime), as Step Functions' Cause. */
function lambdaCause(error: unknown, bound: ErrorBound): string {
  const bounded = boundError(error, bound) as Error;
  return JSON.stringify({
    errorType: bounded.name,
    errorMessage: bounded.message,
    trace: (bounded.stack ?? '').split('\n'),
  });
}

const monitorAsl = JSON.parse(readFileSync('statemachines/monitor.asl.json', 'utf8'));

describe('the per-entry figures of the bound are the real outputs at their widest', () => {
  const config = widestConfig(1, 1);
  const link = config.links[0] as LinkConfig;

  it("ping-canary's figures of a judged link", async () => {
    const { result } = await runCanary({
      vpcId: link.canary.vpcId,
      links: [asCanaryLink(link)],
      probe: widestProbe,
      startedAt: new Date(),
      delay: async () => undefined,
    });
    const figures = result.links[0];
    expect(figures).toMatchObject({ success: false, targetsUp: 8, latencyMs: 99_999.9, lossPercent: 33.33 });
    expect(jsonBytes(figures)).toBe(jsonBytes(widestCanaryFigures(link)));
  });

  it("ping-canary's failure of a link it could not judge (names that do not resolve, message capped)", async () => {
    // Prepare: the link's 9 long names do not resolve; a second link answers (else the run throws).
    const other: CanaryLink = {
      name: 'b',
      canary: { ...link.canary, targets: [{ host: 'b', port: 1 }], minTargetsUp: 1 },
    };

    // Act
    const { result } = await runCanary({
      vpcId: link.canary.vpcId,
      links: [asCanaryLink(link), other],
      probe: scripted((port) => (port === 1 ? [slow] : [unresolved])),
      startedAt: new Date(),
      delay: async () => undefined,
    });

    // Assess
    const failure = result.failures?.[0];
    expect(failure?.message).toHaveLength(FAILURE_MESSAGE_MAX_CHARS);
    expect(jsonBytes(failure)).toBe(jsonBytes(widestCanaryFailure(link)));
  });

  it("check-tunnel's figures of a link read, and of a link whose Region failed", async () => {
    const read = await checkTunnels([link], {
      describe: async () => [] as VpnConnectionTelemetry[],
      elapsedMs: () => 0,
      now: () => new Date(),
    });
    expect(read.result.links[0]).toMatchObject({ ok: true, tunnelsUp: 0, tunnelsTotal: 8, healthy: false });
    expect(jsonBytes(read.result.links[0])).toBe(jsonBytes(widestTunnelFigures(link)));

    // A Region's error at its widest: a name and a message of non-ASCII characters, past their caps.
    let clock = 0;
    const failed = await checkTunnels(
      [link, { ...link, name: 'other', vpn: { ...link.vpn, region: 'us-west-2' } }],
      {
        describe: async (region) => {
          if (region === 'us-west-2') return [];
          clock = 99_999.94;
          const error = new Error('\u20ac'.repeat(ERROR_MESSAGE_MAX_CHARS));
          error.name = '\u20ac'.repeat(ERROR_NAME_MAX_CHARS);
          throw error;
        },
        elapsedMs: () => clock,
        now: () => new Date(),
      },
    );
    const region = failed.result.regions.find((check) => !check.ok);
    expect(jsonBytes(region)).toBe(jsonBytes(widestRegionCheck(link.vpn.region)));
    const entry = failed.result.links[0];
    expect(entry?.ok).toBe(false);
    expect(jsonBytes(entry)).toBe(jsonBytes(widestTunnelFailure(link)));

    // The per-link copy of a long ASCII message is cut to FAILURE_MESSAGE_MAX_CHARS.
    const ascii = await checkTunnels([link], {
      describe: async () => {
        const error = new Error('y'.repeat(1000));
        error.name = '\u20ac'.repeat(ERROR_NAME_MAX_CHARS);
        throw error;
      },
      elapsedMs: () => 0,
      now: () => new Date(),
    }).catch((error: unknown) => error);
    // Every Region failed: check-tunnel throws, its Cause within the Monitor functions' bound.
    expect(jsonBytes(lambdaCause(ascii, MONITOR_ERROR_BOUND))).toBeLessThanOrEqual(
      causeMaxBytes(MONITOR_ERROR_BOUND),
    );
  });

  it.each([
    ['ping-canary (one Cause per canary VPC)', CANARY_ERROR_BOUND, 'x'],
    ['check-tunnel and start-remediation (one Cause each)', MONITOR_ERROR_BOUND, '"'],
  ] as const)('a Cause a Catch copies into the state: %s, capped by boundError', (_, bound, widestChar) => {
    // At its widest: a name of 64 characters, a message at its cap of the widest character.
    const widestError = new CanaryError(widestChar.repeat(bound.maxChars));
    Object.defineProperty(widestError, 'name', { value: 'N'.repeat(ERROR_NAME_MAX_CHARS) });
    expect(jsonBytes(lambdaCause(widestError, bound))).toBe(causeMaxBytes(bound));

    // Anything longer, with control characters, lone surrogates and a deep stack, stays within it.
    const wild = new Error(`${'\u0001"\\\n\ud800\u20ac'.repeat(5000)}`);
    wild.name = `"${'\u20ac'.repeat(500)}`;
    wild.stack = `${wild.stack}\n${'    at frame (file:///var/task/index.mjs:1:1)\n'.repeat(50)}`;
    expect(jsonBytes(lambdaCause(wild, bound))).toBeLessThanOrEqual(causeMaxBytes(bound));
    expect((boundError(wild, bound) as Error).message.length).toBeLessThanOrEqual(bound.maxChars);
  });

  it("start-remediation's started execution of a link, named as the product names it", () => {
    const name = remediationExecutionName(link.name, 'manual', new Date('2026-12-31T23:59:59Z'), MAX_ATTEMPT);
    expect(widestExecutionArn(link.name).endsWith(`:${name}`)).toBe(true);
    expect(widestExecutionArn(link.name)).toMatch(/:execution:m{80}:/);
  });

  it('capped texts are as wide as the bound counts them, whatever goes in', () => {
    const nasty = '\u0000"\\\u20ac\ud83d\ude00\ud800\n\t'.repeat(300);
    expect(jsonBytes(capMessage(nasty))).toBe(FAILURE_MESSAGE_MAX_CHARS + 2);
    const text = capText(nasty, ERROR_MESSAGE_MAX_CHARS);
    expect(text.length).toBeLessThanOrEqual(ERROR_MESSAGE_MAX_CHARS);
    expect(jsonBytes(text)).toBeLessThanOrEqual(3 * ERROR_MESSAGE_MAX_CHARS + 2);
    expect(jsonBytes(JSON.stringify(text))).toBeLessThanOrEqual(4 * ERROR_MESSAGE_MAX_CHARS + 6);
  });
});

describe("the bound of the Monitor's largest state", () => {
  it('counts exactly the fields the Monitor ASL keeps (a field added there must be added to the bound)', () => {
    expect(Object.keys(monitorAsl.States.CollectTelemetry.ResultSelector).sort()).toEqual([
      'canaries.$',
      'tunnels.$',
    ]);
    expect(monitorAsl.States.PublishMetrics.ResultPath).toBe('$.published');
    expect(Object.keys(monitorAsl.States.PublishMetrics.ResultSelector).sort()).toEqual([
      'collectionComplete.$',
      'documents.$',
      'summary.$',
    ]);
    const start = monitorAsl.States.StartRemediationForUnhealthyLinks;
    expect(start.ResultPath).toBe('$.published.remediation');
    expect(Object.keys(start.ResultSelector).sort()).toEqual(['already.$', 'started.$']);
    expect(start.Catch[0].ResultPath).toBe('$.remediationError');
    const branches = monitorAsl.States.CollectTelemetry.Branches;
    expect(Object.keys(branches[0].States.TunnelCheckFailed.Parameters).sort()).toEqual([
      'cause.$',
      'error.$',
      'ok',
    ]);
    expect(
      Object.keys(branches[1].States.PingCanaries.ItemProcessor.States.CanaryFailed.Parameters).sort(),
    ).toEqual(['cause.$', 'error.$', 'links.$', 'ok', 'vpcId.$']);
  });

  it('holds the real worst-case state of a tick: every link failing, every error at its cap', async () => {
    // Prepare: 24 links at their widest over 2 Regions and 3 canary VPCs.
    const config = widestConfig(24, 3);
    const links = config.links;
    const vpcs = [...new Set(links.map((link) => link.canary.vpcId))];
    const [judgedVpc, unjudgedVpc, failedVpc] = vpcs as [string, string, string];

    // Act: the real functions. Region ap-southeast-5's read fails with an error past its caps; the
    // other Region's links are all down.
    const tunnels = await checkTunnels(links, {
      describe: async (region) => {
        if (region === 'ap-northeast-3') return [];
        const error = new Error('\u20ac'.repeat(5000));
        error.name = '\u20ac'.repeat(100);
        throw error;
      },
      elapsedMs: () => 99_999.94,
      now: () => new Date(),
    });
    const inVpc = (vpcId: string) => links.filter((link) => link.canary.vpcId === vpcId).map(asCanaryLink);
    const judged = await runCanary({
      vpcId: judgedVpc,
      links: inVpc(judgedVpc),
      probe: widestProbe,
      startedAt: new Date(),
      delay: async () => undefined,
    });
    // Every link of the second VPC inconclusive but one (else the run throws: see the third VPC).
    const unjudged = await runCanary({
      vpcId: unjudgedVpc,
      links: inVpc(unjudgedVpc).map((link, index) =>
        index === 0
          ? { ...link, canary: { ...link.canary, targets: [{ host: 'a', port: 1 }], minTargetsUp: 1 } }
          : link,
      ),
      probe: scripted((port) => (port === 1 ? [slow] : [unresolved])),
      startedAt: new Date(),
      delay: async () => undefined,
    });
    // The third VPC's canary judged none: the run throws, the Catch copies the Cause.
    const thrown = await runCanary({
      vpcId: failedVpc,
      links: inVpc(failedVpc),
      probe: scripted(() => [unresolved]),
      startedAt: new Date(),
      delay: async () => undefined,
    }).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(CanaryError);

    // Compose CollectTelemetry's output as the ASL does.
    const tunnelBranch: TunnelBranch = { ok: true, result: tunnels.result as TunnelCheckResult };
    const canaries: CanaryBranch[] = [
      { ok: true, result: judged.result as CanaryResult },
      { ok: true, result: unjudged.result as CanaryResult },
      {
        ok: false,
        vpcId: failedVpc,
        links: inVpc(failedVpc).map((link) => link.name),
        error: (boundError(thrown, CANARY_ERROR_BOUND) as Error).name,
        cause: lambdaCause(thrown, CANARY_ERROR_BOUND),
      },
    ];
    const telemetry = { tunnels: tunnelBranch, canaries };
    // PublishMetrics: the real datums and summary.
    const { datums, failures } = tickDatums(links, tunnelBranch, canaries, new Date());
    const published = {
      collectionComplete: failures.length === 0,
      summary: failureSummary(failures),
      documents: datumGroups(datums).length,
    };
    // StartRemediation: every link starts an attempt (the widest names), or its Catch.
    const remediation = {
      started: links.map((link) => ({
        link: link.name,
        executionName: remediationExecutionName(link.name, 'manual', new Date(), MAX_ATTEMPT),
        executionArn: widestExecutionArn(link.name),
      })),
      already: [],
    };
    const afterStart = { ...telemetry, published: { ...published, remediation } };
    const startFailed = new Error('"'.repeat(10_000));
    const afterCatch = {
      ...telemetry,
      published,
      remediationError: {
        Error: (boundError(startFailed, MONITOR_ERROR_BOUND) as Error).name,
        Cause: lambdaCause(startFailed, MONITOR_ERROR_BOUND),
      },
    };

    // Assess
    const bound = monitorStateBound(links);
    expect(failures.length).toBeGreaterThan(0);
    expect(jsonBytes(telemetry.tunnels)).toBeLessThanOrEqual(bound.tunnelsBytes);
    expect(jsonBytes(telemetry)).toBeLessThanOrEqual(bound.telemetryBytes);
    expect(jsonBytes(afterStart)).toBeLessThanOrEqual(bound.largestBytes);
    expect(jsonBytes(afterCatch)).toBeLessThanOrEqual(bound.largestBytes);
    // A bound, not a guess: the real worst case is most of it.
    expect(jsonBytes(afterStart)).toBeGreaterThan(0.6 * bound.largestBytes);
  });

  it('is far below the limit for 200 links over 20 canary VPCs, and grows linearly past it', () => {
    const at200 = monitorStateBound(parseConfig(scaleConfigJson({ links: 200, vpcs: 20 })).links);
    expect(at200.largestBytes).toBeLessThanOrEqual(STATE_PAYLOAD_BUDGET_BYTES);
    expect(STATE_PAYLOAD_BUDGET_BYTES).toBeLessThan(STATE_PAYLOAD_LIMIT.max);
    const at100 = monitorStateBound(parseConfig(scaleConfigJson({ links: 100, vpcs: 20 })).links);
    expect(at200.largestBytes).toBeGreaterThan(1.5 * at100.largestBytes);
  });
});
