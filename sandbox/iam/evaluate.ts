/**
 * IAM's policy evaluation for one request against one principal's identity-based statements, as
 * the IAM User Guide documents it (policy evaluation logic; condition operators; single- and
 * multi-valued context keys):
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 *
 * - An explicit Deny in any matching statement wins; otherwise an Allow is needed; otherwise the
 *   request is implicitly denied.
 * - Action / NotAction match case-insensitively with `*` and `?`.
 * - Resource / NotResource match ARNs segment by segment (partition, service, Region, account
 *   separately, the resource part as a whole) with `*` and `?`, case-sensitively.
 * - Condition: every operator, every key under it must hold (AND); any of a key's values may
 *   match (OR). A key absent from the request context makes a positive operator false, a negated
 *   one true, and `...IfExists` true; `Null` tests presence. `ForAnyValue:` / `ForAllValues:`
 *   compare sets.
 *
 * Pure: no world, no SDK. The statements given are already resolved (no CloudFormation left).
 */

/** A condition value as a policy writes it (strings, booleans or numbers, one or a list). */
export type ConditionValue = string | number | boolean | readonly (string | number | boolean)[];

/** One statement of an identity-based policy, intrinsics resolved. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, ConditionValue>>>>;
  /** Resource-based policies only: who the statement is about. */
  readonly Principal?: PrincipalElement;
  readonly NotPrincipal?: PrincipalElement;
}

/** A policy's Principal element: `*`, or principals by kind (`AWS`, `Service`, ...). */
export type PrincipalElement = '*' | Readonly<Record<string, string | readonly string[]>>;

/** Who is asking, for matching the Principal element of resource-based policies. */
export type RequestPrincipal =
  | { readonly kind: 'service'; readonly service: string }
  | {
      readonly kind: 'role';
      readonly roleArn: string;
      readonly assumedRoleArn: string;
      readonly account: string;
    };

/**
 * How a resource-based statement's Principal names `who`: `direct` (the role, its session, the
 * service, or `*`), `account` (the account, `arn:aws:iam::<acct>:root`: that delegates to the
 * account's identity-based policies and grants nothing by itself), or not at all. IAM User Guide,
 * "AWS JSON policy elements: Principal".
 */
export function principalMatch(
  statement: PolicyStatement,
  who: RequestPrincipal,
): 'direct' | 'account' | false {
  const element = statement.Principal;
  if (element === undefined) return false;
  if (element === '*') return 'direct';
  const named = (kind: string) => list(element[kind]);
  if (named('AWS').includes('*')) return 'direct';
  if (who.kind === 'service') return named('Service').includes(who.service) ? 'direct' : false;
  const aws = named('AWS');
  if (aws.includes(who.roleArn) || aws.includes(who.assumedRoleArn)) return 'direct';
  if (aws.some((p) => p === who.account || p.endsWith(`:iam::${who.account}:root`))) return 'account';
  return false;
}

/** A statement together with where it came from (for messages and narrowing). */
export interface SourcedStatement {
  /** The policy's name (e.g. the AWS::IAM::Policy's PolicyName or a managed policy's name). */
  readonly policy: string;
  readonly statement: PolicyStatement;
}

/** The request context: the values of the condition keys the request carries. */
export type RequestContext = Readonly<Record<string, string | readonly string[]>>;

/** One authorization question: may the principal perform `action` on `resource`? */
export interface AuthorizationRequest {
  /** `service:Action`, e.g. `ec2:AssociateAddress`. */
  readonly action: string;
  /** The resource ARN, or `*` for an action without resource types. */
  readonly resource: string;
  readonly context: RequestContext;
}

export type Decision =
  | { readonly allowed: true; readonly by: SourcedStatement }
  | { readonly allowed: false; readonly reason: 'explicit-deny'; readonly by: SourcedStatement }
  | { readonly allowed: false; readonly reason: 'implicit-deny' };

/** A policy the evaluator cannot evaluate as written (an unknown operator): a sandbox gap, not a denial. */
export class UnsupportedPolicyError extends Error {
  override readonly name = 'UnsupportedPolicyError';
}

/** Evaluates `request` against `statements`: explicit deny wins, then any allow, else implicit deny. */
export function evaluate(statements: readonly SourcedStatement[], request: AuthorizationRequest): Decision {
  let allow: SourcedStatement | undefined;
  for (const sourced of statements) {
    if (!statementApplies(sourced.statement, request)) continue;
    if (sourced.statement.Effect === 'Deny') return { allowed: false, reason: 'explicit-deny', by: sourced };
    allow ??= sourced;
  }
  return allow ? { allowed: true, by: allow } : { allowed: false, reason: 'implicit-deny' };
}

/** Whether one statement's action, resource and condition all match the request. */
export function statementApplies(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  return (
    matchesActions(statement, request.action) &&
    matchesResources(statement, request.resource) &&
    conditionHolds(statement.Condition, request.context)
  );
}

// Matching ---------------------------------------------------------------------------------------

const list = <T>(value: T | readonly T[] | undefined): readonly T[] =>
  value === undefined ? [] : Array.isArray(value) ? (value as readonly T[]) : [value as T];

function matchesActions(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined) return list(statement.Action).some((p) => actionMatches(p, action));
  if (statement.NotAction !== undefined)
    return !list(statement.NotAction).some((p) => actionMatches(p, action));
  return false;
}

