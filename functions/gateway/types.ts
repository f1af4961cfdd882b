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
  /** e.g. `InService`, `Pending`, `Terminating`. */
  readonly lifecycleState: string;
  /** `Healthy` or `Unhealthy`. */
  readonly healthStatus: string;
}

/** The gateway's Auto Scaling group, as far as VPN Guard cares. */
export interface GroupView {
  readonly autoScalingGroupName: string;
  readonly desiredCapacity: number | null;
  readonly instances: readonly GroupInstance[];
}

/** What DescribeInstances says about the gateway instance. */
export interface InstanceView {
  readonly instanceId: string;
  /** `pending`, `running`, `shutting-down`, `terminated`, ... */
  readonly state: string | null;
  /** The primary ENI (DeviceIndex 0): the one the Elastic IP and the routes point to. */
  readonly networkInterfaceId: string | null;
  readonly privateIpAddress: string | null;
  readonly sourceDestCheck: boolean | null;
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
}

/** A configured route table × remote CIDR, as it is now (target and state null: no such route). */
export interface RouteView {
  readonly routeTableId: string;
  readonly destinationCidrBlock: string;
  readonly target: string | null;
  readonly state: string | null;
}

/** `describe`: the gateway before anything changes. */
export interface GatewaySnapshot {
  readonly takenAt: string;
  readonly autoScalingGroupName: string;
  readonly desiredCapacity: number | null;
  readonly instances: readonly GroupInstance[];
  /** The group's InService instance (the one a replacement removes); null when it has none. */
  readonly instanceId: string | null;
  readonly networkInterfaceId: string | null;
  readonly sourceDestCheck: boolean | null;
  readonly elasticIp: ElasticIpView;
  readonly routes: readonly RouteView[];
  readonly notes: readonly string[];
}

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
  readonly notes: readonly string[];
}

/** `await-replacement`: one poll of the group. */
export interface AwaitOutcome {
  /** Stop polling: a replacement is InService (or a dry run's single read). */
  readonly done: boolean;
  readonly newInstanceId: string | null;
  readonly instances: readonly GroupInstance[];
  readonly checkedAt: string;
  readonly deadlineAt: string;
  readonly notes: readonly string[];
}

/** `configure`: source/dest check off, the Elastic IP on the instance's primary ENI. */
export interface ConfigureOutcome {
  readonly instanceId: string | null;
  readonly networkInterfaceId: string | null;
  readonly sourceDestCheck: {
    readonly before: boolean | null;
    readonly after: boolean | null;
    readonly action: 'disabled' | 'unchanged' | 'would-disable';
  };
  readonly elasticIp: {
    readonly allocationId: string;
    readonly publicIp: string | null;
    readonly before: { readonly instanceId: string | null; readonly networkInterfaceId: string | null };
    readonly after: { readonly instanceId: string | null; readonly networkInterfaceId: string | null };
    readonly action: 'associated' | 'unchanged' | 'would-associate';
    readonly associationId: string | null;
  };
  readonly notes: readonly string[];
}

/** `repoint`: every configured route table × remote CIDR, and what was done to it. */
export interface RepointOutcome {
  readonly networkInterfaceId: string;
  readonly routes: readonly RouteChange[];
  /** When the last route was updated; VerifyRecovery's deadline counts from here. */
  readonly completedAt: string;
  readonly notes: readonly string[];
}
