/**
 * publish-metric Lambda: every metric of a monitor tick, or of a finished remediation, in the fewest
 * PutMetricData calls. A failed publish throws: the state machine shows the failure, never a gap.
 */
import { cloudWatchClient } from '#shared/clients.ts';
import { findLink } from '#shared/config.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { taskHandler } from '#shared/middleware.ts';
import { logger } from '#shared/powertools.ts';
import { runtimeConfig } from '#shared/runtime-config.ts';
import { putDatums } from './adapters.ts';
import { type CanaryBranch, remediationDatums, type TunnelBranch, tickDatums } from './datums.ts';
import { PublishMetricInput } from './input.ts';

export const handler = taskHandler(PublishMetricInput, async (input, { signal }) => {
  const config = runtimeConfig();
  if (input.kind === 'remediation') {
    if (!findLink(config, input.link))
      throw new InvalidInputError(`unknown link ${JSON.stringify(input.link)}`);
    const datums = remediationDatums(input, new Date());
    const calls = await putDatums(cloudWatchClient(), config.namespace, datums, { signal });
    logger.info('published remediation metrics', { outcome: input.outcome, failedState: input.failedState });
    return { datums: datums.length, calls };
  }
  const { datums, failures } = tickDatums(
    config.links,
    input.tunnels as TunnelBranch,
    input.canaries as CanaryBranch[],
    new Date(),
  );
  for (const failure of failures) logger.warn('collection failed', { ...failure });
  const calls = await putDatums(cloudWatchClient(), config.namespace, datums, { signal });
  logger.info('published tick metrics', { datums: datums.length, calls, failures: failures.length });
  return { datums: datums.length, calls, collectionComplete: failures.length === 0, failures };
});
