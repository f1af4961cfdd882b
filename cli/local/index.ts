/**
 * The local sandbox drill (`npm run drill` without --stack): runs a fault scenario against the
 * simulated two-Region AWS (sandbox/), shows what happens as it happens, prints each Remediation
 * execution as the Step Functions console's history reads, and ends with the drill summary.
 * Every duration it prints is simulated time; only the final wall-time line is real.
 */
import { DEFAULT_SCENARIO, loadScenario } from '#sandbox/scenario/load.ts';
import { runScenario, type ScenarioResult } from '#sandbox/scenario/run.ts';
import { DEFAULT_START, type World, type WorldEvent } from '#sandbox/world/world.ts';
import { makeStyle, renderSummary, type Style } from '../render.ts';
import type { DrillSummary } from '../types.ts';
import { renderExecution, renderLayout, renderWorldEvent, rungOfView } from './render.ts';

export interface LocalDrillOptions {
  /** A scenario file, or the name of a shipped one; default `gateway-instance-dies`. */
  readonly scenario?: string;
  /** Print only the summary, as one JSON object. */
  readonly json: boolean;
  /** The gateway's IPsec as a real pluto against another playing AWS's endpoints (sandbox/ike). */
  readonly realIke?: boolean;
  readonly out: NodeJS.WritableStream;
  readonly color: boolean;
}

/** What `--json` prints: the drill summary, the scenario, and whether every expectation held. */
export interface LocalDrillJson extends DrillSummary {
  readonly scenario: string;
  readonly ok: boolean;
  /** Simulated seconds the scenario covered. */
  readonly simulatedSeconds: number;
  /** Real seconds the drill took. */
  readonly wallSeconds: number;
}

/** Runs the drill; `ok` only when every expectation of the scenario holds. */
export async function runLocalDrill(
  options: LocalDrillOptions,
): Promise<{ summary: DrillSummary; ok: boolean }> {
  const style = makeStyle(options.color && !options.json);
  const loaded = loadScenario(options.scenario ?? DEFAULT_SCENARIO);
  const write = (text: string) => options.out.write(text);
  // Loaded only for --real-ike; it throws, saying why, when this machine cannot run real IKE.
  const realIke = options.realIke ? await import('#sandbox/ike/real-ike.ts') : undefined;
  realIke?.RealIkeTunnels.check();
  const tunnelSource = realIke ? new realIke.RealIkeTunnels() : undefined;
  if (!options.json) {
    write(
      `${style.bold(`VPN Guard local drill: ${loaded.scenario.name}`)} ${style.dim(
        tunnelSource
          ? "(simulated AWS, simulated time, real TCP canary on loopback, real IKE: Libreswan pluto for the gateway and for AWS's endpoints in network namespaces)"
          : '(simulated AWS, simulated time, real TCP canary on loopback)',
      )}\n`,
    );
    write(`${wrap(loaded.scenario.description, 96, '  ')}\n\n`);
  }
  const start = Date.parse(loaded.scenario.start ?? DEFAULT_START);
  const onEvent = options.json
    ? undefined
    : (event: WorldEvent) => {
        const line = renderWorldEvent(event, start, style);
        if (line) write(`${line}\n`);
      };
  const onReady = options.json
    ? undefined
    : (world: World) => write(`${renderLayout(world, loaded.scenario, style)}\n`);
  const ran = await runScenario(loaded, {
    ...(onEvent ? { onEvent } : {}),
    ...(onReady ? { onReady } : {}),
    ...(tunnelSource ? { tunnelSource } : {}),
  });
  // The rung comes from the headline remediation's report (the sandbox's summary may not carry it).
  const headline = ran.remediations.find((r) => r.name === ran.summary.executionName);
  const used = headline ? rungOfView(headline, ran.notifications) : {};
  const result = { ...ran, summary: { ...used, ...ran.summary } };
  if (options.json) {
    const json: LocalDrillJson = {
      ...result.summary,
      scenario: result.name,
      ok: result.ok,
      simulatedSeconds: result.durationSeconds,
      wallSeconds: Math.round(result.wallMs / 100) / 10,
    };
    write(`${JSON.stringify(json)}\n`);
    return { summary: result.summary, ok: result.ok };
  }
  write(renderDetails(result, style));
  const plan = result.remediations.find((r) => r.name === result.summary.executionName)?.report?.plan ?? [];
  write(`\n${renderSummary(result.summary, { style, ...(result.summary.dryRun ? { plan } : {}) })}`);
  write(
    `\n${result.ok ? style.green('All expectations met.') : style.red('Some expectations were NOT met.')} ${style.dim(
      `${formatMinutes(result.durationSeconds)} of simulated time in ${(result.wallMs / 1000).toFixed(1)} s of real time; ${result.monitorRuns} monitor ticks`,
    )}\n`,
  );
  return { summary: result.summary, ok: result.ok };
}

function renderDetails(result: ScenarioResult, style: Style): string {
  const parts: string[] = [];
  for (const remediation of result.remediations) {
    const used = rungOfView(remediation, result.notifications);
    parts.push(`\n${renderExecution(remediation, result.remediationDefinition, style, used)}`);
  }
  if (result.remediations.length === 0) parts.push(`\n${style.dim('No remediation ran.')}\n`);
  for (const error of result.startErrors)
    parts.push(`${style.yellow('manual start refused:')} ${error.error}\n`);
  if (result.monitorFailures.length > 0) {
    const byError = new Map<string, number>();
    for (const failure of result.monitorFailures)
      byError.set(failure.error ?? '?', (byError.get(failure.error ?? '?') ?? 0) + 1);
    parts.push(
      `${style.yellow('monitor executions failed:')} ${[...byError].map(([error, n]) => `${error} x${n}`).join(', ')} (of ${result.monitorRuns})\n`,
    );
  }
  return parts.join('');
}

function formatMinutes(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return s === 0 ? `${m} min` : `${m} min ${s} s`;
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}${l}`).join('\n');
}
