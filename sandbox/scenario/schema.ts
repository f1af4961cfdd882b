/**
 * The scenario file format (scenarios/*.json): a config, a duration, a timeline of faults, manual
 * remediation starts, and the expectations that must hold at the end. Validated with zod; a bad
 * file fails naming the field, the value and what is expected.
 */
import { z } from 'zod';
import { DEPLOYMENT_ALARMS } from '#infra/alarm-specs.ts';
import { LINK_ALARMS } from '#shared/alarm-names.ts';
import { AUDIENCES } from '#shared/audience.ts';
import { METRICS, type MetricName } from '#shared/metric-names.ts';
import { SERVICES } from '../world/aws-errors.ts';
import { Duration, FaultSchema } from '../world/faults.ts';

/** `exactly` / `atLeast` / `atMost` (at least one). */
const Count = {
  exactly: z.number().int().nonnegative().optional(),
  atLeast: z.number().int().nonnegative().optional(),
  atMost: z.number().int().nonnegative().optional(),
};
const hasCount = (value: { exactly?: number; atLeast?: number; atMost?: number }) =>
  value.exactly !== undefined || value.atLeast !== undefined || value.atMost !== undefined;
const countMessage = { message: 'needs a count: exactly, atLeast or atMost', path: ['exactly'] };

