/** check-tunnel Lambda: tunnel status of the links asked for (all by default), from their VPN Regions. */
import { performance } from 'node:perf_hooks';
import { ec2Client } from '#shared/clients.ts';
import { taskHandler } from '#shared/middleware.ts';
import { logger } from '#shared/powertools.ts';
import { runtimeConfig } from '#shared/runtime-config.ts';
import { MONITOR_ERROR_BOUND } from '#shared/state-size.ts';
import { describeVpnTelemetry } from './adapters.ts';
import { checkTunnels } from './check.ts';
import { CheckTunnelInput, selectLinks } from './input.ts';

export const handler = taskHandler(
  CheckTunnelInput,
  async (input, { signal }) => {
    const links = selectLinks(runtimeConfig(), input.links);
    const { result, details } = await checkTunnels(links, {
      describe: (region, ids) => describeVpnTelemetry(ec2Client(region), ids, { signal }),
      elapsedMs: () => performance.now(),
      now: () => new Date(),
    });
    // Per-tunnel detail belongs in the log, not in the state machine's payload: only for the links
    // that lost a tunnel, where it says which one and why.
    for (const detail of details) {
      if (detail.tunnelsUp < detail.tunnelsTotal) logger.info('tunnels not all up', { detail });
    }
    for (const region of result.regions) {
      if (!region.ok) logger.warn('tunnel check failed in a Region', { ...region });
    }
    return result;
  },
  // A caught Cause sits in the Monitor's state (functions/shared/state-size.ts).
  { errors: MONITOR_ERROR_BOUND },
);
