/**
 * One TCP handshake to a canary target. Lambda cannot send ICMP, so a SYN answered by a SYN-ACK
 * (connected) or by a RST (refused) is the canary's proof that packets cross the VPN.
 */
import { Socket } from 'node:net';
import { CanaryError } from '#shared/errors.ts';
import type { ProbeAttempt, ProbeOptions, ProbeOutcome, ProbeTarget } from './types.ts';

/** Errors that mean the network said "no route": loss, as much as silence is. */
const UNREACHABLE_CODES = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);

/**
 * Errors of the name lookup (getaddrinfo through dns.lookup, https://nodejs.org/api/dns.html#error-codes):
 * nothing was sent, so it says nothing about the path: `unresolved`, not loss.
 */
const UNRESOLVED_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NODATA',
  'EAI_NONAME',
  'ENODATA',
  'ESERVFAIL',
]);

/**
 * Opens a TCP connection to the target and closes it as soon as the handshake ends.
 *
 * Resolves with `connected` or `refused` (both with the RTT), `timeout`, `unreachable` or `error`
 * (loss, no RTT), or `unresolved` (the name did not resolve: nothing sent, no RTT). Rejects with {@link CanaryError} only when `signal` aborts. It settles
 * only after the socket has closed, so a settled probe never leaves a socket behind.
 */
export function probeTcp(target: ProbeTarget, options: ProbeOptions): Promise<ProbeAttempt> {
  const { timeoutMs, signal } = options;
  if (signal?.aborted) return Promise.reject(abortedError(target, signal));

  return new Promise<ProbeAttempt>((resolve, reject) => {
    const socket = new Socket();
    let startedAt = performance.now();
    let done = false;

    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // 'close' comes once the handle is released; waiting for it is what makes "no leaks" hold.
      socket.once('close', settle);
      socket.destroy();
    };
    const elapsed = (): number => Math.round((performance.now() - startedAt) * 1000) / 1000;

    const timer = setTimeout(() => {
      finish(() => resolve({ outcome: 'timeout', rttMs: null, detail: `no answer within ${timeoutMs} ms` }));
    }, timeoutMs);
    const onAbort = (): void => finish(() => reject(abortedError(target, signal)));
    signal?.addEventListener('abort', onAbort, { once: true });

    // Time the handshake, not the DNS lookup: each connection attempt (one per address when Node
    // tries IPv6 and IPv4 in turn) restarts the clock.
    socket.on('connectionAttempt', () => {
      startedAt = performance.now();
    });
    socket.once('connect', () => {
      const rttMs = elapsed();
      finish(() => resolve({ outcome: 'connected', rttMs }));
    });
    // Stays attached: an 'error' after we settled must not become an uncaught exception.
    socket.on('error', (error) => {
      const rttMs = elapsed();
      finish(() => resolve(classifyError(error, rttMs)));
    });

    socket.connect({ host: target.host, port: target.port });
  });
}

/** Maps a socket error to an attempt; exported for tests of the mapping itself. */
export function classifyError(error: unknown, rttMs: number): ProbeAttempt {
  const codes = errorCodes(error);
  const detail = codes.length > 0 ? codes.join(', ') : error instanceof Error ? error.message : String(error);
  const outcome = outcomeOf(codes);
  return { outcome, rttMs: outcome === 'refused' ? rttMs : null, detail };
}

function outcomeOf(codes: readonly string[]): ProbeOutcome {
  // With several addresses (IPv6 and IPv4), one refusal is enough: that host answered.
  if (codes.includes('ECONNREFUSED')) return 'refused';
  // Only when the lookup failed for every address tried (then no other code is present).
  if (codes.length > 0 && codes.every((code) => UNRESOLVED_CODES.has(code))) return 'unresolved';
  if (codes.some((code) => UNREACHABLE_CODES.has(code))) return 'unreachable';
  if (codes.includes('ETIMEDOUT')) return 'timeout';
  return 'error';
}

/** The error codes of an error, or of each error of an AggregateError (Node's family autoselection). */
function errorCodes(error: unknown): string[] {
  const errors = error instanceof AggregateError ? error.errors : [error];
  return errors.flatMap((each: unknown) => {
    const code = (each as { code?: unknown } | null)?.code;
    return typeof code === 'string' ? [code] : [];
  });
}

function abortedError(target: ProbeTarget, signal: AbortSignal | undefined): CanaryError {
  return new CanaryError(
    `canary aborted while probing ${target.host}:${target.port} (a collection failure, not a connectivity failure)`,
    { cause: signal?.reason },
  );
}
