/**
 * The hook by which something other than the world's model decides the tunnels' state (the real-IKE
 * drill, sandbox/ike/real-ike.ts). The world calls {@link TunnelStateSource.tunnels} for each VPN
 * connection whenever it re-derives the links; `undefined` keeps the model's own convergence.
 */
import type { LinkConfig } from '#shared/config.ts';
import type { WorldContext } from '../world/context.ts';

/** Per tunnel, in the connection's tunnel order; undefined: use the model. */
export type TunnelView = readonly ('UP' | 'DOWN')[] | undefined;

export interface TunnelStateSource {
  /** Called once the world is seeded, before simulated time starts. */
  attach(world: WorldContext): Promise<void>;
  /**
   * The tunnels of one connection as AWS's endpoints see them. `negotiates`: the world's model says
   * the gateway instance `gatewayInstanceId` runs and its IPsec is up.
   */
  tunnels(
    link: LinkConfig,
    vpnConnectionId: string,
    gatewayInstanceId: string | undefined,
    negotiates: boolean,
  ): TunnelView;
  /** Stops whatever it runs. */
  dispose(): Promise<void>;
}
