/**
 * EC2, as much of it as VPN Guard touches, in every Region: instances (pending → running →
 * shutting-down → terminated, visible for an hour after; running → stopping → stopped), their
 * network interfaces (one or several, by device index, each with its own source/dest check),
 * Elastic IPs that follow AssociateAddress/DisassociateAddress (AllowReassociation semantics, and
 * released from a terminated instance), route tables with their subnet associations (explicit, else
 * the VPC's main table) whose routes to a gone interface are `blackhole`, and Site-to-Site VPN
 * connections with two tunnels each (status, outside IP, status message, LastStatusChange, AWS's
 * pending endpoint maintenance).
 *
 * Every modelled write takes `DryRun: true`: it validates its input and then answers
 * `DryRunOperation` ("Request would have succeeded, but DryRun flag is set."), changing nothing
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonParameters.html, DryRun; error code
 * list https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). Reads do the
 * same in dispatch.ts. The IAM check that answers UnauthorizedOperation runs before (dispatch.ts).
 */
import type {
  AssociateAddressCommandInput,
  AssociateAddressCommandOutput,
  CreateRouteCommandInput,
  DescribeAddressesCommandInput,
  DescribeAddressesCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  DescribeNetworkInterfacesCommandInput,
  DescribeNetworkInterfacesCommandOutput,
  DescribeRouteTablesCommandInput,
  DescribeRouteTablesCommandOutput,
  DescribeVpnConnectionsCommandInput,
  DescribeVpnConnectionsCommandOutput,
  DisassociateAddressCommandInput,
  Filter,
  GetVpnTunnelReplacementStatusCommandInput,
  GetVpnTunnelReplacementStatusCommandOutput,
  Instance,
  InstanceNetworkInterface,
  ModifyInstanceAttributeCommandInput,
  ModifyNetworkInterfaceAttributeCommandInput,
  NetworkInterface,
  ReplaceRouteCommandInput,
  Route,
} from '@aws-sdk/client-ec2';
import { awsError, UnmodelledCommandError } from './aws-errors.ts';
import type { IdFactory } from './ids.ts';

type Output<T> = Omit<T, '$metadata'>;

export type InstanceStateName =
  | 'pending'
  | 'running'
  | 'shutting-down'
  | 'terminated'
  | 'stopping'
  | 'stopped';
export type IpsecState = 'starting' | 'up' | 'dead' | 'never';

