/** Execution names carry the incident and the attempt; the parser reads every name it produces. */
import { describe, expect, it } from 'vitest';
import {
  executionNameOfArn,
  parseRemediationExecutionName,
  remediationExecutionName,
} from '#shared/execution-name.ts';

const AT = new Date('2026-11-26T12:01:05.900Z');

describe('remediationExecutionName', () => {
  it('names the first attempt without a suffix and later ones -aN', () => {
    expect(remediationExecutionName('home-to-west', 'alarm', AT)).toBe('home-to-west-alarm-20261126T120105');
    expect(remediationExecutionName('home-to-west', 'alarm', AT, 1)).toBe(
      'home-to-west-alarm-20261126T120105',
    );
    expect(remediationExecutionName('home-to-west', 'alarm', AT, 2)).toBe(
      'home-to-west-alarm-20261126T120105-a2',
    );
    expect(remediationExecutionName('dr-1', 'alarm', AT, 12)).toBe('dr-1-alarm-20261126T120105-a12');
  });

  it('refuses an attempt that is not a whole number from 1', () => {
    expect(() => remediationExecutionName('x', 'alarm', AT, 0)).toThrow(/attempt must be a whole number/);
    expect(() => remediationExecutionName('x', 'alarm', AT, 1.5)).toThrow(RangeError);
  });

  it("stays within Step Functions' 80 characters for the longest link name", () => {
    const link = 'a'.repeat(32);
    expect(remediationExecutionName(link, 'manual', AT, 999).length).toBeLessThanOrEqual(80);
  });
});

describe('parseRemediationExecutionName', () => {
  it('reads back link, trigger, time and attempt', () => {
    expect(parseRemediationExecutionName('home-to-west-alarm-20261126T120105-a3')).toEqual({
      link: 'home-to-west',
      trigger: 'alarm',
      at: new Date('2026-11-26T12:01:05Z'),
      attempt: 3,
    });
    expect(parseRemediationExecutionName('home-to-west-drill-20261126T120105')?.attempt).toBe(1);
  });

  it("rejects what it does not produce (a1, a leading zero, another machine's name)", () => {
    expect(parseRemediationExecutionName('home-to-west-alarm-20261126T120105-a1')).toBeUndefined();
    expect(parseRemediationExecutionName('home-to-west-alarm-20261126T120105-a02')).toBeUndefined();
    expect(parseRemediationExecutionName('tick-20261126T120105')).toBeUndefined();
  });

  it('takes the name off an execution ARN', () => {
    expect(
      executionNameOfArn('arn:aws:states:us-east-1:1:execution:m:home-to-west-alarm-20261126T120105-a2'),
    ).toBe('home-to-west-alarm-20261126T120105-a2');
  });
});
