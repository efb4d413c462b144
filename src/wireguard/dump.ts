// Parser for `wg show IFACE dump`. The first line is the interface: private key, public key,
// listen port, fwmark. The private key is dropped here, on the spot: nothing above ever sees it.
// Peer lines carry the peer's preshared key in their second field: dropped here too, for the same reason.
import { setImmediate as yieldToLoop } from 'node:timers/promises';

export interface PeerState {
  publicKey: string;
  endpoint: string | null;
  allowedIps: string;
  /** Seconds since the epoch; 0 = never. */
  latestHandshake: number;
  rxBytes: number;
  txBytes: number;
}

export interface InterfaceDump {
  publicKey: string;
  listenPort: number;
  peers: PeerState[];
}

export function parseDump(text: string): InterfaceDump {
  const { dump, firstBreak } = parseHead(text);
  if (firstBreak !== -1) for (const line of text.slice(firstBreak + 1).split('\n')) pushPeer(dump, line);
  return dump;
}

/**
 * The same parse, yielding to the event loop every `linesPerSlice` lines: a full interface is
 * 65,000 lines (~80 ms of parsing here), and requests must not wait behind it.
 */
export async function parseDumpYielding(text: string, linesPerSlice = 2000): Promise<InterfaceDump> {
  const { dump, firstBreak } = parseHead(text);
  if (firstBreak === -1) return dump;
  let at = firstBreak + 1;
  while (at < text.length) {
    for (let n = 0; n < linesPerSlice && at < text.length; n++) {
      const end = text.indexOf('\n', at);
      const stop = end === -1 ? text.length : end;
      pushPeer(dump, text.slice(at, stop));
      at = stop + 1;
    }
    if (at < text.length) await yieldToLoop();
  }
  return dump;
}

function parseHead(text: string): { dump: InterfaceDump; firstBreak: number } {
  const firstBreak = text.indexOf('\n');
  const head = (firstBreak === -1 ? text : text.slice(0, firstBreak)).split('\t');
  if (head.length < 4) throw new Error('unexpected wg dump: the interface line has too few fields');
  return { dump: { publicKey: head[1] ?? '', listenPort: Number(head[2]), peers: [] }, firstBreak };
}

function pushPeer(dump: InterfaceDump, line: string): void {
  if (line === '') return;
  const f = line.split('\t');
  if (f.length < 8) throw new Error('unexpected wg dump: a peer line has too few fields');
  dump.peers.push({
    publicKey: f[0]!,
    endpoint: f[2] === '(none)' ? null : f[2]!,
    allowedIps: f[3] === '(none)' ? '' : f[3]!,
    latestHandshake: Number(f[4]),
    rxBytes: Number(f[5]),
    txBytes: Number(f[6]),
  });
}
