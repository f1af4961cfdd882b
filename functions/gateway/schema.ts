/** gateway's input: one payload per action. */
import { z } from 'zod';

const common = { executionId: z.string().min(1), link: z.string().min(1) };

/** gateway's payload, one shape per action (correlation keys may ride along). */
export const GatewayInputSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('describe'), ...common }),
  z.object({
    action: z.literal('replace'),
    ...common,
    dryRun: z.boolean(),
    /** The snapshot's InService instance; null when the group had none. */
    oldInstanceId: z.string().nullable(),
  }),
  z.object({
    action: z.literal('await-replacement'),
    ...common,
    dryRun: z.boolean(),
    oldInstanceId: z.string().nullable(),
    /** When the termination was requested (ISO); the deadline counts from here. */
    since: z.string().min(1),
  }),
  z.object({
    action: z.literal('configure'),
    ...common,
    dryRun: z.boolean(),
    /** The replacement; null in a dry run (there is none). */
    instanceId: z.string().nullable(),
  }),
  z.object({
    action: z.literal('repoint'),
    ...common,
    dryRun: z.boolean(),
    /** The replacement's primary ENI; null in a dry run. */
    networkInterfaceId: z.string().nullable(),
  }),
]);
/** A parsed gateway payload. */
export type GatewayInput = z.output<typeof GatewayInputSchema>;
