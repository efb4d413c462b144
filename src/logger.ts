// Structured JSON logs (pino). Secrets never reach a log line: credentials are redacted by path,
// and the wireguard layer never hands a private key upward in the first place.
import { pino, type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  /** A pino level (config.ts validates WGNODE_LOG_LEVEL); default info. */
  level?: string;
  /** Human-readable lines; default: when stdout is a terminal (JSON for log shippers otherwise). */
  pretty?: boolean;
  /** Where lines go (tests capture them); default stdout. */
  destination?: DestinationStream;
}

// Wherever a credential or a key could sit in a logged object. Explicit paths, plus one
// wildcard for the worst case (a private key): each wildcard path costs ~µs on EVERY line, and
// nothing here hands a secret to the logger in the first place (the dump parser drops the key).
const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'token',
  'adminToken',
  'config.adminToken',
  'secret',
  'privateKey',
  'presharedKey',
  '*.privateKey',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    base: { service: 'wgnode' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  // pino-pretty in-process (no worker thread): it is only for an operator watching a terminal.
  const destination = pretty ? pinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', destination: options.destination ?? 1 }) : options.destination;
  return destination ? pino(settings, destination) : pino(settings);
}

export const silentLogger: Logger = pino({ level: 'silent' });
