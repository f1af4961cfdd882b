/**
 * Seeding the world from a validated config, healthy: per link an Auto Scaling group of one
 * InService gateway holding the link's Elastic IP, every configured route table x remote CIDR
 * pointing at it (beside a default route VPN Guard must never touch), the link's VPN connections
 * with both tunnels UP, and its alarms in OK over minutes of healthy metric history; then the lock
 * table, the topic and the two state machines. Also the config itself: canary targets rewritten to
 * the loopback listeners that stand for the hosts across each VPN.
 */
import { linkAlarmSpecs } from '#infra/alarm-specs.ts';
import { localFunctionArn, substituteAsl } from '#infra/asl.ts';
import { type Config, parseConfig } from '#shared/config.ts';
import { METRICS, type MetricName, metricDimensionsFor } from '#shared/metric-names.ts';
import { WorldError } from './aws-errors.ts';
import type { WorldContext } from './context.ts';
import { canaryFunctionArn, canaryVpcs } from './lambdas.ts';
import type { LinkModel } from './link-model.ts';
import { loopbackAddress, RemoteHost } from './remote-hosts.ts';
import { ACCOUNT, HOME_REGION, LOCK_TABLE_NAME, remediationTimeoutSeconds, TOPIC_ARN } from './settings.ts';

/** Refuses a config whose canary would probe anything but a loopback listener. */
export function assertLoopbackTargets(config: Config): void {
  for (const link of config.links) {
    for (const target of link.canary.targets) {
      if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(target.host)) {
        throw new WorldError(
          `links.${link.name}.canary.targets: ${target.host} is not a loopback address; sandbox configs probe 127.x listeners only`,
        );
      }
    }
  }
}

/**
 * Starts a remote host per canary target (pushing each link's onto `hosts` as it goes, so the
 * caller can close what started if a later one fails), and returns the config probing them. Without
 * remote hosts the targets become closed loopback ports, which refuse.
 */
export async function startRemoteHosts(
  base: Config,
  remoteHosts: boolean,
  hosts: RemoteHost[][],
): Promise<Config> {
  if (!remoteHosts) {
    return withTargets(
      base,
      (index) =>
        base.links[index]?.canary.targets.map((_, t) => ({ host: loopbackAddress(index, t), port: 1 })) ?? [],
    );
  }
  for (const [index, link] of base.links.entries()) {
    hosts.push(
      await Promise.all(link.canary.targets.map((_, t) => RemoteHost.start(loopbackAddress(index, t)))),
    );
  }
  return withTargets(base, (index) => (hosts[index] ?? []).map((h) => ({ host: h.host, port: h.port })));
}

/** The config with each link's canary targets replaced by `targets(linkIndex)`. */
function withTargets(raw: Config, targets: (link: number) => { host: string; port: number }[]): Config {
  return parseConfig(
    {
      ...raw,
      links: raw.links.map((link, index) => ({
        ...link,
        canary: { ...link.canary, targets: targets(index) },
      })),
    },
    'sandbox config',
  );
}

