/**
 * Text rendering for the drill command: history lines as the Step Functions console reads them,
 * the drill summary, the `--history` table and the live progress line. Colour only on a terminal
 * and never when NO_COLOR is set (https://no-color.org).
 */
import type { RemediationRecord } from './summary.ts';
import type { DrillSummary, HistoryLine, RouteChange } from './types.ts';

/** A stream we write text to (process.stdout, or a test's collector). */
export interface TextStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * Whether to colour what goes to `stream`: NO_COLOR (non-empty) always wins, FORCE_COLOR (non-empty,
 * not "0") forces it, otherwise only on a terminal that is not "dumb".
 */
export function colorEnabled(stream: TextStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export interface Style {
  readonly color: boolean;
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly cyan: (text: string) => string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function makeStyle(color: boolean): Style {
  if (!color) return { color, bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return {
    color,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
  };
}

/** `264` → `4m 24s`; `3725` → `1h 2m 5s`. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/** `2026-11-26 20:29:38` (UTC). */
export function formatUtc(at: Date): string {
  return at
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, '');
}

/** `+m:ss` since the execution started, as the console's "Started after" column. */
function formatOffset(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `+${m}:${String(s).padStart(2, '0')}`;
}

const TYPE_WIDTH = 26;
const STATE_WIDTH = 26;

function typeColor(type: string, style: Style): (text: string) => string {
  if (/(Failed|TimedOut|Aborted)$/.test(type)) return style.red;
  if (type === 'ExecutionSucceeded') return style.green;
  if (type.endsWith('StateEntered')) return style.cyan;
  return style.dim;
}

/**
 * One history event on one line: UTC time, time since the start, event type, state, error/cause.
 * `20:31:02.118Z  +1:23  TaskStateEntered          ReplaceInstance`
 */
export function renderHistoryLine(line: HistoryLine, style: Style, startedAt?: Date): string {
  const time = line.timestamp.toISOString().slice(11);
  const offset = startedAt
    ? `${formatOffset(line.timestamp.getTime() - startedAt.getTime()).padStart(6)}  `
    : '';
  const type = typeColor(line.type, style)(line.type.padEnd(TYPE_WIDTH));
  const state = (line.state ?? '').padEnd(STATE_WIDTH);
  const detail = line.detail
    ? /(Failed|TimedOut|Aborted)$/.test(line.type)
      ? style.red(line.detail)
      : line.detail
    : '';
  return `${style.dim(time)}  ${offset}${type} ${state} ${detail}`.trimEnd();
}

/** The live progress line: current state and elapsed time. */
export function renderProgress(state: string | null, elapsedSeconds: number, style: Style): string {
  return `${style.dim('…')} ${state ? style.bold(state) : 'starting'} ${style.dim(`(${formatDuration(elapsedSeconds)} elapsed)`)}`;
}

function describeRoute(route: RouteChange): string {
  const from = route.from
    ? `${route.from.target ?? 'none'}${route.from.state ? ` (${route.from.state})` : ''}`
    : 'missing';
  return `${route.routeTableId} ${route.destinationCidrBlock}: ${route.action} ${from} -> ${route.to.networkInterfaceId}`;
}

const OK_OUTCOMES = new Set(['recovered', 'dry-run-plan', 'recovered-by-itself']);

function outcomeText(outcome: DrillSummary['outcome'], style: Style): string {
  if (OK_OUTCOMES.has(outcome)) return style.green(outcome);
  if (outcome === 'running' || outcome.startsWith('skipped')) return style.yellow(outcome);
  return style.red(outcome);
}

/**
 * `replace (tried repair, replace)`, `none ran`, or undefined when the summary carries no rung
 * (a report from before the converging remediation).
 */
export function describeRung(summary: Pick<DrillSummary, 'rung' | 'rungs'>): string | undefined {
  if (summary.rung === undefined && summary.rungs === undefined) return undefined;
  const rungs = summary.rungs ?? [];
  const rung = summary.rung ?? rungs.at(-1) ?? null;
  if (rung === null) return 'none ran';
  const tried =
    rungs.length > 1 || (rungs.length === 1 && rungs[0] !== rung) ? ` (tried ${rungs.join(', ')})` : '';
  return `${rung}${tried}`;
}

export interface SummaryRenderOptions {
  readonly style: Style;
  /** A dry run's plan (what it would change). */
  readonly plan?: readonly string[];
}

/** The drill summary as aligned text lines (ends with a newline). */
export function renderSummary(summary: DrillSummary, options: SummaryRenderOptions): string {
  const { style } = options;
  const clock = summary.simulatedTime ? ' (simulated time)' : '';
  const rows: [string, string][] = [
    ['outcome', outcomeText(summary.outcome, style)],
    ['link', `${summary.link} (trigger ${summary.trigger}${summary.dryRun ? ', dry run' : ''})`],
  ];
  if (summary.executionName) rows.push(['execution', summary.executionName]);
  const rung = describeRung(summary);
  if (rung !== undefined) rows.push(['rung', rung]);
  rows.push([
    'time to detect',
    summary.timeToDetectSeconds === null
      ? 'n/a (not observable from a drill)'
      : `${formatDuration(summary.timeToDetectSeconds)}${clock}`,
  ]);
  rows.push([
    'time to recover',
    summary.timeToRecoverSeconds === null ? 'n/a' : `${formatDuration(summary.timeToRecoverSeconds)}${clock}`,
  ]);
  if (summary.remediations !== 1) rows.push(['remediations', String(summary.remediations)]);
  if (summary.oldInstanceId || summary.newInstanceId) {
    rows.push(['gateway instance', `${summary.oldInstanceId ?? '?'} -> ${summary.newInstanceId ?? '?'}`]);
  }
  rows.push([summary.dryRun ? 'routes to change' : 'routes changed', String(summary.routesChanged.length)]);
  for (const route of summary.routesChanged) rows.push(['', describeRoute(route)]);
  for (const step of options.plan ?? []) rows.push(['plan', step]);
  for (const note of summary.notifications) rows.push(['notification', `${note.kind}: ${note.subject}`]);
  rows.push([
    'mutating calls',
    summary.mutatingCalls === null ? 'n/a (not observable)' : String(summary.mutatingCalls),
  ]);
  if (summary.failedState) rows.push(['failed state', style.red(summary.failedState)]);
  if (summary.error) rows.push(['error', style.red(summary.error)]);
  for (const expectation of summary.expectations) {
    const mark = expectation.met ? style.green('ok  ') : style.red('FAIL');
    rows.push([
      'check',
      `${mark} ${expectation.description}${expectation.detail ? ` (${expectation.detail})` : ''}`,
    ]);
  }
  if (summary.consoleUrl) rows.push(['console', summary.consoleUrl]);

  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${style.dim(label.padEnd(width))}  ${value}`);
  return `${style.bold('Drill summary')}\n${lines.join('\n')}\n`;
}

/** The `--history` table (ends with a newline). */
export function renderHistoryTable(records: readonly RemediationRecord[], style: Style): string {
  if (records.length === 0) return 'No remediations found.\n';
  // The RUNG column only once some record names one (older reports carry none).
  const withRung = records.some((record) => record.rung !== undefined);
  const header = [
    'STARTED (UTC)',
    'LINK',
    'TRIGGER',
    'OUTCOME',
    'RECOVER',
    ...(withRung ? ['RUNG'] : []),
    'FAILED STATE',
  ];
  const rows = records.map((record) => [
    formatUtc(record.startedAt),
    record.link ?? '?',
    `${record.trigger ?? '?'}${record.dryRun ? ' (dry)' : ''}`,
    record.outcome,
    record.timeToRecoverSeconds === null ? '-' : formatDuration(record.timeToRecoverSeconds),
    ...(withRung ? [record.rung ?? '-'] : []),
    record.failedState ?? '-',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const format = (cells: readonly string[], paint?: (cell: string, i: number) => string) =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0);
        return paint ? paint(padded, i) : padded;
      })
      .join('  ')
      .trimEnd();
  const body = rows.map((row) =>
    format(row, (cell, i) => {
      if (i !== 3) return cell;
      const outcome = row[3] ?? '';
      if (OK_OUTCOMES.has(outcome)) return style.green(cell);
      if (outcome === 'running' || outcome.startsWith('skipped')) return style.yellow(cell);
      return style.red(cell);
    }),
  );
  return `${style.bold(format(header))}\n${body.join('\n')}\n`;
}

/**
 * Event lines and a progress line on one stream. On a terminal the progress line is redrawn in
 * place (and cleared before each event line); elsewhere it is a plain line, written only every
 * `plainEverySeconds` so a log file gets a heartbeat, not a flood.
 */
export class LiveStatus {
  private drawn = false;
  private lastPlainAt: number | undefined;

  constructor(
    private readonly stream: TextStream,
    private readonly plainEverySeconds = 30,
  ) {}

  private clear(): void {
    if (this.drawn) this.stream.write('\r\u001b[2K');
    this.drawn = false;
  }

  /** Writes a full line (an event, a message). */
  line(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
  }

  /** Shows the progress line; `elapsedSeconds` paces the plain (non-terminal) heartbeat. */
  progress(text: string, elapsedSeconds: number): void {
    if (this.stream.isTTY) {
      this.clear();
      this.stream.write(text);
      this.drawn = true;
      return;
    }
    if (this.lastPlainAt !== undefined && elapsedSeconds - this.lastPlainAt < this.plainEverySeconds) return;
    this.lastPlainAt = elapsedSeconds;
    this.stream.write(`${text}\n`);
  }

  /** Removes the progress line (before the summary). */
  done(): void {
    this.clear();
  }
}
