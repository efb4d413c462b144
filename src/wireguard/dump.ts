// Parser for `wg show IFACE dump`. The first line is the interface: private key, public key,
// listen port, fwmark. The private key is dropped here, on the spot: nothing above ever sees it.

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
  const firstBreak = text.indexOf('\n');
  const head = (firstBreak === -1 ? text : text.slice(0, firstBreak)).split('\t');
  if (head.length < 4) throw new Error('unexpected wg dump: the interface line has too few fields');
  const dump: InterfaceDump = { publicKey: head[1] ?? '', listenPort: Number(head[2]), peers: [] };
  if (firstBreak === -1) return dump;
  for (const line of text.slice(firstBreak + 1).split('\n')) {
    if (line === '') continue;
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
  return dump;
}
