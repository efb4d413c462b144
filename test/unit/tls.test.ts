// TLS on the agent's port: HTTPS with WGNODE_TLS_CERT_FILE/KEY_FILE, mutual TLS refused in the
// handshake (before any token is read), certificates reloaded without a restart, clear errors for
// bad files, and a loud warning for plain HTTP beyond loopback. Certificates are made here.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashToken } from '../../src/auth/static-tokens.js';
import { ConfigError, loadConfig, type TlsFiles } from '../../src/config.js';
import { isLoopbackHost, readTlsMaterial } from '../../src/http/tls.js';
import { auditRows as allAuditRows } from '../support/registry-rows.js';
import { startServer, type RunningAgent } from '../../src/server.js';
import { createLogger } from '../../src/logger.js';
import { certDir, makeCa, makeLeaf, type Pem } from '../support/certs.js';
import { FakeRunner } from '../support/fake-runner.js';

const TOKEN = 'tls-test-admin-token-0123456789';
const QUERY = JSON.stringify({ query: '{ node { interface } }' });

let dir: string;
let ca: Pem;
let otherCa: Pem;
let server: Pem;
let client: Pem;
let expiredClient: Pem;
let strangerClient: Pem;

beforeAll(async () => {
  dir = certDir();
  ca = await makeCa(dir, 'ca');
  otherCa = await makeCa(dir, 'other-ca');
  server = await makeLeaf(dir, 'server', ca, { kind: 'server', serial: 100 });
  client = await makeLeaf(dir, 'client', ca, { kind: 'client', serial: 101 });
  expiredClient = await makeLeaf(dir, 'expired-client', ca, { kind: 'client', serial: 102, expired: true });
  strangerClient = await makeLeaf(dir, 'stranger-client', otherCa, { kind: 'client', serial: 103 });
});

const running: RunningAgent[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.agent.stop();
});

/** A real agent (fake runner, in-memory registry) on 127.0.0.1:0, its log lines captured. */
async function start(env: Record<string, string>) {
  const raw: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (chunk: string) => void raw.push(chunk) } });
  const config = loadConfig({ WGNODE_DB: ':memory:', WGNODE_PORT: '0', WGNODE_HOST: '127.0.0.1', WGNODE_SOCKET: 'off', ...env });
  const agent = await startServer(config, { runner: new FakeRunner(), log, tokens: [{ name: 'cp', sha256: hashToken(TOKEN), scopes: ['admin'] }] });
  running.push(agent);
  const lines = () => raw.map((line) => JSON.parse(line) as Record<string, any>);
  return { agent, port: agent.port, lines, requests: () => lines().filter((l) => l.msg === 'request') };
}

/** Copies the server pair into a directory of its own, so a test may replace the files. */
function serverFiles(pair: Pem = server) {
  const own = join(dir, `srv-${Math.random().toString(36).slice(2)}`);
  mkdirSync(own);
  const certFile = join(own, 'tls.crt');
  const keyFile = join(own, 'tls.key');
  copyFileSync(pair.certFile, certFile);
  copyFileSync(pair.keyFile, keyFile);
  return { certFile, keyFile };
}

interface Client {
  cert?: Buffer;
  key?: Buffer;
  token?: string | null;
}

function post(port: number, options: Client = {}): Promise<{ status: number; text: string }> {
  const token = options.token === undefined ? TOKEN : options.token;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1', port, path: '/graphql', method: 'POST', agent: false, ca: ca.cert, cert: options.cert, key: options.key,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    req.end(QUERY);
  });
}

