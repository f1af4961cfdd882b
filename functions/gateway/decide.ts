/**
 * The remediation loop's judgement, pure: from one observation of the gateway, the latest probe of
 * the link and the loop so far, the least invasive next step. No SDK, no clock of its own.
 *
 * The ladder, lowest first:
 * - repair in place: a running, healthy gateway with drift (Elastic IP elsewhere, a route not on its
 *   interface, source/dest check on): re-associate, re-point, check off. Seconds, no termination.
 * - adopt: the group already launched a replacement: wait for it, configure it, never terminate it.
 * - restart IPsec: a running, SSM-managed gateway without drift, when `gateway.restartCommand` is set.
 * - replace: terminate through the group (desired capacity kept), then configure the new instance.
 * - page: a precondition refuses any change, every rung was tried, or the deadline passed.
 *
 * Every step is verified by `verifySamples` consecutive good samples (canary passing and tunnels not
 * DOWN: an unreadable tunnel API never blocks what the canary settles). Every poll re-observes, so a
 * second fault (the new instance dies, the Elastic IP moves) re-enters the ladder at once.
 */
import { canaryVerdict, tunnelsVerdict } from '#functions/remediation-guard/health.ts';
import type { Probe } from '#functions/remediation-guard/schema.ts';
import type { CanaryVerdict, TunnelsVerdict } from '#functions/remediation-guard/types.ts';
import type { LinkConfig, RemediationSettings } from '#shared/config.ts';
import type { Trigger } from '#shared/execution-name.ts';
import { isTerminating } from './replacement.ts';
import type { InterfaceView, Observation, ObservedInstance } from './types.ts';

/** The rungs of the ladder, lowest first (the report's `rung` / `rungs` vocabulary). */
export const RUNGS = ['repair', 'adopt', 'restart-ipsec', 'replace', 'page'] as const;
/** See {@link RUNGS}. */
export type Rung = (typeof RUNGS)[number];

/** What the state machine does next (its Choice routes on it). */
export const LOOP_ACTIONS = [
  'configure',
  'restart-ipsec',
  'replace',
  'wait-replacement',
  'verify',
  'recovered',
  'recovered-by-itself',
  'page',
] as const;
/** See {@link LOOP_ACTIONS}. */
export type LoopAction = (typeof LOOP_ACTIONS)[number];

/** One probe sample: good (canary passing, tunnels not DOWN), failing (evidence of failure) or unknown. */
export type Sample = 'good' | 'failing' | 'unknown';

/**
 * With the tunnels UP and only the canary failing, the path may be broken beyond the gateway (a far
 * host, a security group): replacing the gateway needs this many consecutive failing samples.
 */
export const CANARY_ONLY_REPLACE_CONFIRMATIONS = 6;

/**
 * Replacing a gateway that is running, InService and without drift (the fault may be on AWS's side,
 * or pass by itself) also needs this many consecutive failing samples first: about a minute of
 * evidence beyond the confirmation window (six samples 15 s apart, about 75 s): a replacement costs
 * minutes of outage, so a fault shorter than that (IPsec restarting, an AWS-side flap) is waited out.
 * A stopped or dead instance is replaced at once.
 */
export const RUNNING_GATEWAY_REPLACE_CONFIRMATIONS = 6;

/** A lower rung (repair, restart) either takes within a couple of IKE/DPD cycles or it will not. */
export const LOWER_RUNG_VERIFY_MINUTES = 2;

/** How many decision notes the loop keeps. */
export const HISTORY_LINES = 40;

