/**
 * Bundle size and cold import of every function against its floor (issue 11, part 3).
 *
 * - A function's bundle is built exactly as the stack builds it: the same bundling options
 *   (infra/constructs/bundling.ts, turned into an esbuild build by the same module) and the same
 *   config (config/example.json unless told otherwise).
 * - Its floor is a minimal bundle, built with the same options, holding only the AWS SDK clients
 *   the function uses (the getters of functions/shared/clients.ts its own folder calls), each
 *   constructed, and nothing else. A function using no client has the empty bundle as its floor.
 * - Cold import is a fresh Node process (the pinned Node 22, with the NODE_OPTIONS the stack sets)
 *   importing the bundle and constructing the function's clients, timed inside the process from
 *   just before `import()` to just after the last client is constructed. Node's own start is the
 *   same for every bundle and is not counted. Functions and floors are run interleaved (one of each
 *   per round, the order rotated each round), so a slow moment of the machine hits all of them.
 *
 * Targets: import at most 50 ms above the floor's, bundle at most 300 KB above the floor's, and no
 * SDK client in a bundle that its function does not call.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { esbuildBuildOptions, GUARD_NODE_OPTIONS, guardBundling } from '#infra/constructs/bundling.ts';
import type { FunctionId } from '#infra/constructs/guard-function.ts';
import { DEFAULT_CONFIG_PATH, loadConfig } from '#infra/load-config.ts';
import type { Config } from '#shared/config.ts';
import { type BenchContext, type Cell, type SectionResult, type Stat, stat } from './report.ts';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The pinned Node 22 (devDependency `node`), the one the tests run. */
export const PINNED_NODE = join(REPO_ROOT, 'node_modules/.bin/node');

/** Every function folder the stack deploys. */
export const FUNCTION_IDS: readonly FunctionId[] = [
  'check-tunnel',
  'ping-canary',
  'publish-metric',
  'start-remediation',
  'remediation-guard',
  'gateway',
  'notify',
];

/** The client getters of functions/shared/clients.ts, and the SDK client each one constructs. */
export const CLIENT_GETTERS = {
  ec2Client: { pkg: '@aws-sdk/client-ec2', className: 'EC2Client', call: "ec2Client('us-east-1')" },
  autoScalingClient: {
    pkg: '@aws-sdk/client-auto-scaling',
    className: 'AutoScalingClient',
    call: 'autoScalingClient()',
  },
  cloudWatchClient: {
    pkg: '@aws-sdk/client-cloudwatch',
    className: 'CloudWatchClient',
    call: 'cloudWatchClient()',
  },
  dynamoClient: { pkg: '@aws-sdk/client-dynamodb', className: 'DynamoDBClient', call: 'dynamoClient()' },
  snsClient: { pkg: '@aws-sdk/client-sns', className: 'SNSClient', call: 'snsClient()' },
  sfnClient: { pkg: '@aws-sdk/client-sfn', className: 'SFNClient', call: 'sfnClient()' },
  ssmClient: { pkg: '@aws-sdk/client-ssm', className: 'SSMClient', call: 'ssmClient()' },
} as const;
export type ClientGetter = keyof typeof CLIENT_GETTERS;

/** The client getters a function's own code (its folder) imports from functions/shared/clients.ts. */
export function clientsUsedBy(id: FunctionId, root = REPO_ROOT): ClientGetter[] {
  const used = new Set<ClientGetter>();
  const folder = join(root, 'functions', id);
  const files = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.ts'),
  );
  for (const file of files) {
    const source = readFileSync(join(folder, file), 'utf8');
    for (const match of source.matchAll(
      /import\s*\{([^}]*)\}\s*from\s*'(?:#shared|\.\.\/shared)\/clients\.ts'/g,
    )) {
      for (const name of (match[1] ?? '').split(',')) {
        const getter = name.replace(/^\s*type\s+/, '').trim();
        if (getter in CLIENT_GETTERS) used.add(getter as ClientGetter);
      }
    }
  }
  return [...used].sort();
}

/** A built bundle: its file, size and the SDK client packages esbuild put into it. */
export interface BuiltBundle {
  readonly file: string;
  /** The .mjs itself (what Lambda loads); the source map beside it is not counted. */
  readonly bytes: number;
  readonly sdkClients: readonly string[];
  /** Bytes in the output per package (node_modules/<name>), largest first. */
  readonly packages: readonly { readonly name: string; readonly bytes: number }[];
}

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match?.[1] ?? '(project code)';
}

function describeOutput(file: string, metafile: Metafile): BuiltBundle {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput === 0) continue;
      const name = packageOf(input);
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  const packages = [...byPackage].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
  return {
    file,
    bytes: statSync(file).size,
    sdkClients: packages.map((p) => p.name).filter((name) => name.startsWith('@aws-sdk/client-')),
    packages,
  };
}

/** Options shared by every build of one bench run. */
export interface BuildContext {
  readonly config: Config;
  readonly outDir: string;
  readonly root?: string;
}

