/** ping-canary's input, as the Monitor machine sends it. */
import * as z from 'zod';

/**
 * `{ links?, executionId?, link? }`. Omit `links` to probe every link of this function's VPC; a list
 * names exactly which ones (each must be configured in this VPC). Unknown keys are dropped, so the
 * state machine may pass correlation data freely.
 */
export const CanaryInputSchema = z.object({
  links: z
    .array(z.string().min(1, 'must be a link name'))
    .min(1, 'must name at least one link; omit it to probe every link of this VPC')
    .optional(),
  executionId: z.string().optional(),
  link: z.string().optional(),
});

export type CanaryInput = z.output<typeof CanaryInputSchema>;
