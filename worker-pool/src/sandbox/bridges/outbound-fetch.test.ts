import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { test } from 'node:test';
import { compileEgress } from './egress.js';
import { guardedLookup, requestProblem } from './outbound-fetch.js';

type Answer = LookupAddress[];

/** Runs the guarded lookup once with a scripted resolver; resolves with what it calls back. */
function lookUp(entry: string, url: string, answer: Answer, all: boolean): Promise<unknown[]> {
  const rule = compileEgress([entry])[0]!;
  const resolve = ((_hostname: string, _options: unknown, callback: (error: null, addresses: Answer) => void) => callback(null, answer)) as never;
  const lookup = guardedLookup(rule, new URL(url), resolve);
  return new Promise((done) => lookup(new URL(url).hostname, { all }, (...args: unknown[]) => done(args)));
}

test('every address a lookup returns is checked, on every connect: a name that later resolves to a private address is refused (DNS rebinding)', async () => {
  const url = 'http://rebind.example:8080/';
  assert.deepEqual(await lookUp('rebind.example', url, [{ address: '93.184.216.34', family: 4 }], false), [null, '93.184.216.34', 4]);
  assert.deepEqual(await lookUp('rebind.example', url, [{ address: '2606:4700::1111', family: 6 }], true), [null, [{ address: '2606:4700::1111', family: 6 }]]);

  for (const [address, kind] of [['127.0.0.1', 'loopback'], ['169.254.169.254', 'link-local'], ['::ffff:10.0.0.1', 'private'], ['::', 'unspecified']] as const) {
    const [error] = (await lookUp('rebind.example', url, [{ address: '93.184.216.34', family: 4 }, { address, family: address.includes(':') ? 6 : 4 }], true)) as [Error];
    assert.ok(error instanceof Error, address);
    assert.match(error.message, new RegExp(`^fetch to http://rebind\\.example:8080 was refused: rebind\\.example resolves to ${address.replace(/[.]/g, '\\.')}, a ${kind} address\\.`));
  }
});

test('a restricted address passes only for the egress entry that names it literally', async () => {
  assert.deepEqual(await lookUp('10.0.0.7:8080', 'http://10.0.0.7:8080/', [{ address: '10.0.0.7', family: 4 }], false), [null, '10.0.0.7', 4]);
  assert.deepEqual(await lookUp('[fd00::7]', 'http://[fd00::7]/', [{ address: 'fd00:0::7', family: 6 }], false), [null, 'fd00:0::7', 6]);
  const [error] = (await lookUp('10.0.0.7:8080', 'http://10.0.0.7:8080/', [{ address: '10.0.0.8', family: 4 }], false)) as [Error];
  assert.match(error.message, /resolves to 10\.0\.0\.8, a private address/);
});

test('requests from the isolate are checked before use', () => {
  const sound = { fetchId: 1, invocationId: 'i', url: 'http://a/', method: 'GET', headers: [['a', 'b']], body: null, redirect: 'follow' };
  assert.equal(requestProblem(sound), null);
  assert.equal(requestProblem({ ...sound, body: new Uint8Array(1) }), null);
  assert.equal(requestProblem({ ...sound, method: 'CONNECT' }), 'bad method CONNECT');
  assert.equal(requestProblem({ ...sound, method: 'GE T' }), 'bad method GE T');
  assert.equal(requestProblem({ ...sound, headers: [['a']] }), 'bad headers');
  assert.equal(requestProblem({ ...sound, headers: { a: 'b' } }), 'bad headers');
  assert.equal(requestProblem({ ...sound, body: 'text' }), 'bad body');
  assert.equal(requestProblem({ ...sound, redirect: 'sometimes' }), 'bad redirect mode');
  assert.equal(requestProblem(null), 'not an object');
});
