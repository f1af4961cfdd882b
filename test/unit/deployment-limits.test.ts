/**
 * The deployment-limit checks on written templates (infra/deployment-limits.ts), the link-stack
 * assignment (infra/link-stacks.ts) and the schema's own limits (a VPC's canary subnets,
 * deployment.linkStacks), on small hand-made inputs.
 */
import { describe, expect, it } from 'vitest';
import { describeProblem, resolvedText, templateLimitProblems } from '#infra/deployment-limits.ts';
import { linkStackIndex, linkStackName, linksByStack } from '#infra/link-stacks.ts';
import { ConfigError, parseConfig } from '#shared/config.ts';
import { scaleConfigJson } from '../../bench/scale-config.ts';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
const problemsOf = (resources: Resources, extra: Record<string, unknown> = {}, bytes = 1000) =>
  templateLimitProblems('VpnGuard', { Resources: resources, ...extra }, bytes);
const limitsOf = (resources: Resources, extra?: Record<string, unknown>, bytes?: number) =>
  problemsOf(resources, extra, bytes).map((problem) => problem.limit);
const arn = (name: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':autoscaling:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${name}`,
    ],
  ],
});

describe('templateLimitProblems', () => {
  it('finds nothing in a template within every limit', () => {
    expect(problemsOf({ Topic: { Type: 'AWS::SNS::Topic' } })).toEqual([]);
  });

  it('counts resources (500), template bytes (1 MB), outputs (200) and parameters (200)', () => {
    const many = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`R${i}`, {}]));
    const resources = Object.fromEntries(
      Array.from({ length: 501 }, (_, i) => [`Topic${i}`, { Type: 'AWS::SNS::Topic' }]),
    );
    expect(limitsOf(resources, { Outputs: many(201), Parameters: many(201) }, 1_000_001)).toEqual([
      'resources',
      'templateBytes',
      'outputs',
      'parameters',
    ]);
    expect(limitsOf({}, { Outputs: many(200), Parameters: many(200) }, 1_000_000)).toEqual([]);
  });

  it("refuses a function in more than 16 subnets or 5 security groups, naming it and Lambda's API reference", () => {
    const fn = (subnets: number, groups: number) => ({
      Type: 'AWS::Lambda::Function',
      Properties: {
        VpcConfig: {
          SubnetIds: Array.from({ length: subnets }, (_, i) => `subnet-${i}`),
          SecurityGroupIds: Array.from({ length: groups }, (_, i) => `sg-${i}`),
        },
      },
    });
    expect(limitsOf({ Ok: fn(16, 5) })).toEqual([]);
    const [subnets, groups] = problemsOf({ Canary: fn(17, 6) });
    expect(describeProblem(defined(subnets))).toBe(
      'VpnGuard/Canary: 17 subnets in a function VpcConfig; AWS allows 16 (https://docs.aws.amazon.com/lambda/latest/dg/API_VpcConfig.html): ' +
        "list at most 16 distinct canary.subnetIds across the VPC's links",
    );
    expect(groups?.limit).toBe('securityGroups');
  });

  it("adds up a role's inline policies without whitespace, deploy-time ARNs at their deployed size", () => {
    const policy = (count: number, role = 'GatewayRole') => ({
      Type: 'AWS::IAM::Policy',
      Properties: {
        Roles: [{ Ref: role }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'autoscaling:TerminateInstanceInAutoScalingGroup',
              Resource: Array.from({ length: count }, (_, i) => arn(`group-${i}`)),
            },
          ],
        },
      },
    });
    // arn:<10>:autoscaling:<14>:<12>:group-N is 62-64 characters, 65-67 quoted with its comma.
    expect(resolvedText(arn('group-1'))).toHaveLength(62);
    expect(limitsOf({ A: policy(75), B: policy(75) })).toEqual([]);
    const problems = problemsOf({ A: policy(100), B: policy(90) });
    expect(problems.map((problem) => [problem.limit, problem.resource])).toEqual([
      ['inlinePolicyChars', 'GatewayRole'],
    ]);
    expect(problems[0]?.value).toBeGreaterThan(10_240);
  });

  it('refuses a managed policy over 6,144 characters and a role with more than 10 of them', () => {
    const managed = (id: number, count: number) => [
      `Overflow${id}`,
      {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          Roles: [{ Ref: 'GatewayRole' }],
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Allow',
                Action: 'x:Y',
                Resource: Array.from({ length: count }, (_, i) => arn(`g-${i}`)),
              },
            ],
          },
        },
      },
    ];
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => managed(i, 90)));
    expect(limitsOf(ten)).toEqual([]);
    expect(limitsOf({ ...ten, ...Object.fromEntries([managed(10, 10)]) })).toEqual([
      'managedPoliciesPerRole',
    ]);
    expect(limitsOf(Object.fromEntries([managed(0, 120)]))).toEqual(['managedPolicyChars']);
  });

  it('sizes a state machine definition with its substitutions (1 MB) and a schedule input (256 KiB)', () => {
    const machine = (size: number) => ({
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        // The placeholder Step Functions substitutes (written in two parts so it is not a template string).
        DefinitionString: '{"Comment":"$' + '{Big}"}',
        DefinitionSubstitutions: { Big: 'x'.repeat(size) },
      },
    });
    expect(limitsOf({ M: machine(1_000_000) })).toEqual([]);
    expect(limitsOf({ M: machine(1_048_576) })).toEqual(['definitionBytes']);
    const schedule = (size: number) => ({
      Type: 'AWS::Scheduler::Schedule',
      Properties: { Target: { Input: 'x'.repeat(size) } },
    });
    expect(limitsOf({ S: schedule(262_144) })).toEqual([]);
    expect(limitsOf({ S: schedule(262_145) })).toEqual(['executionInputBytes']);
  });

  it('refuses an event pattern over 2,048 characters', () => {
    const rule = (names: number) => ({
      Type: 'AWS::Events::Rule',
      Properties: {
        EventPattern: {
          detail: { alarmName: Array.from({ length: names }, (_, i) => `VpnGuard-site-${i}-Unhealthy`) },
        },
      },
    });
    expect(limitsOf({ R: rule(60) })).toEqual([]);
    expect(limitsOf({ R: rule(80) })).toEqual(['eventPatternChars']);
  });

  it('reads a dashboard body: 500 widgets, 100 metrics per graph, 100 alarms per alarm widget', () => {
    const graph = (metrics: number) => ({
      type: 'metric',
      properties: { metrics: Array(metrics).fill(['N', 'M']) },
    });
    const plain = (widgets: unknown[]) => ({
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: { DashboardBody: JSON.stringify({ widgets }) },
    });
    // As CDK writes it: a Fn::Join around the Region, which must parse once resolved.
    const joined = {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: {
        DashboardBody: {
          'Fn::Join': [
            '',
            [
              '{"widgets":[{"type":"metric","properties":{"region":"',
              { Ref: 'AWS::Region' },
              `","metrics":${JSON.stringify(Array(101).fill(['N', 'M']))}}}]}`,
            ],
          ],
        },
      },
    };
    expect(limitsOf({ D: plain([graph(100)]) })).toEqual([]);
    expect(limitsOf({ D: joined })).toEqual(['widgetMetrics']);
    expect(limitsOf({ D: plain([graph(101)]) })).toEqual(['widgetMetrics']);
    expect(
      limitsOf({ D: plain([{ type: 'alarm', properties: { alarms: Array(101).fill('arn') } }]) }),
    ).toEqual(['widgetAlarms']);
    expect(limitsOf({ D: plain(Array(501).fill({ type: 'text', properties: {} })) })).toEqual([
      'dashboardWidgets',
    ]);
  });
});

