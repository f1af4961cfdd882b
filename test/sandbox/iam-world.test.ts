/**
 * IAM in the loop of the world: the policies the stack synthesizes decide every call a handler
 * makes and every delivery the services make, and a narrowed grant fails as AWS fails it.
 */
import { readFileSync } from 'node:fs';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it } from 'vitest';
import { localFunctionArn } from '#infra/asl.ts';
import { IamModelError } from '#sandbox/iam/authorizer.ts';
import { cacheKey, lastTemplateSource, loadTemplate } from '#sandbox/iam/template.ts';
import { localLambdaContext } from '#sandbox/local-sfn.ts';
import { loadScenario } from '#sandbox/scenario/load.ts';
import { runScenario } from '#sandbox/scenario/run.ts';
import { type CallerContext, callerContext } from '#sandbox/world/calls.ts';
import { ACCOUNT, HOME_REGION, TOPIC_ARN, World, type WorldOptions } from '#sandbox/world/world.ts';
import { linkAlarmName } from '#shared/alarm-names.ts';
import { parseConfig } from '#shared/config.ts';

const config = JSON.parse(
  readFileSync(new URL('../../scenarios/configs/one-link.json', import.meta.url), 'utf8'),
);
const LINK = 'home-to-west';
const DENIALS = [
  'UnauthorizedOperation',
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationError',
  'KMSAccessDenied',
];

let world: World | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

async function quietWorld(options: Partial<WorldOptions> = {}): Promise<World> {
  world = await World.create({ config, monitor: false, alarms: false, remoteHosts: false, ...options });
  return world;
}

function denials(w: World) {
  return w.calls.all().filter((call) => call.error && DENIALS.includes(call.error.name));
}

/** Runs a shipped scenario, letting `prepare` change the world's IAM first; returns the world too. */
async function runWith(name: string, prepare: (w: World) => void) {
  let captured: World | undefined;
  const result = await runScenario(loadScenario(name), {
    onReady: (w) => {
      captured = w;
      prepare(w);
    },
  });
  if (!captured) throw new Error('the scenario never made a world');
  return { result, world: captured };
}

describe('IAM on the default drill', () => {
  it('allows every call the product makes in gateway-instance-dies, by the policies the stack deploys', async () => {
    // Act
    const { result, world: w } = await runWith('gateway-instance-dies', () => undefined);

    // Assess
    expect(result.expectations.filter((e) => !e.met)).toEqual([]);
    expect(w.iam.enabled).toBe(true);
    expect(denials(w)).toEqual([]);
    // It really was checked: the gateway's role is the template's.
    const role = w.iam.deployment().functionRole(localFunctionArn('gateway', HOME_REGION, ACCOUNT));
    expect(role?.statements.some((s) => [s.statement.Action].flat().includes('ec2:AssociateAddress'))).toBe(
      true,
    );
  });

  it('fails the scenario with UnauthorizedOperation naming ec2:AssociateAddress once that grant is taken away', async () => {
    // Act
    const { result, world: w } = await runWith('gateway-instance-dies', (x) =>
      x.iam.revoke({ principal: 'gateway', action: 'ec2:AssociateAddress' }),
    );

    // Assess
    expect(result.expectations.some((e) => !e.met)).toBe(true);
    const [denied, ...more] = denials(w);
    expect(more.every((call) => call.command === 'AssociateAddress')).toBe(true);
    expect(denied?.command).toBe('AssociateAddress');
    expect(denied?.caller?.functionId).toBe('gateway');
    expect(denied?.error?.name).toBe('UnauthorizedOperation');
    expect(denied?.error?.message).toMatch(
      new RegExp(
        '^You are not authorized to perform this operation\\. User: arn:aws:sts::111111111111:assumed-role/' +
          'VpnGuard-RemediationGatewayRole[^/]+/vpn-guard-gateway is not authorized to perform: ec2:AssociateAddress ' +
          'on resource: arn:aws:ec2:us-east-1:111111111111:elastic-ip/eipalloc-0a1b2c3d4e5f60718 because no ' +
          'identity-based policy allows the ec2:AssociateAddress action$',
      ),
    );
    // Denied before the model: the address did not move and no route was re-pointed.
    expect(w.calls.filter({ command: 'ReplaceRoute', failed: false })).toEqual([]);
    expect(result.remediations[0]?.outcome).toBe('failed');
  });
});

