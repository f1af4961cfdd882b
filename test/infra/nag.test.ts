/**
 * cdk-nag (AWS Solutions) runs on every synth: the app synthesizes with zero unacknowledged
 * findings, every acknowledgement carries a reason, and the check is live (a new wildcard fails it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildVpnGuardApp } from '#infra/vpn-guard-app.ts';
import { EXAMPLE_CONFIG, MULTI_LINK_CONFIG, newApp, REPO_ROOT } from './support.ts';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: unknown;
}

function acknowledgements(app: App): Acknowledgement[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe.each([
  ['the example config', EXAMPLE_CONFIG],
  ['a three-link, two-VPC config', MULTI_LINK_CONFIG],
])('synthesizing %s', (_, config) => {
  let app: App;
  let assembly: CloudAssembly;

  beforeAll(() => {
    app = newApp(config);
    buildVpnGuardApp(app, REPO_ROOT);
    // Throws (listing them) if cdk-nag reports any finding without an acknowledgement.
    assembly = app.synth();
  });

  it('reports zero unacknowledged cdk-nag findings', () => {
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
    const violations = (report.pluginReports as { violations: unknown[] }[]).flatMap(
      (plugin) => plugin.violations,
    );
    expect(violations).toEqual([]);
  });

  it('gives every acknowledgement a reason a reviewer can read', () => {
    const all = acknowledgements(app);
    expect(all.length).toBeGreaterThan(0);
    for (const { path, id, reason } of all) {
      expect(typeof reason, `${id} at ${path}`).toBe('string');
      // A sentence that names what cannot be scoped and why, not a placeholder.
      expect((reason as string).length, `${id} at ${path}: "${reason}"`).toBeGreaterThan(60);
    }
  });
});

describe('the nag check', () => {
  it('fails synth on a new unacknowledged wildcard', () => {
    const app = newApp(EXAMPLE_CONFIG);
    const stack = buildVpnGuardApp(app, REPO_ROOT);
    // A wildcard on a role that has no acknowledgement for it.
    stack.remediation.remediationGuard.addToPolicy(
      new PolicyStatement({ actions: ['dynamodb:Scan'], resources: ['arn:aws:dynamodb:*:*:table/*'] }),
    );
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
  });
});
