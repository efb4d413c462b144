// A resolver whose field carries its own errors (bulk results) can still say what the HTTP
// status should be: e.g. 503 when removals were recorded but not confirmed. The hint is kept per
// request context (a WeakMap, so nothing leaks) and the handler takes the highest one.
const hints = new WeakMap<object, number>();

export function raiseResponseStatus(context: object, status: number): void {
  hints.set(context, Math.max(hints.get(context) ?? 0, status));
}

export function responseStatusHint(context: object): number {
  return hints.get(context) ?? 0;
}
