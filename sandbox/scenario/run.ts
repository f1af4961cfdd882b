/**
 * Running a scenario: a world from its config, the timeline's faults and the manual starts at
 * their simulated times, then every expectation checked against the world at the end, and the
 * drill summary. The world is disposed before this returns (also on errors).
 */

import { budgetKey } from '#functions/remediation-guard/budget.ts';
import { DEPLOYMENT_ALARMS, type DeploymentAlarm, deploymentAlarmName } from '#infra/alarm-specs.ts';
import { type LinkAlarm, linkAlarmName } from '#shared/alarm-names.ts';
import { AUDIENCE_ATTRIBUTE } from '#shared/audience.ts';
import type { Config } from '#shared/config.ts';
import { CANARY_COLLECTION_METRICS, metricDimensionsFor } from '#shared/metric-names.ts';
import { failedStateOf, type RemediationReportView, remediationReportSchema } from '../../cli/summary.ts';
import type { DrillSummary, RouteChange } from '../../cli/types.ts';
import { realNow } from '../clock.ts';
import type { TunnelStateSource } from '../ike/tunnel-source.ts';
import type { HistoryEvent } from '../local-sfn.ts';
import { GATEWAY_SERVICES } from '../world/calls.ts';
import { functionNameOf } from '../world/lambda-metrics.ts';
import { canaryFunctionArn } from '../world/lambdas.ts';
import type { ExecutionRecord, ExecutionStatus } from '../world/sfn.ts';
import type { PublishedMessage } from '../world/sns.ts';
import { LOCK_TABLE_NAME, World, type WorldEvent } from '../world/world.ts';
import { toExecutionEvents } from './history.ts';
import type { LoadedScenario } from './load.ts';
import type { Expectation, ScenarioFile } from './schema.ts';

export interface ExpectationResult {
  readonly description: string;
  readonly met: boolean;
  readonly detail?: string;
}

/** One remediation execution, as the scenario saw it end. */
export interface RemediationView {
  readonly name: string;
  readonly arn: string;
  readonly status: ExecutionStatus;
  readonly startedBy: string;
  readonly startDate: number;
  readonly stopDate: number | null;
  readonly link: string | null;
  readonly trigger: 'alarm' | 'drill' | 'manual' | null;
  readonly dryRun: boolean;
  readonly report: RemediationReportView | null;
  readonly outcome: DrillSummary['outcome'];
  readonly failedState: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly path: readonly string[];
  readonly history: readonly HistoryEvent[];
}

export interface ScenarioResult {
  readonly file: string;
  readonly name: string;
  readonly description: string;
  readonly config: Config;
  readonly start: number;
  readonly durationSeconds: number;
  readonly remediations: readonly RemediationView[];
  readonly remediationDefinition: string;
  readonly monitorRuns: number;
  readonly monitorFailures: readonly { name: string; error: string | null }[];
  readonly events: readonly WorldEvent[];
  readonly notifications: readonly PublishedMessage[];
  readonly startErrors: readonly { at: number; error: string }[];
  readonly expectations: readonly ExpectationResult[];
  readonly summary: DrillSummary;
  readonly ok: boolean;
  readonly wallMs: number;
}

export interface RunOptions {
  readonly onEvent?: (event: WorldEvent) => void;
  /** Called once the world is seeded, before simulated time starts. */
  readonly onReady?: (world: World) => void;
  /** Real IKE decides the tunnels' state (the --real-ike drill). */
  readonly tunnelSource?: TunnelStateSource;
}

/** When each link turned healthy or down (simulated epoch ms), for time-bounded expectations. */
export type HealthLog = ReadonlyMap<string, readonly { readonly at: number; readonly healthy: boolean }[]>;

/** What time-bounded expectations need beyond the world at the end. */
export interface CheckContext {
  readonly health: HealthLog;
  readonly timeline: ScenarioFile['timeline'];
}

