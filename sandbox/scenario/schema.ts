/**
 * The scenario file format (scenarios/*.json): a config, a duration, a timeline of faults, manual
 * remediation starts, and the expectations that must hold at the end. Validated with zod; a bad
 * file fails naming the field, the value and what is expected.
 */
import { z } from 'zod';
import { LINK_ALARMS } from '#shared/alarm-names.ts';
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

export const ExpectationSchema = z.discriminatedUnion('check', [
  z
    .object({
      check: z.literal('link-healthy'),
      /** Default: every link. */
      link: link.optional(),
      /** Default true; false expects the link to be down at the end. */
      healthy: z.boolean().default(true),
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
      kind: z.string().min(1),
      /** For kind `alarm`: which alarm (TunnelsDown, ..., Unhealthy) and which new state. */
      alarm: z.enum(LINK_ALARMS).optional(),
      state: z.enum(ALARM_STATES).optional(),
      link: link.optional(),
      ...Count,
    })
    .strict()
    .refine(hasCount, countMessage),
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
      link: link.optional(),
      alarm: z.enum(LINK_ALARMS),
      state: z.enum(ALARM_STATES),
    })
    .strict(),
  z
    .object({
      check: z.literal('alarm-transitions'),
      link: link.optional(),
      alarm: z.enum(LINK_ALARMS),
      to: z.enum(ALARM_STATES),
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
    timeline: z.array(TimelineEntrySchema).default([]),
    starts: z.array(StartSchema).default([]),
    expect: z
      .array(ExpectationSchema)
      .min(1, 'must list at least one expectation (a scenario that cannot fail proves nothing)'),
  })
  .strict();

export type ScenarioFile = z.output<typeof ScenarioSchema>;
