/**
 * The state machine definitions and their substitution keys: one list shared by the stack (which
 * passes real ARNs to DefinitionBody) and by the tests and sandbox (which substitute local ARNs).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const STATE_MACHINES = {
  monitor: {
    file: 'monitor.asl.json',
    keys: ['CheckTunnelFunctionArn', 'PublishMetricFunctionArn', 'StartRemediationFunctionArn'],
  },
  remediation: {
    file: 'remediation.asl.json',
    keys: [
      'RemediationGuardFunctionArn',
      'GatewayFunctionArn',
      'CheckTunnelFunctionArn',
      'PublishMetricFunctionArn',
      'NotifyFunctionArn',
      'CanaryFunctions',
    ],
  },
} as const;

export type StateMachineId = keyof typeof STATE_MACHINES;
export type SubstitutionKey = (typeof STATE_MACHINES)[StateMachineId]['keys'][number];

/** Raw ASL text of a state machine, placeholders intact. */
export function readAsl(id: StateMachineId): string {
  return readFileSync(
    fileURLToPath(new URL(`../statemachines/${STATE_MACHINES[id].file}`, import.meta.url)),
    'utf8',
  );
}

/**
 * The ASL with every `${Key}` replaced, as Step Functions' DefinitionSubstitutions would do.
 * Throws if a placeholder has no value or a value has no placeholder, so the key list stays honest.
 */
export function substituteAsl(id: StateMachineId, values: Record<string, string>): string {
  const text = readAsl(id);
  const used = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1] ?? ''));
  for (const key of used) {
    if (!(key in values))
      throw new Error(`${STATE_MACHINES[id].file} uses \${${key}} but no value was given`);
  }
  for (const key of Object.keys(values)) {
    if (!used.has(key)) throw new Error(`${STATE_MACHINES[id].file} has no \${${key}} placeholder`);
  }
  return text.replace(/\$\{(\w+)\}/g, (_, key: string) => values[key] ?? '');
}

/** Local stand-in ARN of a function, for tests and the sandbox. */
export function localFunctionArn(functionId: string, region = 'us-east-1', account = '111111111111'): string {
  return `arn:aws:lambda:${region}:${account}:function:vpn-guard-${functionId}`;
}
