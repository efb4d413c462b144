// Checks the arguments every operation shares (ids ≥ 1, a sane reason) before anything executes,
// so a query and a mutation refuse them alike: HTTP 400, BAD_USER_INPUT, and no `data` at all.
// The use cases check the same values again (sessions/validate.ts); this is the early, uniform
// answer, not the only line of defence.
import { GraphQLError, Kind, visit, type ArgumentNode, type DocumentNode, type OperationDefinitionNode, type ValueNode } from 'graphql';
import { DomainError } from '../sessions/index.js';
import { checkId, checkReason } from '../sessions/validate.js';

const ID_ARGUMENTS = new Set(['userId', 'deviceId']);

/** The first bad argument of the chosen operation, as a GraphQL error; null when all are fine. */
export function checkArguments(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): GraphQLError | null {
  const valueOf = (node: ValueNode): unknown => {
    if (node.kind === Kind.VARIABLE) return variables?.[node.name.value];
    if (node.kind === Kind.INT) return Number(node.value);
    if (node.kind === Kind.STRING) return node.value;
    return undefined; // other kinds are the type system's business
  };
  for (const node of argumentsOf(document, operationName)) {
    const name = node.name.value;
    const value = valueOf(node.value);
    try {
      // Only whole numbers below 1: anything else that is wrong (2^53, 1.5, "1") fails Int coercion.
      if (ID_ARGUMENTS.has(name) && Number.isInteger(value) && (value as number) < 1) checkId(name, value as number);
      if (name === 'reason' && typeof value === 'string') checkReason(value);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return new GraphQLError(error.message, { nodes: [node], extensions: { code: error.code } });
    }
  }
  return null;
}

// The argument nodes of an operation depend only on the (cached, immutable) document: found
// once per document and operation name, so a request only looks at its variables' values.
const argumentsCache = new WeakMap<DocumentNode, Map<string | null, readonly ArgumentNode[]>>();

function argumentsOf(document: DocumentNode, operationName: string | null | undefined): readonly ArgumentNode[] {
  let byOperation = argumentsCache.get(document);
  if (!byOperation) argumentsCache.set(document, (byOperation = new Map<string | null, readonly ArgumentNode[]>()));
  const key = operationName ?? null;
  let found = byOperation.get(key);
  if (found) return found;
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (operationName == null || d.name?.value === operationName),
  );
  // Only names the document defines are kept (a caller's made-up names must not grow the map).
  if (!operation) return [];
  const collected: ArgumentNode[] = [];
  // Fragments are not followed: the schema's id and reason arguments sit on root fields.
  visit(operation, { Argument: (node) => void collected.push(node) });
  byOperation.set(key, (found = collected));
  return found;
}
