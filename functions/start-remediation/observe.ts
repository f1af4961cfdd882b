/**
 * What a Monitor tick's own figures say about each link, pure. Failing is evidence of an outage:
 * tunnels read and below `minTunnelsUp`, or the canary ran and fewer than `minTargetsUp` targets
 * answered. A collection failure (an API that did not answer, a canary that could not run) is not
 * evidence: it is `unknown`, and starts nothing by itself (the Outage alarm remains the backup).
 * Fewer than all tunnels up but at least `minTunnelsUp` is "redundancy lost": healthy, never paged.
 */
import type { LinkConfig } from '#shared/config.ts';
import type { Observation } from './types.ts';

/** One link's tunnel figures as check-tunnel reports them (only the fields used). */
interface LinkTunnels {
  readonly link: string;
  readonly ok: boolean;
  readonly tunnelsUp?: number;
  readonly tunnelsTotal?: number;
  readonly minTunnelsUp?: number;
}

/**
 * One link's canary figures as ping-canary returns them (only the fields used; `LinkCanaryReport`):
 * how many targets answered out of how many, not the targets themselves (those are in its log).
 */
interface LinkCanary {
  readonly link: string;
  readonly targetsUp?: number;
  readonly targetsTotal?: number;
}

/** The tunnel branch of the Monitor's CollectTelemetry. */
export type TunnelBranch =
  | {
      readonly ok: true;
      readonly result: { readonly checkedAt?: string; readonly links: readonly unknown[] };
    }
  | { readonly ok: false; readonly error: string };

/** One canary group of the Monitor's CollectTelemetry. */
export type CanaryBranch =
  | { readonly ok: true; readonly result: { readonly links: readonly unknown[] } }
  | { readonly ok: false; readonly links: readonly string[]; readonly error: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function tunnelsOf(entry: unknown): LinkTunnels | undefined {
  if (!isRecord(entry) || typeof entry.link !== 'string' || typeof entry.ok !== 'boolean') return undefined;
  return entry as unknown as LinkTunnels;
}

function canaryOf(entry: unknown): LinkCanary | undefined {
  if (!isRecord(entry) || typeof entry.link !== 'string') return undefined;
  return entry as unknown as LinkCanary;
}

/** Each configured link's verdict from one tick's telemetry. */
export function observeTick(
  links: readonly LinkConfig[],
  tunnels: TunnelBranch,
  canaries: readonly CanaryBranch[],
  now: Date,
): Observation[] {
  const checkedAt = tunnels.ok && tunnels.result.checkedAt ? new Date(tunnels.result.checkedAt) : now;
  const at = Number.isNaN(checkedAt.getTime()) ? now : checkedAt;
  const tunnelByLink = new Map<string, LinkTunnels>();
  if (tunnels.ok) {
    for (const entry of tunnels.result.links) {
      const parsed = tunnelsOf(entry);
      if (parsed) tunnelByLink.set(parsed.link, parsed);
    }
  }
  const canaryByLink = new Map<string, LinkCanary>();
  for (const branch of canaries) {
    if (!branch.ok) continue;
    for (const entry of branch.result.links) {
      const parsed = canaryOf(entry);
      if (parsed) canaryByLink.set(parsed.link, parsed);
    }
  }
  return links.map((link) => {
    const tunnel = tunnelByLink.get(link.name);
    const canary = canaryByLink.get(link.name);
    const minUp = link.vpn.minTunnelsUp;
    const tunnelVerdict =
      tunnel?.ok && typeof tunnel.tunnelsUp === 'number'
        ? tunnel.tunnelsUp < minUp
          ? 'down'
          : 'up'
        : 'unknown';
    const minTargets = link.canary.minTargetsUp;
    const answered = typeof canary?.targetsUp === 'number' ? canary.targetsUp : null;
    const canaryVerdict = answered === null ? 'unknown' : answered < minTargets ? 'fail' : 'pass';
    const tunnelText =
      tunnelVerdict === 'unknown'
        ? 'tunnels unreadable'
        : `${tunnel?.tunnelsUp} of ${tunnel?.tunnelsTotal ?? '?'} tunnels up (min ${minUp})`;
    const canaryText =
      canaryVerdict === 'unknown'
        ? 'canary did not run'
        : `canary ${answered} of ${canary?.targetsTotal ?? '?'} targets answered (min ${minTargets})`;
    const detail = `${tunnelText}; ${canaryText}`;
    if (tunnelVerdict === 'down' || canaryVerdict === 'fail') {
      return { link: link.name, state: 'failing', at, source: 'monitor', severity: 'outage', detail };
    }
    if (tunnelVerdict === 'up' && canaryVerdict === 'pass') {
      const total = tunnel?.tunnelsTotal ?? 0;
      const lost = typeof tunnel?.tunnelsUp === 'number' && tunnel.tunnelsUp < total;
      return {
        link: link.name,
        state: 'healthy',
        at,
        source: 'monitor',
        severity: lost ? 'redundancy-lost' : null,
        detail,
      };
    }
    return { link: link.name, state: 'unknown', at, source: 'monitor', severity: null, detail };
  });
}
