/**
 * What follows an alarm transition, as the stack wires it: every ALARM/OK transition notifies the
 * topic (the alarms' actions), and the stack's EventBridge rule delivers "CloudWatch Alarm State
 * Change" of a link's Outage alarm entering ALARM to start-remediation (a Lambda asynchronous
 * invocation: async-delivery.ts).
 */
import { localFunctionArn } from '#infra/asl.ts';
import { linkAlarmName } from '#shared/alarm-names.ts';
import type { RuleDelivery } from './async-delivery.ts';
import type { AlarmTransition } from './cloudwatch.ts';
import type { WorldContext } from './context.ts';
import type { LinkModel } from './link-model.ts';
import { ACCOUNT, HOME_REGION, TOPIC_ARN } from './settings.ts';

export class AlarmActions {
  /**
   * The SNS command faults CloudWatch's own Publish meets (set by the world once the fault
   * injector exists): alarm notifications go through the same SNS, so its faults reach them.
   */
  snsFaults: ((input: unknown) => void) | undefined;
  /** Alarm notifications SNS refused: CloudWatch records the failed action and does not retry. */
  readonly failedNotifications: {
    readonly at: number;
    readonly alarmName: string;
    readonly error: string;
  }[] = [];

  constructor(
    private readonly world: WorldContext,
    private readonly links: LinkModel,
    private readonly delivery: RuleDelivery,
  ) {}

  /** Acts on the transitions of one evaluation: events, SNS notifications, EventBridge deliveries. */
  onTransitions(transitions: readonly AlarmTransition[]): void {
    const { config } = this.world;
    for (const transition of transitions) {
      // A link's alarm is shown by its short name; a stack alarm (no link) without the namespace.
      const short = transition.alarmName.slice(
        config.namespace.length + (transition.link ? transition.link.length + 2 : 1),
      );
      this.world.emit('alarm', `${short} ${transition.from} -> ${transition.to}`, transition.link);
      // Every alarm notifies the topic of its ALARM and OK transitions (the stack's alarm actions).
      if (transition.to === 'ALARM' || transition.to === 'OK') this.notify(transition);
      // The stack's rule: detail.alarmName is a link's Outage alarm and detail.state.value ALARM.
      const names = config.links.map((link) => linkAlarmName(config.namespace, link.name, 'Outage'));
      if (!names.includes(transition.alarmName)) continue;
      const event = alarmEvent(transition);
      const state = this.links.find(transition.link);
      if (state && transition.to === 'ALARM') state.lastAlarmEvent = event;
      if (transition.to === 'ALARM') this.deliverEvent(event, transition.link);
    }
  }

  /** The alarm action: CloudWatch's notification of an ALARM or OK transition to the topic. */
  private notify(transition: AlarmTransition): void {
    // CloudWatch publishes as its service principal: the topic and key policies must let it.
    const denied = this.world.iam.alarmNotificationDenial(transition.alarmArn, TOPIC_ARN);
    if (denied) {
      this.world.emit('notification', `CloudWatch could not notify ${transition.alarmName}: ${denied}`);
      return;
    }
    const input = {
      TopicArn: TOPIC_ARN,
      Subject:
        `${transition.to === 'ALARM' ? 'ALARM' : 'OK'}: "${transition.alarmName}" in US East (N. Virginia)`.slice(
          0,
          99,
        ),
      Message: JSON.stringify({
        AlarmName: transition.alarmName,
        AlarmDescription: transition.description,
        NewStateValue: transition.to,
        OldStateValue: transition.from,
        NewStateReason: transition.reason,
        StateChangeTime: new Date(transition.at).toISOString(),
        Region: 'US East (N. Virginia)',
        AlarmArn: transition.alarmArn,
      }),
    };
    let message: ReturnType<typeof this.world.sns.publish>['message'];
    try {
      this.snsFaults?.(input);
      message = this.world.sns.publish(input, 'cloudwatch').message;
    } catch (error) {
      // The alarm history says "Failed to execute action"; the notification is lost.
      const name = (error as Error).name;
      this.failedNotifications.push({
        at: this.world.clock.now(),
        alarmName: transition.alarmName,
        error: name,
      });
      this.world.emit('alarm', `the alarm action could not publish to SNS (${name})`, transition.link);
      return;
    }
    message.kind = 'alarm';
    message.alarm = { name: transition.alarmName, state: transition.to };
  }

  /** EventBridge → start-remediation: an asynchronous invocation (async-delivery.ts). */
  deliverEvent(event: unknown, link: string): void {
    const arn = localFunctionArn('start-remediation', HOME_REGION, ACCOUNT);
    this.delivery.deliver(arn, event, { what: 'the Outage ALARM event', link });
  }
}

/** The "CloudWatch Alarm State Change" event EventBridge carries for a transition. */
function alarmEvent(transition: AlarmTransition): unknown {
  // CloudWatch's own timestamp format: 2026-11-26T12:03:50.000+0000.
  const stamp = (at: number) => new Date(at).toISOString().replace('Z', '+0000');
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: ACCOUNT,
    time: new Date(transition.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: HOME_REGION,
    resources: [transition.alarmArn],
    detail: {
      alarmName: transition.alarmName,
      state: { value: transition.to, reason: transition.reason, timestamp: stamp(transition.at) },
      previousState: { value: transition.from, reason: '', timestamp: stamp(transition.at) },
      configuration: { description: transition.description },
    },
  };
}
