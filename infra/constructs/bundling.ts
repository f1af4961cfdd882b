/**
 * How every VPN Guard function is bundled, in one place: GuardFunction hands these options to CDK's
 * NodejsFunction, and `npm run bench` (bench/cold-start.ts) turns the very same object into an
 * esbuild build through {@link esbuildBuildOptions}, so what is measured is what is deployed
 * (test/infra/bundling.test.ts compares the two bundles byte for byte).
 */

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
    // with this expression, so it must be JSON source text (a string literal holding the JSON).
    // A config change changes the bundle, hence the asset hash, so CDK redeploys the code.
    define: {
      [BUNDLED_CONFIG_GLOBAL]: JSON.stringify(runtimeConfigJson(config)),
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

/** The options {@link esbuildBuildOptions} knows how to carry over; any other one is refused. */
const MAPPED = new Set<keyof BundlingOptions>([
  'format',
  'define',
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
    ...(bundling.logLevel && { logLevel: bundling.logLevel }),
    keepNames: bundling.keepNames ?? false,
    ...(bundling.banner && { banner: { js: bundling.banner } }),
    ...(bundling.mainFields && { mainFields: [...bundling.mainFields] }),
  };
}
