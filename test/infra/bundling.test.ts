/**
 * The functions as `cdk synth` bundles them (local esbuild, ESM): every bundle is an .mjs with its
 * source map, and loads in Node 22 with the environment the stack gives it and exports `handler`.
 * The config is bundled into the code (an esbuild `inject` file exporting __VPN_GUARD_CONFIG__), not the
 * environment, so the app is synthesized from a 25-link config, far past the ~5 links Lambda's 4 KB
 * environment used to hold, and the bundles are run without VPN_GUARD_CONFIG.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#infra/load-config.ts';
import { buildFunctionBundle, FUNCTION_IDS } from '../../bench/cold-start.ts';
import { exampleConfigJson } from '../fixtures/config.ts';
import { defined, REPO_ROOT, synthesize, writeTempConfig } from './support.ts';

let template: Template;
let assemblyDir: string;

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const LINK_NAMES = Array.from({ length: 25 }, (_, index) => `link-number-${index}`);

/**
 * The shipped example with its one link repeated 25 times (same canary VPC: one canary function),
 * each with its own gateway group, Elastic IP, VPN connection and remote CIDR (links may not share them).
 */
function twentyFiveLinkConfig(): ReturnType<typeof exampleConfigJson> {
  const raw = exampleConfigJson();
  const link = raw.links[0] as Record<string, Record<string, unknown>>;
  raw.links = LINK_NAMES.map((name, index) => {
    const id = `0a1b2c3d4e5f${String(index).padStart(5, '0')}`;
    const copy = structuredClone(link);
    copy.gateway = {
      ...copy.gateway,
      autoScalingGroupName: `vpn-gateway-${index}`,
      elasticIpAllocationId: `eipalloc-${id}`,
      remoteCidrs: [`10.${100 + index}.0.0/16`],
    };
    copy.vpn = { ...copy.vpn, vpnConnectionIds: [`vpn-${id}`] };
    return { ...copy, name };
  });
  return raw;
}

let configPath: string;

beforeAll(() => {
  configPath = writeTempConfig(twentyFiveLinkConfig());
  const synthesized = synthesize(configPath, { bundle: true });
  template = synthesized.template;
  assemblyDir = synthesized.app.outdir;
});

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Each function's logical id and the path of its bundle in the cloud assembly. */
function bundles(): [id: string, bundle: string][] {
  const resources = template.toJSON().Resources as Resources;
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([id, fn]) => {
      const hash = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      return [id, join(assemblyDir, `asset.${hash}`, 'index.mjs')];
    });
}

/** process.env without VPN_GUARD_CONFIG, so a bundle can only use the config bundled into it. */
function envWithoutConfig(): NodeJS.ProcessEnv {
  const { VPN_GUARD_CONFIG: _ignored, ...env } = process.env;
  return env;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Runs an ES module script with the pinned Node 22. */
function runModule(script: string, env: NodeJS.ProcessEnv) {
  return spawnSync(join(REPO_ROOT, 'node_modules/.bin/node'), ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env,
  });
}

/** Resolves a template value the way CloudFormation would, with made-up names and ARNs. */
function resolveValue(value: unknown, resources: Record<string, { Type: string }>): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  if ('Fn::Join' in intrinsic) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolveValue(part, resources)).join(separator);
  }
  const id = ((intrinsic.Ref ?? (intrinsic['Fn::GetAtt'] as string[])[0]) as string) ?? 'Unknown';
  switch (resources[id]?.Type) {
    case 'AWS::DynamoDB::Table':
      return `VpnGuard-${id}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`;
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
    default:
      throw new Error(`no stand-in for ${JSON.stringify(value)}`);
  }
}

describe('every function bundle', () => {
  it('is ESM with the createRequire banner and a source map, and loads exporting a handler', () => {
    const resources = template.toJSON().Resources as Resources;
    expect(bundles()).toHaveLength(7);
    for (const [id, bundle] of bundles()) {
      const fn = defined(resources[id], id);
      expect(existsSync(bundle), `${id}: ${bundle}`).toBe(true);
      expect(existsSync(`${bundle}.map`), `${id}: source map`).toBe(true);
      expect(readFileSync(bundle, 'utf8').slice(0, 200)).toContain('createRequire');

      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const env = Object.fromEntries(
        Object.entries(variables).map(([key, value]) => [key, resolveValue(value, resources)]),
      );
      expect(Object.keys(env)).not.toContain('VPN_GUARD_CONFIG');
      const check = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); if (typeof m.handler !== 'function') { console.error('no handler export'); process.exit(3); }`;
      const result = runModule(check, { ...envWithoutConfig(), ...env, AWS_LAMBDA_FUNCTION_NAME: id });
      expect(result.status, `${id} failed to load:\n${result.stderr}`).toBe(0);
    }
  });

  it('is byte for byte the bundle `npm run bench` builds and measures (bench/cold-start.ts)', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'vpn-guard-bench-bundles-'));
    try {
      const config = loadConfig(configPath);
      const benched = await Promise.all(
        FUNCTION_IDS.map(async (id) => sha256((await buildFunctionBundle(id, { config, outDir })).file)),
      );
      expect(
        bundles()
          .map(([, bundle]) => sha256(bundle))
          .sort(),
      ).toEqual(benched.sort());
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('carries the whole config in its code', () => {
    for (const [id, bundle] of bundles()) {
      const code = readFileSync(bundle, 'utf8');
      // A boolean, not toContain: a failure would print the whole multi-megabyte bundle.
      const missing = LINK_NAMES.filter((name) => !code.includes(name));
      expect(missing, `${id}: link names not in the bundle`).toEqual([]);
    }
  });
});

describe('the check-tunnel bundle', () => {
  /** Invokes the bundle's handler for an unknown link: its error lists the configured links. */
  function invokeForUnknownLink(env: NodeJS.ProcessEnv): string {
    const [id, bundle] = defined(
      bundles().find(([id]) => id.includes('CheckTunnel')),
      'the check-tunnel function',
    );
    const context = `{ functionName: ${JSON.stringify(id)}, awsRequestId: 'bundling-test', getRemainingTimeInMillis: () => 10000 }`;
    const script = [
      `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
      `try { await handler({ links: ['no-such-link'] }, ${context}); console.log('no error'); }`,
      "catch (error) { console.log(error.name + ': ' + error.message); }",
    ].join('\n');
    const result = runModule(script, { ...env, AWS_LAMBDA_FUNCTION_NAME: id });
    expect(result.status, result.stderr).toBe(0);
    return result.stdout;
  }

  it('reads the config bundled into it when VPN_GUARD_CONFIG is not set', () => {
    expect(invokeForUnknownLink(envWithoutConfig())).toContain(
      `InvalidInputError: unknown link "no-such-link"; configured links: ${LINK_NAMES.join(', ')}`,
    );
  });

  it('lets env VPN_GUARD_CONFIG override the bundled config', () => {
    const env = { ...envWithoutConfig(), VPN_GUARD_CONFIG: JSON.stringify(exampleConfigJson()) };
    expect(invokeForUnknownLink(env)).toContain('configured links: home-to-west\n');
  });
});
