/* global fetch, Headers, Response */
// A Cloudflare Worker, as written for Workers: short links with bulk redirects, a JSON
// listing, security headers on every response, and a click beacon sent after the response
// with ctx.waitUntil. Only standard Web APIs: it runs on Workers (wrangler.toml beside it) and
// on Isola (isola.yaml) without a change.

const links = new Map([
  ['docs', 'https://developers.cloudflare.com/workers/'],
  ['runtime-apis', 'https://developers.cloudflare.com/workers/runtime-apis/'],
  ['mdn-fetch', 'https://developer.mozilla.org/en-US/docs/Web/API/Fetch_API'],
  ['wintertc', 'https://wintertc.org/'],
]);

const securityHeaders = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'permissions-policy': 'interest-cohort=()',
};

export default {
  async fetch(request, env, ctx) {
    const response = await route(request, env, ctx);
    // Responses from Response.redirect() (and from fetch) have immutable headers: copy them into
    // a new Response to add ours.
    const headers = new Headers(response.headers);
    for (const [name, value] of Object.entries(securityHeaders)) headers.set(name, value);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  },
};

async function route(request, env, ctx) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response('Method Not Allowed', { status: 405, headers: { allow: 'GET, HEAD' } });
  }
  const url = new URL(request.url);
  // The route this Worker is mounted under ("" at the root of a zone, "/go" for example.com/go/*).
  const prefix = env.ROUTE_PREFIX || '';
  const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
  const slug = path.replace(/^\/+|\/+$/g, '');

  if (slug === '') {
    const list = [...links].map(([name, target]) => ({ slug: name, url: target, short: `${url.origin}${prefix}/${name}` }));
    return Response.json({ links: list }, { headers: { 'cache-control': 'public, max-age=300' } });
  }

  const target = links.get(slug);
  if (target === undefined) return new Response(`No short link "${slug}"`, { status: 404 });

  // Not awaited: the visitor is redirected at once, the beacon goes out after the response.
  if (env.ANALYTICS_URL) ctx.waitUntil(recordClick(env.ANALYTICS_URL, slug, request));
  return Response.redirect(target, 301);
}

async function recordClick(endpoint, slug, request) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ slug, at: new Date().toISOString(), userAgent: request.headers.get('user-agent') }),
  });
  if (!response.ok) console.warn(`click beacon for ${slug} answered ${response.status}`);
}
