/**
 * The synthesized template bound to the world: which role each of the world's callers acts as,
 * and what each role's policies say once CloudFormation's intrinsics are resolved to the world's
 * names and ARNs.
 *
 * Generic, so a function, state machine or schedule added to the stack is picked up without a
 * list to maintain here:
 * - a Lambda function is the world's function with the same function id (GuardFunction writes it
 *   into the role's description, `VPN Guard <functionId>: ...`) and, where several share an id (one
 *   canary per VPC), the same per-instance environment the world gives it (`CANARY_VPC_ID`);
 * - a state machine is the world's machine whose definition substitution keys are the ones
 *   infra/asl.ts lists for it;
 * - an EventBridge Scheduler schedule acts with its target's `RoleArn`;
 * - a role's permissions are the AWS::IAM::Policy resources attached to it, its inline `Policies`
 *   and the AWS managed policies in `ManagedPolicyArns` (modelled ones only: managed-policies.ts);
 * - Lambda's resource-based policy is the function's AWS::Lambda::Permission resources;
 * - what becomes of a failed asynchronous delivery: a rule target's `DeadLetterConfig` and
 *   `RetryPolicy`, a function's AWS::Lambda::EventInvokeConfig (retries, event age, on-failure
 *   destination) and `DeadLetterConfig`, the SQS queues and their queue policies.
 *
 * Names CloudFormation would generate (roles, rules, log groups, the KMS key id) are derived
 * deterministically from the stack name and logical id; names the world fixes (functions, state
 * machines, the table, the topic) are the world's.
 */
import { createHash } from 'node:crypto';
import { STATE_MACHINES, type StateMachineId } from '#infra/asl.ts';
import type { PolicyStatement, SourcedStatement } from './evaluate.ts';
import { type ReferenceResolver, resolveIntrinsics, UnresolvableIntrinsicError } from './intrinsics.ts';
import { managedPolicyStatements } from './managed-policies.ts';
import type { CfnResource, CfnTemplate } from './template.ts';

/** The world's fixed names the template's resources map to. */
export interface WorldNames {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
  /** The world's ARN of a function: its id and the per-instance environment the world gives it. */
  functionArn(functionId: string, environment: Readonly<Record<string, string>>): string;
  /** The world's ARN of a state machine. */
  machineArn(machine: StateMachineId): string;
  readonly tableName: string;
  readonly topicArn: string;
}

/** A role as a caller acts: its ARN, name and resolved statements. */
export interface RolePrincipal {
  readonly roleLogicalId: string;
  readonly roleName: string;
  readonly roleArn: string;
  statements: SourcedStatement[];
}

/** One resource-based permission of a Lambda function (an AWS::Lambda::Permission). */
export interface LambdaPermission {
  readonly logicalId: string;
  readonly functionArn: string;
  readonly action: string;
  readonly principal: string;
  readonly sourceArn?: string;
  readonly sourceAccount?: string;
}

/** One target of an EventBridge rule, with what EventBridge does when it cannot deliver to it. */
export interface RuleTarget {
  readonly arn: string;
  /** The SQS queue of events EventBridge could not deliver (DeadLetterConfig.Arn). */
  readonly deadLetterArn?: string;
  /** RetryPolicy (EventBridge's defaults when absent: 185 attempts, 24 hours). */
  readonly maximumRetryAttempts?: number;
  readonly maximumEventAgeSeconds?: number;
}

/**
 * A function's asynchronous invocation config (AWS::Lambda::EventInvokeConfig of `$LATEST`):
 * absent fields are Lambda's defaults (2 retries, 6 hours).
 */
export interface AsyncInvokeConfig {
  readonly maximumRetryAttempts?: number;
  readonly maximumEventAgeSeconds?: number;
  /** The on-failure destination's ARN. */
  readonly onFailure?: string;
}

/** An SQS queue of the stack. */
export interface QueueResource {
  readonly arn: string;
  readonly name: string;
  /** MessageRetentionPeriod, seconds (SQS's default when absent). */
  readonly retentionSeconds?: number;
}

/** A template the model cannot bind to the world (a gap in the sandbox, not an AWS denial). */
export class DeploymentBindingError extends Error {
  override readonly name = 'DeploymentBindingError';
}

const ROLE_DESCRIPTION = /^VPN Guard ([a-z0-9-]+):/;

