/**
 * The faults a scenario (or a test) can inject into the world, as a validated vocabulary. Times
 * and durations are simulated seconds: a number, or text like "90s", "3m", "1m30s", "1h".
 */
import { z } from 'zod';
import { SCALING_PROCESSES } from './autoscaling.ts';
import { SERVICES } from './aws-errors.ts';

/** "90s" / "3m" / "1m30s" / "1h" / 90 → seconds. */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') return value;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const match = /^(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  if (!match || text === '' || (!match[1] && !match[2] && !match[3])) {
    throw new Error(`"${value}" is not a duration: use seconds (90) or text like "90s", "3m", "1m30s", "1h"`);
  }
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

/** A time or duration in simulated seconds: a number, or "90s", "3m", "1m30s", "1h". */
export const Duration = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const link = z.string().min(1, 'must name a link of the scenario config');
const forDuration = { for: Duration.optional() };

/** Where an API fault applies: the home Region, the link's VPN Region, or a Region code. */
const regionSelector = z.union([
  z.literal('home'),
  z.literal('vpn'),
  z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/),
]);

const apiFault = {
  service: z.enum(SERVICES, { error: `must be one of ${SERVICES.join(', ')}` }),
  /** Default: every Region. `vpn` needs `link`. */
  region: regionSelector.optional(),
  link: link.optional(),
  /** Only these commands (e.g. ["DescribeVpnConnections"]); default all of the service. */
  commands: z.array(z.string().min(1)).min(1).optional(),
  /** Fail only the next N matching calls (default: every call while the fault lasts). */
  calls: z.number().int().positive().optional(),
  ...forDuration,
};

/**
 * The errors Step Functions reports for a failed Lambda invoke that are not the function's own
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html: Lambda's
 * transient 500s as `Lambda.ServiceException`, `Lambda.AWSLambdaException`,
 * `Lambda.SdkClientException`, `Lambda.ClientExecutionTimeoutException`; "unhandled errors ...
 * including out-of-memory errors and function timeouts" as `Lambda.Unknown`).
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.Unknown',
] as const;

const lambdaFault = {
  /** The function id (`gateway`, `remediation-guard`, `notify`, `check-tunnel`, `ping-canary`, ...). */
  function: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, 'must be a function id like gateway, remediation-guard or notify'),
  /** Only invocations by this state of the ASL (default: every state invoking the function). */
  state: z.string().min(1).optional(),
  /** Fail only the next N matching invocations (default: every one while the fault lasts). */
  calls: z.number().int().positive().optional(),
  ...forDuration,
};