const link = z.string().min(1);
const services = z.array(z.enum(SERVICES)).min(1);
const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** A link's alarm, or one of the deployment's own (MonitorSilent, the Monitor's execution alarms; no link). */
const ALARMS = [...LINK_ALARMS, ...DEPLOYMENT_ALARMS] as const;
const alarmName = z.enum(ALARMS, { error: `must be one of ${ALARMS.join(', ')}` });

export const ExpectationSchema = z.discriminatedUnion('check', [
  z
    .object({
      check: z.literal('link-healthy'),
      /** Default: every link. */
      link: link.optional(),
      /** Default true; false expects the link to be down at the end. */
      healthy: z.boolean().default(true),
      /**
       * Recovered within this long of a fault (the timeline entry `after`, default the first
       * fault naming the link, else the first fault) and healthy from then to the end.
       */
      within: Duration.optional(),
      /** The timeline entry (0-based) `within` counts from. */
      after: z.number().int().nonnegative().optional(),
      /** Recovered by this time (simulated, since the start) and healthy from then to the end. */
      by: Duration.optional(),
    })
    .strict()
    .refine((e) => !(e.within !== undefined && e.by !== undefined), {
      message: 'use either within (after a fault) or by (since the start), not both',
      path: ['by'],
    })
    .refine((e) => e.after === undefined || e.within !== undefined, {
      message: 'after names the fault that within counts from: give within too',
      path: ['after'],
    })
    .refine((e) => e.healthy || (e.within === undefined && e.by === undefined), {
      message: 'within/by bound a recovery: they need healthy true',
      path: ['healthy'],
    }),
  z
    .object({
      check: z.literal('config-rejected'),
      /**
       * The field config validation must name (a dotted path like
       * `links.1.gateway.autoScalingGroupName`): the scenario passes when the config is refused
       * with a problem about that field, and no world is built.
       */
      field: z.string().min(1),
      /** Text that problem must contain as well (e.g. the other link's name). */
      includes: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({ check: z.literal('replacements'), link: link.optional(), ...Count })
    .strict()
    .refine(hasCount, countMessage),
  z.object({ check: z.literal('no-route-to-non-running-instance'), link: link.optional() }).strict(),
  z.object({ check: z.literal('gateway-unchanged'), link: link.optional() }).strict(),
  z
    .object({
      check: z.literal('notifications'),
      /** A remediation outcome (`recovered`, `failed`, `skipped-locked`, ...) or `alarm`. */
      kind: z.string().min(1).optional(),
      /** Several kinds, counted together (instead of `kind`). */
      kinds: z.array(z.string().min(1)).min(1).optional(),
      /** For kind `alarm`: which alarm (Outage, LatencyHigh, MonitorSilent, ...) and which new state. */
      alarm: alarmName.optional(),
      state: z.enum(ALARM_STATES).optional(),
      link: link.optional(),
      /** Only messages published at or after this time (simulated, since the start). */
      from: Duration.optional(),
      /** Only messages published before this time. */
      to: Duration.optional(),
      /** Only messages delivered to a subscription of this protocol (the config's e-mail / SMS endpoints). */
      protocol: z.enum(['email', 'sms'], { error: 'must be email or sms' }).optional(),
      /** Only messages whose `audience` attribute is this (functions/shared/audience.ts). */
      audience: z.enum(AUDIENCES, { error: `must be one of ${AUDIENCES.join(', ')}` }).optional(),
      ...Count,
    })
    .strict()
    .refine(hasCount, countMessage)
    .refine((e) => (e.kind === undefined) !== (e.kinds === undefined), {
      message: 'needs kind (one) or kinds (several counted together), not both',
      path: ['kind'],
    })
    .refine((e) => e.from === undefined || e.to === undefined || e.from < e.to, {
      message: 'from must be before to',
      path: ['to'],
    }),
  z
    .object({
      check: z.literal('mutating-calls'),
      /** Default: every service. */
      services: services.optional(),
      commands: z.array(z.string().min(1)).min(1).optional(),
      /** Only calls made by this machine's executions. */
      machine: z.enum(['monitor', 'remediation']).optional(),
      ...Count,
    })
    .strict()
    .refine(hasCount, countMessage),
  z
    .object({
      check: z.literal('aws-calls'),
      services: services.optional(),
      commands: z.array(z.string().min(1)).min(1).optional(),
      machine: z.enum(['monitor', 'remediation']).optional(),
      mutating: z.boolean().optional(),
      failed: z.boolean().optional(),
      /** Only calls that failed with this AWS error name (e.g. RequestLimitExceeded). */
      error: z.string().min(1).optional(),
      ...Count,
    })
    .strict()
    .refine(hasCount, countMessage),
  z
    .object({
      check: z.literal('remediations'),
      link: link.optional(),
      /** The RemediationReport outcome (`rejected` for an input refused at ValidateInput). */
      outcome: z.string().min(1).optional(),
      status: z.enum(EXECUTION_STATUSES).optional(),
      trigger: z.enum(['alarm', 'drill', 'manual']).optional(),
      ...Count,
    })
    .strict()
    .refine(hasCount, countMessage),
  z
    .object({
      check: z.literal('remediation-path'),
      /** Which remediation (0-based in start order, or "last"); default 0. */
      execution: z.union([z.number().int().nonnegative(), z.literal('last')]).default(0),
      /** States that must have been entered. */
      includes: z.array(z.string().min(1)).default([]),
      /** States that must not have been entered. */
      excludes: z.array(z.string().min(1)).default([]),
      status: z.enum(EXECUTION_STATUSES).optional(),
      /** The state where it failed (as the CLI's summary names it). */
      failedState: z.string().min(1).optional(),
      /** The execution's error name. */
      error: z.string().min(1).optional(),
      /** Text the error's cause must contain (e.g. the route table that failed). */
      causeIncludes: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      check: z.literal('alarm-state'),
      /** For a link's alarm (default every link); ignored for the stack's own alarms. */
      link: link.optional(),
      alarm: alarmName,
      state: z.enum(ALARM_STATES),
    })
    .strict(),
  z
    .object({
      check: z.literal('alarm-transitions'),
      link: link.optional(),
      alarm: alarmName,
      to: z.enum(ALARM_STATES),
      ...Count,
    })
    .strict()
    .refine(hasCount, countMessage),
  z
    .object({
      /**
       * Datapoints of one metric of the contract in the world's CloudWatch (however they arrived:
       * EMF from publish-metric's log, or an API call), at the dimension the contract gives it for
       * the link (its name, its VPN Region or its canary VPC), default every link. `value` counts
       * only datapoints of that value (e.g. TunnelCheckSuccess 0: failed collections).
       */
      check: z.literal('metric-datapoints'),
      metric: z.enum(Object.values(METRICS) as [MetricName, ...MetricName[]], {
        error: `must be a metric of the contract: ${Object.values(METRICS).join(', ')}`,
      }),
      link: link.optional(),
      value: z.number().optional(),
      ...Count,
    })
    .strict()
    .refine(hasCount, countMessage),
  z
    .object({
      /**
       * The canary collections as Lambda counts them (CANARY_COLLECTION_METRICS): datapoints of the
       * canary function's `AWS/Lambda` metric of the link's VPC (default every canary VPC): `runs`
       * (Invocations), `failures` (Errors; `value` 0 counts the successful runs), `throttles`.
       */
      check: z.literal('canary-collections'),
      metric: z.enum(['runs', 'failures', 'throttles'], {
        error: 'must be "runs", "failures" or "throttles"',
      }),
      link: link.optional(),
      value: z.number().optional(),
      ...Count,
    })
    .strict()
    .refine(hasCount, countMessage),
  z
    .object({
      check: z.literal('monitor-failures'),
      /** Only failures with this error (e.g. CollectionIncomplete). */
      error: z.string().min(1).optional(),
      ...Count,
    })
    .strict()
    .refine(hasCount, countMessage),
]);
export type Expectation = z.output<typeof ExpectationSchema>;

/** A fault at a time: `{ "at": "3m", "type": "gateway-instance-dies", "link": "home-to-west" }`. */
const TimelineEntrySchema = z
  .looseObject({ at: Duration, type: z.string({ error: 'must name the fault type' }) })
  .transform((entry, ctx) => {
    const { at, ...rest } = entry;
    const parsed = FaultSchema.safeParse(rest);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      }
      return z.NEVER;
    }
    return { at, fault: parsed.data };
  });

/** A remediation started by hand (`npm run drill` or the console) at a time. */
const StartSchema = z
  .object({
    at: Duration,
    link: link.optional(),
    trigger: z.enum(['drill', 'manual', 'alarm']).default('drill'),
    dryRun: z.boolean().default(false),
    reason: z.string().optional(),
    /** A raw execution input sent as is (to rehearse bad input); overrides link/trigger/dryRun. */
    input: z.unknown().optional(),
  })
  .strict()
  .refine((start) => start.link !== undefined || start.input !== undefined, {
    message: 'needs a link (or a raw input)',
    path: ['link'],
  });

const ConfigSource = z.union([
  z
    .object({
      /** A config file, relative to the scenario file (e.g. "configs/one-link.json"). */
      base: z.string().min(1),
      /**
       * A deep patch of the base: objects merge, arrays merge element by element (so
       * `{"links":[{"remediation":{"enabled":false}}]}` patches the first link), `null` removes.
       */
      overrides: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
  z.object({ inline: z.record(z.string(), z.unknown()) }).strict(),
]);

const TimingSchema = z
  .object({
    tickOffsetSeconds: z.number().nonnegative().optional(),
    alarmEvaluationOffsetSeconds: z.number().nonnegative().optional(),
    tunnelUpSeconds: z.number().nonnegative().optional(),
    tunnelUpStaggerSeconds: z.number().nonnegative().optional(),
    tunnelDownSeconds: z.number().nonnegative().optional(),
    ttlDeletionLagSeconds: z.number().nonnegative().optional(),
    asg: z
      .object({
        launchDelaySeconds: z.number().nonnegative().optional(),
        runningSeconds: z.number().nonnegative().optional(),
        bootSeconds: z.number().nonnegative().optional(),
        shutdownSeconds: z.number().nonnegative().optional(),
        ipsecStartSeconds: z.number().nonnegative().optional(),
        healthCheckIntervalSeconds: z.number().positive().optional(),
        healthCheckGracePeriodSeconds: z.number().nonnegative().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A link's remediation budget item as it stands at the start (attempts of the last 24 h). */
const BudgetSeedSchema = z
  .object({
    link,
    /** How long before the start each attempt was made (each under 24 h: older ones no longer count). */
    attempts: z
      .array(
        Duration.refine((ago) => ago < 24 * 3600, {
          message: 'must be under 24h: older attempts do not count',
        }),
      )
      .min(1, 'must list at least one attempt (how long before the start, like "2h")'),
    /** How long before the start the last remediation ended (default: none ended, no cooldown). */
    lastCompleted: Duration.optional(),
  })
  .strict();

export const ScenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be kebab-case, like gateway-instance-dies'),
    description: z.string().min(1, 'must say what the scenario rehearses'),
    config: ConfigSource,
    durationMinutes: z
      .number()
      .positive('must be a positive number of simulated minutes')
      .max(24 * 60),
    /** Simulated start (ISO, default 2026-11-26T12:00:00Z). */
    start: z.iso.datetime({ offset: true }).optional(),
    /** The world's simulated durations, when the scenario needs other than the defaults. */
    timing: TimingSchema.optional(),
    /** State the world starts with beyond the config's resources. */
    seed: z
      .object({ budget: z.array(BudgetSeedSchema).min(1).optional() })
      .strict()
      .optional(),
    timeline: z.array(TimelineEntrySchema).default([]),
    starts: z.array(StartSchema).default([]),
    expect: z
      .array(ExpectationSchema)
      .min(1, 'must list at least one expectation (a scenario that cannot fail proves nothing)'),
  })
  .strict()
  .refine(
    (scenario) =>
      scenario.expect.every((e) => e.check === 'config-rejected') ||
      scenario.expect.every((e) => e.check !== 'config-rejected'),
    {
      message: 'a config-rejected scenario builds no world: every expectation must be config-rejected',
      path: ['expect'],
    },
  );

export type ScenarioFile = z.output<typeof ScenarioSchema>;
