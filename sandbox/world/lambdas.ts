/**
 * The product's Lambda functions inside the world: their environment, their real handlers bound to
 * local ARNs (one canary per VPC), and invocation with the caller recorded for every AWS call the
 * handler makes. Real work inside a handler is tracked by the clock, so simulated time stands still
 * while it runs.
 */
import { performance } from 'node:perf_hooks';
import type { Context } from 'aws-lambda';
import { localFunctionArn } from '#infra/asl.ts';
import type { Config } from '#shared/config.ts';
import { allStates } from '../local-sfn.ts';
import { WorldError } from './aws-errors.ts';
import { type CallerContext, callerContext } from './calls.ts';
import type { WorldContext } from './context.ts';
import type { LambdaFaultHit } from './fault-injection.ts';
import { captureFunctionOutput } from './function-logs.ts';
import { functionNameOf, type InvocationEnd, type InvocationRecord } from './lambda-metrics.ts';
import type { LinkModel } from './link-model.ts';
import { ACCOUNT, HOME_REGION, LOCK_TABLE_NAME, remediationTimeoutSeconds, TOPIC_ARN } from './settings.ts';

const FUNCTION_IDS = [
  'check-tunnel',
  'publish-metric',
  'start-remediation',
  'remediation-guard',
  'gateway',
  'notify',
  'gateway-config',
] as const;
type FunctionId = (typeof FUNCTION_IDS)[number] | 'ping-canary';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Each function's configured timeout (seconds), as the stack sets it: infra/constructs/
 * guard-function.ts (default 30), canary.ts (ping-canary 25), remediation.ts (gateway 50,
 * start-remediation 12). A `lambda-timeout` fault makes an invocation last this long.
 */
export const FUNCTION_TIMEOUT_SECONDS: Readonly<Record<string, number>> = {
  'ping-canary': 25,
  gateway: 50,
  'start-remediation': 12,
};
const DEFAULT_FUNCTION_TIMEOUT_SECONDS = 30;

/** Names of the env vars the world sets for the handlers (restored on dispose). */
const ENV_KEYS = [
  'AWS_REGION',
  'VPN_GUARD_CONFIG',
  'REMEDIATION_STATE_MACHINE_ARN',
  'LOCK_TABLE_NAME',
  'LOCK_TTL_SECONDS',
  'TOPIC_ARN',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_TRACE_ENABLED',
  'POWERTOOLS_SERVICE_NAME',
] as const;

/** The ARN of the canary function of a VPC. */
export function canaryFunctionArn(vpcId: string): string {
  return localFunctionArn(`ping-canary-${vpcId}`, HOME_REGION, ACCOUNT);
}

/** The VPCs with a canary (one per VPC, shared by its links), in config order. */
export function canaryVpcs(config: Config): string[] {
  return [...new Set(config.links.map((link) => link.canary.vpcId))];
}

