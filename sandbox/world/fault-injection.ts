/**
 * Applying the faults of faults.ts to the world: breaking resources, holding tunnels down,
 * changing how the group launches, and failing AWS calls (command faults, checked before every
 * call is served). A fault with `for` ends by itself, saying so in a `fault` event.
 */
import { lockKey } from '#functions/remediation-guard/lock.ts';
import type { AlarmActions } from './alarm-actions.ts';
import type { LaunchBehaviour } from './autoscaling.ts';
import { awsError, type Service, THROTTLING_ERROR, UNAVAILABLE_ERROR, WorldError } from './aws-errors.ts';
import type { WorldContext } from './context.ts';
import type { Fault, FaultType } from './faults.ts';
import type { LinkModel } from './link-model.ts';
import type { MonitorSchedule } from './schedules.ts';
import { HOME_REGION, LOCK_TABLE_NAME } from './settings.ts';

/** An AWS call fault: matching calls fail with `error` while it lasts. */
interface CommandFault {
  readonly label: string;
  readonly service: Service;
  readonly regions?: readonly string[];
  readonly commands?: readonly string[];
  readonly match?: (input: unknown) => boolean;
  readonly error: string;
  readonly message: string;
  readonly fault: 'client' | 'server';
  /** Calls left to fail (unset: every call). */
  remaining?: number;
  /** Simulated epoch ms at which it ends (unset: never). */
  until?: number;
}

/** A Lambda fault: matching invocations by Step Functions fail with `error` while it lasts. */
interface LambdaFault {
  readonly label: string;
  readonly functionId: string;
  readonly state?: string;
  readonly kind: 'throttled' | 'error' | 'timeout';
  readonly error: string;
  remaining?: number;
  until?: number;
}

/** What a Lambda fault does to one invocation (see {@link FaultInjector.lambdaFault}). */
export interface LambdaFaultHit {
  readonly kind: LambdaFault['kind'];
  /** The error name Step Functions reports. */
  readonly error: string;
  readonly message: string;
}

export class FaultInjector {
  private readonly commandFaults: CommandFault[] = [];
  /** Calls that take effect and then fail (response lost), checked after the call was served. */
  private readonly responseFaults: CommandFault[] = [];
  private readonly lambdaFaults: LambdaFault[] = [];

  constructor(
    private readonly world: WorldContext,
    private readonly links: LinkModel,
    private readonly monitor: MonitorSchedule,
    private readonly alarmActions: AlarmActions,
  ) {}

