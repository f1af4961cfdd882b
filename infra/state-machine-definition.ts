/**
 * Turns an ASL file into a DefinitionBody: inlined (so it shows in the template and in `cdk diff`),
 * with the substitution keys checked against the file at synth.
 */
import { DefinitionBody } from 'aws-cdk-lib/aws-stepfunctions';
import { readAsl, type STATE_MACHINES, type StateMachineId, substituteAsl } from './asl.ts';

/** Substitution values for a machine: exactly its keys from infra/asl.ts. */
export type Substitutions<Id extends StateMachineId> = Record<
  (typeof STATE_MACHINES)[Id]['keys'][number],
  string
>;

export interface AslDefinition {
  readonly body: DefinitionBody;
  /** The parsed definition as deployed (before substitution). */
  readonly definition: Record<string, unknown>;
}

/** Remediation's top-level TimeoutSeconds (docs/contracts.md: timeout and lock TTL rule). */
export function remediationTimeoutSeconds(
  replacementTimeoutMinutes: number,
  verifyTimeoutMinutes: number,
): number {
  return (replacementTimeoutMinutes + verifyTimeoutMinutes + 20) * 60;
}

/**
 * Reads `statemachines/<id>.asl.json`, checks its `${Key}` placeholders are exactly the keys the
 * stack substitutes, and applies `overrides` to the top level (e.g. TimeoutSeconds).
 */
export function aslDefinition<Id extends StateMachineId>(
  id: Id,
  substitutions: Substitutions<Id>,
  overrides: Readonly<Record<string, unknown>> = {},
): AslDefinition {
  // Throws naming the key when the file and infra/asl.ts disagree.
  substituteAsl(
    id,
    Object.fromEntries(
      Object.keys(substitutions).map((key) => [key, `arn:aws:lambda:us-east-1:111111111111:function:${key}`]),
    ),
  );
  const definition = { ...(JSON.parse(readAsl(id)) as Record<string, unknown>), ...overrides };
  return { body: DefinitionBody.fromString(JSON.stringify(definition, null, 2)), definition };
}
