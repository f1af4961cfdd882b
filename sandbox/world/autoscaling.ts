/**
 * Auto Scaling in the home Region: one group of one gateway instance per link, as AWS documents it.
 *
 * - **Health checks** (https://docs.aws.amazon.com/autoscaling/ec2/userguide/healthcheck.html,
 *   health-checks-overview.html): the group checks its instances periodically, every
 *   `healthCheckIntervalSeconds` (AWS publishes no number; about a minute). An instance that is not
 *   running (terminated, shutting-down, stopping or stopped, by anyone) is marked Unhealthy at the
 *   next check and replaced: terminated first, then a new instance launched ("By default, Amazon EC2
 *   Auto Scaling creates a new scaling activity for terminating the unhealthy instance and then
 *   terminates it. While the instance is terminating, another scaling activity launches a new
 *   instance", replace-unhealthy-instance.html).
 * - **Grace period** (health-check-grace-period.html): "the minimum amount of time ... to keep a
 *   *new* instance in service before terminating it if it's found to be unhealthy". It applies to an
 *   instance younger than `healthCheckGracePeriodSeconds` only, never to noticing that an old one
 *   died; an instance that is already terminated cannot be kept in service, grace or not.
 * - **Suspended processes** (understand-how-suspending-processes-affects-other-processes.html):
 *   `HealthCheck` suspended: nothing is marked Unhealthy; `ReplaceUnhealthy` suspended: marked but
 *   not replaced; `Launch` suspended: "ReplaceUnhealthy continues to terminate unhealthy instances,
 *   but does not launch replacements. When you resume the Launch process, Amazon EC2 Auto Scaling
 *   immediately replaces any instances that it terminated"; `Terminate` suspended: "ReplaceUnhealthy
 *   is inactive but not HealthCheck", and TerminateInstanceInAutoScalingGroup is refused for InService
 *   instances ("Suspending the Terminate process applies only to instances that are currently in the
 *   InService state", suspend-resume-considerations.html).
 * - **Launch lifecycle hooks** (lifecycle-hooks-overview.html, completing-lifecycle-hooks.html): a
 *   new instance waits in `Pending:Wait` until CompleteLifecycleAction or the heartbeat timeout
 *   (then its DefaultResult: CONTINUE → InService, ABANDON → terminated and replaced);
 *   RecordLifecycleActionHeartbeat restarts the timeout, up to the global timeout (48 h or
 *   100 x heartbeat, whichever is smaller).
 * - **Activities in progress**: an instance refresh or a scaling activity in progress makes
 *   TerminateInstanceInAutoScalingGroup fail with `ResourceContention` / `ScalingActivityInProgress`
 *   (API_TerminateInstanceInAutoScalingGroup.html, Errors).
 * - TerminateInstanceInAutoScalingGroup without decrement: the instance goes Terminating (EC2
 *   shutting-down, terminated `shutdownSeconds` later) and the group launches a replacement
 *   `launchDelaySeconds` after the request.
 * - A new instance: Pending (EC2 pending, running after `runningSeconds`), InService after
 *   `bootSeconds`; Libreswan comes up `ipsecStartSeconds` after the instance runs.
 */
import type {
  Activity,
  CompleteLifecycleActionCommandInput,
  DescribeAutoScalingGroupsCommandInput,
  DescribeAutoScalingGroupsCommandOutput,
  DescribeInstanceRefreshesCommandInput,
  DescribeInstanceRefreshesCommandOutput,
  DescribeLifecycleHooksCommandInput,
  DescribeLifecycleHooksCommandOutput,
  DescribeScalingActivitiesCommandInput,
  DescribeScalingActivitiesCommandOutput,
  RecordLifecycleActionHeartbeatCommandInput,
  TerminateInstanceInAutoScalingGroupCommandInput,
  TerminateInstanceInAutoScalingGroupCommandOutput,
} from '@aws-sdk/client-auto-scaling';
import type { TimerHandle } from '../clock.ts';
import { awsError, UnmodelledCommandError } from './aws-errors.ts';
import type { Ec2Model, InstanceRecord, IpsecState } from './ec2.ts';
import type { IdFactory } from './ids.ts';

type Output<T> = Omit<T, '$metadata'>;