/** Runs a loaded scenario to its end. */
export async function runScenario(loaded: LoadedScenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const began = realNow();
  const { scenario } = loaded;
  if (loaded.configProblems) return rejectedConfigResult(loaded, began);
  const health = new Map<string, { at: number; healthy: boolean }[]>();
  let live: World | undefined;
  /** Records each link's health when it changes (sampled after every event that may change it). */
  const sampleHealth = () => {
    if (!live) return;
    for (const link of live.config.links) {
      const log = health.get(link.name) ?? [];
      const healthy = live.linkStatus(link.name).healthy;
      if (log.at(-1)?.healthy !== healthy) log.push({ at: live.clock.now(), healthy });
      health.set(link.name, log);
    }
  };
  const world = await World.create({
    config: loaded.config,
    ...(scenario.start ? { start: scenario.start } : {}),
    ...(scenario.timing ? { timing: scenario.timing } : {}),
    ...(options.tunnelSource ? { tunnelSource: options.tunnelSource } : {}),
    onEvent: (event) => {
      options.onEvent?.(event);
      // After the change that emitted the event has been applied in full.
      if (
        event.kind === 'link' ||
        event.kind === 'tunnel' ||
        event.kind === 'gateway' ||
        event.kind === 'fault'
      )
        queueMicrotask(sampleHealth);
    },
  });
  live = world;
  try {
    sampleHealth();
    seedScenarioItems(world, scenario);
    options.onReady?.(world);
    const startErrors: { at: number; error: string }[] = [];
    for (const entry of scenario.timeline) {
      world.at(entry.at, `fault ${entry.fault.type}`, () => world.inject(entry.fault));
    }
    for (const start of scenario.starts) {
      world.at(start.at, `${start.trigger} start`, () => {
        try {
          world.startRemediation({
            ...(start.link ? { link: start.link } : {}),
            trigger: start.trigger,
            dryRun: start.dryRun,
            ...(start.reason ? { reason: start.reason } : {}),
            ...(start.input !== undefined ? { input: start.input } : {}),
          });
        } catch (error) {
          startErrors.push({
            at: world.clock.now(),
            error: `${(error as Error).name}: ${(error as Error).message}`,
          });
        }
      });
    }
    await world.runUntil(scenario.durationMinutes * 60);
    const remediationDefinition = world.sfn.machine('remediation').definition;
    const remediations = world.remediations().map(toView);
    sampleHealth();
    const expectations = scenario.expect.map((expectation) =>
      checkExpectation(expectation, world, remediations, { health, timeline: scenario.timeline }),
    );
    const ok = expectations.every((e) => e.met);
    const summary = buildSummary(world, remediations, expectations);
    const monitors = world.monitorExecutions();
    return {
      file: loaded.file,
      name: scenario.name,
      description: scenario.description,
      config: world.config,
      start: world.start,
      durationSeconds: scenario.durationMinutes * 60,
      remediations,
      remediationDefinition,
      monitorRuns: monitors.length,
      monitorFailures: monitors
        .filter((m) => m.status !== 'SUCCEEDED' && m.status !== 'RUNNING')
        .map((m) => ({ name: m.name, error: m.error ?? null })),
      events: [...world.events],
      notifications: world.sns.messages.map((m) => ({ ...m })),
      startErrors,
      expectations,
      summary,
      ok,
      wallMs: realNow() - began,
    };
  } finally {
    await world.dispose();
  }
}

/** The scenario's `seed`: items the world starts with (a link's budget of the last 24 h). */
function seedScenarioItems(world: World, scenario: ScenarioFile): void {
  const machine = world.sfn.machine('remediation').arn.replace(':stateMachine:', ':execution:');
  for (const budget of scenario.seed?.budget ?? []) {
    const attempts = budget.attempts.map((ago, index) => [
      `${machine}:${budget.link}-seeded-${index + 1}`,
      new Date(world.start - ago * 1000).toISOString(),
    ]);
    const latest = Math.max(...budget.attempts.map((ago) => world.start - ago * 1000));
    // The item as functions/remediation-guard/adapters.ts writes it (writeBudget).
    world.dynamodb.seedItem(LOCK_TABLE_NAME, {
      pk: { S: budgetKey(budget.link) },
      attempts: { M: Object.fromEntries(attempts.map(([id, at]) => [id, { S: at as string }])) },
      version: { N: String(budget.attempts.length) },
      expiresAt: { N: String(Math.floor(latest / 1000) + 2 * 86_400) },
      ...(budget.lastCompleted !== undefined
        ? {
            lastCompletedAt: { S: new Date(world.start - budget.lastCompleted * 1000).toISOString() },
            lastExecutionId: { S: attempts.at(-1)?.[0] ?? '' },
          }
        : {}),
    });
  }
}

