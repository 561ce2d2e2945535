/** A currency as Stripe takes it (lower-cased first): three letters. */
export const CURRENCY = /^[a-z]{3}$/;
