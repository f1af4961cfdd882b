/**
 * The validated deployment config every function runs with. Read and checked once per container,
 * on first use, so a bad deployment fails loudly at the first invocation.
 *
 * The CDK app bundles the config into each function's code (an esbuild `inject` file exporting
 * `__VPN_GUARD_CONFIG__`) rather than its environment: Lambda caps a function's environment at
 * 4 KB, which held only about five links. A config change therefore changes the code, so the
 * asset hash changes and CDK redeploys every function. The VPN_GUARD_CONFIG environment variable,
 * when set, wins over the bundled config: tests and the local sandbox run the unbundled sources and
 * pass the config that way.
 */
import { type Config, ConfigError, parseConfig } from './config.ts';

/** The environment variable that overrides the bundled config (tests, local sandbox). */
export const CONFIG_ENV = 'VPN_GUARD_CONFIG';

/** The global the bundler replaces with the config JSON (a string literal); see guard-function.ts. */
export const BUNDLED_CONFIG_GLOBAL = '__VPN_GUARD_CONFIG__';

// Replaced by esbuild at bundle time; not defined at all in unbundled code (tests, tsx), so it is
// only ever read behind a `typeof` check, which never throws a ReferenceError.
declare const __VPN_GUARD_CONFIG__: string | undefined;

/** The config JSON bundled into this function's code, if this is a bundle built by the stack. */
function bundledConfig(): string | undefined {
  return typeof __VPN_GUARD_CONFIG__ === 'string' ? __VPN_GUARD_CONFIG__ : undefined;
}

let cached: { raw: string; config: Config } | undefined;

/**
 * The deployment's config: from env VPN_GUARD_CONFIG when it is set (tests, sandbox), else the one
 * bundled into the code. Throws {@link ConfigError} naming each bad field when the JSON does not
 * parse or breaks the schema, and a plain Error when there is no config at all.
 */
export function runtimeConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const fromEnv = env[CONFIG_ENV];
  const source = fromEnv ? CONFIG_ENV : BUNDLED_CONFIG_GLOBAL;
  const raw = fromEnv || bundledConfig();
  if (!raw) {
    throw new Error(
      `No VPN Guard config: the code has none bundled (${BUNDLED_CONFIG_GLOBAL}) and ${CONFIG_ENV} is not set. ` +
        'This function must be deployed by the VPN Guard stack, which bundles the config into its code.',
    );
  }
  if (cached?.raw !== raw) cached = { raw, config: parseConfig(parseJson(raw, source), source) };
  return cached.config;
}

function parseJson(raw: string, source: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new ConfigError(source, [`(root): is not valid JSON (${(error as Error).message})`]);
  }
}

/** A required environment variable, failing fast with its name. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: this function must be deployed by the VPN Guard stack`);
  return value;
}
