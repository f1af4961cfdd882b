/**
 * What the parts of the world share: the clock, the config, the service models, and the few
 * services of the facade (events, timers whose errors become world errors, "the world changed").
 * `World` builds one and hands it to each part, so no part needs the facade itself.
 */
import type { Config } from '#shared/config.ts';
import type { SimClock, TimerHandle } from '../clock.ts';
import type { IamAuthorizer } from '../iam/authorizer.ts';
import type { TunnelStateSource } from '../ike/tunnel-source.ts';
import type { AutoScalingModel } from './autoscaling.ts';
import type { CallLog } from './calls.ts';
import type { CloudWatchModel } from './cloudwatch.ts';
import type { DynamoDbModel } from './dynamodb.ts';
import type { Ec2Model } from './ec2.ts';
import type { IdFactory } from './ids.ts';
import type { ManagedGatewayModel, ParameterStore } from './managed-gateway.ts';
import type { WorldTiming } from './settings.ts';
import type { SfnModel } from './sfn.ts';
import type { SnsModel } from './sns.ts';
import type { SqsModel } from './sqs.ts';
import type { SsmModel } from './ssm.ts';

/** Something that happened in the world, for progress output and tests. */
export interface WorldEvent {
  /** Simulated epoch ms. */
  readonly at: number;
  readonly kind:
    | 'fault'
    | 'alarm'
    | 'execution'
    | 'gateway'
    | 'tunnel'
    | 'link'
    | 'notification'
    | 'trigger'
    | 'state';
  readonly link?: string;
  readonly message: string;
}

/** The state and services every part of the world works with. */
export interface WorldContext {
  readonly clock: SimClock;
  readonly config: Config;
  readonly timing: WorldTiming;
  /** Simulated epoch ms of the start. */
  readonly start: number;
  readonly ids: IdFactory;
  readonly calls: CallLog;
  readonly ec2: Ec2Model;
  readonly asg: AutoScalingModel;
  readonly cloudwatch: CloudWatchModel;
  readonly dynamodb: DynamoDbModel;
  readonly sns: SnsModel;
  /** The stack's SQS queues (dead-letter queues and on-failure destinations). */
  readonly sqs: SqsModel;
  readonly sfn: SfnModel;
  readonly ssm: SsmModel;
  /** SSM Parameter Store (the managed gateway's rendered configs). */
  readonly parameters: ParameterStore;
  /** The managed gateways (set once built). */
  managedGateways?: ManagedGatewayModel;
  /** IAM: authorizes the handlers' calls and the services' deliveries against the deployed policies. */
  readonly iam: IamAuthorizer;
  /** Records a {@link WorldEvent} now. */
  emit(kind: WorldEvent['kind'], message: string, link?: string): void;
  /** Schedules `fire` `seconds` from now; what it throws becomes a world error. */
  after(seconds: number, label: string, fire: () => void): TimerHandle;
  /** Runs `fire`; what it throws becomes a world error. */
  guarded(fire: () => void): void;
  /** Records a world error (a bug, not an AWS error). */
  fail(error: unknown): void;
  /** The world changed: re-derive tunnels and canary paths from the resources. */
  changed(): void;
  /** When set, decides the tunnels' state instead of the model (the real-IKE drill). */
  readonly tunnelSource?: TunnelStateSource;
}
