/**
 * IAM for one world: the deployed template for the world's config (template.ts, cached) and the
 * reference data, loaded before the world starts; the authorizer bound to the world's names once
 * it is seeded.
 */
import { localFunctionArn } from '#infra/asl.ts';
import type { Config } from '#shared/config.ts';
import type { AutoScalingModel } from '../world/autoscaling.ts';
import type { Ec2Model } from '../world/ec2.ts';
import { canaryFunctionArn } from '../world/lambdas.ts';
import { ACCOUNT, HOME_REGION, LOCK_TABLE_NAME, TOPIC_ARN } from '../world/settings.ts';
import type { SfnModel } from '../world/sfn.ts';
import { IamAuthorizer, type IamOptions, loadActionData } from './authorizer.ts';
import { Deployment } from './deployment.ts';
import { type CfnTemplate, loadTemplate, SANDBOX_STACK_NAME } from './template.ts';

export type { IamOptions, Revocation } from './authorizer.ts';
export { IamAuthorizer } from './authorizer.ts';

/** What IAM needs loaded before a world starts. */
export interface PreparedIam {
  readonly template: CfnTemplate;
  readonly actionData: Awaited<ReturnType<typeof loadActionData>>;
}

let actionData: Promise<PreparedIam['actionData']> | undefined;

/** Loads the deployed template of `config` and the reference data (undefined when IAM is off). */
export async function prepareIam(config: Config, options: IamOptions = {}): Promise<PreparedIam | undefined> {
  if (options.enabled === false) return undefined;
  actionData ??= loadActionData();
  const [template, data] = await Promise.all([loadTemplate(config), actionData]);
  return { template, actionData: data };
}

/** The world's side of the binding: its models and fixed names. */
export interface IamWorld {
  readonly ec2: Ec2Model;
  readonly asg: AutoScalingModel;
  readonly sfn: SfnModel;
}

/**
 * The world's function of a template function: the canary of a VPC is told apart by the
 * `CANARY_VPC_ID` the world gives each canary instance (lambdas.ts), every other function by its id.
 */
function worldFunctionArn(functionId: string, environment: Readonly<Record<string, string>>): string {
  const vpcId = environment.CANARY_VPC_ID;
  return functionId === 'ping-canary' && vpcId
    ? canaryFunctionArn(vpcId)
    : localFunctionArn(functionId, HOME_REGION, ACCOUNT);
}

/** The authorizer of a world (a disabled one when IAM is off). */
export function createAuthorizer(
  prepared: PreparedIam | undefined,
  world: IamWorld,
  options: IamOptions = {},
): IamAuthorizer {
  let deployment: Deployment | undefined;
  return new IamAuthorizer(
    {
      enabled: prepared !== undefined,
      actionData: prepared?.actionData ?? new Map(),
      deployment: () => {
        if (!prepared) throw new Error('IAM is disabled in this world');
        deployment ??= new Deployment(prepared.template, {
          partition: 'aws',
          region: HOME_REGION,
          account: ACCOUNT,
          stackName: SANDBOX_STACK_NAME,
          functionArn: worldFunctionArn,
          machineArn: (machine) => world.sfn.machine(machine).arn,
          tableName: LOCK_TABLE_NAME,
          topicArn: TOPIC_ARN,
        });
        return deployment;
      },
      world: {
        partition: 'aws',
        account: ACCOUNT,
        ec2: world.ec2,
        asg: world.asg,
        topicKeyArn: (topicArn) => deployment?.topicKeys.get(topicArn),
      },
      account: ACCOUNT,
    },
    options.revoke ?? [],
  );
}
