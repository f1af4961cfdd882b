/**
 * The managed gateway's boot program, run once per launch by the launch template's user data
 * (`node /opt/vpn-guard/boot.mjs /etc/vpn-guard/boot.json`). Exit 0 in service, 1 abandoned.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { bootAws } from './aws.ts';
import { bootGateway } from './boot.ts';
import { linuxHost } from './host.ts';
import { readInstanceMetadata } from './imds.ts';
import { BootSettingsSchema } from './settings.ts';

async function main(settingsPath: string): Promise<number> {
  const parsed = BootSettingsSchema.safeParse(JSON.parse(await readFile(settingsPath, 'utf8')));
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`${settingsPath} is not valid boot settings (${fields.join('; ')})`);
  }
  const settings = parsed.data;
  const metadata = await readInstanceMetadata();
  const result = await bootGateway(settings, {
    metadata,
    aws: bootAws(settings, metadata.instanceId),
    host: linuxHost(),
    sleep: (seconds) => sleep(seconds * 1000),
    log: (message) => console.log(message),
  });
  console.log(JSON.stringify(result));
  return result.outcome === 'in-service' ? 0 : 1;
}

main(process.argv[2] ?? '/etc/vpn-guard/boot.json').then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Settings or metadata unreadable: nothing to complete the hook with; its DefaultResult (ABANDON) applies.
    console.error(`boot: cannot start: ${(error as Error).message}`);
    process.exit(1);
  },
);
