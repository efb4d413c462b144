// Limits of the GraphQL API that the server enforces and the CLI respects before it asks: one
// definition each, so the two cannot drift apart.

/** An id as text (a session id, or a user or device id on the command line): a positive whole
 *  number of at most 15 digits, so it is a safe integer; no sign, no leading zero. */
export const ID_PATTERN = /^[1-9]\d{0,14}$/;

/** The largest `first` a connection (sessions, auditLog) accepts. */
export const MAX_PAGE_SIZE = 500;
