/**
 * The CloudFormation templates the real CDK app synthesizes for a config, every stack of the app,
 * with asset bundling skipped exactly as the sandbox's IAM loop does (sandbox/iam/template.ts:
 * CDK's `aws:cdk:bundling-stacks: []`; no resource depends on the bundles). Cached with the
 * sandbox's cache key (the config and every source the app is built from).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CfnTemplate,
  cacheKey,
  readCached,
  SANDBOX_STACK_NAME,
  SynthError,
  writeCached,
} from '#sandbox/iam/template.ts';
import type { Config } from '#shared/config.ts';

/** The error CDK raises for a stack past CloudFormation's 500 resources. */
export const TOO_MANY_RESOURCES = /Number of resources in stack .* is greater than allowed maximum/;

/**
 * Every stack's template for `config`, from the cache or a fresh synth. `ignoreResourceLimit`
 * turns off CDK's 500-resource check (context `@aws-cdk/core:stackResourceLimit` 0): the template
 * the app builds, priced although one stack of it could not be deployed.
 */
export async function synthesizeTemplates(
  config: Config,
  options: { ignoreResourceLimit?: boolean } = {},
): Promise<CfnTemplate[]> {
  const limit = options.ignoreResourceLimit ? '-no-resource-limit' : '';
  const name = join('cost-templates', `${cacheKey(config)}${limit}.json`);
  const text = readCached(name);
  if (text !== undefined) {
    try {
      return JSON.parse(text) as CfnTemplate[];
    } catch {
      // A torn file: synthesize again.
    }
  }
  const [{ App }, { buildVpnGuardApp }] = await Promise.all([
    import('aws-cdk-lib'),
    import('#infra/vpn-guard-app.ts'),
  ]);
  const work = mkdtempSync(join(tmpdir(), 'vpn-guard-cost-synth-'));
  try {
    const configPath = join(work, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    const app = new App({
      outdir: join(work, 'cdk.out'),
      context: {
        config: configPath,
        stackName: SANDBOX_STACK_NAME,
        'aws:cdk:bundling-stacks': [],
        ...(options.ignoreResourceLimit && { '@aws-cdk/core:stackResourceLimit': 0 }),
      },
    });
    let templates: CfnTemplate[];
    try {
      buildVpnGuardApp(app, work);
      templates = app.synth().stacks.map((stack) => stack.template as CfnTemplate);
    } catch (error) {
      throw new SynthError(
        `the VPN Guard app does not synthesize with this config: ${(error as Error).message}`,
        { cause: error },
      );
    }
    writeCached(name, JSON.stringify(templates));
    return templates;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
