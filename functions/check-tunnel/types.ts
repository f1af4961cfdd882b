/** check-tunnel's output: the tunnel telemetry of every link asked for, and how the collection went. */

export type TunnelStatus = 'UP' | 'DOWN';

export interface TunnelReport {
  readonly outsideIpAddress: string;
  readonly status: TunnelStatus;
  readonly statusMessage: string;
  /** ISO timestamp of the last IKE/IPsec/BGP status change, when AWS reports it. */
  readonly lastStatusChange: string | null;
}

export interface ConnectionReport {
  readonly vpnConnectionId: string;
  /** VpnConnection.State (`available`, `pending`, `deleting`, `deleted`) or `missing`. */
  readonly state: string;
  readonly tunnels: readonly TunnelReport[];
  /** Tunnels UP on this connection; 0 when the connection is missing or not `available`. */
  readonly tunnelsUp: number;
}

/**
 * One link's tunnel figures, when its Region's API answered: what the Monitor's next states need
 * (publish-metric, start-remediation) and nothing more, so 200 links stay a few tens of KB of state.
 * The per-connection and per-tunnel detail goes to the function's log ({@link LinkTunnelDetail}).
 */
export interface LinkTunnelsOk {
  readonly link: string;
  readonly region: string;
  readonly ok: true;
  readonly tunnelsUp: number;
  readonly tunnelsTotal: number;
  readonly minTunnelsUp: number;
  /** tunnelsUp >= minTunnelsUp */
  readonly healthy: boolean;
}

/** A link's figures with their per-connection detail (logged, not returned). */
export interface LinkTunnelDetail extends LinkTunnelsOk {
  readonly connections: readonly ConnectionReport[];
}

/** One link whose Region's API failed: a collection failure, never "tunnels down". */
export interface LinkTunnelsFailed {
  readonly link: string;
  readonly region: string;
  readonly ok: false;
  readonly error: { readonly name: string; readonly message: string };
}

export type LinkTunnels = LinkTunnelsOk | LinkTunnelsFailed;

/**
 * One VPN Region's collection: the single DescribeVpnConnections call that read every link of the
 * Region this tick. Its success and latency are the Region's (metrics TunnelCheckSuccess and
 * TunnelCheckLatency, dimension VpnRegion), not copied per link.
 */
export type RegionCheck =
  | { readonly region: string; readonly ok: true; readonly latencyMs: number }
  | {
      readonly region: string;
      readonly ok: false;
      readonly latencyMs: number;
      readonly error: { readonly name: string; readonly message: string };
    };

export interface TunnelCheckResult {
  readonly checkedAt: string;
  /** One entry per VPN Region asked, in the order of the links. */
  readonly regions: readonly RegionCheck[];
  readonly links: readonly LinkTunnels[];
}