/** A scenario expecting its config to be refused: checked on the refusal, no world built. */
function rejectedConfigResult(loaded: LoadedScenario, began: number): ScenarioResult {
  const problems = loaded.configProblems ?? [];
  const expectations = loaded.scenario.expect.map((expectation): ExpectationResult => {
    if (expectation.check !== 'config-rejected') {
      return { description: expectation.check, met: false, detail: 'needs a world' };
    }
    // `links.0.name` and `links[0].name` name the same field.
    const dotted = (path: string) => path.replace(/\[(\d+)\]/g, '.$1');
    const field = dotted(expectation.field);
    const named = problems.filter((problem) => {
      const text = dotted(problem);
      return (
        (text === field || text.startsWith(`${field}:`) || text.startsWith(`${field} `)) &&
        (expectation.includes === undefined || problem.includes(expectation.includes))
      );
    });
    return {
      description: `the config is rejected naming ${expectation.field}${expectation.includes ? ` and "${expectation.includes}"` : ''}`,
      met: named.length > 0,
      detail: problems.length === 0 ? 'the config was accepted' : problems.join('; '),
    };
  });
  const ok = expectations.every((e) => e.met);
  return {
    file: loaded.file,
    name: loaded.scenario.name,
    description: loaded.scenario.description,
    config: loaded.config as Config,
    start: 0,
    durationSeconds: 0,
    remediations: [],
    remediationDefinition: '',
    monitorRuns: 0,
    monitorFailures: [],
    events: [],
    notifications: [],
    startErrors: [],
    expectations,
    summary: {
      outcome: 'no-remediation',
      link: '',
      trigger: 'alarm',
      dryRun: false,
      executionName: null,
      executionArn: null,
      consoleUrl: null,
      timeToDetectSeconds: null,
      timeToRecoverSeconds: null,
      simulatedTime: true,
      remediations: 0,
      oldInstanceId: null,
      newInstanceId: null,
      routesChanged: [],
      notifications: [],
      mutatingCalls: 0,
      failedState: null,
      error: problems.length > 0 ? `config rejected: ${problems.join('; ')}` : null,
      expectations,
    },
    ok,
    wallMs: realNow() - began,
  };
}

/** The alarm names an expectation means: a stack alarm's own, or the alarm of each link. */
function alarmNamesOf(world: World, alarm: LinkAlarm | DeploymentAlarm, link: string | undefined): string[] {
  if ((DEPLOYMENT_ALARMS as readonly string[]).includes(alarm))
    return [deploymentAlarmName(world.config.namespace, alarm as DeploymentAlarm)];
  return linksOf(world, link).map((name) => linkAlarmName(world.config.namespace, name, alarm as LinkAlarm));
}

