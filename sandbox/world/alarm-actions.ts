/**
 * What follows an alarm transition, as the stack wires it: every ALARM/OK transition notifies the
 * topic (the alarms' actions), and the stack's EventBridge rule delivers "CloudWatch Alarm State
 * Change" of a link's Unhealthy alarm entering ALARM to start-remediation (a Lambda asynchronous
 * invocation, which Lambda retries on error after `asyncRetrySeconds`).
 */
import { localFunctionArn } from '#infra/asl.ts';
import { linkAlarmName } from '#shared/alarm-names.ts';
import { localLambdaContext } from '../local-sfn.ts';
import type { AlarmTransition } from './cloudwatch.ts';
import type { WorldContext } from './context.ts';
import type { Lambdas } from './lambdas.ts';
import type { LinkModel } from './link-model.ts';
import { ACCOUNT, HOME_REGION, TOPIC_ARN } from './settings.ts';

export class AlarmActions {
  constructor(
    private readonly world: WorldContext,
    private readonly links: LinkModel,
    private readonly lambdas: Lambdas,
  ) {}

  /** Acts on the transitions of one evaluation: events, SNS notifications, EventBridge deliveries. */
  onTransitions(transitions: readonly AlarmTransition[]): void {
    const { config } = this.world;
    for (const transition of transitions) {
      const short = transition.alarmName.slice(config.namespace.length + transition.link.length + 2);
      this.world.emit('alarm', `${short} ${transition.from} -> ${transition.to}`, transition.link);
      // Every alarm notifies the topic of its ALARM and OK transitions (the stack's alarm actions).
      if (transition.to === 'ALARM' || transition.to === 'OK') this.notify(transition);
      if (transition.kind !== 'composite') continue;
      const event = alarmEvent(transition);
      const state = this.links.find(transition.link);
      if (state && transition.to === 'ALARM') state.lastAlarmEvent = event;
      // The stack's rule: detail.alarmName is a link's Unhealthy alarm and detail.state.value ALARM.
      const names = config.links.map((link) => linkAlarmName(config.namespace, link.name, 'Unhealthy'));
      if (transition.to === 'ALARM' && names.includes(transition.alarmName))
        this.deliverEvent(event, transition.link);
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
    const message = this.world.sns.publish(
      {
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
      },
      'cloudwatch',
    ).message;
    message.kind = 'alarm';
    message.alarm = { name: transition.alarmName, state: transition.to };
  }

  /** EventBridge → start-remediation: an asynchronous invocation, retried twice by Lambda on error. */
  deliverEvent(event: unknown, link: string): void {
    const { clock, timing } = this.world;
    this.world.emit(
      'trigger',
      'EventBridge rule delivers the Unhealthy ALARM event to start-remediation',
      link,
    );
    const arn = localFunctionArn('start-remediation', HOME_REGION, ACCOUNT);
    clock
      .spawn('EventBridge delivery to start-remediation', async (activity) => {
        const delays = timing.asyncRetrySeconds;
        for (let attempt = 0; attempt <= delays.length; attempt++) {
          try {
            await this.lambdas.invoke(arn, structuredClone(event), localLambdaContext(arn), {
              via: 'eventbridge',
            });
            return;
          } catch (error) {
            this.world.emit(
              'trigger',
              `start-remediation failed on the event: ${(error as Error).name}`,
              link,
            );
            const delay = delays[attempt];
            if (delay === undefined) return;
            await activity.sleep(delay);
          }
        }
      })
      .catch((error) => this.world.fail(error));
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
      configuration: { alarmRule: transition.rule, description: transition.description },
    },
  };
}
