// {{name}}: POST /fn/{{name}}/ with {"id", "email"} enqueues a job; queue() handles the jobs in
// batches; GET /fn/{{name}}/<id> shows a handled job. A job it cannot handle yet is retried
// later; a message that can never succeed is acked and logged, so that it does not use up retries.
import type { ExportedHandler } from '@isola/types';
import type { Env } from './env.js';

interface Job {
  id: string;
  email: string;
}

interface SentJob extends Job {
  sentAt: string;
}

function isJob(value: unknown): value is Job {
  const job = value as Partial<Job> | null;
  return typeof job === 'object' && job !== null && typeof job.id === 'string' && typeof job.email === 'string';
}

export default {
  async fetch(request, env) {
    if (request.method === 'GET') {
      const id = new URL(request.url).pathname.split('/').pop() ?? '';
      const sent = await env.STATE.get<SentJob>(`sent:${id}`);
      return sent === null ? Response.json({ error: `job "${id}" has not been handled (yet)` }, { status: 404 }) : Response.json(sent);
    }
    if (request.method !== 'POST') return Response.json({ error: 'POST a JSON job: {"id": "...", "email": "..."}' }, { status: 405 });
    const job: unknown = await request.json().catch(() => null);
    if (!isJob(job)) return Response.json({ error: 'a job is a JSON object with "id" and "email" strings' }, { status: 400 });
    await env.JOBS.send(job);
    return Response.json({ queued: job.id }, { status: 202 });
  },

  async queue(batch, env) {
    for (const message of batch.messages) {
      if (!isJob(message.body)) {
        console.error(`message ${message.id} is not a job; dropped`);
        message.ack();
        continue;
      }
      if (!message.body.email.includes('@')) {
        // Pretend the mail service refused it for now: try again in a while (up to maxRetries).
        console.warn(`job ${message.body.id}: cannot send yet, attempt ${message.attempts}`);
        message.retry({ delaySeconds: 10 * message.attempts });
        continue;
      }
      const sent: SentJob = { ...message.body, sentAt: new Date().toISOString() };
      await env.STATE.put(`sent:${sent.id}`, sent);
      message.ack();
    }
  },
} satisfies ExportedHandler<Env>;
