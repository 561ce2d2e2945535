/**
 * Checks recorded exchanges with a GraphQL API against the provider's own schema (issue 25):
 * each request's document is validated with graphql's `validate` and its variables coerced
 * against the operation's variable definitions; each answer is type-checked against the
 * selection it answers: every selected field present, nothing unselected, each value of its
 * field's type (non-null, lists, scalars, enum values, object shapes), `errors` well formed.
 */

import {
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLEnumType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLScalarType,
  isAbstractType,
  isCompositeType,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { RecordedExchange } from '../../../src/emulators/kit/http-emulator.ts';
import type { AllowEntry } from './checker.ts';
import type { ApiDescriptionReport } from './report.ts';

export interface GraphqlDescription {
  /** The provider's schema (loaded once). */
  schema: () => GraphQLSchema;
  /** The path GraphQL requests are sent to. */
  endpoint: RegExp;
  /** Other paths the provider reads (e.g. a bulk result's file): counted as operations, not checked against the schema. */
  otherPaths?: Array<{ path: RegExp; operation: string; check?: (exchange: RecordedExchange) => string[] }>;
  allow: AllowEntry[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: unknown): value is Record<string, Json> => value !== null && typeof value === 'object' && !Array.isArray(value);

function scalarViolation(type: GraphQLScalarType, value: Json): string | null {
  switch (type.name) {
    case 'Int':
      return Number.isInteger(value) ? null : 'is not an Int';
    case 'Float':
      return typeof value === 'number' ? null : 'is not a Float';
    case 'Boolean':
      return typeof value === 'boolean' ? null : 'is not a Boolean';
    case 'ID':
      return typeof value === 'string' || Number.isInteger(value) ? null : 'is not an ID';
    case 'JSON':
      return null;
    default:
      // String and the schema's own scalars (DateTime, URL, Decimal, Money, UnsignedInt64, HTML…), which Shopify serializes as strings.
      return typeof value === 'string' ? null : `is not a ${type.name} (a string)`;
  }
}

class ResultChecker {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Record<string, FragmentDefinitionNode>,
    private readonly violations: string[],
  ) {}

  object(set: SelectionSetNode, parent: GraphQLCompositeType, value: Json, path: string): void {
    if (!isObject(value)) return void this.violations.push(`${path || '/'} is not an object`);
    const typename = typeof value.__typename === 'string' ? value.__typename : null;
    const runtime = typename ? this.schema.getType(typename) : isAbstractType(parent) ? null : parent;
    if (typename && (!runtime || (isAbstractType(parent) && !this.schema.isSubType(parent, runtime as never)))) this.violations.push(`${path} has __typename ${typename}, not a ${parent.name}`);
    const selected = new Set<string>();
    this.fields(set, parent, runtime && isCompositeType(runtime) ? runtime : null, value, path, selected);
    for (const key of Object.keys(value)) if (!selected.has(key)) this.violations.push(`${path}/${key} was not selected`);
  }

  private fields(set: SelectionSetNode, parent: GraphQLCompositeType, runtime: GraphQLCompositeType | null, value: Record<string, Json>, path: string, selected: Set<string>): void {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        selected.add(key);
        if (selection.name.value === '__typename') continue;
        const owner = runtime ?? parent;
        const definition = 'getFields' in owner ? owner.getFields()[selection.name.value] : undefined;
        if (!definition) continue;
        if (!(key in value)) {
          this.violations.push(`${path}/${key} is missing`);
          continue;
        }
        this.value(definition.type, selection.selectionSet, value[key]!, `${path}/${key}`);
        continue;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : this.fragments[selection.name.value];
      if (!fragment) continue;
      const condition = fragment.typeCondition ? this.schema.getType(fragment.typeCondition.name.value) : parent;
      if (!condition || !isCompositeType(condition)) continue;
      // A fragment applies when the object is of its type; without __typename, when its fields are there.
      const applies = runtime ? runtime === condition || (isAbstractType(condition) && this.schema.isSubType(condition, runtime as never)) : true;
      if (!applies) continue;
      if (!runtime && isAbstractType(parent) && condition !== parent) {
        const present = fragment.selectionSet.selections.every((s) => s.kind !== Kind.FIELD || (s.alias?.value ?? s.name.value) in value);
        if (!present) continue;
      }
      this.fields(fragment.selectionSet, condition, runtime ?? (isAbstractType(condition) ? null : condition), value, path, selected);
    }
  }

  private value(type: GraphQLOutputType, set: SelectionSetNode | undefined, value: Json, path: string): void {
    if (value === null) {
      if (type instanceof GraphQLNonNull) this.violations.push(`${path} is null, its type ${String(type)} is not`);
      return;
    }
    const nullable = getNullableType(type);
    if (nullable instanceof GraphQLList) {
      if (!Array.isArray(value)) return void this.violations.push(`${path} is not a list`);
      value.forEach((item) => this.value(nullable.ofType as GraphQLOutputType, set, item, `${path}/*`));
      return;
    }
    const named = getNamedType(nullable);
    if (named instanceof GraphQLScalarType) {
      const wrong = scalarViolation(named, value);
      if (wrong) this.violations.push(`${path} ${wrong}`);
    } else if (named instanceof GraphQLEnumType) {
      if (typeof value !== 'string' || !named.getValue(value)) this.violations.push(`${path} ${JSON.stringify(value)} is not a value of ${named.name}`);
    } else if (isCompositeType(named) && set) this.object(set, named, value, path);
  }
}

