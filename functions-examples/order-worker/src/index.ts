// Fulfils orders from the "orders" topic, one message at a time, each acked or retried on its
// own: one bad message does not send the whole batch round again.
//
//   queue()              fulfil each order; retry a failure with back-off (1 s, 2 s, ...)
//   GET /orders/{id}     the fulfilment record, or 404
//
// Delivery is at least once: a message can come twice (a worker died after our write but
// before the ack). Fulfilling is therefore idempotent, keyed by the order id.
import type { BindingError, ExportedHandler, StateBinding } from '@isola/types';

interface Env {
  ORDERS: StateBinding;
}

type Order = { orderId: string; items: { sku: string; quantity: number }[] };
type Fulfilment = Order & { status: 'fulfilled'; messageId: string; fulfilledAt: string };

export default {
  async queue(batch, env) {
    for (const message of batch.messages) {
      try {
        const order = parseOrder(message.body);
        const outcome = await fulfil(env.ORDERS, order, message.id);
        console.log(`order ${order.orderId}: ${outcome} (message ${message.id}, attempt ${message.attempts})`);
        message.ack();
      } catch (error) {
        // Not acked: delivered again after the delay, with attempts + 1. After the queue's
        // maxRetries it moves to the dead-letter topic instead.
        const delaySeconds = Math.min(60, 2 ** (message.attempts - 1));
        console.warn(`message ${message.id} failed on attempt ${message.attempts}, retrying in ${delaySeconds} s: ${(error as Error).message}`);
        message.retry({ delaySeconds });
      }
    }
  },

  async fetch(request, env) {
    const match = /\/orders\/([^/]+)$/.exec(new URL(request.url).pathname);
    if (request.method !== 'GET' || match === null) return Response.json({ error: { code: 'NOT_FOUND', message: 'try GET /orders/{orderId}' } }, { status: 404 });
    const fulfilment = await env.ORDERS.get<Fulfilment>(`order:${match[1]}`);
    if (fulfilment === null) return Response.json({ error: { code: 'NOT_FOUND', message: `order ${match[1]} is not fulfilled (yet)` } }, { status: 404 });
    return Response.json(fulfilment);
  },
} satisfies ExportedHandler<Env, unknown>;

/** Writes the fulfilment once: a redelivered message finds it there and changes nothing. */
async function fulfil(orders: StateBinding, order: Order, messageId: string): Promise<'fulfilled' | 'already fulfilled'> {
  const record: Fulfilment = { ...order, status: 'fulfilled', messageId, fulfilledAt: new Date().toISOString() };
  try {
    // first-write without an etag: only if no record exists yet.
    await orders.put(`order:${order.orderId}`, record, { concurrency: 'first-write' });
    return 'fulfilled';
  } catch (error) {
    if (error instanceof Error && error.name === 'BindingError' && (error as BindingError).code === 'ETAG_MISMATCH') return 'already fulfilled';
    throw error; // the store is down, say: worth a retry
  }
}

/**
 * The message body as an order, or an error saying what is wrong. Such a message will never
 * succeed: it is retried like any failure and ends in orders-dlq, where a person can look at it.
 */
function parseOrder(body: unknown): Order {
  const order = body as Partial<Order> | null;
  if (typeof order !== 'object' || order === null) throw new Error('the body is not an order object');
  if (typeof order.orderId !== 'string' || !/^[\w-]{1,64}$/.test(order.orderId)) throw new Error('orderId must be 1-64 letters, digits, _ or -');
  if (!Array.isArray(order.items) || order.items.length === 0) throw new Error(`order ${order.orderId} has no items`);
  for (const [index, item] of order.items.entries()) {
    if (typeof item?.sku !== 'string' || !Number.isInteger(item.quantity) || item.quantity < 1) {
      throw new Error(`order ${order.orderId}: items[${index}] must be {"sku": string, "quantity": whole number ≥ 1}`);
    }
  }
  return { orderId: order.orderId, items: order.items.map(({ sku, quantity }) => ({ sku, quantity })) };
}
