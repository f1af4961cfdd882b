/**
 * One notification per remediation outcome, written for a human reading it on a phone: the first
 * lines say which link, what happened, old → new instance, routes, time to recover and where to look;
 * the structured record follows as JSON. Pure.
 */
import { executionConsoleUrl } from '#shared/console-url.ts';
import { formatDuration, formatUtc } from './format.ts';
import type { BuiltReport, ReportDetails, Rung } from './report.ts';

/** SNS: "less than 100 characters", no line breaks or control characters. */
export const MAX_SUBJECT = 99;
/** One SMS segment of GSM characters is 160; stay well inside it. */
export const MAX_SMS = 140;

/** The three bodies of one SNS message. */
export interface RenderedNotification {
  readonly subject: string;
  /** Full text for email and the default protocol. */
  readonly text: string;
  /** One short line for SMS subscribers. */
  readonly sms: string;
}

/** The Step Functions console page of an execution. */
export const consoleUrl = executionConsoleUrl;

/** Printable ASCII only (the subject and SMS may reach old mail and phone gateways), capped. */
function capped(text: string, max: number): string {
  const clean = text.replace(/→/g, '->').replace(/[^\x20-\x7E]/g, '?');
  return clean.length <= max ? clean : `${clean.slice(0, max - 3)}...`;
}

/** How each rung healed, for the "recovered" message. */
const RUNG_TEXT: Record<Rung, { short: string; long: string }> = {
  repair: { short: 'repaired in place', long: 'the drift was repaired in place (no replacement)' },
  adopt: {
    short: "adopted the group's replacement",
    long: "the Auto Scaling group's own replacement was adopted",
  },
  'restart-ipsec': { short: 'IPsec restarted', long: 'IPsec was restarted in place (no replacement)' },
  replace: { short: 'gateway replaced', long: 'the gateway was replaced' },
  page: { short: 'a human acted', long: 'a human was paged' },
};

const shortDuration = (seconds: number): string =>
  formatDuration(seconds).replace(/ min /, 'm').replace(/ s$/, 's');
const executionNameOf = (arn: string | null): string | null => (arn ? (arn.split(':').at(-1) ?? arn) : null);
const hhmm = (iso: string | null): string => (iso ? `${new Date(iso).toISOString().slice(11, 16)} UTC` : '?');

