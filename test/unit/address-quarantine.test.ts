import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatIpv4, parseCidr } from '../../src/net.js';
import { AddressPool } from '../../src/registry/address-pool.js';
import { openRegistry } from '../../src/registry/index.js';
import { testKey } from '../support/keys.js';

// A /29: .1 is the interface, .2-.6 are the five addresses for sessions.
const CIDR = parseCidr('10.99.0.0/29');
const IFACE = CIDR.network + 1;
const ip = (host: number) => CIDR.network + host;
const Q = 300_000;

describe('address quarantine', () => {
  it('a freed address is not reused while another address is free', () => {
    const pool = new AddressPool(CIDR, IFACE, [], { quarantineMs: Q });
    const handed = [1, 2, 3, 4].map(() => pool.allocate(0)!);
    expect(handed.map(formatIpv4)).toEqual(['10.99.0.2', '10.99.0.3', '10.99.0.4', '10.99.0.5']);
    pool.release(ip(2), 1_000);
    // .6 was never used: it goes first, though .2 is free too.
    expect(pool.allocate(2_000)).toBe(ip(6));
    expect(pool.quarantined(2_000)).toBe(1);
  });

  it('a freed address is reused early only when the pool would otherwise be exhausted, oldest first', () => {
    const pool = new AddressPool(CIDR, IFACE, [], { quarantineMs: Q });
    for (let n = 0; n < 5; n++) pool.allocate(0);
    expect(pool.allocate(0)).toBeNull();
    pool.release(ip(4), 1_000);
    pool.release(ip(2), 2_000);
    pool.release(ip(3), 3_000);
    expect(pool.allocate(4_000)).toBe(ip(4));
    expect(pool.allocate(4_000)).toBe(ip(2));
    expect(pool.allocate(4_000)).toBe(ip(3));
    expect(pool.allocate(4_000)).toBeNull();
  });

  it('after the quarantine an address is free like any other', () => {
    const pool = new AddressPool(CIDR, IFACE, [ip(2), ip(3), ip(4)], { quarantineMs: Q });
    pool.release(ip(2), 0);
    expect(pool.quarantined(Q - 1)).toBe(1);
    expect(pool.quarantined(Q)).toBe(0);
    // The cursor is at the start: .2 rested long enough and comes before .5.
    expect(pool.allocate(Q)).toBe(ip(2));
  });

  it('a rollback puts a quarantined address back in quarantine with its release time', () => {
    const pool = new AddressPool(CIDR, IFACE, [ip(2), ip(3), ip(4), ip(5), ip(6)], { quarantineMs: Q });
    pool.release(ip(3), 10);
    pool.commit();
    const mark = pool.mark();
    expect(pool.allocate(20)).toBe(ip(3));
    pool.undoTo(mark);
    expect(pool.free()).toBe(1);
    expect(pool.quarantined(20)).toBe(1);
    pool.release(ip(5), 30);
    // .3 (freed at 10) is still the oldest after the rollback.
    expect(pool.allocate(40)).toBe(ip(3));
  });

  it('quarantine 0 hands out freed addresses as before', () => {
    const pool = new AddressPool(CIDR, IFACE, [ip(2), ip(3), ip(4), ip(5)], { quarantineMs: 0 });
    pool.release(ip(2), 0);
    expect(pool.quarantined(0)).toBe(0);
    // No rest: .2 comes first from the cursor (with a quarantine, .6 would).
    expect(pool.allocate(0)).toBe(ip(2));
    expect(pool.allocate(0)).toBe(ip(6));
  });
});

describe('the quarantine survives a restart', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('start-up rebuilds it from ENDED sessions (ended_at), with the injected clock', () => {
    dir = mkdtempSync(join(tmpdir(), 'wgnode-quarantine-'));
    const path = join(dir, 'r.db');
    const open = (now: number) => openRegistry({ path, pool: CIDR, interfaceAddress: IFACE, addressQuarantineMs: Q, now: () => now });
    const first = open(0);
    first.transaction(() => {
      first.devices.ensureUser(1, 0);
      first.devices.insert({ userId: 1, deviceId: 1, now: 0, by: 't' });
    });
    const started = first.transaction(() => first.sessions.start({ userId: 1, deviceId: 1, publicKey: testKey(1), now: 0 }))!;
    expect(started.address).toBe(ip(2));
    first.transaction(() => {
      first.sessions.markEnding([started.id], { now: 1_000, reason: null, by: 't' });
      first.sessions.markEnded([started.id], 1_000);
    });
    first.close();

    const restarted = open(2_000);
    expect(restarted.quarantinedAddresses(2_000)).toBe(1);
    const next = restarted.transaction(() => restarted.sessions.start({ userId: 1, deviceId: 1, publicKey: testKey(2), now: 2_000 }))!;
    expect(next.address).toBe(ip(3));
    restarted.close();

    // Started after the quarantine ran out: the address is free like any other again.
    const later = open(1_000 + Q);
    expect(later.quarantinedAddresses(1_000 + Q)).toBe(0);
    later.close();
  });
});
