/**
 * The shape of `npm run bench`'s output, shared by every section: figures measured over repeated
 * runs carry min/median/max, figures of the sandbox's simulated clock say so, figures compared side
 * by side in one run are given as ratios, and the report names the machine it ran on.
 *
 * A section is a function `(context) => Promise<SectionResult>` registered with one line in
 * bench/run.ts's SECTIONS list.
 */
import { cpus, totalmem } from 'node:os';

/** A figure measured `runs` times. `simulated` marks the sandbox's clock, not the machine's. */
export interface Stat {
  readonly unit: string;
  readonly runs: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly simulated?: boolean;
}

/** One cell of a row: text, a single number, or a measured figure. */
export type Cell = string | number | boolean | Stat;

/** What a section returns: rows (printed as a table, kept as-is in --json) and notes. */
export interface SectionResult {
  readonly rows: readonly Record<string, Cell>[];
  readonly notes?: readonly string[];
  /** Targets the section checks, each met or not (the summary at the end lists them). */
  readonly targets?: readonly { readonly target: string; readonly met: boolean; readonly detail: string }[];
}

/** What every section gets: how many repeated runs to make, and whether to keep quiet. */
export interface BenchContext {
  /** Repetitions for figures measured on this machine (`--runs N`). */
  readonly runs: number;
  /** Progress goes to stderr (stdout stays one JSON object under --json). */
  readonly progress: (line: string) => void;
}

/** A section of the report, registered in bench/run.ts. */
export interface Section {
  readonly id: string;
  readonly title: string;
  readonly run: (context: BenchContext) => Promise<SectionResult>;
}

/** min/median/max of samples (the median of an even count is the mean of the middle two). */
export function stat(samples: readonly number[], unit: string, options: { simulated?: boolean } = {}): Stat {
  if (samples.length === 0) throw new Error('stat of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return {
    unit,
    runs: sorted.length,
    min: sorted[0] as number,
    median,
    max: sorted.at(-1) as number,
    ...(options.simulated && { simulated: true }),
  };
}

/** Whether a cell is a measured figure. */
export function isStat(cell: Cell): cell is Stat {
  return typeof cell === 'object' && cell !== null && 'median' in cell;
}

function round(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** `median (min–max) unit`, with "simulated" on the sandbox's clock. */
export function formatCell(cell: Cell): string | number | boolean {
  if (!isStat(cell)) return cell;
  const unit = cell.simulated ? `${cell.unit} simulated` : cell.unit;
  if (cell.runs === 1) return `${round(cell.median)} ${unit} (1 run)`;
  return `${round(cell.median)} (${round(cell.min)}–${round(cell.max)}) ${unit}`;
}

/** The machine the bench ran on, printed at the top and kept in --json. */
export function machine(): Record<string, string | number> {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}