/** InstanceState codes (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceState.html). */
const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** The answer of an allowed EC2 call made with `DryRun: true` (HTTP 412). */
export function dryRunOperation(): Error {
  return awsError('ec2', 'DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
}

/** Throws DryRunOperation when the call asked for a dry run (after its input was validated). */
function dryRun(input: { DryRun?: boolean | undefined }): void {
  if (input.DryRun === true) throw dryRunOperation();
}

export interface InstanceRecord {
  readonly instanceId: string;
  readonly region: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly availabilityZone: string;
  /** The primary interface (device index 0). */
  readonly eniId: string;
  readonly privateIp: string;
  readonly launchedAt: number;
  readonly tags: Readonly<Record<string, string>>;
  state: InstanceStateName;
  terminatedAt?: number;
  stateReason?: string;
  /** Libreswan on the instance (a model: the real IPsec daemon is not run). */
  ipsec: IpsecState;
  /** Whether restarting IPsec (through SSM) brings a dead Libreswan back (the `ipsec-dies` fault). */
  ipsecRestartable: boolean;
}

export interface EniRecord {
  readonly eniId: string;
  readonly region: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly privateIp: string;
  readonly availabilityZone: string;
  instanceId: string | null;
  /** eth0 = 0; meaningful while attached. */
  deviceIndex: number;
  readonly attachmentId: string;
  readonly attachedAt: number;
  /** Launch-time interfaces are deleted with the instance. */
  readonly deleteOnTermination: boolean;
  sourceDestCheck: boolean;
  deleted: boolean;
  /** Tags from the launch template (a managed gateway's `vpn-guard:link`), absent otherwise. */
  tags?: Record<string, string>;
}

export interface AddressRecord {
  readonly allocationId: string;
  readonly region: string;
  readonly publicIp: string;
  associationId: string | null;
  eniId: string | null;
}

export type RouteTarget =
  | { readonly kind: 'local' }
  | { readonly kind: 'gateway'; readonly gatewayId: string }
  | { readonly kind: 'eni'; readonly eniId: string };

export interface RouteRecord {
  readonly destination: string;
  target: RouteTarget;
  origin: 'CreateRouteTable' | 'CreateRoute';
}

/** A subnet association (explicit) or the main-table association of the VPC. */
export interface RouteTableAssociationRecord {
  readonly associationId: string;
  /** Set for an explicit subnet association. */
  readonly subnetId?: string;
  readonly main: boolean;
}

export interface RouteTableRecord {
  readonly routeTableId: string;
  readonly region: string;
  readonly vpcId: string;
  readonly routes: RouteRecord[];
  readonly associations: RouteTableAssociationRecord[];
}

/** AWS's endpoint maintenance of a tunnel (GetVpnTunnelReplacementStatus). */
export interface TunnelMaintenanceRecord {
  /** E.g. "Pending Tunnel Endpoint Replacement" while AWS has work to apply. */
  pending?: string;
  /** Epoch ms after which AWS applies it by itself. */
  autoAppliedAfter?: number;
  lastApplied?: number;
}

export interface TunnelRecord {
  readonly outsideIp: string;
  status: 'UP' | 'DOWN';
  statusMessage: string;
  lastStatusChange: number;
  maintenance: TunnelMaintenanceRecord;
}

export interface VpnConnectionRecord {
  readonly vpnConnectionId: string;
  readonly region: string;
  readonly customerGatewayId: string;
  readonly vpnGatewayId: string;
  state: 'available' | 'pending' | 'deleting' | 'deleted';
  readonly tunnels: TunnelRecord[];
}

/** How long EC2 keeps showing a terminated instance. */
const TERMINATED_VISIBLE_MS = 60 * 60 * 1000;

const notFound = (code: string, message: string) => awsError('ec2', code, message);

/**
 * Refuses a request that sets a field the model does not implement (`what` says what it does
 * model), rather than silently ignoring it and answering as if it had been applied.
 */
function refuseUnmodelled(input: object, modelled: readonly string[], command: string, what: string): void {
  const other = Object.entries(input)
    .filter(([key, value]) => !modelled.includes(key) && value !== undefined)
    .map(([key]) => key);
  if (other.length > 0) {
    throw new UnmodelledCommandError(`the sandbox's ${command} models ${what}, not ${other.join(', ')}`);
  }
}

export class Ec2Model {
  readonly instances = new Map<string, InstanceRecord>();
  readonly enis = new Map<string, EniRecord>();
  readonly addresses = new Map<string, AddressRecord>();
  readonly routeTables = new Map<string, RouteTableRecord>();
  readonly vpnConnections = new Map<string, VpnConnectionRecord>();

  constructor(
    private readonly ids: IdFactory,
    private readonly now: () => number,
    readonly account: string,
  ) {}

  // World-side operations (not API calls) ----------------------------------------------------

  /**
   * A new instance with `interfaces` fresh network interfaces (device indexes 0..n-1, deleted with
   * the instance). EC2 creates every interface with source/dest check on ("enabled by default",
   * https://docs.aws.amazon.com/vpc/latest/userguide/work-with-nat-instances.html#EIP_Disable_SrcDestCheck);
   * `sourceDestCheckOff` lists the device indexes already turned off (the seeded, configured gateway).
   */
  launchInstance(options: {
    region: string;
    vpcId: string;
    subnetId: string;
    availabilityZone: string;
    tags: Record<string, string>;
    state?: InstanceStateName;
    ipsec?: IpsecState;
    interfaces?: number;
    sourceDestCheckOff?: readonly number[];
    /** Epoch ms (default now): a seeded gateway was launched before the world started. */
    launchedAt?: number;
  }): InstanceRecord {
    const instanceId = this.ids.next('i');
    const launchedAt = options.launchedAt ?? this.now();
    let primary: EniRecord | undefined;
    for (let deviceIndex = 0; deviceIndex < (options.interfaces ?? 1); deviceIndex++) {
      const eni = this.createInterface({
        region: options.region,
        vpcId: options.vpcId,
        subnetId: options.subnetId,
        availabilityZone: options.availabilityZone,
        instanceId,
        deviceIndex,
        attachedAt: launchedAt,
        deleteOnTermination: true,
        sourceDestCheck: !(options.sourceDestCheckOff ?? []).includes(deviceIndex),
      });
      primary ??= eni;
    }
    if (!primary) throw new Error('an instance needs at least one network interface');
    const instance: InstanceRecord = {
      instanceId,
      region: options.region,
      vpcId: options.vpcId,
      subnetId: options.subnetId,
      availabilityZone: options.availabilityZone,
      eniId: primary.eniId,
      privateIp: primary.privateIp,
      launchedAt,
      tags: options.tags,
      state: options.state ?? 'pending',
      ipsec: options.ipsec ?? 'starting',
      ipsecRestartable: true,
    };
    this.instances.set(instanceId, instance);
    return instance;
  }

  private createInterface(
    options: Omit<EniRecord, 'eniId' | 'privateIp' | 'attachmentId' | 'deleted'>,
  ): EniRecord {
    const eniId = this.ids.next('eni');
    const eni: EniRecord = {
      ...options,
      eniId,
      privateIp: this.ids.privateIp(),
      attachmentId: `eni-attach-${eniId.slice(4)}`,
      deleted: false,
    };
    this.enis.set(eniId, eni);
    return eni;
  }

  /** Creates and attaches one more interface (source/dest check on, deleted with the instance). */
  attachNewInterface(instanceId: string, deviceIndex: number): EniRecord {
    const instance = this.instances.get(instanceId);
    if (!instance) throw new Error(`no instance ${instanceId}`);
    return this.createInterface({
      region: instance.region,
      vpcId: instance.vpcId,
      subnetId: instance.subnetId,
      availabilityZone: instance.availabilityZone,
      instanceId,
      deviceIndex,
      attachedAt: this.now(),
      deleteOnTermination: true,
      sourceDestCheck: true,
    });
  }

  /** A new route table of the VPC with its local and internet routes only. */
  createRouteTable(region: string, vpcId: string): RouteTableRecord {
    const routeTableId = this.ids.next('rtb');
    const table: RouteTableRecord = {
      routeTableId,
      region,
      vpcId,
      routes: [
        { destination: '10.0.0.0/16', target: { kind: 'local' }, origin: 'CreateRouteTable' },
        {
          destination: '0.0.0.0/0',
          target: { kind: 'gateway', gatewayId: `igw-${vpcId.slice(4)}` },
          origin: 'CreateRoute',
        },
      ],
      associations: [],
    };
    this.routeTables.set(routeTableId, table);
    return table;
  }

  /** Removes a subnet's explicit association: it uses the VPC's main table again. */
  dissociateSubnet(subnetId: string): void {
    for (const table of this.routeTables.values()) {
      const index = table.associations.findIndex((a) => a.subnetId === subnetId);
      if (index >= 0) table.associations.splice(index, 1);
    }
  }

  /** The interfaces attached to an instance, by device index. */
  interfacesOf(instanceId: string): EniRecord[] {
    return [...this.enis.values()]
      .filter((e) => e.instanceId === instanceId && !e.deleted)
      .sort((a, b) => a.deviceIndex - b.deviceIndex);
  }

  /** The instance's interface at `deviceIndex`, if any. */
  interfaceAt(instanceId: string, deviceIndex: number): EniRecord | undefined {
    return this.interfacesOf(instanceId).find((e) => e.deviceIndex === deviceIndex);
  }

  /** Moves a running instance to stopping (the caller schedules `finishStop`). */
  beginStop(instanceId: string, reason: string): void {
    const instance = this.instances.get(instanceId);
    if (!instance || (instance.state !== 'running' && instance.state !== 'pending')) return;
    instance.state = 'stopping';
    instance.stateReason = reason;
    instance.ipsec = 'dead';
  }

  /**
   * The instance is stopped. Its interfaces stay attached and keep their Elastic IP ("An Elastic IP
   * address remains associated with the instance when you stop it",
   * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Stop_Start.html); routes to them stay
   * `active` (blackhole is for a target that is gone, e.g. "the specified NAT instance has been
   * terminated", https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html), but
   * nothing forwards any more.
   */
  finishStop(instanceId: string): void {
    const instance = this.instances.get(instanceId);
    if (instance?.state !== 'stopping') return;
    instance.state = 'stopped';
  }

  /** Moves an instance to shutting-down (the caller schedules `finishTermination`). */
  beginTermination(instanceId: string, reason: string): void {
    const instance = this.instances.get(instanceId);
    if (!instance || instance.state === 'terminated' || instance.state === 'shutting-down') return;
    instance.state = 'shutting-down';
    instance.stateReason = reason;
  }

  /**
   * The instance is gone: its primary interface is deleted (DeleteOnTermination), which releases
   * the Elastic IP it held and turns the routes to it into blackholes.
   */
  finishTermination(instanceId: string): void {
    const instance = this.instances.get(instanceId);
    if (!instance || instance.state === 'terminated') return;
    instance.state = 'terminated';
    instance.terminatedAt = this.now();
    instance.ipsec = 'dead';
    for (const eni of this.interfacesOf(instanceId)) {
      if (eni.deleteOnTermination) eni.deleted = true;
      eni.instanceId = null;
      for (const address of this.addresses.values()) {
        if (address.eniId === eni.eniId && eni.deleted) {
          address.eniId = null;
          address.associationId = null;
        }
      }
    }
  }

  /** The instance holding an Elastic IP (through its interface), if any. */
  holderOf(allocationId: string): InstanceRecord | undefined {
    const address = this.addresses.get(allocationId);
    const eni = address?.eniId ? this.enis.get(address.eniId) : undefined;
    return eni?.instanceId ? this.instances.get(eni.instanceId) : undefined;
  }

  /** `active` or `blackhole`, as DescribeRouteTables reports a route. */
  routeState(route: RouteRecord): 'active' | 'blackhole' {
    if (route.target.kind !== 'eni') return 'active';
    const eni = this.enis.get(route.target.eniId);
    if (!eni || eni.deleted || !eni.instanceId) return 'blackhole';
    const instance = this.instances.get(eni.instanceId);
    return instance && instance.state !== 'terminated' ? 'active' : 'blackhole';
  }

  /**
   * The route table a subnet uses: its explicit association, else the VPC's main table
   * (https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html#RouteTables: "A subnet
   * can only be associated with one route table at a time ... If you don't explicitly associate a
   * subnet with a particular route table, the subnet is implicitly associated with the main route table").
   */
  effectiveRouteTable(region: string, vpcId: string, subnetId: string): RouteTableRecord | undefined {
    const tables = [...this.routeTables.values()].filter((t) => t.region === region && t.vpcId === vpcId);
    return (
      tables.find((t) => t.associations.some((a) => a.subnetId === subnetId)) ??
      tables.find((t) => t.associations.some((a) => a.main))
    );
  }

  /** Moves a subnet's explicit association to `routeTableId` (a world change, not an API call). */
  associateSubnet(subnetId: string, routeTableId: string): void {
    const target = this.routeTables.get(routeTableId);
    if (!target) throw new Error(`no route table ${routeTableId}`);
    for (const table of this.routeTables.values()) {
      const index = table.associations.findIndex((a) => a.subnetId === subnetId);
      if (index >= 0) table.associations.splice(index, 1);
    }
    target.associations.push({ associationId: this.ids.next('rtbassoc'), subnetId, main: false });
  }

  /** Sets a tunnel's status, moving LastStatusChange when it changes. */
  setTunnel(tunnel: TunnelRecord, status: 'UP' | 'DOWN', message: string): boolean {
    if (tunnel.status === status && tunnel.statusMessage === message) return false;
    const changed = tunnel.status !== status;
    tunnel.status = status;
    tunnel.statusMessage = message;
    if (changed) tunnel.lastStatusChange = this.now();
    return changed;
  }

  private visible(instance: InstanceRecord): boolean {
    return (
      instance.state !== 'terminated' || this.now() - (instance.terminatedAt ?? 0) < TERMINATED_VISIBLE_MS
    );
  }

  // API ----------------------------------------------------------------------------------------

  /**
   * The configuration DescribeVpnConnections shows of a connection: its tunnels' options (with the
   * pre-shared keys) and `CustomerGatewayConfiguration`, where the world models them (managed
   * gateways, managed-gateway.ts); otherwise the options alone.
   */
  vpnConfiguration?: (
    connection: VpnConnectionRecord,
  ) => { CustomerGatewayConfiguration: string; TunnelOptions: object[] } | undefined;

  private configurationOf(connection: VpnConnectionRecord) {
    const view = this.vpnConfiguration?.(connection);
    return view
      ? {
          CustomerGatewayConfiguration: view.CustomerGatewayConfiguration,
          Options: { StaticRoutesOnly: true, TunnelOptions: view.TunnelOptions },
        }
      : { Options: { StaticRoutesOnly: true } };
  }

  describeVpnConnections(
    region: string,
    input: DescribeVpnConnectionsCommandInput,
  ): Output<DescribeVpnConnectionsCommandOutput> {
    let connections = [...this.vpnConnections.values()].filter((c) => c.region === region);
    if (input.VpnConnectionIds) {
      for (const id of input.VpnConnectionIds) {
        if (!connections.some((c) => c.vpnConnectionId === id)) {
          throw notFound('InvalidVpnConnectionID.NotFound', `The vpnConnection ID '${id}' does not exist`);
        }
      }
      connections = connections.filter((c) => input.VpnConnectionIds?.includes(c.vpnConnectionId));
    }
    connections = applyFilters(connections, input.Filters, 'DescribeVpnConnections', {
      'vpn-connection-id': (c) => [c.vpnConnectionId],
      state: (c) => [c.state],
      'vpn-gateway-id': (c) => [c.vpnGatewayId],
      'customer-gateway-id': (c) => [c.customerGatewayId],
    });
    return {
      VpnConnections: connections.map((c) => ({
        VpnConnectionId: c.vpnConnectionId,
        State: c.state,
        Type: 'ipsec.1',
        Category: 'VPN',
        CustomerGatewayId: c.customerGatewayId,
        VpnGatewayId: c.vpnGatewayId,
        ...this.configurationOf(c),
        VgwTelemetry: c.tunnels.map((t) => ({
          OutsideIpAddress: t.outsideIp,
          Status: t.status,
          StatusMessage: t.statusMessage,
          LastStatusChange: new Date(t.lastStatusChange),
          AcceptedRouteCount: 0,
        })),
      })),
    };
  }

  /**
   * AWS's pending endpoint maintenance of one tunnel
   * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetVpnTunnelReplacementStatus.html:
   * both parameters required; `MaintenanceDetails { PendingMaintenance, MaintenanceAutoAppliedAfter,
   * LastMaintenanceApplied }`).
   */
  getVpnTunnelReplacementStatus(
    region: string,
    input: GetVpnTunnelReplacementStatusCommandInput,
  ): Output<GetVpnTunnelReplacementStatusCommandOutput> {
    for (const key of ['VpnConnectionId', 'VpnTunnelOutsideIpAddress'] as const) {
      if (!input[key]) {
        throw awsError('ec2', 'MissingParameter', `The request must contain the parameter ${key}`);
      }
    }
    const vpn = this.vpnConnections.get(input.VpnConnectionId ?? '');
    if (!vpn || vpn.region !== region) {
      throw notFound(
        'InvalidVpnConnectionID.NotFound',
        `The vpnConnection ID '${input.VpnConnectionId}' does not exist`,
      );
    }
    const tunnel = vpn.tunnels.find((t) => t.outsideIp === input.VpnTunnelOutsideIpAddress);
    if (!tunnel) {
      throw awsError(
        'ec2',
        'InvalidParameterValue',
        `The VPN tunnel outside IP address '${input.VpnTunnelOutsideIpAddress}' does not belong to VPN connection '${vpn.vpnConnectionId}'`,
      );
    }
    dryRun(input);
    const m = tunnel.maintenance;
    return {
      VpnConnectionId: vpn.vpnConnectionId,
      CustomerGatewayId: vpn.customerGatewayId,
      VpnGatewayId: vpn.vpnGatewayId,
      VpnTunnelOutsideIpAddress: tunnel.outsideIp,
      MaintenanceDetails: {
        ...(m.pending ? { PendingMaintenance: m.pending } : {}),
        ...(m.autoAppliedAfter !== undefined
          ? { MaintenanceAutoAppliedAfter: new Date(m.autoAppliedAfter) }
          : {}),
        ...(m.lastApplied !== undefined ? { LastMaintenanceApplied: new Date(m.lastApplied) } : {}),
      },
    };
  }

  describeInstances(
    region: string,
    input: DescribeInstancesCommandInput,
  ): Output<DescribeInstancesCommandOutput> {
    if (input.MaxResults !== undefined && input.InstanceIds) {
      throw awsError(
        'ec2',
        'InvalidParameterCombination',
        'The parameter instancesSet cannot be used with the parameter maxResults',
      );
    }
    let instances = [...this.instances.values()].filter((i) => i.region === region && this.visible(i));
    if (input.InstanceIds) {
      const missing = input.InstanceIds.filter((id) => !instances.some((i) => i.instanceId === id));
      for (const id of missing) {
        if (!/^i-[0-9a-f]{8}([0-9a-f]{9})?$/.test(id)) {
          throw awsError('ec2', 'InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
        }
      }
      if (missing.length > 0) {
        throw notFound(
          'InvalidInstanceID.NotFound',
          `The instance ID${missing.length > 1 ? 's' : ''} '${missing.join(', ')}' do${missing.length > 1 ? '' : 'es'} not exist`,
        );
      }
      instances = instances.filter((i) => input.InstanceIds?.includes(i.instanceId));
    }
    instances = applyFilters(instances, input.Filters, 'DescribeInstances', {
      'instance-id': (i) => [i.instanceId],
      'instance-state-name': (i) => [i.state],
      'vpc-id': (i) => [i.vpcId],
      'network-interface.network-interface-id': (i) => this.interfacesOf(i.instanceId).map((e) => e.eniId),
      'tag:aws:autoscaling:groupName': (i) =>
        i.tags['aws:autoscaling:groupName'] ? [i.tags['aws:autoscaling:groupName']] : [],
    });
    return {
      Reservations: instances.map((i) => ({
        ReservationId: `r-${i.instanceId.slice(2)}`,
        OwnerId: this.account,
        Instances: [this.instanceView(i)],
      })),
    };
  }

  private instanceView(i: InstanceRecord): Instance {
    const enis = this.interfacesOf(i.instanceId);
    const primary = enis.find((e) => e.deviceIndex === 0);
    const primaryAddress = primary ? this.addressOn(primary.eniId) : undefined;
    return {
      InstanceId: i.instanceId,
      InstanceType: 't4g.nano',
      State: { Code: STATE_CODES[i.state], Name: i.state },
      ...(i.stateReason ? { StateTransitionReason: i.stateReason } : {}),
      LaunchTime: new Date(i.launchedAt),
      Placement: { AvailabilityZone: i.availabilityZone },
      VpcId: i.vpcId,
      SubnetId: i.subnetId,
      PrivateIpAddress: i.privateIp,
      // A stopped instance keeps its Elastic IP, but only a running one shows a public address.
      ...(primaryAddress && i.state === 'running' ? { PublicIpAddress: primaryAddress.publicIp } : {}),
      // The instance-level attribute is the primary interface's.
      SourceDestCheck: primary?.sourceDestCheck ?? true,
      Tags: Object.entries(i.tags).map(([Key, Value]) => ({ Key, Value })),
      NetworkInterfaces: enis.map((eni): InstanceNetworkInterface => {
        const address = this.addressOn(eni.eniId);
        const association = address
          ? { PublicIp: address.publicIp, IpOwnerId: this.account, PublicDnsName: '' }
          : undefined;
        return {
          NetworkInterfaceId: eni.eniId,
          SubnetId: eni.subnetId,
          VpcId: eni.vpcId,
          OwnerId: this.account,
          PrivateIpAddress: eni.privateIp,
          PrivateIpAddresses: [
            {
              PrivateIpAddress: eni.privateIp,
              Primary: true,
              ...(association ? { Association: association } : {}),
            },
          ],
          SourceDestCheck: eni.sourceDestCheck,
          Status: 'in-use',
          InterfaceType: 'interface',
          Attachment: {
            AttachmentId: eni.attachmentId,
            DeviceIndex: eni.deviceIndex,
            NetworkCardIndex: 0,
            Status: 'attached',
            AttachTime: new Date(eni.attachedAt),
            DeleteOnTermination: eni.deleteOnTermination,
          },
          ...(association ? { Association: association } : {}),
        };
      }),
    };
  }

  private addressOn(eniId: string): AddressRecord | undefined {
    return [...this.addresses.values()].find((a) => a.eniId === eniId);
  }

  /**
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html
   * (ids, and the filters VPN Guard uses: `attachment.instance-id`, `attachment.device-index`, ...).
   */
  describeNetworkInterfaces(
    region: string,
    input: DescribeNetworkInterfacesCommandInput,
  ): Output<DescribeNetworkInterfacesCommandOutput> {
    let enis = [...this.enis.values()].filter((e) => e.region === region && !e.deleted);
    for (const id of input.NetworkInterfaceIds ?? []) {
      if (!enis.some((e) => e.eniId === id)) {
        throw notFound(
          'InvalidNetworkInterfaceID.NotFound',
          `The networkInterface ID '${id}' does not exist`,
        );
      }
    }
    if (input.NetworkInterfaceIds) enis = enis.filter((e) => input.NetworkInterfaceIds?.includes(e.eniId));
    enis = applyFilters(enis, input.Filters, 'DescribeNetworkInterfaces', {
      'network-interface-id': (e) => [e.eniId],
      'attachment.instance-id': (e) => (e.instanceId ? [e.instanceId] : []),
      'attachment.device-index': (e) => (e.instanceId ? [String(e.deviceIndex)] : []),
      'vpc-id': (e) => [e.vpcId],
      'subnet-id': (e) => [e.subnetId],
      status: (e) => [e.instanceId ? 'in-use' : 'available'],
    });
    return {
      NetworkInterfaces: enis.map((eni): NetworkInterface => {
        const address = this.addressOn(eni.eniId);
        return {
          NetworkInterfaceId: eni.eniId,
          AvailabilityZone: eni.availabilityZone,
          SubnetId: eni.subnetId,
          VpcId: eni.vpcId,
          OwnerId: this.account,
          PrivateIpAddress: eni.privateIp,
          PrivateIpAddresses: [{ PrivateIpAddress: eni.privateIp, Primary: true }],
          SourceDestCheck: eni.sourceDestCheck,
          Status: eni.instanceId ? 'in-use' : 'available',
          InterfaceType: 'interface',
          RequesterManaged: false,
          ...(eni.instanceId
            ? {
                Attachment: {
                  AttachmentId: eni.attachmentId,
                  InstanceId: eni.instanceId,
                  InstanceOwnerId: this.account,
                  DeviceIndex: eni.deviceIndex,
                  NetworkCardIndex: 0,
                  Status: 'attached',
                  AttachTime: new Date(eni.attachedAt),
                  DeleteOnTermination: eni.deleteOnTermination,
                },
              }
            : {}),
          ...(address
            ? {
                Association: {
                  AllocationId: address.allocationId,
                  ...(address.associationId ? { AssociationId: address.associationId } : {}),
                  IpOwnerId: this.account,
                  PublicIp: address.publicIp,
                },
              }
            : {}),
        };
      }),
    };
  }

  /**
   * SourceDestCheck of one interface
   * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyNetworkInterfaceAttribute.html):
   * the way that works for one interface or many (aws-facts 10).
   */
  modifyNetworkInterfaceAttribute(region: string, input: ModifyNetworkInterfaceAttributeCommandInput): void {
    refuseUnmodelled(
      input,
      ['NetworkInterfaceId', 'SourceDestCheck', 'DryRun'],
      'ModifyNetworkInterfaceAttribute',
      'SourceDestCheck only',
    );
    const eni = this.enis.get(input.NetworkInterfaceId ?? '');
    if (!eni || eni.deleted || eni.region !== region) {
      throw notFound(
        'InvalidNetworkInterfaceID.NotFound',
        `The networkInterface ID '${input.NetworkInterfaceId}' does not exist`,
      );
    }
    if (input.SourceDestCheck?.Value === undefined) {
      throw awsError(
        'ec2',
        'MissingParameter',
        'Missing attribute: one of description, sourceDestCheck, groupSet, ... must be specified',
      );
    }
    dryRun(input);
    eni.sourceDestCheck = input.SourceDestCheck.Value;
  }

  describeAddresses(
    region: string,
    input: DescribeAddressesCommandInput,
  ): Output<DescribeAddressesCommandOutput> {
    if (input.Filters)
      throw new UnmodelledCommandError('the sandbox does not model DescribeAddresses Filters');
    let addresses = [...this.addresses.values()].filter((a) => a.region === region);
    for (const id of input.AllocationIds ?? []) {
      if (!addresses.some((a) => a.allocationId === id)) {
        throw notFound('InvalidAllocationID.NotFound', `The allocation ID '${id}' does not exist`);
      }
    }
    for (const ip of input.PublicIps ?? []) {
      if (!addresses.some((a) => a.publicIp === ip)) {
        throw awsError('ec2', 'InvalidAddress.NotFound', `Address '${ip}' not found.`);
      }
    }
    if (input.AllocationIds)
      addresses = addresses.filter((a) => input.AllocationIds?.includes(a.allocationId));
    if (input.PublicIps) addresses = addresses.filter((a) => input.PublicIps?.includes(a.publicIp));
    return {
      Addresses: addresses.map((a) => {
        const eni = a.eniId ? this.enis.get(a.eniId) : undefined;
        return {
          AllocationId: a.allocationId,
          PublicIp: a.publicIp,
          Domain: 'vpc',
          ...(a.associationId && eni
            ? {
                AssociationId: a.associationId,
                NetworkInterfaceId: eni.eniId,
                NetworkInterfaceOwnerId: this.account,
                PrivateIpAddress: eni.privateIp,
                ...(eni.instanceId ? { InstanceId: eni.instanceId } : {}),
              }
            : {}),
        };
      }),
    };
  }

  describeRouteTables(
    region: string,
    input: DescribeRouteTablesCommandInput,
  ): Output<DescribeRouteTablesCommandOutput> {
    let tables = [...this.routeTables.values()].filter((t) => t.region === region);
    for (const id of input.RouteTableIds ?? []) {
      if (!tables.some((t) => t.routeTableId === id)) {
        throw notFound('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`);
      }
    }
    if (input.RouteTableIds) tables = tables.filter((t) => input.RouteTableIds?.includes(t.routeTableId));
    // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRouteTables.html filters.
    tables = applyFilters(tables, input.Filters, 'DescribeRouteTables', {
      'route-table-id': (t) => [t.routeTableId],
      'vpc-id': (t) => [t.vpcId],
      'association.subnet-id': (t) => t.associations.flatMap((a) => (a.subnetId ? [a.subnetId] : [])),
      'association.main': (t) => (t.associations.some((a) => a.main) ? ['true'] : ['false']),
      'association.route-table-association-id': (t) => t.associations.map((a) => a.associationId),
      'association.route-table-id': (t) => (t.associations.length > 0 ? [t.routeTableId] : []),
    });
    return {
      RouteTables: tables.map((t) => ({
        RouteTableId: t.routeTableId,
        VpcId: t.vpcId,
        OwnerId: this.account,
        Routes: t.routes.map((r) => this.routeView(r)),
        Associations: t.associations.map((a) => ({
          Main: a.main,
          RouteTableAssociationId: a.associationId,
          RouteTableId: t.routeTableId,
          ...(a.subnetId ? { SubnetId: a.subnetId } : {}),
          AssociationState: { State: 'associated' as const },
        })),
        PropagatingVgws: [],
        Tags: [],
      })),
    };
  }

  private routeView(route: RouteRecord): Route {
    const base = {
      DestinationCidrBlock: route.destination,
      Origin: route.origin,
      State: this.routeState(route),
    };
    switch (route.target.kind) {
      case 'local':
        return { ...base, GatewayId: 'local' };
      case 'gateway':
        return { ...base, GatewayId: route.target.gatewayId };
      case 'eni': {
        const eni = this.enis.get(route.target.eniId);
        const instance = eni?.instanceId ? this.instances.get(eni.instanceId) : undefined;
        return {
          ...base,
          NetworkInterfaceId: route.target.eniId,
          ...(instance ? { InstanceId: instance.instanceId, InstanceOwnerId: this.account } : {}),
        };
      }
    }
  }

  modifyInstanceAttribute(region: string, input: ModifyInstanceAttributeCommandInput): void {
    refuseUnmodelled(
      input,
      ['InstanceId', 'SourceDestCheck', 'DryRun'],
      'ModifyInstanceAttribute',
      'SourceDestCheck only',
    );
    const instance = this.findInstance(region, input.InstanceId);
    if (input.SourceDestCheck?.Value === undefined) {
      throw awsError('ec2', 'InvalidParameterCombination', 'No attributes specified.');
    }
    if (instance.state === 'terminated' || instance.state === 'shutting-down') {
      throw awsError(
        'ec2',
        'IncorrectInstanceState',
        `The instance '${instance.instanceId}' is not in a state from which it can be modified.`,
      );
    }
    const enis = this.interfacesOf(instance.instanceId);
    if (enis.length > 1) {
      // aws-facts 10: aws/aws-cdk#13791, hashicorp/terraform-provider-aws#7107, kubernetes/kubernetes#92800.
      throw awsError(
        'ec2',
        'InvalidInstanceID',
        `There are multiple interfaces attached to instance '${instance.instanceId}'. Please specify an interface ID for the operation instead.`,
      );
    }
    dryRun(input);
    for (const eni of enis) eni.sourceDestCheck = input.SourceDestCheck.Value;
  }

  associateAddress(
    region: string,
    input: AssociateAddressCommandInput,
  ): Output<AssociateAddressCommandOutput> {
    if (input.PublicIp)
      throw new UnmodelledCommandError('the sandbox models AssociateAddress by AllocationId only');
    const address = this.addresses.get(input.AllocationId ?? '');
    if (!address || address.region !== region) {
      throw notFound(
        'InvalidAllocationID.NotFound',
        `The allocation ID '${input.AllocationId}' does not exist`,
      );
    }
    let eni: EniRecord | undefined;
    if (input.NetworkInterfaceId) {
      eni = this.enis.get(input.NetworkInterfaceId);
      if (!eni || eni.deleted || eni.region !== region) {
        throw notFound(
          'InvalidNetworkInterfaceID.NotFound',
          `The networkInterface ID '${input.NetworkInterfaceId}' does not exist`,
        );
      }
      if (input.InstanceId && eni.instanceId !== input.InstanceId) {
        throw awsError(
          'ec2',
          'InvalidParameterCombination',
          'The instance and network interface do not match.',
        );
      }
    } else if (input.InstanceId) {
      const instance = this.findInstance(region, input.InstanceId);
      if (instance.state !== 'running' && instance.state !== 'stopped') {
        throw awsError(
          'ec2',
          'IncorrectInstanceState',
          `The instance '${instance.instanceId}' is not in a valid state for this operation.`,
        );
      }
      // "The instance must have exactly one attached network interface" (API_AssociateAddress.html).
      const enis = this.interfacesOf(instance.instanceId);
      if (enis.length > 1) {
        throw awsError(
          'ec2',
          'InvalidInstanceID',
          `There are multiple interfaces attached to instance '${instance.instanceId}'. Please specify an interface ID for the operation instead.`,
        );
      }
      eni = enis[0];
    } else {
      throw awsError(
        'ec2',
        'MissingParameter',
        'Either instance ID or network interface ID must be specified.',
      );
    }
    if (!eni) throw notFound('InvalidNetworkInterfaceID.NotFound', 'The network interface does not exist');
    if (address.eniId && address.eniId !== eni.eniId && input.AllowReassociation !== true) {
      throw awsError(
        'ec2',
        'Resource.AlreadyAssociated',
        `resource ${address.allocationId} is already associated with associate-id ${address.associationId}`,
      );
    }
    dryRun(input);
    if (address.eniId !== eni.eniId || !address.associationId) {
      // Another address on the target interface is replaced (one public IPv4 per private IP).
      for (const other of this.addresses.values()) {
        if (other !== address && other.eniId === eni.eniId) {
          other.eniId = null;
          other.associationId = null;
        }
      }
      address.eniId = eni.eniId;
      address.associationId = this.ids.next('eipassoc');
    }
    return { AssociationId: address.associationId };
  }

  /**
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisassociateAddress.html: by
   * AssociationId (VPC addresses); idempotent for the public IP of an unassociated address.
   */
  disassociateAddress(region: string, input: DisassociateAddressCommandInput): void {
    if (input.PublicIp && !input.AssociationId) {
      throw new UnmodelledCommandError('the sandbox models DisassociateAddress by AssociationId only');
    }
    if (!input.AssociationId) {
      throw awsError('ec2', 'MissingParameter', 'Either public IP or association id must be specified');
    }
    const address = [...this.addresses.values()].find(
      (a) => a.region === region && a.associationId === input.AssociationId,
    );
    if (!address) {
      throw notFound(
        'InvalidAssociationID.NotFound',
        `The association ID '${input.AssociationId}' does not exist`,
      );
    }
    dryRun(input);
    address.eniId = null;
    address.associationId = null;
  }

  replaceRoute(region: string, input: ReplaceRouteCommandInput): void {
    const { table, eni } = this.routeRequest(region, input, 'ReplaceRoute');
    const route = table.routes.find((r) => r.destination === input.DestinationCidrBlock);
    if (!route) {
      throw awsError(
        'ec2',
        'InvalidParameterValue',
        `There is no route defined for '${input.DestinationCidrBlock}' in the route table. Please use CreateRoute instead.`,
      );
    }
    if (route.target.kind === 'local') {
      throw awsError(
        'ec2',
        'InvalidParameterValue',
        `cannot replace local route '${input.DestinationCidrBlock}'`,
      );
    }
    dryRun(input);
    route.target = { kind: 'eni', eniId: eni.eniId };
    route.origin = 'CreateRoute';
  }

  createRoute(region: string, input: CreateRouteCommandInput): void {
    const { table, eni } = this.routeRequest(region, input, 'CreateRoute');
    if (table.routes.some((r) => r.destination === input.DestinationCidrBlock)) {
      throw awsError(
        'ec2',
        'RouteAlreadyExists',
        `The route identified by ${input.DestinationCidrBlock} already exists.`,
      );
    }
    dryRun(input);
    table.routes.push({
      destination: input.DestinationCidrBlock ?? '',
      target: { kind: 'eni', eniId: eni.eniId },
      origin: 'CreateRoute',
    });
  }

  private routeRequest(
    region: string,
    input: ReplaceRouteCommandInput | CreateRouteCommandInput,
    command: string,
  ): { table: RouteTableRecord; eni: EniRecord } {
    refuseUnmodelled(
      input,
      ['RouteTableId', 'DestinationCidrBlock', 'NetworkInterfaceId', 'InstanceId', 'DryRun'],
      command,
      'ENI and instance targets only',
    );
    const table = this.routeTables.get(input.RouteTableId ?? '');
    if (!table || table.region !== region) {
      throw notFound(
        'InvalidRouteTableID.NotFound',
        `The routeTable ID '${input.RouteTableId}' does not exist`,
      );
    }
    if (!input.DestinationCidrBlock) {
      throw awsError(
        'ec2',
        'MissingParameter',
        'The request must contain the parameter destinationCidrBlock',
      );
    }
    let eni: EniRecord | undefined;
    if (input.NetworkInterfaceId) {
      eni = this.enis.get(input.NetworkInterfaceId);
      if (!eni || eni.deleted || eni.region !== region) {
        throw notFound(
          'InvalidNetworkInterfaceID.NotFound',
          `The networkInterface ID '${input.NetworkInterfaceId}' does not exist`,
        );
      }
    } else if (input.InstanceId) {
      // "the operation fails if you specify an instance ID unless exactly one network interface is
      // attached" (API_CreateRoute.html, InstanceId).
      const instance = this.findInstance(region, input.InstanceId);
      const enis = this.interfacesOf(instance.instanceId);
      if (enis.length > 1) {
        throw awsError(
          'ec2',
          'InvalidInstanceID',
          `There are multiple interfaces attached to instance '${instance.instanceId}'. Please specify an interface ID for the operation instead.`,
        );
      }
      eni = enis[0];
    }
    if (!eni) throw awsError('ec2', 'MissingParameter', 'The request must contain a route target');
    if (eni.vpcId !== table.vpcId) {
      throw awsError(
        'ec2',
        'InvalidParameterValue',
        `route table ${table.routeTableId} and network interface ${eni.eniId} belong to different networks`,
      );
    }
    return { table, eni };
  }

  private findInstance(region: string, instanceId: string | undefined): InstanceRecord {
    const instance = instanceId ? this.instances.get(instanceId) : undefined;
    if (!instance || instance.region !== region || !this.visible(instance)) {
      throw notFound('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
    }
    return instance;
  }
}

/** Applies EC2 Filters; a filter name the world does not know fails loudly. */
function applyFilters<T>(
  items: T[],
  filters: readonly Filter[] | undefined,
  command: string,
  known: Record<string, (item: T) => string[]>,
): T[] {
  let result = items;
  for (const filter of filters ?? []) {
    const name = filter.Name ?? '';
    const values = filter.Values ?? [];
    const read = known[name];
    if (!read) throw new UnmodelledCommandError(`the sandbox's ${command} does not model the filter ${name}`);
    result = result.filter((item) => read(item).some((value) => values.includes(value)));
  }
  return result;
}
