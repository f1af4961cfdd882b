/**
 * Which stack holds a link's alarms when `deployment.linkStacks` splits the deployment. The choice
 * depends only on the link's name and the number of link stacks, so adding or removing links never
 * moves another link (a moved alarm would be created by one stack and deleted by the other), and
 * raising the number moves only the links a new stack takes (jump consistent hash: Lamping & Veach,
 * "A Fast, Minimal Memory, Consistent Hash Algorithm", 2014, https://arxiv.org/abs/1406.2294).
 */
import type { Config, LinkConfig } from '#shared/config.ts';

const MASK_64 = (1n << 64n) - 1n;

/** FNV-1a, 64-bit, of a string's UTF-8 bytes. */
function fnv1a64(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & MASK_64;
  }
  return hash;
}

/** Jump consistent hash of a 64-bit key into [0, buckets). */
function jumpHash(key: bigint, buckets: number): number {
  let bucket = -1;
  let next = 0;
  let state = key;
  while (next < buckets) {
    bucket = next;
    state = (state * 2862933555777941757n + 1n) & MASK_64;
    next = Math.floor((bucket + 1) * (2 ** 31 / (Number(state >> 33n) + 1)));
  }
  return bucket;
}

/** The link stack (0-based) of a link, or undefined when the deployment is one stack. */
export function linkStackIndex(linkName: string, linkStacks: number): number | undefined {
  return linkStacks > 0 ? jumpHash(fnv1a64(linkName), linkStacks) : undefined;
}

/** The stack name of link stack `index` (0-based): `<stackName>-Links<index + 1>`. */
export function linkStackName(stackName: string, index: number): string {
  return `${stackName}-Links${index + 1}`;
}

/** The links of each link stack, in config order (empty when the deployment is one stack). */
export function linksByStack(config: Config): LinkConfig[][] {
  const count = config.deployment.linkStacks;
  const groups: LinkConfig[][] = Array.from({ length: count }, () => []);
  for (const link of config.links) {
    const index = linkStackIndex(link.name, count);
    if (index !== undefined) groups[index]?.push(link);
  }
  return groups;
}
