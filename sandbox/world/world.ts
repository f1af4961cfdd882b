/**
 * The simulated two-Region AWS the product runs against locally: seeded from a validated config,
 * serving the product's real SDK clients (mocks.ts), running the real ASL with the real handlers
 * (local-sfn.ts), driven by one simulated clock (clock.ts), with real TCP listeners on loopback
 * standing for the hosts across each VPN (remote-hosts.ts).
 *
 * Link model: a link *works* when a running gateway instance holds the link's Elastic IP, runs
 * IPsec, has its source/dest check off, and every configured route table x remote CIDR points at
 * its interface. Tunnels follow the gateway: UP `tunnelUpSeconds` after it can negotiate (the second
 * tunnel a little later), DOWN `tunnelDownSeconds` after it cannot (dead-peer detection), each
 * change moving LastStatusChange. The canary's hosts answer only while the tunnels are up and the
 * path is right; otherwise they go silent for real.
 *
 * Around it: EventBridge Scheduler starts the Monitor every minute (with the canaryGroups input),
 * CloudWatch evaluates the alarms every minute (and notifies SNS of every ALARM/OK transition),
 * EventBridge delivers "CloudWatch Alarm State Change" of an Unhealthy alarm entering ALARM to
 * start-remediation as the stack's rule does (Lambda async invoke, retried twice), and DynamoDB
 * deletes expired items some time after their TTL.
 */
import type { Context } from 'aws-lambda';
import { lockKey } from '#functions/remediation-guard/lock.ts';
import { type CompositeAlarmSpec, compositeRule, linkAlarmSpecs, METRICS } from '#infra/alarm-specs.ts';
import { localFunctionArn, substituteAsl } from '#infra/asl.ts';
import { linkAlarmName } from '#shared/alarm-names.ts';
import { type Config, parseConfig } from '#shared/config.ts';
import { compactUtc, remediationExecutionName, type Trigger } from '#shared/execution-name.ts';
import { installSimulatedDate, SimClock, type TimerHandle } from '../clock.ts';
import {
  LocalExecutionAbortedError,
  type LocalLambda,
  localLambdaContext,
  runLocalExecution,
} from '../local-sfn.ts';
import { type AsgTiming, AutoScalingModel, DEFAULT_ASG_TIMING } from './autoscaling.ts';
import {
  awsError,
  type Service,
  THROTTLING_ERROR,
  UNAVAILABLE_ERROR,
  UnmodelledCommandError,
  WorldError,
} from './aws-errors.ts';
import { type CallerContext, CallLog, callerContext, MUTATING_COMMANDS } from './calls.ts';
import { type AlarmTransition, CloudWatchModel } from './cloudwatch.ts';
import { DynamoDbModel } from './dynamodb.ts';
import { Ec2Model, type TunnelRecord } from './ec2.ts';
import type { Fault } from './faults.ts';
import { IdFactory } from './ids.ts';
import { installClientMocks } from './mocks.ts';
import { type HostMode, loopbackAddress, RemoteHost } from './remote-hosts.ts';
import { type ExecutionRecord, type MachineId, type MachineRecord, SfnModel } from './sfn.ts';
import { SnsModel } from './sns.ts';

/** Simulated durations of the world (seconds unless said otherwise). */
export interface WorldTiming {
  /** Seconds past each minute at which the scheduler starts the Monitor. */
  readonly tickOffsetSeconds: number;
  /** Seconds past each minute at which CloudWatch evaluates the alarms. */
  readonly alarmEvaluationOffsetSeconds: number;
  /** From the gateway being able to negotiate to the first tunnel UP. */
  readonly tunnelUpSeconds: number;
  /** Each further tunnel comes up this much later. */
  readonly tunnelUpStaggerSeconds: number;
  /** From the gateway failing to the tunnels reported DOWN (dead-peer detection). */
  readonly tunnelDownSeconds: number;
  readonly asg: AsgTiming;
  /** DynamoDB deletes an expired item this long after its TTL (AWS: "within a few days"). */
  readonly ttlDeletionLagSeconds: number;
  /** Lambda's asynchronous retries of an EventBridge delivery that failed. */
  readonly asyncRetrySeconds: readonly number[];
  /** Real milliseconds a slow path keeps a SYN unanswered (its retransmission is answered). */
  readonly slowHandshakeReopenMs: number;
}

export const DEFAULT_TIMING: WorldTiming = {
  tickOffsetSeconds: 5,
  alarmEvaluationOffsetSeconds: 50,
  tunnelUpSeconds: 30,
  tunnelUpStaggerSeconds: 10,
  tunnelDownSeconds: 20,
  asg: DEFAULT_ASG_TIMING,
  ttlDeletionLagSeconds: 48 * 3600,
  asyncRetrySeconds: [60, 120],
  slowHandshakeReopenMs: 250,
};

export type TimingOverrides = Partial<Omit<WorldTiming, 'asg'>> & { readonly asg?: Partial<AsgTiming> };

/** Something that happened in the world, for progress output and tests. */
export interface WorldEvent {
  /** Simulated epoch ms. */
  readonly at: number;
  readonly kind:
    | 'fault'
    | 'alarm'
    | 'execution'
    | 'gateway'
    | 'tunnel'
    | 'link'
    | 'notification'
    | 'trigger'
    | 'state';
  readonly link?: string;
  readonly message: string;
}

export interface WorldOptions {
  /** The VPN Guard config (raw JSON or validated); canary targets are replaced by loopback listeners. */
  readonly config: unknown;
  /** Simulated start (default 2026-11-26T12:00:00Z). */
  readonly start?: string | number | Date;
  readonly timing?: TimingOverrides;
  /** Real listeners for the canary (default true). Without them the canary targets refuse. */
  readonly remoteHosts?: boolean;
  /** The scheduler starts the Monitor every minute (default true). */
  readonly monitor?: boolean;
  /** CloudWatch evaluates alarms every minute (default true). */
  readonly alarms?: boolean;
  /** Minutes of healthy monitor history seeded before the start (default 10). */
  readonly historyMinutes?: number;
  readonly onEvent?: (event: WorldEvent) => void;
}

/** The home Region (the Region the stack and the gateway live in). */
export const HOME_REGION = 'us-east-1';
export const ACCOUNT = '111111111111';
export const LOCK_TABLE_NAME = 'vpn-guard-locks';
export const TOPIC_ARN = `arn:aws:sns:${HOME_REGION}:${ACCOUNT}:vpn-guard-alarms`;
export const DEFAULT_START = '2026-11-26T12:00:00Z';

const FUNCTION_IDS = [
  'check-tunnel',
  'publish-metric',
  'start-remediation',
  'remediation-guard',
  'gateway',
  'notify',
] as const;
type FunctionId = (typeof FUNCTION_IDS)[number] | 'ping-canary';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

interface LinkState {
  readonly hosts: RemoteHost[];
  hostMode: HostMode;
  pathOk: boolean;
  forcedDown: Set<string>;
  latencyHigh: boolean;
  remoteDown: boolean;
  gatewayInstanceId: string | null;
  lastAlarmEvent?: unknown;
  ipsecRestart?: TimerHandle;
}

interface CommandFault {
  readonly label: string;
  readonly service: Service;
  readonly regions?: readonly string[];
  readonly commands?: readonly string[];
  readonly match?: (input: unknown) => boolean;
  readonly error: string;
  readonly message: string;
  readonly fault: 'client' | 'server';
  remaining?: number;
  until?: number;
}

