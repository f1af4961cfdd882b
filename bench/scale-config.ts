/**
 * Generated deployment configs for the scale tests and the synth bench: N links sharing V canary
 * VPCs over a few VPN Regions, every per-link resource unique (the schema refuses two links on one
 * gateway group, Elastic IP, VPN connection or route), so the config is one a user could deploy.
 * Generated in code rather than checked in: a 200-link JSON file would be ~200 KB of noise.
 */
import type { Config } from '#shared/config.ts';
import { parseConfig } from '#shared/config.ts';

export interface ScaleConfigOptions {
  /** How many links. */
  readonly links: number;
  /** How many canary VPCs the links share (link i probes from VPC i mod vpcs). @default 20 */
  readonly vpcs?: number;
  /** The links' VPN Regions, round robin. @default ['us-west-2', 'eu-west-1'] */
  readonly regions?: readonly string[];
  /** Canary subnets per link (distinct per VPC slot, so a VPC gathers its links' subnets). @default 2 */
  readonly subnetsPerLink?: number;
  /** Distinct subnets per VPC the links draw from, in turn (mod this). @default 2 */
  readonly subnetsPerVpc?: number;
  /** @default 'VpnGuard' */
  readonly namespace?: string;
  /** @default true */
  readonly dashboard?: boolean;
  /** `deployment.linkStacks`. @default 0 (one stack) */
  readonly linkStacks?: number;
}

/** A 17-hex-digit AWS resource id suffix: `<kind digit><index, zero padded>`. */
function hexId(kind: number, index: number): string {
  return `0${kind.toString(16)}${index.toString(16).padStart(15, '0')}`;
}

/** The raw (unvalidated) config object, as a user would write it in a file. */
export function scaleConfigJson(options: ScaleConfigOptions): Record<string, unknown> {
  const vpcs = options.vpcs ?? 20;
  const regions = options.regions ?? ['us-west-2', 'eu-west-1'];
  const subnetsPerLink = options.subnetsPerLink ?? 2;
  const subnetsPerVpc = Math.max(options.subnetsPerVpc ?? 2, subnetsPerLink);
  const links = Array.from({ length: options.links }, (_, index) => {
    const vpc = index % vpcs;
    const slot = Math.floor(index / vpcs);
    const subnetIds = Array.from(
      { length: subnetsPerLink },
      (_, k) => `subnet-${hexId(5, vpc * 1000 + ((slot * subnetsPerLink + k) % subnetsPerVpc))}`,
    );
    // 10.x.y.0/24 per link: x and y from the index, so every remote CIDR (hence route) is unique.
    const second = 10 + Math.floor(index / 250);
    const third = index % 250;
    return {
      name: `site-${String(index + 1).padStart(3, '0')}`,
      gateway: {
        autoScalingGroupName: `vpn-gateway-site-${index + 1}`,
        elasticIpAllocationId: `eipalloc-${hexId(1, index)}`,
        routeTableIds: [`rtb-${hexId(2, vpc)}`],
        remoteCidrs: [`10.${second}.${third}.0/24`],
      },
      vpn: {
        region: regions[index % regions.length],
        vpnConnectionIds: [`vpn-${hexId(3, index)}`],
        minTunnelsUp: 1,
      },
      canary: {
        vpcId: `vpc-${hexId(4, vpc)}`,
        subnetIds,
        targets: [
          { host: `10.${second}.${third}.10`, port: 22 },
          { host: `10.${second}.${third}.11`, port: 443 },
        ],
      },
    };
  });
  return {
    namespace: options.namespace ?? 'VpnGuard',
    schedule: 'rate(1 minute)',
    notifications: { emails: ['oncall@example.com'], smsNumbers: [] },
    observability: { logRetentionDays: 30, dashboard: options.dashboard ?? true },
    links,
    deployment: { linkStacks: options.linkStacks ?? 0 },
  };
}

/** The config validated by the schema synth uses (throws ConfigError like a bad file would). */
export function scaleConfig(options: ScaleConfigOptions): Config {
  return parseConfig(scaleConfigJson(options), `scaleConfig(${options.links} links)`);
}