export class Deployment {
  private readonly resources: Readonly<Record<string, CfnResource>>;
  private readonly resolver: ReferenceResolver;
  private readonly roles = new Map<string, RolePrincipal>();
  /** World function ARN → role logical id. */
  private readonly functionRoles = new Map<string, string>();
  /** World function ARN → function id. */
  private readonly functionIds = new Map<string, string>();
  private readonly machineRoles = new Map<StateMachineId, string>();
  /** Target ARN → role logical id of the schedules that target it. */
  private readonly scheduleRoles = new Map<string, string[]>();
  private readonly machineIds = new Map<string, StateMachineId>();
  readonly lambdaPermissions: LambdaPermission[] = [];
  /** EventBridge rules: their ARN, target ARNs and the targets' delivery settings. */
  readonly rules: {
    readonly arn: string;
    readonly targets: readonly string[];
    readonly targetDetails: readonly RuleTarget[];
  }[] = [];
  /** World function ARN → its asynchronous invocation config, when the stack sets one. */
  readonly asyncInvokeConfigs = new Map<string, AsyncInvokeConfig>();
  /** World function ARN → its dead-letter queue or topic (DeadLetterConfig.TargetArn). */
  readonly functionDeadLetters = new Map<string, string>();
  /** The stack's SQS queues. */
  readonly queues: QueueResource[] = [];
  /** Alarm name → its dimensions, resolved (metric alarms with a single metric). */
  readonly alarmDimensions = new Map<string, Readonly<Record<string, string>>>();
  /** SNS topic ARN → the ARN of its KMS key, for encrypted topics. */
  readonly topicKeys = new Map<string, string>();
  /**
   * Resource-based policies by resource ARN: SNS topic policies, KMS key policies, and each
   * Lambda function's permissions (AWS::Lambda::Permission, as the statements Lambda builds).
   */
  readonly resourcePolicies = new Map<string, SourcedStatement[]>();

  constructor(
    template: CfnTemplate,
    private readonly names: WorldNames,
  ) {
    this.resources = template.Resources;
    this.resolver = {
      ref: (name) => this.ref(name),
      getAtt: (logicalId, attribute) => this.getAtt(logicalId, attribute),
    };
    for (const [logicalId, resource] of Object.entries(this.resources)) {
      if (resource.Type === 'AWS::StepFunctions::StateMachine') {
        this.machineIds.set(logicalId, this.machineIdOf(logicalId, resource));
      }
    }
    for (const [logicalId, resource] of Object.entries(this.resources)) this.bind(logicalId, resource);
  }

  /** Every resolved role, by logical id. */
  allRoles(): ReadonlyMap<string, RolePrincipal> {
    return this.roles;
  }

  /** The role a world function (by ARN) runs as. */
  functionRole(functionArn: string): RolePrincipal | undefined {
    const id = this.functionRoles.get(functionArn);
    return id === undefined ? undefined : this.role(id);
  }

  /**
   * The instance role of a link's managed gateway (infra/constructs/libreswan-gateway.ts writes
   * `VPN Guard gateway instance of link <name>:` into its description).
   */
  instanceRole(link: string): RolePrincipal | undefined {
    const prefix = `VPN Guard gateway instance of link ${link}:`;
    const found = Object.entries(this.resources).find(
      ([, resource]) =>
        resource.Type === 'AWS::IAM::Role' &&
        String(resource.Properties?.Description ?? '').startsWith(prefix),
    );
    return found ? this.role(found[0]) : undefined;
  }

  /** The world function ARNs the template deploys with this function id. */
  functionsWithId(functionId: string): string[] {
    return [...this.functionIds].filter(([, id]) => id === functionId).map(([arn]) => arn);
  }

  /** The role a state machine's executions run as. */
  machineRole(machine: StateMachineId): RolePrincipal | undefined {
    const id = this.machineRoles.get(machine);
    return id === undefined ? undefined : this.role(id);
  }

  /** The world's ARN of a state machine. */
  machineArn(machine: StateMachineId): string {
    return this.names.machineArn(machine);
  }

  /** The roles of the schedules whose target is `targetArn`. */
  scheduleRolesFor(targetArn: string): RolePrincipal[] {
    return (this.scheduleRoles.get(targetArn) ?? []).map((id) => this.role(id));
  }

  /** Resolves any template value to the world's (for tests and messages). */
  resolve(value: unknown): unknown {
    return resolveIntrinsics(value, this.resolver);
  }