export const FaultSchema = z.discriminatedUnion('type', [
  // world-platform's faults first (world-aws adds its own at the end).
  /** Lambda refuses the invoke for concurrency: `Lambda.TooManyRequestsException`, the handler never runs. */
  z.object({ type: z.literal('lambda-throttled'), ...lambdaFault }).strict(),
  /** Lambda's own transient failure (default `Lambda.ServiceException`), the handler never runs. */
  z
    .object({
      type: z.literal('lambda-error'),
      ...lambdaFault,
      error: z
        .enum(LAMBDA_SERVICE_ERRORS, { error: `must be one of ${LAMBDA_SERVICE_ERRORS.join(', ')}` })
        .optional(),
    })
    .strict(),
  /**
   * The function runs out its configured timeout (simulated): Step Functions sees `Lambda.Unknown`
   * ("Task timed out after N seconds"), or `States.Timeout` first when the Task's TimeoutSeconds
   * is shorter. The handler does not run (a hung dependency before any AWS call).
   */
  z.object({ type: z.literal('lambda-timeout'), ...lambdaFault }).strict(),
  /**
   * Applied, response lost: a matching call takes effect in the world, then the caller sees a 5xx
   * (the service's own, `as: "5xx"`, default) or the SDK's `TimeoutError` (`as: "timeout"`).
   * Default commands: the service's mutating ones.
   */
  z
    .object({
      type: z.literal('response-lost'),
      ...apiFault,
      as: z.enum(['5xx', 'timeout'], { error: 'must be "5xx" or "timeout"' }).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('tunnel-down'),
      link,
      /** Which VPN connection of the link (0-based); default all. */
      connection: z.number().int().nonnegative().optional(),
      /** Which tunnel of the connection (1 or 2); default both. */
      tunnel: z.union([z.literal(1), z.literal(2)]).optional(),
      ...forDuration,
    })
    .strict(),
  z
    .object({
      type: z.literal('tunnel-up'),
      link,
      connection: z.number().int().nonnegative().optional(),
      tunnel: z.union([z.literal(1), z.literal(2)]).optional(),
    })
    .strict(),
  z.object({ type: z.literal('gateway-instance-dies'), link }).strict(),
  z
    .object({
      type: z.literal('ipsec-dies'),
      link,
      /** Whether an IPsec restart (SSM, the link's restartCommand) brings it back (default true). */
      restartable: z.boolean().optional(),
      /** Libreswan comes back by itself after this long (default never). */
      ...forDuration,
    })
    .strict(),
  z.object({ type: z.literal('api-throttled'), ...apiFault }).strict(),
  z.object({ type: z.literal('api-unavailable'), ...apiFault }).strict(),
  z
    .object({
      type: z.literal('replacement-slow'),
      link,
      bootSeconds: Duration,
      launches: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('replacement-never-in-service'),
      link,
      launches: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('replacement-tunnels-never-up'),
      link,
      launches: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('eip-association-fails'),
      link,
      /** The EC2 error name (default UnauthorizedOperation). */
      error: z.string().min(1).optional(),
      calls: z.number().int().positive().optional(),
      ...forDuration,
    })
    .strict(),
  z
    .object({
      type: z.literal('route-update-fails'),
      link,
      /** The route table: its index in the link's routeTableIds (0-based) or its id; default the first. */
      table: z.union([z.number().int().nonnegative(), z.string().startsWith('rtb-')]).optional(),
      error: z.string().min(1).optional(),
      calls: z.number().int().positive().optional(),
      ...forDuration,
    })
    .strict(),
  z.object({ type: z.literal('latency-high'), link, ...forDuration }).strict(),
  z.object({ type: z.literal('monitor-silent'), ...forDuration }).strict(),
  z.object({ type: z.literal('remote-host-down'), link, ...forDuration }).strict(),
  z
    .object({
      type: z.literal('route-hijacked'),
      link,
      table: z.union([z.number().int().nonnegative(), z.string().startsWith('rtb-')]).optional(),
    })
    .strict(),
  z.object({ type: z.literal('source-dest-check-enabled'), link }).strict(),
  z.object({ type: z.literal('eip-disassociated'), link }).strict(),
  z.object({ type: z.literal('alarm-event-redelivered'), link }).strict(),
  z
    .object({
      type: z.literal('lock-held'),
      link,
      /** The holder's execution id (default: a foreign execution). */
      holder: z.string().min(1).optional(),
      /** How long the lock stays live (default 30 minutes). */
      expiresIn: Duration.optional(),
    })
    .strict(),
  // world-aws (issue 8 parts 2, 3 and 5): new faults go at the end of the union.
  z
    .object({
      type: z.literal('instance-killed'),
      link,
      /**
       * `gateway` (the instance serving the link; default), `replacement` (the group's newest instance that
       * is not the gateway, e.g. the pending replacement), or an instance id.
       */
      which: z
        .union([z.literal('gateway'), z.literal('replacement'), z.string().regex(/^i-[0-9a-f]{8,17}$/)], {
          error: 'must be "gateway", "replacement" or an instance id (i-...)',
        })
        .optional(),
      /** `terminate` (EC2 terminates it; default) or `stop` (it stops; its interfaces and Elastic IP stay). */
      how: z.enum(['terminate', 'stop'], { error: 'must be "terminate" or "stop"' }).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('asg-processes-suspended'),
      link,
      processes: z
        .array(z.enum(SCALING_PROCESSES, { error: `must be one of ${SCALING_PROCESSES.join(', ')}` }))
        .min(1, 'must list at least one scaling process'),
      /** Resumed after this long (default: stays suspended). */
      ...forDuration,
    })
    .strict(),
  z
    .object({
      type: z.literal('asg-lifecycle-hook'),
      link,
      name: z.string().min(1).max(255).optional(),
      /** HeartbeatTimeout: 30-7200 s (API_PutLifecycleHook.html), default 3600. */
      heartbeatSeconds: Duration.pipe(
        z.number().min(30, 'must be at least 30 seconds').max(7200, 'must be at most 7200 seconds'),
      ).optional(),
      /** What happens at the heartbeat timeout (default ABANDON, aws-facts 4). */
      defaultResult: z.enum(['CONTINUE', 'ABANDON'], { error: 'must be CONTINUE or ABANDON' }).optional(),
      /** The instance's boot completes the action (CONTINUE) when it finishes (default true). */
      completedByBoot: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('asg-activity-in-progress'),
      link,
      kind: z.enum(['instance-refresh', 'scaling-activity'], {
        error: 'must be "instance-refresh" or "scaling-activity"',
      }),
      /** Ends after this long (default: runs for the whole scenario). */
      ...forDuration,
    })
    .strict(),
  z.object({ type: z.literal('eip-held-outside'), link }).strict(),
  z
    .object({
      /** AWS gets a new pre-shared key for a managed link's tunnel(s) (ModifyVpnTunnelOptions). */
      type: z.literal('vpn-psk-rotated'),
      link,
      connection: z.number().int().nonnegative().optional(),
      /** One tunnel (default both). */
      tunnel: z.union([z.literal(1), z.literal(2)]).optional(),
    })
    .strict(),
  z
    .object({
      /** A managed link's next launches cannot install their packages: user data abandons them. */
      type: z.literal('gateway-boot-fails'),
      link,
      /** How many launches (default 1). */
      launches: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('tunnel-maintenance'),
      link,
      connection: z.number().int().nonnegative().optional(),
      tunnel: z.union([z.literal(1), z.literal(2)]).optional(),
      /** The PendingMaintenance text (default "Pending Tunnel Endpoint Replacement"). */
      pending: z.string().min(1).optional(),
      /** When AWS applies it by itself, from now (default 7 days). */
      autoAppliedAfter: Duration.optional(),
      /**
       * AWS applies it now: the tunnel is down this long (the endpoint being replaced), then up,
       * with LastMaintenanceApplied set and nothing pending. Without it, the maintenance only waits.
       */
      downFor: Duration.optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('ssm-unmanaged'),
      link,
      /** `gateway` (the current instance) or `group` (it and every later launch; default). */
      scope: z.enum(['gateway', 'group'], { error: 'must be "gateway" or "group"' }).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('gateway-multi-eni'),
      link,
      /** Network interfaces of the gateway and of every later launch (2-8). */
      interfaces: z
        .number()
        .int()
        .min(2, 'must be at least 2 interfaces')
        .max(8, 'must be at most 8 interfaces'),
    })
    .strict(),
  z
    .object({
      type: z.literal('canary-subnet-reassociated'),
      link,
      /** The canary subnet: its index in canary.subnetIds (default 0) or its id. */
      subnet: z.union([z.number().int().nonnegative(), z.string().startsWith('subnet-')]).optional(),
      /** `main` (back to the VPC's main table) or `new-table` (a table the config does not list; default). */
      to: z.enum(['main', 'new-table'], { error: 'must be "main" or "new-table"' }).optional(),
    })
    .strict(),
  z
    .object({
      /** StopExecution of the link's running Remediation (as a person in the console would). */
      type: z.literal('execution-aborted'),
      link,
      /** StopExecution's error and cause (optional, as in the API). */
      error: z.string().max(256).optional(),
      cause: z.string().max(32768).optional(),
    })
    .strict(),
]);

export type Fault = z.output<typeof FaultSchema>;
export type FaultType = Fault['type'];