/** The loop's state, carried by the ASL at `$.loop` from one decision to the next. */
export interface LoopState {
  readonly iteration: number;
  readonly action: LoopAction;
  /** The rung in progress (or the last one tried); null before any. */
  readonly rung: Rung | null;
  /** Every rung tried, in order (a rung re-entered after a second fault appears again). */
  readonly rungs: readonly Rung[];
  /** Rungs that did not verify in their window: never tried again in this execution. */
  readonly failedRungs: readonly Rung[];
  /** The instance the next action works on (configure, restart, terminate); null when none. */
  readonly targetInstanceId: string | null;
  /** The instance this execution asked the group to terminate. */
  readonly replacedInstanceId: string | null;
  /** When the current rung began (its replacement window counts from here). */
  readonly rungStartedAt: string | null;
  /** When the current rung last changed something (its verify window counts from here). */
  readonly actedAt: string | null;
  /** The loop's start and its deadline (replacementTimeoutMinutes + verifyTimeoutMinutes). */
  readonly loopStartedAt: string;
  readonly deadlineAt: string;
  readonly goodSamples: number;
  readonly failingSamples: number;
  readonly lastSample: Sample | null;
  /** page: the error name and the cause naming the fact; null otherwise. */
  readonly error: string | null;
  readonly cause: string | null;
  /** page: the state the failure is reported at, and whether the budget attempt stays counted. */
  readonly failedState: string | null;
  readonly attempt: 'completed' | 'withdrawn';
  /** recovered: seconds from the execution's start. */
  readonly timeToRecoverSeconds: number | null;
  readonly health: string | null;
  readonly notes: readonly string[];
}

/** The loop's state before the first decision (ValidateInput seeds it). */
export interface InitialLoop {
  readonly iteration: 0;
  readonly rung?: null;
  readonly rungs?: readonly Rung[];
  readonly notes?: readonly string[];
}

/** An observation the ASL could not make (the Catch's error), a failed poll: "not yet". */
export interface FailedObservation {
  readonly Error: string;
  readonly Cause?: string;
}

/** One decision's inputs. */
export interface DecideRequest {
  readonly link: LinkConfig;
  readonly settings: RemediationSettings;
  readonly trigger: Trigger;
  readonly dryRun: boolean;
  /** The execution's start (ISO), for the time to recover. */
  readonly startedAt: string;
  readonly observation: Observation | FailedObservation;
  readonly probe: { readonly tunnels: Probe; readonly canary: Probe } | null;
  /** Whether `probe` is a new sample since the last decision. */
  readonly sampled: boolean;
  readonly loop: LoopState | InitialLoop;
  readonly now: Date;
}

const minutes = (n: number) => n * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const isLoopState = (loop: LoopState | InitialLoop): loop is LoopState => loop.iteration > 0;
const isObservation = (o: Observation | FailedObservation): o is Observation => 'takenAt' in o;

/** The sample a probe gives. */
export function sampleOf(tunnels: TunnelsVerdict, canary: CanaryVerdict): Sample {
  if (tunnels.state === 'down' || canary.state === 'fail') return 'failing';
  if (canary.state === 'pass') return 'good';
  return 'unknown';
}

const running = (i: ObservedInstance) => i.state === 'running';
const live = (i: ObservedInstance) =>
  (i.state === 'running' || i.state === 'pending') && !isTerminating(i.lifecycleState ?? '');
const serving = (i: ObservedInstance) =>
  i.inGroup && i.lifecycleState === 'InService' && i.healthStatus === 'Healthy' && running(i);
const newestFirst = (a: ObservedInstance, b: ObservedInstance) =>
  (b.launchTime ?? '').localeCompare(a.launchTime ?? '');

/** `i-1 (running, InService/Healthy)` for notes and causes. */
export function describeInstance(i: ObservedInstance | undefined): string {
  if (!i) return 'none';
  const group = i.inGroup ? `${i.lifecycleState ?? '?'}/${i.healthStatus ?? '?'}` : 'not in the group';
  return `${i.instanceId} (${i.state ?? 'unknown to EC2'}, ${group})`;
}

/** The interfaces of an instance at the configured device indexes. */
export function forwardingInterfaces(
  instance: ObservedInstance,
  gateway: LinkConfig['gateway'],
): { eip: InterfaceView | undefined; route: InterfaceView | undefined } {
  const at = (index: number) => instance.networkInterfaces.find((eni) => eni.deviceIndex === index);
  return { eip: at(gateway.elasticIpDeviceIndex), route: at(gateway.routeDeviceIndex) };
}

