/**
 * The VPN Guard configuration contract (see the README's config reference).
 *
 * One schema serves the CDK app (validation at synth) and the Lambdas (the runtime copy passed in
 * their environment), so what synth accepted is exactly what the functions read.
 */
import * as z from 'zod';
import {
  monitorStateBound,
  STATE_PAYLOAD_BUDGET_BYTES,
  STATE_PAYLOAD_LIMIT,
  STATE_PAYLOAD_MARGIN,
} from './state-size.ts';
import { describeIssues } from './zod-issues.ts';

/** AWS Regions a link's VPN may live in (commercial, GovCloud and China partitions). */
export const AWS_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-south-2',
  'eu-north-1',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'mx-central-1',
  'sa-east-1',
  'us-gov-east-1',
  'us-gov-west-1',
  'cn-north-1',
  'cn-northwest-1',
] as const;

const resourceId = (prefix: string) =>
  z
    .string()
    .regex(
      new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`),
      `must be an id like ${prefix}-0123456789abcdef0 ("${prefix}-" then 8 or 17 lowercase hex digits); copy it from the console or the CLI`,
    );

const ipv4Octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const ipv4 = `${ipv4Octet}(\\.${ipv4Octet}){3}`;

/** An IPv4 CIDR whose address has no bits set past the prefix (AWS rejects 10.20.1.0/16). */
const cidr = z
  .string()
  .regex(new RegExp(`^${ipv4}/(3[0-2]|[12]?\\d)$`), 'must be an IPv4 CIDR block like 10.20.0.0/16')
  .refine(isNetworkAddress, {
    message: 'has host bits set past the prefix length: use the network address (e.g. 10.20.0.0/16)',
  });

function isNetworkAddress(block: string): boolean {
  const [address = '', prefixText = '0'] = block.split('/');
  const prefix = Number(prefixText);
  const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const hostBits = 2 ** (32 - prefix);
  return value % hostBits === 0;
}

const hostname = z
  .string()
  .regex(
    new RegExp(
      `^(${ipv4}|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)$`,
    ),
    'must be an IPv4 address or a DNS name of a host on the far side of the VPN',
  );

const positive = (what: string) => z.number().positive(`must be a positive number of ${what}`);
const positiveInt = (what: string) =>
  z.number().int(`must be a whole number of ${what}`).positive(`must be a positive number of ${what}`);

const AlarmTuningSchema = z
  .object({
    periodSeconds: z
      .union([z.literal(60), z.literal(120), z.literal(300)], {
        error: 'must be 60, 120 or 300 (seconds; the monitor publishes once a minute)',
      })
      .default(60),
    evaluationPeriods: positiveInt('periods').max(60, 'must be at most 60 periods').default(3),
    datapointsToAlarm: positiveInt('datapoints').default(2),
  })
  .strict()
  .refine((value) => value.datapointsToAlarm <= value.evaluationPeriods, {
    message: 'datapointsToAlarm must be at most evaluationPeriods (M of N datapoints, M <= N)',
    path: ['datapointsToAlarm'],
  });

const TargetSchema = z
  .object({
    host: hostname,
    port: z
      .number()
      .int('must be a whole port number')
      .min(1, 'must be a TCP port between 1 and 65535')
      .max(65535, 'must be a TCP port between 1 and 65535'),
  })
  .strict();

/**
 * A link's managed gateway (`links[].managedGateway`): when enabled, the stack builds the link's
 * Auto Scaling group itself (named by `gateway.autoScalingGroupName`), with a launch template whose
 * instances configure themselves at boot (docs/notes/managed-gw.md). Without it the link's group is
 * the operator's own, as before.
 */
const ManagedGatewaySchema = z
  .object({
    /** Build the gateway (default true when the block is present). */
    enabled: z.boolean().default(true),
    /** An arm64 (Graviton) instance type: the AMI is Amazon Linux 2023 for arm64. */
    instanceType: z
      .string()
      .regex(
        /^(a1|[a-z]+[1-9]g[a-z]*)\.(nano|micro|small|medium|large|[1-9]?\d?xlarge|metal)$/,
        'must be an arm64 (Graviton) instance type such as t4g.small or c7g.medium: the gateway runs Amazon Linux 2023 for arm64',
      )
      .default('t4g.small'),
    /**
     * Public subnets of the canary's VPC (a route to an internet gateway), ideally one per
     * Availability Zone: the group may launch its one instance in any of them.
     */
    subnetIds: z
      .array(resourceId('subnet'))
      .min(1, 'must list at least one public subnet (with a route to an internet gateway) for the gateway'),
    /** The VPC's CIDR block: the gateway forwards only between it and `gateway.remoteCidrs`. */
    vpcCidr: cidr,
    /**
     * The outside IP addresses of the VPN connections' tunnels (two per connection, from
     * `aws ec2 describe-vpn-connections --query 'VpnConnections[].VgwTelemetry[].OutsideIpAddress'`):
     * the security group admits IKE, NAT-T and ESP from these only.
     */
    tunnelOutsideIpAddresses: z
      .array(
        z
          .string()
          .regex(
            new RegExp(`^${ipv4}$`),
            'must be an IPv4 address (a tunnel outside address from describe-vpn-connections)',
          ),
      )
      .min(2, 'must list the two tunnel outside addresses of each VPN connection'),
    /**
     * How long the launch lifecycle hook holds a new instance in Pending:Wait before ABANDON
     * (CloudFormation HeartbeatTimeout: 30-7200 s). Boot completes it sooner, when its tunnels are up.
     */
    lifecycleHookHeartbeatSeconds: z
      .number()
      .int('must be a whole number of seconds')
      .min(30, 'must be at least 30 seconds (the Auto Scaling minimum)')
      .max(7200, 'must be at most 7200 seconds (the Auto Scaling maximum)')
      .default(600),
  })
  .strict();

const LinkSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/,
        'must be 1-32 characters of a-z, 0-9 and "-", not starting or ending with "-" (it names metrics, alarms and executions)',
      ),
    gateway: z
      .object({
        autoScalingGroupName: z
          .string()
          .min(1, 'must name the Auto Scaling group that runs the gateway instance')
          .max(255, 'must be at most 255 characters')
          .regex(/^[^:]+$/, 'must be the group name, not its ARN'),
        elasticIpAllocationId: resourceId('eipalloc'),
        routeTableIds: z.array(resourceId('rtb')).min(1, 'must list at least one route table to re-point'),
        remoteCidrs: z.array(cidr).min(1, 'must list at least one remote CIDR routed through the gateway'),
        /** The device index of the gateway's interface that holds the Elastic IP (eth0 = 0). */
        elasticIpDeviceIndex: z
          .number()
          .int('must be a whole device index')
          .min(0, 'must be a device index of 0 or more (eth0 is 0)')
          .max(31, 'must be at most 31')
          .default(0),
        /** The device index of the interface the configured routes target (eth0 = 0). */
        routeDeviceIndex: z
          .number()
          .int('must be a whole device index')
          .min(0, 'must be a device index of 0 or more (eth0 is 0)')
          .max(31, 'must be at most 31')
          .default(0),
        /**
         * A shell command that restarts IPsec on the gateway, run through SSM (AWS-RunShellScript)
         * by the restart-IPsec rung; without it that rung is skipped.
         */
        restartCommand: z
          .string()
          .min(1, 'must be a shell command such as "systemctl restart ipsec", or be left out')
          .max(1000, 'must be at most 1000 characters')
          .optional(),
      })
      .strict(),
    vpn: z
      .object({
        region: z.enum(AWS_REGIONS, {
          error: 'is not an AWS Region VPN Guard knows: use a Region code such as us-west-2',
        }),
        vpnConnectionIds: z.array(resourceId('vpn')).min(1, 'must list at least one VPN connection id'),
        minTunnelsUp: positiveInt('tunnels').default(1),
      })
      .strict(),
    canary: z
      .object({
        vpcId: resourceId('vpc'),
        subnetIds: z
          .array(resourceId('subnet'))
          .min(1, 'must list at least one subnet for the canary function'),
        targets: z
          .array(TargetSchema)
          .min(1, 'must list at least one canary target (a host and TCP port across the VPN)'),
        attempts: positiveInt('attempts').max(10, 'must be at most 10 attempts per target').default(3),
        timeoutMs: positiveInt('milliseconds')
          .min(100, 'must be at least 100 ms')
          .max(10_000, 'must be at most 10000 ms (the canary must finish within one tick)')
          .default(2000),
        latencyThresholdMs: positive('milliseconds').default(200),
        /** The path is up when at least this many targets answer (default 1). */
        minTargetsUp: positiveInt('targets').default(1),
      })
      .strict(),
    alarms: AlarmTuningSchema.optional(),
    remediation: z.object({ enabled: z.boolean() }).strict().optional(),
    managedGateway: ManagedGatewaySchema.optional(),
  })
  .strict()
  .superRefine((link, ctx) => {
    managedGatewayIssues(link, ctx);
    const tunnels = link.vpn.vpnConnectionIds.length * 2;
    if (link.vpn.minTunnelsUp > tunnels) {
      ctx.addIssue({
        code: 'custom',
        path: ['vpn', 'minTunnelsUp'],
        input: link.vpn.minTunnelsUp,
        message: `must be at most ${tunnels} (each VPN connection has two tunnels)`,
      });
    }
    if (link.canary.minTargetsUp > link.canary.targets.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['canary', 'minTargetsUp'],
        input: link.canary.minTargetsUp,
        message: `must be at most ${link.canary.targets.length} (the number of canary targets)`,
      });
    }
    const budgetMs = link.canary.attempts * link.canary.timeoutMs;
    if (budgetMs > 20_000) {
      ctx.addIssue({
        code: 'custom',
        path: ['canary', 'timeoutMs'],
        input: link.canary.timeoutMs,
        message: `attempts x timeoutMs is ${budgetMs} ms; keep it at most 20000 ms so a tick finishes well within its minute`,
      });
    }
  });

/** At most this many link stacks (`deployment.linkStacks`): 40 x 500 resources is far past 200 links. */
export const MAX_LINK_STACKS = 40;

/**
 * How the CDK app splits the deployment over CloudFormation stacks (CloudFormation allows 500
 * resources and a 1 MB template per stack; each link adds its alarms). 0 keeps everything in the
 * one stack, as before. N > 0 moves each link's alarms and dashboard rows into one of N link
 * stacks (`<stackName>-Links<k>`), picked by a jump consistent hash of the link's name: adding or
 * removing a link never moves another, and raising N moves only the links the new stacks take.
 */
const DeploymentSchema = z
  .object({
    linkStacks: z
      .number()
      .int('must be a whole number of stacks')
      .min(0, 'must be 0 (one stack) or more')
      .max(MAX_LINK_STACKS, `must be at most ${MAX_LINK_STACKS}`)
      .default(0),
  })
  .strict()
  .default({ linkStacks: 0 });

/** The managed gateway's checks that need the rest of the link. */
function managedGatewayIssues(
  link: {
    readonly vpn: { readonly vpnConnectionIds: readonly string[] };
    readonly gateway: { readonly remoteCidrs: readonly string[] };
    readonly managedGateway?: { readonly tunnelOutsideIpAddresses: readonly string[] } | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  const managed = link.managedGateway;
  if (!managed) return;
  // The renderer's limits (gateway/render): one connection's two tunnels, one security-association
  // pair per tunnel (what AWS allows a policy-based gateway).
  if (link.vpn.vpnConnectionIds.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['vpn', 'vpnConnectionIds'],
      input: link.vpn.vpnConnectionIds,
      message: `lists ${link.vpn.vpnConnectionIds.length} connections; a managed gateway serves exactly one VPN connection (split the link, or bring your own group)`,
    });
  }
  if (link.gateway.remoteCidrs.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['gateway', 'remoteCidrs'],
      input: link.gateway.remoteCidrs,
      message: `lists ${link.gateway.remoteCidrs.length} CIDRs; a managed gateway's tunnels carry exactly one remote CIDR (AWS allows one security-association pair per tunnel for a policy-based gateway): list one covering block, or bring your own group`,
    });
  }
  const expected = link.vpn.vpnConnectionIds.length * 2;
  if (managed.tunnelOutsideIpAddresses.length !== expected) {
    ctx.addIssue({
      code: 'custom',
      path: ['managedGateway', 'tunnelOutsideIpAddresses'],
      input: managed.tunnelOutsideIpAddresses,
      message: `lists ${managed.tunnelOutsideIpAddresses.length} addresses; list exactly ${expected} (two tunnels for each of the ${link.vpn.vpnConnectionIds.length} VPN connection(s) in vpn.vpnConnectionIds)`,
    });
  }
  const seen = new Set<string>();
  managed.tunnelOutsideIpAddresses.forEach((address, position) => {
    if (seen.has(address)) {
      ctx.addIssue({
        code: 'custom',
        path: ['managedGateway', 'tunnelOutsideIpAddresses', position],
        input: address,
        message: 'is listed twice: every tunnel has its own outside address',
      });
    }
    seen.add(address);
  });
}

