/**
 * cdk-nag acknowledgements. Validations keeps one reason per rule id and construct (the last one
 * recorded wins), so reasons given for the same finding on the same construct are joined here
 * rather than silently replaced.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

const reasonsByScope = new WeakMap<IConstruct, Map<string, string[]>>();

/**
 * Acknowledges a cdk-nag finding (e.g. `AwsSolutions-IAM5[Resource::*]`) on a construct and its
 * children, with a reason a reviewer can check.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length === 0)
    throw new Error(`acknowledgement of ${id} on ${scope.node.path} needs a reason`);
  let byId = reasonsByScope.get(scope);
  if (!byId) {
    byId = new Map();
    reasonsByScope.set(scope, byId);
  }
  const reasons = byId.get(id) ?? [];
  if (!reasons.includes(reason)) reasons.push(reason);
  byId.set(id, reasons);
  Validations.of(scope).acknowledge({ id, reason: reasons.join(' ') });
}

/** The finding id cdk-nag reports for a wildcard resource or action in an IAM policy. */
export function iam5(kind: 'Resource' | 'Action', value: string): string {
  return `AwsSolutions-IAM5[${kind}::${value}]`;
}