function matchesResources(statement: PolicyStatement, resource: string): boolean {
  if (statement.Resource !== undefined) return list(statement.Resource).some((p) => arnMatches(p, resource));
  if (statement.NotResource !== undefined)
    return !list(statement.NotResource).some((p) => arnMatches(p, resource));
  return false;
}

/** `pattern` (with `*` and `?`) matches `action`, ignoring case, as IAM compares action names. */
export function actionMatches(pattern: string, action: string): boolean {
  return glob(pattern.toLowerCase(), action.toLowerCase());
}

/**
 * A Resource element matches an ARN: `*` matches everything; otherwise the first five
 * colon-separated segments are compared one by one and the rest (the resource part, which may
 * itself hold colons) as a whole, each with `*` and `?` (IAM User Guide, "IAM JSON policy
 * elements: Resource": wildcards "can be used within any ARN segment").
 */
export function arnMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const p = splitArn(pattern);
  const a = splitArn(arn);
  if (!p || !a) return glob(pattern, arn);
  return p.every((segment, i) => glob(segment, a[i] ?? ''));
}

function splitArn(value: string): string[] | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** Glob with `*` (any run, including empty) and `?` (one character). */
function glob(pattern: string, value: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === value;
  const source = [...pattern]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's').test(value);
}

// Conditions -------------------------------------------------------------------------------------

type Comparator = (contextValue: string, policyValue: string) => boolean;

/** The base operators (without IfExists / set prefixes): comparator and whether it is negated. */
const OPERATORS: Readonly<Record<string, { readonly compare: Comparator; readonly negated: boolean }>> = {
  StringEquals: { compare: (c, p) => c === p, negated: false },
  StringNotEquals: { compare: (c, p) => c === p, negated: true },
  StringEqualsIgnoreCase: { compare: (c, p) => c.toLowerCase() === p.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (c, p) => c.toLowerCase() === p.toLowerCase(), negated: true },
  StringLike: { compare: (c, p) => glob(p, c), negated: false },
  StringNotLike: { compare: (c, p) => glob(p, c), negated: true },
  ArnEquals: { compare: (c, p) => arnMatches(p, c), negated: false },
  ArnLike: { compare: (c, p) => arnMatches(p, c), negated: false },
  ArnNotEquals: { compare: (c, p) => arnMatches(p, c), negated: true },
  ArnNotLike: { compare: (c, p) => arnMatches(p, c), negated: true },
  Bool: { compare: (c, p) => c.toLowerCase() === p.toLowerCase(), negated: false },
  NumericEquals: { compare: (c, p) => Number(c) === Number(p), negated: false },
  NumericNotEquals: { compare: (c, p) => Number(c) === Number(p), negated: true },
  NumericLessThan: { compare: (c, p) => Number(c) < Number(p), negated: false },
  NumericLessThanEquals: { compare: (c, p) => Number(c) <= Number(p), negated: false },
  NumericGreaterThan: { compare: (c, p) => Number(c) > Number(p), negated: false },
  NumericGreaterThanEquals: { compare: (c, p) => Number(c) >= Number(p), negated: false },
};

/** Whether a statement's Condition block holds in `context` (no block: it holds). */
export function conditionHolds(condition: PolicyStatement['Condition'], context: RequestContext): boolean {
  if (!condition) return true;
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) =>
      operatorHolds(operator, lookup(context, key), list(values as ConditionValue).map(String)),
    ),
  );
}

/** Condition keys are case-insensitive (the key name; tag keys keep their case in the value). */
function lookup(context: RequestContext, key: string): readonly string[] | undefined {
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) {
    if (name.toLowerCase() === wanted) return list(value);
  }
  return undefined;
}

function operatorHolds(
  operator: string,
  contextValues: readonly string[] | undefined,
  policyValues: readonly string[],
): boolean {
  if (operator === 'Null') {
    // "true": the key must be absent; "false": present (and not null).
    const absent = contextValues === undefined;
    return policyValues.some((value) => (value.toLowerCase() === 'true') === absent);
  }
  const set = /^(ForAnyValue|ForAllValues):(.+)$/.exec(operator);
  const rest = set?.[2] ?? operator;
  const ifExists = rest.endsWith('IfExists');
  const baseName = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
  const base = OPERATORS[baseName];
  if (!base)
    throw new UnsupportedPolicyError(`condition operator ${operator} is not modelled by the sandbox`);
  // One context value against the policy's values: any of them may match (OR); negated: none.
  const valueMatches = (value: string) => {
    const hit = policyValues.some((policyValue) => base.compare(value, policyValue));
    return base.negated ? !hit : hit;
  };
  if (contextValues === undefined) {
    if (ifExists) return true;
    if (set?.[1] === 'ForAllValues') return true;
    if (set?.[1] === 'ForAnyValue') return false;
    return base.negated;
  }
  if (set?.[1] === 'ForAllValues') return contextValues.every(valueMatches);
  if (set?.[1] === 'ForAnyValue') return contextValues.some(valueMatches);
  // A single-valued operator given several values (not the case for the keys the world supplies):
  // negated operators need every value to miss, positive ones any value to hit.
  return base.negated ? contextValues.every(valueMatches) : contextValues.some(valueMatches);
}
