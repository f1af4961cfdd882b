/**
 * The simulated two-Region AWS the product runs against locally: seeded from a validated config,
 * serving the product's real SDK clients (mocks.ts), running the real ASL with the real handlers
 * (local-sfn.ts), driven by one simulated clock (clock.ts), with real TCP listeners on loopback
 * standing for the hosts across each VPN (remote-hosts.ts).
 *
 * Link model (link-model.ts): a link *works* when a running gateway instance holds the link's
 * Elastic IP on its configured interface, runs IPsec, and its forwarding interface (the routes'
 * target, `gateway.routeDeviceIndex`) has source/dest check off and is the target of every
 * configured route table x remote CIDR and of the table each canary subnet actually uses. Tunnels follow the gateway: UP `tunnelUpSeconds` after it can
 * negotiate (the second tunnel a little later), DOWN `tunnelDownSeconds` after it cannot (dead-peer
 * detection), each change moving LastStatusChange. The canary's hosts answer only while the
 * tunnels are up and the path is right; otherwise they go silent for real.
 *
 * Around it: EventBridge Scheduler starts the Monitor every minute (with the canaryGroups input),
 * CloudWatch evaluates the alarms every minute (schedules.ts) and notifies SNS of every ALARM/OK
 * transition, EventBridge delivers "CloudWatch Alarm State Change" of an Outage alarm entering
 * ALARM to start-remediation as the stack's rule does (Lambda async invoke, retried twice;
 * alarm-actions.ts), and DynamoDB deletes expired items some time after their TTL.
 *
 * `World` is the facade: it owns the state (the service models, the record of events, faults and
 * errors) and wires the parts, each of which sees only a {@link WorldContext}: seeding (seed.ts),
 * the link model, the schedules, the alarm actions, the functions (lambdas.ts), the executions
 * (executions.ts), the faults (fault-injection.ts) and the AWS calls (dispatch.ts).
 */
import {
  deploymentAlarmName,
  type MathAlarmSpec,
  monitorExecutionAlarmSpecs,
  monitorSilentSpec,
  remediationEndUndeliveredSpec,
} from '#infra/alarm-specs.ts';
import { type Config, parseConfig } from '#shared/config.ts';
import { installSimulatedDate, SimClock, type TimerHandle } from '../clock.ts';
import {
  createAuthorizer,
  type IamAuthorizer,
  type IamOptions,
  type PreparedIam,
  prepareIam,
} from '../iam/world-iam.ts';
import type { TunnelStateSource } from '../ike/tunnel-source.ts';
import { AlarmActions } from './alarm-actions.ts';
import { RuleDelivery } from './async-delivery.ts';
import { AutoScalingModel } from './autoscaling.ts';
import { WorldError } from './aws-errors.ts';
import { CallLog } from './calls.ts';
import { CloudWatchModel } from './cloudwatch.ts';
import type { WorldContext, WorldEvent } from './context.ts';
import { AwsDispatcher } from './dispatch.ts';
import { DynamoDbModel } from './dynamodb.ts';
import { Ec2Model } from './ec2.ts';
import { Executions, type RemediationRequest } from './executions.ts';
import { FaultInjector } from './fault-injection.ts';
import type { Fault } from './faults.ts';
import { FunctionLogs, installFunctionOutputCapture } from './function-logs.ts';
import { IdFactory } from './ids.ts';
import { lambdaMetricSamples } from './lambda-metrics.ts';
import { canaryFunctionArn, installHandlerEnvironment, Lambdas } from './lambdas.ts';
import { LinkModel, type LinkStatus } from './link-model.ts';
import { ManagedGatewayModel, ParameterStore } from './managed-gateway.ts';
import { installClientMocks } from './mocks.ts';
import type { RemoteHost } from './remote-hosts.ts';
import { MonitorSchedule, scheduleAlarmEvaluation, scheduleTtlSweep } from './schedules.ts';
import { assertLoopbackTargets, seedWorld, startRemoteHosts } from './seed.ts';
import {
  ACCOUNT,
  DEFAULT_START,
  HOME_REGION,
  mergeTiming,
  type TimingOverrides,
  TOPIC_ARN,
  type WorldTiming,
} from './settings.ts';
import { type ExecutionRecord, type MachineId, SfnModel } from './sfn.ts';
import { SnsModel } from './sns.ts';
import { SqsModel } from './sqs.ts';
import { SsmModel } from './ssm.ts';
import { statesMetricSamples } from './states-metrics.ts';

