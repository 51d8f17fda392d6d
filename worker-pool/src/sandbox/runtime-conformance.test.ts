// The in-isolate runtime (src/runtime, bundled to dist/runtime/runtime.bundle.js) loaded into
// real isolated-vm isolates. Part one runs the same script against the runtime's Web APIs and
// against Node's own (URL, TextEncoder, Headers, Request, Response...) and requires identical
// results. Part two drives install()/dispatch() exactly as the host does.
// Run with --no-node-snapshot (every process that loads isolated-vm needs it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInThisContext } from 'node:vm';
import ivm from 'isolated-vm';
import { connectHostBridges, type HostBridges } from './host-bridges.js';

const bundleSource = readFileSync(new URL('../runtime/runtime.bundle.js', import.meta.url), 'utf8');

// The contract as the host sees it (mirrors src/runtime/contract.ts, which this project
// cannot import: it is compiled separately, without Node types).
type LogLine = { level: 'debug' | 'log' | 'info' | 'warn' | 'error'; time: number; message: string };
type DispatchResult =
  | {
      ok: true;
      status: number;
      statusText: string;
      headers: [string, string][];
      body: Uint8Array | null;
      logs: LogLine[];
      logsTruncated: boolean;
    }
  | {
      ok: false;
      error: { code: string; message: string; details?: { name?: string; stack?: string } };
      logs: LogLine[];
      logsTruncated: boolean;
    };
type InstallFn = (namespace: unknown, envJson: string, maxLogBytes: number) => void;
type DispatchFn = (metaJson: string, body: Uint8Array | undefined) => Promise<DispatchResult>;

interface LoadedRuntime {
  isolate: ivm.Isolate;
  context: ivm.Context;
  install: ivm.Reference<InstallFn>;
  dispatch: ivm.Reference<DispatchFn>;
  bridges: HostBridges;
}

/** What the host does (prepared-isolate.ts): run the bundle, take References, connect the host bridges, delete the global. */
async function loadRuntime(): Promise<LoadedRuntime> {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  const context = await isolate.createContext();
  await context.eval(bundleSource, { timeout: 5000, filename: 'isola:///runtime.js' });
  const entry = await context.global.get('__isolaRuntime', { reference: true });
  const install = (await entry.get('install', { reference: true })) as ivm.Reference<InstallFn>;
  const dispatch = (await entry.get('dispatch', { reference: true })) as ivm.Reference<DispatchFn>;
  const bridges = connectHostBridges(entry);
  entry.release();
  await context.global.delete('__isolaRuntime');
  bridges.configure({ egress: [], timeoutMs: 1000, memoryMb: 64, maxFetches: 50, maxFetchResponseBytes: 1024 * 1024 });
  return { isolate, context, install, dispatch, bridges };
}

// ---------------------------------------------------------------------------------------------
// Part one: conformance against Node's implementations.

// Helpers available to every case, defined identically in both environments.
const PRELUDE = `
  const attempt = (fn) => { try { return fn(); } catch (error) { return 'throws ' + error.name; } };
  const attemptAsync = async (fn) => { try { return await fn(); } catch (error) { return 'rejects ' + error.name; } };
  const bytes = (source) => Array.from(source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength));
  const codePoints = (text) => Array.from(text, (c) => c.codePointAt(0).toString(16));
  const fields = (r) => ({ status: r.status, ok: r.ok, statusText: r.statusText, type: r.type, redirected: r.redirected, url: r.url, bodyUsed: r.bodyUsed, headers: [...r.headers] });
`;

