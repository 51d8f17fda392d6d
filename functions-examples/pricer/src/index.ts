// A pricing service. Every function-valued property of the default export other than
// fetch/scheduled/queue is an RPC method: reachable as env.PRICER.quote(...) from a function
// that binds this one, as POST /api/v1/functions/pricer/rpc/quote, and over gRPC.
//
// Arguments and results cross as JSON. A thrown error reaches the caller: a service binding
// rejects with a BindingError (code CALL_FAILED, error.remote.message = this message).
import type { ExportedHandler } from '@isola/types';

interface Env {
  CURRENCY: string;
}

export type Line = { sku: string; quantity: number };
export type PricedLine = Line & { name: string; unitPriceCents: number; totalCents: number };
export type Quote = {
  lines: PricedLine[];
  subtotalCents: number;
  discountCents: number;
  totalCents: number;
  currency: string;
  coupon: string | null;
};

// A real service would read these from a database or a config binding.
const catalog: Record<string, { name: string; unitPriceCents: number }> = {
  tea: { name: 'Loose-leaf tea, 100 g', unitPriceCents: 650 },
  cup: { name: 'Stoneware cup', unitPriceCents: 1200 },
  kettle: { name: 'Gooseneck kettle', unitPriceCents: 4900 },
};
const coupons: Record<string, number> = { WELCOME10: 10, FRIENDS25: 25 }; // percent off

/** The methods quote() calls through `this` (typed for ExportedHandler's third parameter). */
interface Methods {
  price(sku: string): number;
}

export default {
  /** Unit price of one SKU, in cents. */
  price(sku: string): number {
    const item = catalog[sku];
    if (item === undefined) throw new Error(`unknown sku "${sku}"; known: ${Object.keys(catalog).join(', ')}`);
    return item.unitPriceCents;
  },

  /** Prices a basket, with an optional coupon. `this` holds env, ctx and the other methods. */
  quote(lines: Line[], coupon: string | null = null): Quote {
    if (!Array.isArray(lines) || lines.length === 0) throw new Error('quote needs at least one line: [{"sku": "tea", "quantity": 1}]');
    const priced = lines.map(({ sku, quantity }) => {
      if (!Number.isInteger(quantity) || quantity < 1 || quantity > 100) throw new Error(`quantity of "${sku}" must be a whole number from 1 to 100`);
      const unitPriceCents = this.price(sku);
      return { sku, quantity, name: (catalog[sku] as { name: string }).name, unitPriceCents, totalCents: unitPriceCents * quantity };
    });
    const percentOff = coupon === null ? 0 : coupons[coupon];
    if (percentOff === undefined) throw new Error(`unknown coupon "${coupon}"`);
    const subtotalCents = priced.reduce((sum, line) => sum + line.totalCents, 0);
    const discountCents = Math.round((subtotalCents * percentOff) / 100);
    console.log(`quoted ${priced.length} line(s): ${subtotalCents - discountCents} ${this.env.CURRENCY}`);
    return { lines: priced, subtotalCents, discountCents, totalCents: subtotalCents - discountCents, currency: this.env.CURRENCY, coupon };
  },
} satisfies ExportedHandler<Env, unknown, Methods>;
