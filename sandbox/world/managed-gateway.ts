/**
 * The managed gateway in the world (links with `managedGateway` enabled,
 * infra/constructs/libreswan-gateway.ts): what AWS does around it, and the instance running the real
 * boot program (gateway/boot) against the simulated AWS.
 *
 * - **The group's launch hook** is the stack's (`LifecycleHookSpecificationList`: DefaultResult
 *   ABANDON, the configured heartbeat); it is not completed by a modelled boot delay but by the boot
 *   program's own CompleteLifecycleAction call.
 * - **"EC2 Instance-launch Lifecycle Action"**: when an instance enters Pending:Wait, Auto Scaling
 *   sends the event to EventBridge (source `aws.autoscaling`, detail `LifecycleActionToken`,
 *   `AutoScalingGroupName`, `LifecycleHookName`, `EC2InstanceId`, `LifecycleTransition`, `Origin`,
 *   `Destination`,
 *   https://docs.aws.amazon.com/autoscaling/ec2/userguide/prepare-for-lifecycle-notifications.html#lifecycle-hooks-notification-eventbridge);
 *   the stack's rule delivers it to gateway-config, a Lambda asynchronous invocation retried after
 *   `asyncRetrySeconds` when it fails (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
 * - **The launch template tags** each instance's interfaces with `vpn-guard:link`
 *   (LaunchTemplateData.TagSpecifications, resource type `network-interface`), which the instance
 *   role's interface grants are conditioned on.
 * - **The instance** starts its boot program `userDataSeconds` after it is running (package
 *   installation and the download: the sandbox's estimate, AWS publishes none). The program is the
 *   real `bootGateway` with the real SDK adapter (`gateway/boot/aws.ts`), its calls authorized against
 *   the stack's instance role; only its host side is simulated: files are kept per instance, and
 *   starting Libreswan brings IPsec up `asg.ipsecStartSeconds` later, as for any gateway. Its tunnel
 *   check counts the link's tunnels UP while it holds the Elastic IP (what `ipsec trafficstatus`
 *   would show).
 * - **Pre-shared keys**: each tunnel has one (AWS's rule: 8-64 of letters, digits, "." and "_", not
 *   starting with 0, https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html), shown by
 *   DescribeVpnConnections in `Options.TunnelOptions[].PreSharedKey` and in the
 *   `CustomerGatewayConfiguration` XML. IKE authenticates only with the current key, so a managed
 *   instance whose written secrets lack a tunnel's current key cannot bring that tunnel up
 *   (`authenticates`); a rotation (ModifyVpnTunnelOptions, the `vpn-psk-rotated` fault) takes the
 *   tunnel down and AWS re-establishes it only with a gateway that has the new key
 *   (https://docs.aws.amazon.com/vpn/latest/s2svpn/modify-vpn-tunnel-options.html).
 * - **Parameter Store** (PutParameter / GetParameter): see {@link ParameterStore}.
 */
import type {
  GetParameterCommandInput,
  GetParameterCommandOutput,
  PutParameterCommandInput,
  PutParameterCommandOutput,
} from '@aws-sdk/client-ssm';
import { localFunctionArn } from '#infra/asl.ts';
import { bootSettingsFor } from '#infra/constructs/libreswan-gateway.ts';
import { type LinkConfig, MANAGED_GATEWAY_HOOK_NAME, managedGatewayOf } from '#shared/config.ts';
import { bootAws } from '../../gateway/boot/aws.ts';
import { type BootHost, type BootResult, bootGateway } from '../../gateway/boot/boot.ts';
import { BootSettingsSchema } from '../../gateway/boot/settings.ts';
import type { RuleDelivery } from './async-delivery.ts';
import { awsError } from './aws-errors.ts';
import { type CallerContext, callerContext } from './calls.ts';
import type { WorldContext } from './context.ts';
import type { VpnConnectionRecord } from './ec2.ts';
import type { Lambdas } from './lambdas.ts';
import { ACCOUNT, HOME_REGION } from './settings.ts';
import { customerGatewayConfigurationXml } from './vpn-configuration-xml.ts';

