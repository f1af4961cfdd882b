/**
 * Boot's AWS calls (home Region, the instance role's credentials from IMDS through the SDK's
 * default chain). Each is thin; each is scoped in the role to this link's resources
 * (infra/constructs/libreswan-gateway.ts).
 */
import { AutoScalingClient, CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
import {
  AssociateAddressCommand,
  CreateRouteCommand,
  EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { BootAws } from './boot.ts';
import type { BootSettings } from './settings.ts';

/** Boot's AWS adapter for this instance. */
export function bootAws(settings: BootSettings, instanceId: string, signal?: AbortSignal): BootAws {
  // Standard retries (3 attempts): boot has minutes, not a Lambda's seconds.
  const config = { region: settings.region, maxAttempts: 3 };
  const ec2 = new EC2Client(config);
  const ssm = new SSMClient(config);
  const autoScaling = new AutoScalingClient(config);
  const options = signal ? { abortSignal: signal } : {};
  return {
    async readGatewayConfig(name) {
      try {
        const output = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }), options);
        return output.Parameter?.Value;
      } catch (error) {
        if ((error as { name?: string }).name === 'ParameterNotFound') return undefined;
        throw error;
      }
    },
    async associateAddress(allocationId, networkInterfaceId) {
      await ec2.send(
        new AssociateAddressCommand({
          AllocationId: allocationId,
          NetworkInterfaceId: networkInterfaceId,
          // The address may still be associated with the predecessor (or its deleted interface).
          AllowReassociation: true,
        }),
        options,
      );
    },
    async disableSourceDestCheck(networkInterfaceId) {
      await ec2.send(
        new ModifyNetworkInterfaceAttributeCommand({
          NetworkInterfaceId: networkInterfaceId,
          SourceDestCheck: { Value: false },
        }),
        options,
      );
    },
    async pointRoute(routeTableId, cidr, networkInterfaceId) {
      const route = {
        RouteTableId: routeTableId,
        DestinationCidrBlock: cidr,
        NetworkInterfaceId: networkInterfaceId,
      };
      try {
        await ec2.send(new ReplaceRouteCommand(route), options);
        return 'replaced';
      } catch (error) {
        // "There is no route defined for '<cidr>' in the route table": a first deployment.
        const { name, message } = error as { name?: string; message?: string };
        if (name !== 'InvalidParameterValue' || !/no route/i.test(message ?? '')) throw error;
        await ec2.send(new CreateRouteCommand(route), options);
        return 'created';
      }
    },
    async completeLifecycleAction(result) {
      await autoScaling.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: settings.autoScalingGroupName,
          LifecycleHookName: settings.lifecycleHookName,
          InstanceId: instanceId,
          LifecycleActionResult: result,
        }),
        options,
      );
    },
  };
}
