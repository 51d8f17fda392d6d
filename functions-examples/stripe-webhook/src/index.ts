// POST /  a Stripe webhook delivery
//   200 {"received": true, ...}   verified (and handled, or ignored if of no interest)
//   401 no/invalid signature, timestamp outside the tolerance, or a replay of an accepted delivery
//   503 the WEBHOOK_SECRET secret is not set yet
//
// The order matters: verify the raw bytes first, parse JSON only after. A JSON.parse +
// JSON.stringify round trip changes the bytes (spacing, key order, escapes) and the signature
// with them.
import type { BindingError, ExportedHandler, StateBinding } from '@isola/types';
import { matchingSignature, parseSignatureHeader } from './signature.js';

interface Env {
  WEBHOOK_SECRET?: string; // a secret: absent until set
  TOLERANCE_SECONDS: string;
  SEEN: StateBinding;
}

type StripeEvent = { id: string; type: string; data?: { object?: { id?: string } } };

export default {
  async fetch(request, env) {
    if (request.method !== 'POST') return problem(405, 'METHOD_NOT_ALLOWED', 'Stripe POSTs its events; nothing else is served here', { allow: 'POST' });
    if (!env.WEBHOOK_SECRET) {
      console.error('WEBHOOK_SECRET is not set: every delivery is refused until it is');
      return problem(503, 'NOT_CONFIGURED', 'the webhook secret is not set: run "isola secret put stripe-webhook WEBHOOK_SECRET" with the endpoint\'s signing secret (whsec_...)');
    }

    if (!/^[1-9]\d{0,5}$/.test(env.TOLERANCE_SECONDS)) {
      return problem(503, 'NOT_CONFIGURED', `TOLERANCE_SECONDS must be a whole number of seconds (vars in isola.yaml), not "${env.TOLERANCE_SECONDS}"`);
    }

    const header = parseSignatureHeader(request.headers.get('stripe-signature') ?? '');
    if (header === null) return problem(401, 'UNAUTHORIZED', 'missing or malformed Stripe-Signature header (expected t=<unix time>,v1=<hex HMAC-SHA256>)');
    const body = new Uint8Array(await request.arrayBuffer());
    const signature = await matchingSignature(env.WEBHOOK_SECRET, header, body);
    if (signature === null) return problem(401, 'UNAUTHORIZED', 'no v1 signature matches the body and timestamp');

    // A valid signature on an old timestamp is a recorded delivery being sent again.
    const tolerance = Number(env.TOLERANCE_SECONDS);
    const ageSeconds = Math.floor(Date.now() / 1000) - header.timestamp;
    if (ageSeconds > tolerance) return problem(401, 'UNAUTHORIZED', `the signed timestamp is ${ageSeconds} s old; at most ${tolerance} s are accepted`);
    if (-ageSeconds > tolerance) return problem(401, 'UNAUTHORIZED', `the signed timestamp is ${-ageSeconds} s in the future; check the sender's clock`);
    // Within the tolerance, refuse a signature already accepted: first-write without an etag
    // succeeds only for a new key; the entry expires once the timestamp check would refuse it.
    try {
      await env.SEEN.put(`signature:${signature}`, header.timestamp, { concurrency: 'first-write', ttlSeconds: 2 * tolerance });
    } catch (error) {
      if (error instanceof Error && error.name === 'BindingError' && (error as BindingError).code === 'ETAG_MISMATCH') {
        return problem(401, 'UNAUTHORIZED', 'this delivery was already accepted (replayed signature)');
      }
      throw error;
    }

    let event: StripeEvent;
    try {
      event = JSON.parse(new TextDecoder().decode(body)) as StripeEvent;
    } catch {
      return problem(400, 'BAD_REQUEST', 'the signed body is not JSON');
    }
    // Stripe may deliver one event more than once (with a new timestamp and signature):
    // make what you do here idempotent by event.id.
    switch (event.type) {
      case 'checkout.session.completed':
        console.log(`event ${event.id}: checkout session ${event.data?.object?.id} completed, fulfilling`);
        return Response.json({ received: true, id: event.id, handled: true });
      default:
        console.log(`event ${event.id}: ${event.type} ignored`);
        return Response.json({ received: true, id: event.id, handled: false });
    }
  },
} satisfies ExportedHandler<Env>;

function problem(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}
