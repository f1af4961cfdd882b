/**
 * What a managed gateway does at each launch, in order, with its side effects passed in (AWS calls,
 * the instance's metadata, the host) so the same sequence runs on the instance and in the sandbox:
 *
 * 1. waits for the record gateway-config rendered for *this* instance (a record for an older
 *    instance is stale: its keys may have been rotated since) and validates it;
 * 2. writes the rendered `ipsec.secrets` (0600) and `ipsec.conf` (complete files, gateway/render);
 * 3. claims the link's Elastic IP on its `elasticIpDeviceIndex` interface (AllowReassociation: the
 *    address may still sit on the dead predecessor);
 * 4. turns source/dest check off on both of those interfaces (by interface id: by instance id it
 *    fails on a multi-interface instance);
 * 5. points every owned route (route table x remote CIDR) at that interface (ReplaceRoute, or
 *    CreateRoute where the route does not exist yet), touching no other route;
 * 6. enables IP forwarding and starts Libreswan;
 * 7. waits until `minTunnelsUp` tunnels are up, then completes the launch hook with CONTINUE.
 *
 * Any step that fails completes the hook with ABANDON (the group terminates the instance and
 * launches another) and the error is returned: boot never leaves an instance half-configured in
 * service. The order matters: the address and routes move only once the config is on disk, so a
 * launch that cannot render leaves the predecessor's claims (if any) alone.
 */
import { type GatewayConfigRecord, GatewayConfigRecordSchema } from '#shared/gateway-config-record.ts';
import type { BootSettings } from './settings.ts';

/** The instance's identity and interfaces, from its metadata service (IMDSv2). */
export interface InstanceMetadata {
  readonly instanceId: string;
  /** Every attached interface: its device index and id. */
  readonly interfaces: readonly { readonly deviceIndex: number; readonly interfaceId: string }[];
}

/** The AWS calls boot makes, with the instance role (gateway/boot/aws.ts). */
export interface BootAws {
  /** The link's SecureString, decrypted; undefined while it does not exist. */
  readGatewayConfig(name: string): Promise<string | undefined>;
  associateAddress(allocationId: string, networkInterfaceId: string): Promise<void>;
  disableSourceDestCheck(networkInterfaceId: string): Promise<void>;
  /** Points `cidr` in `routeTableId` at the interface (replacing or creating the route). */
  pointRoute(routeTableId: string, cidr: string, networkInterfaceId: string): Promise<'replaced' | 'created'>;
  completeLifecycleAction(result: 'CONTINUE' | 'ABANDON'): Promise<void>;
}

/** The host's side: files, kernel settings and Libreswan (gateway/boot/host.ts). */
export interface BootHost {
  writeFile(path: string, content: string, mode: number): Promise<void>;
  enableForwarding(): Promise<void>;
  startIpsec(): Promise<void>;
  /** How many of the rendered tunnels have an established IPsec SA now. */
  tunnelsUp(): Promise<number>;
}

export interface BootDeps {
  readonly metadata: InstanceMetadata;
  readonly aws: BootAws;
  readonly host: BootHost;
  /** Waits (simulated time in the sandbox). */
  sleep(seconds: number): Promise<void>;
  /** Progress lines (the instance's journal; never a secret). */
  log(message: string): void;
}

/** How a boot ended. */
export type BootResult =
  | { readonly outcome: 'in-service'; readonly instanceId: string; readonly tunnelsUp: number }
  | {
      readonly outcome: 'abandoned';
      readonly instanceId: string;
      readonly step: BootStep;
      readonly error: string;
    };

/** The boot steps (named in an abandoned result and in the log). */
export type BootStep =
  | 'wait-for-config'
  | 'write-config'
  | 'claim-address'
  | 'source-dest-check'
  | 'routes'
  | 'start-ipsec'
  | 'wait-for-tunnels'
  | 'complete-hook';

/** A boot step that failed, with the reason (never a secret). */
export class BootStepError extends Error {
  override readonly name = 'BootStepError';
  constructor(
    readonly step: BootStep,
    message: string,
  ) {
    super(message);
  }
}

