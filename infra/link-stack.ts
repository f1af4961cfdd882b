/**
 * A link stack: the alarms (and dashboard rows) of the links `deployment.linkStacks` assigns to it
 * (infra/link-stacks.ts), so that no stack passes CloudFormation's 500 resources or 1 MB template.
 * Everything else (functions, state machines, topic, canaries) stays in the main stack; alarm
 * actions reach the main stack's topic through a CloudFormation export.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { Config, LinkConfig } from '#shared/config.ts';
import { dashboardNameFor, GuardDashboard } from './constructs/guard-dashboard.ts';
import { LinkAlarms } from './constructs/link-alarms.ts';
import { pascalId } from './metrics.ts';

export interface LinkStackProps extends StackProps {
  readonly config: Config;
  /** The links whose alarms this stack holds. */
  readonly links: readonly LinkConfig[];
  /** 0-based: names the stack's dashboard. */
  readonly index: number;
  /** The main stack's alarm topic. */
  readonly topic: ITopic;
}

export class LinkStack extends Stack {
  readonly links: readonly LinkConfig[];
  readonly linkAlarms: ReadonlyMap<string, LinkAlarms>;
  readonly dashboard: GuardDashboard | undefined;

  constructor(scope: Construct, id: string, props: LinkStackProps) {
    super(scope, id, props);
    const { config, links } = props;
    this.links = links;
    const linkAlarms = new Map<string, LinkAlarms>();
    for (const link of links) {
      // The same construct id as in the main stack, so a link's alarms keep their logical ids.
      linkAlarms.set(
        link.name,
        new LinkAlarms(this, `Link${pascalId(link.name)}Alarms`, { config, link, topic: props.topic }),
      );
    }
    this.linkAlarms = linkAlarms;
    this.dashboard = config.observability.dashboard
      ? new GuardDashboard(this, 'Dashboard', {
          config,
          links,
          linkAlarms,
          dashboardName: `${dashboardNameFor(config.namespace)}-Links${props.index + 1}`,
        })
      : undefined;

    new CfnOutput(this, 'LinkNames', {
      value: links.map((link) => link.name).join(','),
      description: "Links whose alarms this stack holds (the main stack's LinkNames lists every link)",
    });
    if (this.dashboard) {
      new CfnOutput(this, 'DashboardUrl', {
        value: this.dashboard.url,
        description: "CloudWatch dashboard of this stack's links",
      });
    }
  }
}
