/**
 * Route planning, pure: for every configured route table × remote CIDR, what must change so the
 * route targets the gateway's ENI. Routes that are not configured are never looked at, so a route
 * VPN Guard does not own can never be touched (design rule 3).
 */
import type { LinkConfig } from '#shared/config.ts';
import type { CurrentRoute, CurrentRouteTable, RouteChange, RouteView } from './types.ts';

/**
 * Stands for the replacement's ENI in a dry run, where no replacement exists: every configured route
 * would move to it, since no current route can point at an instance that does not exist yet.
 */
export const REPLACEMENT_ENI_PLACEHOLDER = '(replacement ENI)';

/** The configured route for a CIDR in a table: a static one (a propagated route is not ours). */
function ownedRoute(table: CurrentRouteTable | undefined, cidr: string): CurrentRoute | undefined {
  return table?.routes.find(
    (route) => route.destinationCidrBlock === cidr && route.origin !== 'EnableVgwRoutePropagation',
  );
}

/**
 * The change per configured route table × remote CIDR, in config order:
 * `unchanged` when it already targets `eni`, `replace` when it targets anything else (a terminated
 * instance's `blackhole` included), `create` when the table has no such route.
 */
export function planRoutes(
  current: readonly CurrentRouteTable[],
  gateway: LinkConfig['gateway'],
  eni: string,
): RouteChange[] {
  const byId = new Map(current.map((table) => [table.routeTableId, table]));
  return gateway.routeTableIds.flatMap((routeTableId) =>
    gateway.remoteCidrs.map((destinationCidrBlock): RouteChange => {
      const route = ownedRoute(byId.get(routeTableId), destinationCidrBlock);
      const to = { networkInterfaceId: eni };
      if (!route) return { routeTableId, destinationCidrBlock, from: null, to, action: 'create' };
      const from = { target: route.target, state: route.state };
      const action = route.networkInterfaceId === eni ? 'unchanged' : 'replace';
      return { routeTableId, destinationCidrBlock, from, to, action };
    }),
  );
}

/** The configured routes as they are now, for the "before" snapshot. */
export function configuredRoutes(
  current: readonly CurrentRouteTable[],
  gateway: LinkConfig['gateway'],
): RouteView[] {
  const byId = new Map(current.map((table) => [table.routeTableId, table]));
  return gateway.routeTableIds.flatMap((routeTableId) =>
    gateway.remoteCidrs.map((destinationCidrBlock) => {
      const route = ownedRoute(byId.get(routeTableId), destinationCidrBlock);
      return {
        routeTableId,
        destinationCidrBlock,
        target: route?.target ?? null,
        networkInterfaceId: route?.networkInterfaceId ?? null,
        state: route?.state ?? null,
      };
    }),
  );
}

/** Configured routes that AWS reports as `blackhole` (their target is gone, e.g. a terminated instance). */
export function blackholes(routes: readonly RouteView[]): RouteView[] {
  return routes.filter((route) => route.state === 'blackhole');
}

/** One line per route change, for notes and notifications. */
export function describeRouteChange(change: RouteChange, dryRun: boolean): string {
  const where = `${change.routeTableId} ${change.destinationCidrBlock}`;
  const to = change.to.networkInterfaceId;
  const from = change.from
    ? `${change.from.target ?? 'no target'}${change.from.state === 'blackhole' ? ' (blackhole)' : ''}`
    : null;
  switch (change.action) {
    case 'unchanged':
      return `Route ${where}: already -> ${to}, unchanged`;
    case 'replace':
      return `Route ${where}: ${dryRun ? 'would re-point' : 're-pointed'} ${from} -> ${to}`;
    case 'create':
      return `Route ${where}: ${dryRun ? 'would create' : 'created'} -> ${to} (the table had no such route)`;
  }
}
