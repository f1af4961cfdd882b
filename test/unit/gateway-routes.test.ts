/** Route planning: every configured table × CIDR to the gateway ENI, nothing else touched. */
import { describe, expect, it } from 'vitest';
import {
  blackholes,
  configuredRoutes,
  describeRouteChange,
  planRoutes,
  REPLACEMENT_ENI_PLACEHOLDER,
} from '#functions/gateway/routes.ts';
import type { CurrentRoute, CurrentRouteTable } from '#functions/gateway/types.ts';
import type { LinkConfig } from '#shared/config.ts';

const NEW_ENI = 'eni-0f9e8d7c6b5a49382';
const OLD_ENI = 'eni-0a1b2c3d4e5f60718';
const GATEWAY: LinkConfig['gateway'] = {
  autoScalingGroupName: 'vpn-gateway-home',
  elasticIpAllocationId: 'eipalloc-0a1b2c3d4e5f60718',
  routeTableIds: ['rtb-0a1b2c3d4e5f60718', 'rtb-0b1c2d3e4f5a60718'],
  remoteCidrs: ['10.20.0.0/16', '10.30.0.0/16'],
  elasticIpDeviceIndex: 0,
  routeDeviceIndex: 0,
};

const route = (cidr: string, over: Partial<CurrentRoute> = {}): CurrentRoute => ({
  destinationCidrBlock: cidr,
  target: OLD_ENI,
  networkInterfaceId: OLD_ENI,
  state: 'active',
  origin: 'CreateRoute',
  ...over,
});

describe('planRoutes', () => {
  it('re-points blackholed routes, keeps routes already on the ENI, creates missing ones, in config order', () => {
    // Prepare
    const tables: CurrentRouteTable[] = [
      {
        routeTableId: 'rtb-0b1c2d3e4f5a60718',
        routes: [route('10.20.0.0/16', { target: NEW_ENI, networkInterfaceId: NEW_ENI })],
      },
      {
        routeTableId: 'rtb-0a1b2c3d4e5f60718',
        routes: [
          route('10.20.0.0/16', { target: 'i-0a1b2c3d4e5f60718', state: 'blackhole' }),
          route('10.30.0.0/16', { target: 'pcx-0123456789abcdef0', networkInterfaceId: null }),
        ],
      },
    ];
    // Act
    const plan = planRoutes(tables, GATEWAY, NEW_ENI);
    // Assess
    expect(plan).toEqual([
      {
        routeTableId: 'rtb-0a1b2c3d4e5f60718',
        destinationCidrBlock: '10.20.0.0/16',
        from: { target: 'i-0a1b2c3d4e5f60718', state: 'blackhole' },
        to: { networkInterfaceId: NEW_ENI },
        action: 'replace',
      },
      {
        routeTableId: 'rtb-0a1b2c3d4e5f60718',
        destinationCidrBlock: '10.30.0.0/16',
        from: { target: 'pcx-0123456789abcdef0', state: 'active' },
        to: { networkInterfaceId: NEW_ENI },
        action: 'replace',
      },
      {
        routeTableId: 'rtb-0b1c2d3e4f5a60718',
        destinationCidrBlock: '10.20.0.0/16',
        from: { target: NEW_ENI, state: 'active' },
        to: { networkInterfaceId: NEW_ENI },
        action: 'unchanged',
      },
      {
        routeTableId: 'rtb-0b1c2d3e4f5a60718',
        destinationCidrBlock: '10.30.0.0/16',
        from: null,
        to: { networkInterfaceId: NEW_ENI },
        action: 'create',
      },
    ]);
  });

  it('never plans a change for a route or table that is not configured', () => {
    const tables: CurrentRouteTable[] = [
      {
        routeTableId: 'rtb-0a1b2c3d4e5f60718',
        routes: [
          route('10.20.0.0/16'),
          route('10.99.0.0/16'),
          route('0.0.0.0/0', { target: 'igw-1', networkInterfaceId: null }),
        ],
      },
      { routeTableId: 'rtb-0ffffffffffffffff', routes: [route('10.20.0.0/16')] },
    ];
    const touched = planRoutes(tables, GATEWAY, NEW_ENI).map(
      (c) => `${c.routeTableId} ${c.destinationCidrBlock}`,
    );
    expect(touched).toEqual([
      'rtb-0a1b2c3d4e5f60718 10.20.0.0/16',
      'rtb-0a1b2c3d4e5f60718 10.30.0.0/16',
      'rtb-0b1c2d3e4f5a60718 10.20.0.0/16',
      'rtb-0b1c2d3e4f5a60718 10.30.0.0/16',
    ]);
  });

  it('ignores a route the VGW propagates: it is not ours, so the static one is created beside it', () => {
    const tables: CurrentRouteTable[] = [
      {
        routeTableId: 'rtb-0a1b2c3d4e5f60718',
        routes: [
          route('10.20.0.0/16', {
            target: 'vgw-1',
            networkInterfaceId: null,
            origin: 'EnableVgwRoutePropagation',
          }),
        ],
      },
    ];
    const first = planRoutes(tables, { ...GATEWAY, remoteCidrs: ['10.20.0.0/16'] }, NEW_ENI)[0];
    expect(first).toMatchObject({ action: 'create', from: null });
  });

  it('plans a replacement of every configured route towards the placeholder in a dry run', () => {
    const tables: CurrentRouteTable[] = GATEWAY.routeTableIds.map((routeTableId) => ({
      routeTableId,
      routes: GATEWAY.remoteCidrs.map((cidr) => route(cidr)),
    }));
    const plan = planRoutes(tables, GATEWAY, REPLACEMENT_ENI_PLACEHOLDER);
    expect(plan.map((c) => c.action)).toEqual(['replace', 'replace', 'replace', 'replace']);
  });
});