export interface AsgTiming {
  /** From a termination (requested, or the group's own replacement) to the replacement's launch. */
  readonly launchDelaySeconds: number;
  /** EC2 pending → running. */
  readonly runningSeconds: number;
  /** Launch → InService (or, with a launch hook, to the instance completing it). */
  readonly bootSeconds: number;
  /** shutting-down → terminated (and running → stopped). */
  readonly shutdownSeconds: number;
  /** Running (or an IPsec restart) → Libreswan up. */
  readonly ipsecStartSeconds: number;
  /** How often the group's EC2 health check runs (a death is noticed at the next one). */
  readonly healthCheckIntervalSeconds: number;
  /** The group's HealthCheckGracePeriod: a *new* instance younger than this is not replaced. */
  readonly healthCheckGracePeriodSeconds: number;
}

export const DEFAULT_ASG_TIMING: AsgTiming = {
  launchDelaySeconds: 10,
  runningSeconds: 30,
  bootSeconds: 90,
  shutdownSeconds: 30,
  ipsecStartSeconds: 15,
  // AWS documents "periodically" and no number; about a minute is what the team measured in issue 8.
  healthCheckIntervalSeconds: 60,
  // The console's default (300 s); the API's and CLI's is 0 (health-check-grace-period.html).
  healthCheckGracePeriodSeconds: 300,
};

/** The scaling processes (API_SuspendProcesses.html, ScalingProcesses). */
export const SCALING_PROCESSES = [
  'Launch',
  'Terminate',
  'AddToLoadBalancer',
  'AlarmNotification',
  'AZRebalance',
  'HealthCheck',
  'InstanceRefresh',
  'ReplaceUnhealthy',
  'ScheduledActions',
] as const;
export type ScalingProcess = (typeof SCALING_PROCESSES)[number];

/** How the group's next launches behave (scenario faults). */
export interface LaunchBehaviour {
  /** Overrides `bootSeconds`. */
  bootSeconds?: number;
  /** Stays Pending for ever (the launch never passes its lifecycle). */
  neverInService?: boolean;
  /** InService, but Libreswan never brings the tunnels up. */
  ipsecNeverUp?: boolean;
  /** How many launches this applies to (default: every later launch). */
  launches?: number;
}

export type MemberLifecycleState =
  | 'Pending'
  | 'Pending:Wait'
  | 'Pending:Proceed'
  | 'InService'
  | 'Terminating'
  | 'Terminated';

interface Member {
  readonly instanceId: string;
  lifecycleState: MemberLifecycleState;
  healthStatus: 'Healthy' | 'Unhealthy';
  /** The launch hook's wait, while in Pending:Wait. */
  hook?: {
    readonly name: string;
    readonly token: string;
    readonly globalDeadline: number;
    timer: TimerHandle;
  };
  /** The activity that launched it (ends when it is InService). */
  launchActivity?: ActivityRecord;
}

/** A launch lifecycle hook (API_LifecycleHook.html). */
export interface LifecycleHookRecord {
  readonly name: string;
  readonly transition: 'autoscaling:EC2_INSTANCE_LAUNCHING';
  readonly heartbeatSeconds: number;
  readonly defaultResult: 'CONTINUE' | 'ABANDON';
  /** The instance's own boot (user data) completes the action with CONTINUE when it finishes. */
  readonly completedByBoot: boolean;
}

export interface ActivityRecord {
  readonly activityId: string;
  readonly description: string;
  readonly cause: string;
  readonly startTime: number;
  endTime?: number;
  statusCode: 'InProgress' | 'Successful' | 'Failed' | 'Cancelled';
  statusMessage?: string;
  progress: number;
  /** An activity a fault holds in progress: TerminateInstanceInAutoScalingGroup fails meanwhile. */
  readonly blocksTerminate: boolean;
}

export interface InstanceRefreshRecord {
  readonly instanceRefreshId: string;
  readonly startTime: number;
  endTime?: number;
  status: 'InProgress' | 'Successful' | 'Cancelled';
  statusReason: string;
  percentageComplete: number;
}

export interface GroupRecord {
  readonly name: string;
  readonly region: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly arn: string;
  desired: number;
  readonly min: number;
  readonly max: number;
  readonly members: Member[];
  /** Instances launched by the group over its life (the first one included). */
  readonly launched: string[];
  behaviours: LaunchBehaviour[];
  /** Network interfaces its launch template gives each instance (device indexes 0..n-1). */
  interfaces: number;
  readonly suspended: Map<ScalingProcess, string>;
  readonly hooks: LifecycleHookRecord[];
  readonly activities: ActivityRecord[];
  readonly refreshes: InstanceRefreshRecord[];
}

