/**
 * A link's managed Libreswan gateway (`links[].managedGateway`): an Auto Scaling group of exactly
 * one Amazon Linux 2023 arm64 instance in the link's public subnets, whose boot makes any new
 * instance a working customer gateway with nobody logging in (docs/notes/managed-gw.md):
 *
 * - the group's launch hook (DefaultResult ABANDON) holds a new instance in Pending:Wait;
 * - the hook's EventBridge event runs gateway-config, which renders the Libreswan config from the
 *   VPN connection (DescribeVpnConnections in the VPN's Region) and writes it to the link's
 *   SecureString, naming the instance;
 * - the instance's boot program (gateway/boot, an asset it downloads) waits for its own render,
 *   claims the Elastic IP, turns its source/dest check off, points the owned routes at itself,
 *   starts Libreswan and completes the hook with CONTINUE once its tunnels are up (ABANDON if not).
 *
 * No secret is in the template, the user data, a log or a notification: the pre-shared keys exist
 * only in the VPN connection and the SecureString, which only this link's instance role can read.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Arn, ArnFormat, AssetHashType, BundlingOutput, DockerImage, Duration, Fn, Stack } from 'aws-cdk-lib';
import {
  AutoScalingGroup,
  type CfnAutoScalingGroup,
  DefaultResult,
  HealthChecks,
  LifecycleTransition,
} from 'aws-cdk-lib/aws-autoscaling';
import {
  BlockDeviceVolume,
  type CfnLaunchTemplate,
  EbsDeviceVolumeType,
  InstanceType,
  LaunchTemplate,
  MachineImage,
  OperatingSystemType,
  Peer,
  Port,
  Protocol,
  SecurityGroup,
  Subnet,
  UserData,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import {
  type Config,
  gatewayConfigParameterName,
  type LinkConfig,
  MANAGED_GATEWAY_HOOK_NAME,
  managedGatewayOf,
} from '#shared/config.ts';
import { acknowledge, iam5 } from '../nag.ts';
import { GuardFunction } from './guard-function.ts';

/** The tag the launch template puts on each instance and interface: boot's grants are scoped by it. */
export const GATEWAY_LINK_TAG = 'vpn-guard:link';

/**
 * Amazon Linux 2023 for arm64, resolved by EC2 at each launch from AWS's public SSM parameter, so
 * every new instance gets the current image without a redeploy
 * (https://docs.aws.amazon.com/linux/al2023/ug/ec2.html#launch-via-aws-cli,
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/using-systems-manager-parameters.html).
 */
export const AL2023_ARM64_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64';

/** ESP (IP protocol 50) has no ports; CDK's Port.esp() sets 50-50, which CloudFormation ignores with a warning. */
const ESP = new Port({ protocol: Protocol.ESP, stringRepresentation: 'ESP' });

/** Poll interval and waits of boot (seconds), within the hook's heartbeat. */
const BOOT_POLL_SECONDS = 5;

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface LibreswanGatewayProps {
  /** The link; its `managedGateway` must be enabled. */
  readonly link: LinkConfig;
  /** The stack's gateway-config function and rule (rendered configs for every managed link). */
  readonly renderer: GatewayRenderer;
}

/** The managed gateway of one link. */
export class LibreswanGateway extends Construct {
  readonly group: AutoScalingGroup;
  readonly instanceRole: Role;
  readonly securityGroup: SecurityGroup;
  readonly launchTemplate: LaunchTemplate;
  readonly bootAsset: Asset;

