/**
 * Configs the cost command prices besides the user's: the same deployment with one more link (the
 * marginal link), and N-link copies of a link for the cost table.
 */

import { manyLinksConfig } from '#sandbox/many-links.ts';
import type { Config, LinkConfig } from '#shared/config.ts';
import { parseConfig } from '#shared/config.ts';

const hex = (i: number) => i.toString(16).padStart(17, '0');

/**
 * A copy of `link` with its own name, gateway group, Elastic IP, VPN connection and remote CIDR
 * (the config refuses links that share them); VPC and VPN Region as given.
 */
export function copyOfLink(
  link: LinkConfig,
  index: number,
  where: { vpcId?: string; region?: LinkConfig['vpn']['region'] } = {},
): LinkConfig {
  return {
    ...link,
    name: `link-${index}`,
    gateway: {
      ...link.gateway,
      autoScalingGroupName: `vpn-gateway-${index}`,
      elasticIpAllocationId: `eipalloc-${hex(index + 1)}`,
      remoteCidrs: [`10.${64 + Math.floor(index / 256)}.${index % 256}.0/24`],
    },
    vpn: {
      ...link.vpn,
      region: where.region ?? link.vpn.region,
      vpnConnectionIds: [`vpn-${hex(index + 1)}`],
    },
    canary: { ...link.canary, vpcId: where.vpcId ?? link.canary.vpcId },
  };
}

/** The config with one more link: a copy of its last link in the same VPC and VPN Region. */
export function withOneMoreLink(config: Config): Config {
  const last = config.links.at(-1);
  if (!last) throw new Error('the config has no link to copy');
  return parseConfig(
    { ...config, links: [...config.links, copyOfLink(last, config.links.length)] },
    'cost: n+1 links',
  );
}

/** The second VPN Region of the table's configs. */
export const SECOND_REGION = 'us-east-2';

/**
 * `count` copies of the config's first link (sandbox/many-links.ts: distinct gateways, routes, VPN
 * connections, and VPCs whose subnets the world can route), in up to 20 canary VPCs round-robin,
 * their VPNs alternating between the link's Region and {@link SECOND_REGION}; past 50 links over
 * `deployment.linkStacks` link stacks.
 */
export function scaledConfig(config: Config, count: number): Config {
  const first = config.links[0];
  if (!first) throw new Error('the config has no link to copy');
  if (count === 1) return parseConfig({ ...config, links: [first] }, 'cost: 1 link');
  const raw = manyLinksConfig(config as unknown as Parameters<typeof manyLinksConfig>[0], count, {
    regions: [first.vpn.region, SECOND_REGION],
    vpcs: Math.min(count, 20),
  });
  // Past 50 links one stack passes CloudFormation's 500 resources (synth refuses it): split the
  // links over link stacks of at most 50, as the deployment-limit error advises (200 links: 4).
  const linkStacks = count > 50 ? Math.ceil(count / 50) : 0;
  return parseConfig({ ...raw, deployment: { linkStacks } }, `cost: ${count} links`);
}