/** Names of the env vars the world sets for the handlers (restored on dispose). */
const ENV_KEYS = [
  'AWS_REGION',
  'VPN_GUARD_CONFIG',
  'REMEDIATION_STATE_MACHINE_ARN',
  'LOCK_TABLE_NAME',
  'LOCK_TTL_SECONDS',
  'CANARY_FUNCTIONS',
  'TOPIC_ARN',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_TRACE_ENABLED',
  'POWERTOOLS_SERVICE_NAME',
] as const;

let active: World | undefined;

function mergeTiming(overrides: TimingOverrides | undefined): WorldTiming {
  return { ...DEFAULT_TIMING, ...overrides, asg: { ...DEFAULT_ASG_TIMING, ...overrides?.asg } };
}

/** The remediation machine's top-level timeout (docs/contracts.md: the stack's formula). */
export function remediationTimeoutSeconds(config: Config): number {
  return (config.remediation.replacementTimeoutMinutes + config.remediation.verifyTimeoutMinutes + 20) * 60;
}

/** The config with each link's canary targets replaced by `targets(linkIndex)`. */
function withTargets(raw: Config, targets: (link: number) => { host: string; port: number }[]): Config {
  return parseConfig(
    {
      ...raw,
      links: raw.links.map((link, index) => ({
        ...link,
        canary: { ...link.canary, targets: targets(index) },
      })),
    },
    'sandbox config',
  );
}

export class World {
  readonly clock: SimClock;
  readonly config: Config;
  readonly timing: WorldTiming;
  readonly start: number;
  readonly ids = new IdFactory();
  readonly calls = new CallLog();
  readonly ec2: Ec2Model;
  readonly asg: AutoScalingModel;
  readonly cloudwatch: CloudWatchModel;
  readonly dynamodb: DynamoDbModel;
  readonly sns: SnsModel;
  readonly sfn: SfnModel;
  readonly events: WorldEvent[] = [];
  /** Faults applied so far (with their simulated times), for time-to-detect. */
  readonly faults: { readonly at: number; readonly fault: Fault }[] = [];
  /** Errors inside the world itself (a bug, not an AWS error): `run` throws the first. */
  readonly errors: Error[] = [];

  private readonly links = new Map<string, LinkState>();
  private readonly commandFaults: CommandFault[] = [];
  private readonly tunnelPending = new Map<TunnelRecord, { to: 'UP' | 'DOWN'; handle: TimerHandle }>();
  private readonly lifecycle = new Map<string, string>();
  private readonly running = new Map<ExecutionRecord, AbortController>();
  private readonly handlers = new Map<string, { id: FunctionId; handler: Handler; vpcId?: string }>();
  private readonly restores: (() => void)[] = [];
  private readonly options: WorldOptions;
  private monitorPausedUntil = 0;
  private invocations = 0;
  private disposed = false;

  private constructor(options: WorldOptions, config: Config, hosts: RemoteHost[][], start: number) {
    this.options = options;
    this.config = config;
    this.timing = mergeTiming(options.timing);
    this.start = start;
    this.clock = new SimClock({ start });
    const now = () => this.clock.now();
    this.ec2 = new Ec2Model(this.ids, now, ACCOUNT);
    this.asg = new AutoScalingModel(
      this.ec2,
      this.ids,
      { after: (s, l, f) => this.after(s, l, f), changed: () => this.changed(), now },
      this.timing.asg,
      ACCOUNT,
    );
    this.cloudwatch = new CloudWatchModel(HOME_REGION, ACCOUNT, now);
    this.dynamodb = new DynamoDbModel(now, this.timing.ttlDeletionLagSeconds);
    this.sns = new SnsModel(now);
    this.sfn = new SfnModel((machine, name, input, startedBy) =>
      this.launchExecution(machine, name, input, startedBy),
    );
    config.links.forEach((link, index) => {
      this.links.set(link.name, {
        hosts: hosts[index] ?? [],
        hostMode: 'answering',
        pathOk: true,
        forcedDown: new Set(),
        latencyHigh: false,
        remoteDown: false,
        gatewayInstanceId: null,
      });
    });
  }

