// Configuration: defaults, and a clear message naming the variable for every bad value.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { formatIpv4 } from '../../src/net.js';
import { testKey } from '../support/keys.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      dbPath: './data/wgnode.db',
      interfaceName: 'wg0',
      netns: '',
      adminToken: null,
      wgBin: 'wg',
      ipBin: 'ip',
      maxDevicesPerUser: 10,
      onlineWindowS: 180,
      idleTimeoutS: 0,
      idempotencyTtlS: 86_400,
    });
    expect(config.pool.text).toBe('10.64.0.0/16');
    expect(formatIpv4(config.interfaceAddress)).toBe('10.64.0.1');
  });

  it.each([
    ['WGNODE_PORT', '80a', /WGNODE_PORT="80a": must be a whole number/],
    ['WGNODE_PORT', '70000', /WGNODE_PORT="70000": must be between 0 and 65535/],
    ['WGNODE_ADDRESS_POOL', '10.64.0.0', /WGNODE_ADDRESS_POOL.*not an IPv4 CIDR/],
    ['WGNODE_ADDRESS_POOL', '10.64.0.0/31', /at least a \/30/],
    ['WGNODE_ADDRESS_POOL', '300.1.0.0/16', /not an IPv4 address/],
    ['WGNODE_INTERFACE', 'wg0; reboot', /WGNODE_INTERFACE.*1-15 characters/],
    ['WGNODE_INTERFACE', 'a-very-long-interface', /1-15 characters/],
    ['WGNODE_INTERFACE_ADDRESS', '10.65.0.1', /not a host address of 10.64.0.0\/16/],
    ['WGNODE_MAX_DEVICES_PER_USER', '0', /between 1 and/],
    ['WGNODE_STATIC_PEERS', `${testKey(1)},nonsense`, /nonsense is not a WireGuard public key/],
    ['WGNODE_ADMIN_TOKEN', 'short', /at least 16 characters/],
    ['WGNODE_IDEMPOTENCY_TTL_S', '0', /WGNODE_IDEMPOTENCY_TTL_S="0": must be between 1 and/],
  ])('%s=%s is refused with a message naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('reads the admin token from a file, trimmed, and refuses both forms at once', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wgnode-')), 'token');
    writeFileSync(file, 'a-token-from-a-file-1234\n', { mode: 0o600 });
    expect(loadConfig({ WGNODE_ADMIN_TOKEN_FILE: file }).adminToken).toBe('a-token-from-a-file-1234');
    expect(() => loadConfig({ WGNODE_ADMIN_TOKEN_FILE: file, WGNODE_ADMIN_TOKEN: 'x'.repeat(20) })).toThrow(/not both/);
    expect(() => loadConfig({ WGNODE_ADMIN_TOKEN_FILE: '/nonexistent' })).toThrow(/cannot read \/nonexistent: ENOENT/);
  });

  it('normalises a pool given with host bits set', () => {
    expect(loadConfig({ WGNODE_ADDRESS_POOL: '10.64.3.7/16' }).pool.text).toBe('10.64.0.0/16');
  });
});