/** Each case is the body of an async function returning a JSON-serializable value. */
const conformanceCases: Record<string, Record<string, string>> = {
  URL: {
    'relative resolution (RFC 3986 examples)': `const base = 'http://a.example/b/c/d;p?q';
      return ['g', './g', 'g/', '/g', '//g', '?y', 'g?y', '#s', 'g#s', '..', '../g', '../..', '../../../g', 'g;x=1/../y', ''].map((ref) => new URL(ref, base).href);`,
    'components of a full URL': `const u = new URL('https://user:pa%20ss@Sub.Example.COM:8443/p/a/t/h?query=string#hash');
      return [u.href, u.origin, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash];`,
    'default ports and dot segments': `return ['http://EXAMPLE.com:80/a/./b/../c', 'https://x.com:443/', 'ws://x.com:80', 'http://x.com:8080/%7Efoo/%2e%2E/bar'].map((u) => new URL(u).href);`,
    'IDNA / punycode hosts': `return ['http://münchen.de/', 'http://MÜNCHEN.DE/', 'https://例え.jp/', 'http://faß.de/', 'http://xn--mnchen-3ya.de/', 'http://a.bücher.example/'].map((u) => new URL(u).host);`,
    'percent-encoding of path, query and fragment': `return ['http://a.com/a b/ü?q=a b&x=ü#f g', "http://a.com/~!$&'()*+,;=:@", 'http://a.com/?q=%zz&r=%41', 'http://a.com/\\uD800', 'http://a.com/p?a="<>\`#"<>\`'].map((u) => new URL(u).href);`,
    'IPv4 and IPv6 hosts': `return ['http://[::1]:3000/', 'http://[0:0::1]/', 'http://0x7f.1/', 'http://127.1/', 'http://2130706433/'].map((u) => new URL(u).host);`,
    'setters': `const u = new URL('http://a.com/p?x=1#h');
      u.pathname = '/new path'; u.port = '99'; u.hash = 'frag ment'; u.search = '?a=b c'; u.hostname = 'B.com'; u.protocol = 'https'; u.username = 'me';
      const ignored = new URL('http://a.com/'); ignored.protocol = 'mailto'; ignored.port = 'x';
      return [u.href, ignored.href];`,
    'searchParams are live': `const u = new URL('http://a.com/?b=2&a=1');
      u.searchParams.append('c', 'd e'); u.searchParams.sort(); const sorted = u.href;
      u.search = '?z=9'; return [sorted, u.searchParams.get('z'), [...u.searchParams]];`,
    'invalid input throws TypeError': `return ['not a url', 'http://', 'http://[::1', '/relative', 'http://a b.com/', 'https://exa%mple.com'].map((input) => attempt(() => new URL(input).href));`,
    'canParse, toJSON, toString': `return [URL.canParse('x'), URL.canParse('x', 'http://a'), new URL('http://a.com/x').toJSON(), String(new URL('http://a.com')), JSON.stringify({ u: new URL('http://a.com/ü') }), Object.prototype.toString.call(new URL('http://a'))];`,
    'special and non-special schemes': `return ['mailto:Joe@Example.com', 'data:text/plain,hi there', 'file:///C:/x/../y', 'foo://Host/Path', 'javascript:alert(1)'].map((s) => { const u = new URL(s); return [u.href, u.protocol, u.host, u.pathname, u.origin]; });`,
  },
  base64: {
    'btoa of binary strings': `return ['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar', '\\u0000\\u00ff\\u0080', String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i)), 123, null, undefined].map((s) => btoa(s));`,
    'atob, forgiving': `return ['', 'Zg==', 'Zg', 'Zm8=', 'Zm9v', ' Zm 9v\\nYmFy\\t', 'AP+A', '////', 'YQ=', 'YQ==='].map((s) => attempt(() => codePoints(atob(s))));`,
    'invalid input throws InvalidCharacterError with code 5': `return [attempt(() => atob('Zg=a')), attempt(() => atob('a')), attempt(() => atob('Z*g=')), attempt(() => btoa('€')), (() => { try { atob('a'); } catch (e) { return [e.name, e.code, e instanceof DOMException, e instanceof Error]; } })()];`,
  },
  queueMicrotask: {
    'runs after the current job, in order, before timers would': `const order = []; queueMicrotask(() => order.push('a')); Promise.resolve().then(() => order.push('p')); queueMicrotask(() => order.push('b')); order.push('sync');
      await null; await null; await null; return [order, attempt(() => queueMicrotask(1))];`,
  },
  DOMException: {
    'name, message, code': `const e = new DOMException('boom', 'AbortError'); const d = new DOMException(); return [e.name, e.message, e.code, String(e), d.name, d.message, d.code, Object.prototype.toString.call(e)];`,
  },
  crypto: {
    'getRandomValues fills integer arrays in place, up to 65,536 bytes': `const arrays = [new Uint8Array(0), new Uint8Array(16), new Int32Array(4), new BigUint64Array(2), new Uint8ClampedArray(3), new Int16Array(5), new Uint16Array(32768)];
      const filled = arrays.map((a) => { const r = crypto.getRandomValues(a); return [r === a, a.length]; });
      const wide = crypto.getRandomValues(new Uint8Array(256)); const view = new Uint8Array(16); crypto.getRandomValues(view.subarray(4, 8));
      return [filled, wide.some((b) => b !== 0) && new Set(wide).size > 64, view.slice(0, 4).every((b) => b === 0) && view.slice(8).every((b) => b === 0)];`,
    'getRandomValues errors are DOMExceptions with legacy codes': `const failure = (a) => { try { crypto.getRandomValues(a); return 'no error'; } catch (e) { return [e.name, e.code, e instanceof DOMException]; } };
      return [failure(new Float32Array(1)), failure(new Float64Array(1)), failure(new DataView(new ArrayBuffer(1))), failure(new Uint8Array(65537)), failure(new Uint32Array(16385)), attempt(() => crypto.getRandomValues()),
        attempt(() => { const g = crypto.getRandomValues; return g(new Uint8Array(1)).length; })];`,
    'randomUUID is a version 4 UUID, different every time': `const ids = Array.from({ length: 300 }, () => crypto.randomUUID());
      return [ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)), new Set(ids).size, attempt(() => { const u = crypto.randomUUID; return u(); })];`,
    'interfaces, names and brands': `return [Object.prototype.toString.call(crypto), Object.prototype.toString.call(crypto.subtle), Crypto.name, SubtleCrypto.name, CryptoKey.name, crypto instanceof Crypto, crypto.subtle instanceof SubtleCrypto, crypto.subtle === crypto.subtle,
      attempt(() => new Crypto()), attempt(() => new SubtleCrypto()), attempt(() => new CryptoKey()), Object.getOwnPropertyNames(Crypto.prototype).sort(), Object.getOwnPropertyNames(SubtleCrypto.prototype).sort(), Object.getOwnPropertyNames(CryptoKey.prototype).sort()];`,
  },
  'crypto.subtle': {
    'digest with SHA-1, SHA-256, SHA-384, SHA-512 of every kind of BufferSource': `const inputs = [new Uint8Array(0), new TextEncoder().encode('abc'), new TextEncoder().encode('ü€😀'.repeat(500)).buffer, new DataView(new Uint8Array([1, 2, 3, 4, 5]).buffer, 1, 3), new Uint16Array([1, 65535]), new Uint8Array([9, 9, 9, 1, 2]).subarray(3)];
      const out = []; for (const algorithm of ['SHA-1', 'sha-256', { name: 'SHA-384' }, { name: 'Sha-512', extra: true }]) for (const input of inputs) out.push(bytes(await crypto.subtle.digest(algorithm, input)));
      const result = await crypto.subtle.digest('SHA-256', new Uint8Array(1)); return [out, Object.prototype.toString.call(result), result.byteLength];`,
    'digest copies its input when called': `const data = new TextEncoder().encode('before'); const pending = crypto.subtle.digest('SHA-256', data); data.fill(0); return bytes(await pending);`,
    'digest errors': `const data = new Uint8Array([1]);
      return [await attemptAsync(() => crypto.subtle.digest('MD5', data)), await attemptAsync(() => crypto.subtle.digest('SHA-256', 'text')), await attemptAsync(() => crypto.subtle.digest('SHA-256')), await attemptAsync(() => crypto.subtle.digest({}, data)),
        await attemptAsync(() => crypto.subtle.digest(5, data)), await attemptAsync(() => crypto.subtle.digest('SHA-256', [1, 2])), await attemptAsync(() => crypto.subtle.digest('SHA256', data))];`,
    'HMAC importKey, sign, verify and exportKey for every hash': `const enc = new TextEncoder(); const out = [];
      for (const hash of ['SHA-1', 'SHA-256', 'sha-384', { name: 'SHA-512' }]) {
        const key = await crypto.subtle.importKey('raw', enc.encode('secret ' + JSON.stringify(hash)), { name: 'HMAC', hash }, true, ['sign', 'verify']);
        const signature = await crypto.subtle.sign('HMAC', key, enc.encode('message'));
        out.push([bytes(signature), Object.prototype.toString.call(signature), await crypto.subtle.verify('HMAC', key, signature, enc.encode('message')), await crypto.subtle.verify({ name: 'hmac' }, key, signature, enc.encode('other')),
          await crypto.subtle.verify('HMAC', key, signature.slice(0, 10), enc.encode('message')), await crypto.subtle.verify('HMAC', key, new Uint8Array(signature.byteLength), enc.encode('message')), bytes(await crypto.subtle.exportKey('raw', key))]);
      }
      const longKey = await crypto.subtle.importKey('raw', new Uint8Array(200).fill(7), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      out.push(bytes(await crypto.subtle.sign('HMAC', longKey, new Uint8Array(0))));
      return out;`,
    'CryptoKey attributes': `const key = await crypto.subtle.importKey('raw', new Uint8Array([1, 2, 3]), { name: 'hmac', hash: { name: 'sha-256' }, length: 24 }, false, ['verify', 'sign', 'sign']);
      return [key.type, key.extractable, key.algorithm, key.usages, key.algorithm === key.algorithm, key.usages === key.usages, Object.prototype.toString.call(key), key instanceof CryptoKey];`,
    'importKey errors': `const k = new TextEncoder().encode('k'); const H = { name: 'HMAC', hash: 'SHA-256' };
      const calls = [['raw', new Uint8Array(0), H, false, ['sign']], ['raw', k, H, false, []], ['raw', k, H, false, ['encrypt']], ['raw', k, H, false, ['bogus']], ['raw', k, { name: 'HMAC' }, false, ['sign']],
        ['raw', k, { name: 'HMAC', hash: 'MD5' }, false, ['sign']], ['raw', k, { name: 'FOO' }, false, ['sign']], ['raw', k, 'HMAC', false, ['sign']], ['raw', k, { ...H, length: 8 }, false, ['sign']],
        ['raw', k, { ...H, length: 16 }, false, ['sign']], ['bogus', k, H, false, ['sign']], ['raw', 'not bytes', H, false, ['sign']], ['raw', k, H, false, 'sign'], ['raw', k, H, false]];
      const out = []; for (const args of calls) out.push(await attemptAsync(() => crypto.subtle.importKey(...args).then((key) => key.algorithm.length))); return out;`,
    'sign and verify errors': `const enc = new TextEncoder(); const H = { name: 'HMAC', hash: 'SHA-256' }; const data = enc.encode('d');
      const verifyOnly = await crypto.subtle.importKey('raw', enc.encode('k'), H, false, ['verify']); const signOnly = await crypto.subtle.importKey('raw', enc.encode('k'), H, false, ['sign']);
      return [await attemptAsync(() => crypto.subtle.sign('HMAC', verifyOnly, data)), await attemptAsync(() => crypto.subtle.sign('SHA-256', signOnly, data)), await attemptAsync(() => crypto.subtle.sign('RSASSA-PKCS1-v1_5', signOnly, data)),
        await attemptAsync(() => crypto.subtle.sign('HMAC', {}, data)), await attemptAsync(() => crypto.subtle.sign('HMAC', signOnly)), await attemptAsync(() => crypto.subtle.sign('HMAC', signOnly, 'text')),
        await attemptAsync(() => crypto.subtle.verify('HMAC', signOnly, new Uint8Array(32), data)), await attemptAsync(() => crypto.subtle.verify('ECDSA', verifyOnly, new Uint8Array(32), data)), await attemptAsync(() => crypto.subtle.exportKey('raw', {}))];`,
  },
  URLSearchParams: {
    'parsing, getAll, sort': `const p = new URLSearchParams('?b=2&a=1&a=0&c=%20+x&d&=e&f=%zz');
      const all = p.getAll('a'); p.sort(); return [all, p.get('c'), p.get('d'), p.get('f'), p.get('missing'), p.toString(), [...p], p.size];`,
    'serialization of unicode, space and +': `return [new URLSearchParams({ q: 'ü € 😀', 'a b': '+', 'x&y': '=?#', lone: '\\uD800', star: "*-._~!'()" }).toString()];`,
    'mutation': `const p = new URLSearchParams([['a', '1'], ['b', '2'], ['a', '3']]);
      p.set('a', '9'); p.append('c', ''); p.delete('b'); const has = [p.has('a'), p.has('a', '1'), p.has('a', '9')];
      p.append('a', 'x'); p.delete('a', '9'); const seen = []; p.forEach((v, k) => seen.push(k + '=' + v));
      return [has, p.toString(), seen, [...p.keys()], [...p.values()], [...p.entries()]];`,
    'bad init throws TypeError': `return [attempt(() => new URLSearchParams([['a']]).toString()), attempt(() => new URLSearchParams([['a', 'b', 'c']]).toString()), new URLSearchParams(undefined).toString()];`,
  },
  TextEncoder: {
    'encode tricky strings': `return ['', 'abc', 'ü€😀', '\\uD800', 'a\\uDC00b', '\\uD83D\\uDE00', '\\uDE00\\uD83D', '\\u0000', '\\uFEFFx'].map((s) => Array.from(new TextEncoder().encode(s)));`,
    'encode non-strings and encoding': `const e = new TextEncoder(); return [Array.from(e.encode()), Array.from(e.encode(123)), Array.from(e.encode(null)), e.encoding];`,
    'encodeInto stops before a character that does not fit': `const e = new TextEncoder();
      const runs = [['😀a', 3], ['aü€', 4], ['abc', 10], ['\\uD800x', 3], ['', 0], ['😀', 4]].map(([s, n]) => { const d = new Uint8Array(n); const r = e.encodeInto(s, d); return [r.read, r.written, Array.from(d)]; });
      return [runs, attempt(() => e.encodeInto('a', new Uint16Array(2)))];`,
  },
  TextDecoder: {
    'replacement of invalid UTF-8 (maximal subparts)': `const inputs = [[0xff], [0xc0, 0x80], [0xc2], [0xe2, 0x82], [0xe2, 0x82, 0x41], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf0, 0x9f, 0x98], [0xf0, 0x9f, 0x98, 0x41], [0xe0, 0x80, 0x80], [0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x61, 0xf1, 0x80, 0x80, 0xe1, 0x80, 0xc2, 0x62, 0x80, 0x63, 0x80, 0xbf, 0x64], [0xef, 0xbf, 0xbd], [0xf0, 0x90, 0x80, 0x80]];
      return inputs.map((b) => codePoints(new TextDecoder().decode(new Uint8Array(b))));`,
    'BOM handling': `const inputs = [[0xef, 0xbb, 0xbf, 0x61], [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], [0x61, 0xef, 0xbb, 0xbf], [0xef, 0xbb, 0xbf]];
      return inputs.map((b) => [false, true].map((ignoreBOM) => codePoints(new TextDecoder('utf-8', { ignoreBOM }).decode(new Uint8Array(b)))));`,
    'streaming across chunk boundaries': `const d = new TextDecoder(); const all = Array.from(new TextEncoder().encode('😀€üa'));
      const oneByOne = all.map((b) => d.decode(new Uint8Array([b]), { stream: true })).join('') + d.decode();
      const cut = d.decode(new Uint8Array([0xf0, 0x9f]), { stream: true }) + d.decode();
      const bom = d.decode(new Uint8Array([0xef]), { stream: true }) + d.decode(new Uint8Array([0xbb, 0xbf, 0x61]), { stream: true }) + d.decode(new Uint8Array([0xef, 0xbb, 0xbf]));
      const again = d.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x62]));
      return [oneByOne, codePoints(cut), codePoints(bom), codePoints(again)];`,
    'fatal mode throws TypeError': `const d = new TextDecoder('utf-8', { fatal: true });
      return [d.fatal, d.decode(new Uint8Array([0x68, 0xc3, 0xa9])), attempt(() => d.decode(new Uint8Array([0xff]))),
        attempt(() => { d.decode(new Uint8Array([0xe2, 0x82]), { stream: true }); return d.decode(); }), d.decode(new Uint8Array([0x6f, 0x6b]))];`,
    'labels and attributes': `return [new TextDecoder().encoding, new TextDecoder('UTF8').encoding, new TextDecoder(' utf-8\\n').encoding, new TextDecoder('unicode-1-1-utf-8').encoding,
      attempt(() => new TextDecoder('nope').encoding), new TextDecoder().fatal, new TextDecoder().ignoreBOM, new TextDecoder('utf-8', { ignoreBOM: 1 }).ignoreBOM];`,
    'long input round trip (chunked string building)': `const text = 'ü😀a\u0000€'.repeat(7000); const encoded = new TextEncoder().encode(text);
      const decoded = new TextDecoder().decode(encoded); return [encoded.length, decoded.length, decoded === text];`,
    'input types': `const d = new TextDecoder(); const buffer = new TextEncoder().encode('xhello').buffer;
      return [d.decode(buffer), d.decode(new DataView(buffer, 1, 3)), d.decode(new Uint16Array([0x6968])), d.decode(), d.decode(undefined),
        attempt(() => d.decode('str')), attempt(() => d.decode(null)), attempt(() => d.decode([1, 2]))];`,
  },
  Headers: {
    'sorted, lowercased, combined iteration': `const h = new Headers([['B', '2'], ['a', '1'], ['b', '3'], ['Set-Cookie', 'x=1'], ['set-cookie', 'y=2'], ['C-D', 'e']]);
      return [[...h], h.get('b'), h.get('B'), h.get('set-cookie'), h.getSetCookie(), [...h.keys()], [...h.values()], h.get('missing')];`,
    'set, delete, has': `const h = new Headers({ 'X-A': '1' }); h.append('x-a', '2'); h.append('x-b', '3'); h.append('x-a', '4');
      h.set('X-A', 'one'); const afterSet = [...h]; h.delete('X-B'); h.set('set-cookie', 'a'); h.append('set-cookie', 'b'); h.set('set-cookie', 'c');
      return [afterSet, [...h], h.has('x-a'), h.has('X-B'), h.getSetCookie()];`,
    'value normalization and validation': `const h = new Headers({ a: ' \\t v \\t ', b: 'in\\tner' });
      const bad = [['a b', 'v'], ['', 'v'], ['ü', 'v'], ['x', 'a\\nb'], ['x', 'a\\rb'], ['x', 'a\\u0000b'], ['x', '\\u0100'], ['x', '€']].map(([n, v]) => attempt(() => new Headers([[n, v]]).get(n)));
      return [h.get('a'), h.get('b'), new Headers({ x: 'ü' }).get('x'), bad, attempt(() => h.get('bad name')), attempt(() => h.has(''))];`,
    'init forms': `const map = new Map([['a', '1'], ['b', '2']]); const source = new Headers({ z: '26' });
      return [[...new Headers({ a: '1', B: 2 })], [...new Headers([['a', '1'], ['a', '2']])], [...new Headers(source)], [...new Headers(map)], [...new Headers()], [...new Headers(undefined)],
        attempt(() => new Headers([['a']])), attempt(() => new Headers([['a', 'b', 'c']])), attempt(() => new Headers('a: b')), attempt(() => new Headers(null)), attempt(() => new Headers([1]))];`,
    'forEach and the iterator protocol': `const h = new Headers({ b: '2', a: '1' }); const seen = [];
      h.forEach(function (value, name, self) { seen.push([value, name, self === h, this.tag]); }, { tag: 't' });
      const it = h.entries();
      return [seen, Object.prototype.toString.call(h), Object.prototype.toString.call(it), h[Symbol.iterator] === h.entries, it[Symbol.iterator]() === it, it.next(), [...it], it.next()];`,
  },
  Response: {
    'defaults': `const r = new Response(); return [fields(r), await r.text(), r.bodyUsed, await r.text()];`,
    'content-type from the body': `const buffer = new TextEncoder().encode('xyz').buffer;
      const bodies = ['text', buffer, new Uint8Array(buffer), new DataView(buffer, 1, 1), new URLSearchParams({ a: 'b c' }), {}, 42];
      const out = []; for (const body of bodies) { const r = new Response(body); out.push([[...r.headers], await r.text()]); }
      const kept = new Response('x', { headers: { 'Content-Type': 'application/x-custom' } });
      return [out, [...kept.headers]];`,
    'status validation': `return [0, 100, 199, 200, 201, 299, 300, 404, 599, 600, '201', 65736, -1, NaN].map((status) => attempt(() => { const r = new Response(null, { status }); return [r.status, r.ok]; }));`,
    'null-body statuses reject a body': `return [204, 205, 304].map((status) => [attempt(() => new Response('x', { status }).status), attempt(() => new Response('', { status }).status), attempt(() => new Response(null, { status }).status)]);`,
    'statusText validation': `return ['OK', 'Not Found', 'a\\nb', 'ü', '€', 'tab\\there'].map((statusText) => attempt(() => new Response(null, { statusText }).statusText));`,
    'reading the body once': `const r = new Response('{"a":[1,2]}'); const json = await r.json();
      const second = await attemptAsync(() => r.text()); const ab = await new Response('abc').arrayBuffer();
      return [json, r.bodyUsed, second, ab.byteLength, ab instanceof ArrayBuffer, await attemptAsync(() => new Response('{bad').json()), await new Response(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0xff])).text()];`,
    'clone': `const r = new Response('data', { status: 201, statusText: 'Made', headers: { 'x-a': '1' } }); const c = r.clone();
      c.headers.set('x-a', '2'); const texts = [await r.text(), await c.text()];
      return [fields(c), fields(r), texts, attempt(() => r.clone())];`,
    'Response.json': `const a = Response.json({ a: 1, b: 'ü' }); const b = Response.json([1], { status: 201, headers: { 'x-y': 'z' } }); const c = Response.json('s', { headers: { 'content-type': 'text/json' } });
      return [fields(a), await a.text(), fields(b), await b.json(), fields(c), attempt(() => Response.json(undefined)), attempt(() => Response.json(1n)), attempt(() => Response.json({}, { status: 204 }))];`,
    'Response.redirect': `const r = Response.redirect('http://a.com/x y', 301); const d = Response.redirect('https://b.com');
      return [fields(r), fields(d), attempt(() => r.headers.set('x', 'y')), attempt(() => Response.redirect('http://a.com', 200)), attempt(() => Response.redirect('/relative'))];`,
    'Response.error': `const r = Response.error(); return [fields(r), attempt(() => r.headers.append('x', 'y')), await r.text()];`,
    'names and brand': `return [Object.prototype.toString.call(new Response()), Response.name, Request.name, Headers.name, TextEncoder.name, TextDecoder.name, URL.name, URLSearchParams.name,
      attempt(() => Response()), attempt(() => Headers()), attempt(() => new Request()), await attemptAsync(() => Response.prototype.text.call({}))];`,
  },
  Request: {
    'defaults': `const r = new Request('https://Example.com/a/../b?c#d'); return [r.url, r.method, [...r.headers], r.redirect, r.bodyUsed, await r.text()];`,
    'method normalisation': `return ['get', 'post', 'Delete', 'options', 'put', 'head', 'patch', 'PATCH', 'custom', 'CONNECT', 'trace', 'track', 'bad method', 'ü'].map((method) => attempt(() => new Request('http://a.com', { method }).method));`,
    'body rules': `const post = new Request('http://a.com', { method: 'POST', body: 'hi' }); const bin = new Request('http://a.com', { method: 'PUT', body: new Uint8Array([1, 2]) });
      const form = new Request('http://a.com', { method: 'POST', body: new URLSearchParams('a=1') });
      return [attempt(() => new Request('http://a.com', { body: 'x' })), attempt(() => new Request('http://a.com', { method: 'HEAD', body: '' })), new Request('http://a.com', { body: null }).method,
        [...post.headers], await post.text(), [...bin.headers], bytes(await bin.arrayBuffer()), [...form.headers], await form.text()];`,
    'constructing from another Request': `const a = new Request('http://a.com/x', { method: 'POST', body: 'hi', headers: { 'x-a': '1' } }); const b = new Request(a);
      const state = [a.bodyUsed, b.bodyUsed, b.method, b.url, [...b.headers], await b.text()];
      const c = new Request(a, { method: 'PUT', body: 'new', headers: { 'x-b': '2' } });
      const g = new Request(new Request('http://a.com'), { method: 'POST', body: 'x' });
      return [state, attempt(() => new Request(a).url), c.method, [...c.headers], await c.text(), g.method, attempt(() => new Request(new Request('http://a.com', { method: 'POST', body: 'x' }), { method: 'GET' }))];`,
    'invalid URLs': `return ['/x', 'http://user:pw@a.com/', 'http://user@a.com/', 'not a url'].map((u) => attempt(() => new Request(u).url));`,
    'clone, json and redirect': `const r = new Request('http://a.com', { method: 'POST', body: '{"k":true}', headers: [['x-a', '1']], redirect: 'manual' }); const c = r.clone();
      return [await r.json(), await c.json(), c.redirect, [...c.headers], attempt(() => r.clone()), attempt(() => new Request('http://a.com', { redirect: 'bogus' }))];`,
  },
};