  constructor(scope: Construct, id: string, props: LibreswanGatewayProps) {
    super(scope, id);
    const { link } = props;
    const managed = managedGatewayOf(link);
    if (!managed) throw new Error(`LibreswanGateway: link ${link.name} has no enabled managedGateway`);
    const stack = Stack.of(this);
    const parameterArn = gatewayParameterArn(stack, link.name);

    // The canary's VPC is the link's VPC (the route tables and the gateway live there).
    const vpc = Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: link.canary.vpcId,
      availabilityZones: Fn.getAzs(),
    });
    const subnets = managed.subnetIds.map((subnetId) =>
      Subnet.fromSubnetId(this, subnetId.replace(/^subnet-/, 'Subnet'), subnetId),
    );

    // Security group: IKE (UDP 500), NAT-T (UDP 4500) and ESP only with the tunnels' outside
    // addresses; everything with the VPC (the traffic it forwards, and DNS); HTTPS out for SSM,
    // the boot asset (S3) and the package repositories. Traffic to and from the remote CIDRs
    // travels inside ESP to the tunnel addresses, so it needs no rule of its own.
    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc,
      allowAllOutbound: false,
      description: `VPN Guard managed gateway of link ${link.name}: IKE/NAT-T/ESP with the tunnels only`,
    });
    for (const address of managed.tunnelOutsideIpAddresses) {
      const peer = Peer.ipv4(`${address}/32`);
      for (const port of [Port.udp(500), Port.udp(4500), ESP]) {
        this.securityGroup.addIngressRule(peer, port, `IKE/NAT-T/ESP from tunnel ${address}`);
        this.securityGroup.addEgressRule(peer, port, `IKE/NAT-T/ESP to tunnel ${address}`);
      }
    }
    const vpcPeer = Peer.ipv4(managed.vpcCidr);
    this.securityGroup.addIngressRule(vpcPeer, Port.allTraffic(), 'traffic from the VPC to the remote CIDRs');
    this.securityGroup.addEgressRule(vpcPeer, Port.allTraffic(), 'traffic from the remote CIDRs to the VPC');
    this.securityGroup.addEgressRule(
      Peer.anyIpv4(),
      Port.tcp(443),
      'HTTPS to Systems Manager, S3 (boot asset) and the Amazon Linux repositories',
    );

    this.bootAsset = new Asset(this, 'BootProgram', {
      path: join(REPO_ROOT, 'gateway', 'boot'),
      // Hashed by the bundle, which also holds functions/shared code; esbuild runs locally at synth
      // (the image is never pulled), and the one file is the object the instance downloads.
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
        local: { tryBundle: (outputDir) => bundleBootProgram(outputDir) },
        outputType: BundlingOutput.SINGLE_FILE,
      },
    });

    this.instanceRole = new Role(this, 'InstanceRole', {
      assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
      description: `VPN Guard gateway instance of link ${link.name}: boot (its own Elastic IP, routes, parameter and hook) and SSM management`,
    });
    this.grantBoot(link, parameterArn);

    const settings = bootSettingsFor(link, stack.region);
    const userData = UserData.forLinux();
    userData.addCommands(
      ...bootScript({
        bootObjectUrl: this.bootAsset.s3ObjectUrl,
        settingsJson: stack.toJsonString(settings),
        region: stack.region,
        group: link.gateway.autoScalingGroupName,
      }),
    );

    this.launchTemplate = new LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: MachineImage.resolveSsmParameterAtLaunch(AL2023_ARM64_PARAMETER, {
        os: OperatingSystemType.LINUX,
      }),
      instanceType: new InstanceType(managed.instanceType),
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      role: this.instanceRole,
      securityGroup: this.securityGroup,
      userData,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: BlockDeviceVolume.ebs(8, { encrypted: true, volumeType: EbsDeviceVolumeType.GP3 }),
        },
      ],
    });

    this.group = new AutoScalingGroup(this, 'Group', {
      autoScalingGroupName: link.gateway.autoScalingGroupName,
      vpc,
      vpcSubnets: { subnets },
      launchTemplate: this.launchTemplate,
      minCapacity: 1,
      maxCapacity: 1,
      healthChecks: HealthChecks.ec2({ gracePeriod: Duration.seconds(60) }),
    });
    // The launch template tags instances and interfaces so boot's grants can name its own.
    (this.launchTemplate.node.defaultChild as CfnLaunchTemplate).addPropertyOverride(
      'LaunchTemplateData.TagSpecifications',
      [
        {
          ResourceType: 'instance',
          Tags: [{ Key: GATEWAY_LINK_TAG, Value: link.name }],
        },
        {
          ResourceType: 'network-interface',
          Tags: [{ Key: GATEWAY_LINK_TAG, Value: link.name }],
        },
      ],
    );
    // The hook is part of the group itself, so the group's very first instance waits on it too (a
    // separate AWS::AutoScaling::LifecycleHook is created after the group has launched).
    const cfnGroup = this.group.node.defaultChild as CfnAutoScalingGroup;
    cfnGroup.lifecycleHookSpecificationList = [
      {
        lifecycleHookName: MANAGED_GATEWAY_HOOK_NAME,
        lifecycleTransition: LifecycleTransition.INSTANCE_LAUNCHING,
        defaultResult: DefaultResult.ABANDON,
        heartbeatTimeout: managed.lifecycleHookHeartbeatSeconds,
      },
    ];

    // The first instance's event must find the rule and the function, and its boot its grants.
    this.group.node.addDependency(props.renderer, this.instanceRole);

    acknowledge(
      this,
      'Annotation::@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones',
      "The imported VPC only holds the gateway's security group; the group's subnets are explicit, nothing selects them by AZ.",
    );
    acknowledge(
      this,
      'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
      "The gateway's subnets are imported by id only to place the group; nothing reads their route tables.",
    );
    acknowledge(
      this.group,
      'AwsSolutions-AS3',
      'VPN Guard itself watches the link (alarms, notifications of every remediation); scaling notifications of a one-instance group would duplicate them.',
    );
  }

  /** The instance role: boot's calls, each on this link's resources only, and SSM management. */
  private grantBoot(link: LinkConfig, parameterArn: string): void {
    const stack = Stack.of(this);
    const ec2 = (resource: string) =>
      Arn.format({ service: 'ec2', resource, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, stack);
    const role = this.instanceRole;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadOwnGatewayConfig',
        actions: ['ssm:GetParameter'],
        resources: [parameterArn],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ClaimOwnElasticIp',
        actions: ['ec2:AssociateAddress'],
        resources: [
          Arn.format(
            { service: 'ec2', resource: 'elastic-ip', resourceName: link.gateway.elasticIpAllocationId },
            stack,
          ),
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ConfigureOwnInterfaces',
        actions: ['ec2:AssociateAddress', 'ec2:ModifyNetworkInterfaceAttribute'],
        resources: [ec2('network-interface/*')],
        conditions: { StringEquals: { [`aws:ResourceTag/${GATEWAY_LINK_TAG}`]: link.name } },
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'PointOwnedRoutes',
        actions: ['ec2:ReplaceRoute', 'ec2:CreateRoute'],
        resources: link.gateway.routeTableIds.map((table) => ec2(`route-table/${table}`)),
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'CompleteOwnLaunchHook',
        actions: ['autoscaling:CompleteLifecycleAction'],
        resources: [
          Arn.format(
            {
              service: 'autoscaling',
              resource: 'autoScalingGroup',
              resourceName: `*:autoScalingGroupName/${link.gateway.autoScalingGroupName}`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            },
            stack,
          ),
        ],
      }),
    );
    this.bootAsset.bucket.grantRead(role, this.bootAsset.s3ObjectKey);
    // What the SSM Agent needs to register and run commands (the restart-IPsec rung), without
    // AmazonSSMManagedInstanceCore's ssm:GetParameter(s) on every parameter, which would let this
    // instance read the other links' pre-shared keys.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'SsmAgentCore',
        effect: Effect.ALLOW,
        actions: [
          'ssm:UpdateInstanceInformation',
          'ssm:ListAssociations',
          'ssm:ListInstanceAssociations',
          'ssm:UpdateInstanceAssociationStatus',
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
          'ec2messages:AcknowledgeMessage',
          'ec2messages:DeleteMessage',
          'ec2messages:FailMessage',
          'ec2messages:GetEndpoint',
          'ec2messages:GetMessages',
          'ec2messages:SendReply',
        ],
        resources: ['*'],
      }),
    );
    acknowledge(
      role,
      iam5('Resource', '*'),
      'The SSM Agent actions (ssm:UpdateInstanceInformation and the association calls, ssmmessages:*, ec2messages:*) are those of AmazonSSMManagedInstanceCore minus its GetParameter(s) on every parameter; ssmmessages and ec2messages support no resource-level permissions, and the agent calls them for its own instance.',
    );
    acknowledge(
      role,
      iam5('Resource', `arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*`),
      `Interfaces are created by each launch and cannot be named in advance; the statement is limited by the ${GATEWAY_LINK_TAG} tag the launch template puts on this link's interfaces only.`,
    );
    acknowledge(
      role,
      iam5(
        'Resource',
        `arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/${link.gateway.autoScalingGroupName}`,
      ),
      "An Auto Scaling group ARN carries a UUID generated at creation; the name after it is this link's group only.",
    );
    acknowledge(
      role,
      iam5('Action', 's3:GetObject*'),
      "CDK's grantRead on the boot asset: the read actions on that one object key of the asset bucket.",
    );
    acknowledge(
      role,
      iam5('Action', 's3:GetBucket*'),
      "CDK's grantRead on the boot asset bucket (read-only metadata of the bucket the instance downloads its boot program from).",
    );
    acknowledge(
      role,
      iam5('Action', 's3:List*'),
      "CDK's grantRead on the boot asset bucket (listing, read-only).",
    );
  }
}

