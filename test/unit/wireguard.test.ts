// Keys, the dump parser and the argv the interface wrapper builds.
import { describe, expect, it } from 'vitest';
import { parseDump } from '../../src/wireguard/dump.js';
import { createSetPeers, PEERS_PER_COMMAND } from '../../src/wireguard/interface.js';
import { isPublicKey } from '../../src/wireguard/keys.js';
import { FakeRunner } from '../support/fake-runner.js';
import { testKey } from '../support/keys.js';

describe('isPublicKey', () => {
  it('accepts exactly the canonical base64 of 32 bytes', () => {
    for (let n = 0; n < 200; n++) expect(isPublicKey(testKey(n))).toBe(true);
    expect(isPublicKey(Buffer.alloc(32, 0xff).toString('base64'))).toBe(true);
  });

  it.each(['', 'abc', testKey(1).slice(0, 43), `${testKey(1)}=`, `${testKey(1)}\n`, testKey(1).replace('=', '.'), 12, null])(
    'rejects %j',
    (value) => expect(isPublicKey(value)).toBe(false),
  );
});

describe('parseDump', () => {
  const dump = [
    'cHJpdmF0ZS1rZXktbmV2ZXItbG9nZ2VkLXh4eHh4eHg=\tnodePublicKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\t51820\toff',
    `${testKey(1)}\t(none)\t198.51.100.7:40000\t10.64.0.2/32\t1795000000\t1234\t5678\toff`,
    `${testKey(2)}\t(none)\t(none)\t(none)\t0\t0\t0\t25`,
  ].join('\n');

  it('reads the interface and every peer, and drops the private key', () => {
    const parsed = parseDump(dump);
    expect(parsed).toEqual({
      publicKey: 'nodePublicKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      listenPort: 51820,
      peers: [
        { publicKey: testKey(1), endpoint: '198.51.100.7:40000', allowedIps: '10.64.0.2/32', latestHandshake: 1795000000, rxBytes: 1234, txBytes: 5678 },
        { publicKey: testKey(2), endpoint: null, allowedIps: '', latestHandshake: 0, rxBytes: 0, txBytes: 0 },
      ],
    });
    expect(JSON.stringify(parsed)).not.toContain('cHJpdmF0ZS1rZXk');
  });

  it('rejects output that is not a dump', () => {
    expect(() => parseDump('interface: wg0')).toThrow(/unexpected wg dump/);
  });
});

describe('createSetPeers', () => {
  it('splits large removals into commands of at most PEERS_PER_COMMAND peers', async () => {
    const runner = new FakeRunner();
    const setPeers = createSetPeers({ runner, name: 'wg0', wgBin: 'wg', ipBin: 'ip', netns: '' });
    const keys = Array.from({ length: PEERS_PER_COMMAND + 5 }, (_, n) => testKey(n));
    await setPeers(keys.map((remove) => ({ remove })));
    expect(runner.calls.map((argv) => (argv.length - 3) / 3)).toEqual([PEERS_PER_COMMAND, 5]);
  });

  it('refuses to build a command from an invalid key or address', async () => {
    const runner = new FakeRunner();
    const setPeers = createSetPeers({ runner, name: 'wg0', wgBin: 'wg', ipBin: 'ip', netns: '' });
    await expect(setPeers([{ remove: testKey(1) }, { remove: '--help' }])).rejects.toThrow(/publicKey/);
    await expect(setPeers([{ add: { publicKey: testKey(1), allowedIps: '0.0.0.0/0 peer x' } }])).rejects.toThrow(/allowed-ips/);
    expect(runner.calls).toEqual([]);
  });
});