describe('runtime conformance with Node', () => {
  let runtime: LoadedRuntime;
  before(async () => {
    runtime = await loadRuntime();
  });
  after(() => runtime.isolate.dispose());

  for (const [api, cases] of Object.entries(conformanceCases)) {
    describe(api, () => {
      for (const [name, body] of Object.entries(cases)) {
        test(name, async () => {
          const script = `(async () => { ${PRELUDE} const result = await (async () => { ${body} })(); return JSON.stringify(result); })()`;
          const inIsolate = (await runtime.context.eval(script, { promise: true, timeout: 1000 })) as string;
          const inNode = (await runInThisContext(script)) as string;
          assert.equal(inIsolate, inNode);
        });
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Part two: install() and dispatch() as the host drives them.

type Meta = { invocationId: string; method: string; url: string; headers: [string, string][] };
type OkResult = Extract<DispatchResult, { ok: true }>;
type FailedResult = Extract<DispatchResult, { ok: false }>;

interface LoadedFunction {
  dispatch(meta?: Partial<Meta>, body?: Uint8Array): Promise<DispatchResult>;
  dispose(): void;
}

async function evaluateModule(runtime: LoadedRuntime, source: string): Promise<ivm.Module> {
  const module = await runtime.isolate.compileModule(source, { filename: 'isola:///test-function.js' });
  await module.instantiate(runtime.context, (specifier) => {
    throw new Error(`unexpected import "${specifier}"`);
  });
  await module.evaluate({ timeout: 1000 });
  return module;
}

async function installModule(runtime: LoadedRuntime, source: string, env: Record<string, string>, maxLogBytes: number): Promise<void> {
  const module = await evaluateModule(runtime, source);
  await runtime.install.apply(undefined, [module.namespace.derefInto(), JSON.stringify(env), maxLogBytes], { timeout: 1000 });
}

const loadedFunctions: LoadedFunction[] = [];

async function loadFunction(source: string, options: { env?: Record<string, string>; maxLogBytes?: number } = {}): Promise<LoadedFunction> {
  const runtime = await loadRuntime();
  await installModule(runtime, source, options.env ?? {}, options.maxLogBytes ?? 64 * 1024);
  const loaded: LoadedFunction = {
    dispatch: (meta = {}, body) => {
      const full: Meta = { invocationId: 'inv-1', method: 'GET', url: 'https://fn.example/', headers: [], ...meta };
      return runtime.dispatch.apply(undefined, [JSON.stringify(full), body], {
        arguments: { copy: true },
        result: { promise: true, copy: true },
        timeout: 1000,
      }) as unknown as Promise<DispatchResult>;
    },
    dispose: () => runtime.isolate.dispose(),
  };
  loadedFunctions.push(loaded);
  return loaded;
}

function assertOk(result: DispatchResult): asserts result is OkResult {
  assert.equal(result.ok, true, `expected ok, got ${JSON.stringify(result)}`);
}

function assertFailed(result: DispatchResult, code: string): asserts result is FailedResult {
  assert.equal(result.ok, false, `expected ${code}, got ${JSON.stringify(result)}`);
  assert.equal((result as FailedResult).error.code, code);
}

const bodyText = (body: Uint8Array | null): string => (body === null ? '<null>' : new TextDecoder().decode(body));
const messages = (logs: LogLine[]): [string, string][] => logs.map((line) => [line.level, line.message]);

const ECHO_FUNCTION = `export default {
  async fetch(request, env, ctx) {
    let immutable = false;
    try { request.headers.set('x-new', '1'); } catch (error) { immutable = error instanceof TypeError; }
    return Response.json({
      method: request.method, url: request.url, q: new URL(request.url).searchParams.get('q'),
      headers: [...request.headers], body: await request.text(), env, envFrozen: Object.isFrozen(env),
      invocationId: ctx.invocationId, immutable,
    });
  },
};`;

describe('dispatch', () => {
  after(() => {
    for (const loaded of loadedFunctions) loaded.dispose();
  });

  test('passes method, url, query, headers, body, env and invocationId to fetch', async () => {
    const fn = await loadFunction(ECHO_FUNCTION, { env: { GREETING: 'hello' } });
    const result = await fn.dispatch(
      { invocationId: 'inv-42', method: 'post', url: 'https://fn.example/echo?q=caf%C3%A9&n=1', headers: [['X-Test', 'yes'], ['content-type', 'text/plain']] },
      new TextEncoder().encode('payload ü'),
    );
    assertOk(result);
    assert.equal(result.status, 200);
    assert.deepEqual(result.headers, [['content-type', 'application/json']]);
    assert.deepEqual(JSON.parse(bodyText(result.body)), {
      method: 'POST',
      url: 'https://fn.example/echo?q=caf%C3%A9&n=1',
      q: 'café',
      headers: [['content-type', 'text/plain'], ['x-test', 'yes']],
      body: 'payload ü',
      env: { GREETING: 'hello' },
      envFrozen: true,
      invocationId: 'inv-42',
      immutable: true,
    });

    const get = await fn.dispatch({ method: 'GET' }, new TextEncoder().encode('ignored'));
    assertOk(get);
    assert.equal((JSON.parse(bodyText(get.body)) as { body: string }).body, '');
  });

  test('returns status, statusText, set-cookie as separate entries and the body bytes', async () => {
    const fn = await loadFunction(`export default {
      fetch(request) {
        if (new URL(request.url).pathname === '/empty') return new Response(null, { status: 204 });
        const headers = new Headers([['Set-Cookie', 'a=1'], ['set-cookie', 'b=2'], ['X-Multi', '1'], ['x-multi', '2']]);
        return new Response(new Uint8Array([0, 1, 255]), { status: 418, statusText: "I'm a teapot", headers });
      },
    };`);
    const result = await fn.dispatch();
    assertOk(result);
    assert.deepEqual(
      { status: result.status, statusText: result.statusText, headers: result.headers, body: [...(result.body ?? [])] },
      { status: 418, statusText: "I'm a teapot", headers: [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-multi', '1, 2']], body: [0, 1, 255] },
    );
    const empty = await fn.dispatch({ url: 'https://fn.example/empty' });
    assertOk(empty);
    assert.equal(empty.status, 204);
    assert.equal(empty.body, null);
  });

  test('captures console output at every level, formatted, with module top-level lines on the first invocation', async () => {
    // Before loading: the module's top-level line is written while it evaluates.
    const before = Date.now();
    const fn = await loadFunction(`console.log('module top level');
      export default {
        fetch() {
          const cyclic = { name: 'c' }; cyclic.self = cyclic;
          console.log('plain', 1, true, null, undefined);
          console.info({ a: [1, { b: 'x' }] });
          console.warn('%s is %d years and %i days, %f%%', 'Ada', 36.6, 2.9, 1.5);
          console.error(new TypeError('bad thing'));
          console.debug(cyclic, [1, 2]);
          console.trace('traced');
          console.log('%j %o', { j: 1 }, [2], 'extra');
          console.log(new Headers({ b: '2', a: '1' }), new Map([['k', 1]]));
          return new Response('ok');
        },
      };`);
    const first = await fn.dispatch();
    assertOk(first);
    const lines = messages(first.logs);
    const errorLine = lines.splice(4, 1)[0];
    assert.deepEqual(lines, [
      ['log', 'module top level'],
      ['log', 'plain 1 true null undefined'],
      ['info', '{"a":[1,{"b":"x"}]}'],
      ['warn', 'Ada is 36.6 years and 2 days, 1.5%'],
      ['debug', '{"name":"c","self":"[Circular]"} [1,2]'],
      ['debug', 'traced'],
      ['log', '{"j":1} [2] extra'],
      ['log', '{"a":"1","b":"2"} {"Map(1)":{"k":1}}'],
    ]);
    assert.equal(errorLine?.[0], 'error');
    // The stack names the user's frame; the runtime's own (minified) frames are left out.
    assert.match(errorLine?.[1] ?? '', /^TypeError: bad thing\n {4}at Object\.fetch \(isola:\/\/\/test-function\.js:\d+:\d+\)$/);
    for (const line of first.logs) assert.ok(line.time >= before && line.time <= Date.now(), `time ${line.time}`);
    assert.equal(first.logsTruncated, false);

    const second = await fn.dispatch();
    assertOk(second);
    assert.equal(second.logs[0]?.message, 'plain 1 true null undefined');
  });

  test('drops lines past maxLogBytes and marks the truncation with a final warn line', async () => {
    const fn = await loadFunction(
      `export default {
        fetch(request) {
          const count = Number(new URL(request.url).searchParams.get('n'));
          for (let i = 0; i < count; i++) console.log('line ' + String(i).padStart(2, '0') + ' ' + 'x'.repeat(20));
          return new Response('done');
        },
      };`,
      { maxLogBytes: 100 },
    );
    // Each line is 28 bytes: three fit in 100, the other seven (196 bytes) are dropped.
    const result = await fn.dispatch({ url: 'https://fn.example/?n=10' });
    assertOk(result);
    assert.equal(result.logsTruncated, true);
    assert.deepEqual(messages(result.logs), [
      ['log', `line 00 ${'x'.repeat(20)}`],
      ['log', `line 01 ${'x'.repeat(20)}`],
      ['log', `line 02 ${'x'.repeat(20)}`],
      ['warn', '[isola] log truncated: 196 more bytes dropped'],
    ]);
    const next = await fn.dispatch({ url: 'https://fn.example/?n=2' });
    assertOk(next);
    assert.equal(next.logsTruncated, false);
    assert.equal(next.logs.length, 2);
  });

  test('FUNCTION_HANDLER_MISSING when the default export has no fetch', async () => {
    const fn = await loadFunction('export default { scheduled() {} };');
    const result = await fn.dispatch();
    assertFailed(result, 'FUNCTION_HANDLER_MISSING');
    assert.equal(result.error.message, 'the function has no fetch handler: export default { async fetch(request, env, ctx) { ... } }');
  });

  test('FUNCTION_ERROR and FUNCTION_INVALID_RESPONSE for every way a handler can fail', async () => {
    const fn = await loadFunction(`class QuotaError extends Error { constructor(m) { super(m); this.name = 'QuotaError'; } }
      export default {
        fetch(request) {
          const path = new URL(request.url).pathname;
          console.log('handling', path);
          switch (path) {
            case '/sync-throw': throw new RangeError('sync');
            case '/reject': return Promise.reject(new QuotaError('quota exceeded'));
            case '/string': throw 'plain string';
            case '/null-prototype': throw Object.create(null);
            case '/undefined': return undefined;
            case '/text': return 'hello';
            case '/object': return { status: 200 };
            case '/fake': return Object.create(Response.prototype);
            case '/network-error': return Response.error();
            case '/used': { const response = new Response('x'); return response.text().then(() => response); }
          }
        },
      };`);
    const at = (path: string) => fn.dispatch({ url: `https://fn.example${path}` });

    const sync = await at('/sync-throw');
    assertFailed(sync, 'FUNCTION_ERROR');
    assert.equal(sync.error.message, 'sync');
    assert.equal(sync.error.details?.name, 'RangeError');
    assert.match(sync.error.details?.stack ?? '', /^RangeError: sync\n {4}at Object\.fetch \(isola:\/\/\/test-function\.js:\d+:\d+\)$/);
    assert.deepEqual(messages(sync.logs), [['log', 'handling /sync-throw']]);

    const rejected = await at('/reject');
    assertFailed(rejected, 'FUNCTION_ERROR');
    assert.deepEqual([rejected.error.message, rejected.error.details?.name], ['quota exceeded', 'QuotaError']);

    const thrownString = await at('/string');
    assertFailed(thrownString, 'FUNCTION_ERROR');
    assert.deepEqual(thrownString.error, { code: 'FUNCTION_ERROR', message: 'plain string' });

    const nullPrototype = await at('/null-prototype');
    assertFailed(nullPrototype, 'FUNCTION_ERROR');
    assert.equal(nullPrototype.error.message, '{}');

    const invalid: [string, RegExp][] = [
      ['/undefined', /returned undefined; fetch must return a Response/],
      ['/text', /returned a string; fetch must return a Response/],
      ['/object', /returned an object of type Object; fetch must return a Response/],
      ['/fake', /returned an object of type Response; fetch must return a Response/],
      ['/network-error', /returned Response\.error\(\)/],
    ];
    for (const [path, pattern] of invalid) {
      const result = await at(path);
      assertFailed(result, 'FUNCTION_INVALID_RESPONSE');
      assert.match(result.error.message, pattern, path);
    }

    const used = await at('/used');
    assertFailed(used, 'FUNCTION_ERROR');
    assert.match(used.error.message, /already been used/);
  });

  test('waits for ctx.waitUntil work, keeps its logs and reports its rejections', async () => {
    const fn = await loadFunction(`export default {
      fetch(request, env, ctx) {
        ctx.waitUntil(Promise.resolve().then(() => console.log('background done')));
        ctx.waitUntil(Promise.reject(new Error('background failed')));
        ctx.passThroughOnException();
        return new Response('fast');
      },
    };`);
    const result = await fn.dispatch();
    assertOk(result);
    assert.equal(bodyText(result.body), 'fast');
    assert.deepEqual(result.logs[0] && [result.logs[0].level, result.logs[0].message], ['log', 'background done']);
    assert.equal(result.logs[1]?.level, 'error');
    assert.match(result.logs[1]?.message ?? '', /^\[isola\] ctx\.waitUntil promise rejected: Error: background failed/);
  });

  test('concurrent dispatches keep their own lines', async () => {
    const fn = await loadFunction(`export default {
      async fetch(request, env, ctx) { console.log('start', ctx.invocationId); await null; console.log('end', ctx.invocationId); return new Response(ctx.invocationId); },
    };`);
    const results = await Promise.all(['a', 'b', 'c'].map((invocationId) => fn.dispatch({ invocationId })));
    for (const [index, result] of results.entries()) {
      const id = ['a', 'b', 'c'][index];
      assertOk(result);
      assert.deepEqual(messages(result.logs), [['log', `start ${id}`], ['log', `end ${id}`]]);
    }
  });

  test('user code sees no Node globals and no runtime bridge, only the Web APIs', async () => {
    const fn = await loadFunction(`export default {
      fetch() {
        const hidden = ['require', 'process', 'Buffer', 'module', 'exports', 'global', '__isolaRuntime', '__core-js_shared__', 'connectHost', 'runTimers', 'Reference', 'ivm', '_ivm'];
        const present = ['URL', 'URLSearchParams', 'Headers', 'Request', 'Response', 'TextEncoder', 'TextDecoder', 'console', 'crypto', 'Crypto', 'SubtleCrypto', 'CryptoKey',
          'fetch', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'atob', 'btoa', 'queueMicrotask', 'DOMException'];
        return Response.json({
          hidden: hidden.filter((name) => typeof globalThis[name] !== 'undefined'),
          missing: present.filter((name) => typeof globalThis[name] === 'undefined'),
          enumerable: present.filter((name) => Object.keys(globalThis).includes(name)),
          misnamed: present.filter((name) => typeof globalThis[name] === 'function' && globalThis[name].name !== name),
          requireType: typeof require, processType: typeof process,
        });
      },
    };`);
    const result = await fn.dispatch();
    assertOk(result);
    assert.deepEqual(JSON.parse(bodyText(result.body)), { hidden: [], missing: [], enumerable: [], misnamed: [], requireType: 'undefined', processType: 'undefined' });
  });

  test('install rejects a module without a default export object', async () => {
    const message = "the function's module has no default export object: write export default { async fetch(request, env, ctx) { ... } }";
    for (const source of ['export const handler = {};', 'export default null;', 'export default 42;']) {
      const runtime = await loadRuntime();
      try {
        await assert.rejects(installModule(runtime, source, {}, 1024), { message }, source);
      } finally {
        runtime.isolate.dispose();
      }
    }
  });

  test('rejects only for malformed host input, and stays usable', async () => {
    const fn = await loadFunction('export default { fetch() { console.log("fine"); return new Response("ok"); } };');
    await assert.rejects(fn.dispatch({ url: 'not a url' }), /invalid URL/);
    const result = await fn.dispatch();
    assertOk(result);
    assert.deepEqual(messages(result.logs), [['log', 'fine']]);
  });
});

// ---------------------------------------------------------------------------------------------
// Part three: conformance of what exists only while an invocation runs (timers). Each snippet
// is evaluated by a function's fetch handler in the sandbox, and in Node as in part one.

const invocationCases: Record<string, Record<string, string>> = {
  timers: {
    'callbacks run by due time, ties in call order, microtasks between callbacks': `const order = [];
      await new Promise((resolve) => {
        setTimeout(() => order.push('20'), 20);
        setTimeout(() => order.push('0a'), 0);
        setTimeout(() => { order.push('0b'); Promise.resolve().then(() => order.push('microtask after 0b')); queueMicrotask(() => order.push('queued after 0b')); }, 0);
        setTimeout(() => order.push('0c'));
        setTimeout(() => order.push('5'), 5);
        Promise.resolve().then(() => order.push('microtask'));
        setTimeout(resolve, 40);
      });
      return order;`,
    'extra arguments are passed; cleared timers never run; unknown ids are ignored': `const seen = [];
      await new Promise((resolve) => {
        setTimeout((a, b, c) => seen.push([a, b, c]), 1, 'x', 2, { k: true });
        const cancelled = setTimeout(() => seen.push('cancelled'), 1);
        clearTimeout(cancelled); clearTimeout(cancelled); clearTimeout(undefined); clearTimeout(); clearTimeout(987654); clearTimeout('nonsense'); clearInterval(null);
        const later = setTimeout(() => seen.push('cleared by an earlier timer'), 15);
        setTimeout(() => clearTimeout(later), 5);
        setTimeout(resolve, 30);
      });
      return seen;`,
    'setInterval repeats until cleared, by either clear function, also from its own callback': `const counts = [0, 0];
      await new Promise((resolve) => {
        const first = setInterval(() => { counts[0] += 1; if (counts[0] === 3) clearInterval(first); }, 1);
        const second = setInterval((step) => { counts[1] += step; if (counts[1] === 4) { clearTimeout(second); setTimeout(resolve, 30); } }, 2, 2);
      });
      return counts;`,
    'delays are converted like numbers: strings, objects, NaN and negatives': `const order = [];
      await new Promise((resolve) => {
        setTimeout(() => order.push('ten'), '10');
        setTimeout(() => order.push('nan'), NaN);
        setTimeout(() => order.push('negative'), -5);
        setTimeout(() => order.push('three'), { valueOf: () => 3 });
        setTimeout(() => order.push('undefined'));
        setTimeout(() => order.push('null'), null);
        setTimeout(resolve, 40);
      });
      return [order, attempt(() => setTimeout(() => {}, Symbol('x')))];`,
    'the callback must be a function': `return [attempt(() => setTimeout('order.push(1)', 0)), attempt(() => setTimeout()), attempt(() => setInterval({}, 1)), attempt(() => setTimeout(null))];`,
  },
};

const EVAL_FUNCTION = 'export default { async fetch(request) { return new Response(await (0, eval)(await request.text())); } };';

describe('runtime conformance with Node, inside an invocation', () => {
  let evaluator: LoadedFunction;
  before(async () => {
    evaluator = await loadFunction(EVAL_FUNCTION);
  });
  after(() => evaluator.dispose());

  for (const [api, cases] of Object.entries(invocationCases)) {
    describe(api, () => {
      for (const [name, body] of Object.entries(cases)) {
        test(name, async () => {
          const script = `(async () => { ${PRELUDE} const result = await (async () => { ${body} })(); return JSON.stringify(result); })()`;
          const result = await evaluator.dispatch({ method: 'POST' }, new TextEncoder().encode(script));
          assertOk(result);
          const inNode = (await runInThisContext(script)) as string;
          assert.equal(bodyText(result.body), inNode);
        });
      }
    });
  }
});