/**
 * The stack's one gateway-config function and its EventBridge rule, for every managed link: one
 * function rather than one per link keeps the template small at scale, and its grants still name
 * each link's VPN Region and parameter only.
 */
export class GatewayRenderer extends Construct {
  readonly function: GuardFunction;
  readonly rule: Rule;

  constructor(
    scope: Construct,
    id: string,
    props: { readonly config: Config; readonly links: readonly LinkConfig[] },
  ) {
    super(scope, id);
    const { config, links } = props;
    const stack = Stack.of(this);
    this.function = new GuardFunction(this, 'Function', {
      functionId: 'gateway-config',
      config,
      description:
        "VPN Guard gateway-config: renders a managed gateway's Libreswan config for each new instance",
      timeout: Duration.seconds(30),
    });
    const regions = [...new Set(links.map((link) => link.vpn.region))];
    this.function.addToPolicy(
      new PolicyStatement({
        sid: 'DescribeVpnConnectionsInVpnRegions',
        actions: ['ec2:DescribeVpnConnections'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:RequestedRegion': regions } },
      }),
    );
    this.function.acknowledgeWildcard(
      'Resource',
      '*',
      "ec2:DescribeVpnConnections supports no resource-level permissions; the statement is limited by aws:RequestedRegion to the managed links' VPN Regions, and it is why the render runs here and not on the instance.",
    );
    this.function.addToPolicy(
      new PolicyStatement({
        sid: 'WriteGatewayConfigs',
        actions: ['ssm:PutParameter'],
        resources: links.map((link) => gatewayParameterArn(stack, link.name)),
      }),
    );
    this.rule = new Rule(this, 'LaunchRule', {
      description: 'VPN Guard: a new managed gateway instance waits for its render',
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: ['EC2 Instance-launch Lifecycle Action'],
        detail: {
          AutoScalingGroupName: links.map((link) => link.gateway.autoScalingGroupName),
          LifecycleHookName: [MANAGED_GATEWAY_HOOK_NAME],
        },
      },
      targets: [new LambdaFunction(this.function.function, { retryAttempts: 2 })],
    });
  }
}

