import { describe, expect, it } from 'vitest';
import { evaluateMetricAlarm, type Sample } from '#sandbox/world/alarm-eval.ts';

const minute = 60_000;
const spec = {
  statistic: 'Minimum',
  periodSeconds: 60,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  comparison: 'LessThanThreshold',
  threshold: 1,
} as const;
const sample = (minuteIndex: number, value: number): Sample => ({
  timestamp: minuteIndex * minute + 5000,
  count: 1,
  sum: value,
  min: value,
  max: value,
});
// Evaluated at :50 of minute 10: periods are minutes 8, 9 and 10 (the current one included).
const now = 10 * minute + 50_000;

describe('alarm evaluation (M of N, missing data)', () => {
  it('alarms on 2 breaching datapoints of 3 and not on 1', () => {
    const two = [sample(8, 1), sample(9, 0), sample(10, 0)];
    const one = [sample(8, 1), sample(9, 1), sample(10, 0)];
    expect(evaluateMetricAlarm({ ...spec, treatMissingData: 'notBreaching' }, two, now, 'OK').state).toBe(
      'ALARM',
    );
    expect(evaluateMetricAlarm({ ...spec, treatMissingData: 'notBreaching' }, one, now, 'OK').state).toBe(
      'OK',
    );
  });

  it('counts missing periods as breaching for a dead monitor and as fine for notBreaching', () => {
    const onlyOld = [sample(8, 1)];
    expect(evaluateMetricAlarm({ ...spec, treatMissingData: 'breaching' }, onlyOld, now, 'OK').state).toBe(
      'ALARM',
    );
    expect(evaluateMetricAlarm({ ...spec, treatMissingData: 'notBreaching' }, onlyOld, now, 'OK').state).toBe(
      'OK',
    );
  });

  it('keeps the state with ignore and goes INSUFFICIENT_DATA with missing when there is no datapoint', () => {
    expect(evaluateMetricAlarm({ ...spec, treatMissingData: 'ignore' }, [], now, 'ALARM').state).toBe(
      'ALARM',
    );
    expect(evaluateMetricAlarm({ ...spec, treatMissingData: 'missing' }, [], now, 'OK').state).toBe(
      'INSUFFICIENT_DATA',
    );
  });

  it('ignores datapoints outside the N evaluated periods', () => {
    const stale = [sample(5, 0), sample(6, 0), sample(10, 1)];
    expect(evaluateMetricAlarm({ ...spec, treatMissingData: 'notBreaching' }, stale, now, 'OK').state).toBe(
      'OK',
    );
  });

  it('applies the statistic per period (SampleCount of a silent monitor is missing, not zero)', () => {
    const countSpec = { ...spec, statistic: 'SampleCount', treatMissingData: 'breaching' } as const;
    const ticking = [sample(8, 0), sample(9, 0), sample(10, 0)];
    const result = evaluateMetricAlarm(countSpec, ticking, now, 'OK');
    expect(result.periods.map((p) => p.value)).toEqual([1, 1, 1]);
    expect(result.state).toBe('OK');
  });
});
