// What one query may ask for. The control plane's largest operation is a few dozen fields, depth 3;
// these bounds leave it ample room and stop the classic abuse (deep nesting, alias fan-out,
// token floods, directive spam, field-name probing). Every rule here is a pure function of the
// document: the handler caches validation results per query text.
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type ASTVisitor,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxCost: number;
  /** Enforced by the parser itself (graphql's `maxTokens`), before any rule runs. */
  maxTokens: number;
  /** Fields selected, fragments expanded: bounds the quadratic overlap check and fragment bombs. */
  maxFields: number;
  introspection: boolean;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 8,
  maxAliases: 50,
  maxDirectives: 20,
  // graphql-armor multiplies a list's cost by its literal `first`: one full page of sessions
  // (first: 500, every field) costs about 23,000; this allows two, not fifty.
  maxCost: 50_000,
  maxTokens: 2000,
  maxFields: 200,
  introspection: false,
};

/** graphql-armor's rules, reporting a validation error (400) instead of throwing out of validate(). */
export function createLimitRules(limits: QueryLimits): ValidationRule[] {
  const report = {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(
          new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
        ),
    ],
  };
  const rules: ValidationRule[] = [
    maxFieldsRule(limits.maxFields),
    maxDepthRule({ n: limits.maxDepth, ...report }),
    maxAliasesRule({ n: limits.maxAliases, ...report }),
    maxDirectivesRule({ n: limits.maxDirectives, ...report }),
    costLimitRule({ maxCost: limits.maxCost, ...report }),
  ];
  if (!limits.introspection) rules.push(NoSchemaIntrospectionCustomRule);
  return rules;
}

/**
 * graphql's "Did you mean …?" hints let a caller map the schema with introspection off; the
 * message keeps its first sentence only (graphql-armor's block-field-suggestions, as a formatter).
 */
export function hideSuggestions(message: string): string {
  return message.replace(/\s*Did you mean .+\?$/s, '');
}

/** Counts the fields an operation selects, each fragment spread expanded (memoized, cycles count 0). */
function maxFieldsRule(max: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragmentFields = new Map<string, number>();
    const count = (set: SelectionSetNode, inProgress: Set<string>): number => {
      let n = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) n += 1 + (selection.selectionSet ? count(selection.selectionSet, inProgress) : 0);
        else if (selection.kind === Kind.INLINE_FRAGMENT) n += count(selection.selectionSet, inProgress);
        else {
          const name = selection.name.value;
          const fragment = context.getFragment(name);
          if (!fragment || inProgress.has(name)) continue; // unknown or cyclic: the spec rules report it
          if (!fragmentFields.has(name)) {
            inProgress.add(name);
            fragmentFields.set(name, count(fragment.selectionSet, inProgress));
            inProgress.delete(name);
          }
          n += fragmentFields.get(name)!;
        }
        if (n > max) return n; // enough to refuse; a fragment bomb would take forever to total
      }
      return n;
    };
    return {
      OperationDefinition(operation) {
        const n = count(operation.selectionSet, new Set());
        if (n > max) {
          context.reportError(
            new GraphQLError(`Query selects more than ${max} fields (fragments expanded)`, { nodes: [operation], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
          );
        }
      },
    };
  };
}

