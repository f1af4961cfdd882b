/** notify's input: the outcome to announce and the execution's whole state document (`$`). */
import { z } from 'zod';
import { NOTIFY_OUTCOMES } from './report.ts';
import { ContextSchema } from './state.ts';

/** notify's payload. */
export const NotifyInputSchema = z.object({
  outcome: z.enum(NOTIFY_OUTCOMES),
  executionId: z.string().optional(),
  link: z.string().optional(),
  state: z.looseObject({ context: ContextSchema }),
});
/** A parsed notify payload. */
export type NotifyInput = z.output<typeof NotifyInputSchema>;
