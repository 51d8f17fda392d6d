// POST /events   one event or an array of up to 100:
//   {"type": "purchase", "orderId": "A-17", "amount": 42.5, "currency": "eur", "userId": "u1"}
//   202 {"accepted": n, "events": [...normalised, with id and at]}
//   400 {"error": {"code": "BAD_REQUEST", "message", "details": {"problems": [{"path", "message"}]}}}
import type { ExportedHandler, QueueBinding } from '@isola/types';
import type * as z from 'zod';
import { eventsBody } from './schema.js';

interface Env {
  EVENTS: QueueBinding;
}

export default {
  async fetch(request, env) {
    if (request.method !== 'POST' || !new URL(request.url).pathname.endsWith('/events')) {
      return problem(404, 'NOT_FOUND', 'POST events to /events', []);
    }
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return problem(400, 'BAD_REQUEST', 'the body must be JSON: one event object or an array of them', []);
    }

    const parsed = eventsBody.safeParse(body);
    if (!parsed.success) {
      // Every problem, each with its path (e.g. "1.amount" for the second event of a batch).
      const problems = problemsOf(parsed.error);
      return problem(400, 'BAD_REQUEST', `invalid event(s): ${problems.map((entry) => `${entry.path || '(body)'}: ${entry.message}`).join('; ')}`, problems);
    }

    const receivedAt = new Date().toISOString();
    const events = parsed.data.map((event) => ({ id: crypto.randomUUID(), ...event, at: event.at ?? receivedAt }));
    await env.EVENTS.sendBatch(events.map((event) => ({ body: event })));
    console.log(`queued ${events.length} event(s): ${events.map((event) => event.type).join(', ')}`);
    return Response.json({ accepted: events.length, events }, { status: 202 });
  },
} satisfies ExportedHandler<Env>;

/**
 * zod's issues as {path, message}. A body that fits neither a single event nor a batch gets
 * the issues of the shape it was closer to: an array is judged as a batch, anything else as one event.
 */
function problemsOf(error: z.ZodError): { path: string; message: string }[] {
  const issues = error.issues.flatMap((issue) => (issue.code === 'invalid_union' ? pickBranch(issue.errors) : [issue]));
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...issue.path, key].join('.'), message: 'unknown field' }))
      : [{ path: issue.path.join('.'), message: issue.message }],
  );
}

function pickBranch(branches: z.core.$ZodIssue[][]): z.core.$ZodIssue[] {
  // The union's branches: [single event, batch]. The batch branch's first issue is "expected array" when the body is not one.
  const [single = [], batch = []] = branches;
  return batch.some((issue) => issue.code === 'invalid_type' && issue.path.length === 0) ? single : batch;
}

function problem(status: number, code: string, message: string, problems: { path: string; message: string }[]): Response {
  return Response.json({ error: { code, message, ...(problems.length > 0 ? { details: { problems } } : {}) } }, { status });
}
