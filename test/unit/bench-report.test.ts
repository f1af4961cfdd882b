/** The bench's own arithmetic: min/median/max, and which SDK clients a function's floor holds. */
import { describe, expect, it } from 'vitest';
import { clientsUsedBy } from '../../bench/cold-start.ts';
import { formatCell, stat } from '../../bench/report.ts';

describe('stat', () => {
  it('gives min, median and max, the median of an even count being the mean of the middle two', () => {
    expect(stat([5, 1, 3], 'ms')).toEqual({ unit: 'ms', runs: 3, min: 1, median: 3, max: 5 });
    expect(stat([4, 1, 2, 10], 'ms').median).toBe(3);
  });

  it('labels a simulated figure as simulated when printed', () => {
    expect(formatCell(stat([90, 120, 140], 's', { simulated: true }))).toBe('120 (90.0–140) s simulated');
    expect(formatCell(stat([1.5, 2.5], 'ms'))).toBe('2.00 (1.50–2.50) ms');
  });

  it('refuses no samples rather than inventing a figure', () => {
    expect(() => stat([], 'ms')).toThrow(/no samples/);
  });
});

describe('clientsUsedBy (the floor of each function)', () => {
  it('reads the client getters each function folder imports from functions/shared/clients.ts', () => {
    expect(clientsUsedBy('gateway')).toEqual(['autoScalingClient', 'ec2Client', 'ssmClient']);
    expect(clientsUsedBy('notify')).toEqual(['dynamoClient', 'sfnClient', 'snsClient']);
    expect(clientsUsedBy('ping-canary')).toEqual([]);
  });
});
