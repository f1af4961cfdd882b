/**
 * Thin typed SDK calls of gateway-config: the link's VPN connections in the VPN's Region, and the
 * record written to Parameter Store as a SecureString (encrypted with the account's `aws/ssm` key).
 */
import { DescribeVpnConnectionsCommand, type EC2Client, type VpnConnection } from '@aws-sdk/client-ec2';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { describeError } from '#shared/errors.ts';
import type { GatewayConfigRecord } from '#shared/gateway-config-record.ts';
import { GatewayConfigWriteError, VpnReadError } from './errors.ts';

/** The connections as DescribeVpnConnections returns them (the renderer's input is exactly that). */
export async function describeVpnConnections(
  client: EC2Client,
  ids: readonly string[],
  { signal }: { signal: AbortSignal },
): Promise<VpnConnection[]> {
  try {
    const output = await client.send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: [...ids] }), {
      abortSignal: signal,
    });
    return output.VpnConnections ?? [];
  } catch (error) {
    // An id that does not exist fails the whole call: say so as a missing connection, not a read failure.
    if ((error as { name?: string }).name === 'InvalidVpnConnectionID.NotFound') return [];
    throw new VpnReadError(`DescribeVpnConnections ${ids.join(', ')}: ${explain(error)}`);
  }
}

/** Writes the record (overwriting the previous launch's); the value never reaches a log. */
export async function putGatewayConfig(
  client: SSMClient,
  name: string,
  record: GatewayConfigRecord,
  { signal }: { signal: AbortSignal },
): Promise<void> {
  try {
    await client.send(
      new PutParameterCommand({
        Name: name,
        Type: 'SecureString',
        Value: JSON.stringify(record),
        Overwrite: true,
        // Standard (4 KB) when it fits, Advanced (8 KB) for links with several connections.
        Tier: 'Intelligent-Tiering',
        Description: `VPN Guard: Libreswan config of link ${record.link}, rendered for ${record.instanceId}`,
      }),
      { abortSignal: signal },
    );
  } catch (error) {
    throw new GatewayConfigWriteError(`PutParameter ${name}: ${explain(error)}`);
  }
}

function explain(error: unknown): string {
  const { name, message } = describeError(error);
  return `${name}: ${message}`;
}
