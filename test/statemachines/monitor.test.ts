/**
 * The Monitor ASL executed locally (aws-local-stepfunctions), every Task bound to the real handler,
 * AWS calls answered by aws-sdk-client-mock, canaries probing real loopback listeners.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeVpnConnectionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as checkTunnel } from '#functions/check-tunnel/handler.ts';
import { createCanaryHandler } from '#functions/ping-canary/handler.ts';
import { handler as publishMetric } from '#functions/publish-metric/handler.ts';
import { handler as startRemediation } from '#functions/start-remediation/handler.ts';
import { localFunctionArn, substituteAsl } from '#infra/asl.ts';
import { type LocalLambda, type LocalRunResult, runLocalExecution } from '#sandbox/local-sfn.ts';
import { manyLinksConfig } from '#sandbox/many-links.ts';
import { type ExtractedMetric, readEmf } from '#sandbox/world/emf.ts';
import { type Config, parseConfig } from '#shared/config.ts';
import { exampleConfigJson } from '../fixtures/config.ts';
import { startHeldListener } from '../network/support.ts';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const REMEDIATION_ARN = 'arn:aws:states:us-east-1:111111111111:stateMachine:vpn-guard-remediation';
const MONITOR_ARN = 'arn:aws:states:us-east-1:111111111111:stateMachine:vpn-guard-monitor';

const ec2 = mockClient(EC2Client);
const cloudWatch = mockClient(CloudWatchClient);
const sfn = mockClient(SFNClient);
// The incident items start-remediation keeps in the lock table (none yet: every failure opens one).
const dynamo = mockClient(DynamoDBClient);

let listener: Server;
let openPort: number;
let closedPort: number;

/** Two links in one VPC, their VPNs in us-west-2 ("region B") and eu-west-1, canaries on loopback. */
function monitorConfig(): Config {
  const raw = exampleConfigJson();
  const west = raw.links[0] as Record<string, Record<string, unknown>>;
  west.canary = {
    ...west.canary,
    targets: [{ host: '127.0.0.1', port: openPort }],
    attempts: 2,
    timeoutMs: 500,
  };
  const eu = structuredClone(west);
  (eu as Record<string, unknown>).name = 'home-to-eu';
  eu.vpn = { region: 'eu-west-1', vpnConnectionIds: ['vpn-0bbbbbbbbbbbbbbbb'], minTunnelsUp: 1 };
  eu.gateway = {
    ...eu.gateway,
    autoScalingGroupName: 'vpn-gateway-eu',
    elasticIpAllocationId: 'eipalloc-0bbbbbbbbbbbbbbbb',
    // Links may share a route table, never a (table, CIDR) route.
    remoteCidrs: ['10.30.0.0/16'],
  };
  raw.links = [west, eu];
  return parseConfig(raw, 'monitor test');
}

interface TunnelWorld {
  /** Tunnel statuses per VPN connection id. */
  tunnels: Record<string, ['UP' | 'DOWN', 'UP' | 'DOWN']>;
  /** Regions whose EC2 API answers RequestLimitExceeded. */
  throttled: Set<string>;
}

function serveTunnels(world: TunnelWorld): void {
  ec2.on(DescribeVpnConnectionsCommand).callsFake(async (input, getClient) => {
    const region = await getClient().config.region();
    if (world.throttled.has(region)) {
      throw Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' });
    }
    const ids: string[] = input.Filters?.[0]?.Values ?? [];
    return {
      VpnConnections: ids.map((id) => ({
        VpnConnectionId: id,
        State: 'available',
        VgwTelemetry: (world.tunnels[id] ?? ['DOWN', 'DOWN']).map((status, index) => ({
          OutsideIpAddress: `203.0.113.${index + 1}`,
          Status: status,
          StatusMessage: status === 'UP' ? '' : 'IPSEC IS DOWN',
        })),
      })),
    };
  });
}

async function runTick(config: Config, replace: Record<string, LocalLambda> = {}) {
  const env = {
    ...process.env,
    VPN_GUARD_CONFIG: JSON.stringify(config),
    CANARY_VPC_ID: VPC,
    REMEDIATION_STATE_MACHINE_ARN: REMEDIATION_ARN,
    LOCK_TABLE_NAME: 'vpn-guard-locks',
  };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) vi.stubEnv(key, value);
  const canaryArn = localFunctionArn(`ping-canary-${VPC}`);
  const functions: Record<string, LocalLambda> = {
    [localFunctionArn('check-tunnel')]: checkTunnel as LocalLambda,
    [localFunctionArn('publish-metric')]: publishMetric as LocalLambda,
    [localFunctionArn('start-remediation')]: startRemediation as LocalLambda,
    [canaryArn]: createCanaryHandler(env) as LocalLambda,
    ...replace,
  };
  return runLocalExecution({
    definition: substituteAsl('monitor', {
      CheckTunnelFunctionArn: localFunctionArn('check-tunnel'),
      PublishMetricFunctionArn: localFunctionArn('publish-metric'),
      StartRemediationFunctionArn: localFunctionArn('start-remediation'),
    }),
    functions,
    input: {
      canaryGroups: [{ vpcId: VPC, functionName: canaryArn, links: config.links.map((l) => l.name) }],
    },
    executionName: 'tick-1',
    stateMachineArn: MONITOR_ARN,
  });
}

