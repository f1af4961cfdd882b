/**
 * The scenario vocabulary added for the more real world: a config that must be rejected,
 * time-bounded recovery and notification windows, kinds counted together, delivery protocol and
 * audience filters, and a seeded remediation budget. Every new field is validated by name.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, SCENARIOS_DIR, ScenarioError } from '#sandbox/scenario/load.ts';
import { runScenario } from '#sandbox/scenario/run.ts';
import { ScenarioSchema } from '#sandbox/scenario/schema.ts';

function scenarioFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'scenario-')), 'scenario.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

const base = {
  name: 'vocabulary',
  description: 'exercises the new vocabulary',
  config: { base: join(SCENARIOS_DIR, 'configs/one-link.json') },
  durationMinutes: 15,
  timeline: [{ at: '2m', type: 'gateway-instance-dies', link: 'home-to-west' }],
};

const issuesOf = (scenario: unknown) =>
  (ScenarioSchema.safeParse(scenario).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('scenario vocabulary: validation', () => {
  it('names the field of every misuse', () => {
    expect(issuesOf({ ...base, expect: [{ check: 'link-healthy', within: '5m', by: '10m' }] })).toEqual([
      'expect.0.by: use either within (after a fault) or by (since the start), not both',
    ]);
    expect(issuesOf({ ...base, expect: [{ check: 'link-healthy', after: 0 }] })[0]).toMatch(
      /^expect\.0\.after: /,
    );
    expect(issuesOf({ ...base, expect: [{ check: 'link-healthy', healthy: false, by: '5m' }] })[0]).toMatch(
      /^expect\.0\.healthy: /,
    );
    expect(
      issuesOf({
        ...base,
        expect: [{ check: 'notifications', kind: 'alarm', kinds: ['failed'], exactly: 1 }],
      })[0],
    ).toMatch(/^expect\.0\.kind: /);
    expect(
      issuesOf({
        ...base,
        expect: [{ check: 'notifications', kind: 'alarm', protocol: 'fax', exactly: 1 }],
      })[0],
    ).toMatch(/^expect\.0\.protocol: must be email or sms/);
    expect(
      issuesOf({
        ...base,
        expect: [{ check: 'notifications', kind: 'x', from: '5m', to: '1m', exactly: 0 }],
      })[0],
    ).toMatch(/^expect\.0\.to: from must be before to/);
    expect(
      issuesOf({
        ...base,
        seed: { budget: [{ link: 'home-to-west', attempts: ['25h'] }] },
        expect: [{ check: 'remediations', atMost: 1 }],
      })[0],
    ).toMatch(/^seed\.budget\.0\.attempts\.0: must be under 24h/);
    expect(
      issuesOf({
        ...base,
        expect: [
          { check: 'config-rejected', field: 'links' },
          { check: 'remediations', atMost: 1 },
        ],
      })[0],
    ).toMatch(/^expect: a config-rejected scenario builds no world/);
  });

  it('refuses a protocol filter the config has no subscription for', () => {
    expect(() =>
      loadScenario(
        scenarioFile({
          ...base,
          expect: [{ check: 'notifications', kind: 'alarm', protocol: 'sms', atLeast: 1 }],
        }),
      ),
    ).toThrow(/expect\[0\]\.protocol: .*notifications\.smsNumbers/);
    expect(() =>
      loadScenario(scenarioFile({ ...base, expect: [{ check: 'link-healthy', within: '1m', after: 3 }] })),
    ).toThrow(ScenarioError);
  });
});

describe('scenario vocabulary: config-rejected', () => {
  const rejected = (field: string, overrides: object) => ({
    ...base,
    timeline: [],
    config: { ...base.config, overrides },
    expect: [{ check: 'config-rejected', field }],
  });

  it('passes when validation refuses the config naming the field, building no world', async () => {
    const result = await runScenario(
      loadScenario(
        scenarioFile(rejected('links.0.canary.minTargetsUp', { links: [{ canary: { minTargetsUp: 0 } }] })),
      ),
    );
    expect(result.expectations[0]?.detail).toContain('links[0].canary.minTargetsUp');
    expect(result.ok).toBe(true);
    expect(result.monitorRuns).toBe(0);
  });

  it('fails when the config is refused for another field, or accepted', async () => {
    const other = await runScenario(
      loadScenario(scenarioFile(rejected('links.0.name', { links: [{ canary: { minTargetsUp: 0 } }] }))),
    );
    const accepted = await runScenario(loadScenario(scenarioFile(rejected('links.0.name', {}))));
    expect(other.ok).toBe(false);
    expect(accepted.ok).toBe(false);
    expect(accepted.expectations[0]?.detail).toBe('the config was accepted');
  });
});

describe('scenario vocabulary: over a run', () => {
  it('bounds recovery and notifications in time and counts kinds together', async () => {
    // Prepare: the default drill (the gateway dies at 2m and is replaced).
    const file = scenarioFile({
      ...base,
      config: { ...base.config, overrides: { notifications: { emails: ['ops@example.com'] } } },
      expect: [
        { check: 'link-healthy', within: '10m' },
        { check: 'link-healthy', within: '30s' },
        { check: 'link-healthy', by: '1m' },
        { check: 'notifications', kind: 'recovered', from: 0, to: '2m', exactly: 0 },
        { check: 'notifications', kinds: ['recovered', 'alarm'], atLeast: 2 },
        { check: 'notifications', kind: 'recovered', protocol: 'email', exactly: 1 },
      ],
    });
    // Act
    const result = await runScenario(loadScenario(file));
    // Assess
    expect(result.expectations.map((e) => e.met)).toEqual([true, false, false, true, true, true]);
    expect(result.expectations[1]?.detail).toMatch(/down at \+02:30, recovered only at \+\d\d:\d\d/);
    // "by 1m": healthy at +01:00, but down again once the gateway died.
    expect(result.expectations[2]?.detail).toMatch(/healthy at \+01:00 .*down again at \+02:/);
  });

  it('seeds the budget: attempts already made in the last 24 h exhaust it', async () => {
    // Prepare: three attempts (the default maxAttemptsPer24h) in the last few hours.
    const file = scenarioFile({
      ...base,
      durationMinutes: 6,
      seed: { budget: [{ link: 'home-to-west', attempts: ['1h', '2h', '3h'] }] },
      expect: [
        { check: 'remediations', outcome: 'exhausted', atLeast: 1 },
        { check: 'mutating-calls', services: ['ec2', 'autoscaling'], machine: 'remediation', exactly: 0 },
      ],
    });
    // Act
    const result = await runScenario(loadScenario(file));
    // Assess
    expect(result.expectations.map((e) => [e.description, e.met, e.detail])).toEqual(
      result.expectations.map((e) => [e.description, true, e.detail]),
    );
  });
});
