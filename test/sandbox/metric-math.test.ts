import { describe, expect, it } from 'vitest';
import { linkAlarmSpecs } from '#infra/alarm-specs.ts';
import { evaluateMathAlarm, type Sample } from '#sandbox/world/alarm-eval.ts';
import { evaluateExpression, MetricMathError, parseExpression } from '#sandbox/world/metric-math.ts';
import { parseConfig } from '#shared/config.ts';
import { exampleConfigJson } from '../fixtures/config.ts';

const run = (expression: string, series: Record<string, (number | undefined)[]>, periods = 3) =>
  evaluateExpression(parseExpression(expression), series, periods);

describe('metric math (using-metric-math.html): the expression over the queries, period by period', () => {
  it('applies arithmetic with the usual precedence, and a scalar to every period', () => {
    expect(run('a + b * 2', { a: [1, 2, 3], b: [10, 20, 30] })).toEqual([21, 42, 63]);
    expect(run('(a + 1) / 2', { a: [1, 3, 5] })).toEqual([1, 2, 3]);
    expect(run('2 ^ 3 - a', { a: [0, 1, 2] })).toEqual([8, 7, 6]);
  });

  it('has no result where either series lacks a value (and a value where both have one)', () => {
    expect(run('a + b', { a: [1, undefined, 3], b: [1, 1, undefined] })).toEqual([2, undefined, undefined]);
  });

  it('compares to 1 or 0 and combines with AND/&&, OR/||, NOT/!', () => {
    expect(run('a < 2', { a: [1, 2, 3] })).toEqual([1, 0, 0]);
    expect(run('a >= 2 AND b == 0', { a: [1, 2, 3], b: [0, 0, 1] })).toEqual([0, 1, 0]);
    expect(run('a > 2 || b != 0', { a: [1, 2, 3], b: [0, 1, 0] })).toEqual([0, 1, 1]);
    expect(run('NOT a', { a: [0, 5, 0] })).toEqual([1, 0, 1]);
    expect(run('!(a <= 1)', { a: [0, 1, 2] })).toEqual([0, 0, 1]);
  });

  it('IF picks per period; without a false value it has no datapoint where the condition is false', () => {
    expect(run('IF(a < 1, 10, 20)', { a: [0, 1, undefined] })).toEqual([10, 20, undefined]);
    expect(run('IF(a < 1, b)', { a: [0, 1, 0], b: [7, 8, 9] })).toEqual([7, undefined, 9]);
  });

  it('FILL gives periods without a value the value given, or the last earlier value with REPEAT', () => {
    expect(run('FILL(a, 5)', { a: [undefined, 2, undefined] })).toEqual([5, 2, 5]);
    expect(run('FILL(a, REPEAT)', { a: [1, undefined, undefined] })).toEqual([1, 1, 1]);
    expect(run('FILL(a, 0)', { a: [undefined, undefined, undefined] })).toEqual([0, 0, 0]);
  });

  it('MIN/MAX/SUM/AVG: of one series a scalar over the range, of an array the value across series per period', () => {
    expect(run('a - MIN(a)', { a: [3, 1, 2] })).toEqual([2, 0, 1]);
    expect(run('MAX([a, b])', { a: [1, 5, undefined], b: [2, 3, undefined] })).toEqual([2, 5, undefined]);
    expect(run('SUM([a, b])', { a: [1, undefined, 3], b: [1, 1, undefined] })).toEqual([2, 1, 3]);
    expect(run('AVG(a)', { a: [1, 2, 3] })).toEqual([2, 2, 2]);
  });

  it('refuses what CloudWatch would refuse: unknown ids, bad syntax, unknown functions', () => {
    expect(() => run('a + c', { a: [1, 1, 1] })).toThrow(MetricMathError);
    expect(() => run('a +', { a: [1, 1, 1] })).toThrow(/ends too early/);
    expect(() => run('IF(a)', { a: [1, 1, 1] })).toThrow(/IF takes/);
    expect(() => run('ANOMALY_DETECTION_BAND(a)', { a: [1, 1, 1] })).toThrow(/does not model/);
    expect(() => run('Tunnels + 1', { Tunnels: [1, 1, 1] })).toThrow(/lowercase/);
  });
});

describe("the Outage alarm's expression, evaluated as CloudWatch evaluates a metric-math alarm", () => {
  const config = parseConfig(exampleConfigJson());
  const link = config.links[0];
  if (!link) throw new Error('the example config has a link');
  const { outage } = linkAlarmSpecs(config, link);
  const minute = 60_000;
  const at = (m: number, value: number): Sample => ({
    timestamp: m * minute + 5000,
    count: 1,
    sum: value,
    min: value,
    max: value,
  });
  const now = 10 * minute + 50_000;
  const evaluate = (tunnels: Sample[], canary: Sample[]) =>
    evaluateMathAlarm(outage, { tunnels, canary }, now, 'OK');

  it('is OK while the tunnels are up and the canary passes', () => {
    const result = evaluate([at(8, 2), at(9, 2), at(10, 2)], [at(8, 1), at(9, 1), at(10, 1)]);
    expect(result.state).toBe('OK');
    expect(result.periods.map((p) => p.value)).toEqual([0, 0, 0]);
  });

  it('alarms on tunnels below minTunnelsUp in 2 of 3 periods, with value 1 (tunnels)', () => {
    const result = evaluate([at(8, 2), at(9, 0), at(10, 0)], [at(8, 1), at(9, 1), at(10, 1)]);
    expect(result.state).toBe('ALARM');
    expect(result.periods.map((p) => p.value)).toEqual([0, 1, 1]);
  });

  it('alarms on the canary path down with value 2, and 3 when both', () => {
    const result = evaluate([at(8, 2), at(9, 2), at(10, 0)], [at(8, 1), at(9, 0), at(10, 0)]);
    expect(result.state).toBe('ALARM');
    expect(result.periods.map((p) => p.value)).toEqual([0, 2, 3]);
  });

  it('one tunnel of two down is redundancy lost, not an outage (minTunnelsUp 1)', () => {
    expect(evaluate([at(8, 1), at(9, 1), at(10, 1)], [at(8, 1), at(9, 1), at(10, 1)]).state).toBe('OK');
  });

  it('a read failure (no TunnelsUp published) is not breaching, while the canary still decides', () => {
    expect(evaluate([at(8, 2)], [at(8, 1), at(9, 1), at(10, 1)]).state).toBe('OK');
    expect(evaluate([at(8, 2)], [at(8, 1), at(9, 0), at(10, 0)]).state).toBe('ALARM');
  });

  it('one bad period is not two of three', () => {
    expect(evaluate([at(8, 2), at(9, 0), at(10, 2)], [at(8, 1), at(9, 1), at(10, 1)]).state).toBe('OK');
  });
});