/** Sets the handlers' environment as the stack does; returns what restores the previous one. */
export function installHandlerEnvironment(world: WorldContext): () => void {
  const saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  const env: Record<string, string> = {
    AWS_REGION: HOME_REGION,
    VPN_GUARD_CONFIG: JSON.stringify(world.config),
    REMEDIATION_STATE_MACHINE_ARN: world.sfn.machine('remediation').arn,
    LOCK_TABLE_NAME,
    LOCK_TTL_SECONDS: String(remediationTimeoutSeconds(world.config) + 300),
    TOPIC_ARN,
  };
  Object.assign(process.env, env);
  // Quiet handlers unless the caller asked for their logs.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
  process.env.POWERTOOLS_SERVICE_NAME ??= 'vpn-guard-sandbox';
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

export class Lambdas {
  private readonly handlers = new Map<string, { id: FunctionId; handler: Handler; vpcId?: string }>();
  private invocations = 0;
  /** Every invoke request that reached Lambda, as its `AWS/Lambda` metrics count it (lambda-metrics.ts). */
  readonly records: InvocationRecord[] = [];
  /** How each failed invocation ended, by the error it threw (see {@link endOf}). */
  private readonly ends = new WeakMap<object, InvocationEnd>();
  /** The Lambda faults of the world (set once the fault injector exists). */
  faults:
    | { lambdaFault(functionId: string, state: string | undefined): LambdaFaultHit | undefined }
    | undefined;

  constructor(
    private readonly world: WorldContext,
    private readonly links: LinkModel,
  ) {}

  /** Loads the handlers and binds each to its ARN (after {@link installHandlerEnvironment}). */
  async load(): Promise<void> {
    const modules = await loadHandlerModules();
    for (const id of FUNCTION_IDS) {
      this.handlers.set(localFunctionArn(id, HOME_REGION, ACCOUNT), { id, handler: modules[id] });
    }
    for (const vpcId of canaryVpcs(this.world.config)) {
      const handler = modules.createCanaryHandler({ ...process.env, CANARY_VPC_ID: vpcId }) as Handler;
      this.handlers.set(canaryFunctionArn(vpcId), { id: 'ping-canary', handler, vpcId });
    }
  }

  /** The ARNs of every function, in load order. */
  arns(): IterableIterator<string> {
    return this.handlers.keys();
  }

  /** A new invocation id (the harness's own calls take one too). */
  nextInvocationId(): number {
    return ++this.invocations;
  }

  /** Invokes the function at `arn` with the caller recorded for its AWS calls. */
  async invoke(
    arn: string,
    event: unknown,
    context: Context,
    meta: Omit<CallerContext, 'functionId' | 'invocationId'>,
  ): Promise<unknown> {
    const entry = this.handlers.get(arn);
    if (!entry) throw new WorldError(`no function ${arn} in this world`);
    const invocationId = this.nextInvocationId();
    const caller: CallerContext = { functionId: entry.id, functionArn: arn, invocationId, ...meta };
    // The invoking service must be allowed to (the state machine's role, the rule's permission).
    const denied = this.world.iam.invokeDenial(arn, meta);
    if (denied) throw denied;
    const label = `${entry.id}${meta.state ? ` (${meta.state})` : ''}${meta.executionName ? ` in ${meta.executionName}` : ''}`;
    // A fault naming a state hits that Task's invocations; one without a state hits the function
    // whoever invokes it (a Task, or an EventBridge rule's asynchronous invocation).
    const hit =
      meta.via === 'sfn' || meta.via === 'eventbridge'
        ? this.faults?.lambdaFault(entry.id, meta.state)
        : undefined;
    const run = async () => {
      if (hit) return this.failInvocation(entry.id, hit, meta);
      if (entry.id === 'ping-canary')
        return this.invokeCanary(entry.handler, event, context, entry.vpcId ?? '');
      return entry.handler(event, context);
    };
    // Tracked as a function so that the handler's SDK retries can wait in simulated time (clock.wait).
    // Its stdout is its log group: EMF documents there become metrics (function-logs.ts).
    const startedAt = this.world.clock.now();
    const realStart = performance.now();
    const record = (end: InvocationEnd) => {
      const durationMs =
        end === 'function-error' && hit?.kind === 'timeout'
          ? (FUNCTION_TIMEOUT_SECONDS[entry.id] ?? DEFAULT_FUNCTION_TIMEOUT_SECONDS) * 1000
          : this.world.clock.now() - startedAt + (performance.now() - realStart);
      this.records.push({ functionName: functionNameOf(arn), startedAt, durationMs, end });
    };
    let result: unknown;
    try {
      result = await this.world.clock.track(label, () =>
        callerContext.run(caller, () => captureFunctionOutput(entry.id, invocationId, run)),
      );
    } catch (error) {
      const end: InvocationEnd =
        hit?.kind === 'throttled' ? 'throttled' : hit?.kind === 'error' ? 'service-error' : 'function-error';
      record(end);
      if (typeof error === 'object' && error !== null) this.ends.set(error, end);
      throw error;
    }
    record('success');
    if (entry.id === 'notify') this.labelNotification(invocationId, result, event);
    return result;
  }

  /**
   * An invocation Lambda itself fails, as Step Functions reports it: a throttle or a service error
   * at once; a timeout after the function's timeout in simulated time (`Lambda.Unknown`), or after
   * the Task's own TimeoutSeconds when that is shorter (`States.Timeout`).
   */
  private async failInvocation(
    functionId: string,
    hit: LambdaFaultHit,
    meta: Omit<CallerContext, 'functionId' | 'invocationId'>,
  ): Promise<never> {
    const fail = (name: string, message: string): never => {
      throw Object.assign(new Error(message), { name });
    };
    if (hit.kind !== 'timeout') return fail(hit.error, hit.message);
    const functionSeconds = FUNCTION_TIMEOUT_SECONDS[functionId] ?? DEFAULT_FUNCTION_TIMEOUT_SECONDS;
    const taskSeconds = this.taskTimeoutSeconds(meta);
    if (taskSeconds !== undefined && taskSeconds < functionSeconds) {
      await this.world.clock.wait(taskSeconds, `${functionId} hangs`);
      return fail('States.Timeout', `the Task ${meta.state} ran past its TimeoutSeconds (${taskSeconds} s)`);
    }
    await this.world.clock.wait(functionSeconds, `${functionId} hangs`);
    return fail(hit.error, `Task timed out after ${functionSeconds.toFixed(2)} seconds`);
  }

  /** The TimeoutSeconds of the Task state invoking the function, if it sets one. */
  private taskTimeoutSeconds(meta: Omit<CallerContext, 'functionId' | 'invocationId'>): number | undefined {
    if (!meta.machine || !meta.state) return undefined;
    const definition = JSON.parse(this.world.sfn.machine(meta.machine).definition);
    const state = allStates(definition).find(([name]) => name === meta.state)?.[1] as
      | { TimeoutSeconds?: number }
      | undefined;
    return state?.TimeoutSeconds;
  }

  /**
   * How the invocation that threw `error` ended: a function error (the code threw, or timed out),
   * or Lambda's own throttle or service error before the code ran; undefined for an error that is
   * not an invocation's (an IAM denial of the invoke).
   */
  endOf(error: unknown): InvocationEnd | undefined {
    return typeof error === 'object' && error !== null ? this.ends.get(error) : undefined;
  }

  /** Labels the SNS messages a notify invocation published with the report's outcome. */
  private labelNotification(invocationId: number, result: unknown, event: unknown): void {
    const outcome =
      (result as { report?: { outcome?: string } } | null)?.report?.outcome ??
      (event as { outcome?: string } | null)?.outcome ??
      // The remediation-watch rule's status change: notify names the end it announced.
      (result as { outcome?: string } | null)?.outcome ??
      'unknown';
    for (const message of this.world.sns.messages) {
      if (message.invocationId === invocationId) {
        message.kind = outcome;
        this.world.emit('notification', `notification "${outcome}": ${message.subject ?? ''}`);
      }
    }
  }

  /** Runs the canary once every host has settled, making the hosts of high-latency links slow. */
  private async invokeCanary(
    handler: Handler,
    event: unknown,
    context: Context,
    vpcId: string,
  ): Promise<unknown> {
    await this.links.hostsSettled();
    const names =
      (event as { links?: string[] } | null)?.links ??
      this.world.config.links.filter((l) => l.canary.vpcId === vpcId).map((l) => l.name);
    const slow = this.links.slowHosts(names);
    await Promise.all(slow.map((host) => host.slowOnce(this.world.timing.slowHandshakeReopenMs)));
    try {
      return await handler(event, context);
    } finally {
      await this.links.hostsSettled();
    }
  }
}

/** The product's handler modules, loaded once (after the world has set their environment). */
async function loadHandlerModules(): Promise<
  Record<(typeof FUNCTION_IDS)[number], Handler> & {
    createCanaryHandler: (env: NodeJS.ProcessEnv) => unknown;
  }
> {
  const [checkTunnel, publishMetric, startRemediation, guard, gateway, notify, canary, gatewayConfig] =
    await Promise.all([
      import('#functions/check-tunnel/handler.ts'),
      import('#functions/publish-metric/handler.ts'),
      import('#functions/start-remediation/handler.ts'),
      import('#functions/remediation-guard/handler.ts'),
      import('#functions/gateway/handler.ts'),
      import('#functions/notify/handler.ts'),
      import('#functions/ping-canary/handler.ts'),
      import('#functions/gateway-config/handler.ts'),
    ]);
  return {
    'check-tunnel': checkTunnel.handler as Handler,
    'publish-metric': publishMetric.handler as Handler,
    'start-remediation': startRemediation.handler as Handler,
    'remediation-guard': guard.handler as Handler,
    gateway: gateway.handler as Handler,
    notify: notify.handler as Handler,
    'gateway-config': gatewayConfig.handler as Handler,
    createCanaryHandler: canary.createCanaryHandler,
  };
}
