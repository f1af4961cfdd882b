/**
 * The link model: whether each link works, derived from the resources every time the world changes.
 *
 * A link *works* when a running gateway instance holds the link's Elastic IP on the interface at
 * `gateway.elasticIpDeviceIndex`, runs IPsec, and forwards: every configured route table x remote
 * CIDR, and the table each canary subnet actually uses (explicit association, else the VPC's main
 * table), points at its interface at `gateway.routeDeviceIndex`, whose source/dest check is off.
 * Only that forwarding interface needs the check off: it is the one that receives packets for the
 * remote CIDRs and sends the decrypted ones on, neither addressed from or to the instance ("Each
 * EC2 instance performs source/destination checks by default ... the instance must be the source or
 * destination of any traffic it sends or receives", a per-interface attribute,
 * https://docs.aws.amazon.com/vpc/latest/userguide/work-with-nat-instances.html#EIP_Disable_SrcDestCheck,
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-eni.html). The Elastic IP's interface
 * carries only IKE/ESP to and from the instance's own address. A stopped gateway keeps its Elastic
 * IP and its routes stay `active`, but nothing runs to forward.
 * Tunnels follow the gateway: UP `tunnelUpSeconds` after it can negotiate (each further tunnel
 * `tunnelUpStaggerSeconds` later), DOWN `tunnelDownSeconds` after it cannot (dead-peer detection),
 * each change moving LastStatusChange. The canary's hosts answer only while a tunnel is up and the
 * path is right; otherwise they go silent for real.
 */
import type { TimerHandle } from '../clock.ts';
import { WorldError } from './aws-errors.ts';
import type { WorldContext } from './context.ts';
import type { TunnelRecord } from './ec2.ts';
import type { HostMode, RemoteHost } from './remote-hosts.ts';
import { HOME_REGION } from './settings.ts';

/** What the world tracks of a link beyond its AWS resources. */
export interface LinkState {
  readonly hosts: RemoteHost[];
  hostMode: HostMode;
  pathOk: boolean;
  /** `connection:tunnel` keys an AWS-side outage (the `tunnel-down` fault) holds DOWN. */
  forcedDown: Set<string>;
  latencyHigh: boolean;
  remoteDown: boolean;
  gatewayInstanceId: string | null;
  /** The last "Unhealthy entered ALARM" event, for `alarm-event-redelivered`. */
  lastAlarmEvent?: unknown;
}

/** A link's health as the world sees it. */
export interface LinkStatus {
  healthy: boolean;
  gatewayInstanceId: string | null;
  tunnelsUp: number;
  routesToNonRunning: { routeTableId: string; destination: string; target: string; state: string }[];
}

export class LinkModel {
  private readonly links = new Map<string, LinkState>();
  private readonly tunnelPending = new Map<TunnelRecord, { to: 'UP' | 'DOWN'; handle: TimerHandle }>();
  /** The last lifecycle state reported of each instance (`Gone` once it has left its group). */
  private readonly lifecycle = new Map<string, string>();

  /** `hosts[i]` are the remote hosts of the config's link `i` (none without real listeners). */
  constructor(
    private readonly world: WorldContext,
    hosts: readonly RemoteHost[][],
  ) {
    world.config.links.forEach((link, index) => {
      this.links.set(link.name, {
        hosts: hosts[index] ?? [],
        hostMode: 'answering',
        pathOk: true,
        forcedDown: new Set(),
        latencyHigh: false,
        remoteDown: false,
        gatewayInstanceId: null,
      });
    });
  }

  /** The link's config; a missing one names the links there are. */
  config(name: string) {
    const { config } = this.world;
    const link = config.links.find((l) => l.name === name);
    if (!link) {
      throw new WorldError(
        `no link "${name}" in the config (links: ${config.links.map((l) => l.name).join(', ')})`,
      );
    }
    return link;
  }

  /** The link's state (throws like {@link config} for an unknown link). */
  state(name: string): LinkState {
    this.config(name);
    const state = this.links.get(name);
    if (!state) throw new WorldError(`no link "${name}"`);
    return state;
  }

  /** The link's state, if there is such a link. */
  find(name: string): LinkState | undefined {
    return this.links.get(name);
  }

  /** Seeding: the link's gateway from the start (so the first reconcile reports no change). */
  seedGateway(name: string, instanceId: string): void {
    const state = this.links.get(name);
    if (state) state.gatewayInstanceId = instanceId;
  }