describe('DescribeAlarms and composite alarms (API_DescribeAlarms)', () => {
  const alarmArn = (name: string) => `arn:aws:cloudwatch:${HOME_REGION}:${ACCOUNT}:alarm:${name}`;
  const outage = linkAlarmName('VpnGuard', LINK, 'Outage');
  const startRemediation: CallerContext = {
    functionId: 'start-remediation',
    functionArn: localFunctionArn('start-remediation', HOME_REGION, ACCOUNT),
    invocationId: 0,
    via: 'sfn',
  };
  /** start-remediation's DescribeAlarms grant narrowed to one alarm ARN. */
  const narrowTo = (w: World, arn: string) =>
    w.iam.narrow('start-remediation', (statements) =>
      statements.map((s) =>
        [s.statement.Action].flat().includes('cloudwatch:DescribeAlarms')
          ? { ...s, statement: { ...s.statement, Resource: [arn] } }
          : s,
      ),
    );
  const describe = (types: string[], names: string[]) =>
    callerContext.run(startRemediation, () =>
      new CloudWatchClient({ region: HOME_REGION }).send(
        new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: types as never }),
      ),
    );

  it('refuses composite alarms to a grant narrower than "*", and returns a metric alarm the grant names', async () => {
    // Prepare
    const w = await quietWorld();
    narrowTo(w, alarmArn(outage));

    // Act / Assess
    await expect(describe(['CompositeAlarm'], [outage])).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining(
        'is not authorized to perform: cloudwatch:DescribeAlarms on resource: *',
      ),
    });
    await expect(describe(['MetricAlarm'], [outage])).resolves.toBeDefined();
  });

  it('returns the metric-math Outage alarm to the grant the stack deploys (its Outage alarms only)', async () => {
    // Prepare
    await quietWorld();

    // Act
    const out = await describe(['MetricAlarm'], [outage]);

    // Assess
    expect(out.MetricAlarms?.map((a) => a.AlarmName)).toEqual([outage]);
    expect(out.MetricAlarms?.[0]?.Metrics?.map((m) => m.Id)).toEqual(['outage', 'tunnels', 'canary']);
    await expect(
      describe(['MetricAlarm'], [linkAlarmName('VpnGuard', LINK, 'LatencyHigh')]),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
    });
  });

  it("runs start-remediation's alarm lookup under the scoped grant, and fails it when the grant names another alarm", async () => {
    // Prepare: the Monitor branch without the tick's figures reads the Outage alarms.
    const w = await quietWorld();
    const { handler } = await import('#functions/start-remediation/handler.ts');
    const context = localLambdaContext(startRemediation.functionArn ?? '');

    // Act / Assess: the deployed grant reads the alarm (OK: nothing to start).
    await expect(
      callerContext.run(startRemediation, () => handler({ source: 'monitor' }, context)),
    ).resolves.toMatchObject({ started: [] });
    expect(w.calls.filter({ command: 'DescribeAlarms', error: 'AccessDenied' })).toEqual([]);

    // Act / Assess: a grant on another alarm's ARN is refused.
    narrowTo(w, alarmArn(linkAlarmName('VpnGuard', LINK, 'LatencyHigh')));
    await expect(
      callerContext.run(startRemediation, () => handler({ source: 'monitor' }, context)),
    ).rejects.toThrow(/cloudwatch:DescribeAlarms/);
    expect(w.calls.filter({ command: 'StartExecution' })).toEqual([]);
  });
});

