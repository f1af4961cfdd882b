/**
 * Alarm names, shared by the stack (which creates the alarms) and the functions (which read their
 * state). Alarm names are unique per account and Region, so they carry the CloudWatch namespace.
 */

/**
 * A link's alarms: `Outage` (one metric-math alarm: tunnels below minTunnelsUp or the canary path
 * down; it replaced the TunnelsDown and ConnectivityLost alarms and their composite Unhealthy) and
 * `LatencyHigh`. A failed remediation has no alarm of its own: notify pages it (its "failed" /
 * "cannot act" / "exhausted" message), the Outage alarm stays in ALARM while the link is down, and
 * the deployment's `RemediationEndUndelivered` pages when that page could not be delivered.
 * MonitorSilent is the deployment's (`<namespace>-MonitorSilent`).
 */
export const LINK_ALARMS = ['Outage', 'LatencyHigh'] as const;
export type LinkAlarm = (typeof LINK_ALARMS)[number];

/** e.g. `VpnGuard-home-to-west-Outage`. */
export function linkAlarmName(namespace: string, link: string, alarm: LinkAlarm): string {
  return `${namespace}-${link}-${alarm}`;
}

/** The link an Outage alarm belongs to, or undefined for any other alarm. */
export function linkOfOutageAlarm(namespace: string, alarmName: string): string | undefined {
  const prefix = `${namespace}-`;
  const suffix = '-Outage';
  if (!alarmName.startsWith(prefix) || !alarmName.endsWith(suffix)) return undefined;
  const link = alarmName.slice(prefix.length, -suffix.length);
  return link.length > 0 ? link : undefined;
}
