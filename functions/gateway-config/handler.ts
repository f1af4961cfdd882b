/**
 * gateway-config: renders a managed gateway's Libreswan config for the instance that is launching.
 * Target of the stack's EventBridge rule on the group's "EC2 Instance-launch Lifecycle Action": it
 * reads the link's VPN connections in the VPN's Region (DescribeVpnConnections cannot be scoped to
 * one connection, so no instance role may hold it: it would reveal every VPN's pre-shared keys),
 * renders them (gateway/render) and writes the record as the link's SecureString, naming the
 * instance. The instance's boot waits for that record (gateway/boot). Config: runtimeConfig().
 */
import { ec2Client, ssmClient } from '#shared/clients.ts';
import { gatewayConfigParameterName, MANAGED_GATEWAY_HOOK_NAME, managedGatewayOf } from '#shared/config.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { taskHandler } from '#shared/middleware.ts';
import { logger } from '#shared/powertools.ts';
import { runtimeConfig } from '#shared/runtime-config.ts';
import { renderLibreswan } from '../../gateway/render/index.ts';
import { describeVpnConnections, putGatewayConfig } from './adapters.ts';
import { renderGatewayRecord } from './render.ts';
import { LaunchLifecycleEventSchema } from './schema.ts';

/** The Lambda entry point (EventBridge target). */
export const handler = taskHandler(LaunchLifecycleEventSchema, async (event, { signal }) => {
  const config = runtimeConfig();
  const { AutoScalingGroupName: group, EC2InstanceId: instanceId, LifecycleHookName: hook } = event.detail;
  const link = config.links.find(
    (candidate) => candidate.gateway.autoScalingGroupName === group && managedGatewayOf(candidate),
  );
  if (!link) throw new InvalidInputError(`no managed-gateway link has the Auto Scaling group ${group}`);
  if (hook !== MANAGED_GATEWAY_HOOK_NAME) {
    return { link: link.name, instanceId, skipped: `hook ${hook} is not ${MANAGED_GATEWAY_HOOK_NAME}` };
  }
  const vpnConnections = await describeVpnConnections(ec2Client(link.vpn.region), link.vpn.vpnConnectionIds, {
    signal,
  });
  const record = renderGatewayRecord({
    link,
    instanceId,
    vpnConnections,
    render: renderLibreswan,
    now: new Date(),
  });
  const parameter = gatewayConfigParameterName(link.name);
  await putGatewayConfig(ssmClient(), parameter, record, { signal });
  // Only what is safe to log: never the record's value.
  const summary = {
    link: link.name,
    instanceId,
    parameter,
    status: record.status,
    ...(record.status === 'failed' ? { error: record.error } : { vpnConnectionId: record.vpnConnectionId }),
  };
  logger.info('gateway config written', summary);
  return summary;
});
