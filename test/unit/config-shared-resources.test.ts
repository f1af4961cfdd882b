/**
 * Config validation refuses two links that claim one resource (a gateway group, an Elastic IP, a
 * VPN connection, a route), on the later link's field, naming both links and the earlier field.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '#shared/config.ts';
import { exampleConfigJson } from '../fixtures/config.ts';

// biome-ignore lint/suspicious/noExplicitAny: configs are edited as loose JSON here.
type Loose = any;

/** The example's link plus a second one that shares nothing, then `edit` applied to both. */
function twoLinks(edit: (first: Loose, second: Loose) => void = () => {}): Loose {
  const raw: Loose = exampleConfigJson();
  const first = raw.links[0];
  const second = structuredClone(first);
  second.name = 'home-to-east';
  second.gateway = {
    autoScalingGroupName: 'vpn-gateway-east',
    elasticIpAllocationId: 'eipalloc-0eeeeeeeeeeeeeeee',
    routeTableIds: ['rtb-0eeeeeeeeeeeeeeee'],
    remoteCidrs: ['10.40.0.0/16'],
  };
  second.vpn = { region: 'us-east-2', vpnConnectionIds: ['vpn-0eeeeeeeeeeeeeeee'] };
  raw.links.push(second);
  edit(first, second);
  return raw;
}

function problemsOf(raw: unknown): readonly string[] {
  try {
    parseConfig(raw, 'test.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  return [];
}

describe('links that share a resource', () => {
  it('accepts two links that share nothing but a route table (different CIDRs in it)', () => {
    // Prepare
    const raw = twoLinks((first, second) => {
      second.gateway.routeTableIds = [...first.gateway.routeTableIds];
    });
    // Act
    const config = parseConfig(raw);
    // Assess
    expect(config.links.map((link) => link.name)).toEqual(['home-to-west', 'home-to-east']);
  });

  it('refuses one Auto Scaling group for two links', () => {
    const raw = twoLinks((first, second) => {
      second.gateway.autoScalingGroupName = first.gateway.autoScalingGroupName;
    });
    expect(problemsOf(raw)).toEqual([
      'links[1].gateway.autoScalingGroupName: got "vpn-gateway-home": is also links[0].gateway.autoScalingGroupName: links "home-to-west" and "home-to-east" cannot share one gateway group (each would replace the other\'s gateway)',
    ]);
  });

  it('refuses one Elastic IP allocation for two links', () => {
    const raw = twoLinks((first, second) => {
      second.gateway.elasticIpAllocationId = first.gateway.elasticIpAllocationId;
    });
    expect(problemsOf(raw)).toEqual([
      'links[1].gateway.elasticIpAllocationId: got "eipalloc-0a1b2c3d4e5f60718": is also links[0].gateway.elasticIpAllocationId: links "home-to-west" and "home-to-east" cannot share one Elastic IP (it is one customer gateway\'s address)',
    ]);
  });

  it('refuses one VPN connection for two links, naming the position in each list', () => {
    const raw = twoLinks((first, second) => {
      second.vpn.vpnConnectionIds = ['vpn-0ffffffffffffffff', first.vpn.vpnConnectionIds[0]];
    });
    expect(problemsOf(raw)).toEqual([
      'links[1].vpn.vpnConnectionIds[1]: got "vpn-0a1b2c3d4e5f60718": is also links[0].vpn.vpnConnectionIds[0]: links "home-to-west" and "home-to-east" cannot share one VPN connection (it ends on one customer gateway)',
    ]);
  });

  it('refuses one (route table, remote CIDR) route for two links, naming the table', () => {
    // Prepare: the second link adds the first link's second table and its CIDR.
    const raw = twoLinks((first, second) => {
      second.gateway.routeTableIds = ['rtb-0eeeeeeeeeeeeeeee', first.gateway.routeTableIds[1]];
      second.gateway.remoteCidrs = ['10.40.0.0/16', first.gateway.remoteCidrs[0]];
    });
    // Act
    const problems = problemsOf(raw);
    // Assess: only the one route both own (rtb-0b... x 10.20.0.0/16), not its other routes.
    expect(problems).toEqual([
      'links[1].gateway.remoteCidrs[1]: got "10.20.0.0/16": is also links[0].gateway.remoteCidrs[0]: links "home-to-west" and "home-to-east" cannot own one route: both route 10.20.0.0/16 in rtb-0b1c2d3e4f5a60718 (links[0] and links[1] list it in gateway.routeTableIds), and each would re-point it to its own gateway',
    ]);
  });

  it('reports each shared resource, and a third link against the first that claimed it', () => {
    // Prepare
    const raw = twoLinks();
    const third = structuredClone(raw.links[0]);
    third.name = 'home-to-north';
    third.gateway.remoteCidrs = ['10.50.0.0/16'];
    third.vpn.vpnConnectionIds = ['vpn-0ffffffffffffffff'];
    raw.links.push(third);
    // Act
    const problems = problemsOf(raw);
    // Assess: group and Elastic IP, both on links[2], both naming links[0].
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /^links\[2\]\.gateway\.autoScalingGroupName: got "vpn-gateway-home": is also links\[0\]\.gateway\.autoScalingGroupName: links "home-to-west" and "home-to-north"/,
    );
    expect(problems[1]).toMatch(
      /^links\[2\]\.gateway\.elasticIpAllocationId: got "eipalloc-0a1b2c3d4e5f60718": is also links\[0\]\.gateway\.elasticIpAllocationId: links "home-to-west" and "home-to-north"/,
    );
  });

  it('leaves a value repeated inside one link to that link (not a conflict between links)', () => {
    const raw = twoLinks((first) => {
      first.gateway.routeTableIds = [first.gateway.routeTableIds[0], first.gateway.routeTableIds[0]];
    });
    expect(problemsOf(raw)).toEqual([]);
  });
});
