// POST /checkout {"items": [{"sku": "tea", "quantity": 2}], "coupon": "WELCOME10"}
//   200 an order summary priced by the pricer function
//   400 the request is malformed; 422 the pricer refused it (unknown sku or coupon);
//   503 the pricer could not be reached
import type { BindingError, ExportedHandler, ServiceBinding } from '@isola/types';
// Only its type: `import type` disappears when bundled, so nothing of pricer is copied here.
import type pricer from '../../pricer/src/index.js';

interface Env {
  PRICER: ServiceBinding<typeof pricer>; // env.PRICER.quote(lines, coupon) typed by pricer's own signature
}

export default {
  async fetch(request, env, ctx) {
    if (request.method !== 'POST' || !new URL(request.url).pathname.endsWith('/checkout')) {
      return problem(404, 'NOT_FOUND', 'try POST /checkout {"items": [{"sku": "tea", "quantity": 2}]}');
    }
    let body: { items?: unknown; coupon?: unknown };
    try {
      body = (await request.json()) as typeof body;
    } catch {
      return problem(400, 'BAD_REQUEST', 'the body must be JSON: {"items": [{"sku": "tea", "quantity": 2}], "coupon": "WELCOME10"}');
    }
    if (!Array.isArray(body?.items)) return problem(400, 'BAD_REQUEST', 'items: must be an array of {"sku", "quantity"}');
    if (body.coupon !== undefined && typeof body.coupon !== 'string') return problem(400, 'BAD_REQUEST', 'coupon: must be a string');

    try {
      const quote = await env.PRICER.quote(body.items, body.coupon ?? null);
      return Response.json({ orderId: ctx.invocationId, status: 'priced', ...quote });
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'BindingError') throw error;
      const failure = error as BindingError;
      // CALL_FAILED: pricer ran and threw; its message says what it refused.
      if (failure.code === 'CALL_FAILED') return problem(422, 'UNPROCESSABLE', `the pricer refused the order: ${failure.remote?.message ?? failure.message}`);
      // NOT_FOUND (pricer not deployed), UNAVAILABLE, TIMEOUT, ...: not the client's fault.
      console.error(`pricer call failed: ${failure.code}: ${failure.message}`);
      return problem(503, 'PRICER_UNAVAILABLE', `prices cannot be computed right now (${failure.code}); try again shortly`);
    }
  },
} satisfies ExportedHandler<Env>;

function problem(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
