// An in-process stand-in for `wg` and `ip`: records every argv, keeps a simulated peer set so
// tests can ask what is "on the interface", and fails on demand.
import { readFileSync } from 'node:fs';
import { CommandFailedError, CommandTimeoutError, type CommandRunner } from '../../src/wireguard/runner.js';

export const FAKE_INTERFACE_PRIVATE_KEY = 'cPrivateKeyOfTheInterfaceMustNeverBeLoggedAAA=';
const FAKE_INTERFACE_PUBLIC_KEY = 'nodePublicKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export interface FakePeer {
  allowedIps: string;
  latestHandshake: number;
  rxBytes: number;
  txBytes: number;
  /** What wg read from the preshared-key file, as wg keeps it; printed in the dump like wg does. */
  presharedKey?: string;
}

export class FakeRunner implements CommandRunner {
  readonly calls: string[][] = [];
  readonly peers = new Map<string, FakePeer>();
  /** Every preshared-key file path a `wg set` named (tests check they are gone afterwards). */
  readonly presharedKeyFiles: string[] = [];
  interfaceExists = true;
  listenPort = 51820;
  /** The interface's public key in the dump (another key = another interface). */
  publicKey = FAKE_INTERFACE_PUBLIC_KEY;
  /** Fails every matching call while set. */
  failWhen: ((argv: readonly string[]) => boolean) | null = null;
  /** Runs before each call resolves (e.g. to hold a call in flight). */
  delay: (() => Promise<void>) | null = null;
  /** A call that hangs until the command timeout: awaits the promise it returns, then times out. Cleared after one use. */
  hangOnce: ((argv: readonly string[]) => Promise<void> | null) | null = null;

  async run(file: string, args: readonly string[]): Promise<{ stdout: string }> {
    const argv = [file, ...args];
    this.calls.push(argv);
    const hung = this.hangOnce?.(argv);
    if (hung) {
      this.hangOnce = null;
      await hung;
      throw new CommandTimeoutError(`${file} timed out`, argv.join(' '));
    }
    if (this.delay) await this.delay();
    if (this.failWhen?.(argv)) {
      throw new CommandFailedError(`${file} exited with 1: simulated failure`, argv.join(' '), 1, 'simulated failure');
    }
    const [cmd, ...rest] = stripNetns(argv);
    if (cmd === 'ip') return this.ip(rest);
    if (cmd === 'wg') return this.wg(rest);
    // conntrack -D: nothing to simulate; the argv is what tests check (calls).
    if (cmd === 'conntrack') return { stdout: '' };
    throw new Error(`fake runner: unexpected program ${cmd}`);
  }

  /** Calls that were `wg set` (the ones that change the interface). */
  setCalls(): string[][] {
    return this.calls.filter((argv) => stripNetns(argv)[1] === 'set');
  }

  private ip(args: string[]): { stdout: string } {
    if (args[0] === 'link' && args[1] === 'show') {
      if (!this.interfaceExists) throw new CommandFailedError('ip exited with 1', 'ip', 1, 'Device does not exist.');
      return { stdout: `5: ${args[3]}: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1420` };
    }
    throw new Error(`fake runner: unexpected ip ${args.join(' ')}`);
  }

  private wg(args: string[]): { stdout: string } {
    if (!this.interfaceExists) throw new CommandFailedError('wg exited with 1', 'wg', 1, 'Unable to access interface: No such device');
    if (args[0] === 'show' && args[2] === 'dump') {
      const lines = [[FAKE_INTERFACE_PRIVATE_KEY, this.publicKey, String(this.listenPort), 'off'].join('\t')];
      for (const [key, p] of this.peers) {
        lines.push([key, p.presharedKey ?? '(none)', '(none)', p.allowedIps, p.latestHandshake, p.rxBytes, p.txBytes, 'off'].join('\t'));
      }
      return { stdout: lines.join('\n') };
    }
    if (args[0] === 'set') {
      let i = 2;
      while (i < args.length) {
        if (args[i] !== 'peer') throw new Error(`fake runner: unexpected wg set clause at ${args[i]}`);
        const key = args[i + 1]!;
        if (args[i + 2] === 'remove') {
          this.peers.delete(key);
          i += 3;
        } else if (args[i + 2] === 'allowed-ips') {
          const existing = this.peers.get(key);
          const peer: FakePeer = { latestHandshake: 0, rxBytes: 0, txBytes: 0, ...existing, allowedIps: args[i + 3]! };
          i += 4;
          if (args[i] === 'preshared-key') {
            // Like wg: the value is a path, read now (the caller removes the file once we exit).
            const path = args[i + 1]!;
            this.presharedKeyFiles.push(path);
            peer.presharedKey = readFileSync(path, 'utf8').trim();
            i += 2;
          }
          this.peers.set(key, peer);
        } else {
          throw new Error(`fake runner: unexpected peer option ${args[i + 2]}`);
        }
      }
      return { stdout: '' };
    }
    throw new Error(`fake runner: unexpected wg ${args.join(' ')}`);
  }
}

function stripNetns(argv: readonly string[]): string[] {
  // `ip netns exec NS wg ...` → `wg ...`
  if (argv[0] === 'ip' && argv[1] === 'netns' && argv[2] === 'exec') return argv.slice(4);
  return [...argv];
}