  /**
   * Builds a world: starts the remote hosts, seeds every resource of the config (healthy, with
   * `historyMinutes` of healthy metrics), installs the SDK mocks, the simulated Date and the
   * handlers' environment. Only one world may exist at a time; call {@link dispose} when done.
   */
  static async create(options: WorldOptions): Promise<World> {
    if (active) throw new WorldError('a world is already running: dispose it first');
    const base = parseConfig(options.config, 'scenario config');
    for (const link of base.links) {
      for (const target of link.canary.targets) {
        if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(target.host)) {
          throw new WorldError(
            `links.${link.name}.canary.targets: ${target.host} is not a loopback address; sandbox configs probe 127.x listeners only`,
          );
        }
      }
    }
    const start = new Date(options.start ?? DEFAULT_START).getTime();
    if (!Number.isFinite(start)) throw new WorldError(`start ${String(options.start)} is not a date`);
    const hosts: RemoteHost[][] = [];
    try {
      if (options.remoteHosts !== false) {
        for (const [index, link] of base.links.entries()) {
          hosts.push(
            await Promise.all(link.canary.targets.map((_, t) => RemoteHost.start(loopbackAddress(index, t)))),
          );
        }
      }
      const config =
        options.remoteHosts !== false
          ? withTargets(base, (index) => (hosts[index] ?? []).map((h) => ({ host: h.host, port: h.port })))
          : withTargets(
              base,
              (index) =>
                base.links[index]?.canary.targets.map((_, t) => ({
                  host: loopbackAddress(index, t),
                  port: 1,
                })) ?? [],
            );
      const world = new World(options, config, hosts, start);
      active = world;
      try {
        world.seed();
        await world.install();
      } catch (error) {
        await world.dispose();
        throw error;
      }
      return world;
    } catch (error) {
      await Promise.all(hosts.flat().map((h) => h.close()));
      throw error;
    }
  }

  // Seeding ---------------------------------------------------------------------------------------

  private seed(): void {
    const { config } = this;
    const history = (this.options.historyMinutes ?? 10) * 60_000;
    for (const link of config.links) {
      const vpcId = link.canary.vpcId;
      const subnetId = `subnet-${vpcId.slice(4, 12)}0a11ce5ba`;
      const existing = this.asg.groups.get(link.gateway.autoScalingGroupName);
      if (existing)
        throw new WorldError(`links share Auto Scaling group ${existing.name}: one gateway group per link`);
      const { instanceId } = this.asg.createGroup({
        name: link.gateway.autoScalingGroupName,
        region: HOME_REGION,
        vpcId,
        subnetId,
        availabilityZone: `${HOME_REGION}a`,
        sourceDestCheck: false,
      });
      const instance = this.ec2.instances.get(instanceId);
      if (!instance) throw new WorldError('seed: gateway instance missing');
      const state = this.links.get(link.name);
      if (state) state.gatewayInstanceId = instanceId;
      this.ec2.addresses.set(link.gateway.elasticIpAllocationId, {
        allocationId: link.gateway.elasticIpAllocationId,
        region: HOME_REGION,
        publicIp: this.ids.publicIp(),
        associationId: this.ids.next('eipassoc'),
        eniId: instance.eniId,
      });
      for (const routeTableId of link.gateway.routeTableIds) {
        let table = this.ec2.routeTables.get(routeTableId);
        if (!table) {
          table = {
            routeTableId,
            region: HOME_REGION,
            vpcId,
            routes: [
              { destination: '10.0.0.0/16', target: { kind: 'local' }, origin: 'CreateRouteTable' },
              // A route VPN Guard does not own: it must never be touched.
              {
                destination: '0.0.0.0/0',
                target: { kind: 'gateway', gatewayId: `igw-${vpcId.slice(4)}` },
                origin: 'CreateRoute',
              },
            ],
          };
          this.ec2.routeTables.set(routeTableId, table);
        }
        for (const cidr of link.gateway.remoteCidrs) {
          table.routes.push({
            destination: cidr,
            target: { kind: 'eni', eniId: instance.eniId },
            origin: 'CreateRoute',
          });
        }
      }
      for (const [index, vpnConnectionId] of link.vpn.vpnConnectionIds.entries()) {
        if (this.ec2.vpnConnections.has(vpnConnectionId)) continue;
        this.ec2.vpnConnections.set(vpnConnectionId, {
          vpnConnectionId,
          region: link.vpn.region,
          customerGatewayId: this.ids.next('cgw'),
          vpnGatewayId: this.ids.next('vgw'),
          state: 'available',
          tunnels: [1, 2].map((t) => ({
            outsideIp: `198.51.100.${(index * 2 + t) % 250}`,
            status: 'UP' as const,
            statusMessage: '',
            lastStatusChange: this.start - 3 * 86_400_000,
          })),
        });
      }
      const specs = linkAlarmSpecs(config, link);
      this.cloudwatch.addLinkAlarms(
        link.name,
        specs.metricAlarms,
        specs.unhealthy,
        compositeRule(specs.unhealthy),
        'OK',
        this.start - history,
      );
      const tunnels = link.vpn.vpnConnectionIds.length * 2;
      for (let t = this.start - history; t < this.start; t += 60_000) {
        const at = t + this.timing.tickOffsetSeconds * 1000;
        const seed = (metric: string, value: number) =>
          this.cloudwatch.seed(config.namespace, metric, { Link: link.name }, at, value);
        seed(METRICS.tunnelCheckSuccess, 1);
        seed(METRICS.tunnelsUp, tunnels);
        seed(METRICS.tunnelCheckLatency, 40);
        seed(METRICS.canarySuccess, 1);
        seed(METRICS.canaryLoss, 0);
        seed(METRICS.canaryLatency, 0.2);
      }
    }
    this.dynamodb.createTable({ name: LOCK_TABLE_NAME, keys: ['pk'], ttlAttribute: 'expiresAt' });
    this.sns.topics.add(TOPIC_ARN);
    const fn = (id: string) => localFunctionArn(id, HOME_REGION, ACCOUNT);
    const machineArn = (name: string) => `arn:aws:states:${HOME_REGION}:${ACCOUNT}:stateMachine:${name}`;
    const monitor = JSON.parse(
      substituteAsl('monitor', {
        CheckTunnelFunctionArn: fn('check-tunnel'),
        PublishMetricFunctionArn: fn('publish-metric'),
        StartRemediationFunctionArn: fn('start-remediation'),
      }),
    ) as { TimeoutSeconds?: number };
    const remediation = JSON.parse(
      substituteAsl('remediation', {
        RemediationGuardFunctionArn: fn('remediation-guard'),
        GatewayFunctionArn: fn('gateway'),
        CheckTunnelFunctionArn: fn('check-tunnel'),
        PublishMetricFunctionArn: fn('publish-metric'),
        NotifyFunctionArn: fn('notify'),
      }),
    ) as { TimeoutSeconds?: number };
    const monitorTimeout = monitor.TimeoutSeconds;
    delete monitor.TimeoutSeconds;
    delete remediation.TimeoutSeconds;
    this.sfn.addMachine({
      id: 'monitor',
      arn: machineArn('vpn-guard-monitor'),
      type: 'EXPRESS',
      definition: JSON.stringify(monitor),
      timeoutSeconds: monitorTimeout,
    });
    this.sfn.addMachine({
      id: 'remediation',
      arn: machineArn('vpn-guard-remediation'),
      type: 'STANDARD',
      definition: JSON.stringify(remediation),
      // The stack replaces the file's TimeoutSeconds with this (docs/contracts.md).
      timeoutSeconds: remediationTimeoutSeconds(config),
    });
    for (const member of this.asg.groups.values()) {
      for (const m of member.members) this.lifecycle.set(m.instanceId, m.lifecycleState);
    }
  }

  /** The ARN of the canary function of a VPC. */
  canaryFunctionArn(vpcId: string): string {
    return localFunctionArn(`ping-canary-${vpcId}`, HOME_REGION, ACCOUNT);
  }

  private canaryVpcs(): string[] {
    return [...new Set(this.config.links.map((link) => link.canary.vpcId))];
  }

  private async install(): Promise<void> {
    const saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
    this.restores.push(() => {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });
    const env: Record<string, string> = {
      AWS_REGION: HOME_REGION,
      VPN_GUARD_CONFIG: JSON.stringify(this.config),
      REMEDIATION_STATE_MACHINE_ARN: this.sfn.machine('remediation').arn,
      LOCK_TABLE_NAME,
      LOCK_TTL_SECONDS: String(remediationTimeoutSeconds(this.config) + 300),
      CANARY_FUNCTIONS: JSON.stringify(
        Object.fromEntries(this.canaryVpcs().map((vpc) => [vpc, this.canaryFunctionArn(vpc)])),
      ),
      TOPIC_ARN,
    };
    Object.assign(process.env, env);
    // Quiet handlers unless the caller asked for their logs.
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
    process.env.POWERTOOLS_SERVICE_NAME ??= 'vpn-guard-sandbox';

    this.restores.push(installSimulatedDate(() => this.clock.now()));
    this.restores.push(
      installClientMocks((service, command, region, input) => this.dispatch(service, command, region, input)),
    );

    const modules = await loadHandlerModules();
    for (const id of FUNCTION_IDS) {
      this.handlers.set(localFunctionArn(id, HOME_REGION, ACCOUNT), { id, handler: modules[id] });
    }
    for (const vpcId of this.canaryVpcs()) {
      const handler = modules.createCanaryHandler({ ...process.env, CANARY_VPC_ID: vpcId }) as Handler;
      this.handlers.set(this.canaryFunctionArn(vpcId), { id: 'ping-canary', handler, vpcId });
    }

    const minute = 60_000;
    const firstMinute = Math.ceil(this.start / minute) * minute;
    if (this.options.alarms !== false) {
      const evaluate = (at: number) =>
        this.clock.scheduleAt(at, 'CloudWatch evaluates alarms', () =>
          this.guarded(() => {
            // Evaluate after everything else due at this instant (a Wait state waking up and
            // publishing, say): a datapoint stamped now belongs to the period being evaluated.
            if (this.clock.nextEventAt() === at) {
              evaluate(at);
              return;
            }
            this.onTransitions(this.cloudwatch.evaluate());
            evaluate(at + minute);
          }),
        );
      let first = Math.floor(this.start / minute) * minute + this.timing.alarmEvaluationOffsetSeconds * 1000;
      if (first < this.start) first += minute;
      evaluate(first);
    }
    const sweep = (at: number) =>
      this.clock.scheduleAt(at, 'DynamoDB TTL sweep', () =>
        this.guarded(() => {
          this.dynamodb.sweepTtl();
          sweep(at + minute);
        }),
      );
    sweep(firstMinute + minute);
    if (this.options.monitor !== false) this.startScheduler();
    this.changed();
  }

  private startScheduler(): void {
    const rate = /^rate\((\d+) minutes?\)$/.exec(this.config.schedule);
    if (!rate) {
      throw new UnmodelledCommandError(
        `the sandbox's scheduler models rate(N minutes) only, not ${this.config.schedule}`,
      );
    }
    const every = Number(rate[1]) * 60_000;
    const tick = (at: number) =>
      this.clock.scheduleAt(at, 'EventBridge Scheduler tick', () =>
        this.guarded(() => {
          if (this.clock.now() >= this.monitorPausedUntil) this.startMonitorExecution();
          tick(at + every);
        }),
      );
    tick(Math.ceil(this.start / 60_000) * 60_000 + this.timing.tickOffsetSeconds * 1000);
  }

  /** The Monitor's input, as the stack's schedule sends it. */
  monitorInput(): { canaryGroups: { vpcId: string; functionName: string; links: string[] }[] } {
    return {
      canaryGroups: this.canaryVpcs().map((vpcId) => ({
        vpcId,
        functionName: this.canaryFunctionArn(vpcId),
        links: this.config.links.filter((link) => link.canary.vpcId === vpcId).map((link) => link.name),
      })),
    };
  }

  /** Starts one Monitor execution now (what the scheduler does each minute). */
  startMonitorExecution(): ExecutionRecord {
    const machine = this.sfn.machine('monitor');
    const record = this.launchExecution(
      machine,
      `tick-${compactUtc(new Date(this.clock.now()))}`,
      JSON.stringify(this.monitorInput()),
      'scheduler',
    );
    this.sfn.executions.push(record);
    return record;
  }

  // Running ---------------------------------------------------------------------------------------

  /** Seconds of simulated time since the start. */
  elapsedSeconds(): number {
    return (this.clock.now() - this.start) / 1000;
  }

  /** Runs the world until `seconds` after its start (simulated). Throws the world's own errors. */
  async runUntil(seconds: number): Promise<void> {
    await this.clock.runUntil(this.start + seconds * 1000);
    this.throwErrors();
  }

  /** Runs the world `seconds` further. */
  async advance(seconds: number): Promise<void> {
    await this.runUntil(this.elapsedSeconds() + seconds);
  }

  /** Runs until `execution` has ended (or `limitSeconds` more have passed). */
  async runUntilDone(execution: ExecutionRecord, limitSeconds = 3 * 3600): Promise<void> {
    const limit = this.elapsedSeconds() + limitSeconds;
    while (execution.status === 'RUNNING' && this.elapsedSeconds() < limit) {
      const next = this.clock.nextEventAt();
      if (next === undefined) {
        await this.clock.settle();
        if (execution.status === 'RUNNING')
          throw new WorldError(`execution ${execution.name} is stuck: nothing left to happen`);
        break;
      }
      await this.clock.runUntil(Math.min(next, this.start + limit * 1000));
      this.throwErrors();
    }
  }

  /** Schedules `fire` at `seconds` after the start (simulated). */
  at(seconds: number, label: string, fire: () => void): TimerHandle {
    return this.clock.scheduleAt(this.start + seconds * 1000, label, () => this.guarded(fire));
  }

  private after(seconds: number, label: string, fire: () => void): TimerHandle {
    return this.clock.scheduleIn(seconds, label, () => this.guarded(fire));
  }

  private guarded(fire: () => void): void {
    try {
      fire();
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    this.errors.push(error instanceof Error ? error : new Error(String(error)));
  }

  private throwErrors(): void {
    const [first] = this.errors;
    if (first) throw first;
  }

  private emit(kind: WorldEvent['kind'], message: string, link?: string): void {
    const event: WorldEvent = { at: this.clock.now(), kind, message, ...(link ? { link } : {}) };
    this.events.push(event);
    this.options.onEvent?.(event);
  }

  // AWS calls -------------------------------------------------------------------------------------

  private async dispatch(
    service: Service,
    command: string,
    region: string,
    input: unknown,
  ): Promise<unknown> {
    if (this.disposed) throw new WorldError(`${service} ${command} called after the world was disposed`);
    const record = this.calls.record({
      at: this.clock.now(),
      service,
      region,
      command,
      input: structuredClone(input),
      mutating: MUTATING_COMMANDS.has(command),
    });
    try {
      this.checkCommandFaults(service, command, region, input);
      const output = this.serve(service, command, region, input);
      if (record.mutating) this.changed();
      return output;
    } catch (error) {
      const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
      record.error = { name, message };
      if (error instanceof UnmodelledCommandError) this.fail(error);
      throw error;
    }
  }

  private serve(service: Service, command: string, region: string, input: unknown): unknown {
    // biome-ignore lint/suspicious/noExplicitAny: each command's input is typed by its model method
    const i = input as any;
    const home = () => {
      if (region !== HOME_REGION) {
        throw awsError(
          service,
          service === 'dynamodb' ? 'ResourceNotFoundException' : 'NotFound',
          `no VPN Guard resources in ${region}`,
        );
      }
    };
    switch (`${service}:${command}`) {
      case 'ec2:DescribeVpnConnections':
        return this.ec2.describeVpnConnections(region, i);
      case 'ec2:DescribeInstances':
        return this.ec2.describeInstances(region, i);
      case 'ec2:DescribeAddresses':
        return this.ec2.describeAddresses(region, i);
      case 'ec2:DescribeRouteTables':
        return this.ec2.describeRouteTables(region, i);
      case 'ec2:ModifyInstanceAttribute':
        this.ec2.modifyInstanceAttribute(region, i);
        return {};
      case 'ec2:AssociateAddress':
        return this.ec2.associateAddress(region, i);
      case 'ec2:ReplaceRoute':
        this.ec2.replaceRoute(region, i);
        return {};
      case 'ec2:CreateRoute':
        this.ec2.createRoute(region, i);
        return { Return: true };
      case 'autoscaling:DescribeAutoScalingGroups':
        return this.asg.describeAutoScalingGroups(region, i);
      case 'autoscaling:TerminateInstanceInAutoScalingGroup':
        return this.asg.terminateInstanceInAutoScalingGroup(region, i);
      case 'cloudwatch:PutMetricData':
        home();
        this.cloudwatch.putMetricData(i);
        return {};
      case 'cloudwatch:DescribeAlarms':
        home();
        return this.cloudwatch.describeAlarms(i);
      case 'dynamodb:GetItem':
        home();
        return this.dynamodb.getItem(i);
      case 'dynamodb:PutItem':
        home();
        return this.dynamodb.putItem(i);
      case 'dynamodb:UpdateItem':
        home();
        return this.dynamodb.updateItem(i);
      case 'dynamodb:DeleteItem':
        home();
        return this.dynamodb.deleteItem(i);
      case 'sns:Publish': {
        home();
        const caller = callerContext.getStore();
        const { output, message } = this.sns.publish(i, caller?.functionId ?? 'unknown');
        if (caller) {
          message.invocationId = caller.invocationId;
          if (caller.executionName) message.executionName = caller.executionName;
        }
        return output;
      }
      case 'sfn:StartExecution': {
        home();
        const caller = callerContext.getStore();
        return this.sfn.startExecution(i, caller?.functionId ?? 'unknown');
      }
      default:
        throw new UnmodelledCommandError(`the sandbox world does not model ${service} ${command}`);
    }
  }

  private checkCommandFaults(service: Service, command: string, region: string, input: unknown): void {
    const now = this.clock.now();
    for (const fault of this.commandFaults) {
      if (fault.service !== service) continue;
      if (fault.until !== undefined && now >= fault.until) continue;
      if (fault.remaining !== undefined && fault.remaining <= 0) continue;
      if (fault.regions && !fault.regions.includes(region)) continue;
      if (fault.commands && !fault.commands.includes(command)) continue;
      if (fault.match && !fault.match(input)) continue;
      if (fault.remaining !== undefined) fault.remaining -= 1;
      throw awsError(service, fault.error, fault.message, fault.fault);
    }
  }

  // Lambda invocations ----------------------------------------------------------------------------

  private async invoke(
    arn: string,
    event: unknown,
    context: Context,
    meta: Omit<CallerContext, 'functionId' | 'invocationId'>,
  ): Promise<unknown> {
    const entry = this.handlers.get(arn);
    if (!entry) throw new WorldError(`no function ${arn} in this world`);
    const invocationId = ++this.invocations;
    const caller: CallerContext = { functionId: entry.id, invocationId, ...meta };
    const label = `${entry.id}${meta.state ? ` (${meta.state})` : ''}${meta.executionName ? ` in ${meta.executionName}` : ''}`;
    const run = async () => {
      if (entry.id === 'ping-canary')
        return this.invokeCanary(entry.handler, event, context, entry.vpcId ?? '');
      return entry.handler(event, context);
    };
    const result = await this.clock.track(label, callerContext.run(caller, run));
    if (entry.id === 'notify') this.labelNotification(invocationId, result, event);
    return result;
  }

  /** Labels the SNS messages a notify invocation published with the report's outcome. */
  private labelNotification(invocationId: number, result: unknown, event: unknown): void {
    const outcome =
      (result as { report?: { outcome?: string } } | null)?.report?.outcome ??
      (event as { outcome?: string } | null)?.outcome ??
      'unknown';
    for (const message of this.sns.messages) {
      if (message.invocationId === invocationId) {
        message.kind = outcome;
        this.emit('notification', `notification "${outcome}": ${message.subject ?? ''}`);
      }
    }
  }

  private async invokeCanary(
    handler: Handler,
    event: unknown,
    context: Context,
    vpcId: string,
  ): Promise<unknown> {
    await this.hostsSettled();
    const names =
      (event as { links?: string[] } | null)?.links ??
      this.config.links.filter((l) => l.canary.vpcId === vpcId).map((l) => l.name);
    const slow = names.flatMap((name) => {
      const state = this.links.get(name);
      return state?.latencyHigh && state.hostMode === 'answering' ? state.hosts : [];
    });
    await Promise.all(slow.map((host) => host.slowOnce(this.timing.slowHandshakeReopenMs)));
    try {
      return await handler(event, context);
    } finally {
      await this.hostsSettled();
    }
  }

  private async hostsSettled(): Promise<void> {
    await Promise.all([...this.links.values()].flatMap((state) => state.hosts.map((host) => host.settled())));
  }

  private functionsFor(record: ExecutionRecord): Record<string, LocalLambda> {
    const functions: Record<string, LocalLambda> = {};
    for (const arn of this.handlers.keys()) {
      functions[arn] = (event, context, invocation) => {
        if (invocation?.state) {
          record.currentState = invocation.state;
          if (record.machine === 'remediation') this.emit('state', `${record.name}: ${invocation.state}`);
        }
        return this.invoke(arn, event, context, {
          executionName: record.name,
          machine: record.machine,
          via: 'sfn',
          ...(invocation?.state ? { state: invocation.state } : {}),
        });
      };
    }
    return functions;
  }

  private launchExecution(
    machine: MachineRecord,
    name: string,
    input: string,
    startedBy: string,
  ): ExecutionRecord {
    const arn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const controller = new AbortController();
    const record: ExecutionRecord = {
      machine: machine.id,
      name,
      arn,
      input,
      startDate: this.clock.now(),
      startedBy,
      status: 'RUNNING',
      history: [],
      path: [],
      done: Promise.resolve(),
    };
    this.running.set(record, controller);
    if (machine.id === 'remediation') this.emit('execution', `remediation ${name} started by ${startedBy}`);
    let timedOut = false;
    const timer =
      machine.timeoutSeconds === undefined
        ? undefined
        : this.after(machine.timeoutSeconds, `${name} times out`, () => {
            timedOut = true;
            controller.abort(new Error('States.Timeout'));
          });
    record.done = this.clock
      .spawn(`${machine.id} ${name}`, async (activity) => {
        try {
          const result = await runLocalExecution({
            definition: machine.definition,
            functions: this.functionsFor(record),
            input: JSON.parse(input),
            executionName: name,
            stateMachineArn: machine.arn,
            now: () => new Date(this.clock.now()),
            sleep: (seconds) => activity.sleep(seconds, controller.signal),
            signal: controller.signal,
          });
          record.status = result.status;
          record.history = result.history;
          record.path = result.path;
          if (result.status === 'SUCCEEDED') record.output = result.output;
          else {
            record.error = result.error;
            record.cause = result.cause;
          }
        } catch (error) {
          if (error instanceof LocalExecutionAbortedError) {
            record.status = timedOut ? 'TIMED_OUT' : 'ABORTED';
            record.history = error.history;
            record.path = error.path;
            if (timedOut) {
              record.error = 'States.Timeout';
              record.cause = `the execution ran past its TimeoutSeconds (${machine.timeoutSeconds} s)`;
            }
          } else {
            record.status = 'FAILED';
            record.error = 'Sandbox.RunnerError';
            record.cause = error instanceof Error ? error.message : String(error);
            this.fail(error);
          }
        } finally {
          timer?.cancel();
          record.stopDate = this.clock.now();
          this.running.delete(record);
          if (machine.id === 'remediation') {
            const outcome = (record.output as { outcome?: string } | undefined)?.outcome;
            this.emit(
              'execution',
              `remediation ${name} ${record.status}${outcome ? ` (${outcome})` : record.error ? ` (${record.error})` : ''}`,
            );
          } else if (record.status !== 'SUCCEEDED') {
            this.emit('execution', `monitor ${name} ${record.status}: ${record.error ?? ''}`);
          }
        }
      })
      .catch((error) => this.fail(error));
    return record;
  }

  /** Starts a Remediation execution as a person or a drill would (StartExecution through the SDK model). */
  startRemediation(request: {
    link?: string;
    trigger?: Trigger;
    dryRun?: boolean;
    reason?: string;
    /** A raw execution input, sent as is (bad-input drills). */
    input?: unknown;
    /** The execution name (default: the contract's `<link>-<trigger>-<UTC>`). */
    name?: string;
  }): ExecutionRecord {
    const trigger = request.trigger ?? 'drill';
    const input =
      request.input !== undefined
        ? request.input
        : {
            link: request.link,
            trigger,
            dryRun: request.dryRun ?? false,
            ...(request.reason ? { reason: request.reason } : {}),
          };
    const name =
      request.name ??
      remediationExecutionName(
        (request.link ?? 'unknown').replace(/[^a-z0-9-]/g, '') || 'unknown',
        trigger,
        new Date(this.clock.now()),
      );
    const caller: CallerContext = { functionId: 'harness', invocationId: ++this.invocations, via: 'harness' };
    const output = callerContext.run(caller, () => {
      const call = this.calls.record({
        at: this.clock.now(),
        service: 'sfn',
        region: HOME_REGION,
        command: 'StartExecution',
        input: { stateMachineArn: this.sfn.machine('remediation').arn, name, input: JSON.stringify(input) },
        mutating: true,
      });
      try {
        return this.sfn.startExecution(
          { stateMachineArn: this.sfn.machine('remediation').arn, name, input: JSON.stringify(input) },
          'harness',
        );
      } catch (error) {
        call.error = { name: (error as Error).name, message: (error as Error).message };
        throw error;
      }
    });
    const record = this.sfn.executions.find((e) => e.arn === output.executionArn);
    if (!record)
      throw new WorldError(`StartExecution returned ${output.executionArn}, which the world does not know`);
    this.emit(
      'trigger',
      `${trigger}${request.dryRun ? ' (dry run)' : ''} started ${record.name}`,
      request.link,
    );
    return record;
  }

  /** Remediation executions, in start order. */
  remediations(): ExecutionRecord[] {
    return this.sfn.of('remediation');
  }

  /** Monitor executions, in start order. */
  monitorExecutions(): ExecutionRecord[] {
    return this.sfn.of('monitor');
  }

  // CloudWatch alarm actions and EventBridge --------------------------------------------------------

  private onTransitions(transitions: readonly AlarmTransition[]): void {
    for (const transition of transitions) {
      const short = transition.alarmName.slice(this.config.namespace.length + transition.link.length + 2);
      this.emit('alarm', `${short} ${transition.from} -> ${transition.to}`, transition.link);
      // Every alarm notifies the topic of its ALARM and OK transitions (the stack's alarm actions).
      if (transition.to === 'ALARM' || transition.to === 'OK') {
        const message = this.sns.publish(
          {
            TopicArn: TOPIC_ARN,
            Subject:
              `${transition.to === 'ALARM' ? 'ALARM' : 'OK'}: "${transition.alarmName}" in US East (N. Virginia)`.slice(
                0,
                99,
              ),
            Message: JSON.stringify({
              AlarmName: transition.alarmName,
              AlarmDescription: transition.description,
              NewStateValue: transition.to,
              OldStateValue: transition.from,
              NewStateReason: transition.reason,
              StateChangeTime: new Date(transition.at).toISOString(),
              Region: 'US East (N. Virginia)',
              AlarmArn: transition.alarmArn,
            }),
          },
          'cloudwatch',
        ).message;
        message.kind = 'alarm';
        message.alarm = { name: transition.alarmName, state: transition.to };
      }
      if (transition.kind !== 'composite') continue;
      const event = this.alarmEvent(transition);
      const state = this.links.get(transition.link);
      if (state && transition.to === 'ALARM') state.lastAlarmEvent = event;
      // The stack's rule: detail.alarmName is a link's Unhealthy alarm and detail.state.value ALARM.
      const names = this.config.links.map((link) =>
        linkAlarmName(this.config.namespace, link.name, 'Unhealthy'),
      );
      if (transition.to === 'ALARM' && names.includes(transition.alarmName))
        this.deliverEvent(event, transition.link);
    }
  }

  private alarmEvent(transition: AlarmTransition): unknown {
    // CloudWatch's own timestamp format: 2026-11-26T12:03:50.000+0000.
    const stamp = (at: number) => new Date(at).toISOString().replace('Z', '+0000');
    return {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: ACCOUNT,
      time: new Date(transition.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: HOME_REGION,
      resources: [transition.alarmArn],
      detail: {
        alarmName: transition.alarmName,
        state: { value: transition.to, reason: transition.reason, timestamp: stamp(transition.at) },
        previousState: { value: transition.from, reason: '', timestamp: stamp(transition.at) },
        configuration: { alarmRule: transition.rule, description: transition.description },
      },
    };
  }

  /** EventBridge → start-remediation: an asynchronous invocation, retried twice by Lambda on error. */
  private deliverEvent(event: unknown, link: string): void {
    this.emit('trigger', 'EventBridge rule delivers the Unhealthy ALARM event to start-remediation', link);
    const arn = localFunctionArn('start-remediation', HOME_REGION, ACCOUNT);
    this.clock
      .spawn('EventBridge delivery to start-remediation', async (activity) => {
        const delays = this.timing.asyncRetrySeconds;
        for (let attempt = 0; attempt <= delays.length; attempt++) {
          try {
            await this.invoke(arn, structuredClone(event), localLambdaContext(arn), { via: 'eventbridge' });
            return;
          } catch (error) {
            this.emit('trigger', `start-remediation failed on the event: ${(error as Error).name}`, link);
            const delay = delays[attempt];
            if (delay === undefined) return;
            await activity.sleep(delay);
          }
        }
      })
      .catch((error) => this.fail(error));
  }

  // The link model ---------------------------------------------------------------------------------

  /** The world changed: re-derive tunnels and canary paths from the resources. */
  changed(): void {
    if (this.disposed) return;
    for (const link of this.config.links) this.reconcileLink(link.name);
    this.reportLifecycle();
  }

  private reportLifecycle(): void {
    for (const group of this.asg.groups.values()) {
      const link = this.config.links.find((l) => l.gateway.autoScalingGroupName === group.name)?.name;
      for (const member of group.members) {
        const before = this.lifecycle.get(member.instanceId);
        if (before !== member.lifecycleState) {
          this.lifecycle.set(member.instanceId, member.lifecycleState);
          this.emit(
            'gateway',
            `${member.instanceId} ${before ? `${before} -> ` : ''}${member.lifecycleState} in ${group.name}`,
            link,
          );
        }
      }
      for (const [instanceId, state] of this.lifecycle) {
        if (state === 'Gone') continue;
        if (group.launched.includes(instanceId) && !group.members.some((m) => m.instanceId === instanceId)) {
          this.lifecycle.set(instanceId, 'Gone');
          this.emit('gateway', `${instanceId} left ${group.name} (terminated)`, link);
        }
      }
    }
  }

  private reconcileLink(name: string): void {
    const link = this.config.links.find((l) => l.name === name);
    const state = this.links.get(name);
    if (!link || !state) return;
    const gateway = this.ec2.holderOf(link.gateway.elasticIpAllocationId);
    const negotiates = gateway?.state === 'running' && gateway.ipsec === 'up';
    if ((gateway?.instanceId ?? null) !== state.gatewayInstanceId) {
      state.gatewayInstanceId = gateway?.instanceId ?? null;
      this.emit(
        'gateway',
        `Elastic IP ${link.gateway.elasticIpAllocationId} now on ${gateway?.instanceId ?? 'nothing'}`,
        name,
      );
    }
    let anyUp = false;
    for (const [connection, id] of link.vpn.vpnConnectionIds.entries()) {
      const vpn = this.ec2.vpnConnections.get(id);
      if (!vpn) continue;
      for (const [index, tunnel] of vpn.tunnels.entries()) {
        const forced = state.forcedDown.has(`${connection}:${index + 1}`);
        const desired = negotiates && !forced && vpn.state === 'available' ? 'UP' : 'DOWN';
        const delay =
          desired === 'UP'
            ? this.timing.tunnelUpSeconds +
              (connection * vpn.tunnels.length + index) * this.timing.tunnelUpStaggerSeconds
            : this.timing.tunnelDownSeconds;
        this.steerTunnel(name, vpn.vpnConnectionId, index, tunnel, desired, delay);
        if (tunnel.status === 'UP') anyUp = true;
      }
    }
    const eni = gateway ? this.ec2.enis.get(gateway.eniId) : undefined;
    const routesOk =
      gateway !== undefined &&
      link.gateway.routeTableIds.every((rtb) =>
        link.gateway.remoteCidrs.every((cidr) => {
          const route = this.ec2.routeTables.get(rtb)?.routes.find((r) => r.destination === cidr);
          return (
            route?.target.kind === 'eni' &&
            route.target.eniId === gateway.eniId &&
            this.ec2.routeState(route) === 'active'
          );
        }),
      );
    const pathOk = anyUp && negotiates && eni?.sourceDestCheck === false && routesOk;
    if (pathOk !== state.pathOk) {
      state.pathOk = pathOk;
      this.emit(
        'link',
        pathOk ? 'traffic flows across the link again' : 'traffic no longer crosses the link',
        name,
      );
    }
    const mode: HostMode = !pathOk ? 'silent' : state.remoteDown ? 'refusing' : 'answering';
    if (mode !== state.hostMode) {
      state.hostMode = mode;
      if (state.hosts.length > 0) {
        this.clock
          .track(
            `remote hosts of ${name} -> ${mode}`,
            Promise.all(state.hosts.map((host) => host.setMode(mode))),
          )
          .catch((error) => this.fail(error));
      }
    }
  }

  private steerTunnel(
    link: string,
    vpnConnectionId: string,
    index: number,
    tunnel: TunnelRecord,
    desired: 'UP' | 'DOWN',
    delaySeconds: number,
  ): void {
    const pending = this.tunnelPending.get(tunnel);
    if (tunnel.status === desired) {
      if (pending) {
        pending.handle.cancel();
        this.tunnelPending.delete(tunnel);
      }
      return;
    }
    if (pending?.to === desired) return;
    pending?.handle.cancel();
    const handle = this.after(delaySeconds, `tunnel ${index + 1} of ${vpnConnectionId} ${desired}`, () => {
      this.tunnelPending.delete(tunnel);
      if (this.ec2.setTunnel(tunnel, desired, desired === 'UP' ? '' : 'IPSEC IS DOWN')) {
        this.emit('tunnel', `${vpnConnectionId} tunnel ${index + 1} (${tunnel.outsideIp}) ${desired}`, link);
      }
      this.changed();
    });
    this.tunnelPending.set(tunnel, { to: desired, handle });
  }

  /** A link as the world sees it (for expectations and tests). */
  linkStatus(name: string): {
    healthy: boolean;
    gatewayInstanceId: string | null;
    tunnelsUp: number;
    routesToNonRunning: { routeTableId: string; destination: string; target: string; state: string }[];
  } {
    const link = this.config.links.find((l) => l.name === name);
    const state = this.links.get(name);
    if (!link || !state) throw new WorldError(`no link ${name} in this world`);
    const tunnelsUp = link.vpn.vpnConnectionIds
      .flatMap((id) => this.ec2.vpnConnections.get(id)?.tunnels ?? [])
      .filter((t) => t.status === 'UP').length;
    const routesToNonRunning = link.gateway.routeTableIds.flatMap((rtb) =>
      (this.ec2.routeTables.get(rtb)?.routes ?? []).flatMap((route) => {
        if (route.target.kind !== 'eni') return [];
        const target = route.target.eniId;
        const eni = this.ec2.enis.get(target);
        const instance = eni?.instanceId ? this.ec2.instances.get(eni.instanceId) : undefined;
        return instance?.state === 'running'
          ? []
          : [
              {
                routeTableId: rtb,
                destination: route.destination,
                target,
                state: this.ec2.routeState(route),
              },
            ];
      }),
    );
    return {
      healthy: state.pathOk && tunnelsUp >= link.vpn.minTunnelsUp,
      gatewayInstanceId: state.gatewayInstanceId,
      tunnelsUp,
      routesToNonRunning,
    };
  }

  /** The instances the link's group launched after the seeded one (replacements). */
  replacements(linkName: string): string[] {
    const link = this.config.links.find((l) => l.name === linkName);
    const group = link ? this.asg.groups.get(link.gateway.autoScalingGroupName) : undefined;
    return group ? group.launched.slice(1) : [];
  }

  // Faults -----------------------------------------------------------------------------------------

  /** Applies a fault now. */
  inject(fault: Fault): void {
    this.faults.push({ at: this.clock.now(), fault });
    const describe = JSON.stringify(fault);
    const { type, ...details } = fault;
    const { link: _link, ...shown } = details as { link?: string };
    const extra = Object.entries(shown)
      .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('/') : String(value)}`)
      .join(' ');
    this.emit(
      'fault',
      `fault: ${type}${extra ? ` (${extra})` : ''}`,
      'link' in fault ? fault.link : undefined,
    );
    const link = 'link' in fault && fault.link ? this.linkConfig(fault.link) : undefined;
    const until = (seconds: number | undefined) =>
      seconds === undefined ? undefined : this.clock.now() + seconds * 1000;
    switch (fault.type) {
      case 'tunnel-down':
      case 'tunnel-up': {
        const state = this.linkState(fault.link);
        const keys = this.tunnelKeys(fault.link, fault.connection, fault.tunnel);
        for (const key of keys) {
          if (fault.type === 'tunnel-down') state.forcedDown.add(key);
          else state.forcedDown.delete(key);
        }
        if (fault.type === 'tunnel-down' && fault.for !== undefined) {
          this.after(fault.for, `tunnels of ${fault.link} recover`, () => {
            for (const key of keys) state.forcedDown.delete(key);
            this.emit('fault', `fault over: tunnel-down (${fault.link})`, fault.link);
            this.changed();
          });
        }
        break;
      }
      case 'gateway-instance-dies': {
        const gateway = this.currentGateway(fault.link);
        this.ec2.beginTermination(gateway, 'Server.InternalError: Internal error on launch');
        this.after(this.timing.asg.shutdownSeconds, `${gateway} terminated by EC2`, () => {
          this.ec2.finishTermination(gateway);
          this.changed();
        });
        this.asg.instanceDiedOutside(gateway);
        break;
      }
      case 'ipsec-dies': {
        const gatewayId = this.currentGateway(fault.link);
        const instance = this.ec2.instances.get(gatewayId);
        if (instance) instance.ipsec = 'dead';
        if (fault.for !== undefined) {
          this.after(fault.for, `Libreswan restarts on ${gatewayId}`, () => {
            if (instance?.state === 'running' && instance.ipsec === 'dead') instance.ipsec = 'up';
            this.emit('fault', `fault over: ipsec-dies (${fault.link})`, fault.link);
            this.changed();
          });
        }
        break;
      }
      case 'api-throttled':
      case 'api-unavailable': {
        const regions =
          fault.region === undefined
            ? undefined
            : fault.region === 'home'
              ? [HOME_REGION]
              : fault.region === 'vpn'
                ? fault.link
                  ? [this.linkConfig(fault.link).vpn.region]
                  : [...new Set(this.config.links.map((l) => l.vpn.region))]
                : [fault.region];
        const throttled = fault.type === 'api-throttled';
        this.commandFaults.push({
          label: describe,
          service: fault.service,
          ...(regions ? { regions } : {}),
          ...(fault.commands ? { commands: fault.commands } : {}),
          error: throttled ? THROTTLING_ERROR[fault.service] : UNAVAILABLE_ERROR[fault.service],
          message: throttled
            ? fault.service === 'ec2'
              ? 'Request limit exceeded.'
              : 'Rate exceeded'
            : 'The service is unavailable. Please try again shortly.',
          fault: throttled ? 'client' : 'server',
          ...(fault.calls !== undefined ? { remaining: fault.calls } : {}),
          ...(fault.for !== undefined ? { until: until(fault.for) } : {}),
        });
        break;
      }
      case 'replacement-slow':
        this.asg.addBehaviour(this.linkConfig(fault.link).gateway.autoScalingGroupName, {
          bootSeconds: fault.bootSeconds,
          ...(fault.launches ? { launches: fault.launches } : {}),
        });
        break;
      case 'replacement-never-in-service':
        this.asg.addBehaviour(this.linkConfig(fault.link).gateway.autoScalingGroupName, {
          neverInService: true,
          ...(fault.launches ? { launches: fault.launches } : {}),
        });
        break;
      case 'replacement-tunnels-never-up':
        this.asg.addBehaviour(this.linkConfig(fault.link).gateway.autoScalingGroupName, {
          ipsecNeverUp: true,
          ...(fault.launches ? { launches: fault.launches } : {}),
        });
        break;
      case 'eip-association-fails': {
        const allocationId = this.linkConfig(fault.link).gateway.elasticIpAllocationId;
        this.commandFaults.push({
          label: describe,
          service: 'ec2',
          commands: ['AssociateAddress'],
          match: (input) => (input as { AllocationId?: string }).AllocationId === allocationId,
          error: fault.error ?? 'UnauthorizedOperation',
          message:
            fault.error === undefined || fault.error === 'UnauthorizedOperation'
              ? 'You are not authorized to perform this operation.'
              : `AssociateAddress failed (${fault.error})`,
          fault: 'client',
          ...(fault.calls !== undefined ? { remaining: fault.calls } : {}),
          ...(fault.for !== undefined ? { until: until(fault.for) } : {}),
        });
        break;
      }
      case 'route-update-fails': {
        const table = this.routeTableOf(fault.link, fault.table);
        this.commandFaults.push({
          label: describe,
          service: 'ec2',
          commands: ['ReplaceRoute', 'CreateRoute'],
          match: (input) => (input as { RouteTableId?: string }).RouteTableId === table,
          error: fault.error ?? 'UnauthorizedOperation',
          message:
            fault.error === undefined || fault.error === 'UnauthorizedOperation'
              ? 'You are not authorized to perform this operation.'
              : `route update failed (${fault.error})`,
          fault: 'client',
          ...(fault.calls !== undefined ? { remaining: fault.calls } : {}),
          ...(fault.for !== undefined ? { until: until(fault.for) } : {}),
        });
        break;
      }
      case 'latency-high': {
        const state = this.linkState(fault.link);
        state.latencyHigh = true;
        if (fault.for !== undefined) {
          this.after(fault.for, `latency of ${fault.link} back to normal`, () => {
            state.latencyHigh = false;
            this.emit('fault', `fault over: latency-high (${fault.link})`, fault.link);
          });
        }
        break;
      }
      case 'monitor-silent':
        this.monitorPausedUntil =
          fault.for === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + fault.for * 1000;
        break;
      case 'remote-host-down': {
        const state = this.linkState(fault.link);
        state.remoteDown = true;
        if (fault.for !== undefined) {
          this.after(fault.for, `remote hosts of ${fault.link} back`, () => {
            state.remoteDown = false;
            this.emit('fault', `fault over: remote-host-down (${fault.link})`, fault.link);
            this.changed();
          });
        }
        break;
      }
      case 'route-hijacked': {
        const tableId = this.routeTableOf(fault.link, fault.table);
        const table = this.ec2.routeTables.get(tableId);
        const cidr = link?.gateway.remoteCidrs[0];
        const route = table?.routes.find((r) => r.destination === cidr);
        if (!route) throw new WorldError(`route-hijacked: ${tableId} has no route to ${cidr}`);
        route.target = { kind: 'gateway', gatewayId: `vgw-${tableId.slice(4)}` };
        break;
      }
      case 'source-dest-check-enabled': {
        const instance = this.ec2.instances.get(this.currentGateway(fault.link));
        const eni = instance ? this.ec2.enis.get(instance.eniId) : undefined;
        if (eni) eni.sourceDestCheck = true;
        break;
      }
      case 'eip-disassociated': {
        const address = this.ec2.addresses.get(this.linkConfig(fault.link).gateway.elasticIpAllocationId);
        if (address) {
          address.eniId = null;
          address.associationId = null;
        }
        break;
      }
      case 'alarm-event-redelivered': {
        const event = this.linkState(fault.link).lastAlarmEvent;
        if (!event)
          throw new WorldError(
            `alarm-event-redelivered: ${fault.link}'s Unhealthy alarm has not entered ALARM yet`,
          );
        this.deliverEvent(structuredClone(event), fault.link);
        break;
      }
      case 'lock-held': {
        const now = this.clock.now();
        const expires = Math.floor(now / 1000) + (fault.expiresIn ?? 1800);
        this.dynamodb.seedItem(LOCK_TABLE_NAME, {
          pk: { S: lockKey(fault.link) },
          holder: {
            S:
              fault.holder ??
              `${this.sfn.machine('remediation').arn.replace(':stateMachine:', ':execution:')}:${fault.link}-manual-20261126T000000`,
          },
          acquiredAt: { S: new Date(now).toISOString() },
          expiresAt: { N: String(expires) },
        });
        break;
      }
    }
    this.changed();
  }

  private linkConfig(name: string) {
    const link = this.config.links.find((l) => l.name === name);
    if (!link) {
      throw new WorldError(
        `no link "${name}" in the config (links: ${this.config.links.map((l) => l.name).join(', ')})`,
      );
    }
    return link;
  }

  private linkState(name: string): LinkState {
    this.linkConfig(name);
    const state = this.links.get(name);
    if (!state) throw new WorldError(`no link "${name}"`);
    return state;
  }

  private tunnelKeys(name: string, connection?: number, tunnel?: 1 | 2): string[] {
    const link = this.linkConfig(name);
    const connections = connection === undefined ? link.vpn.vpnConnectionIds.map((_, i) => i) : [connection];
    if (connection !== undefined && connection >= link.vpn.vpnConnectionIds.length) {
      throw new WorldError(
        `link ${name} has ${link.vpn.vpnConnectionIds.length} VPN connection(s), not ${connection + 1}`,
      );
    }
    return connections.flatMap((c) => (tunnel === undefined ? [1, 2] : [tunnel]).map((t) => `${c}:${t}`));
  }

  private routeTableOf(name: string, table: number | string | undefined): string {
    const ids = this.linkConfig(name).gateway.routeTableIds;
    const id = typeof table === 'string' ? table : ids[table ?? 0];
    if (!id || !ids.includes(id)) throw new WorldError(`link ${name} has no route table ${String(table)}`);
    return id;
  }

  /** The instance currently serving as the link's gateway (holding its EIP, else the group's InService one). */
  private currentGateway(name: string): string {
    const link = this.linkConfig(name);
    const holder = this.ec2.holderOf(link.gateway.elasticIpAllocationId);
    if (holder) return holder.instanceId;
    const group = this.asg.groups.get(link.gateway.autoScalingGroupName);
    const member = group?.members.find((m) => m.lifecycleState === 'InService');
    if (!member) throw new WorldError(`link ${name} has no gateway instance to break`);
    return member.instanceId;
  }

  // Teardown ---------------------------------------------------------------------------------------

  /** Stops every execution, restores the real SDK, Date and env, and closes every listener. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    for (const controller of this.running.values()) controller.abort(new Error('world disposed'));
    this.disposed = true;
    this.clock.clear();
    // Let aborted executions unwind (they only wait on microtasks now).
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const restore of this.restores.reverse()) restore();
    this.restores.length = 0;
    await Promise.all([...this.links.values()].flatMap((state) => state.hosts.map((host) => host.close())));
    if (active === this) active = undefined;
  }
}

/** The product's handler modules, loaded once (after the world has set their environment). */
async function loadHandlerModules(): Promise<
  Record<(typeof FUNCTION_IDS)[number], Handler> & {
    createCanaryHandler: (env: NodeJS.ProcessEnv) => unknown;
  }
> {
  const [checkTunnel, publishMetric, startRemediation, guard, gateway, notify, canary] = await Promise.all([
    import('#functions/check-tunnel/handler.ts'),
    import('#functions/publish-metric/handler.ts'),
    import('#functions/start-remediation/handler.ts'),
    import('#functions/remediation-guard/handler.ts'),
    import('#functions/gateway/handler.ts'),
    import('#functions/notify/handler.ts'),
    import('#functions/ping-canary/handler.ts'),
  ]);
  return {
    'check-tunnel': checkTunnel.handler as Handler,
    'publish-metric': publishMetric.handler as Handler,
    'start-remediation': startRemediation.handler as Handler,
    'remediation-guard': guard.handler as Handler,
    gateway: gateway.handler as Handler,
    notify: notify.handler as Handler,
    createCanaryHandler: canary.createCanaryHandler,
  };
}

export type { CompositeAlarmSpec, MachineId };