export interface Scheduler {
  after(seconds: number, label: string, fire: () => void): TimerHandle;
  /** The world changed: re-evaluate links, tunnels and canary paths. */
  changed(): void;
  now(): number;
}

const validation = (message: string) => awsError('autoscaling', 'ValidationError', message);

export class AutoScalingModel {
  readonly groups = new Map<string, GroupRecord>();
  /**
   * Told of every instance the group launches (after the seeded one), with its launch hook's wait
   * when it has one: the managed gateway's instances boot from here (managed-gateway.ts).
   */
  launchListener?: (launch: {
    groupName: string;
    instanceId: string;
    hook?: { name: string; token: string };
  }) => void;

  constructor(
    private readonly ec2: Ec2Model,
    _ids: IdFactory,
    private readonly scheduler: Scheduler,
    private readonly timing: AsgTiming,
    private readonly account: string,
  ) {}

  /**
   * A group with one InService instance running Libreswan, as a healthy link has, launched
   * `ageSeconds` before now (a real LaunchTime), with `interfaces` network interfaces whose
   * `sourceDestCheckOff` device indexes have the check already off.
   */
  createGroup(options: {
    name: string;
    region: string;
    vpcId: string;
    subnetId: string;
    availabilityZone: string;
    interfaces?: number;
    sourceDestCheckOff: readonly number[];
    ageSeconds?: number;
  }): { group: GroupRecord; instanceId: string } {
    const group: GroupRecord = {
      name: options.name,
      region: options.region,
      vpcId: options.vpcId,
      subnetId: options.subnetId,
      availabilityZone: options.availabilityZone,
      arn: `arn:aws:autoscaling:${options.region}:${this.account}:autoScalingGroup:${crypto.randomUUID()}:autoScalingGroupName/${options.name}`,
      desired: 1,
      min: 1,
      max: 1,
      members: [],
      launched: [],
      behaviours: [],
      interfaces: options.interfaces ?? 1,
      suspended: new Map(),
      hooks: [],
      activities: [],
      refreshes: [],
    };
    this.groups.set(group.name, group);
    const instance = this.launchInstance(group, {
      state: 'running',
      ipsec: 'up',
      sourceDestCheckOff: options.sourceDestCheckOff,
      launchedAt: this.scheduler.now() - (options.ageSeconds ?? 0) * 1000,
    });
    group.members.push({
      instanceId: instance.instanceId,
      lifecycleState: 'InService',
      healthStatus: 'Healthy',
    });
    group.launched.push(instance.instanceId);
    this.scheduleHealthCheck(group, this.timing.healthCheckIntervalSeconds / 2);
    return { group, instanceId: instance.instanceId };
  }

  /** Launches an instance of the group (in its subnet, with its tags); `initial` overrides EC2's launch defaults. */
  private launchInstance(
    group: GroupRecord,
    initial: Pick<
      Parameters<Ec2Model['launchInstance']>[0],
      'state' | 'ipsec' | 'sourceDestCheckOff' | 'launchedAt'
    > = {},
  ): InstanceRecord {
    return this.ec2.launchInstance({
      region: group.region,
      vpcId: group.vpcId,
      subnetId: group.subnetId,
      availabilityZone: group.availabilityZone,
      tags: { 'aws:autoscaling:groupName': group.name, Name: `${group.name}-gateway` },
      interfaces: group.interfaces,
      ...initial,
    });
  }

  /** The group of an instance, if it is a member. */
  groupOf(instanceId: string): GroupRecord | undefined {
    return [...this.groups.values()].find((g) => g.members.some((m) => m.instanceId === instanceId));
  }

  /** The group by name (a world error for a name the world does not have). */
  group(name: string): GroupRecord {
    const group = this.groups.get(name);
    if (!group) throw new Error(`no Auto Scaling group ${name}`);
    return group;
  }

  /** Adds a launch behaviour for the group's next launches. */
  addBehaviour(groupName: string, behaviour: LaunchBehaviour): void {
    this.group(groupName).behaviours.push({ ...behaviour });
  }

  /** SuspendProcesses (a world change): the processes stop until {@link resumeProcesses}. */
  suspendProcesses(groupName: string, processes: readonly ScalingProcess[], reason: string): void {
    const group = this.group(groupName);
    for (const process of processes) group.suspended.set(process, reason);
  }

