/**
 * The one place Lambda defaults live: every VPN Guard function is a GuardFunction, so runtime,
 * architecture, bundling, logging, tracing and IAM are the same everywhere and written once.
 */
import { fileURLToPath } from 'node:url';
import { Duration, Stack } from 'aws-cdk-lib';
import type { ISecurityGroup, ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import { type PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Config } from '#shared/config.ts';
import { EnvironmentTooLargeError } from '../errors.ts';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES } from '../load-config.ts';
import { acknowledge, iam5 } from '../nag.ts';
import { GUARD_NODE_OPTIONS, guardBundling } from './bundling.ts';
import { LOG_GROUP_REMOVAL_POLICY } from './log-groups.ts';

/** The function folders under functions/ (each has a handler.ts exporting `handler`). */
export type FunctionId =
  | 'check-tunnel'
  | 'ping-canary'
  | 'publish-metric'
  | 'start-remediation'
  | 'remediation-guard'
  | 'gateway'
  | 'notify'
  | 'gateway-config';

/** Subnets and security group of a function that runs inside a VPC (only the canary does). */
export interface GuardFunctionVpcPlacement {
  readonly vpc: IVpc;
  readonly subnets: readonly ISubnet[];
  readonly securityGroup: ISecurityGroup;
}

export interface GuardFunctionProps {
  /** Which function's code (folder under functions/). */
  readonly functionId: FunctionId;
  /**
   * The validated deployment config, bundled into the function's code as `__VPN_GUARD_CONFIG__`
   * (not its environment, which Lambda caps at 4 KB): see functions/shared/runtime-config.ts.
   */
  readonly config: Config;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /** Variables besides the ones every function gets. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Run the function in a VPC. @default - not in a VPC */
  readonly vpcPlacement?: GuardFunctionVpcPlacement;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Deploy-time values (ARNs, names) are tokens at synth; count each as this many bytes. */
const TOKEN_SIZE_ESTIMATE = 140;
const TOKEN_PATTERN = /\$\{Token\[[^\]]+\]\}/g;

/** A NodejsFunction with VPN Guard's defaults, its own role (inline policies only) and log group. */
export class GuardFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: GuardFunctionProps) {
    super(scope, id);
    const environment: Record<string, string> = {
      NODE_OPTIONS: GUARD_NODE_OPTIONS,
      POWERTOOLS_SERVICE_NAME: 'vpn-guard',
      ...props.environment,
    };
    checkEnvironmentSize(this.node.path, environment);

    // No fixed name (CloudFormation generates one), and deleted when its own create fails.
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.config.observability.logRetentionDays as RetentionDays,
      removalPolicy: LOG_GROUP_REMOVAL_POLICY,
    });
    // An explicit role so no AWS managed policy (AWSLambdaBasicExecutionRole) is attached.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `VPN Guard ${props.functionId}: exactly the calls listed in docs/contracts.md`,
    });
    this.logGroup.grantWrite(this.role);

    const placement = props.vpcPlacement;
    this.function = new NodejsFunction(this, 'Function', {
      entry: `${REPO_ROOT}functions/${props.functionId}/handler.ts`,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      // X-Ray only when the config asks for it (tracing.enabled, off by default: traces are billed).
      tracing: props.config.tracing.enabled ? Tracing.ACTIVE : Tracing.DISABLED,
      role: this.role,
      logGroup: this.logGroup,
      environment,
      ...(placement && {
        vpc: placement.vpc,
        vpcSubnets: { subnets: [...placement.subnets] },
        securityGroups: [placement.securityGroup],
      }),
      bundling: guardBundling(props.config),
    });
    if (props.config.tracing.enabled) {
      acknowledge(
        this.role,
        iam5('Resource', '*'),
        'xray:PutTraceSegments and xray:PutTelemetryRecords (added by CDK for active tracing) support no resource-level permissions.',
      );
    }
  }

  /** The function's ARN (unqualified). */
  get functionArn(): string {
    return this.function.functionArn;
  }

  /** Adds a statement to the function's inline policy. */
  addToPolicy(statement: PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }

  /** Acknowledges a wildcard finding on this function's role, with the reason it must be a wildcard. */
  acknowledgeWildcard(kind: 'Resource' | 'Action', value: string, reason: string): void {
    acknowledge(this.role, iam5(kind, value), reason);
  }
}

/**
 * Lambda rejects a function whose environment (keys and values together) exceeds 4 KB; fail synth
 * instead, with the function and what to change. Deploy-time values count at an upper estimate.
 * No variable holds per-link or per-VPC data (the config is bundled into the code, the canary
 * functions are substituted into the Remediation definition), so this guards the fixed variables.
 */
function checkEnvironmentSize(path: string, environment: Readonly<Record<string, string>>): void {
  let bytes = 0;
  for (const [key, value] of Object.entries(environment)) bytes += variableBytes(key, value);
  if (bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    throw new EnvironmentTooLargeError(
      `The environment of ${path} would take about ${bytes} bytes; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} ` +
        `for all variables together (${describeLargest(environment)}). Split the links over several deployments ` +
        '(each with its own namespace and stackName), for example fewer canary VPCs per deployment.',
    );
  }
}

/** The largest variables of an environment, for the size error. */
function describeLargest(environment: Readonly<Record<string, string>>): string {
  return Object.entries(environment)
    .map(([key, value]) => ({ key, bytes: variableBytes(key, value) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 2)
    .map(({ key, bytes }) => `${key} takes about ${bytes}`)
    .join(', ');
}

/** A variable's size (key and value), deploy-time values counted at {@link TOKEN_SIZE_ESTIMATE}. */
function variableBytes(key: string, value: string): number {
  const tokens = value.match(TOKEN_PATTERN)?.length ?? 0;
  return Buffer.byteLength(key + value.replace(TOKEN_PATTERN, ''), 'utf8') + tokens * TOKEN_SIZE_ESTIMATE;
}

/** The partition, Region and account of a construct's stack, for building ARNs. */
export function stackArnParts(scope: Construct): { partition: string; region: string; account: string } {
  const stack = Stack.of(scope);
  return { partition: stack.partition, region: stack.region, account: stack.account };
}
