/**
 * The validated config the CDK app hands every function in VPN_GUARD_CONFIG. Read and checked once
 * per container, on first use, so a bad deployment fails loudly at the first invocation.
 */
import { type Config, parseConfig } from './config.ts';

export const CONFIG_ENV = 'VPN_GUARD_CONFIG';

let cached: { raw: string; config: Config } | undefined;

/** The deployment's config, from the environment. */
export function runtimeConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = env[CONFIG_ENV];
  if (!raw) throw new Error(`${CONFIG_ENV} is not set: this function must be deployed by the VPN Guard stack`);
  if (cached?.raw !== raw) cached = { raw, config: parseConfig(JSON.parse(raw), CONFIG_ENV) };
  return cached.config;
}

/** A required environment variable, failing fast with its name. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: this function must be deployed by the VPN Guard stack`);
  return value;
}
