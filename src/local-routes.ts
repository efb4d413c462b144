// Paths served only on the operator socket; shared by the server (src/local-socket.ts) and the CLI,
// which imports this tiny module instead of the server's.
export const LOCAL_BACKUP_PATH = '/local/backup';