type Output<T> = Omit<T, '$metadata'>;

/** The tag the launch template puts on a managed gateway's interfaces (infra/constructs/libreswan-gateway.ts). */
const LINK_TAG = 'vpn-guard:link';

/** From running to the boot program's start: `dnf install`, the asset download (sandbox estimate). */
export const USER_DATA_SECONDS = 30;

interface StoredParameter {
  readonly name: string;
  readonly type: 'String' | 'StringList' | 'SecureString';
  value: string;
  version: number;
  tier: 'Standard' | 'Advanced';
  lastModified: number;
}

/**
 * SSM Parameter Store, the two calls the managed gateway makes
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html,
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html):
 * PutParameter (`Type` required for a new parameter; an existing one without `Overwrite`:
 * `ParameterAlreadyExists`; a value over 4 KB needs the Advanced tier, which `Intelligent-Tiering`
 * picks, over 8 KB is refused; each write increments `Version`), GetParameter (`ParameterNotFound`;
 * a SecureString without `WithDecryption` returns its ciphertext, which the sandbox stands for with a
 * base64 placeholder). Encryption with the account's `aws/ssm` key is not modelled beyond that.
 */
export class ParameterStore {
  private readonly parameters = new Map<string, StoredParameter>();

  constructor(private readonly now: () => number) {}

  /** The stored value of a parameter (the harness's view, for tests). */
  valueOf(region: string, name: string): string | undefined {
    return this.parameters.get(`${region} ${name}`)?.value;
  }

