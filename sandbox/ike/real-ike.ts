/**
 * `npm run drill -- --real-ike`: the world's tunnel telemetry from real IKE.
 *
 * Per VPN connection of the world, an {@link IkeLab}: AWS's two endpoints as a real pluto (from the
 * connection's describe output, sandbox/ike/aws-endpoints.ts), and, while the world's gateway
 * instance runs Libreswan, the gateway as a real pluto configured by the product's renderer
 * (gateway/render) from the same describe output. A tunnel is UP in the world exactly when AWS's
 * endpoint holds an established IKE SA for it (child SAs need ESP, which kernels here lack).
 *
 * The gateway daemon follows the world's model of the instance: it is started when a running
 * instance's IPsec comes up (boot, or an IPsec restart through SSM) and SIGKILLed when the instance
 * stops running or IPsec dies (`ipsec-dies`, `gateway-instance-dies`), with no goodbye to AWS: AWS's
 * endpoint notices only through dead peer detection, as a real one would. (Kernels without ESP have no
 * child SAs, so Libreswan runs no DPD: there the daemon is stopped with SIGTERM instead, and its
 * Delete notifications tell AWS's endpoints.)
 *
 * Time: real IKE runs in real time. While it converges (the gateway negotiating, or AWS's endpoint
 * waiting out dead peer detection) the simulated clock is held, like for the canary's real sockets;
 * the change then lands in simulated time as long after its cause as it took for real.
 */
import type { LinkConfig } from '#shared/config.ts';
import { renderLibreswan } from '../../gateway/render/index.ts';
import type { WorldContext } from '../world/context.ts';
import { renderAwsEndpoints } from './aws-endpoints.ts';
import { IkeLab, kernelSupportsEsp, type PlutoDaemon, realIkeUnavailable, waitUntil } from './lab.ts';
import type { TunnelStateSource, TunnelView } from './tunnel-source.ts';
import { describeWorldConnection } from './world-connection.ts';

/**
 * The gateway VPC's CIDR in the world (the world models no VPC CIDRs): the renderer's leftsubnet and
 * AWS's customer-side selector.
 */
export const WORLD_VPC_CIDR = '10.0.0.0/16';
/** How long the gateway may take to bring both tunnels up before the drill fails. */
const ESTABLISH_MS = 10_000;
/** How long AWS's endpoint may take to notice a dead gateway (DPD 10 s + timeout, with margin). */
const NOTICE_MS = 120_000;

interface ConnectionLab {
  readonly link: string;
  readonly lab: IkeLab;
  readonly aws: PlutoDaemon;
  readonly awsConnections: readonly (readonly string[])[];
  readonly outsideAddresses: readonly string[];
  gateway?: { readonly instanceId: string; readonly daemon: PlutoDaemon };
  /** What the world sees, per tunnel. */
  reported: ('UP' | 'DOWN')[];
  /** Serializes daemon changes. */
  busy: Promise<void>;
}

/** Real-IKE tunnels for the world (see the module comment). */
export class RealIkeTunnels implements TunnelStateSource {
  private world?: WorldContext;
  private readonly labs = new Map<string, ConnectionLab>();
  private disposed = false;
  private attached = false;
  private readonly esp = kernelSupportsEsp();
  /** One line per real change, for the drill's output. */
  readonly log: string[] = [];

  /** Throws, saying why, when real IKE cannot run here (not root, no Libreswan, no iproute2). */
  static check(): void {
    const reason = realIkeUnavailable();
    if (reason !== undefined) throw new Error(`--real-ike cannot run: ${reason}`);
  }

  /** Builds one lab per VPN connection and brings the seeded gateways' tunnels up for real. */
  async attach(world: WorldContext): Promise<void> {
    this.world = world;
    for (const link of world.config.links) {
      for (const vpnConnectionId of link.vpn.vpnConnectionIds) {
        await this.createLab(link, vpnConnectionId);
      }
    }
    this.attached = true;
  }

