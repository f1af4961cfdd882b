/**
 * What the boot program needs to know about its link: written by the launch template's user data
 * to `/etc/vpn-guard/boot.json` from the deployment config. Nothing here is secret (the pre-shared
 * keys come from the link's SecureString, read with the instance role at boot).
 */
import * as z from 'zod';

const id = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}-[0-9a-f]+$`), `must be an id like ${prefix}-0123456789abcdef0`);

/** The boot settings (validated: a bad file abandons the launch naming the field). */
export const BootSettingsSchema = z
  .object({
    link: z.string().min(1),
    /** The home Region (the instance's own). */
    region: z.string().min(1),
    parameterName: z.string().startsWith('/vpn-guard/'),
    autoScalingGroupName: z.string().min(1),
    lifecycleHookName: z.string().min(1),
    elasticIpAllocationId: id('eipalloc'),
    elasticIpDeviceIndex: z.number().int().min(0),
    routeDeviceIndex: z.number().int().min(0),
    routeTableIds: z.array(id('rtb')).min(1),
    remoteCidrs: z.array(z.string().min(1)).min(1),
    /** Tunnels that must be up before the hook is completed with CONTINUE (the link's vpn.minTunnelsUp). */
    minTunnelsUp: z.number().int().positive(),
    /** How long to wait for this instance's render before abandoning. */
    renderWaitSeconds: z.number().positive(),
    /** How long to wait for the tunnels once Libreswan runs. */
    tunnelWaitSeconds: z.number().positive(),
    /** Poll interval of both waits. */
    pollSeconds: z.number().positive(),
    /** Where the rendered files go (complete files: they replace the package's). */
    ipsecConfPath: z.string().min(1).default('/etc/ipsec.conf'),
    ipsecSecretsPath: z.string().min(1).default('/etc/ipsec.secrets'),
  })
  .strict();

/** Validated boot settings. */
export type BootSettings = z.output<typeof BootSettingsSchema>;
