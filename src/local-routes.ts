// Paths served only on the operator socket; shared by the server (src/local-socket.ts) and the CLI,
// which imports this tiny module instead of the server's.

/** The one route that exists only on the socket: a consistent snapshot of the registry, for `wgnode backup`. */
export const LOCAL_BACKUP_PATH = '/local/backup';