  /** Applies a fault now: a `fault` event, the fault itself, then the world re-derived. */
  apply(fault: Fault): void {
    const { asg, clock, dynamodb, ec2, sfn, ssm } = this.world;
    const describe = JSON.stringify(fault);
    const { type, ...details } = fault;
    const { link: _link, ...shown } = details as { link?: string };
    const extra = Object.entries(shown)
      .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('/') : String(value)}`)
      .join(' ');
    this.world.emit(
      'fault',
      `fault: ${type}${extra ? ` (${extra})` : ''}`,
      'link' in fault ? fault.link : undefined,
    );
    // Resolved up front so that a fault naming an unknown link fails whatever its type.
    const link = 'link' in fault && fault.link ? this.links.config(fault.link) : undefined;
    switch (fault.type) {
      case 'lambda-throttled':
      case 'lambda-error':
      case 'lambda-timeout': {
        const kind =
          fault.type === 'lambda-throttled'
            ? 'throttled'
            : fault.type === 'lambda-error'
              ? 'error'
              : 'timeout';
        this.lambdaFaults.push({
          label: describe,
          functionId: fault.function,
          ...(fault.state ? { state: fault.state } : {}),
          kind,
          error:
            kind === 'throttled'
              ? 'Lambda.TooManyRequestsException'
              : kind === 'timeout'
                ? 'Lambda.Unknown'
                : ((fault as { error?: string }).error ?? 'Lambda.ServiceException'),
          ...this.lasts(fault),
        });
        break;
      }
      case 'response-lost': {
        const timeout = fault.as === 'timeout';
        this.responseFaults.push({
          label: describe,
          service: fault.service,
          ...this.regionsOf(fault),
          ...(fault.commands ? { commands: fault.commands } : {}),
          error: timeout ? 'TimeoutError' : UNAVAILABLE_ERROR[fault.service],
          message: timeout
            ? 'Connection timed out (sandbox: the request took effect, the response was lost)'
            : 'The service is unavailable. Please try again shortly. (sandbox: the request took effect, the response was lost)',
          fault: timeout ? 'client' : 'server',
          ...this.lasts(fault),
        });
        break;
      }
      case 'tunnel-down':
      case 'tunnel-up': {
        const state = this.links.state(fault.link);
        const keys = this.tunnelKeys(fault.link, fault.connection, fault.tunnel);
        for (const key of keys) {
          if (fault.type === 'tunnel-down') state.forcedDown.add(key);
          else state.forcedDown.delete(key);
        }
        if (fault.type === 'tunnel-down') {
          this.endAfter(fault, `tunnels of ${fault.link} recover`, () => {
            for (const key of keys) state.forcedDown.delete(key);
          });
        }
        break;
      }
      case 'gateway-instance-dies': {
        const gateway = this.currentGateway(fault.link);
        ec2.beginTermination(gateway, 'Server.InternalError: Internal error on launch');
        this.world.after(this.world.timing.asg.shutdownSeconds, `${gateway} terminated by EC2`, () => {
          ec2.finishTermination(gateway);
          this.world.changed();
        });
        // The group notices at its next health check (autoscaling.ts).
        break;
      }
      case 'ipsec-dies': {
        const gatewayId = this.currentGateway(fault.link);
        const instance = ec2.instances.get(gatewayId);
        if (instance) {
          instance.ipsec = 'dead';
          instance.ipsecRestartable = fault.restartable ?? true;
        }
        this.endAfter(fault, `Libreswan restarts on ${gatewayId}`, () => {
          if (instance?.state === 'running' && instance.ipsec === 'dead') instance.ipsec = 'up';
        });
        break;
      }
      case 'api-throttled':
      case 'api-unavailable': {
        const throttled = fault.type === 'api-throttled';
        this.commandFaults.push({
          label: describe,
          service: fault.service,
          ...this.regionsOf(fault),
          ...(fault.commands ? { commands: fault.commands } : {}),
          error: throttled ? THROTTLING_ERROR[fault.service] : UNAVAILABLE_ERROR[fault.service],
          message: throttled
            ? fault.service === 'ec2'
              ? 'Request limit exceeded.'
              : 'Rate exceeded'
            : 'The service is unavailable. Please try again shortly.',
          fault: throttled ? 'client' : 'server',
          ...this.lasts(fault),
        });
        break;
      }
      case 'replacement-slow':
        this.launchesWith(fault, { bootSeconds: fault.bootSeconds });
        break;
      case 'replacement-never-in-service':
        this.launchesWith(fault, { neverInService: true });
        break;
      case 'replacement-tunnels-never-up':
        this.launchesWith(fault, { ipsecNeverUp: true });
        break;
      case 'eip-association-fails': {
        const allocationId = this.links.config(fault.link).gateway.elasticIpAllocationId;
        this.failEc2Calls(describe, fault, {
          commands: ['AssociateAddress'],
          match: (input) => (input as { AllocationId?: string }).AllocationId === allocationId,
          failure: 'AssociateAddress failed',
        });
        break;
      }
      case 'route-update-fails': {
        const table = this.routeTableOf(fault.link, fault.table);
        this.failEc2Calls(describe, fault, {
          commands: ['ReplaceRoute', 'CreateRoute'],
          match: (input) => (input as { RouteTableId?: string }).RouteTableId === table,
          failure: 'route update failed',
        });
        break;
      }
      case 'latency-high': {
        const state = this.links.state(fault.link);
        state.latencyHigh = true;
        // The canary reads the flag on each probe: nothing to re-derive when it ends.
        this.endAfter(
          fault,
          `latency of ${fault.link} back to normal`,
          () => {
            state.latencyHigh = false;
          },
          false,
        );
        break;
      }
      case 'monitor-silent':
        this.monitor.pause(
          fault.for === undefined ? Number.POSITIVE_INFINITY : clock.now() + fault.for * 1000,
        );
        break;
      case 'remote-host-down': {
        const state = this.links.state(fault.link);
        state.remoteDown = true;
        this.endAfter(fault, `remote hosts of ${fault.link} back`, () => {
          state.remoteDown = false;
        });
        break;
      }
      case 'route-hijacked': {
        const tableId = this.routeTableOf(fault.link, fault.table);
        const table = ec2.routeTables.get(tableId);
        const cidr = link?.gateway.remoteCidrs[0];
        const route = table?.routes.find((r) => r.destination === cidr);
        if (!route) throw new WorldError(`route-hijacked: ${tableId} has no route to ${cidr}`);
        route.target = { kind: 'gateway', gatewayId: `vgw-${tableId.slice(4)}` };
        break;
      }
      case 'source-dest-check-enabled': {
        // On the forwarding interface (the routes' target), the one the path needs off.
        const eni = ec2.interfaceAt(this.currentGateway(fault.link), link?.gateway.routeDeviceIndex ?? 0);
        if (eni) eni.sourceDestCheck = true;
        break;
      }
      case 'eip-disassociated': {
        const address = ec2.addresses.get(this.links.config(fault.link).gateway.elasticIpAllocationId);
        if (address) {
          address.eniId = null;
          address.associationId = null;
        }
        break;
      }
      case 'instance-killed': {
        const instanceId = this.instanceOf(fault.link, fault.which ?? 'gateway');
        if (fault.how === 'stop') {
          ec2.beginStop(instanceId, 'User initiated (instance-killed: stop)');
          this.world.after(this.world.timing.asg.shutdownSeconds, `${instanceId} stopped`, () => {
            ec2.finishStop(instanceId);
            this.world.changed();
          });
        } else {
          ec2.beginTermination(instanceId, 'User initiated (instance-killed: terminate)');
          this.world.after(this.world.timing.asg.shutdownSeconds, `${instanceId} terminated by EC2`, () => {
            ec2.finishTermination(instanceId);
            this.world.changed();
          });
        }
        // The group (if it is a member) notices at its next health check (autoscaling.ts).
        break;
      }
      case 'asg-processes-suspended': {
        const groupName = this.groupOf(fault.link);
        asg.suspendProcesses(
          groupName,
          fault.processes,
          `User suspended at ${new Date(clock.now()).toISOString()}`,
        );
        this.endAfter(fault, `processes of ${groupName} resumed`, () =>
          asg.resumeProcesses(groupName, fault.processes),
        );
        break;
      }
      case 'asg-lifecycle-hook':
        asg.putLifecycleHook(this.groupOf(fault.link), {
          name: fault.name ?? 'gateway-launch',
          transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
          heartbeatSeconds: fault.heartbeatSeconds ?? 3600,
          defaultResult: fault.defaultResult ?? 'ABANDON',
          completedByBoot: fault.completedByBoot ?? true,
        });
        break;
      case 'asg-activity-in-progress': {
        const end = asg.beginBlockingActivity(this.groupOf(fault.link), fault.kind);
        this.endAfter(fault, `${fault.kind} of ${fault.link} ends`, end);
        break;
      }
      case 'vpn-psk-rotated': {
        const cfg = this.links.config(fault.link);
        const managed = this.world.managedGateways;
        if (!managed?.managedLinks().some((l) => l.name === cfg.name)) {
          throw new WorldError(`vpn-psk-rotated: link ${fault.link} has no managed gateway (managedGateway)`);
        }
        managed.rotateKeys(cfg, fault.connection ?? 0, fault.tunnel);
        break;
      }
      case 'gateway-boot-fails': {
        const managed = this.world.managedGateways;
        if (!managed?.managedLinks().some((l) => l.name === fault.link)) {
          throw new WorldError(
            `gateway-boot-fails: link ${fault.link} has no managed gateway (managedGateway)`,
          );
        }
        managed.failNextBoots(fault.link, fault.launches ?? 1);
        break;
      }
      case 'eip-held-outside': {
        // Someone associates the Elastic IP with an instance of the VPC that is not in the group
        // (AssociateAddress reassociates by default, aws-facts 5).
        const cfg = this.links.config(fault.link);
        const group = asg.group(cfg.gateway.autoScalingGroupName);
        const outsider = ec2.launchInstance({
          region: group.region,
          vpcId: group.vpcId,
          subnetId: group.subnetId,
          availabilityZone: group.availabilityZone,
          tags: { Name: `${fault.link}-bastion` },
          state: 'running',
          ipsec: 'never',
          launchedAt: clock.now() - 3600_000,
        });
        const address = ec2.addresses.get(cfg.gateway.elasticIpAllocationId);
        if (!address)
          throw new WorldError(`eip-held-outside: no Elastic IP ${cfg.gateway.elasticIpAllocationId}`);
        address.eniId = outsider.eniId;
        address.associationId = this.world.ids.next('eipassoc');
        this.world.emit(
          'fault',
          `Elastic IP now held by ${outsider.instanceId} outside the group`,
          fault.link,
        );
        break;
      }
      case 'tunnel-maintenance': {
        const state = this.links.state(fault.link);
        const keys = this.tunnelKeys(fault.link, fault.connection, fault.tunnel);
        const cfg = this.links.config(fault.link);
        const tunnels = keys.map((key) => {
          const [c, t] = key.split(':').map(Number);
          const tunnel = ec2.vpnConnections.get(cfg.vpn.vpnConnectionIds[c ?? 0] ?? '')?.tunnels[
            (t ?? 1) - 1
          ];
          if (!tunnel) throw new WorldError(`tunnel-maintenance: ${fault.link} has no tunnel ${key}`);
          return tunnel;
        });
        for (const tunnel of tunnels) {
          tunnel.maintenance = {
            ...tunnel.maintenance,
            pending: fault.pending ?? 'Pending Tunnel Endpoint Replacement',
            autoAppliedAfter: clock.now() + (fault.autoAppliedAfter ?? 7 * 86_400) * 1000,
          };
        }
        if (fault.downFor !== undefined) {
          for (const key of keys) state.forcedDown.add(key);
          this.world.after(fault.downFor, `AWS maintenance of ${fault.link} tunnels done`, () => {
            for (const key of keys) state.forcedDown.delete(key);
            for (const tunnel of tunnels) tunnel.maintenance = { lastApplied: clock.now() };
            this.world.emit('fault', `fault over: tunnel-maintenance (${fault.link})`, fault.link);
            this.world.changed();
          });
        }
        break;
      }
      case 'ssm-unmanaged': {
        if ((fault.scope ?? 'group') === 'group') {
          const groupName = this.groupOf(fault.link);
          ssm.unmanagedGroups.add(groupName);
        } else {
          ssm.unmanaged.add(this.currentGateway(fault.link));
        }
        break;
      }
      case 'gateway-multi-eni': {
        const cfg = this.links.config(fault.link);
        const group = asg.group(cfg.gateway.autoScalingGroupName);
        const needed = Math.max(cfg.gateway.elasticIpDeviceIndex, cfg.gateway.routeDeviceIndex) + 1;
        if (fault.interfaces < needed) {
          throw new WorldError(
            `gateway-multi-eni: ${fault.link} needs at least ${needed} interfaces for its configured device indexes`,
          );
        }
        group.interfaces = fault.interfaces;
        // The current gateway gets the extra interfaces now (check on, as EC2 creates them).
        const gateway = this.currentGateway(fault.link);
        for (let index = ec2.interfacesOf(gateway).length; index < fault.interfaces; index++) {
          ec2.attachNewInterface(gateway, index);
        }
        break;
      }
      case 'canary-subnet-reassociated': {
        const cfg = this.links.config(fault.link);
        const subnet =
          typeof fault.subnet === 'string' ? fault.subnet : cfg.canary.subnetIds[fault.subnet ?? 0];
        if (!subnet || !cfg.canary.subnetIds.includes(subnet)) {
          throw new WorldError(`link ${fault.link} has no canary subnet ${String(fault.subnet)}`);
        }
        if ((fault.to ?? 'new-table') === 'main') {
          ec2.dissociateSubnet(subnet);
        } else {
          const table = ec2.createRouteTable(HOME_REGION, cfg.canary.vpcId);
          ec2.associateSubnet(subnet, table.routeTableId);
          this.world.emit('fault', `canary subnet ${subnet} now uses ${table.routeTableId}`, fault.link);
        }
        break;
      }
      case 'alarm-event-redelivered': {
        const event = this.links.state(fault.link).lastAlarmEvent;
        if (!event)
          throw new WorldError(
            `alarm-event-redelivered: ${fault.link}'s Unhealthy alarm has not entered ALARM yet`,
          );
        this.alarmActions.deliverEvent(structuredClone(event), fault.link);
        break;
      }
      case 'lock-held': {
        const now = clock.now();
        const expires = Math.floor(now / 1000) + (fault.expiresIn ?? 1800);
        dynamodb.seedItem(LOCK_TABLE_NAME, {
          pk: { S: lockKey(fault.link) },
          holder: {
            S:
              fault.holder ??
              `${sfn.machine('remediation').arn.replace(':stateMachine:', ':execution:')}:${fault.link}-manual-20261126T000000`,
          },
          acquiredAt: { S: new Date(now).toISOString() },
          expiresAt: { N: String(expires) },
        });
        break;
      }
      case 'execution-aborted': {
        // StopExecution through the SDK model, as a person in the console would.
        const running = sfn
          .of('remediation')
          .filter((e) => e.status === 'RUNNING' && remediationLink(e.input) === fault.link);
        const record = running.at(-1);
        if (!record) throw new WorldError(`execution-aborted: ${fault.link} has no running remediation`);
        this.world.calls.record({
          at: clock.now(),
          service: 'sfn',
          region: HOME_REGION,
          command: 'StopExecution',
          input: { executionArn: record.arn, error: fault.error, cause: fault.cause },
          mutating: true,
        });
        sfn.stopExecution(
          {
            executionArn: record.arn,
            ...(fault.error !== undefined ? { error: fault.error } : {}),
            ...(fault.cause !== undefined ? { cause: fault.cause } : {}),
          },
          clock.now(),
        );
        break;
      }
    }
    this.world.changed();
  }

  /** The Regions an API fault names (`home`, `vpn` of its link or of every link, or a code). */
  private regionsOf(fault: { readonly region?: string; readonly link?: string }): { regions?: string[] } {
    const { config } = this.world;
    if (fault.region === undefined) return {};
    if (fault.region === 'home') return { regions: [HOME_REGION] };
    if (fault.region === 'vpn') {
      return {
        regions: fault.link
          ? [this.links.config(fault.link).vpn.region]
          : [...new Set(config.links.map((l) => l.vpn.region))],
      };
    }
    return { regions: [fault.region] };
  }

  /** Throws the AWS error of the first live command fault matching the call (and counts it). */
  check(service: Service, command: string, region: string, input: unknown): void {
    this.throwFirst(this.commandFaults, service, command, region, input);
  }

  /**
   * After a call was served (it took effect): throws the error of the first live response-lost
   * fault matching it. Without `commands`, only mutating calls lose their response.
   */
  checkResponse(service: Service, command: string, region: string, input: unknown, mutating: boolean): void {
    const live = this.responseFaults.filter((fault) => fault.commands !== undefined || mutating);
    this.throwFirst(live, service, command, region, input);
  }

  /**
   * The Lambda fault hitting one invocation of `functionId` by Step Functions (counted), if any.
   * Lambda's own errors and throttles keep the handler from running; a timeout lets it run out
   * its configured timeout first (the caller waits that long in simulated time).
   */
  lambdaFault(functionId: string, state: string | undefined): LambdaFaultHit | undefined {
    const now = this.world.clock.now();
    for (const fault of this.lambdaFaults) {
      if (fault.functionId !== functionId) continue;
      if (fault.state !== undefined && fault.state !== state) continue;
      if (fault.until !== undefined && now >= fault.until) continue;
      if (fault.remaining !== undefined && fault.remaining <= 0) continue;
      if (fault.remaining !== undefined) fault.remaining -= 1;
      const message =
        fault.kind === 'throttled'
          ? 'Rate Exceeded. (Service: Lambda, Status Code: 429, Error Code: TooManyRequestsException)'
          : fault.kind === 'timeout'
            ? 'Task timed out'
            : `Lambda failed the invoke (Service: Lambda, Status Code: 500, Error Code: ${fault.error.replace('Lambda.', '')})`;
      return { kind: fault.kind, error: fault.error, message };
    }
    return undefined;
  }

  private throwFirst(
    faults: readonly CommandFault[],
    service: Service,
    command: string,
    region: string,
    input: unknown,
  ): void {
    const now = this.world.clock.now();
    for (const fault of faults) {
      if (fault.service !== service) continue;
      if (fault.until !== undefined && now >= fault.until) continue;
      if (fault.remaining !== undefined && fault.remaining <= 0) continue;
      if (fault.regions && !fault.regions.includes(region)) continue;
      if (fault.commands && !fault.commands.includes(command)) continue;
      if (fault.match && !fault.match(input)) continue;
      if (fault.remaining !== undefined) fault.remaining -= 1;
      if (fault.error === 'TimeoutError') {
        // The SDK's own error for a request that got no answer (transient: its retries apply).
        throw Object.assign(new Error(fault.message), { name: 'TimeoutError', $metadata: {} });
      }
      throw awsError(service, fault.error, fault.message, fault.fault);
    }
  }

  /**
   * Ends the fault `for` seconds from now, if it has a `for`: `end` undoes it, a `fault over` event
   * says so, and the world is re-derived (unless `reconcile` is false).
   */
  private endAfter(
    fault: { readonly type: FaultType; readonly link: string; readonly for?: number },
    label: string,
    end: () => void,
    reconcile = true,
  ): void {
    if (fault.for === undefined) return;
    this.world.after(fault.for, label, () => {
      end();
      this.world.emit('fault', `fault over: ${fault.type} (${fault.link})`, fault.link);
      if (reconcile) this.world.changed();
    });
  }

  /** How long a command fault lasts: the next `calls` calls, `for` seconds from now, or both. */
  private lasts(fault: {
    readonly calls?: number;
    readonly for?: number;
  }): Pick<CommandFault, 'remaining' | 'until'> {
    return {
      ...(fault.calls !== undefined ? { remaining: fault.calls } : {}),
      ...(fault.for !== undefined ? { until: this.world.clock.now() + fault.for * 1000 } : {}),
    };
  }

  /** The next launches of the link's group (all, or `launches` of them) behave so. */
  private launchesWith(
    fault: { readonly link: string; readonly launches?: number },
    behaviour: LaunchBehaviour,
  ): void {
    this.world.asg.addBehaviour(this.links.config(fault.link).gateway.autoScalingGroupName, {
      ...behaviour,
      ...(fault.launches ? { launches: fault.launches } : {}),
    });
  }

  /**
   * EC2 `commands` whose input `match`es fail with the fault's error: UnauthorizedOperation by
   * default, with AWS's message; another error with the message `<failure> (<error>)`.
   */
  private failEc2Calls(
    label: string,
    fault: { readonly error?: string; readonly calls?: number; readonly for?: number },
    target: {
      readonly commands: readonly string[];
      readonly match: (input: unknown) => boolean;
      readonly failure: string;
    },
  ): void {
    this.commandFaults.push({
      label,
      service: 'ec2',
      commands: target.commands,
      match: target.match,
      error: fault.error ?? 'UnauthorizedOperation',
      message:
        fault.error === undefined || fault.error === 'UnauthorizedOperation'
          ? 'You are not authorized to perform this operation.'
          : `${target.failure} (${fault.error})`,
      fault: 'client',
      ...this.lasts(fault),
    });
  }

  /** `connection:tunnel` keys of the link's tunnels (all, one connection's, or one tunnel of each). */
  private tunnelKeys(name: string, connection?: number, tunnel?: 1 | 2): string[] {
    const link = this.links.config(name);
    const connections = connection === undefined ? link.vpn.vpnConnectionIds.map((_, i) => i) : [connection];
    if (connection !== undefined && connection >= link.vpn.vpnConnectionIds.length) {
      throw new WorldError(
        `link ${name} has ${link.vpn.vpnConnectionIds.length} VPN connection(s), not ${connection + 1}`,
      );
    }
    return connections.flatMap((c) => (tunnel === undefined ? [1, 2] : [tunnel]).map((t) => `${c}:${t}`));
  }

  /** A route table of the link: by index in its routeTableIds (default the first) or by id. */
  private routeTableOf(name: string, table: number | string | undefined): string {
    const ids = this.links.config(name).gateway.routeTableIds;
    const id = typeof table === 'string' ? table : ids[table ?? 0];
    if (!id || !ids.includes(id)) throw new WorldError(`link ${name} has no route table ${String(table)}`);
    return id;
  }

  /** The link's Auto Scaling group name. */
  private groupOf(name: string): string {
    return this.links.config(name).gateway.autoScalingGroupName;
  }

  /** The instance an `instance-killed` fault means. */
  private instanceOf(name: string, which: string): string {
    if (which === 'gateway') return this.currentGateway(name);
    if (which === 'replacement') {
      const gateway = this.world.ec2.holderOf(
        this.links.config(name).gateway.elasticIpAllocationId,
      )?.instanceId;
      const group = this.world.asg.group(this.groupOf(name));
      const candidates = group.members.filter(
        (m) => m.instanceId !== gateway && m.lifecycleState !== 'Terminating',
      );
      const newest = candidates[candidates.length - 1];
      if (!newest)
        throw new WorldError(`instance-killed: ${name}'s group has no replacement instance to kill`);
      return newest.instanceId;
    }
    if (!this.world.ec2.instances.has(which)) throw new WorldError(`instance-killed: no instance ${which}`);
    return which;
  }

  /** The instance currently serving as the link's gateway (holding its EIP, else the group's InService one). */
  private currentGateway(name: string): string {
    const link = this.links.config(name);
    const holder = this.world.ec2.holderOf(link.gateway.elasticIpAllocationId);
    if (holder) return holder.instanceId;
    const group = this.world.asg.groups.get(link.gateway.autoScalingGroupName);
    const member = group?.members.find((m) => m.lifecycleState === 'InService');
    if (!member) throw new WorldError(`link ${name} has no gateway instance to break`);
    return member.instanceId;
  }
}

/** The link a Remediation execution's input names, if any. */
function remediationLink(input: string): string | undefined {
  try {
    const value = JSON.parse(input) as { link?: unknown };
    return typeof value.link === 'string' ? value.link : undefined;
  } catch {
    return undefined;
  }
}
