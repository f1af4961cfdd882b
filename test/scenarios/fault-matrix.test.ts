/**
 * The fault matrix: every scenario shipped in scenarios/ runs as a test, against the simulated
 * two-Region AWS with the real ASL, the real handlers and a real TCP canary on loopback. A scenario
 * passes when every one of its expectations holds at its end.
 */
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listScenarioFiles, loadScenario } from '#sandbox/scenario/load.ts';
import { runScenario } from '#sandbox/scenario/run.ts';

const files = listScenarioFiles();

describe('fault matrix (scenarios/*.json)', () => {
  it('ships at least 25 scenarios, the default drill among them', () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
    expect(files.map((file) => basename(file))).toContain('gateway-instance-dies.json');
  });

  for (const file of files) {
    const loaded = loadScenario(file);
    it(`${loaded.scenario.name}: ${loaded.scenario.description}`, async () => {
      const result = await runScenario(loaded);
      const unmet = result.expectations.filter((expectation) => !expectation.met);
      expect(
        unmet.map((expectation) => `${expectation.description}: ${expectation.detail ?? ''}`),
        `remediations: ${result.remediations.map((r) => `${r.name} ${r.outcome}${r.failedState ? ` at ${r.failedState}` : ''}`).join(', ') || 'none'}`,
      ).toEqual([]);
      expect(result.expectations.length).toBeGreaterThan(0);
    });
  }
});
