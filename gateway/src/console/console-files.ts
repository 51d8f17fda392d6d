import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, IsolaError } from '@isola/core';

/**
 * Headers of every console response. The SPA loads only its own scripts and styles, talks only
 * to this origin (the API), and is never framed.
 */
export const consoleSecurityHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
} as const;

/** Vite names what it puts under assets/ by content hash: a changed file is a new URL. */
const immutable = 'public, max-age=31536000, immutable';

/** The console the @isola/console workspace package builds (its dist folder); null when that package is not installed. */
export function defaultConsoleDir(): string | null {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@isola/console/package.json')), 'dist');
  } catch {
    return null;
  }
}

/**
 * Serves the web console (SPEC §8), a single-page app built by Vite with base `/console/`:
 * `GET /` (and `/index.html`) is `<dir>/index.html`, never cached without asking again;
 * `GET /console/*` are the files under `<dir>/console/`, those under assets/ cached for good.
 * No token is needed: the app signs in against the API itself. Without a built console
 * (`dir` null, or no index.html in it) `/` answers 503 saying how to build one; the API is
 * unaffected. Whether it is built is decided once, here: the answer is whether it is served.
 */
export async function registerConsole(app: FastifyInstance, dir: string | null): Promise<boolean> {
  const index = dir === null ? null : join(dir, 'index.html');
  if (dir === null || index === null || !existsSync(index)) {
    const missing = index ?? 'the @isola/console package';
    app.log.info({ consoleDir: dir }, `the web console is not built (${missing} is missing): / answers 503`);
    const notBuilt = (request: FastifyRequest, reply: FastifyReply) => (request.url.startsWith('/') ? answerNotBuilt(request, reply, missing) : reply.callNotFound());
    app.get('/', notBuilt);
    app.get('/index.html', notBuilt);
    return false;
  }
  const filesRoot = join(dir, 'console');
  const assets = join(filesRoot, 'assets') + sep;
  const hasFiles = existsSync(filesRoot);
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      // Without a console/ folder only index.html is served (the plugin wants a root that exists).
      root: hasFiles ? filesRoot : dir,
      serve: hasFiles,
      prefix: '/console/',
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      // The build writes .br and .gz beside each script and stylesheet: sent to clients that accept them.
      preCompressed: true,
      // Folders, dotfiles and `..` (send would answer 403) are as absent as any unknown file: 404.
      allowedPath: (pathname) => !pathname.endsWith('/') && !pathname.split('/').some((segment) => segment.startsWith('.')),
      // Set below, per file.
      cacheControl: false,
      setHeaders: (response, path) => {
        response.setHeader('cache-control', path.startsWith(assets) ? immutable : 'no-cache');
        for (const [name, value] of Object.entries(consoleSecurityHeaders)) response.setHeader(name, value);
      },
    });
    // The router also takes `GET *` (asterisk-form, meant for OPTIONS only) for `/`: not a page.
    const sendIndex = (request: FastifyRequest, reply: FastifyReply) => (request.url.startsWith('/') ? reply.sendFile('index.html', dir) : reply.callNotFound());
    scope.get('/', sendIndex);
    scope.get('/index.html', sendIndex);
  });
  return true;
}

/** 503 with how to build the console: a small page for browsers, the JSON error for everyone else. */
function answerNotBuilt(request: FastifyRequest, reply: FastifyReply, missing: string): FastifyReply {
  const what = `the web console is not built: ${missing} is missing`;
  const todo = 'run `npm run build -w console` (or set ISOLA_CONSOLE_DIR to a built console) and restart the platform; the API at /api/v1 works meanwhile';
  reply.code(503).header('cache-control', 'no-store').headers(consoleSecurityHeaders);
  if (!(request.headers.accept ?? '').includes('text/html')) {
    return reply.type('application/json; charset=utf-8').send(errorBody(new IsolaError('NOT_READY', `${what}; ${todo}`).toShape()));
  }
  const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Isola console not built</title></head>
<body>
<h1>The Isola console is not built</h1>
<p>${escapeHtml(what)}.</p>
<p>Run <code>npm run build -w console</code> (or set <code>ISOLA_CONSOLE_DIR</code> to a built console) and restart the platform.
The API at <code>/api/v1</code> works meanwhile.</p>
</body>
</html>
`;
  return reply.type('text/html; charset=utf-8').send(page);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
