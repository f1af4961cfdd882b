/**
 * The event that starts a render: Auto Scaling's "EC2 Instance-launch Lifecycle Action", delivered
 * by the stack's EventBridge rule
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/prepare-for-lifecycle-notifications.html#lifecycle-hooks-notification-eventbridge).
 */
import * as z from 'zod';

/** The fields of the event this function reads (others are allowed and ignored). */
export const LaunchLifecycleEventSchema = z.object({
  source: z.literal('aws.autoscaling'),
  'detail-type': z.literal('EC2 Instance-launch Lifecycle Action'),
  detail: z.object({
    AutoScalingGroupName: z.string().min(1),
    LifecycleHookName: z.string().min(1),
    EC2InstanceId: z.string().regex(/^i-[0-9a-f]+$/, 'must be an instance id'),
    LifecycleTransition: z.literal('autoscaling:EC2_INSTANCE_LAUNCHING'),
    LifecycleActionToken: z.string().optional(),
  }),
});

/** A launch lifecycle event. */
export type LaunchLifecycleEvent = z.infer<typeof LaunchLifecycleEventSchema>;
