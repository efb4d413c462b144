// HTTPS for the agent's port: reads and checks the PEM files named by WGNODE_TLS_*, builds the
// options for @hono/node-server's serve(), and swaps in renewed files without a restart.
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type ServerOptions } from 'node:https';
import { Server as TlsServer, type SecureContextOptions } from 'node:tls';
import { credentialFileProblem } from '../credential-files.js';
import { ConfigError, type TlsFiles } from '../config.js';
import type { Logger } from '../logger.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  clientCa: Buffer | null;
  /** The server certificate, for log lines (serial, expiry). */
  certificate: X509Certificate;
}

/** Reads the files and checks they fit together; every failure names its variable. */
export function readTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = readPem('WGNODE_TLS_CERT_FILE', files.certFile);
  const key = readPem('WGNODE_TLS_KEY_FILE', files.keyFile);
  const clientCa = files.clientCaFile ? readPem('WGNODE_TLS_CLIENT_CA_FILE', files.clientCaFile) : null;
  const certificate = parse('WGNODE_TLS_CERT_FILE', files.certFile, 'a PEM certificate', () => new X509Certificate(cert));
  const privateKey = parse('WGNODE_TLS_KEY_FILE', files.keyFile, 'an unencrypted PEM private key', () => createPrivateKey(key));
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ConfigError(`WGNODE_TLS_KEY_FILE: ${files.keyFile} is not the private key of the certificate in WGNODE_TLS_CERT_FILE (${files.certFile})`);
  }
  // The private key is a credential like the tokens file: refused when group or others can read it.
  const loose = credentialFileProblem(files.keyFile, 'secret');
  if (loose) throw new ConfigError(`WGNODE_TLS_KEY_FILE: ${files.keyFile} ${loose}`);
  if (clientCa) parse('WGNODE_TLS_CLIENT_CA_FILE', files.clientCaFile!, 'a PEM CA certificate', () => new X509Certificate(clientCa));
  return { cert, key, clientCa, certificate };
}

/** The context half of the options: the same on start-up and on every reload (setSecureContext resets what it is not given). */
function secureContextOptions(material: TlsMaterial): SecureContextOptions {
  return {
    cert: material.cert,
    key: material.key,
    minVersion: 'TLSv1.2',
    ...(material.clientCa ? { ca: material.clientCa } : {}),
  };
}

/** Spread into serve({ fetch, hostname, port, ... }). */
export function tlsServeOptions(material: TlsMaterial): { createServer: typeof createServer; serverOptions: ServerOptions } {
  const serverOptions: ServerOptions = { ...secureContextOptions(material) };
  // Mutual TLS: a client without a certificate from the CA is refused in the handshake, so its
  // request (and its bearer token) never reaches the app.
  if (material.clientCa) Object.assign(serverOptions, { requestCert: true, rejectUnauthorized: true });
  return { createServer, serverOptions };
}

export interface TlsReloader {
  stop(): void;
}

/**
 * Polls the files (contents, not mtimes: a renewal by rename or a symlink swap counts too) and
 * loads them once they have stayed the same for one interval, so a cert written a moment before
 * its key is not tried half-done. Files that do not load keep the old context, with an error
 * logged. Stops by itself when the server closes.
 */
export function watchTlsFiles(server: object, files: TlsFiles, options: { log: Logger; intervalMs?: number }): TlsReloader {
  if (!(server instanceof TlsServer)) throw new TypeError('watchTlsFiles needs the HTTPS server tlsServeOptions() built');
  const { log } = options;
  const fingerprint = () =>
    [files.certFile, files.keyFile, files.clientCaFile]
      .map((path) => {
        if (!path) return '-';
        try {
          return createHash('sha256').update(readFileSync(path)).digest('hex');
        } catch (error) {
          return `unreadable:${(error as NodeJS.ErrnoException).code ?? 'error'}`;
        }
      })
      .join(',');
  let loaded = fingerprint();
  let seen = loaded;

  const timer = setInterval(() => {
    const now = fingerprint();
    if (now !== seen) {
      seen = now; // changed since the last look: wait one more interval for the writer to finish
      return;
    }
    if (now === loaded) return;
    loaded = now; // tried once per change: a bad file is reported once, not every interval
    try {
      const material = readTlsMaterial(files);
      server.setSecureContext(secureContextOptions(material));
      log.info(certificateFields(material), 'TLS certificate reloaded');
    } catch (error) {
      log.error({ reason: (error as Error).message }, 'TLS files changed but do not load: still serving the previous certificate');
    }
  }, options.intervalMs ?? 1000);
  timer.unref();
  const stop = () => clearInterval(timer);
  server.once('close', stop);
  return { stop };
}

export function certificateFields(material: TlsMaterial) {
  const { certificate } = material;
  return { subject: certificate.subject, serial: certificate.serialNumber, validTo: certificate.validTo, mutualTls: material.clientCa !== null };
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this host can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Start-up: say so, loudly, when bearer tokens would cross a network in clear. */
export function warnIfPlainHttpExposed(host: string, log: Logger): void {
  if (isLoopbackHost(host)) return;
  log.warn(
    { host },
    `INSECURE: serving plain HTTP on ${host}, beyond loopback: bearer tokens cross the network in clear. ` +
      'Set WGNODE_TLS_CERT_FILE and WGNODE_TLS_KEY_FILE to serve HTTPS, or WGNODE_HOST=127.0.0.1 behind a TLS proxy.',
  );
}

function readPem(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`${name}: cannot read ${path}: ${code === 'ENOENT' ? 'no such file (ENOENT)' : (code ?? 'error')}`);
  }
}

function parse<T>(name: string, path: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new ConfigError(`${name}: ${path} does not hold ${what} (${(error as Error).message})`);
  }
}
