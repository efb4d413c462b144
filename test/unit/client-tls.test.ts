// The client's per-node TLS options against a local HTTPS server that demands a client
// certificate: the CA to trust, and the certificate for mutual TLS.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeClient } from '../../src/client/index.js';
import { CA_CERT, CLIENT_CERT, CLIENT_KEY, SERVER_CERT, SERVER_KEY } from '../support/tls-fixtures.js';

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer({ cert: SERVER_CERT, key: SERVER_KEY, ca: CA_CERT, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    // Answers with the client certificate's subject, so the test sees who the node saw.
    const subject = (req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? 'nobody';
    req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { node: { interface: subject } } })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('client TLS options', () => {
  it('trusts the node through the given CA and presents its client certificate', async () => {
    const client = createNodeClient({ url, tls: { ca: CA_CERT, cert: CLIENT_CERT, key: CLIENT_KEY }, retry: { retries: 0 } });
    expect(await client.node()).toMatchObject({ ok: true, data: { interface: 'control-plane' } });
    client.close();
  });

  it('refuses a node whose certificate it cannot verify', async () => {
    const client = createNodeClient({ url, tls: { cert: CLIENT_CERT, key: CLIENT_KEY }, retry: { retries: 0 } });
    const answer = await client.node();
    expect(answer).toMatchObject({ ok: false, kind: 'unreachable', status: null });
    expect(answer.ok === false && answer.code).toMatch(/CERT|SIGNATURE/);
    client.close();
  });

  it('gets no answer without a client certificate when the node demands one', async () => {
    const client = createNodeClient({ url, tls: { ca: CA_CERT }, retry: { retries: 0 } });
    expect(await client.node()).toMatchObject({ ok: false, kind: 'unreachable', status: null });
    client.close();
  });
});
