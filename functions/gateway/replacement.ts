/**
 * Reading the Auto Scaling group, pure: which instance is the gateway, whether the old one is
 * already on its way out, and whether its replacement is ready.
 */
import { GatewayStateError } from '#shared/errors.ts';
import type { GroupInstance, GroupView } from './types.ts';

/** Terminating, Terminating:Wait, Terminating:Proceed, Terminated. */
export const isTerminating = (lifecycleState: string): boolean => lifecycleState.startsWith('Terminat');

const inService = (instance: GroupInstance): boolean =>
  instance.lifecycleState === 'InService' && instance.healthStatus === 'Healthy';

/**
 * The group's gateway instance: its one healthy InService instance, or null when it has none (the
 * group is already replacing it).
 * @throws GatewayStateError when several are InService: VPN Guard manages a group of one.
 */
export function currentInstance(group: GroupView): string | null {
  const serving = group.instances.filter(inService);
  if (serving.length > 1) {
    throw new GatewayStateError(
      `Auto Scaling group ${group.autoScalingGroupName} has ${serving.length} InService instances (${serving
        .map((instance) => instance.instanceId)
        .join(', ')}); VPN Guard manages a group of one gateway instance`,
    );
  }
  return serving[0]?.instanceId ?? null;
}

/** Whether the old instance needs a termination request. */
export type TerminationDecision = 'terminate' | 'already-terminating' | 'already-gone';

/** What terminating `oldInstanceId` needs: a request, or nothing because it is already going or gone. */
export function terminationDecision(
  group: GroupView,
  oldInstanceId: string,
): {
  decision: TerminationDecision;
  lifecycleState: string | null;
} {
  const member = group.instances.find((instance) => instance.instanceId === oldInstanceId);
  if (!member) return { decision: 'already-gone', lifecycleState: null };
  if (isTerminating(member.lifecycleState)) {
    return { decision: 'already-terminating', lifecycleState: member.lifecycleState };
  }
  return { decision: 'terminate', lifecycleState: member.lifecycleState };
}

/**
 * The replacement: a healthy InService instance other than the old one (InService is not "working"
 * yet; VerifyRecovery decides that), or null while the group is still launching it.
 */
export function findReplacement(group: GroupView, oldInstanceId: string | null): GroupInstance | null {
  return (
    group.instances.find((instance) => inService(instance) && instance.instanceId !== oldInstanceId) ?? null
  );
}

/** `i-1 InService/Healthy, i-2 Pending/Healthy` for notes and errors. */
export function describeInstances(instances: readonly GroupInstance[]): string {
  if (instances.length === 0) return 'no instances';
  return instances.map((i) => `${i.instanceId} ${i.lifecycleState}/${i.healthStatus}`).join(', ');
}
