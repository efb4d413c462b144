// `npm run demo`: a throwaway node to try wgnode on. It builds a userspace WireGuard interface in
// a network namespace (and a client namespace with a real tunnel), starts the agent on it, seeds
// users, devices and sessions through the API itself, and prints a token and the contract's curl
// commands. Ctrl-C removes everything. `--self-test` sends those requests itself and exits.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { startServer, type RunningAgent } from '../src/server.js';
import { createLogger } from '../src/logger.js';
import { createTestbed, DEACTIVATE, DISCONNECT, generateKeyPair, privilegeProblem, type Testbed } from '../src/testbed/index.js';

const selfTest = process.argv.includes('--self-test');
const port = Number(process.env.WGNODE_PORT ?? (selfTest ? 0 : 8080));

async function main(): Promise<number> {
  const problem = privilegeProblem();
  if (problem) {
    process.stderr.write(
      `The demo builds a WireGuard interface in a network namespace, which needs root on Linux\n` +
        `with wireguard-go, wireguard-tools and iproute2: ${problem}\n` +
        `Install them with: sudo bash scripts/install-system-deps.sh\nThen run: sudo npm run demo\n`,
    );
    return 1;
  }

  const dir = mkdtempSync(join(tmpdir(), 'wgnode-demo-'));
  const token = randomBytes(24).toString('base64url');
  let testbed: Testbed | undefined;
  let running: RunningAgent | undefined;
  const cleanup = async () => {
    await running?.agent.stop().catch(() => undefined);
    await testbed?.teardown();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    testbed = await createTestbed({ prefix: 'demo' });
    const config = loadConfig({
      WGNODE_HOST: '127.0.0.1',
      WGNODE_PORT: String(port),
      WGNODE_DB: join(dir, 'wgnode.db'),
      WGNODE_NETNS: testbed.nodeNs,
      WGNODE_INTERFACE: testbed.node.iface,
      WGNODE_ADMIN_TOKEN: token,
      WGNODE_PUBLIC_ENDPOINT: `${testbed.nodeUnderlayIp}:${testbed.node.listenPort}`,
      WGNODE_RECONCILE_INTERVAL_MS: '2000',
      // The laptop below keeps two keys (the default, 1, would rotate its first key out).
      WGNODE_SESSIONS_PER_DEVICE: '2',
    });
    // Warnings only: the welcome text below is what a newcomer reads.
    running = await startServer(config, { log: createLogger({ level: 'warn' }) });
    const url = `http://127.0.0.1:${running.port}/graphql`;
    const gql = async (query: string, variables?: Record<string, unknown>) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, text: await res.text() };
    };

    // Seed through the API, as the control plane would: a phone with a live tunnel, a laptop
    // with two keys, and a second user.
    const phone = generateKeyPair();
    const seeds: Array<[number, number, string[]]> = [
      [12345, 67890, [phone.publicKey]],
      [12345, 1, [generateKeyPair().publicKey, generateKeyPair().publicKey]],
      [777, 1, [generateKeyPair().publicKey]],
    ];
    let phoneAddress = '';
    for (const [userId, deviceId, keys] of seeds) {
      await gql(`mutation ($u: Int!, $d: Int!) { activateDevice(userId: $u, deviceId: $d) { status } }`, { u: userId, d: deviceId });
      for (const key of keys) {
        const res = await gql(`mutation ($u: Int!, $d: Int!, $k: String!) { connectDevice(userId: $u, deviceId: $d, publicKey: $k) { address } }`, {
          u: userId,
          d: deviceId,
          k: key,
        });
        if (key === phone.publicKey) phoneAddress = (JSON.parse(res.text) as { data: { connectDevice: { address: string } } }).data.connectDevice.address;
      }
    }
    const client = await testbed.addClient({ keyPair: phone, address: phoneAddress });
    const tunnelUp = await client.ping(3);

    if (selfTest) return await runSelfTest(gql, testbed, tunnelUp);

    printWelcome({ url, token, testbed, tunnelUp, phoneAddress, socket: config.socketPath });
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
    });
    process.stdout.write('\nRemoving the demo node...\n');
    return 0;
  } finally {
    await cleanup();
  }
}

function printWelcome(o: { url: string; token: string; testbed: Testbed; tunnelUp: boolean; phoneAddress: string; socket: string | null }): void {
  const curl = (query: string) =>
    [
      `curl -X POST ${o.url} \\`,
      `  -H "Content-Type: application/json" \\`,
      `  -H "Authorization: Bearer ${o.token}" \\`,
      `  -d '{"query": "${query}", "variables": {"userId": 12345, "deviceId": 67890}}'`,
    ].join('\n');
  process.stdout.write(`
wgnode demo node is up.

  GraphQL endpoint  ${o.url}
  admin token       ${o.token}
  interface         ${o.testbed.node.iface} in network namespace ${o.testbed.nodeNs}
  live tunnel       user 12345 / device 67890 at ${o.phoneAddress} (${o.tunnelUp ? 'handshake done, pinging the node works' : 'not up'})

Peers on the interface right now:
  ip netns exec ${o.testbed.nodeNs} wg show ${o.testbed.node.iface}
${o.socket ? `
The operator's view (the wgnode CLI over the local socket, no token):
  node dist/src/cli/main.js status --socket ${o.socket}
  node dist/src/cli/main.js sessions --socket ${o.socket}
` : ''}
Disconnect user 12345's device 67890 (the contract's request, as published):
${curl(DISCONNECT)}

Deactivate it:
${curl(DEACTIVATE)}

List sessions:
curl -s -X POST ${o.url} -H "Content-Type: application/json" -H "Authorization: Bearer ${o.token}" \\
  -d '{"query": "{ sessions { totalCount nodes { id userId deviceId address status online } } }"}'

Press Ctrl-C to stop; the namespaces and the database are removed.
`);
}

type Gql = (query: string, variables?: Record<string, unknown>) => Promise<{ status: number; text: string }>;

async function runSelfTest(gql: Gql, testbed: Testbed, tunnelUp: boolean): Promise<number> {
  const vars = { userId: 12345, deviceId: 67890 };
  const peersBefore = (await testbed.node.peers()).length;
  const checks: Array<[string, { status: number; text: string }, number, string]> = [
    ['disconnect', await gql(DISCONNECT, vars), 200, '{"data":{"disconnectByUserIdAndDeviceId":true}}'],
    ['disconnect again', await gql(DISCONNECT, vars), 400, '{"errors":[{"message":"No active session found for this user and device combination","path":["disconnectByUserIdAndDeviceId"],"extensions":{"code":"SESSION_NOT_FOUND"}}],"data":null}'],
    ['deactivate', await gql(DEACTIVATE, vars), 200, '{"data":{"deactivateDevice":true}}'],
    ['deactivate again', await gql(DEACTIVATE, vars), 400, '{"errors":[{"message":"Device not found or already deactivated","path":["deactivateDevice"],"extensions":{"code":"DEVICE_NOT_FOUND"}}],"data":null}'],
  ];
  const peersAfter = (await testbed.node.peers()).length;
  let failed = tunnelUp ? 0 : 1;
  process.stdout.write(`tunnel before: ${tunnelUp ? 'up' : 'DOWN'}\n`);
  for (const [name, got, status, body] of checks) {
    const ok = got.status === status && got.text === body;
    if (!ok) failed++;
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${got.status} ${got.text}\n`);
  }
  const peersOk = peersAfter === peersBefore - 1;
  if (!peersOk) failed++;
  process.stdout.write(`${peersOk ? 'ok  ' : 'FAIL'} peers on the interface: ${peersBefore} → ${peersAfter}\n`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