const clockText = (world: World, at: number) => {
  const seconds = Math.round((at - world.start) / 1000);
  return `+${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
};

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toView(record: ExecutionRecord): RemediationView {
  const input = (parseJson(record.input) ?? {}) as { link?: unknown; trigger?: unknown; dryRun?: unknown };
  const parsed = record.status === 'SUCCEEDED' ? remediationReportSchema.safeParse(record.output) : undefined;
  const report = parsed?.success ? parsed.data : null;
  const failedState =
    record.status === 'SUCCEEDED' || record.status === 'RUNNING'
      ? null
      : failedStateOf(toExecutionEvents(record.history), record.error);
  let outcome: DrillSummary['outcome'];
  switch (record.status) {
    case 'SUCCEEDED':
      outcome = report?.outcome ?? 'failed';
      break;
    case 'RUNNING':
      outcome = 'running';
      break;
    case 'ABORTED':
      outcome = 'aborted';
      break;
    default:
      outcome = failedState === 'ValidateInput' ? 'rejected' : 'failed';
  }
  const trigger =
    input.trigger === 'alarm' || input.trigger === 'drill' || input.trigger === 'manual'
      ? input.trigger
      : null;
  return {
    name: record.name,
    arn: record.arn,
    status: record.status,
    startedBy: record.startedBy,
    startDate: record.startDate,
    stopDate: record.stopDate ?? null,
    link: typeof input.link === 'string' ? input.link : null,
    trigger,
    dryRun: input.dryRun === true,
    report,
    outcome,
    failedState,
    error: record.error ?? null,
    cause: record.cause ?? null,
    path: record.path,
    history: record.history,
  };
}

function countMet(count: { exactly?: number; atLeast?: number; atMost?: number }, actual: number): boolean {
  return (
    (count.exactly === undefined || actual === count.exactly) &&
    (count.atLeast === undefined || actual >= count.atLeast) &&
    (count.atMost === undefined || actual <= count.atMost)
  );
}

function countText(count: { exactly?: number; atLeast?: number; atMost?: number }): string {
  const parts = [
    count.exactly !== undefined ? `exactly ${count.exactly}` : '',
    count.atLeast !== undefined ? `at least ${count.atLeast}` : '',
    count.atMost !== undefined ? `at most ${count.atMost}` : '',
  ].filter(Boolean);
  return parts.join(' and ');
}

function linksOf(world: World, link: string | undefined): string[] {
  return link ? [link] : world.config.links.map((l) => l.name);
}

/** Checks one expectation against the world at the end of the scenario. */
export function checkExpectation(
  expectation: Expectation,
  world: World,
  remediations: readonly RemediationView[],
  context: CheckContext = { health: new Map(), timeline: [] },
): ExpectationResult {
  switch (expectation.check) {
    case 'config-rejected':
      return {
        description: `the config is rejected naming ${expectation.field}`,
        met: false,
        detail: 'the config was accepted',
      };
    case 'link-healthy': {
      if (expectation.within !== undefined || expectation.by !== undefined) {
        return checkRecoveredBy(expectation, world, context);
      }
      const links = linksOf(world, expectation.link);
      const states = links.map((name) => ({ name, status: world.linkStatus(name) }));
      const met = states.every(({ status }) => status.healthy === expectation.healthy);
      return {
        description: `${links.join(', ')} ${expectation.healthy ? 'healthy' : 'down'} at the end`,
        met,
        detail: states
          .map(
            ({ name, status }) =>
              `${name}: ${status.healthy ? 'healthy' : 'down'}, ${status.tunnelsUp} tunnel(s) UP, gateway ${status.gatewayInstanceId ?? 'none'}`,
          )
          .join('; '),
      };
    }
    case 'replacements': {
      const links = linksOf(world, expectation.link);
      const replaced = links.flatMap((name) => world.replacements(name));
      return {
        description: `${countText(expectation)} replacement instance(s)${expectation.link ? ` for ${expectation.link}` : ''}`,
        met: countMet(expectation, replaced.length),
        detail: `${replaced.length}${replaced.length > 0 ? `: ${replaced.join(', ')}` : ''}`,
      };
    }
    case 'no-route-to-non-running-instance': {
      const links = linksOf(world, expectation.link);
      const bad = links.flatMap((name) => world.linkStatus(name).routesToNonRunning);
      return {
        description: 'no configured route points to a non-running instance',
        met: bad.length === 0,
        detail:
          bad.length === 0
            ? 'none'
            : bad.map((r) => `${r.routeTableId} ${r.destination} -> ${r.target} (${r.state})`).join('; '),
      };
    }
    case 'gateway-unchanged': {
      const links = linksOf(world, expectation.link);
      const changed = links.filter(
        (name) => world.replacements(name).length > 0 || world.linkStatus(name).gatewayInstanceId === null,
      );
      return {
        description: `the gateway instance${links.length > 1 ? 's' : ''} of ${links.join(', ')} unchanged`,
        met: changed.length === 0,
        detail: links
          .map((name) => `${name}: ${world.linkStatus(name).gatewayInstanceId ?? 'none'}`)
          .join('; '),
      };
    }
    case 'notifications': {
      const kinds = expectation.kinds ?? (expectation.kind ? [expectation.kind] : []);
      const from = expectation.from === undefined ? undefined : world.start + expectation.from * 1000;
      const to = expectation.to === undefined ? undefined : world.start + expectation.to * 1000;
      const messages = world.sns.messages.filter((message) => {
        if (!kinds.includes(message.kind)) return false;
        if (from !== undefined && message.at < from) return false;
        if (to !== undefined && message.at >= to) return false;
        if (expectation.protocol && !message.deliveries.some((d) => d.protocol === expectation.protocol))
          return false;
        if (expectation.audience && message.attributes[AUDIENCE_ATTRIBUTE] !== expectation.audience)
          return false;
        if (expectation.alarm && message.alarm?.name.endsWith(`-${expectation.alarm}`) !== true) return false;
        if (expectation.state && message.alarm?.state !== expectation.state) return false;
        if (expectation.link) {
          if (message.alarm)
            return message.alarm.name.startsWith(
              linkAlarmName(world.config.namespace, expectation.link, 'Outage').slice(0, -'Outage'.length),
            );
          const view = remediations.find((r) => r.name === message.executionName);
          return view?.link === expectation.link;
        }
        return true;
      });
      const what = [kinds.join('+'), expectation.alarm, expectation.state].filter(Boolean).join(' ');
      const scope = [
        expectation.protocol ? `delivered by ${expectation.protocol}` : '',
        expectation.audience ? `audience ${expectation.audience}` : '',
        from !== undefined ? `from ${clockText(world, from)}` : '',
        to !== undefined ? `before ${clockText(world, to)}` : '',
      ].filter(Boolean);
      return {
        description: `${countText(expectation)} "${what}" notification(s)${expectation.link ? ` for ${expectation.link}` : ''}${scope.length > 0 ? ` (${scope.join(', ')})` : ''}`,
        met: countMet(expectation, messages.length),
        detail: `${messages.length}${
          messages.length > 0
            ? `: ${messages
                .map((m) => `${clockText(world, m.at)} ${m.subject ?? ''}`)
                .slice(0, 3)
                .join(' | ')}`
            : ''
        }`,
      };
    }
    case 'mutating-calls':
    case 'aws-calls': {
      const calls = world.calls.filter({
        ...(expectation.services ? { service: expectation.services } : {}),
        ...(expectation.commands ? { command: expectation.commands } : {}),
        ...(expectation.machine ? { machine: expectation.machine } : {}),
        ...(expectation.check === 'mutating-calls'
          ? { mutating: true }
          : expectation.mutating !== undefined
            ? { mutating: expectation.mutating }
            : {}),
        ...(expectation.check === 'aws-calls' && expectation.failed !== undefined
          ? { failed: expectation.failed }
          : {}),
        ...(expectation.check === 'aws-calls' && expectation.error !== undefined
          ? { error: expectation.error }
          : {}),
      });
      const scope = [
        expectation.services ? expectation.services.join('/') : 'any service',
        expectation.commands ? expectation.commands.join('/') : '',
        expectation.machine ? `by ${expectation.machine} executions` : '',
        expectation.check === 'aws-calls' && expectation.error ? `failing with ${expectation.error}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      const byCommand = new Map<string, number>();
      for (const call of calls)
        byCommand.set(
          `${call.service}:${call.command}`,
          (byCommand.get(`${call.service}:${call.command}`) ?? 0) + 1,
        );
      return {
        description: `${countText(expectation)} ${expectation.check === 'mutating-calls' ? 'mutating ' : ''}AWS call(s) (${scope})`,
        met: countMet(expectation, calls.length),
        detail: `${calls.length}${byCommand.size > 0 ? `: ${[...byCommand].map(([k, n]) => `${k} x${n}`).join(', ')}` : ''}`,
      };
    }
    case 'remediations': {
      const matching = remediations.filter(
        (r) =>
          (expectation.link === undefined || r.link === expectation.link) &&
          (expectation.outcome === undefined || r.outcome === expectation.outcome) &&
          (expectation.status === undefined || r.status === expectation.status) &&
          (expectation.trigger === undefined || r.trigger === expectation.trigger),
      );
      const what = [expectation.outcome, expectation.status, expectation.trigger].filter(Boolean).join(', ');
      return {
        description: `${countText(expectation)} remediation execution(s)${what ? ` (${what})` : ''}${expectation.link ? ` for ${expectation.link}` : ''}`,
        met: countMet(expectation, matching.length),
        detail: `${matching.length} of ${remediations.length}: ${remediations.map((r) => `${r.name} ${r.outcome}`).join(', ') || 'none'}`,
      };
    }
    case 'remediation-path': {
      const index = expectation.execution === 'last' ? remediations.length - 1 : expectation.execution;
      const view = remediations[index];
      const label = `remediation #${expectation.execution === 'last' ? 'last' : expectation.execution}`;
      if (!view)
        return {
          description: `${label} took the expected path`,
          met: false,
          detail: `only ${remediations.length} remediation(s) ran`,
        };
      const missing = expectation.includes.filter((state) => !view.path.includes(state));
      const present = expectation.excludes.filter((state) => view.path.includes(state));
      const problems = [
        ...missing.map((state) => `did not enter ${state}`),
        ...present.map((state) => `entered ${state}`),
        ...(expectation.status && view.status !== expectation.status
          ? [`status ${view.status}, not ${expectation.status}`]
          : []),
        ...(expectation.failedState && view.failedState !== expectation.failedState
          ? [`failed at ${view.failedState ?? 'nothing'}, not ${expectation.failedState}`]
          : []),
        ...(expectation.error && view.error !== expectation.error
          ? [`error ${view.error ?? 'none'}, not ${expectation.error}`]
          : []),
        ...(expectation.causeIncludes && !(view.cause ?? '').includes(expectation.causeIncludes)
          ? [`cause does not mention "${expectation.causeIncludes}": ${view.cause ?? 'none'}`]
          : []),
      ];
      const parts = [
        expectation.includes.length > 0 ? `through ${expectation.includes.join(', ')}` : '',
        expectation.excludes.length > 0 ? `never ${expectation.excludes.join(', ')}` : '',
        expectation.failedState ? `failing at ${expectation.failedState}` : '',
        expectation.error ? `with ${expectation.error}` : '',
        expectation.causeIncludes ? `naming "${expectation.causeIncludes}"` : '',
        expectation.status ? `ending ${expectation.status}` : '',
      ].filter(Boolean);
      return {
        description: `${label} (${view.name}) ${parts.join(', ')}`,
        met: problems.length === 0,
        detail: problems.length === 0 ? view.status : problems.join('; '),
      };
    }
    case 'alarm-state': {
      const states = alarmNamesOf(world, expectation.alarm, expectation.link).map((name) => ({
        name,
        state: world.cloudwatch.stateOf(name),
      }));
      return {
        description: `${expectation.alarm} ${expectation.state} at the end${expectation.link ? ` for ${expectation.link}` : ''}`,
        met: states.every((s) => s.state === expectation.state),
        detail: states.map((s) => `${s.name}: ${s.state ?? 'no such alarm'}`).join('; '),
      };
    }
    case 'alarm-transitions': {
      const names = alarmNamesOf(world, expectation.alarm, expectation.link);
      const transitions = world.cloudwatch.transitions.filter(
        (t) => names.includes(t.alarmName) && t.to === expectation.to,
      );
      return {
        description: `${countText(expectation)} ${expectation.alarm} transition(s) to ${expectation.to}${expectation.link ? ` for ${expectation.link}` : ''}`,
        met: countMet(expectation, transitions.length),
        detail: String(transitions.length),
      };
    }
    case 'metric-datapoints': {
      // Each dimension value once: links sharing a VPN Region or canary VPC share its collection metric.
      const dimensionSets = new Map<string, Record<string, string>>();
      for (const name of linksOf(world, expectation.link)) {
        const config = world.config.links.find((l) => l.name === name);
        if (!config) continue;
        const dimensions = metricDimensionsFor(expectation.metric, config);
        dimensionSets.set(JSON.stringify(dimensions), dimensions);
      }
      const samples = [...dimensionSets.values()].flatMap((dimensions) =>
        world.cloudwatch
          .samples(world.config.namespace, expectation.metric, dimensions)
          .filter((sample) => sample.timestamp >= world.start),
      );
      const matching = samples.filter(
        (sample) =>
          expectation.value === undefined ||
          (sample.count === 1 && sample.sum === expectation.value) ||
          (sample.min === expectation.value && sample.max === expectation.value),
      );
      const where = [...dimensionSets.values()]
        .map((dimensions) =>
          Object.entries(dimensions)
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        )
        .join(' / ');
      return {
        description: `${countText(expectation)} ${expectation.metric} datapoint(s)${expectation.value !== undefined ? ` of ${expectation.value}` : ''} at ${where || 'no link'}`,
        met: countMet(expectation, matching.length),
        detail: `${matching.length} of ${samples.length} since the start`,
      };
    }
    case 'canary-collections': {
      const { namespace, dimension } = CANARY_COLLECTION_METRICS;
      const metricName = CANARY_COLLECTION_METRICS[expectation.metric];
      const vpcs = new Set(
        linksOf(world, expectation.link).flatMap(
          (name) => world.config.links.find((l) => l.name === name)?.canary.vpcId ?? [],
        ),
      );
      const samples = [...vpcs].flatMap((vpcId) =>
        world.cloudwatch
          .samples(namespace, metricName, { [dimension]: functionNameOf(canaryFunctionArn(vpcId)) })
          .filter((sample) => sample.timestamp >= world.start),
      );
      const matching = samples.filter(
        (sample) => expectation.value === undefined || sample.sum === expectation.value,
      );
      return {
        description: `${countText(expectation)} ${namespace} ${metricName} datapoint(s)${expectation.value !== undefined ? ` of ${expectation.value}` : ''} of the canary function of ${[...vpcs].join(', ') || 'no VPC'}`,
        met: countMet(expectation, matching.length),
        detail: `${matching.length} of ${samples.length} since the start`,
      };
    }
    case 'monitor-failures': {
      const failed = world
        .monitorExecutions()
        .filter((m) => m.status !== 'SUCCEEDED' && m.status !== 'RUNNING')
        .filter((m) => expectation.error === undefined || m.error === expectation.error);
      const errors = new Map<string, number>();
      for (const m of failed) errors.set(m.error ?? '?', (errors.get(m.error ?? '?') ?? 0) + 1);
      return {
        description: `${countText(expectation)} failed monitor execution(s)${expectation.error ? ` with ${expectation.error}` : ''}`,
        met: countMet(expectation, failed.length),
        detail: `${failed.length} of ${world.monitorExecutions().length}${errors.size > 0 ? `: ${[...errors].map(([e, n]) => `${e} x${n}`).join(', ')}` : ''}`,
      };
    }
  }
}