/**
 * How the alarm topic is encrypted at rest: with a customer managed KMS key the stack creates
 * ($1 a month; CloudWatch alarms can publish to an encrypted topic only through a key whose policy
 * lets cloudwatch.amazonaws.com use it, which the AWS managed key for SNS cannot), or `none`
 * (SNS server-side encryption off; publishing still requires TLS). Default: the key.
 */
const TopicEncryptionFields = {
  topicEncryption: z
    .enum(['customer-managed-key', 'none'], {
      error:
        'must be "customer-managed-key" (the default: a KMS key, $1 a month) or "none" (no SNS server-side encryption)',
    })
    .default('customer-managed-key'),
};

/**
 * The Monitor machine's own logging (a self-contained block). An EXPRESS machine keeps no execution
 * history: its log group is the history, and it is billed by the byte ingested. `ERROR` (default)
 * logs only the events of failed executions and states, with their data (what an operator needs to
 * see why a tick failed); `ALL` logs every state's input and output of every tick, for debugging,
 * at roughly one CloudWatch Logs ingestion of the whole state per state per tick (see the notes).
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
 */
export const MonitorLoggingSchema = z
  .object({
    executionLogLevel: z
      .enum(['ERROR', 'ALL'], { error: 'must be "ERROR" (default) or "ALL" (every state, for debugging)' })
      .default('ERROR'),
  })
  .strict();

