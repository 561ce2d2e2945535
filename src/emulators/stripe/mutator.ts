/**
 * Random creates / updates / deletes, made through the same endpoint code as API requests (so
 * they validate and emit events exactly like them), with `request: {id: null}` as Stripe gives
 * changes it makes on its own.
 */

import type { Logger } from 'pino';
import type { StripeApi } from './api.ts';
import { StripeApiError } from './errors.ts';
import { emptyForm, type FormObject, type FormValue } from './form.ts';
import type { JsonObject } from './json.ts';
import { COLLECTIONS, invoiceLineObject, invoiceObject, type StripeCollection } from './objects.ts';
import { fakePerson, fakeProductName, type Random } from './random.ts';
import { NO_REQUEST, type Store, type StoredEntry } from './store.ts';

export interface MutationReport {
  created: string[];
  updated: string[];
  deleted: string[];
}

type Outcome = { kind: keyof MutationReport; id: string } | null;

/** Form params from a plain nested object of strings. */
function form(value: Record<string, FormValue | Record<string, FormValue> | undefined>): FormObject {
  const out = emptyForm();
  for (const [key, child] of Object.entries(value)) if (child !== undefined) out[key] = child as FormValue;
  return out;
}

export class Mutator {
  constructor(
    private readonly store: Store,
    private readonly api: StripeApi,
    private readonly random: Random,
    private readonly logger?: Logger,
  ) {}

  mutate(n: number, collections: readonly StripeCollection[] = COLLECTIONS): MutationReport {
    const report: MutationReport = { created: [], updated: [], deleted: [] };
    const pool = collections.length > 0 ? collections : COLLECTIONS;
    for (let i = 0; i < n; i++) {
      // A mutation that happened to change nothing (same value drawn twice) emits no event and is
      // not reported; draw again a few times so that `n` mutations make `n` changes.
      for (let attempt = 0; attempt < 5; attempt++) {
        const collection = this.random.pick(pool);
        const roll = this.random.next();
        const kind: keyof MutationReport = roll < 0.4 ? 'created' : roll < 0.85 ? 'updated' : 'deleted';
        const eventsBefore = this.store.events.size;
        let outcome: Outcome = null;
        try {
          outcome = this.apply(collection, kind);
        } catch (error) {
          if (!(error instanceof StripeApiError)) throw error;
          this.logger?.warn({ collection, kind, err: error.message }, 'stripe emulator: random mutation rejected');
        }
        if (outcome && this.store.events.size > eventsBefore) {
          report[outcome.kind].push(outcome.id);
          break;
        }
      }
    }
    return report;
  }

  private call(method: string, path: string, params: FormObject = emptyForm()): JsonObject {
    return this.api.handle({ method, path, params, ctx: NO_REQUEST }).body;
  }

  /** A random live entry matching `accept`: a few random probes, then a scan. */
  private pickLive(collection: StripeCollection, accept: (value: JsonObject) => boolean = () => true): StoredEntry | undefined {
    const all = this.store.index(collection).all();
    if (all.length === 0) return undefined;
    for (let attempt = 0; attempt < 16; attempt++) {
      const entry = all[this.random.int(0, all.length - 1)] as StoredEntry;
      if (!entry.deleted && accept(entry.value)) return entry;
    }
    const matching = all.filter((entry) => !entry.deleted && accept(entry.value));
    return matching.length > 0 ? this.random.pick(matching) : undefined;
  }

  private apply(collection: StripeCollection, kind: keyof MutationReport): Outcome {
    if (kind === 'created') return this.create(collection);
    if (kind === 'updated') return this.update(collection) ?? this.create(collection);
    return this.remove(collection) ?? this.create(collection);
  }

  // ----- creates -----

