/**
 * The gateway steps of a remediation. Each is idempotent (a retried state finds its work done and
 * changes nothing) and returns a before/after record; a dry run reads everything and changes nothing.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { LinkConfig } from '#shared/config.ts';
import {
  AwsThrottledError,
  DeadlineExceededError,
  describeError,
  GatewayStateError,
  GatewayUpdateError,
  isThrottling,
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
  terminateInGroup,
} from './adapters.ts';
import { currentInstance, describeInstances, findReplacement, terminationDecision } from './replacement.ts';
import {
  blackholes,
  configuredRoutes,
  describeRouteChange,
  planRoutes,
  REPLACEMENT_ENI_PLACEHOLDER,
} from './routes.ts';
import type {
  AwaitOutcome,
  ConfigureOutcome,
  GatewaySnapshot,
  ReplaceOutcome,
  RepointOutcome,
  RouteChange,
} from './types.ts';

/** The clients a gateway step uses, and the abort signal of the invocation. */
export interface GatewayDeps {
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly signal: AbortSignal;
}

/** describe: the gateway as it is, before anything changes. Also checks the config against reality. */
export async function describeGateway(
  deps: GatewayDeps,
  link: LinkConfig,
  now: Date,
): Promise<GatewaySnapshot> {
  const options = { signal: deps.signal };
  const { gateway } = link;
  const group = await describeGroup(deps.autoScaling, gateway.autoScalingGroupName, options);
  const instanceId = currentInstance(group);
  const [instance, elasticIp, tables] = await Promise.all([
    instanceId ? describeInstance(deps.ec2, instanceId, options) : Promise.resolve(null),
    describeElasticIp(deps.ec2, gateway.elasticIpAllocationId, options),
    describeRouteTables(deps.ec2, gateway.routeTableIds, options),
  ]);
  const routes = configuredRoutes(tables, gateway);
  const lost = blackholes(routes).length;
  const eip = elasticIp.instanceId
    ? `on ${elasticIp.instanceId}/${elasticIp.networkInterfaceId ?? '?'}`
    : 'not associated';
  return {
    takenAt: now.toISOString(),
    autoScalingGroupName: group.autoScalingGroupName,
    desiredCapacity: group.desiredCapacity,
    instances: group.instances,
    instanceId,
    networkInterfaceId: instance?.networkInterfaceId ?? null,
    sourceDestCheck: instance?.sourceDestCheck ?? null,
    elasticIp,
    routes,
    notes: [
      `Before: group ${group.autoScalingGroupName}: ${describeInstances(group.instances)}; gateway ${instanceId ?? 'none InService'}${
        instance
          ? ` (ENI ${instance.networkInterfaceId ?? '?'}, source/dest check ${instance.sourceDestCheck === false ? 'off' : 'ON'})`
          : ''
      }; Elastic IP ${elasticIp.publicIp ?? elasticIp.allocationId} ${eip}`,
      `Before: routes ${routes
        .map(
          (route) =>
            `${route.routeTableId} ${route.destinationCidrBlock} -> ${route.target ?? 'missing'}${route.state ? ` (${route.state})` : ''}`,
        )
        .join('; ')}${lost > 0 ? `; ${lost} blackholed` : ''}`,
    ],
  };
}

/**
 * replace: asks the group to terminate the old gateway (desired capacity kept, so the group launches
 * a replacement). Nothing to do when it is already terminating or gone, or when there is none.
 */
