/**
 * Benchmarks (never part of `npm test`'s pass/fail): `npm run bench [-- --json] [--runs N] [--only a,b]`.
 *
 * Every figure measured on this machine is repeated and given as min/median/max; figures of the
 * sandbox's clock are labelled simulated; figures compared side by side in one run are also given
 * as a ratio; the machine is printed first. `--json` prints one object (machine, sections, targets)
 * on stdout and progress on stderr. Everything talks to loopback only. The monthly bill is its own
 * command (`npm run cost`).
 *
 * Adding a section is one line in SECTIONS below: a file `bench/<name>.ts` exporting
 * `async function <name>Section(context: BenchContext): Promise<SectionResult>` (bench/report.ts)
 * and `{ id: '<name>', title: '…', run: <name>Section },` here.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { benchCallsPerTick, CALLS_PER_TICK_TARGET } from './calls-per-tick.ts';
import { canarySection } from './canary.ts';
import { coldStartSection } from './cold-start.ts';
import { benchDetection } from './detection.ts';
import { modelledDelaysSection } from './modelled-delays.ts';
import {
  type BenchContext,
  type Cell,
  formatCell,
  machine,
  type Section,
  type SectionResult,
  stat,
} from './report.ts';
import { synthScaleSection } from './synth-scale.ts';
import { benchDatums, benchProbe, benchScenario } from './workloads.ts';

const SCENARIOS = ['healthy-steady-state', 'gateway-instance-dies', 'two-links-one-failing'];
const DETECTION_OFFSETS = [6, 15, 25, 35, 45, 55, 0];
const DETECTION_TARGET_S = 90;

async function datumsSection(context: BenchContext): Promise<SectionResult> {
  // 250 links: about the most one Monitor carries (the config's state bound refuses more in one VPC).
  return { rows: [await benchDatums(250, Math.max(50, context.runs * 20))] };
}

async function probeSection(context: BenchContext): Promise<SectionResult> {
  const server = createServer((socket) => socket.destroy()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const port = (server.address() as { port: number }).port;
    return { rows: [await benchProbe(port, Math.max(100, context.runs * 50))] };
  } finally {
    server.close();
  }
}

async function scenariosSection(context: BenchContext): Promise<SectionResult> {
  const runs = Math.max(3, Math.ceil(context.runs / 3));
  const rows = [];
  for (const name of SCENARIOS) {
    context.progress(`scenarios: ${name} × ${runs}`);
    rows.push(await benchScenario(name, runs));
  }
  return {
    rows,
    notes: [
      `Real ASL and handlers over the simulated AWS, loopback canary; ${runs} runs each. "simulated min" is the sandbox clock; wall times are this machine's.`,
    ],
    targets: rows.map((row) => ({
      target: `${row.workload}: its expectations met`,
      met: row['expectations met'] === 'yes',
      detail: String(row['expectations met']),
    })),
  };
}

async function detectionSection(): Promise<SectionResult> {
  const rows = [];
  for (const offset of DETECTION_OFFSETS) rows.push(await benchDetection(offset));
  const fixes = rows.map((row) => row['fix started (s)']).filter((v): v is number => typeof v === 'number');
  const all = fixes.length === rows.length;
  const summary = all ? stat(fixes, 's', { simulated: true }) : undefined;
  return {
    rows: [
      ...rows.map((row) => ({ ...row }) as Record<string, Cell>),
      ...(summary
        ? [
            { 'failure at (s past :00)': 'over the offsets', 'fix started (s)': summary } as Record<
              string,
              Cell
            >,
          ]
        : []),
    ],
    notes: [
      'Simulated seconds (the sandbox clock): deterministic, so one run per offset; the spread is over the failure offsets within the minute, not over repeated runs.',
      'The delays that shape it are listed, with their sources, in the "modelled delays" section.',
    ],
    targets: [
      {
        target: `failure to the start of the fix within ${DETECTION_TARGET_S} s (simulated), at every offset`,
        met: all && summary !== undefined && summary.max <= DETECTION_TARGET_S,
        detail: summary ? `worst ${summary.max} s, median ${summary.median} s` : 'a run made no change',
      },
    ],
  };
}

async function callsPerTickSection(): Promise<SectionResult> {
  const result = await benchCallsPerTick();
  return {
    rows: result.rows.map((row) => ({
      links: row.links,
      'VPN Regions': row.regions,
      'canary VPCs': row.canaryVpcs,
      'AWS calls/tick': row.awsCallsPerTick,
      'Lambda invocations/tick': row.lambdaInvocationsPerTick,
      'largest state (KiB)': Number((row.largestStatePayloadBytes / 1024).toFixed(1)),
      'state bound (KiB)': Number((row.stateBoundBytes / 1024).toFixed(1)),
      'IAM enforced': row.iamEnforced,
    })),
    notes: [
      'Exact counts of healthy ticks on the sandbox (simulated AWS), the Monitor as deployed.',
      `State bound: the config's upper bound of the largest state (every link failing, every error at its cap), which synth holds within 90 % of Step Functions' 256 KiB; the largest deployment of this shape synth accepts is ${result.largestAccepted.links} links (bound ${(result.largestAccepted.stateBoundBytes / 1024).toFixed(1)} KiB; computed, not simulated).`,
    ],
    targets: [
      {
        target: `at most ${CALLS_PER_TICK_TARGET} AWS calls per tick at 200 links over 2 Regions`,
        met: result.withinTarget === true,
        detail: `${result.rows.find((row) => row.links === 200)?.awsCallsPerTick ?? '?'} calls`,
      },
    ],
  };
}

async function synthScaleBenchSection(): Promise<SectionResult> {
  const section = synthScaleSection();
  return {
    rows: section.runs.flatMap((run) =>
      run.stacks.map((stack) => ({
        links: run.links,
        'canary VPCs': run.vpcs,
        linkStacks: run.linkStacks,
        'synth ms (wall)': Math.round(run.synthMs),
        stack: stack.stackName,
        resources: stack.resources,
        'template kB': Number((stack.templateBytes / 1000).toFixed(1)),
      })),
    ),
    notes: [
      'Synth with bundling skipped; CloudFormation allows 500 resources and a 1 MB template per stack.',
    ],
  };
}

/** The report's sections, in order. One line each (see the header). */
const SECTIONS: readonly Section[] = [
  { id: 'cold-start', title: 'Cold start: each function against its SDK floor', run: coldStartSection },
  { id: 'canary', title: 'Canary: 100 loopback targets, a third black-holed', run: canarySection },
  { id: 'datums', title: 'Datums of one tick (pure), 250 links', run: datumsSection },
  { id: 'probe', title: 'Canary TCP handshake to a loopback listener', run: probeSection },
  {
    id: 'scenarios',
    title: 'Scenarios on the sandbox (real ASL + handlers, simulated AWS)',
    run: scenariosSection,
  },
  { id: 'detection', title: 'Failure to the start of the fix (simulated)', run: detectionSection },
  { id: 'calls-per-tick', title: 'AWS calls per Monitor tick (simulated AWS)', run: callsPerTickSection },
  { id: 'synth-scale', title: 'Synth at scale (1, 50, 200 links)', run: synthScaleBenchSection },
  {
    id: 'modelled-delays',
    title: "The sandbox's modelled delays and their sources",
    run: modelledDelaysSection,
  },
];

