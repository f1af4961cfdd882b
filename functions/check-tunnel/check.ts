/**
 * One tunnel check across every link asked for: one DescribeVpnConnections per Region, Regions in
 * parallel. A Region whose API fails marks its links as a collection failure; when every Region
 * fails the whole check throws, so the state machine retries it and then publishes the failure.
 */
import type { LinkConfig } from '#shared/config.ts';
import { AwsThrottledError, describeError, isThrottling, TunnelCheckError } from '#shared/errors.ts';
import { capText, ERROR_MESSAGE_MAX_CHARS, ERROR_NAME_MAX_CHARS } from '#shared/state-size.ts';
import {
  connectionIdsByRegion,
  evaluateLink,
  type RegionReading,
  type VpnConnectionTelemetry,
} from './telemetry.ts';
import type { LinkTunnelDetail, LinkTunnels, RegionCheck, TunnelCheckResult } from './types.ts';

export interface CheckDeps {
  /** Reads one Region's telemetry for the given connection ids. */
  readonly describe: (region: string, ids: readonly string[]) => Promise<VpnConnectionTelemetry[]>;
  /** Monotonic milliseconds, for the call latency. */
  readonly elapsedMs: () => number;
  readonly now: () => Date;
}

/** A check's result and the per-connection detail of the links it read (for the log). */
export interface TunnelCheck {
  readonly result: TunnelCheckResult;
  readonly details: readonly LinkTunnelDetail[];
}

/** Checks the tunnels of `links`: exactly one DescribeVpnConnections per VPN Region among them. */
export async function checkTunnels(links: readonly LinkConfig[], deps: CheckDeps): Promise<TunnelCheck> {
  const byRegion = connectionIdsByRegion(links);
  const regions = [...byRegion.keys()];
  const errors: unknown[] = [];
  const readings = await Promise.all(
    regions.map(async (region): Promise<[string, RegionReading]> => {
      const started = deps.elapsedMs();
      try {
        const connections = await deps.describe(region, byRegion.get(region) ?? []);
        return [region, { ok: true, latencyMs: round(deps.elapsedMs() - started), connections }];
      } catch (error) {
        errors.push(error);
        return [
          region,
          { ok: false, latencyMs: round(deps.elapsedMs() - started), error: cappedError(error) },
        ];
      }
    }),
  );
  if (regions.length > 0 && errors.length === regions.length) {
    const summary = readings
      .map(
        ([region, reading]) =>
          `${region}: ${reading.ok ? 'ok' : `${reading.error.name}: ${reading.error.message}`}`,
      )
      .join('; ');
    if (errors.every(isThrottling))
      throw new AwsThrottledError(`DescribeVpnConnections throttled (${summary})`);
    throw new TunnelCheckError(`DescribeVpnConnections failed in every Region (${summary})`);
  }
  const byRegionReading = new Map(readings);
  const regionChecks: RegionCheck[] = readings.map(([region, reading]) =>
    reading.ok
      ? { region, ok: true, latencyMs: reading.latencyMs }
      : { region, ok: false, latencyMs: reading.latencyMs, error: reading.error },
  );
  const details: LinkTunnelDetail[] = [];
  const figures: LinkTunnels[] = links.map((link) => {
    const reading = byRegionReading.get(link.vpn.region);
    if (!reading) throw new Error(`no reading for Region ${link.vpn.region}`);
    const evaluated = evaluateLink(link, reading);
    if (!evaluated.ok) return evaluated;
    details.push(evaluated);
    const { connections: _detail, ...linkFigures } = evaluated;
    return linkFigures;
  });
  return { result: { checkedAt: deps.now().toISOString(), regions: regionChecks, links: figures }, details };
}

/** The read's error as the result carries it: capped, since it travels in the Monitor's state. */
function cappedError(error: unknown): { name: string; message: string } {
  const { name, message } = describeError(error);
  return { name: capText(name, ERROR_NAME_MAX_CHARS), message: capText(message, ERROR_MESSAGE_MAX_CHARS) };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