export async function replaceInstance(
  deps: GatewayDeps,
  request: { link: LinkConfig; oldInstanceId: string | null; dryRun: boolean; now: Date },
): Promise<ReplaceOutcome> {
  const { link, oldInstanceId, dryRun } = request;
  const group = link.gateway.autoScalingGroupName;
  const base = { requestedAt: request.now.toISOString(), oldInstanceId, activityId: null };
  if (!oldInstanceId) {
    return {
      ...base,
      action: 'nothing-to-terminate',
      before: { lifecycleState: null },
      after: { lifecycleState: null },
      notes: [`Replace: group ${group} had no InService gateway; waiting for the group's own replacement`],
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
    return {
      ...base,
      action: 'would-terminate',
      before,
      after: before,
      notes: [
        `Replace: would terminate ${oldInstanceId} (${lifecycleState}) in group ${group}, keeping desired capacity so the group launches a replacement`,
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

/**
 * await-replacement: one poll of the group. Done when a healthy InService instance other than the
 * old one exists; a dry run reads once and reports what it would wait for.
 * @throws DeadlineExceededError when none is InService `timeoutMinutes` after `since`.
 */
export async function awaitReplacement(
  deps: GatewayDeps,
  request: {
    link: LinkConfig;
    oldInstanceId: string | null;
    since: string;
    timeoutMinutes: number;
    dryRun: boolean;
    now: Date;
  },
): Promise<AwaitOutcome> {
  const group = request.link.gateway.autoScalingGroupName;
  const view = await describeGroup(deps.autoScaling, group, { signal: deps.signal });
  const deadline = new Date(new Date(request.since).getTime() + request.timeoutMinutes * 60_000);
  const base = {
    instances: view.instances,
    checkedAt: request.now.toISOString(),
    deadlineAt: deadline.toISOString(),
  };
  const seen = describeInstances(view.instances);
  if (request.dryRun) {
    return {
      ...base,
      done: true,
      newInstanceId: null,
      notes: [
        `Wait: would poll group ${group} every 15 s, up to ${request.timeoutMinutes} min, for an InService replacement (now: ${seen})`,
      ],
    };
  }
  const replacement = findReplacement(view, request.oldInstanceId);
  if (replacement) {
    return {
      ...base,
      done: true,
      newInstanceId: replacement.instanceId,
      notes: [`Wait: replacement ${replacement.instanceId} is InService in group ${group}`],
    };
  }
  if (request.now >= deadline) {
    throw new DeadlineExceededError(
      `no InService replacement${request.oldInstanceId ? ` for ${request.oldInstanceId}` : ''} in group ${group} ${request.timeoutMinutes} min after the termination (deadline ${base.deadlineAt}); instances: ${seen}`,
    );
  }
  return {
    ...base,
    done: false,
    newInstanceId: null,
    notes: [`Wait: no replacement InService yet (${seen})`],
  };
}

/**
 * configure: source/dest check off and the Elastic IP on the instance's primary ENI. What is already
 * so is left alone. In a dry run without a replacement it reports what it would do to one.
 */
export async function configureInstance(
  deps: GatewayDeps,
  request: { link: LinkConfig; instanceId: string | null; dryRun: boolean },
): Promise<ConfigureOutcome> {
  const options = { signal: deps.signal };
  const { link, instanceId, dryRun } = request;
  const allocationId = link.gateway.elasticIpAllocationId;
  const address = await describeElasticIp(deps.ec2, allocationId, options);
  const where = { instanceId: address.instanceId, networkInterfaceId: address.networkInterfaceId };
  const ip = address.publicIp ?? allocationId;
  const eipBase = {
    allocationId,
    publicIp: address.publicIp,
    before: where,
    associationId: address.associationId,
  };
  if (!instanceId) {
    if (!dryRun) throw new GatewayStateError('configure: no replacement instance to configure');
    return {
      instanceId: null,
      networkInterfaceId: null,
      sourceDestCheck: { before: null, after: false, action: 'would-disable' },
      elasticIp: {
        ...eipBase,
        after: { instanceId: null, networkInterfaceId: null },
        action: 'would-associate',
      },
      notes: [
        'Configure: would turn the source/dest check off on the replacement instance',
        `Configure: would move Elastic IP ${ip} (now ${where.instanceId ? `on ${where.instanceId}/${where.networkInterfaceId ?? '?'}` : 'not associated'}) to the replacement's primary ENI`,
      ],
    };
  }
  const instance = await describeInstance(deps.ec2, instanceId, options);
  const eni = instance?.networkInterfaceId;
  if (!instance || !eni) {
    throw new GatewayStateError(
      `configure: instance ${instanceId} ${instance ? 'has no primary network interface' : 'does not exist'}`,
    );
  }
  const notes: string[] = [];

  let sourceDestCheck: ConfigureOutcome['sourceDestCheck'];
  if (instance.sourceDestCheck === false) {
    sourceDestCheck = { before: false, after: false, action: 'unchanged' };
    notes.push(`Configure: source/dest check already off on ${instanceId}`);
  } else if (dryRun) {
    sourceDestCheck = { before: instance.sourceDestCheck, after: false, action: 'would-disable' };
    notes.push(`Configure: would turn the source/dest check off on ${instanceId}`);
  } else {
    await disableSourceDestCheck(deps.ec2, instanceId, options);
    sourceDestCheck = { before: instance.sourceDestCheck, after: false, action: 'disabled' };
    notes.push(`Configure: source/dest check turned off on ${instanceId}`);
  }

  const target = { instanceId, networkInterfaceId: eni };
  let elasticIp: ConfigureOutcome['elasticIp'];
  if (address.networkInterfaceId === eni) {
    elasticIp = { ...eipBase, after: target, action: 'unchanged' };
    notes.push(`Configure: Elastic IP ${ip} already on ${instanceId}/${eni}`);
  } else if (dryRun) {
    elasticIp = { ...eipBase, after: target, action: 'would-associate' };
    notes.push(`Configure: would move Elastic IP ${ip} to ${instanceId}/${eni}`);
  } else {
    const associationId = await associateElasticIp(deps.ec2, allocationId, eni, options);
    elasticIp = { ...eipBase, after: target, action: 'associated', associationId };
    const from = where.instanceId ? ` (was on ${where.instanceId}/${where.networkInterfaceId ?? '?'})` : '';
    notes.push(`Configure: Elastic IP ${ip} associated with ${instanceId}/${eni}${from}`);
  }
  return { instanceId, networkInterfaceId: eni, sourceDestCheck, elasticIp, notes };
}

/**
 * repoint: every configured route table × remote CIDR to the ENI (ReplaceRoute, or CreateRoute when
 * missing); routes already there are left alone, routes not configured are never touched.
 * @throws GatewayUpdateError after trying every route, naming each table/CIDR that failed and why.
 * @throws AwsThrottledError when every failure was throttling (the whole step is safe to retry).
 */
export async function repointRoutes(
  deps: GatewayDeps,
  request: { link: LinkConfig; networkInterfaceId: string | null; dryRun: boolean; now: () => Date },
): Promise<RepointOutcome> {
  const options = { signal: deps.signal };
  const { link, dryRun } = request;
  const eni = request.networkInterfaceId ?? (dryRun ? REPLACEMENT_ENI_PLACEHOLDER : null);
  if (!eni) throw new GatewayStateError('repoint: no network interface to point the routes to');
  const tables = await describeRouteTables(deps.ec2, link.gateway.routeTableIds, options);
  const plan = planRoutes(tables, link.gateway, eni);
  const failures: { change: RouteChange; error: unknown }[] = [];
  if (!dryRun) {
    for (const change of plan) {
      if (change.action === 'unchanged') continue;
      const route = {
        routeTableId: change.routeTableId,
        destinationCidrBlock: change.destinationCidrBlock,
        networkInterfaceId: eni,
      };
      try {
        if (change.action === 'replace') await replaceRoute(deps.ec2, route, options);
        else await createRoute(deps.ec2, route, options);
      } catch (error) {
        failures.push({ change, error });
      }
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
    throw new GatewayUpdateError(summary);
  }
  const changed = plan.filter((change) => change.action !== 'unchanged').length;
  return {
    networkInterfaceId: eni,
    routes: plan,
    completedAt: request.now().toISOString(),
    notes: [
      ...plan.map((change) => describeRouteChange(change, dryRun)),
      dryRun
        ? `Routes: would change ${changed} of ${plan.length} configured route(s)`
        : `Routes: ${changed} of ${plan.length} configured route(s) changed`,
    ],
  };
}