describe("the services' own deliveries", () => {
  it('fails a Task with Lambda.AWSLambdaException when the state machine role may not invoke the function', async () => {
    // Prepare
    const w = await quietWorld({
      iam: { revoke: [{ principal: 'states:remediation', action: 'lambda:InvokeFunction' }] },
    });

    // Act
    const execution = w.startRemediation({ link: LINK, trigger: 'drill', dryRun: true });
    await w.runUntilDone(execution);

    // Assess
    expect(execution.status).toBe('FAILED');
    const failed = execution.history.find((event) => event.error === 'Lambda.AWSLambdaException');
    expect(failed?.cause).toMatch(
      /assumed-role\/VpnGuard-RemediationStateMachineRole[^/]+\/.+ is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:111111111111:function:vpn-guard-remediation-guard because no identity-based policy allows/,
    );
    // No Task function ran, so the execution made no call (the status-change rule's notify, which
    // reports the failed execution afterwards, is not one of its Tasks).
    expect(w.calls.filter({ executionName: execution.name, machine: 'remediation' })).toEqual([]);
  });

  it("starts no Monitor when the schedule's role may not StartExecution", async () => {
    // Prepare
    const w = await quietWorld({
      monitor: true,
      iam: { revoke: [{ principal: 'scheduler:monitor', action: 'states:StartExecution' }] },
    });

    // Act
    await w.runUntil(125);

    // Assess
    expect(w.monitorExecutions()).toEqual([]);
    expect(
      w.events.filter((e) => e.message.includes('EventBridge Scheduler could not start the Monitor')).length,
    ).toBe(3);
    expect(w.events.find((e) => e.message.includes('Scheduler could not'))?.message).toContain(
      'is not authorized to perform: states:StartExecution on resource: arn:aws:states:us-east-1:111111111111:stateMachine:vpn-guard-monitor',
    );
  });

  it("refuses the alarm rule's delivery without the function's resource-based permission (the event goes to the rule's DLQ at once); the Monitor still starts the run", async () => {
    // Act
    const { result, world: w } = await runWith('gateway-instance-dies', (x) => {
      x.iam.deployment().lambdaPermissions.length = 0;
    });

    // Assess
    const startRemediation = localFunctionArn('start-remediation', HOME_REGION, ACCOUNT);
    const target = w.iam
      .deployment()
      .rules.flatMap((rule) => rule.targetDetails)
      .find((t) => t.arn === startRemediation);
    const dlq = target?.deadLetterArn ?? 'no DLQ';
    expect(
      w.events.some((e) => e.message.startsWith('EventBridge could not invoke start-remediation:')),
    ).toBe(true);
    expect(
      w.sqs.messages(dlq).map((m) => [m.sender, m.attributes.ERROR_CODE, m.attributes.TARGET_ARN]),
    ).toEqual([['events.amazonaws.com', 'NO_PERMISSIONS', startRemediation]]);
    expect(w.calls.filter({ command: 'StartExecution', failed: false }).length).toBeGreaterThanOrEqual(1);
    expect(result.remediations.map((r) => r.name)).toHaveLength(1);
    expect(result.remediations[0]?.outcome).toBe('recovered');
  });

  it('fails Publish to the encrypted topic with KMSAccessDenied when notify may not use the key', async () => {
    // Prepare
    const w = await quietWorld({ iam: { revoke: [{ principal: 'notify', action: 'kms:Decrypt' }] } });

    // Act
    const execution = w.startRemediation({ link: LINK, trigger: 'drill', dryRun: true });
    await w.runUntilDone(execution);

    // Assess
    const [publish] = w.calls.filter({ command: 'Publish', failed: true });
    expect(publish?.error?.name).toBe('KMSAccessDenied');
    expect(publish?.error?.message).toMatch(
      /is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111111111111:key\//,
    );
  });
});