describe('link stacks', () => {
  it('keeps every link in the main stack when deployment.linkStacks is 0', () => {
    expect(linkStackIndex('site-001', 0)).toBeUndefined();
    expect(linksByStack(parseConfig(scaleConfigJson({ links: 10, vpcs: 2 })))).toEqual([]);
  });

  it('puts each link in one stack by its name alone: adding or removing links moves no other link', () => {
    const before = new Map(
      Array.from({ length: 200 }, (_, i) => [`site-${i}`, linkStackIndex(`site-${i}`, 4)] as const),
    );
    expect(new Set(before.values())).toEqual(new Set([0, 1, 2, 3]));
    // Each stack takes roughly a quarter (the hash spreads 200 names 40-60 per stack).
    for (const stack of [0, 1, 2, 3]) {
      const count = [...before.values()].filter((index) => index === stack).length;
      expect(count).toBeGreaterThan(35);
      expect(count).toBeLessThan(65);
    }
    // Another deployment's config order or size does not matter: the same name, the same stack.
    expect(linkStackIndex('site-7', 4)).toBe(before.get('site-7'));
  });

  it('moves only links into the new stack when linkStacks grows (jump consistent hash)', () => {
    const names = Array.from({ length: 300 }, (_, i) => `link-${i}`);
    const moved = names.filter((name) => linkStackIndex(name, 4) !== linkStackIndex(name, 5));
    for (const name of moved) expect(linkStackIndex(name, 5)).toBe(4);
    // About a fifth move, never the others.
    expect(moved.length).toBeGreaterThan(30);
    expect(moved.length).toBeLessThan(90);
  });

  it('names link stacks <stackName>-Links<k>, k from 1', () => {
    expect(linkStackName('VpnGuard', 0)).toBe('VpnGuard-Links1');
  });
});

