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

/** One link's tunnel figures, when its Region's API answered. */
export interface LinkTunnelsOk {
  readonly link: string;
  readonly region: string;
  readonly ok: true;
  readonly tunnelsUp: number;
  readonly tunnelsTotal: number;
  readonly minTunnelsUp: number;
  /** tunnelsUp >= minTunnelsUp */
  readonly healthy: boolean;
  /** Latency of the DescribeVpnConnections call that served this link, ms. */
  readonly latencyMs: number;
  readonly connections: readonly ConnectionReport[];
}

/** One link whose Region's API failed: a collection failure, never "tunnels down". */
export interface LinkTunnelsFailed {
  readonly link: string;
  readonly region: string;
  readonly ok: false;
  readonly latencyMs: number;
  readonly error: { readonly name: string; readonly message: string };
}

export type LinkTunnels = LinkTunnelsOk | LinkTunnelsFailed;

export interface TunnelCheckResult {
  readonly checkedAt: string;
  readonly links: readonly LinkTunnels[];
}