/** What the functions wrote to stdout this tick (in Lambda: their log groups). */
let written: string[] = [];

/** The metrics CloudWatch extracts from the EMF documents the functions wrote (sandbox/world/emf.ts). */
function extracted(): ExtractedMetric[] {
  return written
    .join('')
    .split('\n')
    .filter((line) => line.length > 0)
    .flatMap((line) => {
      const reading = readEmf(line, Date.now());
      if (reading.kind === 'rejected') throw new Error(`CloudWatch would reject ${line}: ${reading.reason}`);
      return reading.kind === 'emf' ? reading.metrics : [];
    });
}

/**
 * The value published for one metric at one dimension value (a link, a VPN Region or a canary VPC)
 * in this tick (undefined when not published).
 */
function published(metric: string, dimensionValue: string): number | undefined {
  const found = extracted().filter(
    (m) => m.metricName === metric && Object.values(m.dimensions)[0] === dimensionValue,
  );
  expect(found.length).toBeLessThanOrEqual(1);
  expect(found[0]?.values.length ?? 1).toBe(1);
  return found[0]?.values[0];
}

/** The largest state input or output of the run, bytes (Step Functions' quota is 256 KiB). */
function largestPayload(run: LocalRunResult): number {
  return Math.max(...run.history.flatMap((event) => [event.inputBytes ?? 0, event.outputBytes ?? 0]));
}

function alarmsInState(states: Record<string, 'OK' | 'ALARM'>): void {
  cloudWatch.on(DescribeAlarmsCommand).callsFake(async (input) => ({
    CompositeAlarms: (input.AlarmNames ?? []).map((name: string) => ({
      AlarmName: name,
      StateValue: states[name] ?? 'OK',
      StateUpdatedTimestamp: new Date('2026-11-26T11:58:00Z'),
    })),
    MetricAlarms: [],
  }));
}