/**
 * `link-healthy` with `within` / `by`: the link is healthy at the deadline and stays so to the end
 * (a link that never went down has recovered trivially).
 */
function checkRecoveredBy(
  expectation: Extract<Expectation, { check: 'link-healthy' }>,
  world: World,
  context: CheckContext,
): ExpectationResult {
  const links = linksOf(world, expectation.link);
  const results = links.map((name) => {
    let deadline: number;
    let from = '';
    if (expectation.by !== undefined) deadline = world.start + expectation.by * 1000;
    else {
      const index =
        expectation.after ??
        Math.max(
          0,
          context.timeline.findIndex((entry) => 'link' in entry.fault && entry.fault.link === name),
        );
      const fault = context.timeline[index];
      const faultAt = world.start + (fault?.at ?? 0) * 1000;
      deadline = faultAt + (expectation.within ?? 0) * 1000;
      from = ` of ${fault?.fault.type ?? 'the start'} at ${clockText(world, faultAt)}`;
    }
    const log = context.health.get(name) ?? [];
    const atDeadline = [...log].reverse().find((entry) => entry.at <= deadline);
    const downAfter = log.find((entry) => entry.at > deadline && !entry.healthy);
    const healthyAtDeadline = atDeadline?.healthy === true;
    const lastRecovery = [...log].reverse().find((entry) => entry.healthy);
    const met = healthyAtDeadline && downAfter === undefined;
    const detail = `${name}: ${
      healthyAtDeadline
        ? `healthy at ${clockText(world, deadline)} (since ${clockText(world, atDeadline?.at ?? world.start)})`
        : `down at ${clockText(world, deadline)}${lastRecovery && lastRecovery.at > deadline ? `, recovered only at ${clockText(world, lastRecovery.at)}` : ''}`
    }${downAfter ? `, down again at ${clockText(world, downAfter.at)}` : ''}`;
    return {
      met,
      detail,
      bound:
        expectation.by !== undefined
          ? `by ${clockText(world, deadline)}`
          : `within ${expectation.within} s${from}`,
    };
  });
  return {
    description: `${links.join(', ')} recovered ${results[0]?.bound ?? ''} and healthy to the end`,
    met: results.every((r) => r.met),
    detail: results.map((r) => r.detail).join('; '),
  };
}

