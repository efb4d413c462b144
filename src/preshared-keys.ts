// Preshared keys at rest. The reconciler must put a peer back with its preshared key after an
// interface restart, so the key is stored; it is sealed with AES-256-GCM under a node key that
// lives in its own file (WGNODE_PSK_KEY_FILE), not in the database: a copy of the registry (a
// backup, a support bundle) holds no usable preshared key. The session's public key is the
// associated data, so a sealed key copied onto another row does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

export interface PresharedKeySealer {
  seal(presharedKey: string, publicKey: string): string;
  /** Throws when the sealed value was not made by this node key for this public key. */
  open(sealed: string, publicKey: string): string;
}

const VERSION = 'v1';

export function createPresharedKeySealer(nodeKey: Buffer): PresharedKeySealer {
  if (nodeKey.length !== 32) throw new Error('the preshared-key node key must be 32 bytes');
  return {
    seal(presharedKey, publicKey) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', nodeKey, iv).setAAD(Buffer.from(publicKey));
      const body = Buffer.concat([cipher.update(presharedKey, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
    },
    open(sealed, publicKey) {
      const [version, iv, tag, body] = sealed.split(':');
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed preshared key');
      const decipher = createDecipheriv('aes-256-gcm', nodeKey, Buffer.from(iv, 'base64')).setAAD(Buffer.from(publicKey));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    },
  };
}

/**
 * The node key from `path` (32 bytes, base64), created 0600 when absent (first start). null path
 * (an in-memory registry): a key for this process only, which is all such a registry lives.
 */
export function loadNodeKey(path: string | null): Buffer {
  if (path === null) return randomBytes(32);
  try {
    return parseNodeKey(readFileSync(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  let fd: number;
  try {
    // 'wx': never overwrite a key another process just wrote (that would orphan every sealed key).
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return parseNodeKey(readFileSync(path, 'utf8'), path);
    throw error;
  }
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
  } finally {
    closeSync(fd);
  }
  return key;
}

function parseNodeKey(text: string, path: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${path} must hold a 32-byte key in base64`);
  return key;
}