  /** ResumeProcesses: what was held back happens now (launches owed, unhealthy instances replaced). */
  resumeProcesses(groupName: string, processes: readonly ScalingProcess[]): void {
    const group = this.group(groupName);
    for (const process of processes) group.suspended.delete(process);
    this.healthCheck(group);
    this.restoreCapacity(group, 0);
  }

  /** Adds a launch lifecycle hook (PutLifecycleHook, a world change). */
  putLifecycleHook(groupName: string, hook: LifecycleHookRecord): void {
    const group = this.group(groupName);
    const index = group.hooks.findIndex((h) => h.name === hook.name);
    if (index >= 0) group.hooks.splice(index, 1);
    group.hooks.push(hook);
  }

  /** An activity (a scaling activity or an instance refresh) held in progress until `end` is called. */
  beginBlockingActivity(groupName: string, kind: 'instance-refresh' | 'scaling-activity'): () => void {
    const group = this.group(groupName);
    const now = this.scheduler.now();
    if (kind === 'instance-refresh') {
      const refresh: InstanceRefreshRecord = {
        instanceRefreshId: crypto.randomUUID(),
        startTime: now,
        status: 'InProgress',
        statusReason: 'Waiting for instances to warm up before continuing.',
        percentageComplete: 0,
      };
      group.refreshes.unshift(refresh);
      return () => {
        refresh.status = 'Successful';
        refresh.statusReason = '';
        refresh.percentageComplete = 100;
        refresh.endTime = this.scheduler.now();
      };
    }
    const activity = this.activity(group, {
      description: 'Updating load balancers/target groups',
      cause: `At ${new Date(now).toISOString()} a user request updated the AutoScalingGroup constraints.`,
      blocksTerminate: true,
    });
    return () => this.endActivity(activity, 'Successful');
  }

  private activity(
    group: GroupRecord,
    fields: { description: string; cause: string; blocksTerminate?: boolean },
  ): ActivityRecord {
    const record: ActivityRecord = {
      activityId: crypto.randomUUID(),
      description: fields.description,
      cause: fields.cause,
      startTime: this.scheduler.now(),
      statusCode: 'InProgress',
      progress: 0,
      blocksTerminate: fields.blocksTerminate ?? false,
    };
    group.activities.unshift(record);
    return record;
  }

  private endActivity(activity: ActivityRecord | undefined, status: ActivityRecord['statusCode']): void {
    if (activity?.statusCode !== 'InProgress') return;
    activity.statusCode = status;
    activity.progress = 100;
    activity.endTime = this.scheduler.now();
  }

  private takeBehaviour(group: GroupRecord): LaunchBehaviour {
    const merged: LaunchBehaviour = {};
    for (const behaviour of group.behaviours) {
      Object.assign(merged, behaviour, { launches: undefined });
      if (behaviour.launches !== undefined) behaviour.launches -= 1;
    }
    group.behaviours = group.behaviours.filter((b) => b.launches === undefined || b.launches > 0);
    return merged;
  }

  // Health checks --------------------------------------------------------------------------------

  private scheduleHealthCheck(group: GroupRecord, seconds: number): void {
    this.scheduler.after(seconds, `ASG ${group.name} health check`, () => {
      this.healthCheck(group);
      this.scheduleHealthCheck(group, this.timing.healthCheckIntervalSeconds);
    });
  }

  /** One EC2 health check of the group: unhealthy instances marked, then replaced (if allowed). */
  private healthCheck(group: GroupRecord): void {
    const now = this.scheduler.now();
    let changed = false;
    if (!group.suspended.has('HealthCheck')) {
      for (const member of group.members) {
        if (member.lifecycleState === 'Terminating' || member.healthStatus === 'Unhealthy') continue;
        const instance = this.ec2.instances.get(member.instanceId);
        if (!instance || instance.state === 'running' || instance.state === 'pending') continue;
        const gone = instance.state === 'terminated' || instance.state === 'shutting-down';
        const young = now - instance.launchedAt < this.timing.healthCheckGracePeriodSeconds * 1000;
        // The grace period keeps a *new* instance in service; a terminated one cannot be kept.
        if (young && !gone) continue;
        member.healthStatus = 'Unhealthy';
        changed = true;
      }
    }
    if (!group.suspended.has('ReplaceUnhealthy') && !group.suspended.has('Terminate')) {
      for (const member of [...group.members]) {
        if (member.healthStatus !== 'Unhealthy' || member.lifecycleState === 'Terminating') continue;
        const instance = this.ec2.instances.get(member.instanceId);
        const state = instance?.state ?? 'terminated';
        const activity = this.activity(group, {
          description: `Terminating EC2 instance: ${member.instanceId}`,
          cause: `At ${new Date(now).toISOString()} an instance was taken out of service in response to an EC2 instance status check failure (instance state ${state}).`,
        });
        this.startTermination(
          group,
          member,
          'an EC2 health check indicating it has been terminated or stopped',
          activity,
        );
        changed = true;
      }
    }
    if (changed) this.restoreCapacity(group, this.timing.launchDelaySeconds);
    if (changed) this.scheduler.changed();
  }

