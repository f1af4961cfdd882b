/** publish-metric Lambda: every metric of a monitor tick in the fewest PutMetricData calls. */
import { cloudWatchClient } from '#shared/clients.ts';
import { taskHandler } from '#shared/middleware.ts';
import { logger } from '#shared/powertools.ts';
import { runtimeConfig } from '#shared/runtime-config.ts';
import { putDatums } from './adapters.ts';
import { type CanaryBranch, type TunnelBranch, tickDatums } from './datums.ts';
import { TickInput } from './input.ts';

export const handler = taskHandler(TickInput, async (input, { signal }) => {
  const config = runtimeConfig();
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
