/**
 * The acts of the remediation loop. Each is idempotent (a retried state finds its work done and
 * changes nothing) and returns a before/after record. A dry run reads everything, sends every EC2
 * write of the plan with `DryRun: true` against the current resources (AWS answers DryRunOperation
 * when allowed, UnauthorizedOperation when not) and changes nothing.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { LinkConfig } from '#shared/config.ts';
import {
  AwsThrottledError,
  AwsTransientError,
  describeError,
  GatewayStateError,
  GatewayUpdateError,
  isThrottling,
  isTransient,
} from '#shared/errors.ts';
import {
  associateElasticIp,
  createRoute,
  describeElasticIp,
  describeGroup,
  describeInstance,
  describeRouteTables,
  disableSourceDestCheck,
  replaceRoute,
  sendRestartCommand,
  terminateInGroup,
} from './adapters.ts';
import { terminationDecision } from './replacement.ts';
import { describeRouteChange, planRoutes, REPLACEMENT_ENI_PLACEHOLDER } from './routes.ts';
import type {
  ConfigureOutcome,
  InterfaceView,
  PermissionCheck,
  ReplaceOutcome,
  RepointOutcome,
  RestartOutcome,
  RouteChange,
} from './types.ts';

/** The clients a gateway step uses, and the abort signal of the invocation. */
export interface GatewayDeps {
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly ssm: SSMClient;
  readonly signal: AbortSignal;
}

/** The AWS error behind a wrapped one (the adapters keep it as `cause`). */
function awsErrorOf(error: unknown): { name: string; message: string } {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return describeError(cause);
}

/** Sends one write with DryRun and reads AWS's verdict on the permission. */
export async function checkPermission(
  action: string,
  resource: string,
  send: () => Promise<unknown>,
): Promise<PermissionCheck> {
  try {
    await send();
    // EC2 never succeeds a DryRun call; an answer means the call was not a dry run at all.
    return { action, resource, result: 'error', detail: 'the DryRun call returned without DryRunOperation' };
  } catch (error) {
    const { name, message } = awsErrorOf(error);
    if (name === 'DryRunOperation') return { action, resource, result: 'allowed', detail: 'allowed' };
    if (name === 'UnauthorizedOperation' || name === 'AccessDenied' || name === 'AccessDeniedException') {
      return {
        action,
        resource,
        result: 'denied',
        detail: `missing permission ${action} on ${resource}: ${message}`,
      };
    }
    return { action, resource, result: 'error', detail: `${name}: ${message}` };
  }
}

/** One plan line per permission check. */
export function describePermission(check: PermissionCheck): string {
  switch (check.result) {
    case 'allowed':
      return `Permission ${check.action} on ${check.resource}: allowed (DryRun)`;
    case 'denied':
      return `Permission ${check.action} on ${check.resource}: DENIED: ${check.detail}`;
    case 'unverified':
      return `Permission ${check.action} on ${check.resource}: unverified (${check.detail})`;
    case 'error':
      return `Permission ${check.action} on ${check.resource}: could not check (${check.detail})`;
  }
}

/**
 * replace: asks the group to terminate the gateway (desired capacity kept, so the group launches a
 * replacement). Nothing to do when it is already terminating or gone, or when there is none.
 */