  /** Seeding: the groups' members as they are now, so only later lifecycle changes are reported. */
  seedLifecycle(): void {
    for (const group of this.world.asg.groups.values()) {
      for (const m of group.members) this.lifecycle.set(m.instanceId, m.lifecycleState);
    }
  }

  /** Re-derives every link's tunnels and canary path, and reports gateway lifecycle changes. */
  reconcile(): void {
    for (const link of this.world.config.links) this.reconcileLink(link.name);
    this.reportLifecycle();
  }

  private reportLifecycle(): void {
    const { asg, config } = this.world;
    for (const group of asg.groups.values()) {
      const link = config.links.find((l) => l.gateway.autoScalingGroupName === group.name)?.name;
      for (const member of group.members) {
        const before = this.lifecycle.get(member.instanceId);
        if (before !== member.lifecycleState) {
          this.lifecycle.set(member.instanceId, member.lifecycleState);
          this.world.emit(
            'gateway',
            `${member.instanceId} ${before ? `${before} -> ` : ''}${member.lifecycleState} in ${group.name}`,
            link,
          );
        }
      }
      for (const [instanceId, state] of this.lifecycle) {
        if (state === 'Gone') continue;
        if (group.launched.includes(instanceId) && !group.members.some((m) => m.instanceId === instanceId)) {
          this.lifecycle.set(instanceId, 'Gone');
          this.world.emit('gateway', `${instanceId} left ${group.name} (terminated)`, link);
        }
      }
    }
  }

  private reconcileLink(name: string): void {
    const { clock, config, ec2, timing } = this.world;
    const link = config.links.find((l) => l.name === name);
    const state = this.links.get(name);
    if (!link || !state) return;
    const gateway = ec2.holderOf(link.gateway.elasticIpAllocationId);
    const negotiates = gateway?.state === 'running' && gateway.ipsec === 'up';
    if ((gateway?.instanceId ?? null) !== state.gatewayInstanceId) {
      state.gatewayInstanceId = gateway?.instanceId ?? null;
      this.world.emit(
        'gateway',
        `Elastic IP ${link.gateway.elasticIpAllocationId} now on ${gateway?.instanceId ?? 'nothing'}`,
        name,
      );
    }
    let anyUp = false;
    for (const [connection, id] of link.vpn.vpnConnectionIds.entries()) {
      const vpn = ec2.vpnConnections.get(id);
      if (!vpn) continue;
      // With real IKE (the --real-ike drill) AWS's real endpoint says whether a tunnel is up, at once.
      const real = this.world.tunnelSource?.tunnels(link, id, gateway?.instanceId, negotiates);
      for (const [index, tunnel] of vpn.tunnels.entries()) {
        const forced = state.forcedDown.has(`${connection}:${index + 1}`);
        // A managed gateway negotiates a tunnel only with its current pre-shared key (managed-gateway.ts);
        // with real IKE the real daemons decide that too.
        const authenticated =
          gateway === undefined ||
          (this.world.managedGateways?.authenticates(gateway.instanceId, vpn.vpnConnectionId, index) ?? true);
        const up = real ? real[index] === 'UP' : negotiates && authenticated;
        const desired = up && !forced && vpn.state === 'available' ? 'UP' : 'DOWN';
        const delay = real
          ? 0
          : desired === 'UP'
            ? timing.tunnelUpSeconds +
              (connection * vpn.tunnels.length + index) * timing.tunnelUpStaggerSeconds
            : timing.tunnelDownSeconds;
        this.steerTunnel(name, vpn.vpnConnectionId, index, tunnel, desired, delay);
        if (tunnel.status === 'UP') anyUp = true;
      }
    }
    const forwarding = gateway
      ? ec2.interfaceAt(gateway.instanceId, link.gateway.routeDeviceIndex)
      : undefined;
    const eipOnConfigured =
      gateway !== undefined &&
      ec2.addresses.get(link.gateway.elasticIpAllocationId)?.eniId ===
        ec2.interfaceAt(gateway.instanceId, link.gateway.elasticIpDeviceIndex)?.eniId;
    const tables = new Set(link.gateway.routeTableIds);
    for (const subnet of link.canary.subnetIds) {
      const effective = ec2.effectiveRouteTable(HOME_REGION, link.canary.vpcId, subnet);
      if (effective) tables.add(effective.routeTableId);
    }
    const routesOk =
      forwarding !== undefined &&
      [...tables].every((rtb) =>
        link.gateway.remoteCidrs.every((cidr) => {
          const route = ec2.routeTables.get(rtb)?.routes.find((r) => r.destination === cidr);
          return (
            route?.target.kind === 'eni' &&
            route.target.eniId === forwarding.eniId &&
            ec2.routeState(route) === 'active'
          );
        }),
      );
    const eni = forwarding;
    const pathOk = anyUp && negotiates && eipOnConfigured && eni?.sourceDestCheck === false && routesOk;
    if (pathOk !== state.pathOk) {
      state.pathOk = pathOk;
      this.world.emit(
        'link',
        pathOk ? 'traffic flows across the link again' : 'traffic no longer crosses the link',
        name,
      );
    }
    const mode: HostMode = !pathOk ? 'silent' : state.remoteDown ? 'refusing' : 'answering';
    if (mode !== state.hostMode) {
      state.hostMode = mode;
      if (state.hosts.length > 0) {
        clock
          .track(
            `remote hosts of ${name} -> ${mode}`,
            Promise.all(state.hosts.map((host) => host.setMode(mode))),
          )
          .catch((error) => this.world.fail(error));
      }
    }
  }

