/**
 * Builds the VPN Guard app from its context: `config` (the config file, default
 * config/example.json) and `stackName` (default VpnGuard). cdk-nag's AWS Solutions checks run on
 * every synth; a finding without an acknowledgement fails it.
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_CONFIG_PATH, loadConfig } from './load-config.ts';
import { VpnGuardStack } from './vpn-guard-stack.ts';

export const DEFAULT_STACK_NAME = 'VpnGuard';

/** Adds the stack and cdk-nag to `app`. Throws ConfigError for a bad config file. */
export function buildVpnGuardApp(app: App, cwd: string = process.cwd()): VpnGuardStack {
  const configPath = String(app.node.tryGetContext('config') ?? DEFAULT_CONFIG_PATH);
  const stackName = String(app.node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME);
  const config = loadConfig(configPath, cwd);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return new VpnGuardStack(app, stackName, {
    config,
    description: `VPN Guard: self-healing monitor for ${config.links.length} site-to-site VPN link(s) (${config.namespace})`,
  });
}
