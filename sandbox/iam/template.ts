/**
 * The CloudFormation template the stack deploys for a config: the same CDK app `cdk synth` builds
 * (infra/vpn-guard-app.ts, cdk-nag included), with asset bundling skipped (CDK's
 * `aws:cdk:bundling-stacks: []` context, which NodejsFunction honours; the template's policies do
 * not depend on the bundles).
 *
 * Synthesizing costs seconds (loading aws-cdk-lib dominates), so templates are cached by a hash of
 * the config *and* of every source file the app is built from (infra/, functions/shared/, the
 * CDK and cdk-nag versions): an edited grant invalidates the cache. The cache lives in memory and
 * on disk (`node_modules/.cache/vpn-guard-sandbox/templates/`, or `$VPN_GUARD_SANDBOX_CACHE`),
 * written atomically (temporary file, then rename) so several test workers can share it.
 */
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '#shared/config.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Bumped when what is cached changes shape. */
const CACHE_FORMAT = 1;

/** The stack name the world's deployment has (the app's default). */
export const SANDBOX_STACK_NAME = 'VpnGuard';

/** A synthesized CloudFormation template (the parts the IAM model reads). */
export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, CfnResource>>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly Metadata?: Readonly<Record<string, unknown>>;
}

/** The config the app rejected, or a synth failure: such a stack could not be deployed. */
export class SynthError extends Error {
  override readonly name = 'SynthError';
}

/** How the last {@link loadTemplate} was served (for measurements and tests). */
export interface TemplateSource {
  readonly from: 'memory' | 'disk' | 'synth';
  readonly milliseconds: number;
  readonly key: string;
}

const memory = new Map<string, CfnTemplate>();
let lastSource: TemplateSource | undefined;

/** Where the templates are cached on disk. */
export function templateCacheDir(): string {
  return (
    process.env.VPN_GUARD_SANDBOX_CACHE ?? join(REPO_ROOT, 'node_modules', '.cache', 'vpn-guard-sandbox')
  );
}

/** How the last template was served. */
export function lastTemplateSource(): TemplateSource | undefined {
  return lastSource;
}

/** The deployed template for `config` (validated, defaults applied), from the cache or a fresh synth. */
export async function loadTemplate(config: Config): Promise<CfnTemplate> {
  const began = performance.now();
  const key = cacheKey(config);
  const done = (from: TemplateSource['from'], template: CfnTemplate) => {
    lastSource = { from, milliseconds: performance.now() - began, key };
    memory.set(key, template);
    return template;
  };
  const cached = memory.get(key);
  if (cached) return done('memory', cached);
  const name = join('templates', `${key}.json`);
  const text = readCached(name);
  if (text !== undefined) {
    try {
      return done('disk', JSON.parse(text) as CfnTemplate);
    } catch {
      // A torn file from another tool: synthesize again.
    }
  }
  const template = await synthesize(config);
  writeCached(name, JSON.stringify(template));
  return done('synth', template);
}

/** The cache key: the config and every source the app is built from. */
export function cacheKey(config: Config): string {
  const hash = createHash('sha256');
  hash.update(`format ${CACHE_FORMAT}\n`);
  hash.update(canonicalJson(config));
  for (const dir of ['infra', 'functions/shared', 'sandbox/iam/template.ts']) {
    for (const file of sourceFiles(join(REPO_ROOT, dir))) {
      hash.update(`\n${relative(REPO_ROOT, file)}\n`);
      hash.update(readFileSync(file));
    }
  }
  for (const pkg of ['aws-cdk-lib', 'cdk-nag', 'constructs']) {
    hash.update(`\n${pkg}@${packageVersion(pkg)}`);
  }
  return hash.digest('hex').slice(0, 32);
}

function sourceFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => sourceFiles(join(path, entry.name)));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, item]) => `${JSON.stringify(k)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A cached text by name (under the cache dir), or undefined. */
export function readCached(name: string): string | undefined {
  try {
    return readFileSync(join(templateCacheDir(), name), 'utf8');
  } catch {
    return undefined;
  }
}

/** Caches a text by name, atomically (several workers may write the same name). */
export function writeCached(name: string, text: string): void {
  writeAtomically(join(templateCacheDir(), name), text);
}

/** The installed version of a package (part of cache keys). */
export function packageVersion(name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8'));
    return String(manifest.version);
  } catch {
    return 'unknown';
  }
}

function writeAtomically(file: string, text: string): void {
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    const temporary = `${file}.${process.pid}.${Math.random().toString(16).slice(2)}.tmp`;
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  } catch {
    // A read-only tree only loses the cache, never correctness.
  }
}

/** Builds the app as `cdk synth -c config=FILE` does, without bundling; returns the stack's template. */
async function synthesize(config: Config): Promise<CfnTemplate> {
  // Loaded only on a cache miss: aws-cdk-lib takes seconds to load.
  const [{ App }, { buildVpnGuardApp }] = await Promise.all([
    import('aws-cdk-lib'),
    import('#infra/vpn-guard-app.ts'),
  ]);
  const work = mkdtempSync(join(tmpdir(), 'vpn-guard-sandbox-synth-'));
  try {
    const configPath = join(work, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    const app = new App({
      outdir: join(work, 'cdk.out'),
      context: { config: configPath, stackName: SANDBOX_STACK_NAME, 'aws:cdk:bundling-stacks': [] },
    });
    try {
      const { stackName } = buildVpnGuardApp(app, work);
      return app.synth().getStackByName(stackName).template as CfnTemplate;
    } catch (error) {
      throw new SynthError(
        `the VPN Guard app does not synthesize with this config, so it could not be deployed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
