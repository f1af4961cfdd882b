/**
 * X-Ray tracing is the config's `tracing.enabled`, off by default: off, no function or state
 * machine traces, no role may write to X-Ray and no bundle carries the X-Ray SDK; on, every
 * function is actively traced with Powertools Tracer in its bundle and both state machines trace.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '#shared/config.ts';
import { buildFunctionBundle } from '../../bench/cold-start.ts';
import { exampleConfigJson } from '../fixtures/config.ts';
import { actionsOf, statementsOfRole, synthesize, writeTempConfig } from './support.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

function tracedConfig(): Record<string, unknown> {
  return { ...exampleConfigJson(), tracing: { enabled: true } };
}

function byType(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

function xrayActions(template: Template): string[] {
  return Object.keys(byType(template, 'AWS::IAM::Role')).flatMap((role) =>
    statementsOfRole(template, role)
      .flatMap(actionsOf)
      .filter((action) => action.startsWith('xray:')),
  );
}

describe('tracing in the template', () => {
  it('is off by default: no function, machine or role traces', () => {
    const { template } = synthesize(writeTempConfig(exampleConfigJson()));
    for (const fn of Object.values(byType(template, 'AWS::Lambda::Function'))) {
      expect(fn.Properties.TracingConfig).toBeUndefined();
    }
    for (const machine of Object.values(byType(template, 'AWS::StepFunctions::StateMachine'))) {
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: false });
    }
    expect(xrayActions(template)).toEqual([]);
  });

  it('tracing.enabled: every function Active, both machines traced, the roles may write traces', () => {
    const { template } = synthesize(writeTempConfig(tracedConfig()));
    const functions = Object.values(byType(template, 'AWS::Lambda::Function'));
    expect(functions).toHaveLength(7);
    for (const fn of functions) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    const machines = Object.values(byType(template, 'AWS::StepFunctions::StateMachine'));
    expect(machines).toHaveLength(2);
    for (const machine of machines)
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(xrayActions(template)).toContain('xray:PutTraceSegments');
  });

  it('refuses a non-boolean tracing.enabled, naming the field', () => {
    expect(() => parseConfig({ ...exampleConfigJson(), tracing: { enabled: 'yes' } }, 'test')).toThrow(
      /tracing\.enabled/,
    );
  });
});

describe('tracing in the bundles (built as the stack builds them)', () => {
  let outDir: string;
  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), 'vpn-guard-tracing-'));
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('off: no X-Ray SDK and no Powertools Tracer in the bundle', async () => {
    const config = parseConfig(exampleConfigJson(), 'test');
    const bundle = await buildFunctionBundle('remediation-guard', { config, outDir: join(outDir, 'off') });
    const names = bundle.packages.map((p) => p.name);
    expect(names).not.toContain('aws-xray-sdk-core');
    expect(names).not.toContain('@aws-lambda-powertools/tracer');
    expect(readFileSync(bundle.file, 'utf8').includes('AWSXRay')).toBe(false);
  });

  it('on: the bundle carries Powertools Tracer and the X-Ray SDK', async () => {
    const config = parseConfig(tracedConfig(), 'test');
    const bundle = await buildFunctionBundle('remediation-guard', { config, outDir: join(outDir, 'on') });
    const names = bundle.packages.map((p) => p.name);
    expect(names).toContain('aws-xray-sdk-core');
    expect(names).toContain('@aws-lambda-powertools/tracer');
  });
});
