/**
 * gateway's domain types and outputs, one per action, each a before/after record. Every field is
 * always present (null when it does not apply) because the Remediation ASL selects them by path.
 */
import type { RouteChange } from '#shared/remediation-types.ts';

/** A route change, as the notification and the drill summary show it. */
export type { RouteChange };

/** An instance of the gateway's Auto Scaling group. */
export interface GroupInstance {
  readonly instanceId: string;
  /** e.g. `InService`, `Pending`, `Pending:Wait`, `Terminating`. */
  readonly lifecycleState: string;
  /** `Healthy` or `Unhealthy`. */
  readonly healthStatus: string;
}

/** A launch lifecycle hook of the group (it holds new instances in `Pending:Wait`). */
export interface LaunchHook {
  readonly name: string;
  /** How long a new instance may wait in `Pending:Wait` (AWS default 3600 s). */
  readonly heartbeatTimeoutSeconds: number;
}

/** The gateway's Auto Scaling group, as far as VPN Guard cares. */
export interface GroupView {
  readonly autoScalingGroupName: string;
  readonly desiredCapacity: number | null;
  readonly instances: readonly GroupInstance[];
  /** Suspended processes (`Launch`, `Terminate`, `ReplaceUnhealthy`, ...). */
  readonly suspendedProcesses: readonly string[];
}

/** One network interface of an instance. */
export interface InterfaceView {
  readonly networkInterfaceId: string;
  readonly deviceIndex: number | null;
  readonly sourceDestCheck: boolean | null;
  readonly privateIpAddress: string | null;
}

/** What DescribeInstances says about an instance. */
export interface InstanceView {
  readonly instanceId: string;
  /** `pending`, `running`, `stopping`, `stopped`, `shutting-down`, `terminated`. */
  readonly state: string | null;
  readonly launchTime: string | null;
  readonly networkInterfaces: readonly InterfaceView[];
}

/** An instance as the observation records it: group membership, EC2 state, interfaces, SSM. */
export interface ObservedInstance extends InstanceView {
  readonly inGroup: boolean;
  readonly lifecycleState: string | null;
  readonly healthStatus: string | null;
  /** Whether SSM manages it (Online); null when not asked or unreadable. */
  readonly ssmManaged: boolean | null;
}

/** The link's Elastic IP and what it is associated with. */
export interface ElasticIpView {
  readonly allocationId: string;
  readonly publicIp: string | null;
  readonly associationId: string | null;
  readonly instanceId: string | null;
  readonly networkInterfaceId: string | null;
}

/** A route of a route table, as the planner sees it. */
export interface CurrentRoute {
  readonly destinationCidrBlock: string;
  /** The ENI, instance, gateway... the route targets; null when it has none. */
  readonly target: string | null;
  readonly networkInterfaceId: string | null;
  /** `active` or `blackhole`. */
  readonly state: string | null;
  /** `CreateRouteTable`, `CreateRoute` or `EnableVgwRoutePropagation`. */
  readonly origin: string | null;
}

/** A route table and its routes, as DescribeRouteTables returned them. */
export interface CurrentRouteTable {
  readonly routeTableId: string;
  readonly routes: readonly CurrentRoute[];
  /** Subnets explicitly associated with the table. */
  readonly subnetIds?: readonly string[];
  /** Whether it is its VPC's main route table. */
  readonly main?: boolean;
}

/** A configured route table × remote CIDR, as it is now (target and state null: no such route). */
export interface RouteView {
  readonly routeTableId: string;
  readonly destinationCidrBlock: string;
  readonly target: string | null;
  readonly networkInterfaceId: string | null;
  readonly state: string | null;
}

/** The effective route table of one canary subnet. */
export interface CanarySubnetView {
  readonly subnetId: string;
  /** The explicitly associated table, else the VPC's main table; null when neither was found. */
  readonly routeTableId: string | null;
  readonly association: 'explicit' | 'main' | 'none';
  /** Whether that table is among the link's gateway.routeTableIds. */
  readonly configured: boolean;
}

/** AWS's pending endpoint maintenance on one tunnel of the link's connections. */
export interface TunnelMaintenance {
  readonly vpnConnectionId: string;
  readonly outsideIp: string;
  /** The tunnel's telemetry status (`UP` / `DOWN`). */
  readonly status: string | null;
  readonly pendingMaintenance: string | null;
  readonly autoAppliedAfter: string | null;
  readonly lastApplied: string | null;
}

/** What AWS says about its own maintenance of the link's tunnels; `unknown` when unreadable. */
export interface MaintenanceView {
  readonly state: 'none' | 'pending' | 'unknown';
  readonly tunnels: readonly TunnelMaintenance[];
  readonly detail: string;
}

