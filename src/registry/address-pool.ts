// Which tunnel addresses are free. The database is the truth (a unique index over live
// sessions' addresses); this bitmap is a cache of it, loaded at start-up, so that allocating
// is O(1) amortised instead of a scan over every live session.
import type { Cidr } from '../net.js';

export class AddressPool {
  private readonly used: Uint8Array;
  private cursor = 0;

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

  release(address: number): void {
    const i = address - this.cidr.first;
    if (address !== this.reserved && i >= 0 && i < this.used.length) this.used[i] = 0;
  }

  /** Next free address after the last one handed out (so a just-freed address is not reused at once), or null. */
  allocate(): number | null {
    const size = this.used.length;
    for (let n = 0; n < size; n++) {
      const i = (this.cursor + n) % size;
      if (this.used[i] === 0) {
        this.used[i] = 1;
        this.cursor = (i + 1) % size;
        return this.cidr.first + i;
      }
    }
    return null;
  }
}