  private describe(link: LinkConfig, vpnConnectionId: string) {
    const world = this.requireWorld();
    const record = world.ec2.vpnConnections.get(vpnConnectionId);
    const address = world.ec2.addresses.get(link.gateway.elasticIpAllocationId);
    if (!record || !address)
      throw new Error(`real IKE: no VPN connection ${vpnConnectionId} or Elastic IP in the world`);
    return describeWorldConnection({
      vpnConnectionId,
      customerGatewayId: record.customerGatewayId,
      vpnGatewayId: record.vpnGatewayId,
      customerGatewayAddress: address.publicIp,
      outsideAddresses: record.tunnels.map((t) => t.outsideIp),
    });
  }

  private async createLab(link: LinkConfig, vpnConnectionId: string): Promise<void> {
    const vpn = this.describe(link, vpnConnectionId);
    const outsideAddresses = (vpn.Options?.TunnelOptions ?? []).map((t) => t.OutsideIpAddress ?? '');
    const cgw =
      /<customer_gateway>[\s\S]*?<ip_address>([^<]+)</.exec(vpn.CustomerGatewayConfiguration ?? '')?.[1] ??
      '';
    const lab = IkeLab.create(outsideAddresses, cgw);
    try {
      const endpoints = renderAwsEndpoints({
        vpnConnection: vpn,
        localCidr: WORLD_VPC_CIDR,
        remoteCidr: remoteCidrOf(link),
      });
      const aws = await lab.startPluto('aws', endpoints.conf, endpoints.secrets);
      const entry: ConnectionLab = {
        link: link.name,
        lab,
        aws,
        awsConnections: endpoints.tunnels.map((t) => t.connections),
        outsideAddresses,
        reported: outsideAddresses.map(() => 'DOWN'),
        busy: Promise.resolve(),
      };
      this.labs.set(vpnConnectionId, entry);
      const gateway = this.requireWorld().ec2.holderOf(link.gateway.elasticIpAllocationId);
      if (gateway?.state === 'running' && gateway.ipsec === 'up') {
        await this.startGateway(link, vpnConnectionId, entry, gateway.instanceId);
      }
    } catch (error) {
      await lab.dispose();
      throw error;
    }
  }

  /** The world's view of the connection's tunnels; steers the gateway daemon towards the model. */
  tunnels(
    link: LinkConfig,
    vpnConnectionId: string,
    gatewayInstanceId: string | undefined,
    negotiates: boolean,
  ): TunnelView {
    const entry = this.labs.get(vpnConnectionId);
    if (!entry || this.disposed) return undefined;
    const want = negotiates ? gatewayInstanceId : undefined;
    if (
      (entry.gateway?.instanceId ?? undefined) !== want ||
      (entry.gateway && !entry.gateway.daemon.running && want)
    ) {
      this.enqueue(entry, `real IKE for ${vpnConnectionId}`, async () => {
        const current = entry.gateway?.instanceId;
        if (current === want && entry.gateway?.daemon.running) return;
        if (entry.gateway) await this.killGateway(vpnConnectionId, entry);
        if (want !== undefined) await this.startGateway(link, vpnConnectionId, entry, want);
      });
    }
    return entry.reported;
  }

  private enqueue(entry: ConnectionLab, label: string, work: () => Promise<void>): void {
    const world = this.requireWorld();
    // Marked busy for the clock from now: simulated time waits for the real change to finish.
    entry.busy = world.clock.track(
      label,
      entry.busy.then(work).catch((error) => world.fail(error)),
    );
  }