/**
 * A function's bundle exactly as the stack builds it (same options, same entry, same working
 * directory), into `<outDir>/<id>/index.mjs`.
 */
export async function buildFunctionBundle(id: FunctionId, context: BuildContext): Promise<BuiltBundle> {
  const root = context.root ?? REPO_ROOT;
  const outfile = join(context.outDir, id, 'index.mjs');
  const bundling = guardBundling(context.config);
  const result = await build({
    ...esbuildBuildOptions(bundling, { entryPoints: [join(root, 'functions', id, 'handler.ts')] }, outfile),
    absWorkingDir: root,
    metafile: true,
  });
  return describeOutput(outfile, result.metafile);
}

/**
 * The function's bundle plus the construction of its clients (what its first invocation does):
 * the deployed code with a few lines added, built with the same options, for the cold-import run.
 */
async function buildFunctionWithClients(id: FunctionId, context: BuildContext): Promise<string> {
  const root = context.root ?? REPO_ROOT;
  const getters = clientsUsedBy(id, root);
  const outfile = join(context.outDir, `${id}.with-clients`, 'index.mjs');
  const contents = [
    `export * from './functions/${id}/handler.ts';`,
    getters.length > 0 ? `import { ${getters.join(', ')} } from './functions/shared/clients.ts';` : '',
    ...getters.map((getter) => `${CLIENT_GETTERS[getter].call};`),
  ].join('\n');
  const bundling = guardBundling(context.config);
  await build({
    ...esbuildBuildOptions(
      bundling,
      { stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: 'entry.ts' } },
      outfile,
    ),
    absWorkingDir: root,
  });
  return outfile;
}

/** The floor of a set of clients: only those SDK clients, each constructed, same options. */
export async function buildFloor(
  getters: readonly ClientGetter[],
  context: BuildContext,
): Promise<BuiltBundle> {
  const root = context.root ?? REPO_ROOT;
  const name = getters.length > 0 ? getters.join('+') : 'empty';
  const outfile = join(context.outDir, `floor.${name}`, 'index.mjs');
  const contents = [
    ...getters.map(
      (getter) => `import { ${CLIENT_GETTERS[getter].className} } from '${CLIENT_GETTERS[getter].pkg}';`,
    ),
    'export const clients = [',
    ...getters.map(
      (getter) => `  new ${CLIENT_GETTERS[getter].className}({ maxAttempts: 2, region: 'us-east-1' }),`,
    ),
    '];',
  ].join('\n');
  const bundling = guardBundling(context.config);
  const result = await build({
    ...esbuildBuildOptions(
      bundling,
      { stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: 'floor.ts' } },
      outfile,
    ),
    absWorkingDir: root,
    metafile: true,
  });
  return describeOutput(outfile, result.metafile);
}

/** One cold import: wall milliseconds, and the CPU milliseconds the process spent in it. */
export interface ImportSample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/**
 * A fresh Node process importing `file` (its top level runs in the import): the wall time, and the
 * CPU time (user + system) the process used meanwhile, which other load on the machine barely moves.
 */
export function coldImport(file: string): ImportSample {
  const script = [
    'const cpu = process.cpuUsage(); const t = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const wallMs = performance.now() - t; const used = process.cpuUsage(cpu);',
    'process.stdout.write(JSON.stringify({ wallMs, cpuMs: (used.user + used.system) / 1000 }));',
  ].join(' ');
  const result = spawnSync(PINNED_NODE, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: GUARD_NODE_OPTIONS,
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'bench',
      POWERTOOLS_SERVICE_NAME: 'vpn-guard',
    },
  });
  try {
    if (result.status !== 0) throw new Error(`exit ${result.status}`);
    return JSON.parse(result.stdout) as ImportSample;
  } catch (error) {
    throw new Error(`importing ${file} failed (${String(error)}):\n${result.stderr}`);
  }
}

/** One function's figures. */
export interface ColdStartFigures {
  readonly id: FunctionId;
  readonly clients: readonly ClientGetter[];
  readonly bundle: BuiltBundle;
  readonly floor: BuiltBundle;
  readonly importMs: Stat;
  readonly floorImportMs: Stat;
  /** Per round, the function's import minus its floor's in the same round (wall). */
  readonly aboveFloorMs: Stat;
  /** The same difference in CPU time (what the machine's other load barely changes). */
  readonly aboveFloorCpuMs: Stat;
  readonly unusedClients: readonly string[];
}

export const TARGET_ABOVE_FLOOR_MS = 50;
export const TARGET_ABOVE_FLOOR_BYTES = 300 * 1024;