  // Binding ---------------------------------------------------------------------------------------

  private bind(logicalId: string, resource: CfnResource): void {
    const props = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::Lambda::Function': {
        // Functions CDK adds on its own (custom resource providers) are not the world's.
        const functionId = this.functionIdOf(logicalId);
        if (functionId === undefined) break;
        const arn = this.getAtt(logicalId, 'Arn');
        this.functionRoles.set(arn, roleLogicalIdOf(props.Role, logicalId));
        this.functionIds.set(arn, functionId);
        const deadLetter = (props.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn;
        if (deadLetter !== undefined) this.functionDeadLetters.set(arn, String(this.resolve(deadLetter)));
        break;
      }
      case 'AWS::Lambda::EventInvokeConfig': {
        // Only $LATEST is what the world invokes (a version or alias would be another function).
        if (props.Qualifier !== '$LATEST') break;
        const destination = (props.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)
          ?.OnFailure?.Destination;
        this.asyncInvokeConfigs.set(this.functionArnOfName(props.FunctionName), {
          ...(typeof props.MaximumRetryAttempts === 'number'
            ? { maximumRetryAttempts: props.MaximumRetryAttempts }
            : {}),
          ...(typeof props.MaximumEventAgeInSeconds === 'number'
            ? { maximumEventAgeSeconds: props.MaximumEventAgeInSeconds }
            : {}),
          ...(destination !== undefined ? { onFailure: String(this.resolve(destination)) } : {}),
        });
        break;
      }
      case 'AWS::SQS::Queue': {
        const retention = props.MessageRetentionPeriod;
        this.queues.push({
          arn: this.getAtt(logicalId, 'Arn'),
          name: this.getAtt(logicalId, 'QueueName'),
          ...(typeof retention === 'number' ? { retentionSeconds: retention } : {}),
        });
        break;
      }
      case 'AWS::SQS::QueuePolicy': {
        // Queues are named by URL (Ref); a queue policy's statements name the queue by ARN.
        for (const queue of (props.Queues as unknown[]) ?? []) {
          const url = String(this.resolve(queue));
          const arn = `arn:${this.names.partition}:sqs:${this.names.region}:${this.names.account}:${url.split('/').at(-1)}`;
          this.addResourcePolicy(arn, logicalId, props.PolicyDocument);
        }
        break;
      }
      case 'AWS::CloudWatch::Alarm': {
        const dimensions = props.Dimensions as { Name: string; Value: unknown }[] | undefined;
        if (props.AlarmName === undefined || dimensions === undefined) break;
        this.alarmDimensions.set(
          String(this.resolve(props.AlarmName)),
          Object.fromEntries(dimensions.map((d) => [d.Name, String(this.resolve(d.Value))])),
        );
        break;
      }
      case 'AWS::StepFunctions::StateMachine': {
        const machine = this.machineIds.get(logicalId);
        if (machine) this.machineRoles.set(machine, roleLogicalIdOf(props.RoleArn, logicalId));
        break;
      }
      case 'AWS::Scheduler::Schedule': {
        const target = props.Target as { Arn?: unknown; RoleArn?: unknown } | undefined;
        if (!target?.Arn) break;
        const arn = String(this.resolve(target.Arn));
        this.scheduleRoles.set(arn, [
          ...(this.scheduleRoles.get(arn) ?? []),
          roleLogicalIdOf(target.RoleArn, logicalId),
        ]);
        break;
      }
      case 'AWS::Lambda::Permission': {
        const functionName = String(this.resolve(props.FunctionName));
        const permission: LambdaPermission = {
          logicalId,
          functionArn: this.functionArnOfName(functionName),
          action: String(props.Action),
          principal: String(this.resolve(props.Principal)),
          ...(props.SourceArn === undefined ? {} : { sourceArn: String(this.resolve(props.SourceArn)) }),
          ...(props.SourceAccount === undefined
            ? {}
            : { sourceAccount: String(this.resolve(props.SourceAccount)) }),
        };
        this.lambdaPermissions.push(permission);
        break;
      }
      case 'AWS::SNS::TopicPolicy': {
        for (const topic of (props.Topics as unknown[]) ?? []) {
          this.addResourcePolicy(String(this.resolve(topic)), logicalId, props.PolicyDocument);
        }
        break;
      }
      case 'AWS::KMS::Key':
        if (props.KeyPolicy !== undefined) {
          this.addResourcePolicy(this.getAtt(logicalId, 'Arn'), logicalId, props.KeyPolicy);
        }
        break;
      case 'AWS::Events::Rule': {
        const targets =
          (props.Targets as
            | {
                Arn: unknown;
                DeadLetterConfig?: { Arn?: unknown };
                RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
              }[]
            | undefined) ?? [];
        const details = targets.map(
          (target): RuleTarget => ({
            arn: String(this.resolve(target.Arn)),
            ...(target.DeadLetterConfig?.Arn !== undefined
              ? { deadLetterArn: String(this.resolve(target.DeadLetterConfig.Arn)) }
              : {}),
            ...(target.RetryPolicy?.MaximumRetryAttempts !== undefined
              ? { maximumRetryAttempts: target.RetryPolicy.MaximumRetryAttempts }
              : {}),
            ...(target.RetryPolicy?.MaximumEventAgeInSeconds !== undefined
              ? { maximumEventAgeSeconds: target.RetryPolicy.MaximumEventAgeInSeconds }
              : {}),
          }),
        );
        this.rules.push({
          arn: this.getAtt(logicalId, 'Arn'),
          targets: details.map((target) => target.arn),
          targetDetails: details,
        });
        break;
      }
      case 'AWS::SNS::Topic':
        if (props.KmsMasterKeyId !== undefined) {
          const key = String(this.resolve(props.KmsMasterKeyId));
          this.topicKeys.set(this.ref(logicalId), this.keyArn(key));
        }
        break;
    }
  }

  /** A function as a FunctionName property names it (name or ARN, resolved), as its world ARN. */
  private functionArnOfName(value: unknown): string {
    const name = String(this.resolve(value));
    return name.startsWith('arn:')
      ? name
      : `arn:${this.names.partition}:lambda:${this.names.region}:${this.names.account}:function:${name}`;
  }

  private addResourcePolicy(arn: string, policy: string, document: unknown): void {
    const resolved = this.resolve(document) as { Statement?: PolicyStatement | PolicyStatement[] };
    const statements = this.resourcePolicies.get(arn) ?? [];
    for (const statement of [resolved.Statement ?? []].flat()) statements.push({ policy, statement });
    this.resourcePolicies.set(arn, statements);
  }

  /**
   * The resource-based policy of `arn`, if it has one. A function's is the statements Lambda makes
   * of its permissions (AddPermission: principal, action, `aws:SourceArn` / `aws:SourceAccount`).
   */
  resourcePolicy(arn: string): readonly SourcedStatement[] | undefined {
    const permissions = this.lambdaPermissions.filter((p) => p.functionArn === arn);
    if (permissions.length === 0) return this.resourcePolicies.get(arn);
    return permissions.map(
      (p): SourcedStatement => ({
        policy: p.logicalId,
        statement: {
          Effect: 'Allow',
          Principal: { [p.principal.includes('.') ? 'Service' : 'AWS']: p.principal },
          Action: p.action,
          Resource: p.functionArn,
          ...(p.sourceArn || p.sourceAccount
            ? {
                Condition: {
                  ...(p.sourceArn ? { ArnLike: { 'aws:SourceArn': p.sourceArn } } : {}),
                  ...(p.sourceAccount ? { StringEquals: { 'aws:SourceAccount': p.sourceAccount } } : {}),
                },
              }
            : {}),
        },
      }),
    );
  }

  /** A key id, key ARN or alias as SNS takes it, as the key's ARN. */
  private keyArn(key: string): string {
    if (key.startsWith('arn:')) return key;
    return `arn:${this.names.partition}:kms:${this.names.region}:${this.names.account}:${key.startsWith('alias/') ? key : `key/${key}`}`;
  }

  private role(logicalId: string): RolePrincipal {
    const known = this.roles.get(logicalId);
    if (known) return known;
    const resource = this.resources[logicalId];
    if (resource?.Type !== 'AWS::IAM::Role') {
      throw new DeploymentBindingError(`${logicalId} is not an AWS::IAM::Role in the template`);
    }
    const props = resource.Properties ?? {};
    const statements: SourcedStatement[] = [];
    const add = (policy: string, document: unknown) => {
      const resolved = this.resolve(document) as { Statement?: PolicyStatement | PolicyStatement[] };
      for (const statement of [resolved.Statement ?? []].flat()) statements.push({ policy, statement });
    };
    for (const [id, policy] of Object.entries(this.resources)) {
      if (policy.Type !== 'AWS::IAM::Policy') continue;
      const attached = (policy.Properties?.Roles as unknown[] | undefined) ?? [];
      if (attached.some((role) => JSON.stringify(role) === JSON.stringify({ Ref: logicalId }))) {
        add(String(policy.Properties?.PolicyName ?? id), policy.Properties?.PolicyDocument);
      }
    }
    for (const inline of (props.Policies as { PolicyName: string; PolicyDocument: unknown }[]) ?? []) {
      add(inline.PolicyName, inline.PolicyDocument);
    }
    for (const arn of (props.ManagedPolicyArns as unknown[]) ?? []) {
      const name = String(this.resolve(arn));
      for (const statement of managedPolicyStatements(name)) statements.push({ policy: name, statement });
    }
    const principal: RolePrincipal = {
      roleLogicalId: logicalId,
      roleName: this.ref(logicalId),
      roleArn: this.getAtt(logicalId, 'Arn'),
      statements,
    };
    this.roles.set(logicalId, principal);
    return principal;
  }

  /** The function id GuardFunction wrote into the role's description; undefined for other functions. */
  private functionIdOf(logicalId: string): string | undefined {
    const props = this.resources[logicalId]?.Properties ?? {};
    const role = this.resources[roleLogicalIdOf(props.Role, logicalId)];
    return ROLE_DESCRIPTION.exec(String(role?.Properties?.Description ?? ''))?.[1];
  }

  private machineIdOf(logicalId: string, resource: CfnResource): StateMachineId {
    const keys = Object.keys(
      (resource.Properties?.DefinitionSubstitutions as object | undefined) ?? {},
    ).sort();
    const found = (Object.keys(STATE_MACHINES) as StateMachineId[]).find(
      (id) => JSON.stringify([...STATE_MACHINES[id].keys].sort()) === JSON.stringify(keys),
    );
    if (!found) {
      throw new DeploymentBindingError(
        `state machine ${logicalId} has substitutions ${keys.join(', ')}, which match no machine of infra/asl.ts`,
      );
    }
    return found;
  }

  // Ref and Fn::GetAtt ----------------------------------------------------------------------------

  private ref(name: string): string {
    const { partition, region, account, stackName } = this.names;
    switch (name) {
      case 'AWS::Partition':
        return partition;
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return account;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      case 'AWS::StackId':
        return `arn:${partition}:cloudformation:${region}:${account}:stack/${stackName}/${uuidOf(stackName)}`;
      case 'AWS::NoValue':
        return '';
    }
    const resource = this.resource(name);
    const props = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::Lambda::Function':
        return this.getAtt(name, 'Arn').split(':').at(-1) ?? '';
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SNS::Topic':
        return this.getAtt(name, 'Arn');
      case 'AWS::DynamoDB::Table': {
        if (props.TableName !== undefined) return String(this.resolve(props.TableName));
        // The world holds one table (the lock table): a second unnamed one would need its own mapping.
        const unnamed = Object.values(this.resources).filter(
          (r) => r.Type === 'AWS::DynamoDB::Table' && r.Properties?.TableName === undefined,
        );
        if (unnamed.length > 1) {
          throw new DeploymentBindingError(
            `the template has ${unnamed.length} unnamed DynamoDB tables; map ${name} to the world's table in sandbox/iam/deployment.ts`,
          );
        }
        return this.names.tableName;
      }
      case 'AWS::KMS::Key':
        return uuidOf(`${stackName}/${name}`);
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm':
        return String(this.resolve(props.AlarmName ?? this.generatedName(name)));
      case 'AWS::IAM::Role':
        return String(props.RoleName ?? this.generatedName(name, 64));
      case 'AWS::Logs::LogGroup':
        return String(this.resolve(props.LogGroupName ?? this.generatedName(name)));
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${this.generatedName(name, 80)}`;
      case 'AWS::EC2::SecurityGroup':
        return `sg-${hashOf(name).slice(0, 17)}`;
      default:
        return String(props.Name ?? this.generatedName(name));
    }
  }

  private getAtt(logicalId: string, attribute: string): string {
    const { partition, region, account } = this.names;
    const resource = this.resource(logicalId);
    const props = resource.Properties ?? {};
    const arn = (service: string, rest: string, withRegion = true) =>
      `arn:${partition}:${service}:${withRegion ? region : ''}:${account}:${rest}`;
    const unsupported = () =>
      new UnresolvableIntrinsicError(`Fn::GetAtt ${logicalId}.${attribute} (${resource.Type})`);
    switch (resource.Type) {
      case 'AWS::Lambda::Function': {
        if (attribute !== 'Arn') throw unsupported();
        const functionId = this.functionIdOf(logicalId);
        if (functionId === undefined) return arn('lambda', `function:${this.generatedName(logicalId)}`);
        const environment = Object.fromEntries(
          Object.entries(
            ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
              {}) as Record<string, unknown>,
          ).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
        );
        return this.names.functionArn(functionId, environment);
      }
      case 'AWS::StepFunctions::StateMachine': {
        const machine = this.machineIds.get(logicalId);
        if (!machine) throw unsupported();
        const machineArn = this.names.machineArn(machine);
        if (attribute === 'Arn') return machineArn;
        if (attribute === 'Name') return machineArn.split(':').at(-1) ?? '';
        throw unsupported();
      }
      case 'AWS::SNS::Topic':
        if (attribute === 'TopicArn' || attribute === 'Arn') return this.names.topicArn;
        if (attribute === 'TopicName') return this.names.topicArn.split(':').at(-1) ?? '';
        throw unsupported();
      case 'AWS::DynamoDB::Table':
        if (attribute === 'Arn') return arn('dynamodb', `table/${this.ref(logicalId)}`);
        throw unsupported();
      case 'AWS::KMS::Key':
        if (attribute === 'Arn') return arn('kms', `key/${this.ref(logicalId)}`);
        if (attribute === 'KeyId') return this.ref(logicalId);
        throw unsupported();
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm':
        if (attribute === 'Arn') return arn('cloudwatch', `alarm:${this.ref(logicalId)}`);
        throw unsupported();
      case 'AWS::IAM::Role':
        if (attribute === 'Arn') return arn('iam', `role/${this.ref(logicalId)}`, false);
        if (attribute === 'RoleId') return `AROA${hashOf(logicalId).slice(0, 17).toUpperCase()}`;
        throw unsupported();
      case 'AWS::Events::Rule':
        if (attribute === 'Arn') return arn('events', `rule/${this.ref(logicalId)}`);
        throw unsupported();
      case 'AWS::Logs::LogGroup':
        if (attribute === 'Arn') return arn('logs', `log-group:${this.ref(logicalId)}:*`);
        throw unsupported();
      case 'AWS::SQS::Queue':
        if (attribute === 'Arn') return arn('sqs', this.ref(logicalId).split('/').at(-1) ?? '');
        if (attribute === 'QueueName') return this.ref(logicalId).split('/').at(-1) ?? '';
        throw unsupported();
      case 'AWS::EC2::SecurityGroup':
        if (attribute === 'GroupId') return this.ref(logicalId);
        throw unsupported();
      default:
        throw unsupported();
    }
  }

  private resource(logicalId: string): CfnResource {
    const resource = this.resources[logicalId];
    if (!resource) throw new UnresolvableIntrinsicError(`no resource ${logicalId} in the template`);
    return resource;
  }

  /** A physical name as CloudFormation generates one: stack name, logical id, a random suffix. */
  private generatedName(logicalId: string, max = 64): string {
    const suffix = hashOf(`${this.names.stackName}/${logicalId}`).slice(0, 12).toUpperCase();
    return `${`${this.names.stackName}-${logicalId}`.slice(0, max - 13)}-${suffix}`;
  }
}

/** The role logical id in a `Role` / `RoleArn` property (`Fn::GetAtt [Role, Arn]`). */
function roleLogicalIdOf(value: unknown, owner: string): string {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  const id = Array.isArray(getAtt)
    ? getAtt[0]
    : typeof getAtt === 'string'
      ? getAtt.split('.')[0]
      : undefined;
  if (typeof id !== 'string') {
    throw new DeploymentBindingError(
      `${owner} names its role as ${JSON.stringify(value)}, not a role of the stack`,
    );
  }
  return id;
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A deterministic UUID-shaped id. */
function uuidOf(text: string): string {
  const h = hashOf(text);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
