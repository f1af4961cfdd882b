/**
 * Every log group survives the two ways a fixed-name, `Retain` group blocks the next deploy
 * (../shared/aws-facts.md section 10): a failed first create, and a `cdk destroy`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG, logicalId, type Synthesized, synthesize } from './support.ts';

let synthesized: Synthesized;
type Resource = {
  Properties: { LogGroupName?: unknown };
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
let groups: Record<string, Resource>;

beforeAll(() => {
  synthesized = synthesize(EXAMPLE_CONFIG);
  groups = synthesized.template.findResources('AWS::Logs::LogGroup') as Record<string, Resource>;
});

/** The stack UUID: the third '/'-field of the AWS::StackId ARN. */
const STACK_UUID = { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] };

describe('log groups', () => {
  it('are all RetainExceptOnCreate: deleted with a failed create, kept on delete and replacement', () => {
    // Assess: the state machines' two and one per function (7 functions for the example config).
    expect(Object.keys(groups)).toHaveLength(9);
    for (const [id, group] of Object.entries(groups)) {
      expect(group.DeletionPolicy, id).toBe('RetainExceptOnCreate');
      expect(group.UpdateReplacePolicy, id).toBe('Retain');
    }
  });

  it.each([
    ['Monitor', () => synthesized.stack.monitor],
    ['Remediation', () => synthesized.stack.remediation],
  ] as const)(
    'the %s machine logs to a vended-logs group named after this stack instance (its UUID)',
    (machine, of) => {
      // Prepare
      const id = logicalId(of().node.findChild('LogGroup'));
      // Assess: a group kept after `cdk destroy` has another stack's UUID in its name, so the next
      // deploy's group never collides with it; an update keeps the UUID, so it never renames.
      expect(groups[id]?.Properties.LogGroupName).toEqual({
        'Fn::Join': ['', [`/aws/vendedlogs/states/VpnGuard-${machine}-`, STACK_UUID]],
      });
    },
  );

  it('gives no function log group a fixed name (CloudFormation generates a unique one)', () => {
    const machineGroups = new Set(
      [synthesized.stack.monitor, synthesized.stack.remediation].map((c) =>
        logicalId(c.node.findChild('LogGroup')),
      ),
    );
    const named = Object.entries(groups).filter(
      ([id, group]) => !machineGroups.has(id) && group.Properties.LogGroupName !== undefined,
    );
    expect(named.map(([id]) => id)).toEqual([]);
  });

  it('names no log group with a constant string (every fixed part carries the stack UUID)', () => {
    for (const [id, group] of Object.entries(groups)) {
      const name = group.Properties.LogGroupName;
      if (name === undefined) continue;
      expect(typeof name, id).not.toBe('string');
      expect(JSON.stringify(name), id).toContain(JSON.stringify(STACK_UUID));
    }
  });
});
