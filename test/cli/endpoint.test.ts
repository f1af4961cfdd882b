import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCloudFormationClient, createSfnClient } from '../../cli/deployed/adapters.ts';

interface Captured {
  hostname?: string;
  port?: number;
  protocol?: string;
  signedRegion?: string;
}

/** Lets the SDK build and sign the request, records where it would go, and stops before sending. */
function captureRequest(client: { middlewareStack: { add: (...args: never[]) => void } }): Captured {
  const captured: Captured = {};
  const capture =
    () =>
    async (args: {
      request: { hostname?: string; port?: number; protocol?: string; headers?: Record<string, string> };
    }) => {
      captured.hostname = args.request.hostname;
      captured.port = args.request.port;
      captured.protocol = args.request.protocol;
      captured.signedRegion = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(
        args.request.headers?.authorization ?? '',
      )?.[1];
      throw Object.assign(new Error('captured'), { name: 'Captured' });
    };
  (client.middlewareStack.add as (m: unknown, o: unknown) => void)(capture, {
    step: 'finalizeRequest',
    priority: 'low',
  });
  return captured;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('AWS clients of the drill command', () => {
  it('send Step Functions calls to AWS_ENDPOINT_URL_SFN, in the Region of the machine ARN', async () => {
    // Prepare
    vi.stubEnv('AWS_ENDPOINT_URL_SFN', 'http://localhost:8083');
    const client = createSfnClient({}, 'eu-west-1');
    const captured = captureRequest(client as never);

    // Act
    await client
      .send(
        new DescribeExecutionCommand({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:M:n' }),
      )
      .catch(() => undefined);

    // Assess
    expect(captured).toEqual({
      hostname: 'localhost',
      port: 8083,
      protocol: 'http:',
      signedRegion: 'eu-west-1',
    });
  });

  it('send CloudFormation calls to AWS_ENDPOINT_URL, in the --region given', async () => {
    // Prepare
    vi.stubEnv('AWS_ENDPOINT_URL', 'http://127.0.0.1:4566');
    const client = createCloudFormationClient({ region: 'ap-southeast-2' });
    const captured = captureRequest(client as never);

    // Act
    await client.send(new DescribeStacksCommand({ StackName: 'VpnGuard' })).catch(() => undefined);

    // Assess
    expect(captured).toEqual({
      hostname: '127.0.0.1',
      port: 4566,
      protocol: 'http:',
      signedRegion: 'ap-southeast-2',
    });
  });
});
