// {{name}}: PUT, GET and DELETE /fn/{{name}}/notes/<id>. Env (vars and bindings, from src/env.d.ts)
// is typed from isola.yaml by `isola types`; the default export is checked against ExportedHandler.
import type { ExportedHandler } from '@isola/types';
import type { Env } from './env.js';
import { InvalidNote, noteIdOf, parseNote, type Note } from './notes.js';

export default {
  async fetch(request, env) {
    const id = noteIdOf(new URL(request.url).pathname);
    if (id === null) return Response.json({ error: 'use /notes/<id>, an id of a-z, 0-9 and -' }, { status: 404 });
    const key = `note:${id}`;
    try {
      switch (request.method) {
        case 'GET': {
          const note = await env.NOTES.get<Note>(key);
          return note === null ? Response.json({ error: `no note ${id}` }, { status: 404 }) : Response.json(note);
        }
        case 'PUT': {
          const note = parseNote(id, await request.json().catch(() => null), Number(env.MAX_NOTE_LENGTH), new Date());
          await env.NOTES.put(key, note);
          // console output is the invocation's log: `isola dev` prints it, `isola logs` reads it.
          console.log(`stored note ${id} (${note.text.length} characters)`);
          return Response.json(note);
        }
        case 'DELETE':
          await env.NOTES.delete(key);
          console.log(`deleted note ${id}`);
          return new Response(null, { status: 204 });
        default:
          return Response.json({ error: 'use GET, PUT or DELETE' }, { status: 405, headers: { allow: 'GET, PUT, DELETE' } });
      }
    } catch (error) {
      if (error instanceof InvalidNote) return Response.json({ error: error.message }, { status: 400 });
      // BindingError is a global class of the sandbox: the store is down, busy or refused the call.
      if (error instanceof BindingError && error.code === 'UNAVAILABLE') return Response.json({ error: 'storage is unavailable; retry later' }, { status: 503 });
      throw error;
    }
  },
} satisfies ExportedHandler<Env>;
