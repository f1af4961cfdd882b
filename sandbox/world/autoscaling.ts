/**
 * Auto Scaling in the home Region: one group of one gateway instance per link.
 *
 * - TerminateInstanceInAutoScalingGroup without decrement: the instance goes Terminating (EC2
 *   shutting-down, terminated `shutdownSeconds` later) and the group launches a replacement
 *   `launchDelaySeconds` after the request: a new instance id, Pending (EC2 pending, running after
 *   `runningSeconds`), InService after `bootSeconds`; Libreswan comes up `ipsecStartSeconds` after
 *   the instance runs.
 * - An instance that dies outside the group (EC2 terminates it) stays listed InService/Healthy
 *   until the group's health check notices, `selfHealSeconds` later (the group's health check grace
 *   period, 300 s by default): only then does the group replace it by itself. VPN Guard normally
 *   acts first; the tests cover both orders.
 * - A replacement can be told to boot slowly, to never reach InService, or to come up with IPsec
 *   never working (the faults of issue 3).
 */
import type {
  DescribeAutoScalingGroupsCommandInput,
  DescribeAutoScalingGroupsCommandOutput,
  TerminateInstanceInAutoScalingGroupCommandInput,
  TerminateInstanceInAutoScalingGroupCommandOutput,
} from '@aws-sdk/client-auto-scaling';
import type { TimerHandle } from '../clock.ts';
import { awsError, UnmodelledCommandError } from './aws-errors.ts';
import type { Ec2Model, InstanceRecord, IpsecState } from './ec2.ts';
import type { IdFactory } from './ids.ts';

type Output<T> = Omit<T, '$metadata'>;

export interface AsgTiming {
  /** From the terminate request to the replacement's launch. */
  readonly launchDelaySeconds: number;
  /** EC2 pending → running. */
  readonly runningSeconds: number;
  /** Launch → InService. */
  readonly bootSeconds: number;
  /** shutting-down → terminated. */
  readonly shutdownSeconds: number;
  /** Running → Libreswan up. */
  readonly ipsecStartSeconds: number;
  /** How long the group takes to notice (and replace) an instance that died outside it. */
  readonly selfHealSeconds: number;
}

export const DEFAULT_ASG_TIMING: AsgTiming = {
  launchDelaySeconds: 10,
  runningSeconds: 30,
  bootSeconds: 90,
  shutdownSeconds: 30,
  ipsecStartSeconds: 15,
  selfHealSeconds: 300,
};

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

interface Member {
  readonly instanceId: string;
  lifecycleState: 'Pending' | 'InService' | 'Terminating' | 'Terminated';
  healthStatus: 'Healthy' | 'Unhealthy';
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
}

export interface Scheduler {
  after(seconds: number, label: string, fire: () => void): TimerHandle;
  /** The world changed: re-evaluate links, tunnels and canary paths. */
  changed(): void;
  now(): number;
}

export class AutoScalingModel {
  readonly groups = new Map<string, GroupRecord>();
  private activities = 0;

  constructor(
    private readonly ec2: Ec2Model,
    private readonly ids: IdFactory,
    private readonly scheduler: Scheduler,
    private readonly timing: AsgTiming,
    private readonly account: string,
  ) {}

  /** A group with one InService instance running Libreswan, as a healthy link has. */
  createGroup(options: {
    name: string;
    region: string;
    vpcId: string;
    subnetId: string;
    availabilityZone: string;
    sourceDestCheck: boolean;
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
    };
    this.groups.set(group.name, group);
    const instance = this.launchInstance(group, {
      state: 'running',
      ipsec: 'up',
      sourceDestCheck: options.sourceDestCheck,
    });
    group.members.push({
      instanceId: instance.instanceId,
      lifecycleState: 'InService',
      healthStatus: 'Healthy',
    });
    group.launched.push(instance.instanceId);
    return { group, instanceId: instance.instanceId };
  }

  /** Launches an instance of the group (in its subnet, with its tags); `initial` overrides EC2's launch defaults. */
  private launchInstance(
    group: GroupRecord,
    initial: Pick<Parameters<Ec2Model['launchInstance']>[0], 'state' | 'ipsec' | 'sourceDestCheck'> = {},
  ): InstanceRecord {
    return this.ec2.launchInstance({
      region: group.region,
      vpcId: group.vpcId,
      subnetId: group.subnetId,
      availabilityZone: group.availabilityZone,
      tags: { 'aws:autoscaling:groupName': group.name, Name: `${group.name}-gateway` },
      ...initial,
    });
  }

  /** The group of an instance, if it is a member. */
  groupOf(instanceId: string): GroupRecord | undefined {
    return [...this.groups.values()].find((g) => g.members.some((m) => m.instanceId === instanceId));
  }

