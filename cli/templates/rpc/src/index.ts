// {{name}}: every method of the default export other than fetch, scheduled and queue is an RPC
// method. Arguments and results cross as JSON; `this` holds env, ctx and the other methods.
import type { ExportedHandler } from '@isola/types';
import type { Env } from './env.js';

export interface Quote {
  sku: string;
  quantity: number;
  unitPrice: number;
  total: number;
  currency: string;
}

/** The methods `this` offers inside other methods (see ExportedHandler's third parameter). */
interface Methods {
  price(sku: string): number;
}

export default {
  /** The unit price of a SKU, in cents (a made-up rule: 100 per character). */
  price(sku: string): number {
    if (typeof sku !== 'string' || sku === '') throw new TypeError('sku must be a non-empty string');
    return sku.length * 100;
  },

  async quote(sku: string, quantity: number): Promise<Quote> {
    if (!Number.isInteger(quantity) || quantity < 1) throw new RangeError('quantity must be a whole number of at least 1');
    const unitPrice = this.price(sku);
    return { sku, quantity, unitPrice, total: unitPrice * quantity, currency: this.env.CURRENCY };
  },
} satisfies ExportedHandler<Env, unknown, Methods>;