/** What is not as it should be on a running gateway (empty: no drift). */
export function driftOf(observation: Observation, instance: ObservedInstance, link: LinkConfig): string[] {
  const { gateway } = link;
  const { eip, route } = forwardingInterfaces(instance, gateway);
  const drift: string[] = [];
  if (!eip || !route) return drift;
  const address = observation.elasticIp;
  if (address.networkInterfaceId !== eip.networkInterfaceId) {
    drift.push(
      `Elastic IP ${address.publicIp ?? address.allocationId} ${
        address.networkInterfaceId
          ? `is on ${address.instanceId ?? '?'}/${address.networkInterfaceId}`
          : 'is not associated'
      }, not on ${instance.instanceId}/${eip.networkInterfaceId}`,
    );
  }
  for (const r of observation.routes) {
    if (r.networkInterfaceId !== route.networkInterfaceId || r.state !== 'active') {
      drift.push(
        `route ${r.routeTableId} ${r.destinationCidrBlock} -> ${r.target ?? 'missing'}${r.state ? ` (${r.state})` : ''}, not ${route.networkInterfaceId}`,
      );
    }
  }
  const forwarding = [...new Map([eip, route].map((eni) => [eni.networkInterfaceId, eni])).values()];
  for (const eni of forwarding) {
    if (eni.sourceDestCheck !== false) drift.push(`source/dest check on on ${eni.networkInterfaceId}`);
  }
  return drift;
}

/** Refusals that hold whatever the rung: each names the fact. */
export function preconditionRefusals(
  observation: Observation,
  link: LinkConfig,
  now: Date,
  replacedInstanceId: string | null = null,
): string[] {
  const refusals: string[] = [];
  const group = observation.autoScalingGroupName;
  const suspended = observation.suspendedProcesses.filter((p) => p === 'Launch' || p === 'Terminate');
  if (suspended.length > 0) {
    refusals.push(
      `Auto Scaling process${suspended.length > 1 ? 'es' : ''} ${suspended.join(' and ')} suspended on group ${group}: VPN Guard changes nothing while the group is held`,
    );
  }
  const holder = observation.elasticIp.instanceId;
  if (holder) {
    const instance = observation.instances.find((i) => i.instanceId === holder);
    // The instance this execution terminated still holds it until its interface is deleted.
    if (instance && !instance.inGroup && holder !== replacedInstanceId) {
      refusals.push(
        `Elastic IP ${observation.elasticIp.publicIp ?? observation.elasticIp.allocationId} held by ${holder} outside the group ${group}: VPN Guard never takes it silently`,
      );
    }
  }
  const maintenance = maintenanceInProgress(observation, now);
  if (maintenance) refusals.push(maintenance);
  for (const subnet of observation.canarySubnets) {
    if (!subnet.configured) {
      refusals.push(
        subnet.routeTableId
          ? `canary subnet ${subnet.subnetId} uses ${subnet.routeTableId} (${subnet.association === 'main' ? "the VPC's main table" : 'explicit association'}), which is not configured in gateway.routeTableIds (${link.gateway.routeTableIds.join(', ')}): re-pointing cannot heal what the canary measures`
          : `canary subnet ${subnet.subnetId} has no route table (no explicit association and no main table found)`,
      );
    }
  }
  return refusals;
}

/** AWS is replacing a tunnel endpoint of the link: not the gateway's fault, not VPN Guard's to fix. */
function maintenanceInProgress(observation: Observation, now: Date): string | null {
  const busy = observation.maintenance.tunnels.filter((t) => {
    const pending = t.pendingMaintenance && !/^none$/i.test(t.pendingMaintenance);
    // AWS gives no "in progress" flag: pending maintenance on a tunnel that is down, or past its
    // auto-apply time, is AWS replacing the endpoint.
    const due = t.autoAppliedAfter !== null && new Date(t.autoAppliedAfter).getTime() <= now.getTime();
    return pending && (due || t.status === 'DOWN');
  });
  if (busy.length === 0) return null;
  return `AWS tunnel maintenance in progress on ${busy
    .map(
      (t) =>
        `${t.vpnConnectionId} tunnel ${t.outsideIp} (${t.pendingMaintenance}${t.autoAppliedAfter ? `, auto-applied after ${t.autoAppliedAfter}` : ''})`,
    )
    .join(', ')}: the tunnels go down while AWS replaces its endpoint`;
}

