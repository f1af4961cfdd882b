/** remediation-guard's inputs: the Remediation machine's execution input and one payload per action. */
import * as z from 'zod';
import { TRIGGERS } from '#shared/execution-name.ts';
import { ATTEMPT_COMPLETIONS } from './types.ts';

/** The Remediation machine's execution input (design contract), parsed strictly by `validate`. */
export const RemediationRequestSchema = z
  .object({
    link: z.string({ error: 'must be the name of a configured link' }),
    trigger: z.enum(TRIGGERS, { error: `must be one of ${TRIGGERS.join(', ')}` }),
    dryRun: z.boolean({ error: 'must be true or false' }).default(false),
    reason: z.string({ error: 'must be a string' }).max(500, 'must be at most 500 characters').optional(),
  })
  .strict();
/** A parsed execution input, defaults applied. */
export type RemediationRequest = z.output<typeof RemediationRequestSchema>;

/** The fields the execution input accepts, for error messages. */
export const REQUEST_FIELDS = Object.keys(RemediationRequestSchema.shape);

/**
 * One probe branch of the ASL's Parallel (the Monitor's convention): the Lambda's result, or the
 * error Step Functions caught, flattened to `error` (its name) and `cause`, so a failed probe reaches
 * evaluate-health as "unknown", never as a failure.
 */
export const ProbeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.string(), cause: z.string().optional() }),
]);
/** One probe branch as evaluate-health receives it. */
export type Probe = z.output<typeof ProbeSchema>;

const executionId = z.string().min(1);
const link = z.string().min(1);

/** remediation-guard's payload, one shape per action (correlation keys may ride along). */
export const GuardInputSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('validate'),
    /**
     * The deployed canary functions, `vpcId=functionArn` pairs joined by commas: substituted into
     * the Remediation definition by the stack (one ARN per canary VPC would outgrow Lambda's 4 KB
     * environment at about 22 VPCs; the definition allows 1 MB).
     */
    canaryFunctions: z.string(),
    executionId,
    executionName: z.string().min(1),
    startedAt: z.string().min(1),
    /** The raw execution input; validated here so a bad one is an InvalidInputError naming the field. */
    input: z.unknown(),
  }),
  z.object({ action: z.literal('acquire-lock'), executionId, link, dryRun: z.boolean() }),
  z.object({
    action: z.literal('check-budget'),
    executionId,
    link,
    trigger: z.enum(TRIGGERS),
    dryRun: z.boolean(),
  }),
  z.object({
    action: z.literal('release-lock'),
    executionId,
    link,
    dryRun: z.boolean(),
    attempt: z.enum(ATTEMPT_COMPLETIONS),
    /** The run ended in failure (ReleaseLockAfterFailure): a withdrawn attempt joins the back-off series. */
    failed: z.boolean().default(false),
  }),
  z.object({
    action: z.literal('evaluate-health'),
    executionId,
    link,
    phase: z.enum(['confirm', 'verify']),
    dryRun: z.boolean(),
    /** The execution's start (ISO), for the time to recover. */
    startedAt: z.string().min(1),
    /** verify: when the repair finished (ISO); the verify deadline counts from here. */
    since: z.string().min(1).nullable().default(null),
    tunnels: ProbeSchema,
    canary: ProbeSchema,
  }),
]);
/** A parsed remediation-guard payload. */
export type GuardInput = z.output<typeof GuardInputSchema>;
