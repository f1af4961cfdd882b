/**
 * Shared fixtures of the sandbox tests: the one-link scenario config and its resource ids, and a
 * quiet world (no Monitor schedule, no alarm evaluation, no remote hosts) disposed after each test.
 */
import { readFileSync } from 'node:fs';
import { afterEach } from 'vitest';
import { World, type WorldOptions } from '#sandbox/world/world.ts';

/** scenarios/configs/one-link.json, parsed (raw JSON: the world validates it). */
export const config = JSON.parse(
  readFileSync(new URL('../../scenarios/configs/one-link.json', import.meta.url), 'utf8'),
);
export const LINK = 'home-to-west';
export const VPN_REGION = 'us-west-2';
export const GROUP = 'vpn-gateway-home';
export const EIP = 'eipalloc-0a1b2c3d4e5f60718';
export const TABLES = ['rtb-0a1b2c3d4e5f60718', 'rtb-0b1c2d3e4f5a60718'];

/** The one-link config with the gateway fields patched. */
export function withGateway(gateway: Record<string, unknown>): unknown {
  const copy = structuredClone(config);
  copy.links[0].gateway = { ...copy.links[0].gateway, ...gateway };
  return copy;
}

/**
 * Registers an `afterEach` that disposes the last world, and returns the factory of quiet worlds
 * (call it at the top level of a test file).
 */
export function quietWorlds(): (options?: Partial<WorldOptions>) => Promise<World> {
  let world: World | undefined;
  afterEach(async () => {
    await world?.dispose();
    world = undefined;
  });
  return async (options = {}) => {
    world = await World.create({ config, monitor: false, alarms: false, remoteHosts: false, ...options });
    return world;
  };
}
