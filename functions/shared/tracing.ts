/**
 * X-Ray tracing of a function, when the deployment asks for it (`tracing.enabled` in the config,
 * off by default: X-Ray bills each trace recorded). The stack bundles the choice in as the literal
 * `__VPN_GUARD_TRACING__` (esbuild `define`, see infra/constructs/bundling.ts); with `false`
 * esbuild drops the branch below, so a bundle built without tracing holds no X-Ray SDK at all and
 * pays nothing for it at cold start. Unbundled code (tests, the sandbox) never traces.
 */
import type { MiddlewareObj } from '@middy/core';

/** The global the bundler replaces with `true` or `false` (the config's `tracing.enabled`). */
export const BUNDLED_TRACING_GLOBAL = '__VPN_GUARD_TRACING__';

// Replaced by esbuild at bundle time; undefined in unbundled code, so only read behind `typeof`.
declare const __VPN_GUARD_TRACING__: boolean | undefined;

/**
 * The middy middleware recording each invocation as an X-Ray segment (Powertools Tracer), or none.
 * The tracer is loaded on the first invocation, not at import: the init phase stays as short as
 * without tracing, and the SDK (~200 KB with aws-xray-sdk-core) is only in bundles that trace.
 */
export function tracingMiddlewares(serviceName: string): MiddlewareObj[] {
  // The import sits inside this `if`, written out in full, so esbuild sees `if (false)` and drops
  // the branch, the dynamic import and everything it would pull in.
  if (typeof __VPN_GUARD_TRACING__ === 'boolean' && __VPN_GUARD_TRACING__) {
    let loading: Promise<MiddlewareObj> | undefined;
    const capture = (): Promise<MiddlewareObj> => {
      loading ??= Promise.all([
        import('@aws-lambda-powertools/tracer'),
        import('@aws-lambda-powertools/tracer/middleware'),
      ]).then(([{ Tracer }, { captureLambdaHandler }]) =>
        captureLambdaHandler(new Tracer({ serviceName }), { captureResponse: false }),
      );
      return loading;
    };
    return [
      {
        before: async (request) => (await capture()).before?.(request),
        after: async (request) => (await capture()).after?.(request),
        onError: async (request) => (await capture()).onError?.(request),
      },
    ];
  }
  return [];
}
