/** start-remediation's two inputs: the Monitor's tick, or the alarm's EventBridge event. */
import * as z from 'zod';

const ErrorBranch = { ok: z.literal(false), error: z.string(), cause: z.string().optional() };

/**
 * The Monitor machine's call after each tick, with the tick's own figures (`$.telemetry`): the
 * tunnel branch and the canary groups, as CollectTelemetry produced them. Without them (an older
 * Monitor definition) the Outage alarms are read instead.
 */
export const MonitorInputSchema = z.object({
  source: z.literal('monitor'),
  executionId: z.string().optional(),
  tunnels: z
    .discriminatedUnion('ok', [
      z.object({
        ok: z.literal(true),
        result: z.looseObject({ checkedAt: z.string().optional(), links: z.array(z.unknown()) }),
      }),
      z.looseObject(ErrorBranch),
    ])
    .optional(),
  canaries: z
    .array(
      z.discriminatedUnion('ok', [
        z.object({ ok: z.literal(true), result: z.looseObject({ links: z.array(z.unknown()) }) }),
        z.looseObject({ ...ErrorBranch, links: z.array(z.string()).default([]) }),
      ]),
    )
    .optional(),
});

/** EventBridge "CloudWatch Alarm State Change" (only the fields used; the rest passes). */
export const AlarmEventSchema = z.looseObject({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  detail: z.looseObject({
    alarmName: z.string().min(1),
    state: z.looseObject({
      value: z.string(),
      /** e.g. `2026-11-26T11:58:00.000+0000`. */
      timestamp: z
        .string()
        .refine((value) => !Number.isNaN(new Date(value).getTime()), 'must be a timestamp'),
    }),
  }),
});

/** Either input. */
export const StartInputSchema = z.union([MonitorInputSchema, AlarmEventSchema]);
/** A parsed start-remediation input. */
export type StartInput = z.output<typeof StartInputSchema>;