/** The serial of the certificate the server presents now. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: ca.cert, servername: 'localhost' }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on('error', reject);
  });
}

const serialOf = (pem: Pem) => new X509Certificate(pem.cert).serialNumber;

describe('HTTPS', () => {
  it('answers GraphQL over HTTPS to a client that trusts the CA', async () => {
    const t = await start({ WGNODE_TLS_CERT_FILE: server.certFile, WGNODE_TLS_KEY_FILE: server.keyFile });
    const res = await post(t.port);
    expect(res).toEqual({ status: 200, text: '{"data":{"node":{"interface":"wg0"}}}' });
    expect(await servedSerial(t.port)).toBe(serialOf(server));
    expect(t.lines().find((l) => l.msg === 'wgnode listening')).toMatchObject({ tls: { serial: serialOf(server), mutualTls: false } });
  });

  it('refuses plain HTTP on the TLS port', async () => {
    const t = await start({ WGNODE_TLS_CERT_FILE: server.certFile, WGNODE_TLS_KEY_FILE: server.keyFile });
    const plain = new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: t.port, path: '/graphql', method: 'POST', agent: false, headers: { authorization: `Bearer ${TOKEN}` } }, resolve);
      req.on('error', reject);
      req.end(QUERY);
    });
    await expect(plain).rejects.toThrow();
    expect(t.requests()).toEqual([]);
  });
});

describe('mutual TLS', () => {
  const mtls = () => start({ WGNODE_TLS_CERT_FILE: server.certFile, WGNODE_TLS_KEY_FILE: server.keyFile, WGNODE_TLS_CLIENT_CA_FILE: ca.certFile });
  const auditRows = (t: Awaited<ReturnType<typeof mtls>>) => allAuditRows(t.agent.agent.registry).length;

  it('answers a client with a certificate from the CA and a token', async () => {
    const t = await mtls();
    expect(await post(t.port, { cert: client.cert, key: client.key })).toEqual({ status: 200, text: '{"data":{"node":{"interface":"wg0"}}}' });
    // The same client without a token reaches the app, which refuses it and logs the request:
    // what the refused handshakes below must never produce.
    expect((await post(t.port, { cert: client.cert, key: client.key, token: null })).status).toBe(401);
    expect(t.requests()).toHaveLength(2);
  });

  it.each([
    ['no client certificate', () => ({})],
    ['an expired client certificate', () => ({ cert: expiredClient.cert, key: expiredClient.key })],
    ['a client certificate from another CA', () => ({ cert: strangerClient.cert, key: strangerClient.key })],
  ])('refuses %s in the handshake: no answer, no log line, no audit row', async (_, credentials) => {
    const t = await mtls();
    const before = auditRows(t);
    await expect(post(t.port, credentials())).rejects.toThrow();
    await expect(post(t.port, { ...credentials(), token: 'wrong-token-0123456789' })).rejects.toThrow();
    expect(t.requests()).toEqual([]);
    expect(auditRows(t)).toEqual(before);
  });
});

describe('certificate reload', () => {
  it('serves a replaced certificate without a restart, and keeps it when the next replacement is invalid', async () => {
    const files = serverFiles();
    const t = await start({ WGNODE_TLS_CERT_FILE: files.certFile, WGNODE_TLS_KEY_FILE: files.keyFile });
    expect(await servedSerial(t.port)).toBe(serialOf(server));

    const renewed = await makeLeaf(dir, 'server-renewed', ca, { kind: 'server', serial: 200 });
    writeFileSync(files.keyFile, renewed.key);
    writeFileSync(files.certFile, renewed.cert);
    await vi.waitFor(async () => expect(await servedSerial(t.port)).toBe(serialOf(renewed)), { timeout: 15_000, interval: 200 });
    expect(t.lines().some((l) => l.msg === 'TLS certificate reloaded' && l.serial === serialOf(renewed))).toBe(true);

    // A certificate that is not the key's: refused, logged, and the renewed one stays.
    const errors = () => t.lines().filter((l) => l.msg.startsWith('TLS files changed but do not load'));
    const seen = errors().length;
    writeFileSync(files.certFile, server.cert);
    await vi.waitFor(() => expect(errors().length).toBeGreaterThan(seen), { timeout: 15_000, interval: 100 });
    expect(errors().at(-1)).toMatchObject({ level: 50, reason: expect.stringMatching(/WGNODE_TLS_KEY_FILE: .* is not the private key/) });
    expect(await servedSerial(t.port)).toBe(serialOf(renewed));
    expect((await post(t.port)).status).toBe(200);
  });
});

describe('TLS configuration', () => {
  it('needs the certificate and the key together, and mutual TLS needs both', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ WGNODE_TLS_CERT_FILE: '/c.pem' }, /WGNODE_TLS_KEY_FILE is required when WGNODE_TLS_CERT_FILE is set/],
      [{ WGNODE_TLS_KEY_FILE: '/k.pem' }, /WGNODE_TLS_CERT_FILE is required when WGNODE_TLS_KEY_FILE is set/],
      [{ WGNODE_TLS_CLIENT_CA_FILE: '/ca.pem' }, /WGNODE_TLS_CLIENT_CA_FILE needs WGNODE_TLS_CERT_FILE and WGNODE_TLS_KEY_FILE/],
    ];
    for (const [env, message] of cases) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    }
  });

  it('binds loopback without TLS and every interface with it, unless WGNODE_HOST says otherwise', () => {
    const tls = { WGNODE_TLS_CERT_FILE: '/c.pem', WGNODE_TLS_KEY_FILE: '/k.pem' };
    expect(loadConfig({})).toMatchObject({ host: '127.0.0.1', tls: null });
    expect(loadConfig(tls)).toMatchObject({ host: '0.0.0.0', tls: { certFile: '/c.pem', keyFile: '/k.pem', clientCaFile: null } });
    expect(loadConfig({ ...tls, WGNODE_HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
  });

  it('refuses missing, unreadable and mismatched files with a message naming the variable', async () => {
    const files = (over: Partial<TlsFiles>): TlsFiles => ({ certFile: server.certFile, keyFile: server.keyFile, clientCaFile: null, ...over });
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a pem\n');
    // The server's key, readable by anyone: a credential file refused like the tokens file.
    const looseKey = join(dir, 'loose.key');
    copyFileSync(server.keyFile, looseKey);
    chmodSync(looseKey, 0o644);
    const cases: Array<[ReturnType<typeof files>, RegExp]> = [
      [files({ certFile: join(dir, 'absent.crt') }), /^WGNODE_TLS_CERT_FILE: cannot read .*absent\.crt: no such file/],
      [files({ keyFile: join(dir, 'absent.key') }), /^WGNODE_TLS_KEY_FILE: cannot read .*absent\.key: no such file/],
      [files({ clientCaFile: join(dir, 'absent-ca.crt') }), /^WGNODE_TLS_CLIENT_CA_FILE: cannot read/],
      [files({ certFile: dir }), /^WGNODE_TLS_CERT_FILE: cannot read .*: EISDIR/],
      [files({ certFile: garbage }), /^WGNODE_TLS_CERT_FILE: .*garbage\.pem does not hold a PEM certificate/],
      [files({ keyFile: garbage }), /^WGNODE_TLS_KEY_FILE: .*garbage\.pem does not hold an unencrypted PEM private key/],
      [files({ clientCaFile: garbage }), /^WGNODE_TLS_CLIENT_CA_FILE: .*garbage\.pem does not hold a PEM CA certificate/],
      [files({ keyFile: client.keyFile }), /^WGNODE_TLS_KEY_FILE: .*client\.key is not the private key of the certificate in WGNODE_TLS_CERT_FILE/],
      [files({ keyFile: looseKey }), /^WGNODE_TLS_KEY_FILE: .*loose\.key is open to group or others \(mode 0644\); chmod 600 it/],
    ];
    for (const [input, message] of cases) {
      expect(() => readTlsMaterial(input)).toThrow(ConfigError);
      expect(() => readTlsMaterial(input)).toThrow(message);
    }
    // And the agent does not start on them.
    await expect(start({ WGNODE_TLS_CERT_FILE: server.certFile, WGNODE_TLS_KEY_FILE: client.keyFile })).rejects.toThrow(/is not the private key/);
  });
});

describe('plain HTTP beyond loopback', () => {
  const warning = (lines: Record<string, any>[]) => lines.filter((l) => l.level === 40 && /^INSECURE: serving plain HTTP/.test(l.msg));

  it('logs a loud warning at start-up when plain HTTP binds a non-loopback address', async () => {
    const t = await start({ WGNODE_HOST: '0.0.0.0' });
    expect(warning(t.lines())).toEqual([expect.objectContaining({ host: '0.0.0.0', msg: expect.stringContaining('WGNODE_TLS_CERT_FILE') })]);
  });

  it('stays quiet on loopback, and with TLS on any address', async () => {
    expect(warning((await start({ WGNODE_HOST: '127.0.0.1' })).lines())).toEqual([]);
    expect(warning((await start({ WGNODE_HOST: 'localhost' })).lines())).toEqual([]);
    const tls = await start({ WGNODE_HOST: '0.0.0.0', WGNODE_TLS_CERT_FILE: server.certFile, WGNODE_TLS_KEY_FILE: server.keyFile });
    expect(warning(tls.lines())).toEqual([]);
  });

  it('knows which addresses are loopback', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '192.168.1.127', 'example.com', '::ffff:10.0.0.1']) expect(isLoopbackHost(host)).toBe(false);
  });
});