export type { WorldEvent } from './context.ts';
export {
  ACCOUNT,
  DEFAULT_START,
  DEFAULT_TIMING,
  HOME_REGION,
  LOCK_TABLE_NAME,
  remediationTimeoutSeconds,
  type TimingOverrides,
  TOPIC_ARN,
  type WorldTiming,
} from './settings.ts';

/** How to build a world (see {@link World.create}). */
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
  /**
   * IAM (default: enforced): every call a handler makes, and the services' deliveries, are
   * authorized against the policies the stack synthesizes for this config. `revoke` narrows a
   * grant (to prove a check can fail).
   */
  readonly iam?: IamOptions;
  /** Real IKE decides the tunnels' state (`npm run drill -- --real-ike`, sandbox/ike/real-ike.ts). */
  readonly tunnelSource?: TunnelStateSource;
}

let active: World | undefined;

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
  /** The stack's SQS queues: what EventBridge and Lambda could not deliver. */
  readonly sqs: SqsModel;
  readonly sfn: SfnModel;
  readonly ssm: SsmModel;
  /** IAM in the loop (sandbox/iam): the deployed policies of every caller. */
  readonly iam: IamAuthorizer;
  /** What the functions wrote to stdout: their log groups, and the EMF metrics CloudWatch took from them. */
  readonly functionLogs: FunctionLogs;
  readonly events: WorldEvent[] = [];
  /** Faults applied so far (with their simulated times), for time-to-detect. */
  readonly faults: { readonly at: number; readonly fault: Fault }[] = [];
  /** Errors inside the world itself (a bug, not an AWS error): `run` throws the first. */
  readonly errors: Error[] = [];

  private readonly context: WorldContext;
  private readonly links: LinkModel;
  private readonly lambdas: Lambdas;
  /** The managed gateways of the config (links with `managedGateway` enabled). */
  readonly managedGateways: ManagedGatewayModel;
  private readonly executions: Executions;
  private readonly monitor: MonitorSchedule;
  private readonly alarmActions: AlarmActions;
  private readonly injector: FaultInjector;
  private readonly dispatcher: AwsDispatcher;
  private readonly restores: (() => void)[] = [];
  private readonly options: WorldOptions;
  private disposed = false;

  private constructor(
    options: WorldOptions,
    config: Config,
    hosts: RemoteHost[][],
    start: number,
    iam: PreparedIam | undefined,
  ) {
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
    this.ssm = new SsmModel(
      this.ec2,
      { after: (s, l, f) => this.after(s, l, f), changed: () => this.changed(), now },
      this.timing.asg.ipsecStartSeconds,
      ACCOUNT,
      (instance) =>
        config.links
          .filter((l) => l.gateway.autoScalingGroupName === instance.tags['aws:autoscaling:groupName'])
          .flatMap((l) => (l.gateway.restartCommand ? [l.gateway.restartCommand] : [])),
    );
    this.cloudwatch = new CloudWatchModel(HOME_REGION, ACCOUNT, now);
    this.dynamodb = new DynamoDbModel(now, this.timing.ttlDeletionLagSeconds);
    this.sns = new SnsModel(now);
    this.sqs = new SqsModel(now);
    this.sfn = new SfnModel((machine, name, input, startedBy) =>
      this.executions.launch(machine, name, input, startedBy),
    );
    this.iam = createAuthorizer(iam, this, options.iam);
    this.context = {
      clock: this.clock,
      config,
      timing: this.timing,
      start,
      ids: this.ids,
      calls: this.calls,
      ec2: this.ec2,
      asg: this.asg,
      cloudwatch: this.cloudwatch,
      dynamodb: this.dynamodb,
      sns: this.sns,
      sqs: this.sqs,
      sfn: this.sfn,
      ssm: this.ssm,
      parameters: new ParameterStore(now),
      iam: this.iam,
      emit: (kind, message, link) => this.emit(kind, message, link),
      after: (seconds, label, fire) => this.after(seconds, label, fire),
      guarded: (fire) => this.guarded(fire),
      fail: (error) => this.fail(error),
      changed: () => this.changed(),
      ...(options.tunnelSource ? { tunnelSource: options.tunnelSource } : {}),
    };
    this.links = new LinkModel(this.context, hosts);
    this.functionLogs = new FunctionLogs(this.cloudwatch, () => this.clock.now());
    this.lambdas = new Lambdas(this.context, this.links);
    const delivery = new RuleDelivery(this.context, this.lambdas);
    this.managedGateways = new ManagedGatewayModel(this.context, this.lambdas, delivery);
    this.context.managedGateways = this.managedGateways;
    this.ec2.vpnConfiguration = (connection) => this.managedGateways.configurationOf(connection);
    this.asg.launchListener = (launch) => this.managedGateways.onLaunch(launch);
    this.executions = new Executions(this.context, this.lambdas, delivery);
    this.monitor = new MonitorSchedule(this.context, this.executions);
    this.alarmActions = new AlarmActions(this.context, this.links, delivery);
    this.injector = new FaultInjector(this.context, this.links, this.monitor, this.alarmActions);
    this.lambdas.faults = this.injector;
    this.alarmActions.snsFaults = (input) => this.injector.check('sns', 'Publish', HOME_REGION, input);
    this.dispatcher = new AwsDispatcher(this.context, this.injector, () => this.disposed);
  }

  /**
   * Builds a world: starts the remote hosts, seeds every resource of the config (healthy, with
   * `historyMinutes` of healthy metrics), installs the SDK mocks, the simulated Date and the
   * handlers' environment. Only one world may exist at a time; call {@link dispose} when done.
   */
  static async create(options: WorldOptions): Promise<World> {
    if (active) throw new WorldError('a world is already running: dispose it first');
    const base = parseConfig(options.config, 'scenario config');
    assertLoopbackTargets(base);
    const start = new Date(options.start ?? DEFAULT_START).getTime();
    if (!Number.isFinite(start)) throw new WorldError(`start ${String(options.start)} is not a date`);
    const hosts: RemoteHost[][] = [];
    try {
      // The deployed template is the config's as validated (the loopback targets do not change policies).
      const iam = await prepareIam(base, options.iam);
      const config = await startRemoteHosts(base, options.remoteHosts !== false, hosts);
      const world = new World(options, config, hosts, start, iam);
      active = world;
      try {
        seedWorld(world.context, world.links, options.historyMinutes ?? 10);
        world.managedGateways.seed();
        world.sns.subscribeFromConfig(TOPIC_ARN, config);
        world.seedStackAlarms();
        // Bind the template to the seeded world now, so a template or revocation it cannot bind fails here.
        if (world.iam.enabled) world.iam.deployment();
        world.seedQueues();
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

  /**
   * The Monitor's own execution alarms (infra/alarm-specs.ts), evaluated from the `AWS/States`
   * metrics the world derives from its execution records; the functions' `AWS/Lambda` metrics are
   * derived from their invocation records the same way.
   */
  private seedStackAlarms(): void {
    const machineArn = (execution: ExecutionRecord) => this.sfn.machine(execution.machine).arn;
    this.cloudwatch.derive('AWS/States', (metricName, dimensions) =>
      statesMetricSamples(this.sfn.executions, machineArn, metricName, dimensions),
    );
    this.cloudwatch.derive('AWS/Lambda', (metricName, dimensions) =>
      lambdaMetricSamples(this.lambdas.records, metricName, dimensions),
    );
    const monitorArn = this.sfn.machine('monitor').arn;
    this.cloudwatch.addStackAlarms(
      [...monitorExecutionAlarmSpecs(this.config, monitorArn), monitorSilentSpec(this.config, monitorArn)],
      'OK',
      this.start,
    );
    // The Scheduler started the Monitor every minute of the seeded history (the world's own
    // executions, from the start on, are derived from its records).
    const history = (this.options.historyMinutes ?? 10) * 60_000;
    for (let t = this.start - history; t < this.start; t += 60_000) {
      this.cloudwatch.seed(
        'AWS/States',
        'ExecutionsStarted',
        { StateMachineArn: monitorArn },
        t + this.timing.tickOffsetSeconds * 1000,
        1,
      );
    }
  }

  /**
   * The template's SQS queues (IAM on: without the template the world knows none, and the rules'
   * failed deliveries are dropped as with no DLQ or destination), their `AWS/SQS` metrics, and the
   * Remediation watch's RemediationEndUndelivered alarm on the queue the deployed alarm names (a
   * template without that alarm deploys none, and the world evaluates none).
   */
  private seedQueues(): void {
    if (!this.iam.enabled) return;
    const deployment = this.iam.deployment();
    for (const queue of deployment.queues) this.sqs.addQueue(queue.arn, queue.name, queue.retentionSeconds);
    this.cloudwatch.derive('AWS/SQS', (metricName, dimensions) =>
      this.sqs.metricSamples(metricName, dimensions),
    );
    const deployed = deployment.alarmDimensions.get(
      deploymentAlarmName(this.config.namespace, 'RemediationEndUndelivered'),
    );
    if (deployed?.QueueName) {
      this.cloudwatch.addStackAlarms(
        [remediationEndUndeliveredSpec(this.config, deployed.QueueName)],
        'OK',
        this.start,
      );
    }
  }

  /** Installs the handlers' environment, the simulated Date and the SDK mocks; starts the schedules. */
  private async install(): Promise<void> {
    this.restores.push(installHandlerEnvironment(this.context));
    this.restores.push(installSimulatedDate(() => this.clock.now()));
    this.restores.push(installFunctionOutputCapture(this.functionLogs));
    this.restores.push(
      installClientMocks(
        (service, command, region, input) => this.dispatcher.dispatch(service, command, region, input),
        // The SDK clients' retry backoff waits in simulated time (sdk-retry.ts).
        { wait: (ms) => this.clock.wait(ms / 1000, 'SDK retry backoff') },
      ),
    );
    await this.lambdas.load();
    await this.options.tunnelSource?.attach(this.context);
    if (this.options.alarms !== false) {
      scheduleAlarmEvaluation(this.context, (transitions) => this.alarmActions.onTransitions(transitions));
    }
    scheduleTtlSweep(this.context);
    if (this.options.monitor !== false) this.monitor.start();
    this.changed();
  }

  /** SSM Parameter Store (the managed gateways' rendered configs). */
  get parameters(): ParameterStore {
    return this.context.parameters;
  }

  /** The ARN of the canary function of a VPC. */
  canaryFunctionArn(vpcId: string): string {
    return canaryFunctionArn(vpcId);
  }

  /** The Monitor's input, as the stack's schedule sends it. */
  monitorInput(): { canaryGroups: { vpcId: string; functionName: string; links: string[] }[] } {
    return this.monitor.input();
  }

  /** Starts one Monitor execution now (what the scheduler does each minute). */
  startMonitorExecution(): ExecutionRecord {
    return this.monitor.startExecution();
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

  // Executions ------------------------------------------------------------------------------------

  /** Starts a Remediation execution as a person or a drill would (StartExecution through the SDK model). */
  startRemediation(request: RemediationRequest): ExecutionRecord {
    return this.executions.startRemediation(request);
  }

  /** Remediation executions, in start order. */
  remediations(): ExecutionRecord[] {
    return this.sfn.of('remediation');
  }

  /** Monitor executions, in start order. */
  monitorExecutions(): ExecutionRecord[] {
    return this.sfn.of('monitor');
  }

  // Links -----------------------------------------------------------------------------------------

  /** The world changed: re-derive tunnels and canary paths from the resources. */
  changed(): void {
    if (this.disposed) return;
    this.links.reconcile();
  }

  /** A link as the world sees it (for expectations and tests). */
  linkStatus(name: string): LinkStatus {
    return this.links.status(name);
  }

  /** The instances the link's group launched after the seeded one (replacements). */
  replacements(linkName: string): string[] {
    return this.links.replacements(linkName);
  }

  // Faults ----------------------------------------------------------------------------------------

  /** Applies a fault now. */
  inject(fault: Fault): void {
    this.faults.push({ at: this.clock.now(), fault });
    this.injector.apply(fault);
  }

  // Teardown --------------------------------------------------------------------------------------

  /** Stops every execution, restores the real SDK, Date and env, and closes every listener. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.executions.abortAll('world disposed');
    this.disposed = true;
    this.clock.clear();
    // Let aborted executions unwind (they only wait on microtasks now).
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const restore of this.restores.reverse()) restore();
    this.restores.length = 0;
    await this.links.closeHosts();
    await this.options.tunnelSource?.dispose();
    if (active === this) active = undefined;
  }
}

export type { MachineId, MathAlarmSpec };
