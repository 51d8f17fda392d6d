// Invitation codes that expire, and the cron job that cleans them up.
//
//   POST /invites          {"email": "ada@example.com", "ttlSeconds": 86400}  → 201 the invite
//   GET  /invites/{code}   200 the invite; 410 once expired; 404 once swept (or never made)
//   scheduled()            every tick: delete expired invites, log each, return what it did
import type { ExportedHandler, StateBinding } from '@isola/types';
import { InviteStore } from './invites.js';

interface Env {
  INVITES: StateBinding;
}

const defaultTtlSeconds = 7 * 24 * 3600;
const maxTtlSeconds = 30 * 24 * 3600;

export default {
  async fetch(request, env) {
    const invites = new InviteStore(env.INVITES);
    const path = new URL(request.url).pathname.replace(/^\/fn\/[^/]+/, '').replace(/\/+$/, '');

    if (path === '/invites' && request.method === 'POST') {
      let body: { email?: unknown; ttlSeconds?: unknown };
      try {
        body = (await request.json()) as typeof body;
      } catch {
        return problem(400, 'send JSON such as {"email": "ada@example.com", "ttlSeconds": 86400}');
      }
      const ttlSeconds = body?.ttlSeconds ?? defaultTtlSeconds;
      if (typeof body?.email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(body.email)) return problem(400, 'email: must be an e-mail address');
      if (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxTtlSeconds) {
        return problem(400, `ttlSeconds: must be a whole number from 1 to ${maxTtlSeconds} (30 days)`);
      }
      return Response.json(await invites.create(body.email, ttlSeconds, Date.now()), { status: 201 });
    }

    const match = /^\/invites\/([A-Z0-9]+)$/.exec(path);
    if (match !== null && request.method === 'GET') {
      const invite = await invites.get(match[1] as string);
      if (invite === null) return problem(404, 'no such invite (it never existed, or it expired and was removed)');
      if (Date.parse(invite.expiresAt) <= Date.now()) return problem(410, `this invite expired at ${invite.expiresAt}`);
      return Response.json(invite);
    }

    return problem(404, 'try POST /invites or GET /invites/{code}');
  },

  async scheduled(controller, env) {
    // scheduledTime is the tick's nominal time: a retried or late run decides exactly as the
    // on-time run would have.
    const result = await new InviteStore(env.INVITES).sweep(controller.scheduledTime);
    console.log(`sweep for "${controller.cron}": removed ${result.removed.length}, kept ${result.kept}${result.more ? ', more remain for the next tick' : ''}`);
    // Returned values become the invocation's result (GET /api/v1/invocations/{id}).
    return { ...result, cron: controller.cron };
  },
} satisfies ExportedHandler<Env>;

const codes: Record<number, string> = { 400: 'BAD_REQUEST', 404: 'NOT_FOUND', 410: 'GONE' };

function problem(status: number, message: string): Response {
  return Response.json({ error: { code: codes[status], message } }, { status });
}
