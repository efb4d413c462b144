// Certificates made in the test with the openssl CLI (argv arrays, no shell): a CA, and leaf
// certificates it signs for a server (127.0.0.1 and localhost) or a client, expired if asked.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export interface Pem {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

export function certDir(): string {
  return mkdtempSync(join(tmpdir(), 'wgnode-tls-'));
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function pem(certFile: string, keyFile: string): Pem {
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

export async function makeCa(dir: string, name: string): Promise<Pem> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await execa('openssl', ['req', '-x509', ...EC, '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`]);
  return pem(certFile, keyFile);
}

export interface LeafOptions {
  kind: 'server' | 'client';
  serial: number;
  /** Valid until yesterday instead of for two days. */
  expired?: boolean;
}

export async function makeLeaf(dir: string, name: string, ca: Pem, options: LeafOptions): Promise<Pem> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(
    ext,
    options.kind === 'server'
      ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
      : 'extendedKeyUsage=clientAuth\n',
  );
  await execa('openssl', ['req', ...EC, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${name}`]);
  await execa('openssl', [
    'x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', String(options.serial),
    '-days', options.expired ? '-1' : '2', '-extfile', ext, '-out', certFile,
  ]);
  return pem(certFile, keyFile);
}