  private create(collection: StripeCollection): Outcome {
    switch (collection) {
      case 'customer': {
        const person = fakePerson(this.random);
        const body = this.call('POST', '/v1/customers', form({
          name: person.name,
          email: person.email,
          phone: this.random.chance(0.5) ? person.phone : undefined,
          metadata: this.random.chance(0.5) ? form({ source: 'emulator' }) : undefined,
        }));
        return { kind: 'created', id: body['id'] as string };
      }
      case 'product': {
        const body = this.call('POST', '/v1/products', form({
          name: fakeProductName(this.random),
          description: this.random.chance(0.5) ? 'Created by a random mutation' : undefined,
        }));
        return { kind: 'created', id: body['id'] as string };
      }
      case 'price': {
        const product = this.pickLive('product', (p) => p['active'] === true);
        if (!product) return this.create('product');
        const recurring = this.random.chance(0.7);
        const body = this.call('POST', '/v1/prices', form({
          product: product.id,
          currency: 'usd',
          unit_amount: String(this.random.pick([700, 1200, 2500, 4000, 9900])),
          recurring: recurring ? form({ interval: this.random.chance(0.8) ? 'month' : 'year' }) : undefined,
          nickname: this.random.chance(0.5) ? `Plan ${this.random.string(4)}` : undefined,
        }));
        return { kind: 'created', id: body['id'] as string };
      }
      case 'subscription': {
        const customer = this.pickLive('customer');
        if (!customer) return this.create('customer');
        const price = this.pickLive('price', (p) => p['active'] === true && p['type'] === 'recurring');
        if (!price) return this.create('price');
        const body = this.call('POST', '/v1/subscriptions', form({
          customer: customer.id,
          items: form({ 0: form({ price: price.id, quantity: String(this.random.int(1, 5)) }) }),
          trial_period_days: this.random.chance(0.2) ? '14' : undefined,
        }));
        return { kind: 'created', id: body['id'] as string };
      }
      case 'invoice':
        return this.createInvoice();
      case 'charge': {
        const customer = this.pickLive('customer');
        if (!customer) return this.create('customer');
        const body = this.call('POST', '/v1/charges', form({
          customer: customer.id,
          amount: String(this.random.int(5, 300) * 100),
          currency: 'usd',
          description: this.random.chance(0.5) ? 'Random mutation charge' : undefined,
        }));
        return { kind: 'created', id: body['id'] as string };
      }
    }
  }

  /**
   * A draft invoice with a line or two. Invoice items are not modelled as an API, so this writes
   * the invoice directly (the event is the same `invoice.created` an API create emits).
   */
  private createInvoice(): Outcome {
    const customer = this.pickLive('customer');
    if (!customer) return this.create('customer');
    const price = this.pickLive('price', (p) => p['active'] === true);
    const id = this.store.newId('in');
    const now = this.store.now();
    const quantity = this.random.int(1, 3);
    const lines = price
      ? [
          invoiceLineObject({
            id: this.store.newId('il'),
            invoice: id,
            amount: (price.value['unit_amount'] as number) * quantity,
            currency: price.value['currency'] as string,
            description: `${quantity} × ${String(price.value['nickname'] ?? 'item')}`,
            quantity,
            price: price.id,
            product: price.value['product'] as string,
            unitAmount: price.value['unit_amount'] as number,
            periodStart: now,
            periodEnd: now,
            subscription: null,
            subscriptionItem: null,
          }),
        ]
      : [];
    const value = invoiceObject({
      id,
      created: now,
      customer: customer.value,
      currency: price ? (price.value['currency'] as string) : 'usd',
      lines,
    });
    this.store.create('invoice', value, NO_REQUEST);
    return { kind: 'created', id };
  }

  // ----- updates -----

