/**
 * Text for the local drill: one line per world event as it happens (simulated time), and each
 * Remediation execution's history as the Step Functions console lists it (cli/render.ts's lines).
 */
import { toHistoryLines } from '#sandbox/scenario/history.ts';
import type { RemediationView } from '#sandbox/scenario/run.ts';
import type { ScenarioFile } from '#sandbox/scenario/schema.ts';
import type { World, WorldEvent } from '#sandbox/world/world.ts';
import { describeRung, renderHistoryLine, type Style } from '../render.ts';
import { remediationReportSchema, rungFields } from '../summary.ts';
import type { DrillSummary } from '../types.ts';

/** `sim +03:50` since the scenario start. */
function offset(at: number, start: number): string {
  const total = Math.max(0, Math.round((at - start) / 1000));
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `sim +${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

const KIND_WIDTH = 12;

/** One progress line, or undefined for events the drill does not show live (state steps). */
export function renderWorldEvent(event: WorldEvent, start: number, style: Style): string | undefined {
  if (event.kind === 'state') return undefined;
  const paint =
    event.kind === 'fault'
      ? style.red
      : event.kind === 'alarm'
        ? event.message.endsWith('ALARM')
          ? style.yellow
          : style.green
        : event.kind === 'execution'
          ? style.bold
          : event.kind === 'notification'
            ? style.cyan
            : (text: string) => text;
  const link = event.link ? `${event.link}: ` : '';
  return `${style.dim(`[${offset(event.at, start)}]`)} ${style.dim(event.kind.padEnd(KIND_WIDTH))} ${paint(`${link}${event.message}`)}`;
}

/** What the rung lookup reads of a published message (the sandbox's SNS record is one). */
export interface NotificationText {
  readonly executionName?: string;
  /** The full text an e-mail subscriber gets. */
  readonly email: string;
}

/** Where notify's full text carries the report (functions/notify/message.ts). */
const RECORD_MARKER = '\nRecord (JSON):\n';

/**
 * The rung a remediation used: from its report (a succeeded execution's output), else from the
 * record inside the last notification that execution published (a failed execution has no
 * output; the sandbox's history keeps no task outputs); none when neither carries it.
 */
export function rungOfView(
  view: RemediationView,
  notifications: readonly NotificationText[],
): Pick<DrillSummary, 'rung' | 'rungs'> {
  if (view.report) return rungFields(view.report);
  const message = notifications.filter((each) => each.executionName === view.name).at(-1);
  const at = message?.email.indexOf(RECORD_MARKER) ?? -1;
  if (!message || at === -1) return {};
  try {
    const record = RungRecord.safeParse(JSON.parse(message.email.slice(at + RECORD_MARKER.length)));
    return record.success ? rungFields(record.data) : {};
  } catch {
    return {};
  }
}

const RungRecord = remediationReportSchema.pick({ rung: true, rungs: true });

/** An execution's header and history, console style (ends with a newline). */
export function renderExecution(
  view: RemediationView,
  definition: string,
  style: Style,
  used: Pick<DrillSummary, 'rung' | 'rungs'> = {},
): string {
  const rung = describeRung(used);
  const label = rung === undefined ? view.outcome : `${view.outcome}, rung ${rung}`;
  const outcome = view.status === 'SUCCEEDED' ? style.green(label) : style.red(label);
  const header = `${style.bold(`Remediation ${view.name}`)}  ${view.status} (${outcome})  ${style.dim(`started by ${view.startedBy}`)}`;
  const started = new Date(view.startDate);
  const lines = toHistoryLines(view.history, definition).map(
    (line) => `  ${renderHistoryLine(line, style, started)}`,
  );
  const failed = view.failedState
    ? [`  ${style.red(`failed at ${view.failedState}: ${view.error ?? ''}`)}`]
    : [];
  return [header, ...lines, ...failed].join('\n').concat('\n');
}

/** The seeded world and the scenario's timeline, before time starts (ends without a newline). */
export function renderLayout(world: World, scenario: ScenarioFile, style: Style): string {
  const lines: string[] = [];
  for (const link of world.config.links) {
    const status = world.linkStatus(link.name);
    const instance = status.gatewayInstanceId ? world.ec2.instances.get(status.gatewayInstanceId) : undefined;
    const address = world.ec2.addresses.get(link.gateway.elasticIpAllocationId);
    lines.push(
      `  ${style.bold(link.name)}: gateway ${status.gatewayInstanceId ?? 'none'} (group ${link.gateway.autoScalingGroupName}, ENI ${instance?.eniId ?? '?'}), Elastic IP ${address?.publicIp ?? '?'}`,
      `    routes ${link.gateway.routeTableIds.join(', ')}: ${link.gateway.remoteCidrs.join(', ')} -> the gateway; VPN ${link.vpn.vpnConnectionIds.join(', ')} in ${link.vpn.region} (${status.tunnelsUp} tunnels UP)`,
      `    canary: real TCP listeners ${link.canary.targets.map((t) => `${t.host}:${t.port}`).join(', ')} (${link.canary.attempts} x ${link.canary.timeoutMs} ms)`,
    );
  }
  const timeline = [
    ...scenario.timeline.map((entry) => ({
      at: entry.at,
      text: `${entry.fault.type}${'link' in entry.fault && entry.fault.link ? ` (${entry.fault.link})` : ''}`,
    })),
    ...scenario.starts.map((start) => ({
      at: start.at,
      text: `${start.trigger} start${start.dryRun ? ' (dry run)' : ''}${start.link ? ` of ${start.link}` : ''}`,
    })),
  ].sort((a, b) => a.at - b.at);
  if (timeline.length > 0) {
    lines.push(
      `  timeline (simulated): ${timeline.map((entry) => `+${entry.at}s ${entry.text}`).join('; ')}`,
    );
  }
  lines.push(`  running ${scenario.durationMinutes} simulated minutes, the Monitor ticking every minute`);
  return lines.join('\n');
}
