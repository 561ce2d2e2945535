/** Address and shipping parameters, shared by customers and charges. */

import { errors } from '../errors.ts';
import type { JsonObject } from '../json.ts';
import { address } from '../objects.ts';
import type { Params } from '../params.ts';

const ADDRESS_KEYS = ['city', 'country', 'line1', 'line2', 'postal_code', 'state'];

function addressFrom(p: Params): JsonObject {
  p.allow(ADDRESS_KEYS);
  const fields: Record<string, string | null> = {};
  for (const key of ADDRESS_KEYS) {
    const value = p.nullableString(key, 200);
    if (value !== undefined) fields[key] = value;
  }
  return address(fields);
}

/** `current` with the fields `p` sends; null when the address is unset (`address=`). */
export function mergeAddress(current: JsonObject | null, p: Params | null): JsonObject | null {
  if (p === null) return null;
  p.allow(ADDRESS_KEYS);
  const next = { ...(current ?? address()) };
  for (const key of ADDRESS_KEYS) {
    const value = p.nullableString(key, 200);
    if (value !== undefined) next[key] = value;
  }
  return next;
}

/** The `shipping` hash (with carrier and tracking number on charges); null when unset, undefined when absent. */
export function parseShipping(params: Params, key: string, withTracking = false): JsonObject | null | undefined {
  const shipping = params.object(key);
  if (shipping === undefined || shipping === null) return shipping;
  shipping.allow(withTracking ? ['address', 'carrier', 'name', 'phone', 'tracking_number'] : ['address', 'name', 'phone']);
  const addressParams = shipping.object('address');
  if (!addressParams) throw errors.parameterMissing(shipping.name('address'));
  const out: JsonObject = {
    address: addressFrom(addressParams),
    name: shipping.requiredString('name', 5000),
    phone: shipping.nullableString('phone', 5000) ?? null,
  };
  if (withTracking) {
    out['carrier'] = shipping.nullableString('carrier', 5000) ?? null;
    out['tracking_number'] = shipping.nullableString('tracking_number', 5000) ?? null;
  }
  return out;
}
