/**
 * Loads the deployment config the CDK app is synthesized from: the file named by context `config`
 * (`cdk synth -c config=PATH`), validated with the schema the functions also use.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Config, ConfigError, parseConfig } from '#shared/config.ts';

/** The config used when no `-c config=PATH` is given (also set in cdk.json). */
export const DEFAULT_CONFIG_PATH = 'config/example.json';

/** Lambda's limit on the total size of a function's environment variables (keys and values), bytes. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * Reads and validates a config file. Throws {@link ConfigError} when the file is missing, is not
 * JSON, or breaks the schema (the message names each bad field, its value and the fix).
 */
export function loadConfig(path: string, cwd: string = process.cwd()): Config {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(path, [
      `(file): cannot be read (${code}): pass an existing config file with "cdk synth -c config=PATH"`,
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [
      `(file): is not valid JSON (${(error as Error).message}): fix the syntax (comments and trailing commas are not allowed)`,
    ]);
  }
  const config = parseConfig(raw, path);
  checkAlarmPeriodsCoverSchedule(config, path);
  return config;
}

/** Alarm periods the schema allows, seconds. */
const ALARM_PERIODS = [60, 120, 300] as const;

/**
 * An alarm period shorter than the schedule's interval has periods with no tick in them; MonitorSilent
 * treats those as breaching, so it would alarm on a healthy monitor. Only `rate(...)` schedules are
 * checked (a cron expression's interval is not fixed).
 */
export function checkAlarmPeriodsCoverSchedule(config: Config, source = 'config'): void {
  const match = /^rate\((\d+) minutes?\)$/.exec(config.schedule);
  if (!match) return;
  const interval = Number(match[1]) * 60;
  const fix = ALARM_PERIODS.find((period) => period >= interval);
  const problem = (field: string, period: number) =>
    `${field}: got ${period}: is shorter than the schedule ${config.schedule}, so some periods hold no tick and ` +
    'MonitorSilent (missing data breaching) would alarm on a healthy monitor: ' +
    (fix === undefined
      ? 'use a schedule of at most rate(5 minutes)'
      : `set periodSeconds to ${fix} (or tick more often)`);
  const problems: string[] = [];
  if (config.alarms.periodSeconds < interval)
    problems.push(problem('alarms.periodSeconds', config.alarms.periodSeconds));
  config.links.forEach((link, index) => {
    if (link.alarms && link.alarms.periodSeconds < interval) {
      problems.push(problem(`links[${index}].alarms.periodSeconds`, link.alarms.periodSeconds));
    }
  });
  if (problems.length > 0) throw new ConfigError(source, problems);
}

/**
 * The config as the functions receive it: compact JSON, defaults applied. GuardFunction bundles it
 * into each function's code as `__VPN_GUARD_CONFIG__` (functions/shared/runtime-config.ts).
 */
export function runtimeConfigJson(config: Config): string {
  return JSON.stringify(config);
}