export async function replaceInstance(
  deps: GatewayDeps,
  request: { link: LinkConfig; oldInstanceId: string | null; dryRun: boolean; now: Date },
): Promise<ReplaceOutcome> {
  const { link, oldInstanceId, dryRun } = request;
  const group = link.gateway.autoScalingGroupName;
  const base = { requestedAt: request.now.toISOString(), oldInstanceId, activityId: null, permissions: [] };
  if (!oldInstanceId) {
    return {
      ...base,
      action: 'nothing-to-terminate',
      before: { lifecycleState: null },
      after: { lifecycleState: null },
      notes: [`Replace: group ${group} had no gateway to terminate; waiting for the group's own replacement`],
    };
  }
  const view = await describeGroup(deps.autoScaling, group, { signal: deps.signal });
  const { decision, lifecycleState } = terminationDecision(view, oldInstanceId);
  const before = { lifecycleState };
  if (decision !== 'terminate') {
    return {
      ...base,
      action: decision,
      before,
      after: before,
      notes: [
        `Replace: ${oldInstanceId} is ${decision === 'already-gone' ? 'no longer in' : `already ${lifecycleState} in`} group ${group}; nothing to terminate`,
      ],
    };
  }
  if (dryRun) {
    const permissions: PermissionCheck[] = [
      {
        action: 'autoscaling:TerminateInstanceInAutoScalingGroup',
        resource: group,
        result: 'unverified',
        detail: 'Auto Scaling has no DryRun',
      },
    ];
    return {
      ...base,
      action: 'would-terminate',
      before,
      after: before,
      permissions,
      notes: [
        `Replace: would terminate ${oldInstanceId} (${lifecycleState}) in group ${group}, keeping desired capacity so the group launches a replacement`,
        ...permissions.map(describePermission),
      ],
    };
  }
  const result = await terminateInGroup(deps.autoScaling, oldInstanceId, { signal: deps.signal });
  if (result.gone) {
    return {
      ...base,
      action: 'already-gone',
      before,
      after: { lifecycleState: null },
      notes: [
        `Replace: ${oldInstanceId} left group ${group} before it could be terminated; nothing to terminate`,
      ],
    };
  }
  return {
    ...base,
    action: 'terminated',
    before,
    after: { lifecycleState: 'Terminating' },
    activityId: result.activityId,
    notes: [
      `Replace: terminated ${oldInstanceId} in group ${group} (desired capacity kept; activity ${result.activityId ?? '?'})`,
    ],
  };
}

const atIndex = (interfaces: readonly InterfaceView[], index: number) =>
  interfaces.find((eni) => eni.deviceIndex === index);

/**
 * configure: source/dest check off on every forwarding interface (the Elastic IP's and the routes'),
 * the Elastic IP on its interface (`gateway.elasticIpDeviceIndex`). What is already so is left alone.
 * A dry run without an instance (the replacement does not exist yet) plans against the current one.
 */
