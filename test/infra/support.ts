/** Synthesizes the real app (config loader, stack, cdk-nag) the way `cdk synth` does, for assertions. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildVpnGuardApp } from '#infra/vpn-guard-app.ts';
import type { VpnGuardStack } from '#infra/vpn-guard-stack.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const EXAMPLE_CONFIG = join(REPO_ROOT, 'config/example.json');
export const MULTI_LINK_CONFIG = join(REPO_ROOT, 'test/infra/fixtures/multi-link.json');

export interface Synthesized {
  readonly app: App;
  readonly stack: VpnGuardStack;
  /** Template.fromStack synthesizes the app, so cdk-nag has run: it throws on any unacknowledged finding. */
  readonly template: Template;
}

export interface SynthesizeOptions {
  /** Extra context (e.g. stackName). */
  readonly context?: Readonly<Record<string, string>>;
  /**
   * Bundle the functions with esbuild, as `cdk synth` does. Off by default: the template is the same
   * either way, and test/infra/bundling.test.ts is where bundles are built and loaded.
   */
  readonly bundle?: boolean;
}

/** A new App with `-c config=<configPath>`, writing to a temporary directory. */
export function newApp(configPath: string, options: SynthesizeOptions = {}): App {
  return new App({
    outdir: mkdtempSync(join(tmpdir(), 'vpn-guard-cdk-')),
    context: {
      config: configPath,
      ...options.context,
      // CDK's own switch: an empty list of stacks to bundle skips bundling (the --exclusively trick).
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
}

/** Builds and synthesizes the app from a config file, as `cdk synth -c config=PATH` does. */
export function synthesize(configPath: string, options: SynthesizeOptions = {}): Synthesized {
  const app = newApp(configPath, options);
  const stack = buildVpnGuardApp(app, REPO_ROOT);
  return { app, stack, template: Template.fromStack(stack) };
}

/** Writes a config object to a temporary file and returns its path. */
export function writeTempConfig(config: unknown, name = 'config.json'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'vpn-guard-config-')), name);
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return path;
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

/** A `{ "Fn::GetAtt": [id, "Arn"] }` reference to a construct's resource. */
export function arnOf(construct: IConstruct): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [logicalId(construct), 'Arn'] };
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of the inline policies attached to a role (by the role's logical id). */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** Actions of a statement as an array. */
export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** Resources of a statement as an array. */
export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/**
 * An ARN built by CDK from the stack's partition, Region and account: `arn:<P>:<service>:<R>:<A>:<rest>`,
 * as CloudFormation renders it (Fn::Join of Refs to the pseudo parameters).
 */
export function stackArn(service: string, rest: string): unknown {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        `:${service}:`,
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:${rest}`,
      ],
    ],
  };
}

/** The value, or a failed assertion naming what was missing (instead of a non-null assertion). */
export function defined<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`expected ${what} to exist`);
  return value;
}