describe('the schema', () => {
  const problemsFor = (raw: unknown) => {
    try {
      parseConfig(raw, 'test');
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it("refuses more than 16 canary subnets in one VPC (the canary function's VpcConfig), naming the link that passes it", () => {
    // 16 distinct subnets across the VPC's links: fine.
    expect(problemsFor(scaleConfigJson({ links: 8, vpcs: 1, subnetsPerLink: 2, subnetsPerVpc: 16 }))).toEqual(
      [],
    );
    // 17: the link that brings the union past 16 is named, with both counts and the fix.
    const raw = scaleConfigJson({ links: 9, vpcs: 1, subnetsPerLink: 2, subnetsPerVpc: 17 });
    const problems = problemsFor(raw);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^links\[8\]\.canary\.subnetIds: got .*brings the canary subnets of vpc-04000000000000000 to 17 \(this link lists 2; the VPC's links together list 17\).*at most 16 subnets per function.*list at most 16 distinct subnets/,
    );
  });

  it('refuses a single link listing 17 subnets', () => {
    const problems = problemsFor(scaleConfigJson({ links: 1, vpcs: 1, subnetsPerLink: 17 }));
    expect(problems[0]).toMatch(/^links\[0\]\.canary\.subnetIds: .*to 17: the VPC's one canary function/);
  });

  it('defaults deployment.linkStacks to 0 and refuses a negative, fractional or huge one', () => {
    expect(parseConfig(scaleConfigJson({ links: 1 })).deployment).toEqual({ linkStacks: 0 });
    const withStacks = (linkStacks: unknown) => ({
      ...scaleConfigJson({ links: 1 }),
      deployment: { linkStacks },
    });
    expect(problemsFor(withStacks(-1))[0]).toMatch(
      /^deployment\.linkStacks: got -1: must be 0 \(one stack\) or more/,
    );
    expect(problemsFor(withStacks(1.5))[0]).toMatch(
      /^deployment\.linkStacks: got 1\.5: must be a whole number/,
    );
    expect(problemsFor(withStacks(41))[0]).toMatch(/^deployment\.linkStacks: got 41: must be at most 40/);
  });
});

function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}