const SKIPPED = new Set(['skipped-locked']);

/** The remediation the summary is about: the last one that was not a duplicate skipped on the lock. */
export function headlineRemediation(remediations: readonly RemediationView[]): RemediationView | undefined {
  return [...remediations].reverse().find((r) => !SKIPPED.has(r.outcome)) ?? remediations.at(-1);
}

function buildSummary(
  world: World,
  remediations: readonly RemediationView[],
  expectations: readonly ExpectationResult[],
): DrillSummary {
  const headline = headlineRemediation(remediations);
  const link = headline?.link ?? world.config.links[0]?.name ?? '';
  const report = headline?.report ?? null;
  const firstFault = world.faults.find(
    (f) => !('link' in f.fault) || f.fault.link === undefined || f.fault.link === link,
  );
  // Detected when VPN Guard acted on it: the first remediation of the link started after the fault
  // (the Monitor's failing tick, or the alarm rule), else the Outage alarm entering ALARM.
  const outage = linkAlarmName(world.config.namespace, link, 'Outage');
  const detectedAt = firstFault
    ? (remediations.find((r) => r.link === link && r.startDate >= firstFault.at)?.startDate ??
      world.cloudwatch.transitions.find(
        (t) => t.alarmName === outage && t.to === 'ALARM' && t.at >= firstFault.at,
      )?.at)
    : undefined;
  const routes: RouteChange[] = (report?.routes ?? []).filter((route) => route.action !== 'unchanged');
  const mutating = headline
    ? world.calls.filter({ service: [...GATEWAY_SERVICES], mutating: true, machine: 'remediation' }).length
    : 0;
  return {
    outcome: headline?.outcome ?? 'no-remediation',
    link,
    trigger: headline?.trigger ?? 'alarm',
    dryRun: headline?.dryRun ?? false,
    executionName: headline?.name ?? null,
    executionArn: headline?.arn ?? null,
    consoleUrl: null,
    timeToDetectSeconds:
      firstFault && detectedAt !== undefined ? Math.round((detectedAt - firstFault.at) / 1000) : null,
    timeToRecoverSeconds: report?.timeToRecoverSeconds ?? null,
    simulatedTime: true,
    remediations: remediations.length,
    oldInstanceId: report?.oldInstanceId ?? null,
    newInstanceId: report?.newInstanceId ?? null,
    routesChanged: routes,
    notifications: world.sns.messages.map((m) => ({
      kind: m.kind === 'alarm' && m.alarm ? `alarm ${m.alarm.state}` : m.kind,
      subject: m.subject ?? '',
    })),
    mutatingCalls: mutating,
    failedState: headline?.failedState ?? null,
    error: headline?.error
      ? `${headline.error}${headline.cause ? `: ${causeLine(headline.cause)}` : ''}`
      : null,
    expectations,
  };
}

function causeLine(cause: string): string {
  const parsed = parseJson(cause) as { errorMessage?: unknown } | undefined;
  const text = typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : cause;
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
