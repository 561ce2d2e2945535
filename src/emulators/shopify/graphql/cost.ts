/**
 * Shopify's calculated query cost (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits):
 * scalars and enums 0, objects 1, connections 2 plus `first`/`last` times the cost of one item,
 * mutations 10. A query may request at most 1,000; the shop's bucket (standard plan: 2,000,
 * restoring 100 a second) must hold the requested cost before the query runs, and is refunded
 * the difference once the actual cost (from the items really returned) is known.
 */

import { getNamedType, isCompositeType, Kind, type FragmentDefinitionNode, type GraphQLCompositeType, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

export const MAX_QUERY_COST = 1_000;
const MUTATION_COST = 10;

export interface CostLimit {
  maximumAvailable: number;
  restoreRate: number;
}

/** Shopify's standard plan. */
export const STANDARD_COST_LIMIT: CostLimit = { maximumAvailable: 2_000, restoreRate: 100 };

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

const isConnection = (type: GraphQLCompositeType): boolean => type.name.endsWith('Connection');

function argument(node: { arguments?: readonly { name: { value: string }; value: { kind: string } }[] }, name: string, walk: Walk): unknown {
  const arg = node.arguments?.find((a) => a.name.value === name);
  if (!arg) return undefined;
  const value = arg.value as { kind: string; value?: string; name?: { value: string } };
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) return walk.variables[value.name!.value];
  return undefined;
}

/** Each field of `set` (fragments spread) with its type's named type, or null for scalars. */
function* fields(set: SelectionSetNode, parent: GraphQLCompositeType, walk: Walk): Generator<{ node: Extract<SelectionSetNode['selections'][number], { kind: Kind.FIELD }>; type: GraphQLCompositeType | null }> {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      const definition = 'getFields' in parent ? parent.getFields()[selection.name.value] : undefined;
      const named = definition ? getNamedType(definition.type) : null;
      yield { node: selection, type: named && isCompositeType(named) ? named : null };
    } else {
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : walk.fragments[selection.name.value];
      if (!fragment) continue;
      const condition = fragment.typeCondition ? walk.schema.getType(fragment.typeCondition.name.value) : parent;
      if (condition && isCompositeType(condition)) yield* fields(fragment.selectionSet, condition, walk);
    }
  }
}

function requested(set: SelectionSetNode | undefined, parent: GraphQLCompositeType, walk: Walk): number {
  if (!set) return 0;
  let cost = 0;
  for (const { node, type } of fields(set, parent, walk)) {
    if (!type) continue;
    if (isConnection(type)) {
      const size = Number(argument(node, 'first', walk) ?? argument(node, 'last', walk) ?? 1) || 1;
      cost += 2 + size * itemCost(node.selectionSet, type, walk, (s, t) => requested(s, t, walk));
    } else cost += 1 + requested(node.selectionSet, type, walk);
  }
  return cost;
}

/** The cost of one item of a connection: its `nodes` / `edges { node }` selections. */
function itemCost(set: SelectionSetNode | undefined, connection: GraphQLCompositeType, walk: Walk, cost: (set: SelectionSetNode | undefined, type: GraphQLCompositeType) => number): number {
  if (!set) return 0;
  let total = 0;
  for (const { node, type } of fields(set, connection, walk)) {
    if (!type) continue;
    if (node.name.value === 'nodes') total += 1 + cost(node.selectionSet, type);
    if (node.name.value === 'edges') for (const inner of fields(node.selectionSet!, type, walk)) if (inner.type && inner.node.name.value === 'node') total += 1 + cost(inner.node.selectionSet, inner.type);
  }
  return total;
}

function actual(set: SelectionSetNode | undefined, parent: GraphQLCompositeType, value: unknown, walk: Walk): number {
  if (!set || value === null || typeof value !== 'object') return 0;
  let cost = 0;
  for (const { node, type } of fields(set, parent, walk)) {
    if (!type) continue;
    const child = (value as Record<string, unknown>)[node.alias?.value ?? node.name.value];
    if (child === null || child === undefined) continue;
    if (isConnection(type)) {
      cost += 2 + itemsActual(node.selectionSet, type, child, walk);
    } else if (Array.isArray(child)) cost += child.reduce((sum: number, item) => sum + 1 + actual(node.selectionSet, type, item, walk), 0);
    else cost += 1 + actual(node.selectionSet, type, child, walk);
  }
  return cost;
}

function itemsActual(set: SelectionSetNode | undefined, connection: GraphQLCompositeType, value: unknown, walk: Walk): number {
  if (!set) return 0;
  let total = 0;
  for (const { node, type } of fields(set, connection, walk)) {
    if (!type) continue;
    const list = (value as Record<string, unknown>)[node.alias?.value ?? node.name.value];
    if (!Array.isArray(list)) continue;
    if (node.name.value === 'nodes') total += list.reduce((sum: number, item) => sum + 1 + actual(node.selectionSet, type, item, walk), 0);
    if (node.name.value === 'edges') {
      for (const inner of fields(node.selectionSet!, type, walk)) {
        if (inner.type && inner.node.name.value === 'node') total += list.reduce((sum: number, edge) => sum + 1 + actual(inner.node.selectionSet, inner.type!, (edge as Record<string, unknown>)[inner.node.alias?.value ?? 'node'], walk), 0);
      }
    }
  }
  return total;
}

export interface QueryCost {
  requested: number;
  actual: (data: unknown) => number;
}

export function queryCost(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Record<string, FragmentDefinitionNode>, variables: Record<string, unknown>): QueryCost {
  const walk: Walk = { schema, fragments, variables };
  const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  if (!root) return { requested: 0, actual: () => 0 };
  const mutation = operation.operation === 'mutation';
  const rootFields = [...fields(operation.selectionSet, root, walk)].length;
  const base = mutation ? MUTATION_COST * rootFields : 0;
  return {
    requested: base + requested(operation.selectionSet, root, walk),
    actual: (data) => base + actual(operation.selectionSet, root, data, walk),
  };
}

/** The shop's leaky bucket of cost points. */
export class CostBucket {
  private available: number;
  private at: number;

  constructor(
    readonly limit: CostLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.available = limit.maximumAvailable;
    this.at = now();
  }

  private refill(): void {
    const now = this.now();
    this.available = Math.min(this.limit.maximumAvailable, this.available + ((now - this.at) / 1000) * this.limit.restoreRate);
    this.at = now;
  }

  /** Takes `cost` points when the bucket holds them (true), else takes nothing (false). */
  take(cost: number): boolean {
    this.refill();
    if (cost > this.available) return false;
    this.available -= cost;
    return true;
  }

  refund(points: number): void {
    this.refill();
    this.available = Math.min(this.limit.maximumAvailable, this.available + Math.max(0, points));
  }

  status(): ThrottleStatus {
    this.refill();
    return { maximumAvailable: this.limit.maximumAvailable, currentlyAvailable: Math.floor(this.available), restoreRate: this.limit.restoreRate };
  }
}
