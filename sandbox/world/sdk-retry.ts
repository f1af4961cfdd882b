/**
 * The SDK clients' own retries, at the seam. aws-sdk-client-mock replaces a client's `send`, so
 * its middleware never runs and neither do the retries every real call gets. Here each call runs
 * through the client's *own* retry middleware (taken from its middleware stack, everything else
 * removed), so the client's configured retry strategy decides: its mode (standard unless
 * configured otherwise), its `maxAttempts`, its error classification (throttling codes, transient
 * 5xx and timeouts retried; other errors not), its backoff with full jitter and its retry quota.
 * Each attempt reaches the world separately (and is recorded as a call); the backoff the strategy
 * sleeps is waited in simulated time.
 *
 * AWS: "Standard retry mode ... retries on throttling and transient errors ... uses exponential
 * backoff with jitter ... default maximum attempts 3" (SDK reference guide, retry behavior:
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html). The code is
 * @smithy/core's retryMiddleware and StandardRetryStrategy, whichever version the clients bundle.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { WorldError } from './aws-errors.ts';

/** What a retrying call may do while the client's retry code runs. */
interface RetryScope {
  /** Waits `ms` of simulated time. */
  readonly wait: (ms: number) => Promise<void>;
  /** The jitter's random numbers (seeded, so runs repeat). */
  readonly random: () => number;
}

const scope = new AsyncLocalStorage<RetryScope>();

interface HandlerResult {
  output: unknown;
  response: unknown;
}
type Handler = (args: { input: unknown; request?: unknown }) => Promise<HandlerResult>;

/** The part of a smithy MiddlewareStack used here. */
interface Stack {
  clone(): Stack;
  identify(): string[];
  remove(name: string): boolean;
  resolve(handler: Handler, context: Record<string, unknown>): Handler;
}

/** The part of an SDK v3 client used here. */
export interface RetryingClient {
  readonly middlewareStack: unknown;
}

const RETRY_MIDDLEWARE = 'retryMiddleware';
// @smithy/types SMITHY_CONTEXT_KEY: where the retry middleware finds the call's abortSignal.
const SMITHY_CONTEXT_KEY = '__smithy_context';

const retryStacks = new WeakMap<object, Stack>();

/** The client's middleware stack with only its retry middleware left (cached per client). */
function retryStackOf(client: RetryingClient): Stack {
  let stack = retryStacks.get(client);
  if (stack) return stack;
  stack = (client.middlewareStack as Stack).clone();
  for (const entry of stack.identify()) {
    const name = entry.split(' ')[0] ?? '';
    if (name !== RETRY_MIDDLEWARE) stack.remove(name);
  }
  if (!stack.identify().some((entry) => entry.startsWith(`${RETRY_MIDDLEWARE} `))) {
    throw new WorldError(`the SDK client ${client.constructor.name} has no ${RETRY_MIDDLEWARE} to model`);
  }
  // identify() hides middleware placed relative to one that only a command adds (the auth scheme
  // before the endpoint middleware); resolving names each one: remove it too.
  for (let left = 20; left > 0; left--) {
    try {
      stack.resolve(async () => ({ output: {}, response: {} }), {});
      break;
    } catch (error) {
      const relative = /is not found when adding (\S+) middleware/.exec((error as Error).message)?.[1];
      if (!relative || !stack.remove(relative)) throw error;
    }
  }
  retryStacks.set(client, stack);
  return stack;
}

let requests = 0;

/**
 * Sends one command as the client would: `attempt` is one request to the world (it returns the
 * output or throws the AWS error); the client's retry middleware decides whether and when to
 * call it again. Returns the output with `$metadata` as the SDK sets it (`attempts`,
 * `totalRetryDelay`); a final error carries the same fields.
 */
export async function sendWithClientRetries(
  client: RetryingClient,
  input: unknown,
  attempt: () => Promise<unknown>,
  retry: RetryScope,
  abortSignal?: AbortSignal,
): Promise<unknown> {
  const stack = retryStackOf(client);
  const handler = stack.resolve(
    async () => {
      // Each attempt runs outside the retry scope: only the retry code's timers are simulated.
      const output = await scope.exit(attempt);
      requests += 1;
      return {
        output: {
          ...(output as object),
          $metadata: {
            httpStatusCode: 200,
            requestId: `sandbox-${requests}`,
            attempts: 1,
            totalRetryDelay: 0,
          },
        },
        response: {},
      };
    },
    abortSignal ? { [SMITHY_CONTEXT_KEY]: { abortSignal } } : {},
  );
  const { output } = await scope.run(retry, () => handler({ input }));
  return output;
}

/** A timer handle standing for a simulated wait. */
class SimulatedRetryTimeout {
  cancelled = false;
}

/** A small seeded generator (mulberry32), so the jitter repeats from run to run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * While installed, code running inside a retry scope (the SDK's retry middleware and strategy,
 * nothing else) gets simulated timers and the seeded random numbers; everything else gets the
 * real ones. Returns the function that restores the globals.
 */
export function installRetryHooks(): () => void {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const realRandom = Math.random;
  const hookedSetTimeout = ((callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
    const retry = scope.getStore();
    if (!retry) return realSetTimeout(callback, delay, ...args);
    const handle = new SimulatedRetryTimeout();
    retry.wait(Number(delay ?? 0)).then(() => {
      if (!handle.cancelled) callback(...args);
    });
    return handle;
  }) as unknown as typeof setTimeout;
  const hookedClearTimeout = ((handle: unknown) => {
    if (handle instanceof SimulatedRetryTimeout) {
      handle.cancelled = true;
      return;
    }
    realClearTimeout(handle as Parameters<typeof clearTimeout>[0]);
  }) as typeof clearTimeout;
  globalThis.setTimeout = hookedSetTimeout;
  globalThis.clearTimeout = hookedClearTimeout;
  Math.random = () => scope.getStore()?.random() ?? realRandom();
  return () => {
    // Restore only what is still ours (another hook installed later restores its own).
    if (globalThis.setTimeout === hookedSetTimeout) globalThis.setTimeout = realSetTimeout;
    if (globalThis.clearTimeout === hookedClearTimeout) globalThis.clearTimeout = realClearTimeout;
    Math.random = realRandom;
  };
}
