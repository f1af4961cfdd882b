/**
 * The instance metadata service, version 2 only (the launch template requires tokens): a session
 * token from PUT /latest/api/token, then the instance id and each interface's device number and id
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-categories.html). Reading the
 * interfaces here, rather than with DescribeNetworkInterfaces, keeps an unscopable Describe out of
 * the instance role.
 */
import type { InstanceMetadata } from './boot.ts';

const IMDS = 'http://169.254.169.254';

/** Reads this instance's metadata (IMDSv2). */
export async function readInstanceMetadata(fetchImpl: typeof fetch = fetch): Promise<InstanceMetadata> {
  const tokenResponse = await fetchImpl(`${IMDS}/latest/api/token`, {
    method: 'PUT',
    headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '300' },
  });
  if (!tokenResponse.ok) throw new Error(`IMDSv2 token: HTTP ${tokenResponse.status}`);
  const token = await tokenResponse.text();
  const get = async (path: string): Promise<string> => {
    const response = await fetchImpl(`${IMDS}/latest/meta-data/${path}`, {
      headers: { 'X-aws-ec2-metadata-token': token },
    });
    if (!response.ok) throw new Error(`IMDS ${path}: HTTP ${response.status}`);
    return (await response.text()).trim();
  };
  const instanceId = await get('instance-id');
  const macs = (await get('network/interfaces/macs/'))
    .split('\n')
    .map((line) => line.trim().replace(/\/$/, ''))
    .filter(Boolean);
  const interfaces = await Promise.all(
    macs.map(async (mac) => ({
      deviceIndex: Number(await get(`network/interfaces/macs/${mac}/device-number`)),
      interfaceId: await get(`network/interfaces/macs/${mac}/interface-id`),
    })),
  );
  return { instanceId, interfaces };
}
