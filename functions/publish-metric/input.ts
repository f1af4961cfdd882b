/** publish-metric's input: a monitor tick's collected figures, or a finished remediation. */
import { z } from 'zod';

const ErrorBranch = { ok: z.literal(false), error: z.string(), cause: z.string().optional() };

export const TickInput = z.object({
  kind: z.literal('tick'),
  executionId: z.string().optional(),
  tunnels: z.discriminatedUnion('ok', [
    z.object({
      ok: z.literal(true),
      result: z.looseObject({
        checkedAt: z.string(),
        regions: z.array(z.looseObject({ region: z.string(), ok: z.boolean() })),
        links: z.array(z.looseObject({})),
      }),
    }),
    z.object(ErrorBranch),
  ]),
  canaries: z.array(
    z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), result: z.looseObject({ links: z.array(z.looseObject({})) }) }),
      z.object({ ...ErrorBranch, vpcId: z.string().optional(), links: z.array(z.string()) }),
    ]),
  ),
});

export const RemediationInput = z.object({
  kind: z.literal('remediation'),
  executionId: z.string().optional(),
  link: z.string().min(1),
  outcome: z.enum(['recovered', 'failed']),
  timeToRecoverSeconds: z.number().nonnegative().nullable(),
  failedState: z.string().nullable().optional(),
});

export const PublishMetricInput = z.discriminatedUnion('kind', [TickInput, RemediationInput]);