  /** Adds a launch behaviour for the group's next launches. */
  addBehaviour(groupName: string, behaviour: LaunchBehaviour): void {
    const group = this.groups.get(groupName);
    if (!group) throw new Error(`no Auto Scaling group ${groupName}`);
    group.behaviours.push({ ...behaviour });
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

  /** EC2 terminated an instance behind the group's back; the group notices after its grace. */
  instanceDiedOutside(instanceId: string): void {
    const group = this.groupOf(instanceId);
    if (!group) return;
    this.scheduler.after(
      this.timing.selfHealSeconds,
      `ASG ${group.name} health check finds ${instanceId}`,
      () => {
        const member = group.members.find((m) => m.instanceId === instanceId);
        if (!member || member.lifecycleState === 'Terminating') return;
        member.healthStatus = 'Unhealthy';
        this.startTermination(
          group,
          member,
          'an EC2 health check indicating it has been terminated or stopped',
        );
        this.scheduleLaunch(group, 0);
        this.scheduler.changed();
      },
    );
  }

  private startTermination(group: GroupRecord, member: Member, cause: string): void {
    member.lifecycleState = 'Terminating';
    this.ec2.beginTermination(member.instanceId, `User initiated (${cause})`);
    const shutdown =
      this.ec2.instances.get(member.instanceId)?.state === 'terminated' ? 1 : this.timing.shutdownSeconds;
    this.scheduler.after(shutdown, `instance ${member.instanceId} terminated`, () => {
      this.ec2.finishTermination(member.instanceId);
      const index = group.members.indexOf(member);
      if (index >= 0) group.members.splice(index, 1);
      this.scheduler.changed();
    });
  }

  private scheduleLaunch(group: GroupRecord, delaySeconds: number): void {
    this.scheduler.after(delaySeconds, `ASG ${group.name} launches a replacement`, () => {
      const active = group.members.filter(
        (m) => m.lifecycleState === 'Pending' || m.lifecycleState === 'InService',
      );
      if (active.length >= group.desired) return;
      this.launch(group);
      this.scheduler.changed();
    });
  }

  private launch(group: GroupRecord): void {
    const behaviour = this.takeBehaviour(group);
    const instance = this.launchInstance(group);
    const member: Member = {
      instanceId: instance.instanceId,
      lifecycleState: 'Pending',
      healthStatus: 'Healthy',
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
    this.scheduler.after(bootSeconds, `instance ${instance.instanceId} InService`, () => {
      if (member.lifecycleState !== 'Pending') return;
      member.lifecycleState = 'InService';
      this.scheduler.changed();
    });
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
        HealthCheckGracePeriod: this.timing.selfHealSeconds,
        VPCZoneIdentifier: g.subnetId,
        CreatedTime: new Date(0),
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

  terminateInstanceInAutoScalingGroup(
    region: string,
    input: TerminateInstanceInAutoScalingGroupCommandInput,
  ): Output<TerminateInstanceInAutoScalingGroupCommandOutput> {
    if (input.ShouldDecrementDesiredCapacity === undefined) {
      throw awsError(
        'autoscaling',
        'ValidationError',
        "1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null",
      );
    }
    const instanceId = input.InstanceId ?? '';
    const group = this.groupOf(instanceId);
    const member = group?.members.find((m) => m.instanceId === instanceId);
    if (!group || !member || group.region !== region) {
      throw awsError(
        'autoscaling',
        'ValidationError',
        `Instance Id not found - No managed instance found for instance ID: ${instanceId}`,
      );
    }
    if (member.lifecycleState === 'Terminating' || member.lifecycleState === 'Terminated') {
      throw awsError(
        'autoscaling',
        'ScalingActivityInProgress',
        `Instance ${instanceId} is already being terminated by an activity in progress.`,
      );
    }
    if (input.ShouldDecrementDesiredCapacity) {
      if (group.desired - 1 < group.min) {
        throw awsError(
          'autoscaling',
          'ValidationError',
          `Currently, desiredSize equals minSize (${group.min}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
        );
      }
      group.desired -= 1;
    }
    this.activities += 1;
    const description = `Terminating EC2 instance: ${instanceId}`;
    this.startTermination(group, member, 'TerminateInstanceInAutoScalingGroup');
    if (!input.ShouldDecrementDesiredCapacity) this.scheduleLaunch(group, this.timing.launchDelaySeconds);
    this.scheduler.changed();
    return {
      Activity: {
        ActivityId: `${this.ids.next('act').slice(4)}-${this.activities}`,
        AutoScalingGroupName: group.name,
        Description: description,
        Cause: `At ${new Date(this.scheduler.now()).toISOString()} instance ${instanceId} was taken out of service in response to a user request${input.ShouldDecrementDesiredCapacity ? ', shrinking the capacity from 1 to 0' : ''}.`,
        StartTime: new Date(this.scheduler.now()),
        StatusCode: 'InProgress',
        Progress: 0,
      },
    };
  }
}
