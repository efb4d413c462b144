// Who a credential speaks for. `name` goes to the audit log; the secret never does.
export interface Principal {
  name: string;
  scopes: ReadonlySet<string>;
}

/** Resolves a bearer token to its principal, or null when the token is not valid. */
export type Authenticator = (token: string) => Principal | null | Promise<Principal | null>;
