import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteClaim } from '@isola/core';
import { HttpRouteMatcher } from './http-route-matcher.js';

const routes: RouteClaim[] = [
  { path: '/api/cart/*', function: 'cart', methods: ['GET', 'POST'] },
  { path: '/api/cart/admin/*', function: 'cart-admin' },
  { path: '/api/cart/health', function: 'health' },
  { path: '/hello', function: 'hello' },
  { path: '/docs/', function: 'docs-index' },
  { path: '/caf%C3%A9/*', function: 'cafe' },
];
const matcher = new HttpRouteMatcher(routes);

/** The function serving GET on `target`, or null. */
function served(target: string, method = 'GET'): string | null {
  const match = matcher.match(method, target);
  return match === null ? null : match.route.function;
}

test('a /* pattern matches its prefix itself, with a trailing slash, and everything under it, query aside', () => {
  assert.equal(served('/api/cart'), 'cart');
  assert.equal(served('/api/cart/'), 'cart');
  assert.equal(served('/api/cart/items/42?expand=true'), 'cart');
  assert.equal(served('/api/cart?x=/api/cart/admin/'), 'cart');
  // Not a segment boundary: another path.
  assert.equal(served('/api/carts'), null);
  assert.equal(served('/api'), null);
});

test('any other pattern matches exactly; a trailing slash counts', () => {
  assert.equal(served('/hello'), 'hello');
  assert.equal(served('/hello?name=x'), 'hello');
  assert.equal(served('/hello/'), null);
  assert.equal(served('/hello/x'), null);
  assert.equal(served('/docs/'), 'docs-index');
  assert.equal(served('/docs'), null);
});

test('the most specific pattern wins: exact over every wildcard, then the longest prefix', () => {
  assert.equal(served('/api/cart/health'), 'health');
  assert.equal(served('/api/cart/health/x'), 'cart');
  assert.equal(served('/api/cart/admin'), 'cart-admin');
  assert.equal(served('/api/cart/admin/users/1'), 'cart-admin');
  assert.equal(served('/api/cart/administrator'), 'cart');
});

test('outside its methods the winning route answers 405 with what it takes; HEAD goes with GET', () => {
  assert.deepEqual(matcher.match('DELETE', '/api/cart/1'), { route: routes[0], allowed: false, allow: ['GET', 'POST', 'HEAD'] });
  assert.equal(matcher.match('HEAD', '/api/cart/1')?.allowed, true);
  assert.equal(matcher.match('POST', '/api/cart/1')?.allowed, true);
  // A less specific route that would take the method does not stand in.
  const shadowed = new HttpRouteMatcher([
    { path: '/a/*', function: 'any-method' },
    { path: '/a/b/*', function: 'read-only', methods: ['GET'] },
  ]);
  assert.deepEqual(shadowed.match('PUT', '/a/b/c'), { route: { path: '/a/b/*', function: 'read-only', methods: ['GET'] }, allowed: false, allow: ['GET', 'HEAD'] });
  // Without methods, any method.
  assert.equal(matcher.match('PATCH', '/api/cart/admin/x')?.allowed, true);
  const postOnly = new HttpRouteMatcher([{ path: '/submit', function: 'form', methods: ['POST'] }]);
  assert.deepEqual(postOnly.match('HEAD', '/submit'), { route: { path: '/submit', function: 'form', methods: ['POST'] }, allowed: false, allow: ['POST'] });
});

test('paths are compared as a URL parser reads them, which is what the function sees', () => {
  assert.equal(served('/café/menu'), 'cafe');
  assert.equal(served('/caf%C3%A9/menu'), 'cafe');
  assert.equal(served('/other/../hello'), 'hello');
  assert.equal(served('/api/%2e%2e/hello'), 'hello');
  assert.equal(served('/api/cart%2Fx'), null, 'an encoded slash is no segment boundary');
  assert.equal(served('http://example.com/hello?x=1'), 'hello', 'absolute-form request target');
  assert.equal(served('*'), null);
});

test('/* takes every path, except those the gateway serves itself', () => {
  const catchAll = new HttpRouteMatcher([{ path: '/*', function: 'site' }, ...routes]);
  assert.equal(catchAll.match('GET', '/anything/at/all')?.route.function, 'site');
  assert.equal(catchAll.match('GET', '/api/cart/1')?.route.function, 'cart');
  for (const reserved of ['/', '/index.html', '/api/v1/functions', '/api/v2', '/fn/x', '/fn', '/console/x', '/healthz', '/readyz', '/metrics']) {
    assert.equal(catchAll.match('POST', reserved), null, reserved);
  }
  assert.equal(catchAll.match('GET', '/metricsx')?.route.function, 'site');
  assert.equal(new HttpRouteMatcher([]).match('GET', '/hello'), null);
});