/**
 * X-Ray tracing (issue 11): off by default. On, every function records an X-Ray segment per
 * invocation (Lambda active tracing and Powertools Tracer) and both state machines trace their
 * executions; X-Ray bills $5.00 per million traces recorded (https://aws.amazon.com/xray/pricing/),
 * about one trace per Monitor tick and per Remediation, and the tracer's SDK adds to each bundle
 * and its cold start. Off, no bundle carries the X-Ray SDK.
 */
const TracingSchema = z
  .object({
    enabled: z.boolean().default(false),
  })
  .strict();

export const ConfigSchema = z
  .object({
    namespace: z
      .string()
      .regex(/^[A-Za-z0-9._/#:-]{1,255}$/, 'must be a CloudWatch namespace like VpnGuard')
      .refine((value) => !value.startsWith('AWS/'), {
        message: 'must not start with "AWS/" (reserved by AWS)',
      })
      .default('VpnGuard'),
    schedule: z
      .string()
      .regex(
        /^(rate\((1 minute|[1-9]\d* minutes)\)|cron\(.+\))$/,
        'must be an EventBridge Scheduler expression like rate(1 minute) or rate(5 minutes)',
      )
      .default('rate(1 minute)'),
    notifications: z
      .object({
        emails: z.array(z.email('must be an email address')).default([]),
        smsNumbers: z
          .array(z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number like +14155550100'))
          .default([]),
        ...TopicEncryptionFields,
      })
      .strict()
      .default({ emails: [], smsNumbers: [], topicEncryption: 'customer-managed-key' }),
    remediation: z
      .object({
        enabled: z.boolean().default(true),
        cooldownMinutes: positiveInt('minutes').default(15),
        maxAttemptsPer24h: positiveInt('attempts').max(24, 'must be at most 24').default(3),
        replacementTimeoutMinutes: positiveInt('minutes').max(60, 'must be at most 60 minutes').default(10),
        verifyTimeoutMinutes: positiveInt('minutes').max(60, 'must be at most 60 minutes').default(5),
        /** Consecutive good samples (tunnels UP and canary passing) that declare a rung verified. */
        verifySamples: positiveInt('samples').max(10, 'must be at most 10 samples').default(2),
        /** How long ConfirmUnhealthy re-probes before anything changes (a blip changes nothing). */
        confirmSeconds: z
          .number()
          .int('must be a whole number of seconds')
          .min(0, 'must be 0 or more seconds')
          .max(300, 'must be at most 300 seconds')
          .default(30),
      })
      .strict()
      .default({
        enabled: true,
        cooldownMinutes: 15,
        maxAttemptsPer24h: 3,
        replacementTimeoutMinutes: 10,
        verifyTimeoutMinutes: 5,
        verifySamples: 2,
        confirmSeconds: 30,
      }),
    alarms: AlarmTuningSchema.default({ periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 2 }),
    monitor: MonitorLoggingSchema.default({ executionLogLevel: 'ERROR' }),
    observability: z
      .object({
        logRetentionDays: z
          .union(
            [
              1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
              3288, 3653,
            ].map((days) => z.literal(days)) as unknown as [z.ZodLiteral<number>, z.ZodLiteral<number>],
            { error: 'must be a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, 180, 365, ... days)' },
          )
          .default(30),
        dashboard: z.boolean().default(true),
      })
      .strict()
      .default({ logRetentionDays: 30, dashboard: true }),
    tracing: TracingSchema.default({ enabled: false }),
    links: z.array(LinkSchema).min(1, 'must list at least one link to watch'),
    deployment: DeploymentSchema,
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.links.forEach((link, index) => {
      const first = seen.get(link.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['links', index, 'name'],
          input: link.name,
          message: `duplicates links[${first}].name: every link needs a unique name`,
        });
      } else {
        seen.set(link.name, index);
      }
    });
    for (const issue of sharedResourceIssues(config.links)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of deploymentLimitIssues(config.links)) ctx.addIssue({ code: 'custom', ...issue });
    const deadlineSeconds = config.remediation.replacementTimeoutMinutes * 60;
    config.links.forEach((link, index) => {
      const heartbeat = link.managedGateway?.enabled ? link.managedGateway.lifecycleHookHeartbeatSeconds : 0;
      if (heartbeat > deadlineSeconds) {
        ctx.addIssue({
          code: 'custom',
          path: ['links', index, 'managedGateway', 'lifecycleHookHeartbeatSeconds'],
          input: heartbeat,
          message: `must be at most remediation.replacementTimeoutMinutes x 60 (${deadlineSeconds} s): Remediation refuses to wait on a hook longer than its replacement deadline; lower it or raise the deadline`,
        });
      }
    });
  });

/** One link's claim on a resource: the link, and the field below it that names the resource. */
interface Claim {
  readonly index: number;
  readonly name: string;
  readonly path: readonly (string | number)[];
}

/** A resource two links both claim, as a zod issue on the later link's field. */
interface SharedResourceIssue {
  readonly path: (string | number)[];
  readonly input: string;
  readonly message: string;
}

/** `links[0].gateway.routeTableIds[1]` */
function fieldOf(claim: Claim): string {
  const below = claim.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('');
  return `links[${claim.index}]${below}`;
}

/** What the shared-resource check reads of a link (a `LinkConfig` is one). */
interface ResourceOwner {
  readonly name: string;
  readonly gateway: {
    readonly autoScalingGroupName: string;
    readonly elasticIpAllocationId: string;
    readonly routeTableIds: readonly string[];
    readonly remoteCidrs: readonly string[];
  };
  readonly vpn: { readonly vpnConnectionIds: readonly string[] };
}

/**
 * Resources that belong to one link only. Two links remediating one gateway group, one Elastic IP,
 * one VPN connection or one route would undo each other's changes (one incident would replace the
 * same gateway twice, or re-point a route back and forth), so the config is refused on the later
 * link's field, naming the earlier link and its field. A value repeated inside one link is not a
 * conflict between links and is left alone here.
 */
function sharedResourceIssues(links: readonly ResourceOwner[]): SharedResourceIssue[] {
  const issues: SharedResourceIssue[] = [];
  const claimed = new Map<string, Claim>();
  const claim = (key: string, claim: Claim, input: string, why: (first: Claim) => string): void => {
    const first = claimed.get(key);
    if (first === undefined) claimed.set(key, claim);
    else if (first.index !== claim.index) {
      issues.push({
        path: ['links', claim.index, ...claim.path],
        input,
        message: `is also ${fieldOf(first)}: links "${first.name}" and "${claim.name}" ${why(first)}`,
      });
    }
  };

  links.forEach((link, index) => {
    const at = (...path: (string | number)[]): Claim => ({ index, name: link.name, path });
    const { autoScalingGroupName: group, elasticIpAllocationId: address } = link.gateway;
    claim(
      `group ${group}`,
      at('gateway', 'autoScalingGroupName'),
      group,
      () => "cannot share one gateway group (each would replace the other's gateway)",
    );
    claim(
      `address ${address}`,
      at('gateway', 'elasticIpAllocationId'),
      address,
      () => "cannot share one Elastic IP (it is one customer gateway's address)",
    );
    link.vpn.vpnConnectionIds.forEach((id, position) => {
      claim(
        `vpn ${id}`,
        at('vpn', 'vpnConnectionIds', position),
        id,
        () => 'cannot share one VPN connection (it ends on one customer gateway)',
      );
    });
    link.gateway.remoteCidrs.forEach((block, cidrPosition) => {
      for (const table of link.gateway.routeTableIds) {
        claim(
          `route ${table} ${block}`,
          at('gateway', 'remoteCidrs', cidrPosition),
          block,
          (first) =>
            `cannot own one route: both route ${block} in ${table} (links[${first.index}] and links[${index}] list it in gateway.routeTableIds), and each would re-point it to its own gateway`,
        );
      }
    });
  });
  return issues;
}

/**
 * Lambda's VpcConfig takes at most 16 subnet ids (and 5 security groups; the canary uses one):
 * https://docs.aws.amazon.com/lambda/latest/dg/API_VpcConfig.html. One canary function per VPC is
 * placed in every subnet its links list, so the limit is on the union per VPC: more synthesizes but
 * fails at deploy.
 */
export const LAMBDA_VPC_SUBNETS_MAX = 16;

/**
 * Limits a deployment can only meet through its config: checked here so synth names the field, the
 * value, the limit and the fix. The Monitor's state size is one (functions/shared/state-size.ts:
 * its bound follows from the links, their names, Regions and canary VPCs alone). Limits of the synthesized templates (resources, sizes) are checked
 * by the CDK app (infra/deployment-limits.ts).
 */
function deploymentLimitIssues(links: readonly LinkConfig[]): SharedResourceIssue[] {
  const issues: SharedResourceIssue[] = [];
  const state = monitorStateBound(links);
  if (state.largestBytes > STATE_PAYLOAD_BUDGET_BYTES) {
    // The bound grows with every link: name the first link that tips it over (binary search).
    let fits = 0;
    let over = links.length;
    while (over - fits > 1) {
      const middle = Math.floor((fits + over) / 2);
      if (monitorStateBound(links.slice(0, middle)).largestBytes <= STATE_PAYLOAD_BUDGET_BYTES) fits = middle;
      else over = middle;
    }
    const tipping = links[over - 1] as LinkConfig;
    issues.push({
      path: ['links', over - 1, 'name'],
      input: tipping.name,
      message:
        `is link ${over} of ${links.length}, past what one Monitor can carry: the ${links.length} links over ${state.canaryBytesByVpc.size} canary VPC(s) make its largest state up to ${state.largestBytes} bytes (every link failing at once, every error at its cap; the first ${fits} make ${monitorStateBound(links.slice(0, fits)).largestBytes}). ` +
        `Step Functions allows ${STATE_PAYLOAD_LIMIT.max} bytes (${STATE_PAYLOAD_LIMIT.what}, ${STATE_PAYLOAD_LIMIT.source}) and VPN Guard keeps ${Math.round((1 - STATE_PAYLOAD_MARGIN) * 100)} % of it as headroom (${STATE_PAYLOAD_BUDGET_BYTES} bytes), or a tick could fail with States.DataLimitExceeded: ` +
        `split the links over two or more deployments of at most ${fits} links (each its own namespace and stackName), or probe from fewer canary VPCs, or shorten the link names`,
    });
  }
  const subnetsByVpc = new Map<string, Set<string>>();
  links.forEach((link, index) => {
    const subnets = subnetsByVpc.get(link.canary.vpcId) ?? new Set<string>();
    subnetsByVpc.set(link.canary.vpcId, subnets);
    const before = subnets.size;
    for (const subnet of link.canary.subnetIds) subnets.add(subnet);
    if (before <= LAMBDA_VPC_SUBNETS_MAX && subnets.size > LAMBDA_VPC_SUBNETS_MAX) {
      const own = new Set(link.canary.subnetIds).size;
      issues.push({
        path: ['links', index, 'canary', 'subnetIds'],
        input: link.canary.subnetIds.join(','),
        message:
          `brings the canary subnets of ${link.canary.vpcId} to ${subnets.size}` +
          (own === subnets.size
            ? ''
            : ` (this link lists ${own}; the VPC's links together list ${subnets.size})`) +
          `: the VPC's one canary function runs in every subnet its links list, and Lambda allows at most ${LAMBDA_VPC_SUBNETS_MAX} subnets per function (VpcConfig.SubnetIds); list at most ${LAMBDA_VPC_SUBNETS_MAX} distinct subnets across the links of ${link.canary.vpcId} (one or two per Availability Zone is enough)`,
      });
    }
  });
  return issues;
}

/** The validated configuration, defaults applied. */
export type Config = z.infer<typeof ConfigSchema>;
export type LinkConfig = Config['links'][number];
export type RemediationSettings = Config['remediation'];

/** A configuration file that does not satisfy the schema; the message lists every bad field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid VPN Guard config (${source}):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/**
 * Validates a parsed config object; throws {@link ConfigError} naming each bad field, the value it
 * had and what to do about it.
 */
export function parseConfig(raw: unknown, source = 'config'): Config {
  const result = ConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = describeIssues(result.error.issues, raw, {
    unknownFieldHint: ": remove them or check the spelling against the README's config reference",
  });
  throw new ConfigError(source, problems);
}

/** The link's effective alarm tuning: its own, else the deployment-wide one. */
export function alarmTuningFor(config: Config, link: LinkConfig): Config['alarms'] {
  return link.alarms ?? config.alarms;
}

/** Whether automatic remediation is on for this link (the link's flag wins over the global one). */
export function remediationEnabledFor(config: Config, link: LinkConfig): boolean {
  return link.remediation?.enabled ?? config.remediation.enabled;
}

/** Finds a link by name, or undefined. */
export function findLink(config: Config, name: string): LinkConfig | undefined {
  return config.links.find((link) => link.name === name);
}

/** The link's managed gateway when the stack builds it, else undefined (the group is the operator's). */
export function managedGatewayOf(link: LinkConfig): NonNullable<LinkConfig['managedGateway']> | undefined {
  return link.managedGateway?.enabled ? link.managedGateway : undefined;
}

/** The SSM parameter (SecureString) holding a managed gateway's rendered Libreswan config. */
export function gatewayConfigParameterName(linkName: string): string {
  return `/vpn-guard/${linkName}/libreswan`;
}

/** The launch lifecycle hook of a managed gateway's group. */
export const MANAGED_GATEWAY_HOOK_NAME = 'vpn-guard-gateway-boot';
