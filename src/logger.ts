// Structured JSON logs (pino). Secrets never reach a log line: credentials are redacted by path,
// and the wireguard layer never hands a private key upward in the first place.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(options: { level?: string } = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    base: { service: 'wgnode' },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'token', 'privateKey', '*.privateKey'], censor: '[redacted]' },
  });
}

export const silentLogger: Logger = pino({ level: 'silent' });