  private startTermination(
    group: GroupRecord,
    member: Member,
    cause: string,
    activity?: ActivityRecord,
  ): void {
    member.lifecycleState = 'Terminating';
    member.hook?.timer.cancel();
    delete member.hook;
    this.endActivity(member.launchActivity, 'Cancelled');
    const instance = this.ec2.instances.get(member.instanceId);
    const already = instance?.state === 'terminated';
    const stopped = instance?.state === 'stopped';
    this.ec2.beginTermination(member.instanceId, `User initiated (${cause})`);
    // A stopped instance has nothing to shut down.
    const shutdown = already || stopped ? 1 : this.timing.shutdownSeconds;
    this.scheduler.after(shutdown, `instance ${member.instanceId} terminated`, () => {
      this.ec2.finishTermination(member.instanceId);
      const index = group.members.indexOf(member);
      if (index >= 0) group.members.splice(index, 1);
      this.endActivity(activity, 'Successful');
      this.scheduler.changed();
    });
  }

  /** Launches what the group owes its desired capacity, `delaySeconds` from now, unless Launch is suspended. */
  private restoreCapacity(group: GroupRecord, delaySeconds: number): void {
    this.scheduler.after(delaySeconds, `ASG ${group.name} launches a replacement`, () => {
      if (group.suspended.has('Launch')) return;
      const active = group.members.filter(
        (m) => m.lifecycleState !== 'Terminating' && m.lifecycleState !== 'Terminated',
      );
      for (let n = active.length; n < group.desired; n++) this.launch(group);
      this.scheduler.changed();
    });
  }

  private launch(group: GroupRecord): void {
    const behaviour = this.takeBehaviour(group);
    const instance = this.launchInstance(group);
    const activity = this.activity(group, {
      description: `Launching a new EC2 instance: ${instance.instanceId}`,
      cause: `At ${new Date(this.scheduler.now()).toISOString()} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${group.members.filter((m) => m.lifecycleState !== 'Terminating').length} to ${group.desired}.`,
    });
    const member: Member = {
      instanceId: instance.instanceId,
      lifecycleState: 'Pending',
      healthStatus: 'Healthy',
      launchActivity: activity,
    };
    group.members.push(member);
    group.launched.push(instance.instanceId);
    const ipsec: IpsecState = behaviour.ipsecNeverUp ? 'never' : 'up';
    const bootSeconds = behaviour.bootSeconds ?? this.timing.bootSeconds;
    this.scheduler.after(
      Math.min(this.timing.runningSeconds, bootSeconds),
      `instance ${instance.instanceId} running`,
      () => {
        if (instance.state !== 'pending') return;
        instance.state = 'running';
        this.scheduler.changed();
        this.scheduler.after(
          this.timing.ipsecStartSeconds,
          `Libreswan starts on ${instance.instanceId}`,
          () => {
            if (instance.state !== 'running' || instance.ipsec !== 'starting') return;
            instance.ipsec = ipsec;
            this.scheduler.changed();
          },
        );
      },
    );
    if (behaviour.neverInService) return;
    const hook = group.hooks.find((h) => h.transition === 'autoscaling:EC2_INSTANCE_LAUNCHING');
    if (hook) {
      // The hook puts the instance in Pending:Wait at once (lifecycle-hooks-overview.html).
      member.lifecycleState = 'Pending:Wait';
      member.hook = {
        name: hook.name,
        token: crypto.randomUUID(),
        globalDeadline: this.scheduler.now() + Math.min(48 * 3600, 100 * hook.heartbeatSeconds) * 1000,
        timer: this.heartbeatTimer(group, member, hook),
      };
      this.launchListener?.({
        groupName: group.name,
        instanceId: instance.instanceId,
        hook: { name: hook.name, token: member.hook.token },
      });
      if (hook.completedByBoot) {
        this.scheduler.after(bootSeconds, `instance ${instance.instanceId} completes ${hook.name}`, () => {
          if (member.lifecycleState === 'Pending:Wait') this.completeAction(group, member, 'CONTINUE');
        });
      }
      return;
    }
    this.launchListener?.({ groupName: group.name, instanceId: instance.instanceId });
    this.scheduler.after(bootSeconds, `instance ${instance.instanceId} InService`, () => {
      if (member.lifecycleState !== 'Pending') return;
      this.inService(member);
    });
  }

