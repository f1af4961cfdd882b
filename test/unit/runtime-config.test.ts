/**
 * runtimeConfig(): env VPN_GUARD_CONFIG (tests, sandbox) wins over the config esbuild bundles into
 * the code as __VPN_GUARD_CONFIG__. Unbundled, that global simply does not exist; stubbing it on
 * globalThis stands in for the bundler's replacement (test/infra/bundling.test.ts runs real bundles).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '#shared/config.ts';
import { runtimeConfig } from '#shared/runtime-config.ts';
import { exampleConfigJson, twoLinkConfig } from '../fixtures/config.ts';

const bundled = JSON.stringify(exampleConfigJson());
const fromEnv = JSON.stringify(twoLinkConfig());

/** Stands in for esbuild's `define`, which replaces the identifier with a string literal. */
function bundle(json: string): void {
  vi.stubGlobal('__VPN_GUARD_CONFIG__', json);
}

afterEach(() => vi.unstubAllGlobals());

describe('runtimeConfig', () => {
  it('reads the bundled config when VPN_GUARD_CONFIG is not set', () => {
    bundle(bundled);
    expect(runtimeConfig({}).links.map((link) => link.name)).toEqual(['home-to-west']);
  });

  it('lets env VPN_GUARD_CONFIG win over the bundled config', () => {
    bundle(bundled);
    const config = runtimeConfig({ VPN_GUARD_CONFIG: fromEnv });
    expect(config.links.map((link) => link.name)).toEqual(['home-to-west', 'home-to-eu']);
  });

  it('reads env VPN_GUARD_CONFIG in unbundled code, where the global does not exist', () => {
    expect(typeof (globalThis as Record<string, unknown>).__VPN_GUARD_CONFIG__).toBe('undefined');
    expect(runtimeConfig({ VPN_GUARD_CONFIG: fromEnv }).links).toHaveLength(2);
  });

  it('parses once per config text, and again when the text changes', () => {
    const env = { VPN_GUARD_CONFIG: fromEnv };
    const first = runtimeConfig(env);
    expect(runtimeConfig(env)).toBe(first);
    bundle(bundled);
    expect(runtimeConfig({})).not.toBe(first);
  });

  it('without either, says the function must be deployed by the VPN Guard stack', () => {
    expect(() => runtimeConfig({})).toThrow(
      /No VPN Guard config[\s\S]*__VPN_GUARD_CONFIG__[\s\S]*VPN_GUARD_CONFIG is not set[\s\S]*must be deployed by the VPN Guard stack/,
    );
    expect(() => runtimeConfig({ VPN_GUARD_CONFIG: '' })).toThrow(/must be deployed by the VPN Guard stack/);
  });

  it('rejects config text that is not JSON with a ConfigError naming where it came from', () => {
    expect(() => runtimeConfig({ VPN_GUARD_CONFIG: '{"namespace":' })).toThrow(ConfigError);
    expect(() => runtimeConfig({ VPN_GUARD_CONFIG: '{"namespace":' })).toThrow(
      /\(VPN_GUARD_CONFIG\)[\s\S]*is not valid JSON/,
    );
    bundle('not json');
    expect(() => runtimeConfig({})).toThrow(/\(__VPN_GUARD_CONFIG__\)[\s\S]*is not valid JSON/);
  });

  it('rejects a config that breaks the schema with a ConfigError naming the field', () => {
    const raw = exampleConfigJson();
    (raw.links[0] as { canary: { vpcId: string } }).canary.vpcId = 'vpc-1';
    bundle(JSON.stringify(raw));
    let error: unknown;
    try {
      runtimeConfig({});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).source).toBe('__VPN_GUARD_CONFIG__');
    expect((error as ConfigError).message).toContain('links[0].canary.vpcId: got "vpc-1"');
  });
});
