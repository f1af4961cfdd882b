/**
 * The managed gateway (links[].managedGateway) as synthesized: the group, its launch template and
 * hook, the security group, and the least-privilege instance and gateway-config roles, with cdk-nag
 * passing and no secret anywhere in the template.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AL2023_ARM64_PARAMETER, bootWaits } from '#infra/constructs/libreswan-gateway.ts';
import {
  ConfigError,
  gatewayConfigParameterName,
  MANAGED_GATEWAY_HOOK_NAME,
  parseConfig,
} from '#shared/config.ts';
import { BootSettingsSchema } from '../../gateway/boot/settings.ts';
import {
  actionsOf,
  defined,
  EXAMPLE_CONFIG,
  logicalId,
  REPO_ROOT,
  resourcesOf,
  type Statement,
  type Synthesized,
  stackArn,
  statementsOfRole,
  synthesize,
  writeTempConfig,
} from './support.ts';

const MANAGED_CONFIG = join(REPO_ROOT, 'config/example-managed-gateway.json');
const raw = () => JSON.parse(readFileSync(MANAGED_CONFIG, 'utf8'));

/** Every string in a template value, flattened (Fn::Join parts included). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('managed gateway (config/example-managed-gateway.json)', () => {
  let synthesized: Synthesized;
  let template: Template;
  beforeAll(() => {
    synthesized = synthesize(MANAGED_CONFIG);
    template = synthesized.template;
  });
  const gateway = () => defined(synthesized.stack.managedGateways.get('home-to-west'), 'the gateway');

  it('builds one group of exactly one instance, named by gateway.autoScalingGroupName, in the listed public subnets', () => {
    template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 1);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      AutoScalingGroupName: 'vpn-gateway-home',
      MinSize: '1',
      MaxSize: '1',
      VPCZoneIdentifier: raw().links[0].managedGateway.subnetIds,
    });
  });

  it('holds each new instance with a launch hook whose default is ABANDON and whose heartbeat comes from the config', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      // On the group itself, so the group's first instance waits too.
      LifecycleHookSpecificationList: [
        {
          LifecycleHookName: MANAGED_GATEWAY_HOOK_NAME,
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
          DefaultResult: 'ABANDON',
          HeartbeatTimeout: 600,
        },
      ],
    });
    template.resourceCountIs('AWS::AutoScaling::LifecycleHook', 0);
  });

  it('launches current Amazon Linux 2023 arm64 (resolved at launch), IMDSv2 only, every volume encrypted, the configured type', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        ImageId: `resolve:ssm:${AL2023_ARM64_PARAMETER}`,
        InstanceType: 't4g.small',
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      }),
    });
    const [templateResource] = Object.values(template.findResources('AWS::EC2::LaunchTemplate'));
    const devices = defined(templateResource, 'the launch template').Properties.LaunchTemplateData
      .BlockDeviceMappings as { Ebs: { Encrypted: boolean } }[];
    expect(devices.length).toBeGreaterThan(0);
    for (const device of devices) expect(device.Ebs.Encrypted).toBe(true);
  });

  it('admits IKE, NAT-T and ESP only from the tunnel outside addresses, and all else only from the VPC', () => {
    const [group] = Object.values(
      template.findResources('AWS::EC2::SecurityGroup', {
        Properties: { GroupDescription: Match.stringLikeRegexp('managed gateway') },
      }),
    );
    const ingress = defined(group, 'the gateway security group').Properties.SecurityGroupIngress as {
      CidrIp: string;
      IpProtocol: string;
      FromPort?: number;
    }[];
    const tunnels = raw().links[0].managedGateway.tunnelOutsideIpAddresses as string[];
    const rules = ingress.map((r) => `${r.CidrIp} ${r.IpProtocol} ${r.FromPort ?? ''}`.trim()).sort();
    expect(rules).toEqual(
      [
        ...tunnels.flatMap((ip) => [`${ip}/32 udp 500`, `${ip}/32 udp 4500`, `${ip}/32 50`]),
        '10.10.0.0/16 -1',
      ].sort(),
    );
    expect(ingress.some((r) => r.CidrIp === '0.0.0.0/0')).toBe(false);
  });

  it("gives the instance role only boot's calls, each on this link's parameter, Elastic IP, interfaces, route tables and group", () => {
    const link = raw().links[0];
    const statements = statementsOfRole(template, logicalId(gateway().instanceRole));
    const bySid = (sid: string): Statement =>
      defined(
        statements.find((s) => s.Sid === sid),
        sid,
      );
    expect(bySid('ReadOwnGatewayConfig')).toMatchObject({
      Action: 'ssm:GetParameter',
      Resource: stackArn('ssm', `parameter${gatewayConfigParameterName('home-to-west')}`),
    });
    expect(bySid('ClaimOwnElasticIp')).toMatchObject({
      Action: 'ec2:AssociateAddress',
      Resource: stackArn('ec2', `elastic-ip/${link.gateway.elasticIpAllocationId}`),
    });
    expect(bySid('ConfigureOwnInterfaces')).toMatchObject({
      Condition: { StringEquals: { 'aws:ResourceTag/vpn-guard:link': 'home-to-west' } },
    });
    expect(resourcesOf(bySid('PointOwnedRoutes'))).toEqual(
      link.gateway.routeTableIds.map((rtb: string) => stackArn('ec2', `route-table/${rtb}`)),
    );
    expect(bySid('CompleteOwnLaunchHook')).toMatchObject({
      Action: 'autoscaling:CompleteLifecycleAction',
      Resource: stackArn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/vpn-gateway-home'),
    });
    // Nothing reads other parameters or describes VPNs (their pre-shared keys), and no managed policy.
    const every = statements.flatMap(actionsOf);
    expect(every).not.toContain('ssm:GetParameters');
    expect(every).not.toContain('ssm:GetParametersByPath');
    expect(every.filter((a) => a.startsWith('ec2:Describe'))).toEqual([]);
    for (const s of statements.filter((s) => resourcesOf(s).includes('*'))) {
      expect(
        actionsOf(s).every((a) =>
          /^(ssm:(UpdateInstanceInformation|ListAssociations|ListInstanceAssociations|UpdateInstanceAssociationStatus)|ssmmessages:|ec2messages:)/.test(
            a,
          ),
        ),
      ).toBe(true);
    }
    const [role] = Object.values(
      template.findResources('AWS::IAM::Role', {
        Properties: {
          AssumeRolePolicyDocument: {
            Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
          },
        },
      }),
    );
    expect(defined(role, 'the instance role').Properties.ManagedPolicyArns).toBeUndefined();
  });

  it("lets gateway-config read VPNs only in the link's VPN Region and write only the link's parameter", () => {
    const renderer = defined(synthesized.stack.gatewayRenderer, 'the gateway-config function');
    const statements = statementsOfRole(template, logicalId(renderer.function.role));
    expect(statements.find((s) => s.Sid === 'DescribeVpnConnectionsInVpnRegions')).toMatchObject({
      Action: 'ec2:DescribeVpnConnections',
      Condition: { StringEquals: { 'aws:RequestedRegion': ['us-west-2'] } },
    });
    expect(statements.find((s) => s.Sid === 'WriteGatewayConfigs')).toMatchObject({
      Action: 'ssm:PutParameter',
      Resource: stackArn('ssm', `parameter${gatewayConfigParameterName('home-to-west')}`),
    });
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => !/^(logs:|xray:)/.test(a)).sort()).toEqual([
      'ec2:DescribeVpnConnections',
      'ssm:PutParameter',
    ]);
  });

  it("runs gateway-config on the group's launch lifecycle events only", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-launch Lifecycle Action'],
        detail: {
          AutoScalingGroupName: ['vpn-gateway-home'],
          LifecycleHookName: [MANAGED_GATEWAY_HOOK_NAME],
        },
      },
    });
  });

  it('puts no secret in the template: no parameter or secret resource, and user data carries only the boot settings', () => {
    template.resourceCountIs('AWS::SSM::Parameter', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toMatch(/PreSharedKey|pre_shared_key|CustomerGatewayConfiguration/);
    const [launchTemplate] = Object.values(template.findResources('AWS::EC2::LaunchTemplate'));
    const userData = strings(
      defined(launchTemplate, 'launch template').Properties.LaunchTemplateData.UserData,
    ).join('');
    const settingsText = defined(
      /<<'VPN_GUARD_SETTINGS'\n([\s\S]*?)\nVPN_GUARD_SETTINGS/.exec(userData)?.[1],
      'the settings block',
    );
    // The Region is a Ref in the template: put a value back to parse it.
    const settings = BootSettingsSchema.parse(
      JSON.parse(settingsText.replace('"region":"', '"region":"us-east-1')),
    );
    expect(settings).toMatchObject({
      link: 'home-to-west',
      parameterName: '/vpn-guard/home-to-west/libreswan',
      lifecycleHookName: MANAGED_GATEWAY_HOOK_NAME,
      minTunnelsUp: 1,
    });
    // Boot gives up (and abandons) before the hook's heartbeat would.
    const waits = bootWaits(600);
    expect(waits.renderWaitSeconds + waits.tunnelWaitSeconds).toBeLessThan(600);
  });
});

describe('bring your own group (config/example.json)', () => {
  it('builds no group, launch template, instance role or gateway-config function', () => {
    const { template, stack } = synthesize(EXAMPLE_CONFIG);
    expect(stack.managedGateways.size).toBe(0);
    expect(stack.gatewayRenderer).toBeUndefined();
    template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 0);
    template.resourceCountIs('AWS::EC2::LaunchTemplate', 0);
    template.resourceCountIs(
      'AWS::Events::Rule',
      Object.keys(template.findResources('AWS::Events::Rule')).length,
    );
    expect(JSON.stringify(template.toJSON())).not.toContain('gateway-config');
  });

  it('an enabled: false block builds nothing either', () => {
    const config = raw();
    config.links[0].managedGateway.enabled = false;
    const { stack } = synthesize(writeTempConfig(config));
    expect(stack.managedGateways.size).toBe(0);
  });
});

describe('managedGateway config errors name the field and the fix', () => {
  const problems = (mutate: (config: ReturnType<typeof raw>) => void): string => {
    const config = raw();
    mutate(config);
    try {
      parseConfig(config);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.join('\n');
      throw error;
    }
    throw new Error('the config was accepted');
  };

  it('refuses an x86 instance type', () => {
    expect(problems((c) => (c.links[0].managedGateway.instanceType = 't3.small'))).toMatch(
      /links\[0\]\.managedGateway\.instanceType.*arm64 \(Graviton\)/,
    );
  });
  it('refuses a tunnel address list that is not two per VPN connection', () => {
    expect(
      problems(
        (c) =>
          (c.links[0].managedGateway.tunnelOutsideIpAddresses = [
            '203.0.113.10',
            '203.0.113.11',
            '203.0.113.12',
          ]),
      ),
    ).toMatch(/tunnelOutsideIpAddresses.*list exactly 2/);
  });
  it('refuses a heartbeat longer than the replacement deadline (Remediation would refuse to wait on it)', () => {
    expect(problems((c) => (c.links[0].managedGateway.lifecycleHookHeartbeatSeconds = 900))).toMatch(
      /lifecycleHookHeartbeatSeconds.*at most remediation\.replacementTimeoutMinutes x 60 \(600 s\)/,
    );
  });
  it('refuses a heartbeat outside what Auto Scaling accepts', () => {
    expect(problems((c) => (c.links[0].managedGateway.lifecycleHookHeartbeatSeconds = 10))).toMatch(
      /lifecycleHookHeartbeatSeconds.*at least 30/,
    );
  });
  it('refuses a managed link with two VPN connections or two remote CIDRs (the renderer serves one SA pair per tunnel)', () => {
    expect(
      problems((c) => {
        c.links[0].vpn.vpnConnectionIds.push('vpn-0b1c2d3e4f5a60718');
        c.links[0].managedGateway.tunnelOutsideIpAddresses.push('203.0.113.30', '203.0.113.40');
      }),
    ).toMatch(/vpn\.vpnConnectionIds.*exactly one VPN connection/);
    expect(problems((c) => c.links[0].gateway.remoteCidrs.push('10.30.0.0/16'))).toMatch(
      /gateway\.remoteCidrs.*exactly one remote CIDR/,
    );
  });
  it('fails synth naming the field', () => {
    const config = raw();
    config.links[0].managedGateway.subnetIds = [];
    expect(() => synthesize(writeTempConfig(config))).toThrow(/managedGateway\.subnetIds/);
  });
});

describe('two managed links', () => {
  it("gives each instance role its own link's parameter, Elastic IP and group only, and one gateway-config for both", () => {
    const config = JSON.parse(readFileSync(MANAGED_CONFIG, 'utf8'));
    const second = structuredClone(config.links[0]);
    second.name = 'home-to-east';
    second.gateway.autoScalingGroupName = 'vpn-gateway-east';
    second.gateway.elasticIpAllocationId = 'eipalloc-0b1c2d3e4f5a60718';
    second.gateway.remoteCidrs = ['10.30.0.0/16'];
    second.vpn = { ...second.vpn, region: 'eu-west-1', vpnConnectionIds: ['vpn-0b1c2d3e4f5a60718'] };
    second.managedGateway.tunnelOutsideIpAddresses = ['203.0.113.30', '203.0.113.40'];
    config.links.push(second);
    const { template, stack } = synthesize(writeTempConfig(config));
    template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 2);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: {
          AutoScalingGroupName: ['vpn-gateway-home', 'vpn-gateway-east'],
          LifecycleHookName: [MANAGED_GATEWAY_HOOK_NAME],
        },
      }),
    });
    for (const [name, other] of [
      ['home-to-west', 'home-to-east'],
      ['home-to-east', 'home-to-west'],
    ] as const) {
      const gateway = defined(stack.managedGateways.get(name), name);
      const text = JSON.stringify(statementsOfRole(template, logicalId(gateway.instanceRole)));
      expect(text).toContain(`parameter/vpn-guard/${name}/libreswan`);
      expect(text).not.toContain(`/vpn-guard/${other}/`);
      expect(text).not.toContain(other === 'home-to-east' ? 'vpn-gateway-east' : 'vpn-gateway-home');
    }
    const renderer = defined(stack.gatewayRenderer, 'gateway-config');
    const statements = statementsOfRole(template, logicalId(renderer.function.role));
    expect(statements.find((s) => s.Sid === 'DescribeVpnConnectionsInVpnRegions')?.Condition).toEqual({
      StringEquals: { 'aws:RequestedRegion': ['us-west-2', 'eu-west-1'] },
    });
    expect(
      resourcesOf(
        defined(
          statements.find((s) => s.Sid === 'WriteGatewayConfigs'),
          'write',
        ),
      ),
    ).toHaveLength(2);
    const configFunctions = template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('^VPN Guard gateway-config') },
    });
    expect(Object.keys(configFunctions)).toHaveLength(1);
  });
});
