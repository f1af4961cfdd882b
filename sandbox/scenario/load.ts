/** Loading a scenario file: JSON, schema, config (inline or base + overrides), with errors naming the field. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, ConfigError, parseConfig } from '#shared/config.ts';
import { describeIssues } from '#shared/zod-issues.ts';
import { type ScenarioFile, ScenarioSchema } from './schema.ts';

/** The shipped scenario library. */
export const SCENARIOS_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/** The scenario `npm run drill` runs when none is named. */
export const DEFAULT_SCENARIO = 'gateway-instance-dies';

/** A scenario file that cannot be read or does not satisfy the schema; the message lists every problem. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid scenario ${file}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

export interface LoadedScenario {
  readonly file: string;
  readonly scenario: ScenarioFile;
  /** The effective config (base + overrides), validated. */
  readonly config: unknown;
  /**
   * Set for a scenario that expects its config to be refused (`config-rejected`): the problems
   * config validation named (empty when it accepted the config, which fails the scenario).
   */
  readonly configProblems?: readonly string[];
}

/** Every shipped scenario file, sorted. */
export function listScenarioFiles(dir = SCENARIOS_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(dir, name));
}

/** A path, or the name of a shipped scenario (`gateway-instance-dies`). */
export function resolveScenarioPath(pathOrName: string, cwd = process.cwd()): string {
  const direct = isAbsolute(pathOrName) ? pathOrName : resolve(cwd, pathOrName);
  if (existsSync(direct)) return direct;
  const shipped = join(SCENARIOS_DIR, pathOrName.endsWith('.json') ? pathOrName : `${pathOrName}.json`);
  if (existsSync(shipped)) return shipped;
  const names = listScenarioFiles().map((file) => file.slice(SCENARIOS_DIR.length).replace(/\.json$/, ''));
  throw new ScenarioError(pathOrName, [
    `no such file, and no shipped scenario of that name (shipped: ${names.join(', ')})`,
  ]);
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(file, [`cannot read the ${what}: ${(error as Error).message}`]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(file, [`the ${what} is not JSON: ${(error as Error).message}`]);
  }
}

/** Deep patch: objects merge, arrays merge element-wise, `null` removes. */
export function applyOverrides(base: unknown, patch: unknown): unknown {
  if (patch === null) return undefined;
  if (Array.isArray(patch)) {
    const from = Array.isArray(base) ? base : [];
    const length = Math.max(from.length, patch.length);
    const merged: unknown[] = [];
    for (let i = 0; i < length; i++) {
      const value = i < patch.length ? applyOverrides(from[i], patch[i]) : from[i];
      if (value !== undefined) merged.push(value);
    }
    return merged;
  }
  if (patch !== undefined && typeof patch === 'object') {
    const from =
      base !== null && typeof base === 'object' && !Array.isArray(base)
        ? (base as Record<string, unknown>)
        : {};
    const merged: Record<string, unknown> = { ...from };
    for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
      const next = applyOverrides(from[key], value);
      if (next === undefined) delete merged[key];
      else merged[key] = next;
    }
    return merged;
  }
  return patch === undefined ? base : patch;
}

/** Reads, validates and resolves one scenario file. */
export function loadScenario(pathOrName: string): LoadedScenario {
  const file = resolveScenarioPath(pathOrName);
  const raw = readJson(file, 'scenario file');
  const parsed = ScenarioSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ScenarioError(file, describeIssues(parsed.error.issues, raw, { maxValueLength: 120 }));
  }
  const scenario = parsed.data;
  let config: unknown;
  if ('inline' in scenario.config) {
    config = scenario.config.inline;
  } else {
    const baseFile = resolve(dirname(file), scenario.config.base);
    config = applyOverrides(
      readJson(baseFile, `config base ${scenario.config.base}`),
      scenario.config.overrides ?? {},
    );
  }
  const expectsRejection = scenario.expect.some((e) => e.check === 'config-rejected');
  let parsedConfig: Config | undefined;
  try {
    parsedConfig = parseConfig(config, `${file} config`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A scenario that expects the config to be refused runs on the refusal (run.ts).
    if (expectsRejection) return { file, scenario, config, configProblems: error.problems };
    throw new ScenarioError(
      file,
      error.problems.map((p) => `config.${p}`),
    );
  }
  if (expectsRejection) return { file, scenario, config, configProblems: [] };
  const links = new Set(((config as { links?: { name?: string }[] }).links ?? []).map((l) => l.name));
  const problems: string[] = [];
  scenario.timeline.forEach((entry, index) => {
    const named = 'link' in entry.fault ? entry.fault.link : undefined;
    if (named && !links.has(named))
      problems.push(
        `timeline[${index}].link: "${named}" is not a link of the config (${[...links].join(', ')})`,
      );
    if (entry.at > scenario.durationMinutes * 60) {
      problems.push(
        `timeline[${index}].at: ${entry.at} s is after the end of the scenario (${scenario.durationMinutes} min)`,
      );
    }
  });
  scenario.starts.forEach((start, index) => {
    if (start.link && start.input === undefined && !links.has(start.link)) {
      problems.push(
        `starts[${index}].link: "${start.link}" is not a link of the config (${[...links].join(', ')})`,
      );
    }
  });
  scenario.expect.forEach((expectation, index) => {
    const named = 'link' in expectation ? expectation.link : undefined;
    if (named && !links.has(named))
      problems.push(`expect[${index}].link: "${named}" is not a link of the config`);
    if (expectation.check === 'link-healthy' && expectation.within !== undefined) {
      if (scenario.timeline.length === 0) {
        problems.push(`expect[${index}].within: counts from a fault, and the timeline has none (use by)`);
      } else if (expectation.after !== undefined && expectation.after >= scenario.timeline.length) {
        problems.push(
          `expect[${index}].after: there is no timeline[${expectation.after}] (${scenario.timeline.length} fault(s))`,
        );
      }
    }
    if (expectation.check === 'notifications' && expectation.protocol && parsedConfig) {
      const endpoints =
        expectation.protocol === 'sms'
          ? parsedConfig.notifications.smsNumbers
          : parsedConfig.notifications.emails;
      if (endpoints.length === 0) {
        problems.push(
          `expect[${index}].protocol: the config subscribes no ${expectation.protocol} endpoint: add one to notifications.${expectation.protocol === 'sms' ? 'smsNumbers' : 'emails'}`,
        );
      }
    }
  });
  scenario.seed?.budget?.forEach((budget, index) => {
    if (!links.has(budget.link))
      problems.push(`seed.budget[${index}].link: "${budget.link}" is not a link of the config`);
  });
  if (problems.length > 0) throw new ScenarioError(file, problems);
  return { file, scenario, config };
}
