/**
 * ping-canary Lambda (one per VPC, attached to it): TCP handshakes to the far side of each link of
 * this VPC. Wiring only; the run is in canary.ts, one handshake in probe.ts.
 */
import { taskHandler } from '#shared/middleware.ts';
import { logger } from '#shared/powertools.ts';
import { requireEnv, runtimeConfig } from '#shared/runtime-config.ts';
import { CANARY_ERROR_BOUND } from '#shared/state-size.ts';
import { runCanary, selectLinks } from './canary.ts';
import { probeTcp } from './probe.ts';
import { CanaryInputSchema } from './schema.ts';

/** The VPC this function is attached to; only links whose canary.vpcId matches are probed. */
export const CANARY_VPC_ENV = 'CANARY_VPC_ID';

/**
 * Builds the handler over an environment, read at each invocation, so the local sandbox can run one
 * handler per VPC in a single process.
 */
export function createCanaryHandler(env: NodeJS.ProcessEnv = process.env) {
  return taskHandler(
    CanaryInputSchema,
    async (input, { signal }) => {
      const config = runtimeConfig(env);
      const vpcId = requireEnv(CANARY_VPC_ENV, env);
      const links = selectLinks(config.links, vpcId, input.links);
      // The collection's own success and latency are this invocation's AWS/Lambda Errors and Duration
      // (CANARY_COLLECTION_METRICS): a run that judged none of its links throws.
      const { result, details, failures } = await runCanary({
        vpcId,
        links,
        probe: probeTcp,
        signal,
        startedAt: new Date(),
      });
      // Per-target and per-attempt detail belongs in the log, not in metrics (each metric costs
      // money) nor in the state machine's state (256 KiB for every link of the tick): the result
      // carries each link's figures only.
      for (const report of details) {
        logger.info('canary', { report });
        const unresolved = report.targets.filter((target) => target.status === 'unresolved');
        // The path was judged without them, but a name that does not resolve is a config to fix.
        if (unresolved.length > 0) {
          logger.warn('canary targets did not resolve', {
            link: report.link,
            targets: unresolved.map((target) => `${target.host}:${target.port}`),
          });
        }
      }
      for (const failure of failures) logger.warn('canary inconclusive', { failure });
      return result;
    },
    // Its Causes sit in the Monitor's state once per canary VPC: short and plain.
    { errors: CANARY_ERROR_BOUND },
  );
}

/** The Lambda entry point. */
export const handler = createCanaryHandler();