/** Runs the boot sequence; completes the launch hook either way (see the module comment). */
export async function bootGateway(settings: BootSettings, deps: BootDeps): Promise<BootResult> {
  const { instanceId } = deps.metadata;
  let step: BootStep = 'wait-for-config';
  const at = <T>(next: BootStep, work: () => Promise<T>): Promise<T> => {
    step = next;
    deps.log(`boot: ${next}`);
    return work();
  };
  try {
    const record = await at('wait-for-config', () => waitForRecord(settings, deps));
    await at('write-config', () => writeConfig(settings, deps, record));
    const addressInterface = interfaceAt(
      deps.metadata,
      settings.elasticIpDeviceIndex,
      'elasticIpDeviceIndex',
    );
    const routeInterface = interfaceAt(deps.metadata, settings.routeDeviceIndex, 'routeDeviceIndex');
    await at('claim-address', () =>
      deps.aws.associateAddress(settings.elasticIpAllocationId, addressInterface),
    );
    // Off on every forwarding interface, as Remediation's configure leaves it, so an adopting run
    // finds nothing to change.
    await at('source-dest-check', async () => {
      for (const eni of new Set([addressInterface, routeInterface]))
        await deps.aws.disableSourceDestCheck(eni);
    });
    await at('routes', async () => {
      for (const table of settings.routeTableIds) {
        for (const cidr of settings.remoteCidrs) {
          const how = await deps.aws.pointRoute(table, cidr, routeInterface);
          deps.log(`boot: route ${cidr} in ${table} ${how} -> ${routeInterface}`);
        }
      }
    });
    await at('start-ipsec', async () => {
      await deps.host.enableForwarding();
      await deps.host.startIpsec();
    });
    const up = await at('wait-for-tunnels', () => waitForTunnels(settings, deps));
    await at('complete-hook', () => deps.aws.completeLifecycleAction('CONTINUE'));
    deps.log(`boot: in service with ${up} tunnel(s) up`);
    return { outcome: 'in-service', instanceId, tunnelsUp: up };
  } catch (error) {
    const failedStep = error instanceof BootStepError ? error.step : step;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    deps.log(`boot: ${failedStep} failed (${message}); abandoning the launch`);
    if (failedStep !== 'complete-hook') {
      // If even ABANDON fails, the hook's DefaultResult (ABANDON) applies at its heartbeat timeout.
      await deps.aws.completeLifecycleAction('ABANDON').catch((abandonError: unknown) => {
        deps.log(
          `boot: ABANDON failed too (${(abandonError as Error).message}); the hook times out to ABANDON`,
        );
      });
    }
    return { outcome: 'abandoned', instanceId, step: failedStep, error: message };
  }
}

/** Polls the link's parameter until it holds a record for this instance. */
async function waitForRecord(
  settings: BootSettings,
  deps: BootDeps,
): Promise<Extract<GatewayConfigRecord, { status: 'rendered' }>> {
  const { instanceId } = deps.metadata;
  const polls = Math.max(1, Math.ceil(settings.renderWaitSeconds / settings.pollSeconds));
  let seen = 'no record';
  for (let poll = 0; poll < polls; poll++) {
    if (poll > 0) await deps.sleep(settings.pollSeconds);
    let raw: string | undefined;
    try {
      raw = await deps.aws.readGatewayConfig(settings.parameterName);
    } catch (error) {
      // A read that failed after the SDK's retries (throttled, unavailable) is tried again at the
      // next poll; only the deadline abandons.
      seen = `a failed read (${(error as Error).name})`;
      continue;
    }
    if (raw === undefined) continue;
    const record = parseRecord(raw);
    if (record.instanceId !== instanceId) {
      seen = `a record for ${record.instanceId}`;
      continue;
    }
    if (record.link !== settings.link) {
      throw new BootStepError(
        'wait-for-config',
        `the record is for link ${record.link}, not ${settings.link}`,
      );
    }
    if (record.status === 'failed') {
      throw new BootStepError('wait-for-config', `gateway-config could not render: ${record.error}`);
    }
    return record;
  }
  throw new BootStepError(
    'wait-for-config',
    `no config rendered for ${instanceId} in ${settings.parameterName} within ${settings.renderWaitSeconds} s (last seen: ${seen}); check the gateway-config function's log`,
  );
}

function parseRecord(raw: string): GatewayConfigRecord {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new BootStepError('wait-for-config', 'the parameter does not hold JSON');
  }
  const parsed = GatewayConfigRecordSchema.safeParse(json);
  if (!parsed.success) {
    // Paths only: the values may be keys.
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(record)').join(', ');
    throw new BootStepError('wait-for-config', `the parameter's record is not valid (${fields})`);
  }
  return parsed.data;
}

async function writeConfig(
  settings: BootSettings,
  deps: BootDeps,
  record: Extract<GatewayConfigRecord, { status: 'rendered' }>,
): Promise<void> {
  // The secrets first, so Libreswan never reads a conf whose keys are missing.
  await deps.host.writeFile(settings.ipsecSecretsPath, record.secrets, 0o600);
  await deps.host.writeFile(settings.ipsecConfPath, record.conf, 0o644);
}

function interfaceAt(metadata: InstanceMetadata, deviceIndex: number, field: string): string {
  const found = metadata.interfaces.find((i) => i.deviceIndex === deviceIndex);
  if (!found) {
    throw new BootStepError(
      'claim-address',
      `the instance has no interface at device index ${deviceIndex} (gateway.${field}); it has ${metadata.interfaces.map((i) => i.deviceIndex).join(', ') || 'none'}`,
    );
  }
  return found.interfaceId;
}

async function waitForTunnels(settings: BootSettings, deps: BootDeps): Promise<number> {
  const polls = Math.max(1, Math.ceil(settings.tunnelWaitSeconds / settings.pollSeconds));
  let up = 0;
  for (let poll = 0; poll < polls; poll++) {
    await deps.sleep(settings.pollSeconds);
    up = await deps.host.tunnelsUp();
    if (up >= settings.minTunnelsUp) return up;
  }
  throw new BootStepError(
    'wait-for-tunnels',
    `${up} tunnel(s) up after ${settings.tunnelWaitSeconds} s, fewer than ${settings.minTunnelsUp} (vpn.minTunnelsUp)`,
  );
}