/** The longest launch hook, when it exceeds the replacement deadline. */
function hookRefusal(observation: Observation, settings: RemediationSettings): string | null {
  const limit = settings.replacementTimeoutMinutes * 60;
  const hook = [...observation.launchHooks].sort(
    (a, b) => b.heartbeatTimeoutSeconds - a.heartbeatTimeoutSeconds,
  )[0];
  if (!hook || hook.heartbeatTimeoutSeconds <= limit) return null;
  return `launch lifecycle hook ${hook.name} holds a new instance in Pending:Wait up to ${hook.heartbeatTimeoutSeconds} s, longer than the replacement deadline (${settings.replacementTimeoutMinutes} min): a replacement could not be verified in time`;
}

/** The next step of the loop. */
export function decide(request: DecideRequest): LoopState {
  const { link, settings, now } = request;
  const nowMs = now.getTime();
  const prev = isLoopState(request.loop) ? request.loop : null;
  const loopStartedAt = prev?.loopStartedAt ?? now.toISOString();
  const deadlineAt =
    prev?.deadlineAt ??
    iso(nowMs + minutes(settings.replacementTimeoutMinutes + settings.verifyTimeoutMinutes));

  const tunnels = request.probe ? tunnelsVerdict(request.probe.tunnels, link.name) : null;
  const canary = request.probe ? canaryVerdict(request.probe.canary, link.name) : null;
  const sample: Sample | null = tunnels && canary ? sampleOf(tunnels, canary) : null;
  const fresh = request.sampled && sample !== null;
  const goodSamples = fresh
    ? sample === 'good'
      ? (prev?.goodSamples ?? 0) + 1
      : sample === 'failing'
        ? 0
        : (prev?.goodSamples ?? 0)
    : (prev?.goodSamples ?? 0);
  const failingSamples = fresh
    ? sample === 'failing'
      ? (prev?.failingSamples ?? 0) + 1
      : sample === 'good'
        ? 0
        : (prev?.failingSamples ?? 0)
    : (prev?.failingSamples ?? 0);
  const health =
    tunnels && canary ? `tunnels ${tunnels.detail}; canary ${canary.detail}` : (prev?.health ?? null);

  const base = {
    iteration: (prev?.iteration ?? 0) + 1,
    rung: prev?.rung ?? null,
    rungs: prev?.rungs ?? [],
    failedRungs: prev?.failedRungs ?? [],
    targetInstanceId: prev?.targetInstanceId ?? null,
    replacedInstanceId: prev?.replacedInstanceId ?? null,
    rungStartedAt: prev?.rungStartedAt ?? null,
    actedAt: prev?.actedAt ?? null,
    loopStartedAt,
    deadlineAt,
    goodSamples,
    failingSamples,
    lastSample: fresh ? sample : (prev?.lastSample ?? null),
    error: null,
    cause: null,
    failedState: null,
    attempt: (prev?.rungs ?? []).length > 0 ? 'completed' : 'withdrawn',
    timeToRecoverSeconds: null,
    health,
  } satisfies Omit<LoopState, 'action' | 'notes'>;

  // Every decision's notes, oldest first (bounded: the state document travels through every state).
  const step = (action: LoopAction, notes: string[], patch: Partial<LoopState> = {}): LoopState => ({
    ...base,
    ...patch,
    action,
    notes: [...(prev?.notes ?? []), ...notes].slice(-HISTORY_LINES),
  });
  /** A rung begins: recorded in `rungs`, its windows start now. */
  const begin = (
    rung: Rung,
    action: LoopAction,
    target: string | null,
    notes: string[],
    patch: Partial<LoopState> = {},
  ) =>
    step(action, notes, {
      rung,
      rungs: [...base.rungs, rung],
      targetInstanceId: target,
      rungStartedAt: now.toISOString(),
      actedAt:
        action === 'configure' || action === 'restart-ipsec' || action === 'replace'
          ? now.toISOString()
          : null,
      goodSamples: 0,
      attempt: 'completed',
      ...patch,
    });
  const page = (error: string, cause: string, notes: string[] = []): LoopState =>
    request.dryRun
      ? step('recovered', [...notes, `Plan: a real run would page a human: ${cause}`])
      : step('page', [...notes, `Page: ${cause}`], {
          rung: 'page',
          rungs: [...base.rungs, 'page'],
          error,
          cause,
          failedState: 'DecideRung',
        });

  // A failed poll is "not yet", unless the deadline is gone.
  if (!isObservation(request.observation)) {
    const why = `${request.observation.Error}: ${request.observation.Cause ?? ''}`.trim();
    if (nowMs >= new Date(deadlineAt).getTime()) {
      return page(
        'DeadlineExceededError',
        `not recovered by the deadline ${deadlineAt}; the last observation failed (${why})`,
      );
    }
    const waiting: LoopAction =
      prev?.action === 'replace' || prev?.action === 'wait-replacement' ? 'wait-replacement' : 'verify';
    return step(waiting, [`Observe failed (${why}): not yet, polling again`]);
  }
  const observation = request.observation;
  const seen = health ? ` (${health})` : '';

  // Dry run: one pass down the ladder, each act reports its plan and permissions, then stop.
  if (request.dryRun && prev) {
    if (prev.action === 'replace') {
      return step('configure', ['Plan: then configure the replacement and re-point the routes to it'], {
        targetInstanceId: null,
      });
    }
    return step('recovered', ['Plan: a real run would now verify the link (tunnels UP, canary passing)']);
  }

  const refusals = preconditionRefusals(observation, link, now, base.replacedInstanceId);
  if (refusals.length > 0) return page('PreconditionRefusedError', refusals.join('; '));

  // Verified: consecutive good samples after (or without) a rung.
  if (!request.dryRun && goodSamples >= settings.verifySamples && base.rungs.length > 0) {
    const seconds = Math.max(0, Math.round((nowMs - new Date(request.startedAt).getTime()) / 1000));
    return step(
      'recovered',
      [`Verified${seen}: ${goodSamples} consecutive good samples after ${base.rungs.join(' -> ')}`],
      { timeToRecoverSeconds: seconds, attempt: 'completed' },
    );
  }
  if (!request.dryRun && goodSamples >= settings.verifySamples && base.rungs.length === 0) {
    const seconds = Math.max(0, Math.round((nowMs - new Date(request.startedAt).getTime()) / 1000));
    return step(
      'recovered-by-itself',
      [`Healthy${seen}: ${goodSamples} consecutive good samples before any change: recovered by itself`],
      { timeToRecoverSeconds: seconds },
    );
  }

  if (nowMs >= new Date(deadlineAt).getTime()) {
    return page(
      'DeadlineExceededError',
      `not recovered by the deadline ${deadlineAt} (${settings.replacementTimeoutMinutes} + ${settings.verifyTimeoutMinutes} min) after ${base.rungs.join(' -> ') || 'no rung'}: ${situation(observation, prev)}${seen}`,
    );
  }

  const byId = new Map(observation.instances.map((i) => [i.instanceId, i]));
  const members = observation.instances.filter((i) => i.inGroup);
  const notes: string[] = [];
  let failedRungs = [...base.failedRungs];

  // The rung in flight: still on its way, re-entered after a second fault, or out of its window.
  if (prev?.rung && prev.rung !== 'page' && !base.failedRungs.includes(prev.rung)) {
    const target = prev.targetInstanceId ? byId.get(prev.targetInstanceId) : undefined;
    if (prev.action === 'configure' || prev.action === 'restart-ipsec' || prev.action === 'verify') {
      const windowMinutes =
        prev.rung === 'repair' || prev.rung === 'restart-ipsec'
          ? Math.min(settings.verifyTimeoutMinutes, LOWER_RUNG_VERIFY_MINUTES)
          : settings.verifyTimeoutMinutes;
      const windowEnd =
        new Date(prev.actedAt ?? prev.rungStartedAt ?? loopStartedAt).getTime() + minutes(windowMinutes);
      if (!target || !serving(target)) {
        notes.push(
          `Second fault: ${prev.rung} target ${describeInstance(target ?? ({ instanceId: prev.targetInstanceId ?? '?' } as ObservedInstance))} is no longer a running InService gateway`,
        );
      } else {
        const drift = driftOf(observation, target, link);
        if (drift.length > 0) {
          return step(
            'configure',
            [`Second fault on ${target.instanceId}: ${drift.join('; ')}: configuring it again`],
            {
              rungs: [...base.rungs, prev.rung],
              actedAt: now.toISOString(),
              goodSamples: 0,
            },
          );
        }
        if (nowMs < windowEnd) {
          return step('verify', [
            `Verifying ${prev.rung} on ${target.instanceId}${seen}: ${goodSamples}/${settings.verifySamples} good samples, until ${iso(windowEnd)}`,
          ]);
        }
        notes.push(`${prev.rung} did not verify within ${windowMinutes} min${seen}: escalating`);
        failedRungs = [...new Set([...failedRungs, prev.rung])];
      }
    } else if (prev.action === 'replace' || prev.action === 'wait-replacement') {
      const windowEnd =
        new Date(prev.rungStartedAt ?? loopStartedAt).getTime() + minutes(settings.replacementTimeoutMinutes);
      const candidate = replacementCandidate(members, prev.replacedInstanceId);
      if (candidate && serving(candidate)) {
        return step(
          'configure',
          [
            `${prev.rung === 'adopt' ? 'Adopt' : 'Replace'}: ${candidate.instanceId} is InService: configuring it`,
          ],
          {
            targetInstanceId: candidate.instanceId,
            actedAt: now.toISOString(),
            goodSamples: 0,
          },
        );
      }
      if (nowMs < windowEnd) {
        const hook = hookRefusal(observation, settings);
        if (hook && candidate?.lifecycleState?.startsWith('Pending'))
          return page('PreconditionRefusedError', hook);
        const lost = prev.targetInstanceId ? byId.get(prev.targetInstanceId) : undefined;
        const died =
          lost && lost.instanceId !== prev.replacedInstanceId && !live(lost)
            ? `replacement ${lost.instanceId} is ${lost.state ?? lost.lifecycleState}; `
            : '';
        return step(
          'wait-replacement',
          [
            `${died}Waiting for the replacement until ${iso(windowEnd)}: ${members.map(describeInstance).join(', ') || 'no instances in the group'}${
              observation.refreshInProgress ? `; ${observation.refreshInProgress}` : ''
            }`,
          ],
          { targetInstanceId: candidate?.instanceId ?? prev.targetInstanceId },
        );
      }
      notes.push(
        `no InService replacement in group ${observation.autoScalingGroupName} ${settings.replacementTimeoutMinutes} min after ${prev.rung} began: ${members.map(describeInstance).join(', ') || 'no instances'}`,
      );
      failedRungs = [...new Set([...failedRungs, prev.rung])];
    }
  }

  return ladder({ request, observation, members, failedRungs, notes, begin, page, step, seen, base });
}