  private inService(member: Member): void {
    member.lifecycleState = 'InService';
    this.endActivity(member.launchActivity, 'Successful');
    this.scheduler.changed();
  }

  /** The heartbeat timeout of a waiting instance: the hook's DefaultResult applies when it fires. */
  private heartbeatTimer(group: GroupRecord, member: Member, hook: LifecycleHookRecord): TimerHandle {
    const deadline = member.hook?.globalDeadline;
    const seconds =
      deadline === undefined
        ? hook.heartbeatSeconds
        : Math.min(hook.heartbeatSeconds, Math.max(0, (deadline - this.scheduler.now()) / 1000));
    return this.scheduler.after(seconds, `${hook.name} heartbeat timeout for ${member.instanceId}`, () => {
      if (member.lifecycleState === 'Pending:Wait') this.completeAction(group, member, hook.defaultResult);
    });
  }

  private completeAction(group: GroupRecord, member: Member, result: 'CONTINUE' | 'ABANDON'): void {
    member.hook?.timer.cancel();
    delete member.hook;
    if (result === 'CONTINUE') {
      member.lifecycleState = 'Pending:Proceed';
      this.inService(member);
      return;
    }
    // ABANDON on launch: the instance is terminated and the group launches another.
    this.startTermination(group, member, 'a lifecycle action with result ABANDON');
    this.restoreCapacity(group, this.timing.launchDelaySeconds);
    this.scheduler.changed();
  }

  // API ----------------------------------------------------------------------------------------

  describeAutoScalingGroups(
    region: string,
    input: DescribeAutoScalingGroupsCommandInput,
  ): Output<DescribeAutoScalingGroupsCommandOutput> {
    if (input.Filters)
      throw new UnmodelledCommandError('the sandbox does not model DescribeAutoScalingGroups Filters');
    const groups = [...this.groups.values()].filter(
      (g) =>
        g.region === region &&
        (input.AutoScalingGroupNames === undefined || input.AutoScalingGroupNames.includes(g.name)),
    );
    return {
      AutoScalingGroups: groups.map((g) => ({
        AutoScalingGroupName: g.name,
        AutoScalingGroupARN: g.arn,
        MinSize: g.min,
        MaxSize: g.max,
        DesiredCapacity: g.desired,
        DefaultCooldown: 300,
        AvailabilityZones: [g.availabilityZone],
        HealthCheckType: 'EC2',
        HealthCheckGracePeriod: this.timing.healthCheckGracePeriodSeconds,
        VPCZoneIdentifier: g.subnetId,
        CreatedTime: new Date(0),
        SuspendedProcesses: [...g.suspended].map(([ProcessName, SuspensionReason]) => ({
          ProcessName,
          SuspensionReason,
        })),
        Instances: g.members.map((m) => ({
          InstanceId: m.instanceId,
          InstanceType: 't4g.nano',
          AvailabilityZone: g.availabilityZone,
          LifecycleState: m.lifecycleState,
          HealthStatus: m.healthStatus,
          ProtectedFromScaleIn: false,
        })),
      })),
    };
  }

  /** https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeLifecycleHooks.html */
  describeLifecycleHooks(
    region: string,
    input: DescribeLifecycleHooksCommandInput,
  ): Output<DescribeLifecycleHooksCommandOutput> {
    const group = this.requireGroup(region, input.AutoScalingGroupName);
    const hooks = group.hooks.filter(
      (h) => input.LifecycleHookNames === undefined || input.LifecycleHookNames.includes(h.name),
    );
    return {
      LifecycleHooks: hooks.map((h) => ({
        LifecycleHookName: h.name,
        AutoScalingGroupName: group.name,
        LifecycleTransition: h.transition,
        HeartbeatTimeout: h.heartbeatSeconds,
        GlobalTimeout: Math.min(48 * 3600, 100 * h.heartbeatSeconds),
        DefaultResult: h.defaultResult,
      })),
    };
  }

