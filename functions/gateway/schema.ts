/** gateway's input: one payload per action. */
import * as z from 'zod';
import { ProbeSchema } from '#functions/remediation-guard/schema.ts';
import { TRIGGERS } from '#shared/execution-name.ts';

const common = { executionId: z.string().min(1), link: z.string().min(1) };
const ProbePairSchema = z.object({ tunnels: ProbeSchema, canary: ProbeSchema });

/** gateway's payload, one shape per action (correlation keys may ride along). */
export const GatewayInputSchema = z.discriminatedUnion('action', [
  /** The first observation (before anything changes) and every later one: the same snapshot. */
  z.object({ action: z.literal('observe'), ...common }),
  z.object({
    action: z.literal('confirm'),
    ...common,
    dryRun: z.boolean(),
    /** The execution's start (ISO): the confirmation window counts from here. */
    startedAt: z.string().min(1),
    tunnels: ProbeSchema,
    canary: ProbeSchema,
  }),
  z.object({
    action: z.literal('decide'),
    ...common,
    dryRun: z.boolean(),
    trigger: z.enum(TRIGGERS),
    startedAt: z.string().min(1),
    /** The latest observation, or the error a failed observation was caught with. */
    observation: z.looseObject({}),
    probe: ProbePairSchema.nullable(),
    /** Whether `probe` is a new sample since the last decision. */
    sampled: z.boolean(),
    /** The loop's state so far (`{ iteration: 0 }` before the first decision). */
    loop: z.looseObject({ iteration: z.number().int().nonnegative() }),
  }),
  z.object({
    action: z.literal('replace'),
    ...common,
    dryRun: z.boolean(),
    /** The instance to terminate; null when the group had none. */
    oldInstanceId: z.string().nullable(),
  }),
  z.object({
    action: z.literal('configure'),
    ...common,
    dryRun: z.boolean(),
    /** The instance to configure; null in a dry run's plan for a replacement that does not exist yet. */
    instanceId: z.string().nullable(),
    /** The gateway as first observed: a dry run checks its permissions against it. */
    currentInstanceId: z.string().nullable().default(null),
  }),
  z.object({
    action: z.literal('repoint'),
    ...common,
    dryRun: z.boolean(),
    /** The interface the routes target (routeDeviceIndex); null in a dry run's replacement plan. */
    networkInterfaceId: z.string().nullable(),
    /** An existing interface a dry run checks the route permissions against. */
    probeInterfaceId: z.string().nullable().default(null),
  }),
  z.object({
    action: z.literal('restart-ipsec'),
    ...common,
    dryRun: z.boolean(),
    instanceId: z.string().nullable(),
  }),
]);
/** A parsed gateway payload. */
export type GatewayInput = z.output<typeof GatewayInputSchema>;
