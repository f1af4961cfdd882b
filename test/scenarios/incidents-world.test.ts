/**
 * Incidents in the world (real ASL, real handlers, simulated AWS):
 * - a run that times out (top-level TimeoutSeconds) is announced by the execution-status rule with
 *   its last state, its lock released, and the incident's next attempt (-a2) heals the link;
 * - a phone (an SMS subscription with the pager filter policy) gets at most two messages per
 *   incident, never an alarm's ALARM/OK; "redundancy lost" pages nobody; a drill announces itself once.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { World } from '#sandbox/world/world.ts';

const ONE_LINK = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../scenarios/configs/one-link.json', import.meta.url)), 'utf8'),
);
const LINK = 'home-to-west';
const PHONE = '+15555550100';

function withPhone(): unknown {
  const config = structuredClone(ONE_LINK);
  config.notifications = { emails: ['oncall@example.com'], smsNumbers: [PHONE] };
  return config;
}

let world: World | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

const smsKinds = (w: World) =>
  w.sns.messages.filter((m) => m.deliveries.some((d) => d.protocol === 'sms')).map((m) => m.kind);

describe('the execution-status rule after a timeout', () => {
  it('announces the timed-out run with its last state, releases its lock, and the next attempt heals the link', async () => {
    // Prepare: a Remediation machine whose top-level TimeoutSeconds (90 s) ends the first run mid-way.
    world = await World.create({ config: ONE_LINK });
    const original = world.sfn.machine('remediation');
    world.sfn.addMachine({ ...original, timeoutSeconds: 90 });
    world.at(60, 'gateway dies', () => world?.inject({ type: 'gateway-instance-dies', link: LINK }));
    // Restore the usual timeout once the first run has timed out, so the follow-up can finish.
    world.at(170, 'restore the timeout', () => world?.sfn.addMachine(original));
    // Act
    await world.runUntil(16 * 60);
    // Assess
    const runs = world.remediations();
    expect(runs.map((r) => [r.name, r.status])).toEqual([
      ['home-to-west-alarm-20261126T120105', 'TIMED_OUT'],
      ['home-to-west-alarm-20261126T120105-a2', 'SUCCEEDED'],
    ]);
    const timedOut = world.sns.messages.filter((m) => m.kind === 'timed-out');
    expect(timedOut).toHaveLength(1);
    expect(timedOut[0]?.subject).toMatch(/^\[VpnGuard\] home-to-west remediation TIMED_OUT at \w+/);
    expect(timedOut[0]?.email).toContain('Lock: this execution still held it; released now.');
    expect(timedOut[0]?.email).toContain('#/v2/executions/details/arn:aws:states:');
    // The follow-up started well before the dead run's lock would have expired (timeout + 300 s).
    const second = runs[1];
    expect(second && runs[0]?.stopDate && second.startDate - runs[0].stopDate).toBeLessThan(120_000);
    expect(world.linkStatus(LINK).healthy).toBe(true);
    expect(world.sns.messages.filter((m) => m.kind === 'recovered')).toHaveLength(1);
  });
});

describe('a phone', () => {
  it('gets at most two messages for an outage (never an alarm), the end among them', async () => {
    world = await World.create({ config: withPhone() });
    world.at(60, 'gateway dies', () => world?.inject({ type: 'gateway-instance-dies', link: LINK }));
    await world.runUntil(12 * 60);
    const kinds = smsKinds(world);
    expect(kinds.length).toBeGreaterThanOrEqual(1);
    expect(kinds.length).toBeLessThanOrEqual(2);
    expect(kinds).toContain('recovered');
    expect(kinds).not.toContain('alarm');
    // E-mail still gets everything, alarms included.
    const email = world.sns.messages.filter((m) => m.deliveries.some((d) => d.protocol === 'email'));
    expect(email.some((m) => m.kind === 'alarm')).toBe(true);
  });

  it('gets nothing when one tunnel of two is down ("redundancy lost", not an outage)', async () => {
    world = await World.create({ config: withPhone() });
    world.at(60, 'one tunnel down', () =>
      world?.inject({ type: 'tunnel-down', link: LINK, connection: 0, tunnel: 1 }),
    );
    await world.runUntil(8 * 60);
    expect(world.remediations()).toHaveLength(0);
    expect(smsKinds(world)).toEqual([]);
  });

  it('hears a drill once', async () => {
    world = await World.create({ config: withPhone() });
    world.at(30, 'drill', () => world?.startRemediation({ link: LINK, trigger: 'drill' }));
    await world.runUntil(10 * 60);
    // The drill breaks the link on purpose: a tick may open an incident whose attempt finds the
    // drill's lock and stops (log audience); the phone hears only the drill's own end.
    const runs = world.remediations();
    expect(runs[0]?.name).toMatch(/-drill-/);
    expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    expect(runs.slice(1).map((r) => (r.output as { outcome?: string } | undefined)?.outcome)).not.toContain(
      'recovered',
    );
    expect(smsKinds(world)).toEqual(['recovered']);
  });
});