describe('resource-based policies (topic, key, function)', () => {
  const topicPolicy = (w: World) => {
    const policy = w.iam.deployment().resourcePolicies.get(TOPIC_ARN);
    if (!policy) throw new Error('the topic has no policy in the template');
    return policy;
  };
  const keyPolicy = (w: World) => {
    const key = w.iam.deployment().topicKeys.get(TOPIC_ARN);
    const policy = key ? w.iam.deployment().resourcePolicies.get(key) : undefined;
    if (!policy) throw new Error('the topic key has no policy in the template');
    return policy;
  };
  const dryRunDrill = async (w: World) => {
    const execution = w.startRemediation({ link: LINK, trigger: 'drill', dryRun: true });
    await w.runUntilDone(execution);
    return w.calls.filter({ command: 'Publish' });
  };

  it('delivers alarm notifications only while the topic policy lets cloudwatch.amazonaws.com publish', async () => {
    // Act
    const { result, world: w } = await runWith('gateway-instance-dies', (x) => {
      const policy = topicPolicy(x);
      policy.splice(
        0,
        policy.length,
        ...policy.filter((s) => s.statement.Sid !== 'AllowThisAccountsAlarmsToPublish'),
      );
    });

    // Assess
    expect(result.notifications.filter((n) => n.kind === 'alarm')).toEqual([]);
    expect(w.events.find((e) => e.message.startsWith('CloudWatch could not notify'))?.message).toContain(
      'does not allow cloudwatch.amazonaws.com to perform sns:Publish',
    );
    // The product's own report (notify's role) is unaffected.
    expect(result.notifications.filter((n) => n.kind === 'recovered')).toHaveLength(1);
  });

  it("lets an explicit deny in the topic policy win over notify's identity-based grant", async () => {
    // Prepare
    const w = await quietWorld();
    topicPolicy(w).push({
      policy: 'test',
      statement: { Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: TOPIC_ARN },
    });

    // Act
    const [publish] = await dryRunDrill(w);

    // Assess
    expect(publish?.error?.name).toBe('AuthorizationError');
    expect(publish?.error?.message).toContain(
      'is not authorized to perform: sns:Publish on resource: ' +
        TOPIC_ARN +
        ' with an explicit deny in a resource-based policy',
    );
  });

  it("needs the key policy to delegate to IAM before notify's kms grant counts", async () => {
    // Prepare
    const w = await quietWorld();
    const policy = keyPolicy(w);
    policy.splice(
      0,
      policy.length,
      ...policy.filter((s) => JSON.stringify(s.statement.Principal ?? '').includes(':root') === false),
    );

    // Act
    const [publish] = await dryRunDrill(w);

    // Assess
    expect(publish?.error?.name).toBe('KMSAccessDenied');
    expect(publish?.error?.message).toContain('because the resource-based policy of arn:aws:kms:');
  });
});

describe('what IAM does not check, and what it refuses to guess', () => {
  it("does not authorize the harness's own calls (they stand for the operator)", async () => {
    // Prepare
    const w = await quietWorld({
      iam: { revoke: [{ principal: 'start-remediation', action: 'states:StartExecution' }] },
    });

    // Act
    const execution = w.startRemediation({ link: LINK, trigger: 'drill', dryRun: true });

    // Assess
    expect(execution.status).toBe('RUNNING');
    expect(w.calls.filter({ command: 'StartExecution', includeHarness: true, failed: false })).toHaveLength(
      1,
    );
  });

  it('fails loudly on a command with no row in the request table', async () => {
    // Prepare
    const w = await quietWorld();
    const caller: CallerContext = { functionId: 'gateway', invocationId: 0, via: 'sfn' };

    // Act / Assess
    expect(() => w.iam.authorizeCall('ec2', 'TerminateInstances', HOME_REGION, {}, caller)).toThrow(
      IamModelError,
    );
  });

  it('refuses to narrow a grant that does not exist', async () => {
    const w = await quietWorld();
    expect(() => w.iam.revoke({ principal: 'gateway', action: 'ec2:TerminateInstances' })).toThrow(
      /not granted/,
    );
  });
});

describe('the deployed template cache', () => {
  it('keys templates by the config content, not its key order, and serves a repeat from memory', async () => {
    // Prepare
    const parsed = parseConfig(config);
    const reordered = parseConfig(Object.fromEntries(Object.entries(config).reverse()));
    const other = parseConfig({ ...config, namespace: 'OtherGuard' });

    // Act
    await loadTemplate(parsed);
    const template = await loadTemplate(reordered);

    // Assess
    expect(cacheKey(parsed)).toBe(cacheKey(reordered));
    expect(cacheKey(other)).not.toBe(cacheKey(parsed));
    expect(lastTemplateSource()?.from).toBe('memory');
    expect(Object.values(template.Resources).some((r) => r.Type === 'AWS::IAM::Policy')).toBe(true);
  });
});