/** The group's newest live instance that is not the one this execution terminated. */
function replacementCandidate(
  members: readonly ObservedInstance[],
  replaced: string | null,
): ObservedInstance | undefined {
  return members.filter((i) => i.instanceId !== replaced && live(i)).sort(newestFirst)[0];
}

/** What the group looks like, for a cause. */
function situation(observation: Observation, prev: LoopState | null): string {
  const members = observation.instances.filter((i) => i.inGroup);
  const target = prev?.targetInstanceId
    ? observation.instances.find((i) => i.instanceId === prev.targetInstanceId)
    : undefined;
  const facts: string[] = [];
  if (target && !live(target))
    facts.push(
      `${prev?.rung === 'replace' || prev?.rung === 'adopt' ? 'replacement ' : ''}${target.instanceId} is ${target.state ?? target.lifecycleState ?? 'gone'}`,
    );
  facts.push(
    `group ${observation.autoScalingGroupName}: ${members.map(describeInstance).join(', ') || 'no instances'}`,
  );
  return facts.join('; ');
}

interface LadderInput {
  readonly request: DecideRequest;
  readonly observation: Observation;
  readonly members: readonly ObservedInstance[];
  readonly failedRungs: readonly Rung[];
  readonly notes: string[];
  readonly begin: (
    rung: Rung,
    action: LoopAction,
    target: string | null,
    notes: string[],
    patch?: Partial<LoopState>,
  ) => LoopState;
  readonly page: (error: string, cause: string, notes?: string[]) => LoopState;
  readonly step: (action: LoopAction, notes: string[], patch?: Partial<LoopState>) => LoopState;
  readonly seen: string;
  readonly base: {
    readonly rungs: readonly Rung[];
    readonly failingSamples: number;
    readonly replacedInstanceId: string | null;
    readonly lastSample: Sample | null;
  };
}

