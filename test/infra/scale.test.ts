/**
 * Scale: 200 links over 2 VPN Regions and 20 canary VPCs synthesize, split over link stacks by
 * `deployment.linkStacks`, with every template within the limits infra/deployment-limits.ts checks;
 * a deployment too big for its stacks fails synth saying which setting to raise; the limit check
 * is live on the written templates. Configs are generated (bench/scale-config.ts).
 */
import { type App, Stack } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeploymentLimitError } from '#infra/errors.ts';
import { linkStackIndex } from '#infra/link-stacks.ts';
import { buildVpnGuardApp } from '#infra/vpn-guard-app.ts';
import type { VpnGuardStack } from '#infra/vpn-guard-stack.ts';
import { linkAlarmName } from '#shared/alarm-names.ts';
import { scaleConfigJson } from '../../bench/scale-config.ts';
import { newApp, REPO_ROOT, writeTempConfig } from './support.ts';

// biome-ignore lint/suspicious/noExplicitAny: synthesized templates are read as loose JSON.
type Loose = Record<string, any>;

const templates = (assembly: CloudAssembly) =>
  new Map(assembly.stacks.map((stack) => [stack.stackName, stack.template as Loose]));
const resourcesOf = (template: Loose, type: string) =>
  Object.values(template.Resources as Record<string, Loose>).filter((resource) => resource.Type === type);

describe('200 links over 20 canary VPCs and 2 Regions, deployment.linkStacks 4', () => {
  let app: App;
  let stack: VpnGuardStack;
  let assembly: CloudAssembly;
  const raw = scaleConfigJson({ links: 200, vpcs: 20, linkStacks: 4 });
  const names = (raw.links as { name: string }[]).map((link) => link.name);

  beforeAll(() => {
    app = newApp(writeTempConfig(raw));
    stack = buildVpnGuardApp(app, REPO_ROOT);
    // Throws on any cdk-nag finding or deployment-limit problem in any stack.
    assembly = app.synth();
  });

  it('synthesizes the main stack and four link stacks, each within 500 resources and 1 MB', () => {
    const byName = templates(assembly);
    expect([...byName.keys()].sort()).toEqual([
      'VpnGuard',
      'VpnGuard-Links1',
      'VpnGuard-Links2',
      'VpnGuard-Links3',
      'VpnGuard-Links4',
    ]);
    for (const template of byName.values()) {
      expect(Object.keys(template.Resources).length).toBeLessThanOrEqual(500);
      expect(JSON.stringify(template).length).toBeLessThan(1_000_000);
    }
  });

  it("puts every link's alarms in exactly the link stack its name hashes to, none in the main stack", () => {
    const byName = templates(assembly);
    const outageAlarms = (template: Parameters<typeof resourcesOf>[0]) =>
      resourcesOf(template, 'AWS::CloudWatch::Alarm').filter((alarm) =>
        String(alarm.Properties.AlarmName).endsWith('-Outage'),
      );
    expect(outageAlarms(defined(byName.get('VpnGuard')))).toEqual([]);
    for (const name of names) {
      const holders = [...byName.entries()].filter(([, template]) =>
        outageAlarms(template).some(
          (alarm) => alarm.Properties.AlarmName === linkAlarmName('VpnGuard', name, 'Outage'),
        ),
      );
      expect(holders.map(([stackName]) => stackName)).toEqual([
        `VpnGuard-Links${(linkStackIndex(name, 4) ?? -1) + 1}`,
      ]);
    }
  });

  it("sends the link stacks' alarm actions to the main stack's topic through an export", () => {
    const links1 = defined(templates(assembly).get('VpnGuard-Links1'));
    const [alarm] = resourcesOf(links1, 'AWS::CloudWatch::Alarm');
    expect(alarm?.Properties.AlarmActions[0]['Fn::ImportValue']).toMatch(
      /^VpnGuard:ExportsOutputRefAlarmTopic/,
    );
  });

  it("keeps the one Remediation machine and every link's name in the main stack's outputs (what the drill CLI reads)", () => {
    const main = defined(templates(assembly).get('VpnGuard'));
    expect(main.Outputs.RemediationStateMachineArn).toBeDefined();
    expect(main.Outputs.LinkNames.Value.split(',')).toEqual(names);
    expect(stack.linkStacks.flatMap((linkStack) => linkStack.links.map((link) => link.name)).sort()).toEqual(
      [...names].sort(),
    );
  });

  it('passes every Outage alarm to start-remediation through rules of at most 2,048 pattern characters', () => {
    const rules = resourcesOf(defined(templates(assembly).get('VpnGuard')), 'AWS::Events::Rule').filter(
      (rule) => rule.Properties.EventPattern?.source?.[0] === 'aws.cloudwatch',
    );
    expect(rules.length).toBeGreaterThan(1);
    for (const rule of rules)
      expect(JSON.stringify(rule.Properties.EventPattern).length).toBeLessThanOrEqual(2048);
    expect(rules.flatMap((rule) => rule.Properties.EventPattern.detail.alarmName)).toEqual(
      names.map((name) => linkAlarmName('VpnGuard', name, 'Outage')),
    );
  });

  it('gives each link stack a dashboard of its own links, graphs of many links split to 100 metrics', () => {
    for (const linkStack of stack.linkStacks) {
      const [dashboard] = resourcesOf(
        defined(templates(assembly).get(linkStack.stackName)),
        'AWS::CloudWatch::Dashboard',
      );
      expect(dashboard?.Properties.DashboardName).toMatch(/^VpnGuard-Links[1-4]$/);
    }
  });

  it('keeps the gateway role within IAM: 10,240 characters inline, 10 managed policies of at most 6,144', () => {
    const main = defined(templates(assembly).get('VpnGuard'));
    const managed = Object.values(main.Resources as Record<string, Loose>).filter(
      (resource) =>
        resource.Type === 'AWS::IAM::ManagedPolicy' &&
        JSON.stringify(resource.Properties.Roles).includes('RemediationGatewayRole'),
    );
    expect(managed.length).toBeGreaterThan(0);
    expect(managed.length).toBeLessThanOrEqual(10);
  });
});