export async function configureInstance(
  deps: GatewayDeps,
  request: { link: LinkConfig; instanceId: string | null; currentInstanceId: string | null; dryRun: boolean },
): Promise<ConfigureOutcome> {
  const options = { signal: deps.signal };
  const { link, dryRun } = request;
  const { gateway } = link;
  const allocationId = gateway.elasticIpAllocationId;
  const instanceId = request.instanceId ?? (dryRun ? request.currentInstanceId : null);
  if (!instanceId) throw new GatewayStateError('configure: no instance to configure');
  const [address, instance] = await Promise.all([
    describeElasticIp(deps.ec2, allocationId, options),
    describeInstance(deps.ec2, instanceId, options),
  ]);
  if (!instance) throw new GatewayStateError(`configure: instance ${instanceId} does not exist`);
  if (instance.state !== 'running' && !dryRun) {
    throw new GatewayStateError(
      `configure: instance ${instanceId} is ${instance.state ?? 'unknown'}, not running`,
    );
  }
  const eipEni = atIndex(instance.networkInterfaces, gateway.elasticIpDeviceIndex);
  const routeEni = atIndex(instance.networkInterfaces, gateway.routeDeviceIndex);
  if (!eipEni || !routeEni) {
    const index = !eipEni
      ? `gateway.elasticIpDeviceIndex ${gateway.elasticIpDeviceIndex}`
      : `gateway.routeDeviceIndex ${gateway.routeDeviceIndex}`;
    throw new GatewayStateError(`configure: ${instanceId} has no network interface at ${index}`);
  }
  const future = request.instanceId === null;
  const who = future ? `the replacement (checked against ${instanceId})` : instanceId;
  const where = { instanceId: address.instanceId, networkInterfaceId: address.networkInterfaceId };
  const ip = address.publicIp ?? allocationId;
  const notes: string[] = [];
  const permissions: PermissionCheck[] = [];

  const forwarding = [...new Map([eipEni, routeEni].map((eni) => [eni.networkInterfaceId, eni])).values()];
  const interfaces: ConfigureOutcome['sourceDestCheck']['interfaces'][number][] = [];
  for (const eni of forwarding) {
    if (eni.sourceDestCheck === false && !future) {
      interfaces.push({ networkInterfaceId: eni.networkInterfaceId, before: false, action: 'unchanged' });
      notes.push(`Configure: source/dest check already off on ${instanceId}/${eni.networkInterfaceId}`);
    } else if (dryRun) {
      interfaces.push({
        networkInterfaceId: eni.networkInterfaceId,
        before: eni.sourceDestCheck,
        action: 'would-disable',
      });
      notes.push(`Configure: would turn the source/dest check off on ${who}/${eni.networkInterfaceId}`);
      permissions.push(
        await checkPermission('ec2:ModifyNetworkInterfaceAttribute', eni.networkInterfaceId, () =>
          disableSourceDestCheck(deps.ec2, eni.networkInterfaceId, { ...options, dryRun: true }),
        ),
      );
    } else {
      await disableSourceDestCheck(deps.ec2, eni.networkInterfaceId, options);
      interfaces.push({
        networkInterfaceId: eni.networkInterfaceId,
        before: eni.sourceDestCheck,
        action: 'disabled',
      });
      notes.push(`Configure: source/dest check turned off on ${instanceId}/${eni.networkInterfaceId}`);
    }
  }
  const changed = interfaces.filter((i) => i.action !== 'unchanged');
  const sourceDestCheck: ConfigureOutcome['sourceDestCheck'] = {
    before: interfaces.some((i) => i.before !== false),
    after: false,
    action: changed.length === 0 ? 'unchanged' : dryRun ? 'would-disable' : 'disabled',
    interfaces,
  };

  const target = {
    instanceId: future ? null : instanceId,
    networkInterfaceId: future ? null : eipEni.networkInterfaceId,
  };
  const eipBase = {
    allocationId,
    publicIp: address.publicIp,
    before: where,
    associationId: address.associationId,
  };
  let elasticIp: ConfigureOutcome['elasticIp'];
  if (address.networkInterfaceId === eipEni.networkInterfaceId && !future) {
    elasticIp = { ...eipBase, after: target, action: 'unchanged' };
    notes.push(`Configure: Elastic IP ${ip} already on ${instanceId}/${eipEni.networkInterfaceId}`);
  } else if (dryRun) {
    elasticIp = { ...eipBase, after: target, action: 'would-associate' };
    notes.push(
      `Configure: would move Elastic IP ${ip} (now ${where.instanceId ? `on ${where.instanceId}/${where.networkInterfaceId ?? '?'}` : 'not associated'}) to ${who}/${eipEni.networkInterfaceId}`,
    );
    permissions.push(
      await checkPermission('ec2:AssociateAddress', `${allocationId} -> ${eipEni.networkInterfaceId}`, () =>
        associateElasticIp(deps.ec2, allocationId, eipEni.networkInterfaceId, { ...options, dryRun: true }),
      ),
    );
  } else {
    const associationId = await associateElasticIp(
      deps.ec2,
      allocationId,
      eipEni.networkInterfaceId,
      options,
    );
    elasticIp = { ...eipBase, after: target, action: 'associated', associationId };
    const from = where.instanceId ? ` (was on ${where.instanceId}/${where.networkInterfaceId ?? '?'})` : '';
    notes.push(
      `Configure: Elastic IP ${ip} associated with ${instanceId}/${eipEni.networkInterfaceId}${from}`,
    );
  }
  return {
    instanceId: future ? null : instanceId,
    networkInterfaceId: future ? null : routeEni.networkInterfaceId,
    elasticIpInterfaceId: future ? null : eipEni.networkInterfaceId,
    probeInterfaceId: routeEni.networkInterfaceId,
    sourceDestCheck,
    elasticIp,
    permissions,
    notes: [...notes, ...permissions.map(describePermission)],
  };
}

/**
 * repoint: every configured route table × remote CIDR to the ENI (ReplaceRoute, or CreateRoute when
 * missing); routes already there are left alone, routes not configured are never touched.
 * @throws GatewayUpdateError after trying every route, naming each table/CIDR that failed and why.
 * @throws AwsThrottledError / AwsTransientError when every failure was transient (safe to retry).
 */
