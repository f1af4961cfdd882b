/**
 * Builds the VPN Guard app from its context: `config` (the config file, default
 * config/example.json) and `stackName` (default VpnGuard). cdk-nag's AWS Solutions checks run on
 * every synth; a finding without an acknowledgement fails it. With `deployment.linkStacks` N > 0
 * the links' alarms go into up to N link stacks `<stackName>-Links<k>` (infra/link-stacks.ts).
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { checkStackResources, countResources, DeploymentLimitsPlugin } from './deployment-limits.ts';
import { LinkStack } from './link-stack.ts';
import { linkStackName, linksByStack } from './link-stacks.ts';
import { DEFAULT_CONFIG_PATH, loadConfig } from './load-config.ts';
import { VpnGuardStack } from './vpn-guard-stack.ts';

export const DEFAULT_STACK_NAME = 'VpnGuard';

/**
 * Adds the stacks, cdk-nag and the deployment-limit checks to `app`; returns the main stack. Throws
 * ConfigError for a bad config file, DeploymentLimitError for a deployment too big for its stacks.
 */
export function buildVpnGuardApp(app: App, cwd: string = process.cwd()): VpnGuardStack {
  const configPath = String(app.node.tryGetContext('config') ?? DEFAULT_CONFIG_PATH);
  const stackName = String(app.node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME);
  const config = loadConfig(configPath, cwd);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new DeploymentLimitsPlugin());
  const stack = new VpnGuardStack(app, stackName, {
    config,
    description: `VPN Guard: self-healing monitor for ${config.links.length} site-to-site VPN link(s) (${config.namespace})`,
  });
  // deployment.linkStacks > 0: each link's alarms in the link stack its name hashes to. A stack
  // with no link yet is not created (CloudFormation refuses a template without resources).
  linksByStack(config).forEach((links, index) => {
    if (links.length === 0) return;
    const name = linkStackName(stackName, index);
    stack.linkStacks.push(
      new LinkStack(app, name, {
        config,
        links,
        index,
        topic: stack.alarmTopic.topic,
        description: `VPN Guard (${config.namespace}): alarms of ${links.length} link(s), link stack ${index + 1} of ${config.deployment.linkStacks}`,
      }),
    );
  });
  const [first] = config.links;
  const firstAlarms = first
    ? (stack.linkAlarms.get(first.name) ??
      stack.linkStacks.find((s) => s.linkAlarms.has(first.name))?.linkAlarms.get(first.name))
    : undefined;
  checkStackResources([stack, ...stack.linkStacks], {
    linkStacks: config.deployment.linkStacks,
    links: config.links.length,
    perLink: countResources(firstAlarms),
    source: configPath,
    mainStack: stack,
    canaryVpcs: stack.canaries.length,
  });
  return stack;
}