/** Seeds every resource of the config, with `historyMinutes` of healthy metrics before the start. */
export function seedWorld(world: WorldContext, links: LinkModel, historyMinutes: number): void {
  const { asg, cloudwatch, config, ec2, ids, start, timing } = world;
  const history = historyMinutes * 60_000;
  const seededCollections = new Set<string>();
  for (const link of config.links) {
    const vpcId = link.canary.vpcId;
    const subnetId = `subnet-${vpcId.slice(4, 12)}0a11ce5ba`;
    const existing = asg.groups.get(link.gateway.autoScalingGroupName);
    if (existing)
      throw new WorldError(`links share Auto Scaling group ${existing.name}: one gateway group per link`);
    const { elasticIpDeviceIndex, routeDeviceIndex } = link.gateway;
    // A gateway has as many interfaces as its configured device indexes need (the
    // `gateway-multi-eni` fault adds more); the forwarding interface (the routes' target) and the
    // Elastic IP's have source/dest check off, as the operator configured them.
    const { instanceId } = asg.createGroup({
      name: link.gateway.autoScalingGroupName,
      region: HOME_REGION,
      vpcId,
      subnetId,
      availabilityZone: `${HOME_REGION}a`,
      interfaces: Math.max(elasticIpDeviceIndex, routeDeviceIndex) + 1,
      sourceDestCheckOff: [...new Set([elasticIpDeviceIndex, routeDeviceIndex])],
      // A gateway that has been serving for a week: its LaunchTime is in the past.
      ageSeconds: 7 * 86_400,
    });
    const instance = ec2.instances.get(instanceId);
    const eipEni = ec2.interfaceAt(instanceId, elasticIpDeviceIndex);
    const routeEni = ec2.interfaceAt(instanceId, routeDeviceIndex);
    if (!instance || !eipEni || !routeEni) throw new WorldError('seed: gateway instance missing');
    links.seedGateway(link.name, instanceId);
    ec2.addresses.set(link.gateway.elasticIpAllocationId, {
      allocationId: link.gateway.elasticIpAllocationId,
      region: HOME_REGION,
      publicIp: ids.publicIp(),
      associationId: ids.next('eipassoc'),
      eniId: eipEni.eniId,
    });
    // The VPC's main table: local and internet routes only (VPN Guard never touches it).
    if (![...ec2.routeTables.values()].some((t) => t.vpcId === vpcId && t.associations.some((a) => a.main))) {
      const mainId = ids.next('rtb');
      ec2.routeTables.set(mainId, {
        routeTableId: mainId,
        region: HOME_REGION,
        vpcId,
        routes: [
          { destination: '10.0.0.0/16', target: { kind: 'local' }, origin: 'CreateRouteTable' },
          {
            destination: '0.0.0.0/0',
            target: { kind: 'gateway', gatewayId: `igw-${vpcId.slice(4)}` },
            origin: 'CreateRoute',
          },
        ],
        associations: [{ associationId: ids.next('rtbassoc'), main: true }],
      });
    }
    for (const routeTableId of link.gateway.routeTableIds) {
      let table = ec2.routeTables.get(routeTableId);
      if (!table) {
        table = {
          routeTableId,
          region: HOME_REGION,
          vpcId,
          routes: [
            { destination: '10.0.0.0/16', target: { kind: 'local' }, origin: 'CreateRouteTable' },
            // A route VPN Guard does not own: it must never be touched.
            {
              destination: '0.0.0.0/0',
              target: { kind: 'gateway', gatewayId: `igw-${vpcId.slice(4)}` },
              origin: 'CreateRoute',
            },
          ],
          associations: [],
        };
        ec2.routeTables.set(routeTableId, table);
      }
      for (const cidr of link.gateway.remoteCidrs) {
        table.routes.push({
          destination: cidr,
          target: { kind: 'eni', eniId: routeEni.eniId },
          origin: 'CreateRoute',
        });
      }
    }
    // Each canary subnet is explicitly associated with one of the link's tables (in turn), as a
    // correctly set-up VPC has it; a fault can move it elsewhere.
    for (const [index, canarySubnet] of link.canary.subnetIds.entries()) {
      const effective = ec2.effectiveRouteTable(HOME_REGION, vpcId, canarySubnet);
      if (effective && !effective.associations.some((a) => a.main)) continue;
      const tableId = link.gateway.routeTableIds[index % link.gateway.routeTableIds.length];
      if (tableId) ec2.associateSubnet(canarySubnet, tableId);
    }
    for (const [index, vpnConnectionId] of link.vpn.vpnConnectionIds.entries()) {
      if (ec2.vpnConnections.has(vpnConnectionId)) continue;
      ec2.vpnConnections.set(vpnConnectionId, {
        vpnConnectionId,
        region: link.vpn.region,
        customerGatewayId: ids.next('cgw'),
        vpnGatewayId: ids.next('vgw'),
        state: 'available',
        tunnels: [1, 2].map((t) => ({
          outsideIp: `198.51.100.${(index * 2 + t) % 250}`,
          status: 'UP' as const,
          statusMessage: '',
          lastStatusChange: start - 3 * 86_400_000,
          maintenance: {},
        })),
      });
    }
    const specs = linkAlarmSpecs(config, link);
    cloudwatch.addLinkAlarms(link.name, specs.metricAlarms, specs.outage, 'OK', start - history);
    // What a healthy Monitor would have published at each tick of the history: the link's own
    // figures, and (once per VPN Region / canary VPC) the collections' figures.
    const tunnels = link.vpn.vpnConnectionIds.length * 2;
    const firstOfRegion = !seededCollections.has(`region:${link.vpn.region}`);
    seededCollections.add(`region:${link.vpn.region}`);
    for (let t = start - history; t < start; t += 60_000) {
      const at = t + timing.tickOffsetSeconds * 1000;
      const seed = (metric: MetricName, value: number) =>
        cloudwatch.seed(config.namespace, metric, metricDimensionsFor(metric, link), at, value);
      if (firstOfRegion) {
        seed(METRICS.tunnelCheckSuccess, 1);
        seed(METRICS.tunnelCheckLatency, 40);
      }
      seed(METRICS.tunnelsUp, tunnels);
      seed(METRICS.canarySuccess, 1);
      seed(METRICS.canaryLoss, 0);
      seed(METRICS.canaryLatency, 0.2);
    }
  }
  world.dynamodb.createTable({ name: LOCK_TABLE_NAME, keys: ['pk'], ttlAttribute: 'expiresAt' });
  world.sns.topics.add(TOPIC_ARN);
  seedStateMachines(world);
  links.seedLifecycle();
}