describe('route views', () => {
  it('lists each configured route as it is now, missing ones with no target, and finds the blackholes', () => {
    const tables: CurrentRouteTable[] = [
      { routeTableId: 'rtb-0a1b2c3d4e5f60718', routes: [route('10.20.0.0/16', { state: 'blackhole' })] },
      { routeTableId: 'rtb-0b1c2d3e4f5a60718', routes: [] },
    ];
    const views = configuredRoutes(tables, { ...GATEWAY, remoteCidrs: ['10.20.0.0/16'] });
    expect(views).toEqual([
      {
        routeTableId: 'rtb-0a1b2c3d4e5f60718',
        destinationCidrBlock: '10.20.0.0/16',
        target: OLD_ENI,
        networkInterfaceId: OLD_ENI,
        state: 'blackhole',
      },
      {
        routeTableId: 'rtb-0b1c2d3e4f5a60718',
        destinationCidrBlock: '10.20.0.0/16',
        target: null,
        networkInterfaceId: null,
        state: null,
      },
    ]);
    expect(blackholes(views).map((v) => v.routeTableId)).toEqual(['rtb-0a1b2c3d4e5f60718']);
  });

  it('describes each change for a human, in the tense of a real or a dry run', () => {
    const change = planRoutes(
      [{ routeTableId: 'rtb-0a1b2c3d4e5f60718', routes: [route('10.20.0.0/16', { state: 'blackhole' })] }],
      { ...GATEWAY, routeTableIds: ['rtb-0a1b2c3d4e5f60718'], remoteCidrs: ['10.20.0.0/16'] },
      NEW_ENI,
    )[0];
    if (!change) throw new Error('no change planned');
    expect(describeRouteChange(change, false)).toBe(
      `Route rtb-0a1b2c3d4e5f60718 10.20.0.0/16: re-pointed ${OLD_ENI} (blackhole) -> ${NEW_ENI}`,
    );
    expect(describeRouteChange(change, true)).toBe(
      `Route rtb-0a1b2c3d4e5f60718 10.20.0.0/16: would re-point ${OLD_ENI} (blackhole) -> ${NEW_ENI}`,
    );
  });
});
