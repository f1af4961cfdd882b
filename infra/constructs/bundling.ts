/**
 * How every VPN Guard function is bundled, in one place: GuardFunction hands these options to CDK's
 * NodejsFunction, and `npm run bench` (bench/cold-start.ts) turns the very same object into an
 * esbuild build through {@link esbuildBuildOptions}, so what is measured is what is deployed
 * (test/infra/bundling.test.ts compares the two bundles byte for byte).
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BundlingOptions, LogLevel, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import type { Config } from '#shared/config.ts';
import { BUNDLED_CONFIG_GLOBAL } from '#shared/runtime-config.ts';
import { BUNDLED_TRACING_GLOBAL } from '#shared/tracing.ts';
import { runtimeConfigJson } from '../load-config.ts';

/** The esbuild target of every bundle (the Lambda runtime is nodejs24.x). */
export const BUNDLE_TARGET = 'node24';

/**
 * NODE_OPTIONS every function runs with: stack traces in the logs point at the TypeScript sources.
 * Node then reads each bundle's source map when it loads, which the cold-start bench counts too.
 */
export const GUARD_NODE_OPTIONS = '--enable-source-maps';

/** The bundling options of a function (the same for all of them but the config bundled in). */
export function guardBundling(config: Config): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    // The config goes into the code, not the environment (4 KB cap): esbuild replaces the global
    // with the export of this file. Not `define`: that travels on esbuild's command line, and
    // from ~180 links the config passes Linux's 128 KiB per argument (spawn E2BIG).
    // A config change changes the bundle, hence the asset hash, so CDK redeploys the code.
    inject: [configInjectFile(runtimeConfigJson(config))],
    define: {
      // A literal true/false, so esbuild drops the tracing branch (and the X-Ray SDK it would
      // import) from every bundle when tracing is off: see functions/shared/tracing.ts.
      [BUNDLED_TRACING_GLOBAL]: JSON.stringify(config.tracing.enabled),
    },
    target: BUNDLE_TARGET,
    // ESM entry points first: they are the ones esbuild can tree-shake.
    mainFields: ['module', 'main'],
    // ESM output: some dependencies still call require() (CommonJS), so give them one.
    banner:
      "import { createRequire as __vpnGuardCreateRequire } from 'node:module'; const require = __vpnGuardCreateRequire(import.meta.url);",
    // Bundle the AWS SDK too: the code runs with the exact SDK version the tests ran against.
    externalModules: [],
    minify: true,
    keepNames: true,
    sourceMap: true,
    sourcesContent: false,
    forceDockerBundling: false,
    logLevel: LogLevel.ERROR,
  };
}

/**
 * The config as an esbuild inject file (https://esbuild.github.io/api/#inject) exporting
 * `__VPN_GUARD_CONFIG__` as a string literal: every reference to that global in the bundle becomes
 * this export. Content-addressed under the OS temp directory, so one config is written once.
 */
function configInjectFile(json: string): string {
  const dir = join(tmpdir(), 'vpn-guard-bundled-config');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `config-${createHash('sha256').update(json).digest('hex').slice(0, 32)}.mjs`);
  if (!existsSync(file))
    writeFileSync(file, `export const ${BUNDLED_CONFIG_GLOBAL} = ${JSON.stringify(json)};\n`);
  return file;
}

/** The options {@link esbuildBuildOptions} knows how to carry over; any other one is refused. */
const MAPPED = new Set<keyof BundlingOptions>([
  'format',
  'define',
  'inject',
  'target',
  'mainFields',
  'banner',
  'externalModules',
  'minify',
  'keepNames',
  'sourceMap',
  'sourcesContent',
  'forceDockerBundling',
  'logLevel',
]);

/**
 * The esbuild build CDK runs for these bundling options (the flags of NodejsFunction's local
 * bundling: `--bundle --platform=node --target --format --minify --sourcemap --sources-content
 * --external --define --log-level --keep-names --banner:js --main-fields`). Throws on an option it
 * does not translate, so the bench can never silently bundle differently from the stack.
 */
export function esbuildBuildOptions(
  bundling: BundlingOptions,
  entry: { entryPoints: string[] } | { stdin: NonNullable<BuildOptions['stdin']> },
  outfile: string,
): BuildOptions {
  const unknown = Object.keys(bundling).filter((key) => !MAPPED.has(key as keyof BundlingOptions));
  if (unknown.length > 0) {
    throw new Error(
      `esbuildBuildOptions does not translate the bundling option(s) ${unknown.join(', ')}: add them to infra/constructs/bundling.ts so the bench bundles as the stack does`,
    );
  }
  return {
    ...entry,
    bundle: true,
    platform: 'node',
    target: bundling.target ?? BUNDLE_TARGET,
    ...(bundling.format && { format: bundling.format }),
    outfile,
    minify: bundling.minify ?? false,
    ...(bundling.sourceMap && { sourcemap: true }),
    ...(bundling.sourcesContent === false && { sourcesContent: false }),
    external: [...(bundling.externalModules ?? [])],
    define: { ...bundling.define },
    ...(bundling.inject && { inject: [...bundling.inject] }),
    ...(bundling.logLevel && { logLevel: bundling.logLevel }),
    keepNames: bundling.keepNames ?? false,
    ...(bundling.banner && { banner: { js: bundling.banner } }),
    ...(bundling.mainFields && { mainFields: [...bundling.mainFields] }),
  };
}
