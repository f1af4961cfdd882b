/**
 * The AWS limits a synthesized VPN Guard template must stay within, checked at synth so a
 * deployment that CloudFormation, Lambda, IAM, Step Functions, EventBridge or CloudWatch would
 * refuse fails before anything is deployed, naming the limit, the value and the fix. Limits the
 * config alone decides (a VPC's canary subnets) are checked by the schema (functions/shared/config.ts).
 *
 * Two passes: {@link checkStackResources} before synth (CDK itself refuses a stack of more than 500
 * resources with a bare count, so ours must come first to say what to change), and
 * {@link DeploymentLimitsPlugin} on the written templates (sizes are only known then).
 */
import { readFileSync, statSync } from 'node:fs';
import {
  CfnResource,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  type PolicyViolation,
  type Stack,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { MAX_LINK_STACKS } from '#shared/config.ts';
import { DeploymentLimitError } from './errors.ts';

/** One documented limit. */
export interface Limit {
  readonly max: number;
  readonly what: string;
  readonly source: string;
}

const CFN_QUOTAS =
  'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html';

/** Every limit checked here, with its documented source. */
export const LIMITS = {
  resources: { max: 500, what: 'resources in a stack', source: CFN_QUOTAS },
  // cfn-lint's LIMITS (src/cfnlint/helpers.py) uses 1,000,000 bytes for the 1 MB template quota.
  templateBytes: { max: 1_000_000, what: 'bytes of a template uploaded through S3', source: CFN_QUOTAS },
  outputs: { max: 200, what: 'outputs in a template', source: CFN_QUOTAS },
  parameters: { max: 200, what: 'parameters in a template', source: CFN_QUOTAS },
  subnets: {
    max: 16,
    what: 'subnets in a function VpcConfig',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/API_VpcConfig.html',
  },
  securityGroups: {
    max: 5,
    what: 'security groups in a function VpcConfig',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/API_VpcConfig.html',
  },
  inlinePolicyChars: {
    max: 10_240,
    what: "non-whitespace characters of a role's inline policies together",
    source: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html',
  },
  managedPolicyChars: {
    max: 6_144,
    what: 'non-whitespace characters of a managed policy',
    source: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html',
  },
  managedPoliciesPerRole: {
    max: 10,
    what: 'managed policies attached to a role (default quota)',
    source: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html',
  },
  definitionBytes: {
    max: 1_048_576,
    what: 'bytes of a state machine definition',
    source: 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html',
  },
  executionInputBytes: {
    max: 262_144,
    what: "bytes of an execution's input (a schedule's target input)",
    source: 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html',
  },
  eventPatternChars: {
    max: 2_048,
    what: 'characters of an EventBridge event pattern (default quota)',
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html',
  },
  dashboardWidgets: {
    max: 500,
    what: 'widgets on a dashboard',
    source:
      'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html',
  },
  widgetMetrics: {
    max: 100,
    what: "metrics in a graph widget's metrics array",
    source:
      'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html',
  },
  widgetAlarms: {
    max: 100,
    what: 'alarms in an alarm status widget',
    source:
      'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html',
  },
} as const satisfies Record<string, Limit>;

export type LimitId = keyof typeof LIMITS;

/** A value over its limit: where, how much, and what to change. */
export interface LimitProblem {
  readonly limit: LimitId;
  readonly stack: string;
  readonly resource?: string;
  readonly value: number;
  readonly fix: string;
}

/** One line: the place, the value, the limit with its source, the fix. */
export function describeProblem(problem: LimitProblem): string {
  const limit = LIMITS[problem.limit];
  const where = problem.resource ? `${problem.stack}/${problem.resource}` : problem.stack;
  return `${where}: ${problem.value} ${limit.what}; AWS allows ${limit.max} (${limit.source}): ${problem.fix}`;
}

// A deploy-time value (Ref, GetAtt, ImportValue) counts as this many characters: an ARN's upper size.
const TOKEN_CHARS = 140;
const PSEUDO_PARAMETER_CHARS: Record<string, number> = {
  'AWS::Partition': 'aws-us-gov'.length,
  'AWS::Region': 'ap-southeast-5'.length,
  'AWS::AccountId': 12,
  'AWS::URLSuffix': 'amazonaws.com.cn'.length,
};

/**
 * A template value as the string it will be once deployed: literal strings kept, `Fn::Join`
 * joined, every other deploy-time value a placeholder of its estimated size (letters only, so the
 * result stays valid inside a JSON string).
 */
export function resolvedText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const join = record['Fn::Join'] as [string, unknown[]] | undefined;
    if (Array.isArray(join)) return join[1].map(resolvedText).join(join[0]);
    const ref = record.Ref;
    if (typeof ref === 'string') return 'X'.repeat(PSEUDO_PARAMETER_CHARS[ref] ?? TOKEN_CHARS);
    const sub = record['Fn::Sub'];
    if (typeof sub === 'string')
      return sub.replace(/\$\{([^}]+)\}/g, (_, name: string) =>
        'X'.repeat(PSEUDO_PARAMETER_CHARS[name] ?? TOKEN_CHARS),
      );
    return 'X'.repeat(TOKEN_CHARS);
  }
  return '';
}