/** The Monitor and Remediation machines from the real ASL, top-level timeouts enforced by the world. */
function seedStateMachines(world: WorldContext): void {
  const fn = (id: string) => localFunctionArn(id, HOME_REGION, ACCOUNT);
  const machineArn = (name: string) => `arn:aws:states:${HOME_REGION}:${ACCOUNT}:stateMachine:${name}`;
  const monitor = JSON.parse(
    substituteAsl('monitor', {
      CheckTunnelFunctionArn: fn('check-tunnel'),
      PublishMetricFunctionArn: fn('publish-metric'),
      StartRemediationFunctionArn: fn('start-remediation'),
    }),
  ) as { TimeoutSeconds?: number };
  const remediation = JSON.parse(
    substituteAsl('remediation', {
      RemediationGuardFunctionArn: fn('remediation-guard'),
      GatewayFunctionArn: fn('gateway'),
      CheckTunnelFunctionArn: fn('check-tunnel'),
      PublishMetricFunctionArn: fn('publish-metric'),
      NotifyFunctionArn: fn('notify'),
      CanaryFunctions: canaryVpcs(world.config)
        .map((vpcId) => `${vpcId}=${canaryFunctionArn(vpcId)}`)
        .join(','),
    }),
  ) as { TimeoutSeconds?: number };
  const monitorTimeout = monitor.TimeoutSeconds;
  delete monitor.TimeoutSeconds;
  delete remediation.TimeoutSeconds;
  world.sfn.addMachine({
    id: 'monitor',
    arn: machineArn('vpn-guard-monitor'),
    type: 'EXPRESS',
    definition: JSON.stringify(monitor),
    timeoutSeconds: monitorTimeout,
  });
  world.sfn.addMachine({
    id: 'remediation',
    arn: machineArn('vpn-guard-remediation'),
    type: 'STANDARD',
    definition: JSON.stringify(remediation),
    // The stack replaces the file's TimeoutSeconds with this (docs/contracts.md).
    timeoutSeconds: remediationTimeoutSeconds(world.config),
  });
}