  /** Moves a tunnel towards `desired` after `delaySeconds`, unless it is already there or on its way. */
  private steerTunnel(
    link: string,
    vpnConnectionId: string,
    index: number,
    tunnel: TunnelRecord,
    desired: 'UP' | 'DOWN',
    delaySeconds: number,
  ): void {
    const pending = this.tunnelPending.get(tunnel);
    if (tunnel.status === desired) {
      if (pending) {
        pending.handle.cancel();
        this.tunnelPending.delete(tunnel);
      }
      return;
    }
    if (pending?.to === desired) return;
    pending?.handle.cancel();
    const handle = this.world.after(
      delaySeconds,
      `tunnel ${index + 1} of ${vpnConnectionId} ${desired}`,
      () => {
        this.tunnelPending.delete(tunnel);
        if (this.world.ec2.setTunnel(tunnel, desired, desired === 'UP' ? '' : 'IPSEC IS DOWN')) {
          this.world.emit(
            'tunnel',
            `${vpnConnectionId} tunnel ${index + 1} (${tunnel.outsideIp}) ${desired}`,
            link,
          );
        }
        this.world.changed();
      },
    );
    this.tunnelPending.set(tunnel, { to: desired, handle });
  }

  /** A link as the world sees it (for expectations and tests). */
  status(name: string): LinkStatus {
    const { config, ec2 } = this.world;
    const link = config.links.find((l) => l.name === name);
    const state = this.links.get(name);
    if (!link || !state) throw new WorldError(`no link ${name} in this world`);
    const tunnelsUp = link.vpn.vpnConnectionIds
      .flatMap((id) => ec2.vpnConnections.get(id)?.tunnels ?? [])
      .filter((t) => t.status === 'UP').length;
    const routesToNonRunning = link.gateway.routeTableIds.flatMap((rtb) =>
      (ec2.routeTables.get(rtb)?.routes ?? []).flatMap((route) => {
        if (route.target.kind !== 'eni') return [];
        const target = route.target.eniId;
        const eni = ec2.enis.get(target);
        const instance = eni?.instanceId ? ec2.instances.get(eni.instanceId) : undefined;
        return instance?.state === 'running'
          ? []
          : [{ routeTableId: rtb, destination: route.destination, target, state: ec2.routeState(route) }];
      }),
    );
    return {
      healthy: state.pathOk && tunnelsUp >= link.vpn.minTunnelsUp,
      gatewayInstanceId: state.gatewayInstanceId,
      tunnelsUp,
      routesToNonRunning,
    };
  }

  /** The instances the link's group launched after the seeded one (replacements). */
  replacements(linkName: string): string[] {
    const link = this.world.config.links.find((l) => l.name === linkName);
    const group = link ? this.world.asg.groups.get(link.gateway.autoScalingGroupName) : undefined;
    return group ? group.launched.slice(1) : [];
  }

  /** The hosts of the named links that answer but slowly (the `latency-high` fault). */
  slowHosts(names: readonly string[]): RemoteHost[] {
    return names.flatMap((name) => {
      const state = this.links.get(name);
      return state?.latencyHigh && state.hostMode === 'answering' ? state.hosts : [];
    });
  }

  /** Resolves once no remote host is changing mode. */
  async hostsSettled(): Promise<void> {
    await Promise.all(this.allHosts().map((host) => host.settled()));
  }

  /** Closes every remote host's listener and child process. */
  async closeHosts(): Promise<void> {
    await Promise.all(this.allHosts().map((host) => host.close()));
  }

  private allHosts(): RemoteHost[] {
    return [...this.links.values()].flatMap((state) => state.hosts);
  }
}