describe('a deployment too big for its stacks', () => {
  it('fails synth before CDK does, naming the stack, its resources and the deployment.linkStacks to set', () => {
    const path = writeTempConfig(scaleConfigJson({ links: 200, vpcs: 20 }));
    const build = () => buildVpnGuardApp(newApp(path), REPO_ROOT);
    expect(build).toThrow(DeploymentLimitError);
    expect(build).toThrow(
      /stack VpnGuard would hold \d{3,4} resources; CloudFormation allows 500 per stack \(https:\/\/docs\.aws\.amazon\.com\/AWSCloudFormation\/latest\/UserGuide\/cloudformation-limits\.html\): set deployment\.linkStacks to \d+ or more \(it is 0; each link adds \d resources/,
    );
  });

  // 256 links: two alarms each pass one link stack's 500 resources, within the Monitor's state bound (257).
  it('keeps failing with a larger value when the link stacks are still too full', () => {
    const path = writeTempConfig(scaleConfigJson({ links: 256, vpcs: 20, linkStacks: 1 }));
    expect(() => buildVpnGuardApp(newApp(path), REPO_ROOT)).toThrow(
      /stack VpnGuard-Links1 would hold \d{3,4} resources.*set deployment\.linkStacks to [2-9] or more \(it is 1;/,
    );
  });
});

describe('a deployment with too many canary VPCs for the main stack', () => {
  it('says the canaries are what fills it, not the link alarms', () => {
    const path = writeTempConfig(scaleConfigJson({ links: 120, vpcs: 120, linkStacks: 4 }));
    expect(() => buildVpnGuardApp(newApp(path), REPO_ROOT)).toThrow(
      /stack VpnGuard would hold \d+ resources.*one canary function per canary VPC \(120 VPCs, about 5 resources each\): probe from fewer canary VPCs/,
    );
  });
});

describe('the written-template check', () => {
  it('fails synth naming the limit, the value and the fix when a template passes one', () => {
    const app = newApp(writeTempConfig(scaleConfigJson({ links: 1, vpcs: 1 })));
    const stack = buildVpnGuardApp(app, REPO_ROOT);
    // An event pattern of some 2,300 characters in the main stack.
    new Rule(Stack.of(stack), 'HugePattern', {
      eventPattern: { source: ['x'.repeat(2300)] },
    });
    expect(() => app.synth()).toThrow(/vpn-guard-limit-eventPatternChars/);
  });
});

function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}