  private async startGateway(
    link: LinkConfig,
    vpnConnectionId: string,
    entry: ConnectionLab,
    instanceId: string,
  ): Promise<void> {
    const began = performance.now();
    // Rendered fresh from the connection's describe output, as the instance's boot does.
    const rendered = renderLibreswan({
      vpnConnection: this.describe(link, vpnConnectionId),
      localCidrs: [WORLD_VPC_CIDR],
      remoteCidrs: [remoteCidrOf(link)],
      namePrefix: link.name,
    });
    const daemon = await entry.lab.startPluto('gateway', rendered.conf, rendered.secrets);
    entry.gateway = { instanceId, daemon };
    const up = await waitUntil(() => this.awsView(entry).every((s) => s === 'UP'), ESTABLISH_MS);
    if (!up) {
      throw new Error(
        `real IKE: ${link.name}'s gateway pluto did not bring both tunnels up within ${ESTABLISH_MS} ms:\n${daemon.log().slice(-2000)}`,
      );
    }
    this.publish(
      vpnConnectionId,
      entry,
      `gateway pluto for ${instanceId} negotiated both tunnels`,
      performance.now() - began,
    );
  }

  private async killGateway(vpnConnectionId: string, entry: ConnectionLab): Promise<void> {
    const gateway = entry.gateway;
    if (!gateway) return;
    const began = performance.now();
    // A crash (SIGKILL) is noticed by AWS only through dead peer detection, which Libreswan runs for
    // established child SAs: on a kernel without ESP there are none, so there the daemon is stopped
    // (SIGTERM), and its Delete notifications tell AWS's endpoints at once.
    if (this.esp) await gateway.daemon.kill();
    else await gateway.daemon.stop();
    entry.gateway = undefined;
    const gone = await waitUntil(() => this.awsView(entry).every((s) => s === 'DOWN'), NOTICE_MS, 250);
    if (!gone)
      throw new Error(`real IKE: AWS's endpoints did not notice the dead gateway within ${NOTICE_MS} ms`);
    const how = this.esp
      ? 'killed (SIGKILL); AWS noticed by dead peer detection'
      : 'stopped (SIGTERM; no ESP here, so no DPD)';
    this.publish(
      vpnConnectionId,
      entry,
      `gateway pluto for ${gateway.instanceId} ${how}`,
      performance.now() - began,
    );
  }

  /** Makes the real state the world's, as long after its cause (simulated) as it took (real). */
  private publish(vpnConnectionId: string, entry: ConnectionLab, what: string, elapsedMs: number): void {
    const realMs = Math.round(elapsedMs);
    const world = this.requireWorld();
    const view = this.awsView(entry);
    if (!this.attached) {
      // Seeding, before simulated time starts: the world's seeded tunnels are this state already.
      entry.reported = view;
      this.log.push(`${what} in ${realMs} ms (real), before the drill started`);
      return;
    }
    this.log.push(`${what} in ${realMs} ms (real)`);
    world.after(realMs / 1000, `real IKE ${vpnConnectionId}: ${view.join('/')}`, () => {
      entry.reported = view;
      world.emit(
        'gateway',
        `real IKE: ${what} in ${realMs} ms (real); AWS's endpoints see ${view.join(', ')}`,
        entry.link,
      );
      world.changed();
    });
  }

  private awsView(entry: ConnectionLab): ('UP' | 'DOWN')[] {
    const established = entry.aws.establishedIke();
    return entry.awsConnections.map((names) => (names.some((n) => established.has(n)) ? 'UP' : 'DOWN'));
  }

  private requireWorld(): WorldContext {
    if (!this.world) throw new Error('RealIkeTunnels used before attach()');
    return this.world;
  }

  /** Stops every daemon and removes every namespace. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all([...this.labs.values()].map((entry) => entry.lab.dispose()));
    this.labs.clear();
  }
}

function remoteCidrOf(link: LinkConfig): string {
  const [first, ...rest] = link.gateway.remoteCidrs;
  if (first === undefined || rest.length > 0) {
    throw new Error(
      `--real-ike renders one remote CIDR per link; ${link.name} has ${link.gateway.remoteCidrs.length}`,
    );
  }
  return first;
}
