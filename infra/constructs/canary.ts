/**
 * One ping-canary function per VPC that links are probed from. It is the only function in a VPC:
 * it must send packets through the gateway, while every other function calls AWS APIs (and a VPC
 * Lambda reaching region B's EC2 API would need a NAT gateway).
 */
import { Annotations, Duration, Fn } from 'aws-cdk-lib';
import { type ISubnet, Peer, Port, SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { Config, LinkConfig } from '#shared/config.ts';
import { acknowledge } from '../nag.ts';
import { GuardFunction, stackArnParts } from './guard-function.ts';

export interface CanaryProps {
  readonly config: Config;
  readonly vpcId: string;
  /** The links probed from this VPC (canary.vpcId = vpcId). */
  readonly links: readonly LinkConfig[];
}

/** The links grouped by canary VPC, in first-seen order. */
export function linksByCanaryVpc(config: Config): Map<string, LinkConfig[]> {
  const groups = new Map<string, LinkConfig[]>();
  for (const link of config.links) {
    const group = groups.get(link.canary.vpcId) ?? [];
    group.push(link);
    groups.set(link.canary.vpcId, group);
  }
  return groups;
}

/** The id of the synth warning for a link with one canary target (acknowledge it to silence it). */
export const SINGLE_CANARY_TARGET_WARNING = '@vpn-guard/canary:singleTarget';

export class Canary extends Construct {
  readonly fn: GuardFunction;
  readonly securityGroup: SecurityGroup;
  readonly vpcId: string;
  readonly linkNames: readonly string[];

  constructor(scope: Construct, id: string, props: CanaryProps) {
    super(scope, id);
    this.vpcId = props.vpcId;
    this.linkNames = props.links.map((link) => link.name);
    // Imported by id, no lookup: synth needs no AWS account.
    // The AZ list only matters for selecting subnets by type; the canary's subnets are given by id.
    const vpc = Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: props.vpcId, availabilityZones: Fn.getAzs() });
    const subnetIds = [...new Set(props.links.flatMap((link) => link.canary.subnetIds))];
    const subnets: ISubnet[] = subnetIds.map((subnetId) =>
      Subnet.fromSubnetId(this, subnetId.replace(/^subnet-/, 'Subnet'), subnetId),
    );
    acknowledge(
      this,
      'Annotation::@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones',
      "The imported VPC is only used for the canary's security group and explicit subnets; nothing selects subnets by AZ.",
    );
    acknowledge(
      this,
      'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
      "The canary's subnets are imported by id only to place the function; nothing reads their route tables.",
    );

    for (const link of props.links) {
      if (link.canary.targets.length !== 1) continue;
      const [only] = link.canary.targets;
      // A warning, not an error: one target is a valid config, just a fragile one.
      Annotations.of(this).addWarningV2(
        SINGLE_CANARY_TARGET_WARNING,
        `link "${link.name}" has a single canary target (${only?.host}:${only?.port}): that host rebooting, or a security group or NACL that drops the probe, looks exactly like the VPN down and starts a remediation; list two or more targets on different far hosts in canary.targets (the path is up when canary.minTargetsUp of them answer)`,
      );
    }

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: `VPN Guard canary in ${props.vpcId}: no ingress; egress only TCP to the remote CIDRs on the canary target ports`,
      allowAllOutbound: false,
    });
    const rules = new Set<string>();
    for (const link of props.links) {
      const ports = [...new Set(link.canary.targets.map((target) => target.port))];
      for (const cidr of link.gateway.remoteCidrs) {
        for (const port of ports) {
          const key = `${cidr}:${port}`;
          if (rules.has(key)) continue;
          rules.add(key);
          this.securityGroup.addEgressRule(Peer.ipv4(cidr), Port.tcp(port), `canary probe of ${link.name}`);
        }
      }
    }

    this.fn = new GuardFunction(this, 'Function', {
      functionId: 'ping-canary',
      config: props.config,
      description: `VPN Guard canary: TCP handshakes across the VPN from ${props.vpcId}`,
      environment: { CANARY_VPC_ID: props.vpcId },
      // The schema caps a target's attempts x timeout at 20 s; stay below the ASL's 30 s Task timeout.
      timeout: Duration.seconds(25),
      vpcPlacement: { vpc, subnets, securityGroup: this.securityGroup },
    });

    // The ENI permissions of AWSLambdaVPCAccessExecutionRole, written inline and scoped where EC2 allows.
    const { partition, region, account } = stackArnParts(this);
    const ec2Arn = (resource: string) => `arn:${partition}:ec2:${region}:${account}:${resource}`;
    const anyNetworkInterface = ec2Arn('network-interface/*');
    this.fn.addToPolicy(
      new PolicyStatement({
        sid: 'CreateFunctionEnisInTheCanarySubnets',
        actions: ['ec2:CreateNetworkInterface'],
        resources: [
          anyNetworkInterface,
          ...subnetIds.map((subnetId) => ec2Arn(`subnet/${subnetId}`)),
          ec2Arn(`security-group/${this.securityGroup.securityGroupId}`),
        ],
      }),
    );
    this.fn.addToPolicy(
      new PolicyStatement({
        sid: 'ManageFunctionEnis',
        actions: [
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: [anyNetworkInterface],
      }),
    );
    this.fn.addToPolicy(
      new PolicyStatement({
        sid: 'DescribeEnisAndSubnets',
        actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
        resources: ['*'],
      }),
    );
    this.fn.acknowledgeWildcard(
      'Resource',
      '*',
      'ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets (Lambda VPC networking) support no resource-level permissions.',
    );
    this.fn.acknowledgeWildcard(
      'Resource',
      `arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*`,
      "Lambda creates and deletes the function's Hyperplane ENIs; their ids exist only after deployment, so the " +
        'ENI actions are scoped to network interfaces in this account and Region (creation also to the canary ' +
        'subnets and security group).',
    );
  }
}
