import { it, expect, beforeAll, afterAll } from 'vitest';
import { execa } from 'execa';
import { createTestbed, generateKeyPair, type Testbed } from '../../src/testbed/index.js';
import { describeE2E } from '../support/e2e.js';

describeE2E('testbed', () => {
  let tb: Testbed;
  const nsList = async () => (await execa('ip', ['netns', 'list'])).stdout;
  const onNode = (args: string[]) => execa('ip', ['netns', 'exec', tb.nodeNs, 'wg', ...args]);

  beforeAll(async () => {
    tb = await createTestbed({ prefix: 'tbt' });
  }, 30_000);
  afterAll(async () => {
    await tb?.teardown();
  });

  it('generates 32-byte x25519 keys that wg agrees with', async () => {
    const kp = generateKeyPair();
    expect(Buffer.from(kp.privateKey, 'base64')).toHaveLength(32);
    expect(Buffer.from(kp.publicKey, 'base64')).toHaveLength(32);
    expect(kp.publicKey).toHaveLength(44);
    const { stdout } = await execa('wg', ['pubkey'], { input: kp.privateKey });
    expect(stdout.trim()).toBe(kp.publicKey);
    expect(generateKeyPair().privateKey).not.toBe(kp.privateKey);
  });

  it('comes up with an empty node interface', async () => {
    expect(await nsList()).toContain(tb.nodeNs);
    expect(await tb.node.peers()).toEqual([]);
    const { stdout } = await onNode(['show', tb.node.iface, 'listen-port']);
    expect(stdout.trim()).toBe('51820');
  });

  it('a client reaches the node only while it is a peer', async () => {
    const client = await tb.addClient({ keyPair: generateKeyPair(), address: '10.64.0.2' });
    expect(await client.ping()).toBe(false);
    expect(await client.latestHandshake()).toBe(0);

    await onNode(['set', tb.node.iface, 'peer', client.keyPair.publicKey, 'allowed-ips', '10.64.0.2/32']);
    expect(await tb.node.peers()).toEqual([client.keyPair.publicKey]);
    // The failed attempt above armed WireGuard's 5 s handshake retry timer: allow for it.
    expect(await client.ping(7)).toBe(true);
    expect(await client.latestHandshake()).toBeGreaterThan(0);

    // A second client in the same namespace has its own route to the node.
    const other = await tb.addClient({ keyPair: generateKeyPair(), address: '10.64.0.3' });
    await onNode(['set', tb.node.iface, 'peer', other.keyPair.publicKey, 'allowed-ips', '10.64.0.3/32']);
    expect(await other.ping(2)).toBe(true);

    await onNode(['set', tb.node.iface, 'peer', client.keyPair.publicKey, 'remove']);
    expect(await client.ping()).toBe(false);
    expect(await other.ping()).toBe(true);
    await other.remove();
    await client.remove();
  }, 30_000);

  it('destroy() + recreate() gives an empty interface with the same key', async () => {
    const stray = generateKeyPair().publicKey;
    await onNode(['set', tb.node.iface, 'peer', stray, 'allowed-ips', '10.64.9.9/32']);
    expect(await tb.node.peers()).toContain(stray);
    await tb.node.destroy();
    const gone = await execa('ip', ['-n', tb.nodeNs, 'link', 'show', tb.node.iface], { reject: false });
    expect(gone.exitCode).not.toBe(0);
    await tb.node.recreate();
    expect(await tb.node.peers()).toEqual([]);
    const { stdout } = await onNode(['show', tb.node.iface, 'public-key']);
    expect(stdout.trim()).toBe(tb.node.publicKey);
    const addr = await execa('ip', ['-n', tb.nodeNs, '-4', 'addr', 'show', tb.node.iface]);
    expect(addr.stdout).toContain('10.64.0.1/16');
  }, 30_000);

  it('teardown removes the namespaces and is idempotent', async () => {
    await tb.teardown();
    await tb.teardown();
    const list = await nsList();
    expect(list).not.toContain(tb.nodeNs);
    expect(list).not.toContain(tb.clientNs);
    const left = await execa('wg', ['show', tb.node.iface], { reject: false });
    expect(left.exitCode).not.toBe(0);
  });
});
