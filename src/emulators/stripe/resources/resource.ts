import type { JsonObject } from '../json.ts';
import type { StripeCollection } from '../objects.ts';
import type { Params } from '../params.ts';
import type { RequestContext, StoredEntry } from '../store.ts';
import type { ListFilter } from './listing.ts';

/** A change to a stored object, made once every parameter of the request is checked. */
export type Change = (draft: JsonObject) => void;

/** `POST /v1/<path>/:id/<action>` (or `DELETE /v1/<path>/:id`): the object as Stripe answers it. */
export type ObjectAction = (id: string, params: Params, ctx: RequestContext) => JsonObject;

/**
 * The rules of one Stripe resource (`/v1/customers`, …): what its writes accept and change and
 * what its list filters on. The endpoints every resource shares (collection-endpoints.ts) call them.
 */
export interface CollectionResource {
  readonly collection: StripeCollection;
  /** A deleted object is still answered by a retrieve, as `{id, object, deleted: true}`. */
  readonly retrievableWhenDeleted?: boolean;
  /** Read before the list's parameters are checked: the first bad value is the one Stripe names. */
  listFilter(params: Params): ListFilter;
  /** The new object, rendered. */
  create(params: Params, ctx: RequestContext): JsonObject;
  /** Checks an update's parameters and returns the change it makes. */
  update(params: Params, entry: StoredEntry, ctx: RequestContext): Change;
  /** `DELETE /v1/<path>/:id`, for the resources that have it. */
  readonly remove?: ObjectAction;
  readonly actions?: ReadonlyMap<string, ObjectAction>;
}