function headline(
  report: BuiltReport,
  details: ReportDetails,
): { subject: string; sms: string; first: string } {
  const { link } = report;
  const swap = `${report.oldInstanceId ?? '?'} -> ${report.newInstanceId ?? '?'}`;
  switch (report.outcome) {
    case 'started': {
      const kind = report.trigger === 'alarm' ? 'link down' : `${report.trigger} started`;
      return {
        subject: `${link} ${kind}: remediation started`,
        sms: `${link} ${kind}, remediation started (${report.trigger})`,
        first: `${link}: ${kind}; VPN Guard confirmed the failure and started remediating. The next message says how it ended.`,
      };
    }
    case 'recovered': {
      const took =
        report.timeToRecoverSeconds === null ? '' : ` in ${shortDuration(report.timeToRecoverSeconds)}`;
      const rung = report.rung ?? 'replace';
      const how = RUNG_TEXT[rung];
      const what = rung === 'replace' || rung === 'adopt' ? `: ${swap}` : `: ${how.short}`;
      return {
        subject: `${link} recovered${took}${what} (${report.trigger})`,
        sms: `${link} recovered${took}, ${rung === 'replace' || rung === 'adopt' ? `gateway ${swap}` : how.short}`,
        first: `${link}: ${how.long} and the link recovered.`,
      };
    }
    case 'failed': {
      const where = details.failure?.state ?? 'unknown state';
      const kind = report.dryRun ? 'dry run' : 'remediation';
      return {
        subject: `${link} ${kind} FAILED at ${where}`,
        sms: `${link} ${kind} FAILED at ${where}: ${details.failure?.error ?? '?'}. A human is needed.`,
        first: `${link}: ${kind} FAILED at ${where}: ${details.failure?.error ?? 'UnknownError'}: ${details.failure?.message ?? ''}\nA human is needed: the link may still be down.`,
      };
    }
    case 'skipped-locked': {
      const holder = executionNameOf(details.lockHolder) ?? 'another execution';
      return {
        subject: `${link} remediation skipped: another one is running`,
        sms: `${link} remediation skipped: ${holder} is already running`,
        first: `${link}: remediation skipped, ${holder} is already remediating this link. Nothing was changed.`,
      };
    }
    case 'skipped-cooldown':
      return {
        subject: `${link} remediation skipped: cooldown until ${hhmm(details.cooldownUntil)}`,
        sms: `${link} remediation skipped: cooldown until ${hhmm(details.cooldownUntil)}`,
        first: `${link}: remediation skipped, the last one ended recently; automatic remediation resumes at ${details.cooldownUntil ? formatUtc(details.cooldownUntil) : '?'}. Nothing was changed.`,
      };
    case 'exhausted': {
      const used = details.attempts ? `${details.attempts.used} of ${details.attempts.max}` : 'all';
      return {
        subject: `${link}: automatic remediation exhausted, a human is needed`,
        sms: `${link}: automatic remediation exhausted (${used} in 24h), a human is needed`,
        first: `${link}: automatic remediation exhausted (${used} attempts in the last 24 h), a human is needed. Nothing was changed.${
          details.nextAttemptAt
            ? ` The next automatic attempt is possible after ${formatUtc(details.nextAttemptAt)}.`
            : ''
        }`,
      };
    }
    case 'recovered-by-itself':
      return {
        subject: `${link} recovered by itself, nothing changed`,
        sms: `${link} recovered by itself, nothing changed`,
        first: `${link}: the link recovered by itself before any replacement. Nothing was changed.`,
      };
    case 'dry-run-plan':
      return {
        subject: `${link} dry run: ${details.plannedChanges} changes planned`,
        sms: `${link} dry run: ${details.plannedChanges} changes planned, nothing changed`,
        first: `${link}: dry run, nothing was changed. A real run would make ${details.plannedChanges} change(s), listed below.`,
      };
  }
}

/** Subject, full text and SMS line of one notification. */
export function renderNotification(
  report: BuiltReport,
  details: ReportDetails,
  namespace: string,
): RenderedNotification {
  const head = headline(report, details);
  const changed = report.routes.filter((route) => route.action !== 'unchanged');
  const lines = [head.first, `Link: ${report.link}; trigger: ${report.trigger} (${report.reason})`];
  if (report.oldInstanceId || report.newInstanceId) {
    lines.push(
      `Instance: ${report.oldInstanceId ?? 'none'} -> ${report.newInstanceId ?? (report.dryRun ? 'a replacement' : 'none yet')}`,
    );
  }
  if (report.elasticIp) lines.push(`Elastic IP: ${report.elasticIp}`);
  if (report.routes.length > 0) {
    const verb = report.dryRun ? 'to change' : 'changed';
    const list = changed.map((route) => `${route.routeTableId} ${route.destinationCidrBlock}`).join(', ');
    const to = changed[0]?.to.networkInterfaceId;
    lines.push(
      `Routes ${verb}: ${changed.length} of ${report.routes.length}${list ? ` (${list}${to ? ` -> ${to}` : ''})` : ''}`,
    );
  }
  if (report.timeToRecoverSeconds !== null)
    lines.push(`Time to recover: ${formatDuration(report.timeToRecoverSeconds)}`);
  lines.push(`Execution: ${consoleUrl(details.executionArn)}`);
  if (details.steps.length > 0)
    lines.push('', report.dryRun ? 'Plan:' : 'Steps:', ...details.steps.map((step) => `- ${step}`));
  const record = { ...report, executionArn: details.executionArn, failure: details.failure };
  lines.push('', 'Record (JSON):', JSON.stringify(record, null, 2));
  return {
    subject: capped(`[${namespace}] ${head.subject}`, MAX_SUBJECT),
    text: lines.join('\n'),
    sms: capped(`${namespace} ${head.sms}`, MAX_SMS),
  };
}