describe('Monitor state machine, run locally over the real handlers', () => {
  beforeAll(async () => {
    listener = createServer((socket) => socket.destroy()).listen(0, '127.0.0.1');
    await once(listener, 'listening');
    openPort = (listener.address() as { port: number }).port;
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    closedPort = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
  });
  afterAll(() => listener.close());
  beforeEach(() => {
    ec2.reset();
    cloudWatch.reset();
    sfn.reset();
    dynamo.reset();
    dynamo.on(GetItemCommand).resolves({});
    dynamo.on(BatchGetItemCommand).resolves({ Responses: {} });
    dynamo.on(PutItemCommand).resolves({});
    written = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${REMEDIATION_ARN}:x`, startDate: new Date() });
    alarmsInState({});
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('publishes a healthy tick and starts no remediation', async () => {
    // Prepare
    serveTunnels({
      tunnels: { 'vpn-0a1b2c3d4e5f60718': ['UP', 'UP'], 'vpn-0bbbbbbbbbbbbbbbb': ['UP', 'DOWN'] },
      throttled: new Set(),
    });
    // Act
    const run = await runTick(monitorConfig());
    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(
      expect.arrayContaining([
        'CollectTelemetry',
        'CheckTunnels',
        'PingCanary',
        'PublishMetrics',
        'StartRemediationForUnhealthyLinks',
        'IsCollectionComplete',
        'TickComplete',
      ]),
    );
    expect(published('TunnelsUp', 'home-to-west')).toBe(2);
    expect(published('TunnelsUp', 'home-to-eu')).toBe(1);
    // The tunnel collection's figures are per VPN Region (one call each); the canary collection's
    // are its function's own AWS/Lambda metrics, so nothing custom is published for the VPC.
    expect(published('TunnelCheckSuccess', 'us-west-2')).toBe(1);
    expect(published('TunnelCheckSuccess', 'eu-west-1')).toBe(1);
    expect(published('TunnelCheckLatency', 'us-west-2')).toBeGreaterThanOrEqual(0);
    expect(extracted().filter((m) => Object.values(m.dimensions).includes(VPC))).toEqual([]);
    expect(published('TunnelCheckSuccess', 'home-to-west')).toBeUndefined();
    expect(published('CanarySuccess', 'home-to-west')).toBe(1);
    expect(published('CanaryLoss', 'home-to-west')).toBe(0);
    expect(published('CanaryLatency', 'home-to-west')).toBeGreaterThanOrEqual(0);
    // Embedded metric format: no CloudWatch API call; one DescribeVpnConnections per Region.
    expect(cloudWatch.commandCalls(PutMetricDataCommand)).toHaveLength(0);
    expect(ec2.commandCalls(DescribeVpnConnectionsCommand)).toHaveLength(2);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    // The tick ends with its verdict, not a copy of its figures.
    expect(run.output).toEqual({
      collectionComplete: true,
      summary: '',
      // Two Regions, two links (the canary VPC has its AWS/Lambda metrics).
      documents: 4,
      remediation: { started: [], already: [] },
    });
  });

  it('publishes one tunnel down as TunnelsUp 1 with a successful collection', async () => {
    serveTunnels({
      tunnels: { 'vpn-0a1b2c3d4e5f60718': ['UP', 'DOWN'], 'vpn-0bbbbbbbbbbbbbbbb': ['UP', 'UP'] },
      throttled: new Set(),
    });
    const run = await runTick(monitorConfig());
    expect(run.status).toBe('SUCCEEDED');
    expect(published('TunnelsUp', 'home-to-west')).toBe(1);
    expect(published('TunnelCheckSuccess', 'us-west-2')).toBe(1);
  });

  it('publishes all tunnels down as TunnelsUp 0 and starts the remediation of that link from the tick itself, before any alarm', async () => {
    // Prepare: the Unhealthy alarm is still OK; the tick's own figures show the outage.
    serveTunnels({
      tunnels: { 'vpn-0a1b2c3d4e5f60718': ['DOWN', 'DOWN'], 'vpn-0bbbbbbbbbbbbbbbb': ['UP', 'UP'] },
      throttled: new Set(),
    });
    // Act
    const run = await runTick(monitorConfig());
    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(published('TunnelsUp', 'home-to-west')).toBe(0);
    expect(published('TunnelCheckSuccess', 'us-west-2')).toBe(1);
    const starts = sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
    expect(starts).toHaveLength(1);
    expect(starts[0]?.stateMachineArn).toBe(REMEDIATION_ARN);
    // Named after the incident's start: the tick's check time, to the second.
    expect(starts[0]?.name).toMatch(/^home-to-west-alarm-\d{8}T\d{6}$/);
    expect(cloudWatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
    expect(JSON.parse(starts[0]?.input ?? '{}')).toMatchObject({
      link: 'home-to-west',
      trigger: 'alarm',
      dryRun: false,
    });
    // The lean state still hands start-remediation what it decides from; the tick keeps the start.
    expect((run.output as { remediation: { started: { link: string }[] } }).remediation.started).toEqual([
      expect.objectContaining({ link: 'home-to-west' }),
    ]);
  });

  it('publishes CanarySuccess 0 and full loss when the far side does not answer', async () => {
    // Prepare: a listener whose SYNs go unanswered stands for a host behind a broken link.
    serveTunnels({
      tunnels: { 'vpn-0a1b2c3d4e5f60718': ['UP', 'UP'], 'vpn-0bbbbbbbbbbbbbbbb': ['UP', 'UP'] },
      throttled: new Set(),
    });
    const silent = await startHeldListener({ host: '127.0.0.1' });
    try {
      const config = monitorConfig();
      const west = config.links[0];
      if (!west) throw new Error('fixture');
      west.canary.targets = [{ host: '127.0.0.1', port: silent.port }];
      west.canary.timeoutMs = 200;
      // Act
      const run = await runTick(config);
      // Assess: connectivity lost is a successful collection of a bad figure, not a collector failure.
      expect(run.status).toBe('SUCCEEDED');
      expect(published('CanarySuccess', 'home-to-west')).toBe(0);
      expect(published('CanaryLoss', 'home-to-west')).toBe(100);
      expect(published('CanaryLatency', 'home-to-west')).toBeUndefined();
      expect(published('CanarySuccess', 'home-to-eu')).toBe(1);
    } finally {
      await silent.dispose();
    }
  });

  it('counts a refused connection as reachable: the remote host answered', async () => {
    serveTunnels({
      tunnels: { 'vpn-0a1b2c3d4e5f60718': ['UP', 'UP'], 'vpn-0bbbbbbbbbbbbbbbb': ['UP', 'UP'] },
      throttled: new Set(),
    });
    const config = monitorConfig();
    const west = config.links[0];
    if (!west) throw new Error('fixture');
    west.canary.targets = [{ host: '127.0.0.1', port: closedPort }];
    const run = await runTick(config);
    expect(run.status).toBe('SUCCEEDED');
    expect(published('CanarySuccess', 'home-to-west')).toBe(1);
  });

  it('publishes a throttled region B as a collection failure, not as tunnels down, after retrying', async () => {
    // Prepare
    serveTunnels({
      tunnels: { 'vpn-0a1b2c3d4e5f60718': ['UP', 'UP'], 'vpn-0bbbbbbbbbbbbbbbb': ['UP', 'UP'] },
      throttled: new Set(['us-west-2']),
    });
    // Act
    const run = await runTick(monitorConfig());
    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('CollectionIncomplete');
    // The cause names the Region that failed, so an ERROR-level log says why.
    expect(run.cause).toMatch(/^tunnels us-west-2 \(1 link\(s\): home-to-west\): RequestLimitExceeded/);
    expect(published('TunnelCheckSuccess', 'us-west-2')).toBe(0);
    expect(published('TunnelCheckSuccess', 'eu-west-1')).toBe(1);
    expect(published('TunnelsUp', 'home-to-west')).toBeUndefined();
    expect(published('TunnelsUp', 'home-to-eu')).toBe(2);
    expect(published('CanarySuccess', 'home-to-west')).toBe(1);
  });

  it('retries and then publishes a collection failure for every link when every Region is throttled', async () => {
    serveTunnels({ tunnels: {}, throttled: new Set(['us-west-2', 'eu-west-1']) });
    const run = await runTick(monitorConfig());
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('CollectionIncomplete');
    expect(run.path.filter((state) => state === 'CheckTunnels')).toHaveLength(1);
    expect(
      run.history.filter((event) => event.type === 'StateRetried' && event.state === 'CheckTunnels'),
    ).toHaveLength(2);
    expect(run.path).toContain('TunnelCheckFailed');
    expect(ec2.commandCalls(DescribeVpnConnectionsCommand)).toHaveLength(6);
    expect(published('TunnelCheckSuccess', 'us-west-2')).toBe(0);
    expect(published('TunnelCheckSuccess', 'eu-west-1')).toBe(0);
    expect(published('TunnelsUp', 'home-to-west')).toBeUndefined();
  });

  it('publishes the canary as a collection failure when the canary function itself fails', async () => {
    serveTunnels({
      tunnels: { 'vpn-0a1b2c3d4e5f60718': ['UP', 'UP'], 'vpn-0bbbbbbbbbbbbbbbb': ['UP', 'UP'] },
      throttled: new Set(),
    });
    const config = monitorConfig();
    // The canary function of this VPC is asked for a link it does not serve: it fails with InvalidInputError.
    for (const link of config.links) link.canary.vpcId = 'vpc-0ffffffffffffffff';
    const run = await runTick(config);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('CollectionIncomplete');
    expect(run.path).toContain('CanaryFailed');
    expect(published('CanarySuccess', 'home-to-west')).toBeUndefined();
    expect(published('CanaryLoss', 'home-to-west')).toBeUndefined();
    expect(published('TunnelsUp', 'home-to-west')).toBe(2);
  });

  it('fails the tick visibly when the metrics cannot be published', async () => {
    serveTunnels({
      tunnels: { 'vpn-0a1b2c3d4e5f60718': ['UP', 'UP'], 'vpn-0bbbbbbbbbbbbbbbb': ['UP', 'UP'] },
      throttled: new Set(),
    });
    // publish-metric itself fails (its write cannot fail: a crash or a bad deployment can).
    const run = await runTick(monitorConfig(), {
      [localFunctionArn('publish-metric')]: async () => {
        throw Object.assign(new Error('cannot start'), { name: 'Runtime.ImportModuleError' });
      },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Runtime.ImportModuleError');
    expect(run.path).not.toContain('StartRemediationForUnhealthyLinks');
  });

  it('keeps every state small at 200 links: the figures, not their detail, and no copy of the input', async () => {
    // Prepare: 200 links in two Regions, all healthy, probed by one canary on one loopback target.
    const loopback = monitorConfig().links[0]?.canary;
    const raw = manyLinksConfig(exampleConfigJson(), 200);
    for (const link of raw.links) link.canary = { ...loopback, vpcId: VPC };
    const config = parseConfig(raw, '200 links');
    const tunnels = Object.fromEntries(
      config.links.flatMap((link) => link.vpn.vpnConnectionIds.map((id) => [id, ['UP', 'UP'] as const])),
    ) as Record<string, ['UP', 'UP']>;
    serveTunnels({ tunnels, throttled: new Set() });
    // Act
    const run = await runTick(config);
    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(ec2.commandCalls(DescribeVpnConnectionsCommand)).toHaveLength(2);
    expect(published('TunnelsUp', 'link-199')).toBe(2);
    expect(largestPayload(run)).toBeLessThan(128 * 1024);
  });
});