/** The ARN of a link's gateway config parameter. */
export function gatewayParameterArn(stack: Stack, linkName: string): string {
  return Arn.format(
    { service: 'ssm', resource: 'parameter', resourceName: gatewayConfigParameterName(linkName).slice(1) },
    stack,
  );
}

/**
 * What boot reads from `/etc/vpn-guard/boot.json` (gateway/boot/settings.ts): the link's resources
 * from the config, nothing secret. The sandbox boots its managed instances with the same settings.
 */
export function bootSettingsFor(link: LinkConfig, region: string) {
  const managed = managedGatewayOf(link);
  if (!managed) throw new Error(`link ${link.name} has no enabled managedGateway`);
  return {
    link: link.name,
    region,
    parameterName: gatewayConfigParameterName(link.name),
    autoScalingGroupName: link.gateway.autoScalingGroupName,
    lifecycleHookName: MANAGED_GATEWAY_HOOK_NAME,
    elasticIpAllocationId: link.gateway.elasticIpAllocationId,
    elasticIpDeviceIndex: link.gateway.elasticIpDeviceIndex,
    routeDeviceIndex: link.gateway.routeDeviceIndex,
    routeTableIds: link.gateway.routeTableIds,
    remoteCidrs: link.gateway.remoteCidrs,
    minTunnelsUp: link.vpn.minTunnelsUp,
    ...bootWaits(managed.lifecycleHookHeartbeatSeconds),
    pollSeconds: BOOT_POLL_SECONDS,
  };
}