function printSection(title: string, result: SectionResult): void {
  console.log(`\n## ${title}\n`);
  if (result.rows.length > 0) {
    console.table(
      result.rows.map((row) =>
        Object.fromEntries(Object.entries(row).map(([key, cell]) => [key, formatCell(cell)])),
      ),
    );
  }
  for (const note of result.notes ?? []) console.log(`- ${note}`);
  for (const target of result.targets ?? []) {
    console.log(`${target.met ? 'MET    ' : 'NOT MET'} ${target.target}: ${target.detail}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      runs: { type: 'string', default: '9' },
      only: { type: 'string' },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`--runs must be a whole number of at least 1, got ${JSON.stringify(values.runs)}`);
  }
  const only = values.only?.split(',').map((id) => id.trim());
  const unknown = (only ?? []).filter((id) => !SECTIONS.some((section) => section.id === id));
  if (unknown.length > 0) {
    throw new Error(
      `--only: no section ${unknown.join(', ')}; the sections are ${SECTIONS.map((s) => s.id).join(', ')}`,
    );
  }
  const json = values.json ?? false;
  const log = (line: string) => (json ? process.stderr.write(`${line}\n`) : console.log(line));
  const context: BenchContext = { runs, progress: (line) => process.stderr.write(`… ${line}\n`) };
  const host = machine();
  const args = process.argv.slice(2).join(' ');
  const command = args ? `npm run bench -- ${args}` : 'npm run bench';
  if (!json) {
    console.log(`# VPN Guard bench: ${command}`);
    console.log(
      `machine: ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, Node ${host.node}, ${host.platform}; --runs ${runs}`,
    );
  }
  const started = performance.now();
  const results: Record<string, SectionResult & { title: string; seconds: number }> = {};
  for (const section of SECTIONS.filter((s) => !only || only.includes(s.id))) {
    log(`… ${section.id}`);
    const sectionStarted = performance.now();
    const result = await section.run(context);
    results[section.id] = {
      title: section.title,
      ...result,
      seconds: (performance.now() - sectionStarted) / 1000,
    };
    if (!json) printSection(section.title, result);
  }
  const targets = Object.values(results).flatMap((result) => result.targets ?? []);
  const seconds = (performance.now() - started) / 1000;
  if (json) {
    console.log(
      JSON.stringify(
        {
          command,
          machine: host,
          runs,
          seconds,
          targetsMet: targets.every((t) => t.met),
          targets,
          sections: results,
        },
        null,
        2,
      ),
    );
    return;
  }
  console.log('\n## Targets\n');
  for (const target of targets)
    console.log(`${target.met ? 'MET    ' : 'NOT MET'} ${target.target}: ${target.detail}`);
  console.log(`\nbench finished in ${seconds.toFixed(1)} s`);
}

await main();