/** `observe` (and `describe`): one snapshot of everything a decision needs. */
export interface Observation {
  readonly takenAt: string;
  readonly autoScalingGroupName: string;
  readonly desiredCapacity: number | null;
  readonly suspendedProcesses: readonly string[];
  readonly launchHooks: readonly LaunchHook[];
  /** e.g. "instance refresh 0a1b... InProgress"; null when none runs. */
  readonly refreshInProgress: string | null;
  /** e.g. "activity 1234 (Launching a new EC2 instance) InProgress"; null when none runs. */
  readonly activityInProgress: string | null;
  /** The instance the group terminated last (its newest "Terminating EC2 instance" activity); null: none seen. */
  readonly lastTerminatedInstanceId: string | null;
  /** The group's instances (every one), then the Elastic IP's holder when it is outside the group. */
  readonly instances: readonly ObservedInstance[];
  /** The group's one healthy InService instance; null when it has none. */
  readonly instanceId: string | null;
  readonly elasticIp: ElasticIpView;
  readonly routes: readonly RouteView[];
  readonly canarySubnets: readonly CanarySubnetView[];
  readonly maintenance: MaintenanceView;
  readonly notes: readonly string[];
}

/** Kept for the notification's "before" section: the first observation. */
export type GatewaySnapshot = Observation;

/** `replace`: the termination request (the group launches the replacement itself). */
export interface ReplaceOutcome {
  /** When the request was made (or found already made); the replacement deadline counts from here. */
  readonly requestedAt: string;
  readonly oldInstanceId: string | null;
  readonly action:
    | 'terminated'
    | 'already-terminating'
    | 'already-gone'
    | 'nothing-to-terminate'
    | 'would-terminate';
  readonly before: { readonly lifecycleState: string | null };
  readonly after: { readonly lifecycleState: string | null };
  /** The Auto Scaling activity of the termination, when one was started. */
  readonly activityId: string | null;
  readonly permissions: readonly PermissionCheck[];
  readonly notes: readonly string[];
}

/** What a dry run learned about one write of the plan. */
export interface PermissionCheck {
  /** e.g. `ec2:AssociateAddress`. */
  readonly action: string;
  readonly resource: string;
  /** `allowed` (DryRunOperation), `denied` (UnauthorizedOperation), `unverified` (no DryRun exists). */
  readonly result: 'allowed' | 'denied' | 'unverified' | 'error';
  readonly detail: string;
}

/** `configure`: source/dest check off on every forwarding interface, the Elastic IP on its interface. */
export interface ConfigureOutcome {
  readonly instanceId: string | null;
  /** The interface the routes target (routeDeviceIndex): RepointRoutes points them here. */
  readonly networkInterfaceId: string | null;
  /** The interface that holds the Elastic IP (elasticIpDeviceIndex). */
  readonly elasticIpInterfaceId: string | null;
  /** The existing route interface a dry run checks the route permissions against. */
  readonly probeInterfaceId: string | null;
  readonly sourceDestCheck: {
    readonly before: boolean | null;
    readonly after: boolean | null;
    readonly action: 'disabled' | 'unchanged' | 'would-disable';
    readonly interfaces: readonly {
      readonly networkInterfaceId: string;
      readonly before: boolean | null;
      readonly action: 'disabled' | 'unchanged' | 'would-disable';
    }[];
  };
  readonly elasticIp: {
    readonly allocationId: string;
    readonly publicIp: string | null;
    readonly before: { readonly instanceId: string | null; readonly networkInterfaceId: string | null };
    readonly after: { readonly instanceId: string | null; readonly networkInterfaceId: string | null };
    readonly action: 'associated' | 'unchanged' | 'would-associate';
    readonly associationId: string | null;
  };
  readonly permissions: readonly PermissionCheck[];
  readonly notes: readonly string[];
}

/** `repoint`: every configured route table × remote CIDR, and what was done to it. */
export interface RepointOutcome {
  readonly networkInterfaceId: string;
  readonly routes: readonly RouteChange[];
  /** When the last route was updated. */
  readonly completedAt: string;
  readonly permissions: readonly PermissionCheck[];
  readonly notes: readonly string[];
}

/** `restart-ipsec`: the SSM command that restarts IPsec on the gateway. */
export interface RestartOutcome {
  readonly instanceId: string;
  readonly commandId: string | null;
  readonly action: 'sent' | 'would-send';
  readonly requestedAt: string;
  readonly permissions: readonly PermissionCheck[];
  readonly notes: readonly string[];
}