/** Boot's two waits, which together stay within the hook's heartbeat (boot abandons before it fires). */
export function bootWaits(heartbeatSeconds: number): {
  renderWaitSeconds: number;
  tunnelWaitSeconds: number;
} {
  // Package installation and the download take about a minute; the rest is split between waits.
  const budget = Math.max(20, heartbeatSeconds - 90);
  return { renderWaitSeconds: Math.round(budget / 2), tunnelWaitSeconds: Math.round(budget / 2) };
}

/**
 * The user data: install Node.js and Libreswan from Amazon Linux's repositories, download the boot
 * program, write its (non-secret) settings and run it. Any failure before boot runs completes the
 * hook with ABANDON itself, so the group tries again at once rather than at the heartbeat timeout.
 */
export function bootScript(options: {
  readonly bootObjectUrl: string;
  readonly settingsJson: string;
  readonly region: string;
  readonly group: string;
}): string[] {
  return [
    'set -euo pipefail',
    'abandon() {',
    '  TOKEN=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")',
    '  ID=$(curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/instance-id)',
    `  aws autoscaling complete-lifecycle-action --region ${options.region} --auto-scaling-group-name '${options.group}' --lifecycle-hook-name ${MANAGED_GATEWAY_HOOK_NAME} --instance-id "$ID" --lifecycle-action-result ABANDON || true`,
    '}',
    "trap 'abandon' ERR",
    'dnf install -y nodejs libreswan',
    'install -d -m 0755 /opt/vpn-guard',
    'install -d -m 0700 /etc/vpn-guard',
    `aws s3 cp --region ${options.region} '${options.bootObjectUrl}' /opt/vpn-guard/boot.mjs`,
    `cat > /etc/vpn-guard/boot.json <<'VPN_GUARD_SETTINGS'`,
    options.settingsJson,
    'VPN_GUARD_SETTINGS',
    'trap - ERR',
    // boot completes the hook itself (CONTINUE or ABANDON).
    'node /opt/vpn-guard/boot.mjs /etc/vpn-guard/boot.json',
  ];
}

/** Bundles gateway/boot/main.ts into `outputDir/boot.mjs` with the local esbuild (never Docker). */
function bundleBootProgram(outputDir: string): boolean {
  buildSync({
    entryPoints: [join(REPO_ROOT, 'gateway', 'boot', 'main.ts')],
    bundle: true,
    platform: 'node',
    // Amazon Linux 2023's `nodejs` package (Node 18 or later).
    target: 'node18',
    format: 'esm',
    outfile: join(outputDir, 'boot.mjs'),
    minify: true,
    legalComments: 'none',
    logLevel: 'error',
    // ESM output: some dependencies still call require() (CommonJS), so give them one.
    banner: {
      js: "import { createRequire as __vpnGuardCreateRequire } from 'node:module'; const require = __vpnGuardCreateRequire(import.meta.url);",
    },
  });
  return true;
}
