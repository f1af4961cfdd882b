/** ValidateInput's pure logic: the execution input checked strictly and resolved against the config. */
import { describe, expect, it } from 'vitest';
import { parseCanaryFunctions, resolveRequest } from '#functions/remediation-guard/validate.ts';
import { parseConfig } from '#shared/config.ts';
import { CanaryError, InvalidInputError } from '#shared/errors.ts';
import { twoLinkConfig } from '../fixtures/config.ts';

const CANARIES = {
  'vpc-0a1b2c3d4e5f60718': 'arn:aws:lambda:us-east-1:111111111111:function:canary-a',
  'vpc-0bbbbbbbbbbbbbbbb': 'arn:aws:lambda:us-east-1:111111111111:function:canary-b',
};
const META = {
  executionId: 'arn:aws:states:us-east-1:111111111111:execution:remediation:home-to-eu-drill-20261126T202938',
  executionName: 'home-to-eu-drill-20261126T202938',
  startedAt: '2026-11-26T20:29:38.412Z',
};

function rejection(raw: unknown): Error {
  try {
    resolveRequest(raw, twoLinkConfig(), CANARIES, META);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the input to be rejected');
}

describe('resolveRequest', () => {
  it('resolves a drill into the link, its canary function, the settings and deadlines, with dryRun false by default', () => {
    // Act
    const context = resolveRequest({ link: 'home-to-eu', trigger: 'drill' }, twoLinkConfig(), CANARIES, META);
    // Assess
    expect(context).toMatchObject({
      link: 'home-to-eu',
      trigger: 'drill',
      dryRun: false,
      reason: 'failover drill',
      confirm: false,
      canaryFunctionArn: CANARIES['vpc-0bbbbbbbbbbbbbbbb'],
      deadlines: { replacementTimeoutMinutes: 10, verifyTimeoutMinutes: 5 },
      settings: { cooldownMinutes: 15, maxAttemptsPer24h: 3 },
      ...META,
    });
    expect(context.linkConfig.gateway.autoScalingGroupName).toBe('vpn-gateway-eu');
  });

  it('asks for confirmation on an alarm trigger and keeps the reason given', () => {
    const context = resolveRequest(
      {
        link: 'home-to-west',
        trigger: 'alarm',
        dryRun: true,
        reason: 'Unhealthy alarm in ALARM since 2026-11-26T11:58:00Z',
      },
      twoLinkConfig(),
      CANARIES,
      META,
    );
    expect(context.confirm).toBe(true);
    expect(context.dryRun).toBe(true);
    expect(context.reason).toBe('Unhealthy alarm in ALARM since 2026-11-26T11:58:00Z');
  });

  it('rejects an unknown link, naming it and every configured link', () => {
    const error = rejection({ link: 'home-to-mars', trigger: 'drill' });
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe(
      'link: "home-to-mars" is not a configured link; configured links: home-to-west, home-to-eu',
    );
  });

  it('rejects an unknown field, naming it, the accepted fields and the configured links', () => {
    const error = rejection({ link: 'home-to-west', trigger: 'drill', dryrun: true });
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(
      /unknown field\(s\) "dryrun": the input accepts link, trigger, dryRun, reason/,
    );
    expect(error.message).toMatch(/configured links: home-to-west, home-to-eu$/);
  });

  it('rejects a bad trigger and a non-boolean dryRun, naming each field and the value it had', () => {
    const error = rejection({ link: 'home-to-west', trigger: 'panic', dryRun: 'yes' });
    expect(error.message).toMatch(/trigger: got "panic": must be one of alarm, drill, manual/);
    expect(error.message).toMatch(/dryRun: got "yes": must be true or false/);
  });

  it('rejects a missing link and an input that is not an object', () => {
    expect(rejection({ trigger: 'drill' }).message).toMatch(/link: got nothing \(the field is missing\)/);
    expect(rejection('home-to-west').message).toMatch(
      /^invalid remediation input: \(input\): must be an object/,
    );
  });

  it('refuses an alarm-triggered run for a link whose automatic remediation is off, but lets a human run it', () => {
    const raw = structuredClone(twoLinkConfig()) as unknown as {
      links: { remediation?: { enabled: boolean } }[];
    };
    const first = raw.links[0];
    if (first) first.remediation = { enabled: false };
    const config = parseConfig(raw, 'test');
    expect(() => resolveRequest({ link: 'home-to-west', trigger: 'alarm' }, config, CANARIES, META)).toThrow(
      /automatic remediation is disabled for home-to-west/,
    );
    expect(resolveRequest({ link: 'home-to-west', trigger: 'manual' }, config, CANARIES, META).trigger).toBe(
      'manual',
    );
  });

  it("fails with CanaryError when the link's VPC has no canary function deployed", () => {
    const error = (() => {
      try {
        return resolveRequest(
          { link: 'home-to-eu', trigger: 'manual' },
          twoLinkConfig(),
          { 'vpc-0a1b2c3d4e5f60718': CANARIES['vpc-0a1b2c3d4e5f60718'] },
          META,
        );
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error).toBeInstanceOf(CanaryError);
    expect((error as Error).message).toMatch(/no canary function is deployed for vpc-0bbbbbbbbbbbbbbbb/);
  });
});

describe('parseCanaryFunctions', () => {
  it('reads the vpcId=functionArn pairs the stack substitutes into the definition', () => {
    const text = Object.entries(CANARIES)
      .map(([vpcId, arn]) => `${vpcId}=${arn}`)
      .join(',');
    expect(parseCanaryFunctions(text)).toEqual(CANARIES);
  });

  it('reads an empty list as no canary functions', () => {
    expect(parseCanaryFunctions('')).toEqual({});
  });

  it('refuses an entry that is not vpcId=functionArn, naming it', () => {
    expect(() => parseCanaryFunctions('vpc-1')).toThrow(/"vpc-1": each entry must be vpcId=functionArn/);
    expect(() => parseCanaryFunctions('vpc-1=canary')).toThrow(/"vpc-1=canary"/);
    expect(() => parseCanaryFunctions('{"vpc-1":"arn:aws:lambda:x"}')).toThrow(/vpcId=functionArn/);
  });
});
