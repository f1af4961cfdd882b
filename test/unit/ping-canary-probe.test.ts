import { describe, expect, it } from 'vitest';
import { classifyError, probeTcp } from '#functions/ping-canary/probe.ts';
import { CanaryError } from '#shared/errors.ts';

const errno = (code: string): Error => Object.assign(new Error(`connect ${code} 10.20.1.10:22`), { code });

describe('classifyError', () => {
  it('counts a refusal as an answer and keeps its round trip', () => {
    // Act
    const attempt = classifyError(errno('ECONNREFUSED'), 4.2);

    // Assess
    expect(attempt).toEqual({ outcome: 'refused', rttMs: 4.2, detail: 'ECONNREFUSED' });
  });

  it.each([
    ['EHOSTUNREACH', 'unreachable'],
    ['ENETUNREACH', 'unreachable'],
    ['EHOSTDOWN', 'unreachable'],
    ['ETIMEDOUT', 'timeout'],
    ['EPERM', 'error'],
  ] as const)('treats %s as loss (%s) without a round trip', (code, outcome) => {
    // Act
    const attempt = classifyError(errno(code), 4.2);

    // Assess
    expect(attempt).toEqual({ outcome, rttMs: null, detail: code });
  });

  it.each(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL'])(
    'treats a name lookup failure (%s) as unresolved (nothing sent), not as loss',
    (code) => {
      // Act
      const attempt = classifyError(
        Object.assign(new Error(`getaddrinfo ${code} db.far.internal`), { code }),
        4.2,
      );

      // Assess
      expect(attempt).toEqual({ outcome: 'unresolved', rttMs: null, detail: code });
    },
  );

  it('counts a refusal from any one address of a host tried over several as an answer', () => {
    // Prepare: Node's family autoselection reports every address's failure at once.
    const error = new AggregateError([errno('ENETUNREACH'), errno('ECONNREFUSED')], 'all failed');

    // Act
    const attempt = classifyError(error, 7);

    // Assess
    expect(attempt).toEqual({ outcome: 'refused', rttMs: 7, detail: 'ENETUNREACH, ECONNREFUSED' });
  });

  it('describes an error without a code by its message', () => {
    // Act
    const attempt = classifyError(new Error('something odd'), 1);

    // Assess
    expect(attempt).toEqual({ outcome: 'error', rttMs: null, detail: 'something odd' });
  });
});

describe('probeTcp', () => {
  it('rejects with a CanaryError, not a lost attempt, when the signal is already aborted', async () => {
    // Act
    const attempt = probeTcp(
      { host: '127.0.0.1', port: 9 },
      { timeoutMs: 1000, signal: AbortSignal.abort() },
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(CanaryError);
  });
});
