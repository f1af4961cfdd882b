/** check-tunnel's input: which links to check (every configured link when omitted). */
import * as z from 'zod';
import type { Config, LinkConfig } from '#shared/config.ts';
import { InvalidInputError } from '#shared/errors.ts';

export const CheckTunnelInput = z.object({
  links: z.array(z.string()).min(1).optional(),
  executionId: z.string().optional(),
  link: z.string().optional(),
});

/** The configured links named in `names` (all when undefined); an unknown name is an InvalidInputError. */
export function selectLinks(config: Config, names: readonly string[] | undefined): LinkConfig[] {
  if (!names) return config.links;
  return names.map((name) => {
    const link = config.links.find((candidate) => candidate.name === name);
    if (!link) {
      throw new InvalidInputError(
        `unknown link ${JSON.stringify(name)}; configured links: ${config.links.map((l) => l.name).join(', ')}`,
      );
    }
    return link;
  });
}