/** Builds every function and its floor, then runs the cold imports interleaved. */
export async function measureColdStarts(options: {
  runs: number;
  config?: Config;
  ids?: readonly FunctionId[];
  root?: string;
  progress?: (line: string) => void;
}): Promise<ColdStartFigures[]> {
  const root = options.root ?? REPO_ROOT;
  const config = options.config ?? loadConfig(DEFAULT_CONFIG_PATH, REPO_ROOT);
  const outDir = mkdtempSync(join(tmpdir(), 'vpn-guard-coldstart-'));
  const context: BuildContext = { config, outDir, root };
  try {
    const ids = options.ids ?? FUNCTION_IDS;
    const built = [];
    for (const id of ids) {
      const clients = clientsUsedBy(id, root);
      mkdirSync(join(outDir, id), { recursive: true });
      built.push({
        id,
        clients,
        bundle: await buildFunctionBundle(id, context),
        withClients: await buildFunctionWithClients(id, context),
        floor: await buildFloor(clients, context),
      });
    }
    options.progress?.(
      `cold start: built ${built.length} bundles and their floors; ${options.runs} interleaved rounds`,
    );
    const files = [...new Set(built.flatMap((b) => [b.withClients, b.floor.file]))];
    const samples = new Map<string, ImportSample[]>(files.map((file) => [file, []]));
    for (const file of files) coldImport(file); // one untimed round: the page cache is warm for all
    for (let round = 0; round < options.runs; round++) {
      const shift = round % files.length;
      for (const file of [...files.slice(shift), ...files.slice(0, shift)]) {
        samples.get(file)?.push(coldImport(file));
      }
    }
    return built.map((b) => {
      const own = samples.get(b.withClients) ?? [];
      const floor = samples.get(b.floor.file) ?? [];
      const sdk = new Set<string>(b.clients.map((getter) => CLIENT_GETTERS[getter].pkg));
      return {
        id: b.id,
        clients: b.clients,
        bundle: b.bundle,
        floor: b.floor,
        importMs: stat(
          own.map((sample) => sample.wallMs),
          'ms',
        ),
        floorImportMs: stat(
          floor.map((sample) => sample.wallMs),
          'ms',
        ),
        aboveFloorMs: stat(
          own.map((sample, i) => sample.wallMs - (floor[i]?.wallMs ?? Number.NaN)),
          'ms',
        ),
        aboveFloorCpuMs: stat(
          own.map((sample, i) => sample.cpuMs - (floor[i]?.cpuMs ?? Number.NaN)),
          'ms CPU',
        ),
        unusedClients: b.bundle.sdkClients.filter((pkg) => !sdk.has(pkg)),
      };
    });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

const kb = (bytes: number) => Math.round(bytes / 1024);

/** The bench section: one row per function, and the targets. */
export async function coldStartSection(context: BenchContext): Promise<SectionResult> {
  const figures = await measureColdStarts({ runs: context.runs, progress: context.progress });
  const rows: Record<string, Cell>[] = figures.map((f) => ({
    function: f.id,
    'SDK clients': f.clients.map((getter) => CLIENT_GETTERS[getter].className).join(' ') || '(none)',
    'bundle KB': kb(f.bundle.bytes),
    'floor KB': kb(f.floor.bytes),
    'above floor KB': kb(f.bundle.bytes - f.floor.bytes),
    'import ms': f.importMs,
    'floor import ms': f.floorImportMs,
    'above floor ms': f.aboveFloorMs,
    'above floor CPU ms': f.aboveFloorCpuMs,
    'import / floor': Number((f.importMs.median / f.floorImportMs.median).toFixed(2)),
    'largest non-SDK packages': f.bundle.packages
      .filter(
        (p) =>
          !p.name.startsWith('@aws-sdk/') &&
          !p.name.startsWith('@smithy/') &&
          !p.name.startsWith('@aws-crypto/'),
      )
      .slice(0, 3)
      .map((p) => `${p.name} ${kb(p.bytes)}`)
      .join(', '),
  }));
  const targets = figures.flatMap((f) => [
    {
      target: `${f.id}: import within ${TARGET_ABOVE_FLOOR_MS} ms of its floor`,
      met: f.aboveFloorMs.median <= TARGET_ABOVE_FLOOR_MS,
      detail: `median ${f.aboveFloorMs.median.toFixed(1)} ms above`,
    },
    {
      target: `${f.id}: bundle within 300 KB of its floor`,
      met: f.bundle.bytes - f.floor.bytes <= TARGET_ABOVE_FLOOR_BYTES,
      detail: `${kb(f.bundle.bytes - f.floor.bytes)} KB above`,
    },
    {
      target: `${f.id}: no SDK client it does not call`,
      met: f.unusedClients.length === 0,
      detail: f.unusedClients.join(', ') || 'none',
    },
  ]);
  return {
    rows,
    targets,
    notes: [
      "Bundles built with the stack's own bundling options (infra/constructs/bundling.ts) and config/example.json; sizes are the .mjs Lambda loads (the source map beside it not counted).",
      'The import target is judged on the wall-time median of the per-round differences, as the issue states it; the CPU-time difference beside it is the same import measured without the waiting other processes on this shared machine cause.',
      `Import: a fresh pinned-Node process (NODE_OPTIONS=${GUARD_NODE_OPTIONS}, as deployed) importing the bundle and constructing the function's clients; Node's own start not counted. Function and floor interleaved, ${context.runs} rounds; "above floor" is the per-round difference.`,
      'Floor: a bundle of only the SDK clients the function calls, each constructed, same bundling options.',
    ],
  };
}
