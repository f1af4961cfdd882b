/**
 * publish-metric Lambda: every metric of a monitor tick, or of a finished remediation, as embedded
 * metric format documents on standard output (Powertools Metrics); CloudWatch extracts them from the
 * function's log group. Collection failures are logged and summarised for the Monitor.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { findLink } from '#shared/config.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { taskHandler } from '#shared/middleware.ts';
import { logger } from '#shared/powertools.ts';
import { runtimeConfig } from '#shared/runtime-config.ts';
import { emfMetrics, emitDatumGroups } from './adapters.ts';
import {
  type CanaryBranch,
  datumGroups,
  failureSummary,
  remediationDatums,
  type TunnelBranch,
  tickDatums,
} from './datums.ts';
import { PublishMetricInput } from './input.ts';

let publisher: { readonly namespace: string; readonly metrics: Metrics } | undefined;

/** One publisher per container (per namespace, for the sandbox's many worlds); warnings go to the logger. */
function metricsIn(namespace: string): Metrics {
  if (publisher?.namespace !== namespace) {
    publisher = { namespace, metrics: emfMetrics(new Metrics({ namespace, logger })) };
  }
  return publisher.metrics;
}

export const handler = taskHandler(PublishMetricInput, async (input) => {
  const config = runtimeConfig();
  if (input.kind === 'remediation') {
    if (!findLink(config, input.link))
      throw new InvalidInputError(`unknown link ${JSON.stringify(input.link)}`);
    const datums = remediationDatums(input, new Date());
    const documents = emitDatumGroups(metricsIn(config.namespace), datumGroups(datums));
    logger.info('published remediation metrics', { outcome: input.outcome, failedState: input.failedState });
    return { datums: datums.length, documents };
  }
  const { datums, failures } = tickDatums(
    config.links,
    input.tunnels as TunnelBranch,
    input.canaries as CanaryBranch[],
    new Date(),
  );
  for (const failure of failures) logger.warn('collection failed', { ...failure });
  const documents = emitDatumGroups(metricsIn(config.namespace), datumGroups(datums));
  logger.info('published tick metrics', { datums: datums.length, documents, failures: failures.length });
  return {
    datums: datums.length,
    documents,
    collectionComplete: failures.length === 0,
    failures: failures.length,
    // The Monitor's CollectionIncomplete cause: which Region or VPC failed and why, in one line.
    summary: failureSummary(failures),
  };
});
