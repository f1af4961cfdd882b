/**
 * A config of many links, for scale tests and benchmarks: the example config's link repeated with
 * distinct names, gateways, Elastic IPs, routes and VPN connections, spread round-robin over the
 * given VPN Regions and canary VPCs. Raw JSON, to be validated by the caller's parseConfig (or a
 * world), so it meets every rule a real config meets.
 */

/** The Regions the links' VPNs are spread over by default (the sandbox's "region B" and another). */
export const DEFAULT_VPN_REGIONS = ['us-west-2', 'eu-west-1'] as const;

export interface ManyLinksOptions {
  /** VPN Regions, round-robin (default {@link DEFAULT_VPN_REGIONS}). */
  readonly regions?: readonly string[];
  /** How many canary VPCs the links share, round-robin (default 1). */
  readonly vpcs?: number;
}

const hex17 = (n: number) => n.toString(16).padStart(17, '0');
/** A 17-digit id whose first 8 digits differ (the world derives a VPC's subnet from them). */
const vpcHex = (n: number) => `${n.toString(16).padStart(8, '0')}0a1b2c3d4`;

/** `base` (a raw config, e.g. config/example.json) with `count` links built from its first link. */
export function manyLinksConfig(
  base: Record<string, unknown> & { links: readonly Record<string, unknown>[] },
  count: number,
  options: ManyLinksOptions = {},
): Record<string, unknown> & { links: Record<string, unknown>[] } {
  const regions = options.regions ?? DEFAULT_VPN_REGIONS;
  const vpcs = options.vpcs ?? 1;
  const template = base.links[0] as {
    gateway: Record<string, unknown>;
    vpn: Record<string, unknown>;
    canary: Record<string, unknown>;
  };
  if (!template) throw new Error('manyLinksConfig: the base config has no link to repeat');
  const links = Array.from({ length: count }, (_, i) => {
    const vpc = i % vpcs;
    return {
      ...template,
      name: `link-${i}`,
      gateway: {
        ...template.gateway,
        autoScalingGroupName: `vpn-gateway-${i}`,
        elasticIpAllocationId: `eipalloc-${hex17(i + 1)}`,
        // The links of one VPC share its route table (the canary subnet's): each owns its CIDR's route.
        routeTableIds: [`rtb-${vpcHex(vpc + 1)}`],
        remoteCidrs: [`10.${64 + Math.floor(i / 256)}.${i % 256}.0/24`],
      },
      vpn: {
        ...template.vpn,
        region: regions[i % regions.length],
        vpnConnectionIds: [`vpn-${hex17(i + 1)}`],
      },
      canary: {
        ...template.canary,
        vpcId: `vpc-${vpcHex(vpc + 1)}`,
        subnetIds: [`subnet-${vpcHex(vpc + 1)}`],
      },
    };
  });
  return { ...structuredClone(base), links };
}
