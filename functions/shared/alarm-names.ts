/**
 * Alarm names, shared by the stack (which creates the alarms) and the functions (which read their
 * state). Alarm names are unique per account and Region, so they carry the CloudWatch namespace.
 */

export const LINK_ALARMS = [
  'TunnelsDown',
  'ConnectivityLost',
  'LatencyHigh',
  'MonitorSilent',
  'Unhealthy',
  'RemediationFailed',
] as const;
export type LinkAlarm = (typeof LINK_ALARMS)[number];

/** e.g. `VpnGuard-home-to-west-Unhealthy`. */
export function linkAlarmName(namespace: string, link: string, alarm: LinkAlarm): string {
  return `${namespace}-${link}-${alarm}`;
}

/** The link an Unhealthy alarm belongs to, or undefined for any other alarm. */
export function linkOfUnhealthyAlarm(namespace: string, alarmName: string): string | undefined {
  const prefix = `${namespace}-`;
  const suffix = '-Unhealthy';
  if (!alarmName.startsWith(prefix) || !alarmName.endsWith(suffix)) return undefined;
  const link = alarmName.slice(prefix.length, -suffix.length);
  return link.length > 0 ? link : undefined;
}