  /** https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeInstanceRefreshes.html */
  describeInstanceRefreshes(
    region: string,
    input: DescribeInstanceRefreshesCommandInput,
  ): Output<DescribeInstanceRefreshesCommandOutput> {
    const group = this.requireGroup(region, input.AutoScalingGroupName);
    const refreshes = group.refreshes
      .filter(
        (r) =>
          input.InstanceRefreshIds === undefined || input.InstanceRefreshIds.includes(r.instanceRefreshId),
      )
      .slice(0, input.MaxRecords ?? 50);
    return {
      InstanceRefreshes: refreshes.map((r) => ({
        InstanceRefreshId: r.instanceRefreshId,
        AutoScalingGroupName: group.name,
        Status: r.status,
        StatusReason: r.statusReason,
        StartTime: new Date(r.startTime),
        ...(r.endTime !== undefined ? { EndTime: new Date(r.endTime) } : {}),
        PercentageComplete: r.percentageComplete,
        InstancesToUpdate: r.status === 'InProgress' ? group.members.length : 0,
      })),
    };
  }

  /** https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeScalingActivities.html (newest first). */
  describeScalingActivities(
    region: string,
    input: DescribeScalingActivitiesCommandInput,
  ): Output<DescribeScalingActivitiesCommandOutput> {
    const groups = input.AutoScalingGroupName
      ? [this.requireGroup(region, input.AutoScalingGroupName)]
      : [...this.groups.values()].filter((g) => g.region === region);
    const activities = groups
      .flatMap((g) => g.activities.map((a) => ({ group: g, a })))
      .filter(({ a }) => input.ActivityIds === undefined || input.ActivityIds.includes(a.activityId))
      .sort((x, y) => y.a.startTime - x.a.startTime)
      .slice(0, input.MaxRecords ?? 100);
    return {
      Activities: activities.map(({ group, a }): Activity => this.activityView(group, a)),
    };
  }

  private activityView(group: GroupRecord, a: ActivityRecord): Activity {
    return {
      ActivityId: a.activityId,
      AutoScalingGroupName: group.name,
      AutoScalingGroupARN: group.arn,
      Description: a.description,
      Cause: a.cause,
      StartTime: new Date(a.startTime),
      ...(a.endTime !== undefined ? { EndTime: new Date(a.endTime) } : {}),
      StatusCode: a.statusCode,
      ...(a.statusMessage ? { StatusMessage: a.statusMessage } : {}),
      Progress: a.progress,
      Details: JSON.stringify({ 'Subnet ID': group.subnetId, 'Availability Zone': group.availabilityZone }),
    };
  }

  terminateInstanceInAutoScalingGroup(
    region: string,
    input: TerminateInstanceInAutoScalingGroupCommandInput,
  ): Output<TerminateInstanceInAutoScalingGroupCommandOutput> {
    if (input.ShouldDecrementDesiredCapacity === undefined) {
      throw validation(
        "1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null",
      );
    }
    const instanceId = input.InstanceId ?? '';
    const group = this.groupOf(instanceId);
    const member = group?.members.find((m) => m.instanceId === instanceId);
    if (!group || !member || group.region !== region) {
      throw validation(`Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
    }
    if (member.lifecycleState === 'Terminating' || member.lifecycleState === 'Terminated') {
      throw awsError(
        'autoscaling',
        'ScalingActivityInProgress',
        `Instance ${instanceId} is already being terminated by an activity in progress.`,
      );
    }
    // The two errors of the API reference, with its descriptions as messages.
    if (group.refreshes.some((r) => r.status === 'InProgress')) {
      throw awsError(
        'autoscaling',
        'ResourceContention',
        'You already have a pending update to an Amazon EC2 Auto Scaling resource (for example, an Auto Scaling group, instance, or load balancer).',
        'server',
      );
    }
    if (group.activities.some((a) => a.blocksTerminate && a.statusCode === 'InProgress')) {
      throw awsError(
        'autoscaling',
        'ScalingActivityInProgress',
        "The operation can't be performed because there are scaling activities in progress.",
      );
    }
    if (group.suspended.has('Terminate') && member.lifecycleState === 'InService') {
      // AWS documents the behaviour, not the message: this wording is the sandbox's.
      throw validation(
        `The Terminate process is suspended for Auto Scaling group ${group.name}: instance ${instanceId} cannot be terminated until it is resumed.`,
      );
    }
    if (input.ShouldDecrementDesiredCapacity) {
      if (group.desired - 1 < group.min) {
        throw validation(
          `Currently, desiredSize equals minSize (${group.min}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
        );
      }
      group.desired -= 1;
    }
    const now = this.scheduler.now();
    const activity = this.activity(group, {
      description: `Terminating EC2 instance: ${instanceId}`,
      cause: `At ${new Date(now).toISOString()} instance ${instanceId} was taken out of service in response to a user request${input.ShouldDecrementDesiredCapacity ? ', shrinking the capacity from 1 to 0' : ''}.`,
    });
    this.startTermination(group, member, 'TerminateInstanceInAutoScalingGroup', activity);
    if (!input.ShouldDecrementDesiredCapacity) this.restoreCapacity(group, this.timing.launchDelaySeconds);
    this.scheduler.changed();
    return { Activity: this.activityView(group, activity) };
  }

