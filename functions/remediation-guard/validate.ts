/**
 * The Remediation machine's first state: the execution input checked against the contract and the
 * deployment's config, resolved into the context every later state reads. Pure: no AWS call happens
 * before (or in) this step, so a bad input changes nothing and notifies nobody.
 */
import type { Config } from '#shared/config.ts';
import { findLink, remediationEnabledFor } from '#shared/config.ts';
import { CanaryError, InvalidInputError } from '#shared/errors.ts';
import { REQUEST_FIELDS, RemediationRequestSchema } from './schema.ts';
import type { RemediationContext } from './types.ts';

/** Identity of the execution, from the context object (`$$.Execution`). */
export interface ExecutionMeta {
  readonly executionId: string;
  readonly executionName: string;
  readonly startedAt: string;
}

const DEFAULT_REASON = {
  alarm: 'Outage alarm in ALARM',
  drill: 'failover drill',
  manual: 'manual remediation',
} as const;

/**
 * Parses the execution input strictly and resolves it against the config.
 * @throws InvalidInputError naming the bad field(s) and the configured links.
 * @throws CanaryError when the link's VPC has no canary function (a deployment fault, not an input one).
 */
export function resolveRequest(
  raw: unknown,
  config: Config,
  canaryFunctions: Readonly<Record<string, string>>,
  meta: ExecutionMeta,
): RemediationContext {
  const links = config.links.map((link) => link.name);
  const known = `configured links: ${links.join(', ')}`;
  const parsed = RemediationRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.') || '(input)';
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((key) => JSON.stringify(key)).join(', ');
        return `unknown field(s) ${keys}: the input accepts ${REQUEST_FIELDS.join(', ')}`;
      }
      if (field === '(input)') {
        return '(input): must be an object like {"link":"<link>","trigger":"drill","dryRun":true}';
      }
      const value = fieldValue(raw, issue.path);
      const shown = value === undefined ? 'nothing (the field is missing)' : JSON.stringify(value);
      return `${field}: got ${shown}: ${issue.message}`;
    });
    throw new InvalidInputError(`invalid remediation input: ${problems.join('; ')}; ${known}`);
  }
  const request = parsed.data;
  const link = findLink(config, request.link);
  if (!link) {
    throw new InvalidInputError(`link: ${JSON.stringify(request.link)} is not a configured link; ${known}`);
  }
  if (request.trigger === 'alarm' && !remediationEnabledFor(config, link)) {
    // The switch turns off automatic remediation only: a human can still start a drill or a manual run.
    throw new InvalidInputError(
      `trigger: automatic remediation is disabled for ${link.name} (remediation.enabled is false); start it as "manual" or "drill" instead`,
    );
  }
  const canaryFunctionArn = canaryFunctions[link.canary.vpcId];
  if (!canaryFunctionArn) {
    const deployed = Object.keys(canaryFunctions).join(', ') || 'none';
    throw new CanaryError(
      `no canary function is deployed for ${link.canary.vpcId} (link ${link.name}); the deployment's canaryFunctions has: ${deployed}`,
    );
  }
  return {
    link: link.name,
    trigger: request.trigger,
    dryRun: request.dryRun,
    reason: request.reason ?? DEFAULT_REASON[request.trigger],
    executionId: meta.executionId,
    executionName: meta.executionName,
    startedAt: meta.startedAt,
    // A drill or a human asked for the replacement on purpose: re-probing would only make it refuse.
    confirm: request.trigger === 'alarm',
    canaryFunctionArn,
    linkConfig: link,
    settings: config.remediation,
    deadlines: {
      replacementTimeoutMinutes: config.remediation.replacementTimeoutMinutes,
      verifyTimeoutMinutes: config.remediation.verifyTimeoutMinutes,
    },
  };
}

/**
 * The canary functions the stack substituted into the Remediation definition: `vpcId=functionArn`
 * pairs joined by commas (neither a VPC id nor an ARN contains "=" or ","), checked.
 */
export function parseCanaryFunctions(raw: string): Record<string, string> {
  const entries = raw
    .split(',')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const at = pair.indexOf('=');
      const vpcId = at < 0 ? '' : pair.slice(0, at);
      const arn = at < 0 ? '' : pair.slice(at + 1);
      if (!vpcId.startsWith('vpc-') || !arn.startsWith('arn:')) {
        throw new Error(
          `canaryFunctions: got ${JSON.stringify(pair)}: each entry must be vpcId=functionArn (the stack substitutes them into the Remediation definition)`,
        );
      }
      return [vpcId, arn] as const;
    });
  return Object.fromEntries(entries);
}

function fieldValue(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
