/** Stripe-style ids and fake data on the emulators' shared PRNG. */

import { Random } from '../kit/random.ts';

export { Random, fakePerson, type FakePerson } from '../kit/random.ts';

/** Id prefixes and body lengths as Stripe uses them. */
const ID_FORMATS = {
  cus: 14,
  prod: 14,
  price: 24,
  sub: 24,
  si: 14,
  in: 24,
  il: 24,
  ch: 24,
  evt: 24,
  txn: 24,
  pm: 24,
  we: 24,
} as const;

export type IdPrefix = keyof typeof ID_FORMATS;

export function stripeId(random: Random, prefix: IdPrefix): string {
  return `${prefix}_${random.string(ID_FORMATS[prefix])}`;
}

/** Request ids are not part of the deterministic stream (they depend on traffic). */
export function requestId(): string {
  return `req_${new Random((Math.random() * 4294967296) >>> 0).string(14)}`;
}

const PRODUCT_WORDS = ['Starter', 'Pro', 'Team', 'Business', 'Enterprise', 'Analytics', 'Storage', 'Support', 'Seats', 'Compute', 'Bandwidth', 'Insights'];

export function fakeProductName(random: Random): string {
  return `${random.pick(PRODUCT_WORDS)} ${random.pick(PRODUCT_WORDS)} ${random.string(3, 'ABCDEFGHJKLMNPQRSTUVWXYZ')}`;
}

export function fakeInvoicePrefix(random: Random): string {
  return random.string(8, 'ABCDEF0123456789');
}
