// Which tunnel addresses are free. The database is the truth (a unique index over live
// sessions' addresses); this bitmap is a cache of it, loaded at start-up, so that allocating
// is O(1) amortised instead of a scan over every live session. It follows the transaction:
// every change is journaled, and a rollback (of the transaction or of one savepoint) undoes it.
//
// Quarantine: a released address remembers when it was freed, and is not handed out again for
// `quarantineMs` while any other address is free: packets still in flight to the old device
// (return traffic of its NAT flows, a server's late replies) must never reach the next device
// given the same address. Only when the pool would otherwise be exhausted does the address
// freed longest ago go out early.
import type { Cidr } from '../net.js';

/** Undo support the registry's transactions drive (index.ts, group-commit.ts). */
export interface Journaled {
  /** A point to undo back to. */
  mark(): number;
  /** Undoes every change made since `mark` (a rollback). */
  undoTo(mark: number): void;
  /** Forgets the journal: the outermost transaction committed. */
  commit(): void;
}

/** A freed address and when it was freed (ms): start-up rebuilds these from ENDED sessions. */
interface Quarantined {
  address: number;
  freedAt: number;
}

export interface PoolOptions {
  /** How long a released address rests before it is handed out again (unless nothing else is free); 0 = off. */
  quarantineMs?: number;
  /** Addresses released before start-up (their quarantine continues). */
  quarantined?: Iterable<Quarantined>;
}

export class AddressPool implements Journaled {
  private readonly used: Uint8Array;
  private cursor = 0;
  /** Index → when it was freed, for released addresses still (or maybe still) in quarantine. */
  private readonly freedAt = new Map<number, number>();
  private readonly quarantineMs: number;
  private readonly journal: Array<{ i: number; was: number; cursor: number; freedAt: number | undefined }> = [];

  constructor(
    private readonly cidr: Cidr,
    /** The interface's own address: never handed out, never released. */
    private readonly reserved: number,
    inUse: Iterable<number>,
    options: PoolOptions = {},
  ) {
    this.used = new Uint8Array(cidr.last - cidr.first + 1);
    this.quarantineMs = options.quarantineMs ?? 0;
    this.markUsed(reserved);
    for (const address of inUse) this.markUsed(address);
    if (this.quarantineMs > 0) {
      for (const { address, freedAt } of options.quarantined ?? []) {
        const i = address - this.cidr.first;
        if (i >= 0 && i < this.used.length && this.used[i] === 0) this.freedAt.set(i, Math.max(freedAt, this.freedAt.get(i) ?? freedAt));
      }
    }
  }

  private markUsed(address: number): void {
    const i = address - this.cidr.first;
    if (i >= 0 && i < this.used.length) this.used[i] = 1;
  }

  private set(i: number, value: number, freedAt: number | undefined): void {
    this.journal.push({ i, was: this.used[i]!, cursor: this.cursor, freedAt: this.freedAt.get(i) });
    this.used[i] = value;
    if (freedAt === undefined) this.freedAt.delete(i);
    else this.freedAt.set(i, freedAt);
  }

  /** Frees an address at time `now` (ms); it rests in quarantine from then on. */
  release(address: number, now: number): void {
    const i = address - this.cidr.first;
    if (address !== this.reserved && i >= 0 && i < this.used.length) this.set(i, 0, this.quarantineMs > 0 ? now : undefined);
  }

  /**
   * A free address at time `now`, or null: the next one after the last handed out that is not in
   * quarantine (never used, or freed at least quarantineMs ago); else the one freed longest ago.
   */
  allocate(now: number): number | null {
    const size = this.used.length;
    for (let n = 0; n < size; n++) {
      const i = (this.cursor + n) % size;
      if (this.used[i] === 0 && !this.resting(i, now)) return this.take(i);
    }
    // Nothing rested long enough: better an early reuse than a refused connect.
    let oldest: number | null = null;
    for (const [i, freedAt] of this.freedAt) {
      if (this.used[i] === 0 && (oldest === null || freedAt < this.freedAt.get(oldest)!)) oldest = i;
    }
    return oldest === null ? null : this.take(oldest);
  }

  private resting(i: number, now: number): boolean {
    const freedAt = this.freedAt.get(i);
    return freedAt !== undefined && now - freedAt < this.quarantineMs;
  }

  private take(i: number): number {
    this.set(i, 1, undefined);
    this.cursor = (i + 1) % this.used.length;
    return this.cidr.first + i;
  }

  /** How many addresses are free, quarantined ones included (tests, and to check that nothing leaks). */
  free(): number {
    return this.used.reduce((n, bit) => n + (bit === 0 ? 1 : 0), 0);
  }

  /** How many free addresses are still resting at `now`. */
  quarantined(now: number): number {
    let n = 0;
    for (const i of this.freedAt.keys()) if (this.used[i] === 0 && this.resting(i, now)) n++;
    return n;
  }

  mark(): number {
    return this.journal.length;
  }

  undoTo(mark: number): void {
    while (this.journal.length > mark) {
      const entry = this.journal.pop()!;
      this.used[entry.i] = entry.was;
      this.cursor = entry.cursor;
      if (entry.freedAt === undefined) this.freedAt.delete(entry.i);
      else this.freedAt.set(entry.i, entry.freedAt);
    }
  }

  commit(): void {
    this.journal.length = 0;
  }
}