/** A policy document's size as IAM counts it: its JSON without whitespace, deploy-time values estimated. */
function policyChars(document: unknown): number {
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve);
    if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (['Fn::Join', 'Fn::Sub', 'Ref', 'Fn::GetAtt', 'Fn::ImportValue'].some((key) => key in record))
        return resolvedText(record);
      return Object.fromEntries(Object.entries(record).map(([key, child]) => [key, resolve(child)]));
    }
    return node;
  };
  return JSON.stringify(resolve(document)).replace(/\s/g, '').length;
}

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

interface Template {
  readonly Resources?: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, unknown>;
  readonly Parameters?: Record<string, unknown>;
}

const SPLIT_FIX =
  'split the links over more stacks: raise deployment.linkStacks in the config (links spread over that many link stacks by a hash of their names)';

/** Every limit a written template breaks (empty when it is within all of them). */
export function templateLimitProblems(
  stack: string,
  template: Template,
  templateBytes: number,
): LimitProblem[] {
  const problems: LimitProblem[] = [];
  const over = (limit: LimitId, value: number, fix: string, resource?: string) => {
    if (value > LIMITS[limit].max)
      problems.push({ limit, stack, value, fix, ...(resource ? { resource } : {}) });
  };
  const resources = Object.entries(template.Resources ?? {});
  over('resources', resources.length, SPLIT_FIX);
  over('templateBytes', templateBytes, SPLIT_FIX);
  over(
    'outputs',
    Object.keys(template.Outputs ?? {}).length,
    'this app adds a fixed handful of outputs: report it',
  );
  over(
    'parameters',
    Object.keys(template.Parameters ?? {}).length,
    'this app adds a fixed handful of parameters: report it',
  );

  const inlineByRole = new Map<string, number>();
  const managedByRole = new Map<string, number>();
  const roleOf = (ref: unknown) =>
    ref && typeof ref === 'object' ? String((ref as { Ref?: unknown }).Ref) : String(ref);
  for (const [id, resource] of resources) {
    const props = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::Lambda::Function': {
        const vpc = props.VpcConfig as { SubnetIds?: unknown[]; SecurityGroupIds?: unknown[] } | undefined;
        over(
          'subnets',
          vpc?.SubnetIds?.length ?? 0,
          "list at most 16 distinct canary.subnetIds across the VPC's links",
          id,
        );
        over(
          'securityGroups',
          vpc?.SecurityGroupIds?.length ?? 0,
          'report it: the canary uses one security group',
          id,
        );
        break;
      }
      case 'AWS::IAM::Policy':
        for (const role of (props.Roles as unknown[]) ?? []) {
          const name = roleOf(role);
          inlineByRole.set(name, (inlineByRole.get(name) ?? 0) + policyChars(props.PolicyDocument));
        }
        break;
      case 'AWS::IAM::ManagedPolicy':
        over(
          'managedPolicyChars',
          policyChars(props.PolicyDocument),
          'report it: CDK splits role policies into managed policies of at most 6,000 characters',
          id,
        );
        for (const role of (props.Roles as unknown[]) ?? []) {
          const name = roleOf(role);
          managedByRole.set(name, (managedByRole.get(name) ?? 0) + 1);
        }
        break;
      case 'AWS::IAM::Role':
        managedByRole.set(
          id,
          (managedByRole.get(id) ?? 0) + ((props.ManagedPolicyArns as unknown[]) ?? []).length,
        );
        break;
      case 'AWS::StepFunctions::StateMachine': {
        const substitutions = (props.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
        const definition = resolvedText(props.DefinitionString).replace(
          /\$\{(\w+)\}/g,
          (match, key: string) => (key in substitutions ? resolvedText(substitutions[key]) : match),
        );
        over('definitionBytes', Buffer.byteLength(definition, 'utf8'), SPLIT_FIX, id);
        break;
      }
      case 'AWS::Scheduler::Schedule': {
        const input = resolvedText((props.Target as { Input?: unknown } | undefined)?.Input);
        over('executionInputBytes', Buffer.byteLength(input, 'utf8'), SPLIT_FIX, id);
        break;
      }
      case 'AWS::Events::Rule':
        if (props.EventPattern !== undefined)
          over(
            'eventPatternChars',
            JSON.stringify(props.EventPattern).length,
            'report it: the app splits the alarm names over several rules',
            id,
          );
        break;
      case 'AWS::CloudWatch::Dashboard':
        problems.push(...dashboardProblems(stack, id, resolvedText(props.DashboardBody)));
        break;
    }
  }
  for (const [role, chars] of inlineByRole)
    over(
      'inlinePolicyChars',
      chars,
      'report it: CDK moves what passes 10,000 characters into managed policies',
      role,
    );
  for (const [role, count] of managedByRole) over('managedPoliciesPerRole', count, SPLIT_FIX, role);
  return problems;
}

