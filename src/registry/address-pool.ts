// Which tunnel addresses are free. The database is the truth (a unique index over live
// sessions' addresses); this bitmap is a cache of it, loaded at start-up, so that allocating
// is O(1) amortised instead of a scan over every live session. It follows the transaction:
// every change is journaled, and a rollback (of the transaction or of one savepoint) undoes it.
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

export class AddressPool implements Journaled {
  private readonly used: Uint8Array;
  private cursor = 0;
  private readonly journal: Array<{ i: number; was: number; cursor: number }> = [];

  constructor(
    private readonly cidr: Cidr,
    /** The interface's own address: never handed out, never released. */
    private readonly reserved: number,
    inUse: Iterable<number>,
  ) {
    this.used = new Uint8Array(cidr.last - cidr.first + 1);
    this.markUsed(reserved);
    for (const address of inUse) this.markUsed(address);
  }

  private markUsed(address: number): void {
    const i = address - this.cidr.first;
    if (i >= 0 && i < this.used.length) this.used[i] = 1;
  }

  private set(i: number, value: number): void {
    this.journal.push({ i, was: this.used[i]!, cursor: this.cursor });
    this.used[i] = value;
  }

  release(address: number): void {
    const i = address - this.cidr.first;
    if (address !== this.reserved && i >= 0 && i < this.used.length) this.set(i, 0);
  }

  /** Next free address after the last one handed out (so a just-freed address is not reused at once), or null. */
  allocate(): number | null {
    const size = this.used.length;
    for (let n = 0; n < size; n++) {
      const i = (this.cursor + n) % size;
      if (this.used[i] === 0) {
        this.set(i, 1);
        this.cursor = (i + 1) % size;
        return this.cidr.first + i;
      }
    }
    return null;
  }

  /** How many addresses are free (tests, and to check that nothing leaks). */
  free(): number {
    return this.used.reduce((n, bit) => n + (bit === 0 ? 1 : 0), 0);
  }

  mark(): number {
    return this.journal.length;
  }

  undoTo(mark: number): void {
    while (this.journal.length > mark) {
      const entry = this.journal.pop()!;
      this.used[entry.i] = entry.was;
      this.cursor = entry.cursor;
    }
  }

  commit(): void {
    this.journal.length = 0;
  }
}
