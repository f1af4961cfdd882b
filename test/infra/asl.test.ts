/**
 * Both state machine definitions are valid ASL once their ${...} placeholders are substituted with
 * real-looking ARNs (a placeholder would pass asl-validator's ARN check), both from the files and as
 * the stack deploys them (with the Remediation timeout set).
 */
import { createRequire } from 'node:module';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAsl, STATE_MACHINES, type StateMachineId, substituteAsl } from '#infra/asl.ts';
import type { VpnGuardStack } from '#infra/vpn-guard-stack.ts';
import { defined, EXAMPLE_CONFIG, logicalId, synthesize } from './support.ts';

type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';

/** A real-looking ARN for each substitution key (`CheckTunnelFunctionArn` → a Lambda function ARN). */
function realLookingArns(keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    keys.map((key) => {
      const name = key.replace(/FunctionArn$/, '');
      return [key, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:VpnGuard-${name}-AbC123dEf456`];
    }),
  );
}

function expectValid(definition: unknown): void {
  const result = aslValidator(definition);
  expect(result.isValid, result.errorsText('\n')).toBe(true);
}

describe.each(Object.keys(STATE_MACHINES) as StateMachineId[])('%s.asl.json', (id) => {
  it('uses exactly the substitution keys listed in infra/asl.ts', () => {
    const used = new Set([...readAsl(id).matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]));
    expect([...used].sort()).toEqual([...STATE_MACHINES[id].keys].sort());
  });

  it('is valid ASL after substitution', () => {
    const text = substituteAsl(id, realLookingArns(STATE_MACHINES[id].keys));
    expect(text).not.toContain('${');
    expectValid(JSON.parse(text));
  });
});

describe('as deployed by the stack', () => {
  let stack: VpnGuardStack;
  let template: Template;

  beforeAll(() => {
    ({ stack, template } = synthesize(EXAMPLE_CONFIG));
  });

  function deployed(machine: 'monitor' | 'remediation'): Record<string, unknown> {
    const construct = machine === 'monitor' ? stack.monitor.stateMachine : stack.remediation.stateMachine;
    const resource = defined(
      template.findResources('AWS::StepFunctions::StateMachine')[logicalId(construct)],
      `the ${machine} state machine`,
    );
    const substitutions = resource.Properties.DefinitionSubstitutions as Record<string, unknown>;
    const values = realLookingArns(Object.keys(substitutions));
    const text = (resource.Properties.DefinitionString as string).replace(
      /\$\{(\w+)\}/g,
      (_, key: string) => values[key] ?? `<<missing ${key}>>`,
    );
    return JSON.parse(text);
  }

  it('inlines the Monitor definition unchanged and it is valid ASL once substituted', () => {
    const definition = deployed('monitor');
    expect(definition).toEqual(
      JSON.parse(substituteAsl('monitor', realLookingArns(STATE_MACHINES.monitor.keys))),
    );
    expectValid(definition);
  });

  it('inlines the Remediation definition with TimeoutSeconds set, and it is valid ASL once substituted', () => {
    const definition = deployed('remediation');
    expect(definition.TimeoutSeconds).toBe(2100);
    const { TimeoutSeconds: _, ...rest } = definition;
    const { TimeoutSeconds: __, ...fromFile } = JSON.parse(
      substituteAsl('remediation', realLookingArns(STATE_MACHINES.remediation.keys)),
    ) as Record<string, unknown>;
    expect(rest).toEqual(fromFile);
    expectValid(definition);
  });
});