function dashboardProblems(stack: string, id: string, body: string): LimitProblem[] {
  let parsed: { widgets?: { type?: string; properties?: { metrics?: unknown[]; alarms?: unknown[] } }[] };
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const problems: LimitProblem[] = [];
  const widgets = parsed.widgets ?? [];
  const add = (limit: LimitId, value: number, fix: string) => {
    if (value > LIMITS[limit].max) problems.push({ limit, stack, resource: id, value, fix });
  };
  add(
    'dashboardWidgets',
    widgets.length,
    `${SPLIT_FIX} (each link stack has its own dashboard), or set observability.dashboard to false`,
  );
  for (const widget of widgets) {
    add(
      'widgetMetrics',
      widget.properties?.metrics?.length ?? 0,
      'report it: graphs of many links are split into graphs of at most 100 lines',
    );
    add(
      'widgetAlarms',
      widget.properties?.alarms?.length ?? 0,
      'report it: alarm widgets hold one link each',
    );
  }
  return problems;
}

/** Checks every written template of the app; a problem fails synth with the report. */
export class DeploymentLimitsPlugin implements IPolicyValidationPlugin {
  readonly name = 'VPN Guard deployment limits';
  readonly ruleIds = Object.keys(LIMITS);

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations: PolicyViolation[] = [];
    for (const { stackConstructPath, templatePath } of context.stackTemplates) {
      const template = JSON.parse(readFileSync(templatePath, 'utf8')) as Template;
      for (const problem of templateLimitProblems(
        stackConstructPath,
        template,
        statSync(templatePath).size,
      )) {
        violations.push({
          ruleName: `vpn-guard-limit-${problem.limit}`,
          description: describeProblem(problem),
          fix: problem.fix,
          violatingResources: [
            {
              resourceLogicalId: problem.resource ?? stackConstructPath,
              templatePath,
              locations: [problem.limit],
            },
          ],
        });
      }
    }
    return { success: violations.length === 0, violations };
  }
}

/** The CloudFormation resources of a stack or construct before synth (CDK's metadata resource not counted). */
export function countResources(scope: IConstruct | undefined): number {
  return scope ? scope.node.findAll().filter((construct) => CfnResource.isCfnResource(construct)).length : 0;
}

/** What {@link checkStackResources} needs to suggest a fix. */
export interface ResourceCheckContext {
  readonly linkStacks: number;
  readonly links: number;
  /** The resources one link adds to its stack (its alarms). */
  readonly perLink: number;
  /** The config file, for the message. */
  readonly source: string;
  /** The stack that holds the functions and one canary per canary VPC. */
  readonly mainStack: Stack;
  readonly canaryVpcs: number;
}

/**
 * Before synth: every stack within 500 resources, or a {@link DeploymentLimitError} naming the
 * stacks, their counts and the `deployment.linkStacks` that would fit (CDK's own check would only
 * say the count).
 */
export function checkStackResources(stacks: readonly Stack[], context: ResourceCheckContext): void {
  // One resource of headroom: CDK adds its metadata resource (AWS::CDK::Metadata) at synth.
  const max = LIMITS.resources.max - 1;
  const over = stacks
    .map((stack) => ({ stack, count: countResources(stack) }))
    .filter(({ count }) => count > max);
  if (over.length === 0) return;
  // A quarter of headroom for the hash's uneven spread (and for links added later).
  const needed = Math.ceil((context.perLink * context.links * 1.25) / max);
  const suggested = Math.min(MAX_LINK_STACKS, Math.max(context.linkStacks + 1, needed));
  const mainFull = context.linkStacks > 0 && over.some(({ stack }) => stack === context.mainStack);
  const hint = mainFull
    ? `the main stack holds no link alarms any more but one canary function per canary VPC (${context.canaryVpcs} VPCs, about 5 resources each): probe from fewer canary VPCs, or split the links over two deployments (each its own namespace and stackName)`
    : context.linkStacks >= MAX_LINK_STACKS
      ? `deployment.linkStacks is already ${MAX_LINK_STACKS}: split the links over two deployments (each its own namespace and stackName)`
      : `set deployment.linkStacks to ${suggested} or more (it is ${context.linkStacks}; each link adds ${context.perLink} resources to its stack, and the links spread over the link stacks by a hash of their names)`;
  throw new DeploymentLimitError(
    `Invalid VPN Guard deployment (${context.source}):\n  - ${over
      .map(({ stack, count }) => `stack ${stack.stackName} would hold ${count} resources`)
      .join(', ')}; CloudFormation allows ${LIMITS.resources.max} per stack (${CFN_QUOTAS}): ${hint}`,
  );
}