export async function repointRoutes(
  deps: GatewayDeps,
  request: {
    link: LinkConfig;
    networkInterfaceId: string | null;
    probeInterfaceId: string | null;
    dryRun: boolean;
    now: () => Date;
  },
): Promise<RepointOutcome> {
  const options = { signal: deps.signal };
  const { link, dryRun } = request;
  const eni = request.networkInterfaceId ?? (dryRun ? REPLACEMENT_ENI_PLACEHOLDER : null);
  if (!eni) throw new GatewayStateError('repoint: no network interface to point the routes to');
  const tables = await describeRouteTables(deps.ec2, link.gateway.routeTableIds, options);
  const plan = planRoutes(tables, link.gateway, eni);
  const permissions: PermissionCheck[] = [];
  const failures: { change: RouteChange; error: unknown }[] = [];
  for (const change of plan) {
    if (change.action === 'unchanged') continue;
    const call = change.action === 'replace' ? replaceRoute : createRoute;
    if (dryRun) {
      const probe = request.probeInterfaceId;
      if (!probe) continue;
      const route = {
        routeTableId: change.routeTableId,
        destinationCidrBlock: change.destinationCidrBlock,
        networkInterfaceId: probe,
      };
      permissions.push(
        await checkPermission(
          change.action === 'replace' ? 'ec2:ReplaceRoute' : 'ec2:CreateRoute',
          `${change.routeTableId} ${change.destinationCidrBlock}`,
          () => call(deps.ec2, route, { ...options, dryRun: true }),
        ),
      );
      continue;
    }
    const route = {
      routeTableId: change.routeTableId,
      destinationCidrBlock: change.destinationCidrBlock,
      networkInterfaceId: eni,
    };
    try {
      await call(deps.ec2, route, options);
    } catch (error) {
      failures.push({ change, error });
    }
  }
  const failed = new Set(failures.map((failure) => failure.change));
  const done = plan.filter((change) => !failed.has(change));
  if (failures.length > 0) {
    const detail = failures
      .map(({ change, error }) => {
        const { name, message } = describeError(error);
        const call = change.action === 'replace' ? 'ReplaceRoute' : 'CreateRoute';
        return `${change.routeTableId} ${change.destinationCidrBlock} (${call}): ${name}: ${message}`;
      })
      .join('; ');
    const applied = done.filter((change) => change.action !== 'unchanged');
    const summary = `${failures.length} of ${plan.length} route(s) could not be pointed to ${eni}: ${detail}${
      applied.length > 0
        ? `; updated: ${applied.map((c) => `${c.routeTableId} ${c.destinationCidrBlock}`).join(', ')}`
        : ''
    }`;
    if (failures.every(({ error }) => isThrottling(error))) throw new AwsThrottledError(summary);
    if (failures.every(({ error }) => isThrottling(error) || isTransient(error)))
      throw new AwsTransientError(summary);
    throw new GatewayUpdateError(summary);
  }
  const changed = plan.filter((change) => change.action !== 'unchanged').length;
  return {
    networkInterfaceId: eni,
    routes: plan,
    completedAt: request.now().toISOString(),
    permissions,
    notes: [
      ...plan.map((change) => describeRouteChange(change, dryRun)),
      dryRun
        ? `Routes: would change ${changed} of ${plan.length} configured route(s)`
        : `Routes: ${changed} of ${plan.length} configured route(s) changed`,
      ...permissions.map(describePermission),
    ],
  };
}

/** restart-ipsec: runs `gateway.restartCommand` on the gateway through SSM (AWS-RunShellScript). */
export async function restartIpsec(
  deps: GatewayDeps,
  request: { link: LinkConfig; instanceId: string | null; dryRun: boolean; now: Date },
): Promise<RestartOutcome> {
  const { link, dryRun } = request;
  const command = link.gateway.restartCommand;
  if (!command) throw new GatewayStateError('restart-ipsec: gateway.restartCommand is not configured');
  if (!request.instanceId) throw new GatewayStateError('restart-ipsec: no instance to restart IPsec on');
  const base = { instanceId: request.instanceId, requestedAt: request.now.toISOString() };
  if (dryRun) {
    const permissions: PermissionCheck[] = [
      {
        action: 'ssm:SendCommand',
        resource: request.instanceId,
        result: 'unverified',
        detail: 'SSM has no DryRun',
      },
    ];
    return {
      ...base,
      commandId: null,
      action: 'would-send',
      permissions,
      notes: [
        `Restart: would run "${command}" on ${request.instanceId} through SSM AWS-RunShellScript`,
        ...permissions.map(describePermission),
      ],
    };
  }
  const commandId = await sendRestartCommand(deps.ssm, request.instanceId, command, { signal: deps.signal });
  return {
    ...base,
    commandId,
    action: 'sent',
    permissions: [],
    notes: [`Restart: ran "${command}" on ${request.instanceId} through SSM (command ${commandId ?? '?'})`],
  };
}