  /** https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CompleteLifecycleAction.html */
  completeLifecycleAction(region: string, input: CompleteLifecycleActionCommandInput): Record<string, never> {
    const result = input.LifecycleActionResult;
    if (result !== 'CONTINUE' && result !== 'ABANDON') {
      throw validation(
        `1 validation error detected: Value '${result ?? 'null'}' at 'lifecycleActionResult' failed to satisfy constraint: Member must be CONTINUE or ABANDON`,
      );
    }
    const { group, member } = this.waitingAction(region, input);
    this.completeAction(group, member, result);
    return {};
  }

  /** https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RecordLifecycleActionHeartbeat.html */
  recordLifecycleActionHeartbeat(
    region: string,
    input: RecordLifecycleActionHeartbeatCommandInput,
  ): Record<string, never> {
    const { group, member, hook } = this.waitingAction(region, input);
    if (member.hook) {
      member.hook.timer.cancel();
      member.hook.timer = this.heartbeatTimer(group, member, hook);
    }
    return {};
  }

  /** The instance waiting on the named hook (by instance id or token), or AWS's ValidationError. */
  private waitingAction(
    region: string,
    input: {
      AutoScalingGroupName?: string | undefined;
      LifecycleHookName?: string | undefined;
      InstanceId?: string | undefined;
      LifecycleActionToken?: string | undefined;
    },
  ): { group: GroupRecord; member: Member; hook: LifecycleHookRecord } {
    const group = this.requireGroup(region, input.AutoScalingGroupName);
    const hook = group.hooks.find((h) => h.name === input.LifecycleHookName);
    if (!hook) {
      throw validation(
        `No Lifecycle Hook found with name ${input.LifecycleHookName} for group ${group.name}`,
      );
    }
    if (!input.InstanceId && !input.LifecycleActionToken) {
      throw validation('Either InstanceId or LifecycleActionToken must be specified');
    }
    const member = group.members.find(
      (m) =>
        m.lifecycleState === 'Pending:Wait' &&
        m.hook?.name === hook.name &&
        (input.InstanceId === undefined || m.instanceId === input.InstanceId) &&
        (input.LifecycleActionToken === undefined || m.hook.token === input.LifecycleActionToken),
    );
    if (!member) {
      throw validation(
        input.InstanceId
          ? `No active Lifecycle Action found with instance ID ${input.InstanceId}`
          : `No active Lifecycle Action found with token ${input.LifecycleActionToken}`,
      );
    }
    return { group, member, hook };
  }

  private requireGroup(region: string, name: string | undefined): GroupRecord {
    const group = name ? this.groups.get(name) : undefined;
    if (!group || group.region !== region) {
      throw validation(`AutoScalingGroup name not found - AutoScalingGroup ${name ?? 'null'} not found`);
    }
    return group;
  }

  /** The lifecycle action token of a waiting instance (what the hook's notification would carry). */
  actionToken(instanceId: string): string | undefined {
    return this.groupOf(instanceId)?.members.find((m) => m.instanceId === instanceId)?.hook?.token;
  }
}
