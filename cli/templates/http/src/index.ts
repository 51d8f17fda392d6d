// {{name}}: answers HTTP requests on /fn/{{name}}/*. The handler gets the standard Request and
// returns a Response; env holds the manifest's vars (typed by src/env.d.ts, from `isola types`).
import type { ExportedHandler } from '@isola/types';
import type { Env } from './env.js';

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (request.method === 'POST') {
      const body: unknown = await request.json().catch(() => null);
      if (typeof body !== 'object' || body === null || typeof (body as { name?: unknown }).name !== 'string') {
        return Response.json({ error: 'send a JSON object with a "name" string' }, { status: 400 });
      }
      return Response.json({ message: greeting(env, (body as { name: string }).name) }, { status: 201 });
    }
    const name = url.searchParams.get('name') ?? 'world';
    console.log(`greeting ${name} (invocation ${ctx.invocationId})`);
    return Response.json({ message: greeting(env, name), path: url.pathname });
  },
} satisfies ExportedHandler<Env>;

function greeting(env: Env, name: string): string {
  return `${env.GREETING}, ${name}!`;
}
