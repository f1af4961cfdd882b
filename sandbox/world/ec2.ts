/**
 * EC2, as much of it as VPN Guard touches, in every Region: instances (pending → running →
 * shutting-down → terminated, visible for an hour after), their primary network interfaces with
 * the source/dest check, Elastic IPs that follow AssociateAddress (AllowReassociation semantics, and
 * released from a terminated instance), route tables whose routes to a gone instance's interface
 * are `blackhole`, and Site-to-Site VPN connections with two tunnels each (status, outside IP,
 * status message, LastStatusChange).
 */
import type {
  AssociateAddressCommandInput,
  AssociateAddressCommandOutput,
  CreateRouteCommandInput,
  DescribeAddressesCommandInput,
  DescribeAddressesCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  DescribeRouteTablesCommandInput,
  DescribeRouteTablesCommandOutput,
  DescribeVpnConnectionsCommandInput,
  DescribeVpnConnectionsCommandOutput,
  Filter,
  Instance,
  ModifyInstanceAttributeCommandInput,
  ReplaceRouteCommandInput,
  Route,
} from '@aws-sdk/client-ec2';
import { awsError, UnmodelledCommandError } from './aws-errors.ts';
import type { IdFactory } from './ids.ts';

type Output<T> = Omit<T, '$metadata'>;

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated';
export type IpsecState = 'starting' | 'up' | 'dead' | 'never';

const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
};

export interface InstanceRecord {
  readonly instanceId: string;
  readonly region: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly eniId: string;
  readonly privateIp: string;
  readonly launchedAt: number;
  readonly tags: Readonly<Record<string, string>>;
  state: InstanceStateName;
  terminatedAt?: number;
  stateReason?: string;
  /** Libreswan on the instance (a model: the real IPsec daemon is not run). */
  ipsec: IpsecState;
}

export interface EniRecord {
  readonly eniId: string;
  readonly region: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly privateIp: string;
  instanceId: string | null;
  sourceDestCheck: boolean;
  deleted: boolean;
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

export interface RouteTableRecord {
  readonly routeTableId: string;
  readonly region: string;
  readonly vpcId: string;
  readonly routes: RouteRecord[];
}

export interface TunnelRecord {
  readonly outsideIp: string;
  status: 'UP' | 'DOWN';
  statusMessage: string;
  lastStatusChange: number;
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

  /** A new instance with a fresh primary interface (source/dest check on, as EC2 launches it). */
  launchInstance(options: {
    region: string;
    vpcId: string;
    subnetId: string;
    availabilityZone: string;
    tags: Record<string, string>;
    state?: InstanceStateName;
    ipsec?: IpsecState;
    sourceDestCheck?: boolean;
  }): InstanceRecord {
    const instanceId = this.ids.next('i');
    const eniId = this.ids.next('eni');
    const privateIp = this.ids.privateIp();
    this.enis.set(eniId, {
      eniId,
      region: options.region,
      vpcId: options.vpcId,
      subnetId: options.subnetId,
      privateIp,
      instanceId,
      sourceDestCheck: options.sourceDestCheck ?? true,
      deleted: false,
    });
    const instance: InstanceRecord = {
      instanceId,
      region: options.region,
      vpcId: options.vpcId,
      subnetId: options.subnetId,
      availabilityZone: options.availabilityZone,
      eniId,
      privateIp,
      launchedAt: this.now(),
      tags: options.tags,
      state: options.state ?? 'pending',
      ipsec: options.ipsec ?? 'starting',
    };
    this.instances.set(instanceId, instance);
    return instance;
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
    const eni = this.enis.get(instance.eniId);
    if (eni) {
      eni.deleted = true;
      eni.instanceId = null;
    }
    for (const address of this.addresses.values()) {
      if (address.eniId === instance.eniId) {
        address.eniId = null;
        address.associationId = null;
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
    return instance && (instance.state === 'running' || instance.state === 'pending')
      ? 'active'
      : 'blackhole';
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
        Options: { StaticRoutesOnly: true },
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
    const eni = this.enis.get(i.eniId);
    const address = [...this.addresses.values()].find((a) => a.eniId === i.eniId);
    const attached = eni && !eni.deleted;
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
      ...(address && i.state === 'running' ? { PublicIpAddress: address.publicIp } : {}),
      SourceDestCheck: eni?.sourceDestCheck ?? true,
      Tags: Object.entries(i.tags).map(([Key, Value]) => ({ Key, Value })),
      NetworkInterfaces: attached
        ? [
            {
              NetworkInterfaceId: eni.eniId,
              SubnetId: eni.subnetId,
              VpcId: eni.vpcId,
              PrivateIpAddress: eni.privateIp,
              SourceDestCheck: eni.sourceDestCheck,
              Status: 'in-use',
              Attachment: {
                AttachmentId: `eni-attach-${eni.eniId.slice(4)}`,
                DeviceIndex: 0,
                Status: 'attached',
                DeleteOnTermination: true,
              },
              ...(address ? { Association: { PublicIp: address.publicIp, IpOwnerId: this.account } } : {}),
            },
          ]
        : [],
    };
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
    tables = applyFilters(tables, input.Filters, 'DescribeRouteTables', {
      'route-table-id': (t) => [t.routeTableId],
      'vpc-id': (t) => [t.vpcId],
    });
    return {
      RouteTables: tables.map((t) => ({
        RouteTableId: t.routeTableId,
        VpcId: t.vpcId,
        OwnerId: this.account,
        Routes: t.routes.map((r) => this.routeView(r)),
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
    const modelled = new Set(['InstanceId', 'SourceDestCheck', 'DryRun']);
    const other = Object.keys(input).filter(
      (key) => !modelled.has(key) && (input as unknown as Record<string, unknown>)[key] !== undefined,
    );
    if (other.length > 0) {
      throw new UnmodelledCommandError(
        `the sandbox's ModifyInstanceAttribute models SourceDestCheck only, not ${other.join(', ')}`,
      );
    }
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
    const eni = this.enis.get(instance.eniId);
    if (eni) eni.sourceDestCheck = input.SourceDestCheck.Value;
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
      if (instance.state !== 'running') {
        throw awsError(
          'ec2',
          'IncorrectInstanceState',
          `The instance '${instance.instanceId}' is not in a valid state for this operation.`,
        );
      }
      eni = this.enis.get(instance.eniId);
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
    const modelled = new Set([
      'RouteTableId',
      'DestinationCidrBlock',
      'NetworkInterfaceId',
      'InstanceId',
      'DryRun',
    ]);
    const other = Object.keys(input).filter(
      (key) => !modelled.has(key) && (input as unknown as Record<string, unknown>)[key] !== undefined,
    );
    if (other.length > 0) {
      throw new UnmodelledCommandError(
        `the sandbox's ${command} models ENI and instance targets only, not ${other.join(', ')}`,
      );
    }
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
      eni = this.enis.get(this.findInstance(region, input.InstanceId).eniId);
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
