/**
 * The delays the sandbox models (simulated seconds), read from the sandbox's own defaults so the
 * list cannot go stale, each with where its value comes from: an AWS document, a measurement, or
 * the sandbox's own choice where AWS gives no number (said so). Every time the sandbox reports is
 * built from these.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_TIMING } from '#sandbox/world/world.ts';
import { parseConfig } from '#shared/config.ts';
import type { Cell, SectionResult } from './report.ts';

interface Delay {
  readonly delay: string;
  readonly seconds: number | string;
  readonly models: string;
  readonly source: string;
}

/** The modelled delays, with sources. */
export function modelledDelays(): Delay[] {
  const t = DEFAULT_TIMING;
  const example = parseConfig(JSON.parse(readFileSync('config/example.json', 'utf8')), 'config/example.json');
  return [
    {
      delay: 'tickOffsetSeconds',
      seconds: t.tickOffsetSeconds,
      models: 'the Monitor starts at :05 of each minute (rate(1 minute))',
      source:
        'sandbox choice: EventBridge Scheduler runs a rate schedule once per interval and documents no second within the minute (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html)',
    },
    {
      delay: 'alarmEvaluationOffsetSeconds',
      seconds: t.alarmEvaluationOffsetSeconds,
      models: 'CloudWatch evaluates every alarm at :50 of each minute',
      source:
        'sandbox choice for the second; once a period is AWS\'s (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html, "Evaluating an alarm")',
    },
    {
      delay: 'tunnelDownSeconds (dead-peer detection)',
      seconds: t.tunnelDownSeconds,
      models: 'the gateway fails → AWS reports its tunnels DOWN',
      source:
        'AWS: the tunnel option DPDTimeoutSeconds, default 40 s, at least 30 s (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpnTunnelOptionsSpecification.html, https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html)',
    },
    {
      delay: 'tunnelUpSeconds / tunnelUpStaggerSeconds',
      seconds: `${t.tunnelUpSeconds} / ${t.tunnelUpStaggerSeconds}`,
      models: 'the gateway can negotiate → first tunnel UP / each further tunnel',
      source: 'sandbox estimate of IKE/IPsec convergence; AWS documents no figure',
    },
    {
      delay: 'asg.launchDelaySeconds',
      seconds: t.asg.launchDelaySeconds,
      models: 'a termination → the replacement instance launches',
      source: 'sandbox estimate; AWS documents no figure',
    },
    {
      delay: 'asg.runningSeconds',
      seconds: t.asg.runningSeconds,
      models: 'EC2 pending → running',
      source: 'sandbox estimate; AWS documents no figure',
    },
    {
      delay: 'asg.bootSeconds (boot)',
      seconds: t.asg.bootSeconds,
      models: 'launch → InService (or the launch hook completed by the boot)',
      source: 'sandbox estimate of an instance boot; AWS documents no figure',
    },
    {
      delay: 'asg.ipsecStartSeconds (IPsec start)',
      seconds: t.asg.ipsecStartSeconds,
      models: 'instance running (or an IPsec restart through SSM) → Libreswan up',
      source: 'sandbox estimate; depends on the instance, not documented by AWS',
    },
    {
      delay: 'asg.shutdownSeconds',
      seconds: t.asg.shutdownSeconds,
      models: 'shutting-down → terminated; running → stopped',
      source: 'sandbox estimate; AWS documents no figure',
    },
    {
      delay: 'asg.healthCheckIntervalSeconds',
      seconds: t.asg.healthCheckIntervalSeconds,
      models: "the group's EC2 health check cadence",
      source:
        'measured by the team (issue 8); AWS says "periodically" (https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-checks-overview.html)',
    },
    {
      delay: 'asg.healthCheckGracePeriodSeconds',
      seconds: t.asg.healthCheckGracePeriodSeconds,
      models: 'a new instance younger than this is not replaced',
      source:
        "the console's default; 0 through the API/CLI (https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-check-grace-period.html)",
    },
    {
      delay: 'asyncRetrySeconds',
      seconds: t.asyncRetrySeconds.join(', '),
      models: "Lambda's retries of a failed asynchronous (EventBridge) delivery",
      source: 'https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html',
    },
    {
      delay: 'ttlDeletionLagSeconds',
      seconds: t.ttlDeletionLagSeconds,
      models: 'DynamoDB deletes an expired item this long after its TTL',
      source:
        'AWS: "within a few days" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html); 48 h chosen',
    },
    {
      delay: 'remediation.confirmSeconds (config)',
      seconds: example.remediation.confirmSeconds,
      models: "ConfirmUnhealthy's re-probe window before anything changes",
      source: "the product's config (functions/shared/config.ts default), not AWS",
    },
  ];
}

/** The bench section: the list. */
export async function modelledDelaysSection(): Promise<SectionResult> {
  return {
    rows: modelledDelays().map((delay) => ({ ...delay }) as Record<string, Cell>),
    notes: [
      'Simulated seconds on the sandbox clock (sandbox/world/settings.ts, sandbox/world/autoscaling.ts); a scenario may override them.',
      'Lambda run times count as zero simulated time (the clock stands still while a handler runs).',
    ],
  };
}
