/**
 * The drill on real IKE (`npm run drill -- --real-ike`): the default scenario and `ipsec-dies` with
 * the gateway's IPsec as a real pluto rendered from the world's VPN connection and AWS's endpoints as
 * another. Each must meet its scenario's expectations, and the world's tunnel changes must be the
 * real ones: every DOWN/UP lands at the simulated moment real IKE reported it, not after the model's
 * convergence delays. Needs root and Libreswan (skipped, saying why, otherwise).
 */
import { describe, expect, it } from 'vitest';
import { realIkeUnavailable } from '#sandbox/ike/lab.ts';
import { RealIkeTunnels } from '#sandbox/ike/real-ike.ts';
import { loadScenario } from '#sandbox/scenario/load.ts';
import { runScenario } from '#sandbox/scenario/run.ts';
import type { WorldEvent } from '#sandbox/world/world.ts';

const unavailable = realIkeUnavailable();
if (unavailable !== undefined) console.log(`real-ike-drill: SKIPPED the real-IKE drills: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('the drill on real IKE', () => {
  it.each(['gateway-instance-dies', 'ipsec-dies'])(
    '%s: meets its expectations with the tunnels following real IKE',
    async (name) => {
      // Prepare
      const source = new RealIkeTunnels();
      const events: WorldEvent[] = [];

      // Act
      const result = await runScenario(loadScenario(name), {
        tunnelSource: source,
        onEvent: (e) => events.push(e),
      });

      // Assess: the scenario's own expectations.
      const unmet = result.expectations
        .filter((e) => !e.met)
        .map((e) => `${e.description}: ${e.detail ?? ''}`);
      expect(unmet).toEqual([]);
      // Real IKE brought the seeded gateway up, took it down at the fault, and brought the healed one up.
      expect(source.log.filter((line) => line.includes('negotiated both tunnels'))).toHaveLength(2);
      expect(source.log.filter((line) => /pluto for i-\S+ (stopped|killed)/.test(line))).toHaveLength(1);
      // Every tunnel change in the world happened at the moment real IKE reported one.
      const realAt = new Set(events.filter((e) => e.message.includes('real IKE:')).map((e) => e.at));
      const tunnelChanges = events.filter((e) => e.kind === 'tunnel');
      expect(tunnelChanges.length).toBeGreaterThanOrEqual(4);
      for (const change of tunnelChanges)
        expect(
          realAt.has(change.at),
          `${change.message} at ${change.at}; real IKE at ${[...realAt].join(', ')}`,
        ).toBe(true);
    },
    120_000,
  );
});
