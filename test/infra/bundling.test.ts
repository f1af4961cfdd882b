/**
 * The functions as `cdk synth` bundles them (local esbuild, ESM): every bundle is an .mjs with its
 * source map, and loads in Node 22 with the environment the stack gives it and exports `handler`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG, REPO_ROOT, synthesize } from './support.ts';

let template: Template;
let assemblyDir: string;

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

beforeAll(() => {
  const synthesized = synthesize(EXAMPLE_CONFIG, { bundle: true });
  template = synthesized.template;
  assemblyDir = synthesized.app.outdir;
});

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
    const resources = template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    const functions = Object.entries(resources).filter(
      ([, resource]) => resource.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(7);
    for (const [id, fn] of functions) {
      const hash = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      const bundle = join(assemblyDir, `asset.${hash}`, 'index.mjs');
      expect(existsSync(bundle), `${id}: ${bundle}`).toBe(true);
      expect(existsSync(`${bundle}.map`), `${id}: source map`).toBe(true);
      expect(readFileSync(bundle, 'utf8').slice(0, 200)).toContain('createRequire');

      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const env = Object.fromEntries(
        Object.entries(variables).map(([key, value]) => [key, resolveValue(value, resources)]),
      );
      const check = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); if (typeof m.handler !== 'function') { console.error('no handler export'); process.exit(3); }`;
      const result = spawnSync(
        join(REPO_ROOT, 'node_modules/.bin/node'),
        ['--input-type=module', '-e', check],
        {
          encoding: 'utf8',
          env: { ...process.env, ...env, AWS_LAMBDA_FUNCTION_NAME: id },
        },
      );
      expect(result.status, `${id} failed to load:\n${result.stderr}`).toBe(0);
    }
  });
});
