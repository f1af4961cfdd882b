/** Reading the Auto Scaling group: the gateway, its termination, its replacement. */
import { describe, expect, it } from 'vitest';
import {
  currentInstance,
  findReplacement,
  isTerminating,
  terminationDecision,
} from '#functions/gateway/replacement.ts';
import type { GroupInstance, GroupView } from '#functions/gateway/types.ts';
import { GatewayStateError } from '#shared/errors.ts';

const OLD = 'i-0a1b2c3d4e5f60718';
const NEW = 'i-0f9e8d7c6b5a49382';
const instance = (instanceId: string, lifecycleState: string, healthStatus = 'Healthy'): GroupInstance => ({
  instanceId,
  lifecycleState,
  healthStatus,
});
const group = (...instances: GroupInstance[]): GroupView => ({
  autoScalingGroupName: 'vpn-gateway-home',
  desiredCapacity: 1,
  instances,
  suspendedProcesses: [],
});

describe('currentInstance', () => {
  it('is the one healthy InService instance', () => {
    expect(currentInstance(group(instance(OLD, 'InService'), instance(NEW, 'Pending')))).toBe(OLD);
  });

  it('is none while the group is already replacing its gateway', () => {
    expect(currentInstance(group(instance(OLD, 'Terminating'), instance(NEW, 'Pending')))).toBeNull();
    expect(currentInstance(group(instance(OLD, 'InService', 'Unhealthy')))).toBeNull();
  });

  it('refuses a group with several InService instances: VPN Guard manages a group of one', () => {
    expect(() => currentInstance(group(instance(OLD, 'InService'), instance(NEW, 'InService')))).toThrow(
      GatewayStateError,
    );
  });
});

describe('terminationDecision', () => {
  it('terminates an instance that is still in the group', () => {
    expect(terminationDecision(group(instance(OLD, 'InService')), OLD)).toEqual({
      decision: 'terminate',
      lifecycleState: 'InService',
    });
  });

  it('does nothing for an instance already terminating or no longer in the group', () => {
    for (const state of ['Terminating', 'Terminating:Wait', 'Terminated']) {
      expect(terminationDecision(group(instance(OLD, state)), OLD).decision).toBe('already-terminating');
    }
    expect(terminationDecision(group(instance(NEW, 'Pending')), OLD)).toEqual({
      decision: 'already-gone',
      lifecycleState: null,
    });
  });

  it('recognises every terminating lifecycle state and nothing else', () => {
    expect(['Terminating', 'Terminating:Proceed', 'Terminated'].every(isTerminating)).toBe(true);
    expect(['InService', 'Pending', 'Standby', 'Detaching'].some(isTerminating)).toBe(false);
  });
});

describe('findReplacement', () => {
  it('is a healthy InService instance other than the old one', () => {
    expect(
      findReplacement(group(instance(OLD, 'Terminating'), instance(NEW, 'InService')), OLD)?.instanceId,
    ).toBe(NEW);
  });

  it('is none while the new instance is pending or unhealthy, or only the old one serves', () => {
    expect(
      findReplacement(group(instance(OLD, 'Terminating'), instance(NEW, 'Pending:Wait')), OLD),
    ).toBeNull();
    expect(findReplacement(group(instance(NEW, 'InService', 'Unhealthy')), OLD)).toBeNull();
    expect(findReplacement(group(instance(OLD, 'InService')), OLD)).toBeNull();
  });

  it('accepts any InService instance when there was no old one', () => {
    expect(findReplacement(group(instance(NEW, 'InService')), null)?.instanceId).toBe(NEW);
  });
});