  private update(collection: StripeCollection): Outcome {
    const stamp = this.random.string(6);
    switch (collection) {
      case 'customer': {
        const entry = this.pickLive('customer');
        if (!entry) return null;
        const choice = this.random.int(0, 4);
        const metadata = entry.value['metadata'] as Record<string, string>;
        const params =
          choice === 0
            ? form({ name: fakePerson(this.random).name })
            : choice === 1
              ? form({ email: fakePerson(this.random).email })
              : choice === 2
                ? form({ description: `Updated ${stamp}` })
                : choice === 3 && Object.keys(metadata).length > 0
                  ? form({ metadata: form({ [this.random.pick(Object.keys(metadata))]: '' }) })
                  : form({ metadata: form({ tier: this.random.pick(['bronze', 'silver', 'gold']), rev: stamp }) });
        this.call('POST', `/v1/customers/${entry.id}`, params);
        return { kind: 'updated', id: entry.id };
      }
      case 'product': {
        const entry = this.pickLive('product');
        if (!entry) return null;
        const params = this.random.chance(0.5) ? form({ name: fakeProductName(this.random) }) : form({ metadata: form({ rev: stamp }) });
        this.call('POST', `/v1/products/${entry.id}`, params);
        return { kind: 'updated', id: entry.id };
      }
      case 'price': {
        const entry = this.pickLive('price');
        if (!entry) return null;
        this.call('POST', `/v1/prices/${entry.id}`, this.random.chance(0.5) ? form({ nickname: `Plan ${stamp}` }) : form({ metadata: form({ rev: stamp }) }));
        return { kind: 'updated', id: entry.id };
      }
      case 'subscription': {
        const entry = this.pickLive('subscription', (v) => v['status'] !== 'canceled');
        if (!entry) return null;
        const items = (entry.value['items'] as JsonObject)['data'] as JsonObject[];
        const choice = this.random.int(0, 2);
        const params =
          choice === 0
            ? form({ cancel_at_period_end: entry.value['cancel_at_period_end'] === true ? 'false' : 'true' })
            : choice === 1 && items[0]
              ? form({ items: form({ 0: form({ id: items[0]['id'] as string, quantity: String(this.random.int(1, 10)) }) }) })
              : form({ metadata: form({ rev: stamp }) });
        this.call('POST', `/v1/subscriptions/${entry.id}`, params);
        return { kind: 'updated', id: entry.id };
      }
      case 'invoice': {
        const entry = this.pickLive('invoice');
        if (!entry) return null;
        const status = entry.value['status'];
        if (status === 'draft' && this.random.chance(0.7)) {
          this.call('POST', `/v1/invoices/${entry.id}/finalize`);
        } else if (status === 'open') {
          this.call('POST', `/v1/invoices/${entry.id}/${this.random.chance(0.8) ? 'pay' : 'void'}`);
        } else {
          this.call('POST', `/v1/invoices/${entry.id}`, form({ metadata: form({ rev: stamp }) }));
        }
        return { kind: 'updated', id: entry.id };
      }
      case 'charge': {
        const entry = this.pickLive('charge');
        if (!entry) return null;
        if (entry.value['refunded'] === false && this.random.chance(0.25)) {
          this.call('POST', `/v1/charges/${entry.id}/refund`);
        } else {
          this.call('POST', `/v1/charges/${entry.id}`, this.random.chance(0.5) ? form({ description: `Updated ${stamp}` }) : form({ metadata: form({ rev: stamp }) }));
        }
        return { kind: 'updated', id: entry.id };
      }
    }
  }

  // ----- deletes (or what Stripe offers instead) -----

  private remove(collection: StripeCollection): Outcome {
    switch (collection) {
      case 'customer': {
        const entry = this.pickLive('customer');
        if (!entry) return null;
        this.call('DELETE', `/v1/customers/${entry.id}`);
        return { kind: 'deleted', id: entry.id };
      }
      case 'product': {
        const withPrices = new Set(this.store.index('price').all().map((p) => p.value['product'] as string));
        const entry = this.pickLive('product', (p) => !withPrices.has(p['id'] as string));
        if (entry) {
          this.call('DELETE', `/v1/products/${entry.id}`);
          return { kind: 'deleted', id: entry.id };
        }
        // Products with prices cannot be deleted: archive one instead.
        const archivable = this.pickLive('product', (p) => p['active'] === true);
        if (!archivable) return null;
        this.call('POST', `/v1/products/${archivable.id}`, form({ active: 'false' }));
        return { kind: 'updated', id: archivable.id };
      }
      case 'price': {
        // Prices cannot be deleted: archive (active=false) instead.
        const defaults = new Set(this.store.index('product').all().map((p) => p.value['default_price']));
        const entry = this.pickLive('price', (p) => p['active'] === true && !defaults.has(p['id'] as string));
        if (!entry) return null;
        this.call('POST', `/v1/prices/${entry.id}`, form({ active: 'false' }));
        return { kind: 'updated', id: entry.id };
      }
      case 'subscription': {
        const entry = this.pickLive('subscription', (v) => v['status'] !== 'canceled');
        if (!entry) return null;
        this.call('DELETE', `/v1/subscriptions/${entry.id}`);
        return { kind: 'deleted', id: entry.id };
      }
      case 'invoice': {
        const draft = this.pickLive('invoice', (v) => v['status'] === 'draft');
        if (draft) {
          this.call('DELETE', `/v1/invoices/${draft.id}`);
          return { kind: 'deleted', id: draft.id };
        }
        const open = this.pickLive('invoice', (v) => v['status'] === 'open');
        if (!open) return null;
        this.call('POST', `/v1/invoices/${open.id}/void`);
        return { kind: 'updated', id: open.id };
      }
      case 'charge': {
        // Charges cannot be deleted: refund one instead.
        const entry = this.pickLive('charge', (v) => v['refunded'] === false);
        if (!entry) return null;
        this.call('POST', `/v1/charges/${entry.id}/refund`);
        return { kind: 'updated', id: entry.id };
      }
    }
  }
}
