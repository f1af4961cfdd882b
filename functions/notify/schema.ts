/**
 * notify's inputs: an announcement from the Remediation machine (the outcome and the execution's
 * whole state document `$`), or EventBridge's "Step Functions Execution Status Change" of a
 * Remediation execution that ended FAILED, TIMED_OUT or ABORTED (the remediation-watch rule).
 */
import * as z from 'zod';
import { NOTIFY_OUTCOMES, RUNGS } from './report.ts';
import { ContextSchema } from './state.ts';

/** The Remediation machine's announcement. */
export const AnnounceInputSchema = z.object({
  outcome: z.enum(NOTIFY_OUTCOMES),
  executionId: z.string().optional(),
  link: z.string().optional(),
  /** The rung that healed, or the last one tried (remediation-loop's ladder). */
  rung: z.enum(RUNGS).nullable().optional(),
  /** Every rung tried, in order. */
  rungs: z.array(z.string()).optional(),
  state: z.looseObject({ context: ContextSchema }),
});
/** A parsed announcement. */
export type AnnounceInput = z.output<typeof AnnounceInputSchema>;

/** The statuses the remediation-watch rule delivers. */
export const WATCHED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/**
 * "Step Functions Execution Status Change" (EventBridge): `detail.status`, `executionArn`, `name`,
 * `stateMachineArn`, `input` (a JSON string), `error`/`cause` when it failed
 * (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html).
 */
export const StatusChangeEventSchema = z.looseObject({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.looseObject({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().min(1),
    name: z.string().min(1),
    status: z.enum(WATCHED_STATUSES, { error: `must be one of ${WATCHED_STATUSES.join(', ')}` }),
    input: z.string().nullable().optional(),
    error: z.string().nullable().optional(),
    cause: z.string().nullable().optional(),
    startDate: z.number().nullable().optional(),
    stopDate: z.number().nullable().optional(),
  }),
});
/** A parsed status change event. */
export type StatusChangeEvent = z.output<typeof StatusChangeEventSchema>;

/** A parsed notify payload. */
export type NotifyInput = AnnounceInput | StatusChangeEvent;

/**
 * notify's payload: either input, told apart by `source` so a bad one is reported against the shape
 * it meant to be (naming the field), not as "matches neither".
 */
export const NotifyInputSchema = z.unknown().transform((value, ctx): NotifyInput => {
  const isEvent = (value as { source?: unknown } | null)?.source === 'aws.states';
  const parsed = isEvent ? StatusChangeEventSchema.safeParse(value) : AnnounceInputSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  return parsed.data;
});