/** The least invasive rung not yet failed, from the observation. */
function ladder(input: LadderInput): LoopState {
  const { request, observation, members, notes, begin, page, step, seen, base } = input;
  const { link, settings } = request;
  const failed = new Set(input.failedRungs);
  const patch = { failedRungs: [...failed] };
  const group = observation.autoScalingGroupName;
  const gateway = members.filter(serving).sort(newestFirst)[0];

  // A drill rehearses the failover itself: replace, whatever the link looks like.
  if (request.trigger === 'drill' && base.rungs.length === 0) {
    if (!gateway) {
      return begin(
        'replace',
        'wait-replacement',
        null,
        [...notes, `Drill: group ${group} has no InService gateway; waiting for the group's own`],
        patch,
      );
    }
    return replaceRung(input, gateway, [
      ...notes,
      `Drill: replacing ${gateway.instanceId} through the group`,
    ]);
  }

  if (gateway) {
    const { eip, route } = forwardingInterfaces(gateway, link.gateway);
    if (!eip || !route) {
      const missing = !eip
        ? `gateway.elasticIpDeviceIndex ${link.gateway.elasticIpDeviceIndex}`
        : `gateway.routeDeviceIndex ${link.gateway.routeDeviceIndex}`;
      return page(
        'PreconditionRefusedError',
        `${gateway.instanceId} has no network interface at ${missing} (interfaces: ${gateway.networkInterfaces.map((e) => `${e.networkInterfaceId}@${e.deviceIndex}`).join(', ')})`,
        notes,
      );
    }
    const drift = driftOf(observation, gateway, link);
    // Nothing of the link points at it yet: an instance the group launched on its own, adopted.
    const fresh =
      observation.elasticIp.networkInterfaceId !== eip.networkInterfaceId &&
      observation.routes.every((r) => r.networkInterfaceId !== route.networkInterfaceId);
    if (drift.length > 0 && fresh && !failed.has('adopt')) {
      return begin(
        'adopt',
        'configure',
        gateway.instanceId,
        [
          ...notes,
          `Adopt: group ${group} already launched ${describeInstance(gateway)}: configuring it, never terminating it`,
        ],
        patch,
      );
    }
    if (drift.length > 0 && !failed.has('repair')) {
      return begin(
        'repair',
        'configure',
        gateway.instanceId,
        [...notes, `Repair in place on ${gateway.instanceId}: ${drift.join('; ')}`],
        patch,
      );
    }
    if (
      link.gateway.restartCommand !== undefined &&
      gateway.ssmManaged !== true &&
      !failed.has('restart-ipsec')
    ) {
      notes.push(
        `Restart IPsec skipped: ${gateway.instanceId} is not SSM-managed (${gateway.ssmManaged === null ? 'unknown' : 'not registered'})`,
      );
    }
    if (
      !failed.has('restart-ipsec') &&
      link.gateway.restartCommand !== undefined &&
      gateway.ssmManaged === true &&
      drift.length === 0
    ) {
      return begin(
        'restart-ipsec',
        'restart-ipsec',
        gateway.instanceId,
        [...notes, `Restart IPsec on ${gateway.instanceId} through SSM${seen}`],
        patch,
      );
    }
    if (!failed.has('replace')) {
      const canaryOnly =
        request.probe !== null &&
        tunnelsVerdict(request.probe.tunnels, link.name).state === 'up' &&
        canaryVerdict(request.probe.canary, link.name).state === 'fail';
      const needed = canaryOnly ? CANARY_ONLY_REPLACE_CONFIRMATIONS : RUNNING_GATEWAY_REPLACE_CONFIRMATIONS;
      if (request.trigger !== 'drill' && base.failingSamples < needed) {
        return step(
          'verify',
          [
            ...notes,
            `${canaryOnly ? 'Tunnels UP, only the canary fails' : `${gateway.instanceId} runs, InService, without drift`}${seen}: ${base.failingSamples}/${needed} failing samples before replacing it`,
          ],
          { ...patch, targetInstanceId: gateway.instanceId },
        );
      }
      return replaceRung(input, gateway, notes);
    }
    return page(
      'DeadlineExceededError',
      `every rung tried (${base.rungs.join(' -> ')}) and the link is still down${seen}; gateway ${describeInstance(gateway)}`,
      notes,
    );
  }

  // No serving gateway: a replacement the group launched itself is adopted, never terminated.
  const candidate = replacementCandidate(members, base.replacedInstanceId);
  if (candidate && !failed.has('adopt')) {
    const hook = hookRefusal(observation, settings);
    if (hook && candidate.lifecycleState?.startsWith('Pending'))
      return page('PreconditionRefusedError', hook, notes);
    if (serving(candidate)) {
      return begin(
        'adopt',
        'configure',
        candidate.instanceId,
        [...notes, `Adopt: group ${group} already launched ${describeInstance(candidate)}: configuring it`],
        patch,
      );
    }
    if (candidate.inGroup && candidate.lifecycleState !== 'InService') {
      return begin(
        'adopt',
        'wait-replacement',
        candidate.instanceId,
        [
          ...notes,
          `Adopt: group ${group} is launching ${describeInstance(candidate)}: waiting for it, never terminating it`,
        ],
        patch,
      );
    }
  }
  const broken = members.filter((i) => !isTerminating(i.lifecycleState ?? '')).sort(newestFirst)[0];
  if (failed.has('replace')) {
    return page(
      'DeadlineExceededError',
      `${notes.join('; ') || 'replacement did not verify'}; group ${group}: ${members.map(describeInstance).join(', ') || 'no instances'}`,
      notes,
    );
  }
  if (!broken) {
    // Nothing to terminate: the group is already replacing (or will launch to its desired capacity).
    const hook = hookRefusal(observation, settings);
    if (hook) return page('PreconditionRefusedError', hook, notes);
    return begin(
      'adopt',
      'wait-replacement',
      null,
      [
        ...notes,
        `Adopt: group ${group} has no live gateway (${members.map(describeInstance).join(', ') || 'no instances'}): waiting for its own replacement`,
      ],
      patch,
    );
  }
  return replaceRung(input, broken, [...notes, `Gateway ${describeInstance(broken)} is not serving`]);
}

function replaceRung(input: LadderInput, instance: ObservedInstance, notes: string[]): LoopState {
  const { observation, begin, page, request } = input;
  const hook = hookRefusal(observation, request.settings);
  if (hook) return page('PreconditionRefusedError', hook, notes);
  if (observation.refreshInProgress) {
    return page(
      'PreconditionRefusedError',
      `${observation.refreshInProgress} on group ${observation.autoScalingGroupName}: a terminate would be refused (ResourceContention) and the refresh replaces instances itself`,
      notes,
    );
  }
  if (observation.activityInProgress) {
    return input.step(
      'wait-replacement',
      [
        ...notes,
        `Replace deferred: ${observation.activityInProgress}: a terminate would be refused (ScalingActivityInProgress); waiting`,
      ],
      { failedRungs: [...input.failedRungs] },
    );
  }
  return begin(
    'replace',
    'replace',
    instance.instanceId,
    [
      ...notes,
      `Replace ${instance.instanceId} through group ${observation.autoScalingGroupName} (desired capacity kept)`,
    ],
    {
      failedRungs: [...input.failedRungs],
      replacedInstanceId: instance.instanceId,
    },
  );
}