  putParameter(region: string, input: PutParameterCommandInput): Output<PutParameterCommandOutput> {
    const { Name: name, Value: value } = input;
    if (!name || value === undefined) {
      throw awsError(
        'ssm',
        'ValidationException',
        '1 validation error detected: Name and Value are required',
      );
    }
    const key = `${region} ${name}`;
    const existing = this.parameters.get(key);
    if (existing && input.Overwrite !== true) {
      throw awsError(
        'ssm',
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    const type = input.Type ?? existing?.type;
    if (!type)
      throw awsError(
        'ssm',
        'ValidationException',
        'A parameter type is required when you create a parameter.',
      );
    const bytes = Buffer.byteLength(value, 'utf8');
    const requested = input.Tier ?? 'Standard';
    if (bytes > 8192) {
      throw awsError(
        'ssm',
        'ValidationException',
        `Parameter value exceeds the 8 KB limit of the Advanced tier (${bytes} bytes)`,
      );
    }
    if (bytes > 4096 && requested === 'Standard') {
      throw awsError(
        'ssm',
        'ValidationException',
        `Standard parameters can be up to 4 KB; this value is ${bytes} bytes: use the Advanced or Intelligent-Tiering tier`,
      );
    }
    const tier =
      requested === 'Advanced' || bytes > 4096 || existing?.tier === 'Advanced' ? 'Advanced' : 'Standard';
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(key, {
      name,
      type: type as StoredParameter['type'],
      value,
      version,
      tier,
      lastModified: this.now(),
    });
    return { Version: version, Tier: tier };
  }

  getParameter(region: string, input: GetParameterCommandInput): Output<GetParameterCommandOutput> {
    const stored = input.Name ? this.parameters.get(`${region} ${input.Name}`) : undefined;
    if (!stored) throw awsError('ssm', 'ParameterNotFound', '');
    const encrypted = stored.type === 'SecureString' && input.WithDecryption !== true;
    return {
      Parameter: {
        Name: stored.name,
        Type: stored.type,
        Value: encrypted
          ? Buffer.from(`sandbox-ciphertext:${stored.version}`).toString('base64')
          : stored.value,
        Version: stored.version,
        LastModifiedDate: new Date(stored.lastModified),
        ARN: `arn:aws:ssm:${region}:${ACCOUNT}:parameter/${stored.name.replace(/^\//, '')}`,
        DataType: 'text',
      },
    };
  }
}

/** What the world shows of a VPN connection's configuration (DescribeVpnConnections). */
export interface VpnConfigurationView {
  readonly CustomerGatewayConfiguration: string;
  readonly TunnelOptions: { OutsideIpAddress: string; TunnelInsideCidr: string; PreSharedKey: string }[];
}

/** A managed instance: its boot, what it wrote, and whether Libreswan runs. */
interface ManagedInstance {
  readonly instanceId: string;
  readonly link: string;
  readonly files: Map<string, { content: string; mode: number }>;
  boot?: BootResult;
}

/** The managed gateways of the world's config. */
export class ManagedGatewayModel {
  /** Per VPN connection: the current key of each tunnel, and the customer gateway's address. */
  private readonly keys = new Map<string, { keys: string[]; customerGatewayIp: string }>();
  private readonly instances = new Map<string, ManagedInstance>();
  /** Launches whose user data fails (the `gateway-boot-fails` fault), per link. */
  private readonly failingBoots = new Map<string, number>();
  private rotations = 0;

  constructor(
    private readonly world: WorldContext,
    private readonly lambdas: Lambdas,
    private readonly delivery: RuleDelivery,
  ) {}

  /** The links whose gateway the stack builds. */
  managedLinks(): LinkConfig[] {
    return this.world.config.links.filter((link) => managedGatewayOf(link));
  }

  /** Seeds the stack's hook on each managed group, the tunnels' keys and the seeded gateway's files. */
  seed(): void {
    const { asg, ec2 } = this.world;
    for (const link of this.managedLinks()) {
      const managed = managedGatewayOf(link);
      if (!managed) continue;
      asg.putLifecycleHook(link.gateway.autoScalingGroupName, {
        name: MANAGED_GATEWAY_HOOK_NAME,
        transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
        heartbeatSeconds: managed.lifecycleHookHeartbeatSeconds,
        defaultResult: 'ABANDON',
        completedByBoot: false,
      });
      const customerGatewayIp = ec2.addresses.get(link.gateway.elasticIpAllocationId)?.publicIp ?? '';
      for (const id of link.vpn.vpnConnectionIds) {
        const vpn = ec2.vpnConnections.get(id);
        if (!vpn) continue;
        this.keys.set(id, { keys: vpn.tunnels.map((_, t) => this.newKey(link.name, t)), customerGatewayIp });
      }
      // The seeded gateway booted a week ago with the keys of then (which are still current).
      const seeded = asg.group(link.gateway.autoScalingGroupName).launched[0];
      if (seeded) {
        this.tagInterfaces(seeded, link.name);
        const files = new Map([
          [
            '/etc/ipsec.secrets',
            {
              content: this.currentKeys(link)
                .map((key) => `PSK "${key}"`)
                .join('\n'),
              mode: 0o600,
            },
          ],
        ]);
        this.instances.set(seeded, { instanceId: seeded, link: link.name, files });
      }
    }
  }

  /** DescribeVpnConnections' configuration of a connection (undefined for an unmanaged link's). */
  configurationOf(vpn: VpnConnectionRecord): VpnConfigurationView | undefined {
    const entry = this.keys.get(vpn.vpnConnectionId);
    if (!entry) return undefined;
    const tunnels = vpn.tunnels.map((tunnel, t) => ({
      OutsideIpAddress: tunnel.outsideIp,
      TunnelInsideCidr: `169.254.${10 + t}.0/30`,
      PreSharedKey: entry.keys[t] ?? '',
    }));
    return {
      CustomerGatewayConfiguration: customerGatewayConfigurationXml(vpn, entry.customerGatewayIp, tunnels),
      TunnelOptions: tunnels,
    };
  }

  /**
   * Whether IKE authenticates `instanceId` on tunnel `tunnelIndex` of the connection: for a managed
   * instance, when its secrets hold the tunnel's current key; any other gateway is the operator's.
   */
  authenticates(instanceId: string, vpnConnectionId: string, tunnelIndex: number): boolean {
    const instance = this.instances.get(instanceId);
    const key = this.keys.get(vpnConnectionId)?.keys[tunnelIndex];
    if (!instance || key === undefined) return true;
    const secrets = instance.files.get('/etc/ipsec.secrets')?.content ?? '';
    return secrets.includes(`"${key}"`);
  }

  /** What a managed instance wrote (for tests). */
  filesOf(instanceId: string): ReadonlyMap<string, { content: string; mode: number }> | undefined {
    return this.instances.get(instanceId)?.files;
  }

  /** How a managed instance's boot ended (undefined while it runs, or for the seeded one). */
  bootOf(instanceId: string): BootResult | undefined {
    return this.instances.get(instanceId)?.boot;
  }

  /** The `vpn-psk-rotated` fault: AWS gets a new key for the tunnel(s) (ModifyVpnTunnelOptions). */
  rotateKeys(link: LinkConfig, connection: number, tunnel: number | undefined): void {
    const id = link.vpn.vpnConnectionIds[connection];
    const entry = id ? this.keys.get(id) : undefined;
    if (!entry) throw new Error(`link ${link.name} has no managed VPN connection ${connection}`);
    entry.keys = entry.keys.map((key, t) =>
      tunnel === undefined || tunnel === t + 1 ? this.newKey(link.name, t) : key,
    );
    this.world.emit(
      'fault',
      `pre-shared key${tunnel ? ` of tunnel ${tunnel}` : 's'} of ${id} rotated`,
      link.name,
    );
    this.world.changed();
  }

  /** The `gateway-boot-fails` fault: the next `launches` instances cannot install their packages. */
  failNextBoots(link: string, launches: number): void {
    this.failingBoots.set(link, (this.failingBoots.get(link) ?? 0) + launches);
  }

  /**
   * Auto Scaling launched an instance into a group (autoscaling.ts): for a managed group, the
   * lifecycle event goes to gateway-config and the instance's user data runs once it is running.
   */
  onLaunch(launch: { groupName: string; instanceId: string; hook?: { name: string; token: string } }): void {
    const link = this.managedLinks().find((l) => l.gateway.autoScalingGroupName === launch.groupName);
    if (!link) return;
    this.tagInterfaces(launch.instanceId, link.name);
    const instance: ManagedInstance = { instanceId: launch.instanceId, link: link.name, files: new Map() };
    this.instances.set(launch.instanceId, instance);
    if (launch.hook) this.deliverLaunchEvent(link, launch.instanceId, launch.hook);
    this.world.after(
      this.world.timing.asg.runningSeconds + USER_DATA_SECONDS,
      `user data of ${launch.instanceId}`,
      () => this.runUserData(link, instance),
    );
  }

  private tagInterfaces(instanceId: string, link: string): void {
    for (const eni of this.world.ec2.enis.values()) {
      if (eni.instanceId === instanceId) eni.tags = { ...eni.tags, [LINK_TAG]: link };
    }
  }

  private deliverLaunchEvent(
    link: LinkConfig,
    instanceId: string,
    hook: { name: string; token: string },
  ): void {
    const group = this.world.asg.group(link.gateway.autoScalingGroupName);
    const event = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'EC2 Instance-launch Lifecycle Action',
      source: 'aws.autoscaling',
      account: ACCOUNT,
      time: new Date(this.world.clock.now()).toISOString(),
      region: HOME_REGION,
      resources: [group.arn],
      detail: {
        Origin: 'EC2',
        Destination: 'AutoScalingGroup',
        LifecycleActionToken: hook.token,
        AutoScalingGroupName: group.name,
        LifecycleHookName: hook.name,
        EC2InstanceId: instanceId,
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      },
    };
    const arn = localFunctionArn('gateway-config', HOME_REGION, ACCOUNT);
    this.delivery.deliver(arn, event, { what: `the launch of ${instanceId}`, link: link.name });
  }

  /** The launch template's user data: packages, then the boot program (or ABANDON when packages fail). */
  private runUserData(link: LinkConfig, instance: ManagedInstance): void {
    const record = this.world.ec2.instances.get(instance.instanceId);
    if (record?.state !== 'running') return;
    const settings = BootSettingsSchema.parse(bootSettingsFor(link, HOME_REGION));
    const aws = bootAws(settings, instance.instanceId);
    const caller: CallerContext = {
      functionId: 'gateway-instance',
      invocationId: this.lambdas.nextInvocationId(),
      via: 'instance',
      link: link.name,
    };
    const failing = this.failingBoots.get(link.name) ?? 0;
    const label = `boot of ${instance.instanceId}`;
    this.world.clock
      .spawn(label, (activity) =>
        callerContext.run(caller, async () => {
          if (failing > 0) {
            this.failingBoots.set(link.name, failing - 1);
            // `dnf install` failed: the user data's ERR trap abandons through the AWS CLI.
            this.world.emit(
              'gateway',
              `${instance.instanceId}: dnf install failed; user data abandons the launch`,
              link.name,
            );
            instance.boot = {
              outcome: 'abandoned',
              instanceId: instance.instanceId,
              step: 'wait-for-config',
              error: 'dnf install failed (user data)',
            };
            await aws.completeLifecycleAction('ABANDON');
            return;
          }
          instance.boot = await bootGateway(settings, {
            metadata: {
              instanceId: instance.instanceId,
              interfaces: [...this.world.ec2.enis.values()]
                .filter((eni) => eni.instanceId === instance.instanceId && !eni.deleted)
                .map((eni) => ({ deviceIndex: eni.deviceIndex, interfaceId: eni.eniId })),
            },
            aws,
            host: this.host(link, instance),
            sleep: (seconds) => activity.sleep(seconds),
            log: (message) => this.world.emit('gateway', `${instance.instanceId} ${message}`, link.name),
          });
          this.world.emit(
            'gateway',
            `${instance.instanceId} boot ${instance.boot.outcome}${instance.boot.outcome === 'abandoned' ? ` at ${instance.boot.step}: ${instance.boot.error}` : ''}`,
            link.name,
          );
        }),
      )
      .catch((error) => this.world.fail(error));
  }

  /** The simulated host: files kept, forwarding noted, Libreswan up as for any gateway. */
  private host(link: LinkConfig, instance: ManagedInstance): BootHost {
    const { ec2, timing } = this.world;
    return {
      writeFile: async (path, content, mode) => {
        instance.files.set(path, { content, mode });
      },
      enableForwarding: async () => {},
      startIpsec: async () => {
        const record = ec2.instances.get(instance.instanceId);
        if (record?.state !== 'running') throw new Error(`${instance.instanceId} is not running`);
        record.ipsec = 'starting';
        this.world.after(timing.asg.ipsecStartSeconds, `Libreswan starts on ${instance.instanceId}`, () => {
          if (record.state === 'running' && record.ipsec === 'starting') record.ipsec = 'up';
          this.world.changed();
        });
      },
      tunnelsUp: async () => {
        const holder = ec2.holderOf(link.gateway.elasticIpAllocationId);
        if (holder?.instanceId !== instance.instanceId) return 0;
        return link.vpn.vpnConnectionIds
          .flatMap((id) => ec2.vpnConnections.get(id)?.tunnels ?? [])
          .filter((tunnel) => tunnel.status === 'UP').length;
      },
    };
  }

  private currentKeys(link: LinkConfig): string[] {
    return link.vpn.vpnConnectionIds.flatMap((id) => this.keys.get(id)?.keys ?? []);
  }

  /** A key as AWS generates them (letters, digits, "." and "_"; not starting with 0). */
  private newKey(link: string, tunnel: number): string {
    this.rotations += 1;
    const digest = [...`${link}.${tunnel}.${this.rotations}`].reduce(
      (acc, ch) => (acc * 33 + ch.charCodeAt(0)) >>> 0,
      5381,
    );
    return `Sbx${tunnel + 1}.${digest.toString(36)}_${this.rotations.toString(36).padStart(4, 'k')}`;
  }
}
