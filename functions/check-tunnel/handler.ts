/** check-tunnel Lambda: tunnel status of the links asked for (all by default), from their VPN Regions. */
import { performance } from 'node:perf_hooks';
import { ec2Client } from '#shared/clients.ts';
import { taskHandler } from '#shared/middleware.ts';
import { runtimeConfig } from '#shared/runtime-config.ts';
import { describeVpnTelemetry } from './adapters.ts';
import { checkTunnels } from './check.ts';
import { CheckTunnelInput, selectLinks } from './input.ts';

export const handler = taskHandler(CheckTunnelInput, async (input, { signal }) => {
  const links = selectLinks(runtimeConfig(), input.links);
  return checkTunnels(links, {
    describe: (region, ids) => describeVpnTelemetry(ec2Client(region), ids, { signal }),
    elapsedMs: () => performance.now(),
    now: () => new Date(),
  });
});
