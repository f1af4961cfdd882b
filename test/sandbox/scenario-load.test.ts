import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOverrides, loadScenario, SCENARIOS_DIR } from '#sandbox/scenario/load.ts';

function scenarioFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

const valid = {
  name: 'ok',
  description: 'a valid scenario',
  config: { base: join(SCENARIOS_DIR, 'configs/one-link.json') },
  durationMinutes: 5,
  timeline: [{ at: '1m', type: 'gateway-instance-dies', link: 'home-to-west' }],
  expect: [{ check: 'remediations', atMost: 1 }],
};

describe('scenario files', () => {
  it('loads a valid file, parsing "1m" as 60 simulated seconds', () => {
    const loaded = loadScenario(scenarioFile(valid));
    expect(loaded.scenario.timeline[0]).toEqual({
      at: 60,
      fault: { type: 'gateway-instance-dies', link: 'home-to-west' },
    });
  });

  it('names the bad field, its value and what is expected', () => {
    const bad = {
      ...valid,
      durationMinutes: -1,
      timeline: [{ at: 'soon', type: 'gateway-instance-dies', link: 'home-to-west' }],
    };
    expect(() => loadScenario(scenarioFile(bad))).toThrow(
      /durationMinutes: got -1: must be a positive number/,
    );
    expect(() => loadScenario(scenarioFile(bad))).toThrow(
      /timeline\[0\]\.at: got "soon": "soon" is not a duration/,
    );
  });

  it('rejects an unknown fault type and a fault on a link the config does not have', () => {
    expect(() =>
      loadScenario(scenarioFile({ ...valid, timeline: [{ at: 1, type: 'meteor-strike' }] })),
    ).toThrow(/timeline\[0\]\.type/);
    expect(() =>
      loadScenario(scenarioFile({ ...valid, timeline: [{ at: 1, type: 'ipsec-dies', link: 'nowhere' }] })),
    ).toThrow(/"nowhere" is not a link of the config/);
  });

  it('rejects a scenario without expectations and a config override that breaks the config', () => {
    expect(() => loadScenario(scenarioFile({ ...valid, expect: [] }))).toThrow(
      /expect: .*at least one expectation/,
    );
    const broken = {
      ...valid,
      config: { ...valid.config, overrides: { links: [{ vpn: { minTunnelsUp: 5 } }] } },
    };
    expect(() => loadScenario(scenarioFile(broken))).toThrow(/config\.links\[0\]\.vpn\.minTunnelsUp/);
  });

  it('merges overrides deeply, arrays element by element, null removing', () => {
    const base = { a: { b: 1, c: 2 }, list: [{ x: 1, y: 1 }, { x: 2 }] };
    expect(applyOverrides(base, { a: { c: null }, list: [{ y: 5 }] })).toEqual({
      a: { b: 1 },
      list: [{ x: 1, y: 5 }, { x: 2 }],
    });
  });
});