export interface GraphqlVerdict {
  operation: string | null;
  answerValidated: boolean;
  faultNotDescribed: boolean;
  violations: string[];
}

export function checkGraphqlExchange(description: GraphqlDescription, exchange: RecordedExchange): GraphqlVerdict {
  const verdict: GraphqlVerdict = { operation: null, answerValidated: false, faultNotDescribed: false, violations: [] };
  const other = description.otherPaths?.find((p) => p.path.test(exchange.path));
  if (other) {
    verdict.operation = other.operation;
    verdict.violations.push(...(other.check?.(exchange) ?? []).map((v) => `${other.operation}: ${v}`));
    return verdict;
  }
  if (!description.endpoint.test(exchange.path) || exchange.method !== 'POST') {
    verdict.violations.push(`${exchange.method} ${exchange.path}: not the GraphQL endpoint`);
    return verdict;
  }
  const schema = description.schema();
  let body: { query?: unknown; variables?: unknown; operationName?: unknown };
  let document: DocumentNode;
  try {
    body = JSON.parse(exchange.requestBody) as typeof body;
    if (typeof body.query !== 'string') throw new Error('the request has no query');
    document = parse(body.query);
  } catch (error) {
    verdict.violations.push(`POST ${exchange.path}: ${(error as Error).message}`);
    return verdict;
  }
  const operation = getOperationAST(document, typeof body.operationName === 'string' ? body.operationName : null);
  const rootFields = operation?.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : '…')).join(',') ?? '?';
  const name = `${operation?.operation ?? 'query'} ${rootFields}`;
  verdict.operation = name;
  const violation = (what: string) => verdict.violations.push(`${name}: ${what}`);
  for (const error of validate(schema, document)) violation(`request ${error.message}`);
  if (!operation) return verdict;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], isObject(body.variables) ? body.variables : {});
  for (const error of coerced.errors ?? []) violation(`variables ${error.message}`);
  if (exchange.status !== 200) {
    if (exchange.fault || exchange.status === 429) verdict.faultNotDescribed = true;
    else violation(`answers HTTP ${exchange.status}`);
    return verdict;
  }
  if (exchange.cut) return verdict;
  let answer: Json;
  try {
    answer = JSON.parse(exchange.answerBody) as Json;
  } catch {
    violation('the answer is not JSON');
    return verdict;
  }
  verdict.answerValidated = true;
  if (!isObject(answer)) {
    violation('the answer is not an object');
    return verdict;
  }
  for (const key of Object.keys(answer)) if (!['data', 'errors', 'extensions'].includes(key)) violation(`the answer has "${key}"`);
  if ('errors' in answer) {
    if (!Array.isArray(answer.errors) || answer.errors.length === 0) violation('"errors" is not a non-empty list');
    else for (const error of answer.errors) if (!isObject(error) || typeof error.message !== 'string') violation('an error has no message');
  } else if (!('data' in answer)) violation('the answer has neither data nor errors');
  const cost = isObject(answer.extensions) ? answer.extensions.cost : undefined;
  if (cost !== undefined) {
    const status = isObject(cost) ? cost.throttleStatus : undefined;
    if (!isObject(cost) || typeof cost.requestedQueryCost !== 'number' || !isObject(status) || ['maximumAvailable', 'currentlyAvailable', 'restoreRate'].some((k) => typeof status[k] !== 'number')) {
      violation('extensions.cost is not {requestedQueryCost, actualQueryCost, throttleStatus {maximumAvailable, currentlyAvailable, restoreRate}}');
    }
  }
  if (answer.data !== undefined && answer.data !== null) {
    const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
    const fragments = Object.fromEntries(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
    const found: string[] = [];
    if (root) new ResultChecker(schema, fragments, found).object(operation.selectionSet, root, answer.data, '');
    for (const f of found) violation(`answer data${f}`);
  }
  return verdict;
}

export function checkGraphqlExchanges(description: GraphqlDescription, exchanges: readonly RecordedExchange[], dropped = 0): ApiDescriptionReport {
  const report: ApiDescriptionReport = { operations: new Map(), answersValidated: 0, faultsNotDescribed: 0, violations: new Map(), allowed: new Map(description.allow.map((e) => [e, 0])), dropped };
  for (const exchange of exchanges) {
    const verdict = checkGraphqlExchange(description, exchange);
    if (verdict.operation) report.operations.set(verdict.operation, (report.operations.get(verdict.operation) ?? 0) + 1);
    if (verdict.answerValidated) report.answersValidated++;
    if (verdict.faultNotDescribed) report.faultsNotDescribed++;
    for (const violation of verdict.violations) {
      const entry = description.allow.find((e) => e.match.test(violation));
      if (entry) report.allowed.set(entry, (report.allowed.get(entry) ?? 0) + 1);
      else report.violations.set(violation, (report.violations.get(violation) ?? 0) + 1);
    }
  }
  return report;
}
