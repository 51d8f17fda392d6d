// The in-isolate runtime (src/runtime, bundled to dist/runtime/runtime.bundle.js) loaded into
// real isolated-vm isolates. Part one runs the same script against the runtime's Web APIs and
// against Node's own (URL, TextEncoder, Headers, Request, Response...) and requires identical
// results. Part two drives install()/dispatch() exactly as the host does.
// Run with --no-node-snapshot (every process that loads isolated-vm needs it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runInThisContext } from 'node:vm';
import {
  assertFailed,
  assertOk,
  bodyText,
  describeConformance,
  disposeLoadedFunctions,
  installModule,
  loadFunction,
  loadRuntime,
  messages,
  PRELUDE,
  type ConformanceCases,
  type LoadedFunction,
  type LoadedRuntime,
} from './runtime-test-harness.js';

// ---------------------------------------------------------------------------------------------
// Part one: conformance against Node's implementations.

const conformanceCases: ConformanceCases = {
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
  // Inputs on both sides of each condition of the runtime's URL fast path (web/url-fast-path.ts).
  'URL fast path': {
    'scheme, host and whitespace': `return ['http://a.com/', 'HTTP://a.com/', 'hTTps://a.com/', 'http://A.com/', 'http://a.COM/', 'http://a_b.com/', 'http://-a.com/', 'http://a-.com/', 'http://ab--c.com/', 'http://a-b.com/',
      'http://xn--mnchen-3ya.de/', 'http://a..b/', 'http://a.com./', 'http://.a.com/', 'http:///a.com/', 'http:a.com/', 'http:/a.com/', 'http:\\\\\\\\a.com\\\\x', 'http://a.com\\\\x', ' http://a.com/', 'http://a.com/ ', '\\thttp://a.com/',
      'http://a\\tb.com/', 'http://a\\nb.com/', 'http://a.com/p\\tq', 'http://a.com/p\\r\\nq', 'http://ü.com/', 'http://a.com/ü', 'http://localhost/', 'ws://a.com/', 'wss://a.com/', 'ftp://a.com/', 'http://user@a.com/', 'http://:@a.com/',
      'http://a.com@b.com/', 'http://a.com', 'http://a.com?x', 'http://a.com#x', 'http://a.com:8080', 'http://' + 'a'.repeat(63) + '.com/', 'http://' + 'a'.repeat(64) + '.com/', 'http://' + 'abcdefghi.'.repeat(25) + 'com/',
      'http://a.com%2f/', 'http://a%41.com/', 'http://a.com/\\u0000', 'http://[::1]/', 'http://a.com:/', 'https://a.com\\u3002b/'].map((u) => parseUrl(u));`,
    'IPv4-looking hosts': `return ['1.2.3', '1.2.3.4', '0x7f.1', '127.0.0.1', '256.1.1.1', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', '0.0.0.0', '255.255.255.255', '1.2.3.256', '1.2.3.4.', 'a.1', '1.a', '1.2.3.0x4', '0x', 'a.0x1', 'a.0xg', 'a.0x',
      '1e3', 'a.09', 'a.1e3', '4294967295', '4294967296', '1..2.3.4', '999.com', '1.2.3.4a', '0.1.2.3', '10.0.0.1', '1000.1.1.1'].map((host) => parseUrl('http://' + host + '/p'));`,
    'ports': `return [':0', ':1', ':65535', ':65536', ':99999', ':123456', ':080', ':00', ':8080', ':80', ':443', ': 80', ':8a', ':-1', ':+1', ':8080a', ':8080@b'].flatMap((port) => ['http://a.com' + port + '/x', 'https://a.com' + port, 'ws://a.com' + port + '?q', 'wss://a.com' + port + '#h'].map((u) => parseUrl(u)));`,
    'dot segments and path characters': `return ['/.', '/..', '/./', '/a/./b', '/a/../b', '/%2e', '/%2E', '/%2e%2e', '/.%2e', '/%2e.', '/%2E%2e/', '/a/%2e%2e', '/...', '/.a', '/a.', '/..a', '/%2ea', '/%2e%2e%2e', '/a/b/..', '/a/b/.?x', '/a/..#x',
      '/a b', '/a%20b', '/a%2', '/a%zz', '/a%', "/'", '/"', '/<>', '/\`', '/{}', '/|', '/[]', '/\\\\', '/~!$&()*+,;=:@', '/%7e', '/%7E', '/%C3%BC', '/a//b', '//', '/é', '/\\u00a0'].map((path) => parseUrl('http://a.com' + path));`,
    'query and fragment characters': `return ['?', '#', '?#', '?a=b', "?'", "#'", '?"', '#"', '?a b', '#a b', '?a\`', '#a\`', '?{}', '#{}', '??', '#?', '#a#b', '?a#b#c', '?%zz', '#%zz', '?%2', '?a=%C3%BC', '?^', '#^', '?|', '?\\\\', '#\\\\',
      '?<>', '#<>', '?é', '#é', '?a=1&b=2&a=3', '?name=x&empty=&=v&&flag', '?+%20+', '?%E2%82%AC=%F0%9F%98%80'].map((rest) => parseUrl('http://a.com/p' + rest));`,
    'relative resolution': `const bases = ['http://a.com/b/c?q=1#f', 'https://a.com:8443/dir/', 'http://u:p@a.com/x', 'http://a.com', 'ws://a.com/x/y', 'HTTP://A.COM/b/c', 'http://a.com/b/c?', 'http://a.com/b/c#', 'ftp://a.com/x/y', 'file:///x/y', 'foo://a/x/y', 'not a url'];
      const refs = ['', '/', '/p', '//', '//b.com/p', '//B.com', '//b.com:80/', '?', '?x', '?x#y', '#', '#y', 'g', 'g/h', 'g?x', 'g#y', './g', '../g', '.', '..', 'g/.', 'g/..', 'a:b', 'http:g', 'http:/g', 'https:g', 'g:h', ':x', 'g:', '\\\\g', '/\\\\g',
        'g\\\\h', ' g', 'g ', '%2e/g', 'g/%2e%2e', "g'?'#'", '/p?x#y', 'http://c.com/d', 'HTTP://c.com/d', '?a b', 'ü', '/ü', 'g%zz', 'g%41'];
      return bases.map((base) => refs.map((ref) => parseUrl(ref, base)));`,
    'URL and string conversions of input and base': `const base = new URL('http://a.com/dir/x?q');
      return [parseUrl('y', base), parseUrl(new URL('http://b.com/p')), parseUrl('http://a.com', undefined), parseUrl({ toString: () => 'http://c.com/t' }), attempt(() => new URL(Symbol('s'))), attempt(() => new URL()),
        attempt(() => new URL('/x', Symbol('s'))), parseUrl('/x', { toString: () => 'https://d.com/' }), parseUrl('http://a.com/', 'not a url')];`,
    'Invalid URL errors': `const details = (fn) => { try { fn(); return 'no error'; } catch (e) { return [e.name, e.message, e.code, e.input, e.base, e instanceof TypeError]; } };
      return [details(() => new URL('x')), details(() => new URL('x', 'http://[')), details(() => new URL('/x', 'y')), details(() => { new URL('http://a.com').href = 'nope'; })];`,
    'URL.parse and URL.canParse': `return [URL.parse('http://a.com/x').href, URL.parse('x'), URL.parse('/x', 'http://a.com/y').href, URL.parse('http://A.com:80/./x').href, URL.parse('x', 'y'), URL.canParse('http://a.com'), URL.canParse('/x'), URL.canParse('/x', 'http://a.com'),
      URL.canParse('http://a.com', 'nope'), URL.canParse('HTTP://a.com/%2e'), attempt(() => URL.canParse()), attempt(() => URL.parse()), URL.parse('http://a.com') instanceof URL, URL.parse.length, URL.canParse.length];`,
    'setters on fast-path URLs': `const out = []; const set = (href, name, value) => { const u = new URL(href); const p = u.searchParams; u[name] = value; out.push([href, name, value, ...urlParts(u), [...p]]); };
      const values = { href: ['https://b.com/n?z=1', 'ws://c.com'], protocol: ['https', 'ws:', 'ftp', 'foo', 'http'], username: ['me', 'a b'], password: ['pw'],
        host: ['b.com:81', 'B.COM', 'b.com:80', '', 'b.com', 'b.com/x', 'b.com:8a', 'b.com:', '[::1]', 'b.com:65536', 'b.com?x', 'b.com#x', 'b_c.d:1'],
        hostname: ['c.com', '1.2.3', 'c.com:1', 'C.com', 'c.com/x', '', 'xn--mnchen-3ya.de', 'c_d.e', '-c.d', '1.2.3.4', 'c.com.'],
        port: ['8081', '80', '', 'x', '65536', '0'], pathname: ['/new', 'rel', '/a/../b', '/ü', '', '/a b', '/x?y', '/x#y', '//x', '/%2e', '\\\\x', "/'"],
        search: ['?a=b', 'c=d', '', '?', '?a b', "?'", 'a#b', '??x', '\\uD800', '?x=1&y=2'], hash: ['#x', 'y', '', '#', '#a b', '#a#b', '\\uD800', '##', "#'", '#?x'] };
      const hrefs = ['http://a.com:8080/p/q?k=v&k=w#f', 'https://a.com/', 'http://u:p@a.com/x', 'ws://1.2.3.4/', 'http://a.com/?', 'foo://h/p', 'mailto:x'];
      for (const href of hrefs) for (const [name, list] of Object.entries(values)) for (const value of list) set(href, name, value);
      return out;`,
    'searchParams linked both ways': `const u = new URL('http://a.com/p?a=1&b=2#h'); const p = u.searchParams; const log = () => [u.href, u.search, [...p], p.size];
      const steps = [log(), p === u.searchParams];
      p.append('c', 'x y+ü'); steps.push(log()); p.delete('a'); steps.push(log()); p.set('b', '9'); steps.push(log()); p.sort(); steps.push(log());
      u.search = '?z=%zz&z=2'; steps.push(log(), p.get('z')); p.append('y', "'"); steps.push(log());
      u.href = 'http://b.com/?m=n'; steps.push(log()); u.hash = 'x'; steps.push(log()); p.delete('m'); steps.push(log()); u.search = '?'; steps.push(log()); p.append('k', ''); steps.push(log());
      const opaque = new URL('data:a?x=1'); opaque.searchParams.delete('x'); const opaqueHash = new URL('data:a?x=1#f'); opaqueHash.searchParams.delete('x');
      const empty = new URL('http://a.com/?'); const relative = new URL('?q=1', 'http://a.com/b'); relative.searchParams.append('r', '2');
      return [steps, [opaque.href, opaque.pathname], [opaqueHash.href, opaqueHash.pathname], [empty.href, empty.search, empty.searchParams.size], relative.href];`,
    'members, descriptors and brand checks': `const describe = (object) => Reflect.ownKeys(object).filter((key) => typeof key === 'string' || key === Symbol.iterator || key === Symbol.toStringTag).map((key) => { const d = Object.getOwnPropertyDescriptor(object, key); return [String(key), d.enumerable, d.configurable, d.writable, typeof d.get, typeof d.set, typeof d.value]; });
      const forIn = []; for (const key in new URL('http://a.com')) forIn.push(key);
      const iterator = new URLSearchParams('a=1').keys();
      // Not compared: URL.createObjectURL and revokeObjectURL (the runtime has no Blob).
      return [describe(URL.prototype), describe(URLSearchParams.prototype), describe(Object.getPrototypeOf(iterator)), Object.keys(URL).filter((key) => !key.endsWith('ObjectURL')), URL.length, URLSearchParams.length, forIn, Object.keys(new URL('http://a.com')),
        URLSearchParams.prototype[Symbol.iterator] === URLSearchParams.prototype.entries, Object.prototype.toString.call(iterator), Object.prototype.toString.call(new URLSearchParams()),
        attempt(() => URL.prototype.href), attempt(() => Object.getOwnPropertyDescriptor(URL.prototype, 'search').get.call({})), attempt(() => URL.prototype.toString.call({})), attempt(() => URL()),
        attempt(() => URLSearchParams.prototype.get.call({}, 'a')), attempt(() => Object.getOwnPropertyDescriptor(URLSearchParams.prototype, 'size').get.call({})), attempt(() => iterator.next.call({})), attempt(() => URLSearchParams())];`,
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
  'URLSearchParams (more)': {
    'init forms': `const base = new URLSearchParams('a=1&b=2'); const fromUrl = new URL('http://a.com/?u=1').searchParams;
      const copy = new URLSearchParams(fromUrl); copy.append('v', '2');
      const record = { b: '2', a: '1' }; Object.defineProperty(record, 'hidden', { value: 'x', enumerable: false });
      const fn = Object.assign(() => 0, { f: 'g' });
      function* pairs() { yield ['g', '1']; yield new Set(['h', '2']); }
      return [[...new URLSearchParams('?a=1')], [...new URLSearchParams('??a=1')], [...new URLSearchParams(base)], [...copy], fromUrl.toString(), [...new URLSearchParams(new Map([['m', 'n']]))], [...new URLSearchParams(record)],
        [...new URLSearchParams(fn)], [...new URLSearchParams(pairs())], [...new URLSearchParams(12)], [...new URLSearchParams(true)], [...new URLSearchParams(null)], [...new URLSearchParams(undefined)], [...new URLSearchParams('')],
        [...new URLSearchParams({ '\\uD800': '1', '\\uFFFD': '2', c: '\\uDC00' })], [...new URLSearchParams([[1, 2], ['\\uD800', {}]])],
        attempt(() => new URLSearchParams({ [Symbol.iterator]: 5 })), attempt(() => new URLSearchParams([null])), attempt(() => new URLSearchParams(['ab'])), attempt(() => new URLSearchParams([new Set(['a', 'b', 'c'])])),
        attempt(() => new URLSearchParams({ [Symbol('s')]: 'x' })), attempt(() => new URLSearchParams(Symbol('s'))), attempt(() => new URLSearchParams({ a: Symbol('s') }))];`,
    'methods and their arguments': `const p = new URLSearchParams('a=1&b=2&a=3&c&a=1');
      const out = [p.get('a'), p.getAll('a'), p.get('c'), p.get('z'), p.has('a'), p.has('a', '3'), p.has('a', '4'), p.has('a', undefined), p.has('z'), p.size];
      p.delete('a', '1'); out.push(p.toString()); p.delete('a', undefined); out.push(p.toString()); p.set('b', 'x'); p.set('d', 'y'); out.push(p.toString());
      out.push(attempt(() => p.get()), attempt(() => p.getAll()), attempt(() => p.has()), attempt(() => p.delete()), attempt(() => p.append('a')), attempt(() => p.set('a')), attempt(() => p.forEach()), attempt(() => p.forEach(1)), p.get(1), p.get(null));
      p.append(null, undefined); p.append({}, 1.5); out.push(p.toString());
      return out;`,
    'sort is stable, by UTF-16 code units': `const small = new URLSearchParams('z=1&a=2&z=3&\\uFFFF=4&\\uD83D\\uDE00=5&a=6&Z=7&=8'); small.sort();
      const entries = []; for (let i = 0; i < 180; i++) entries.push(['k' + ((i * 37) % 23), String(i)]);
      const large = new URLSearchParams(entries); large.sort();
      return [[...small], large.toString()];`,
    'live iteration and forEach': `const p = new URLSearchParams('a=1&b=2&c=3&d=4'); const seen = [];
      for (const [name] of p) { seen.push(name); if (name === 'a') p.delete('b'); if (name === 'c') p.append('e', '5'); }
      const calls = []; p.forEach(function (value, name, self) { calls.push([name, value, self === p, this && this.t]); if (name === 'a') p.delete('c'); }, { t: 1 });
      const it = p.values(); const first = it.next(); p.delete('a'); const rest = [...it];
      return [seen, calls, first, rest, it.next(), [...p.keys()], [...p.entries()], it[Symbol.iterator]() === it];`,
    'urlencoded parsing of bytes and separators': `const single = []; for (let i = 0; i < 256; i++) single.push(new URLSearchParams('k=%' + i.toString(16).padStart(2, '0')).get('k'));
      const cases = ['%C3', '%C3%28', '%ED%A0%80', '%F0%9F%98%80', '%EF%BB%BFa', '%zz', '%', '%%41', '%4', '+%2B+', '=', '==', '&&', 'a=b=c', '&a&', 'ü=€', '%E2%82', '%E2%82%AC%80', '%c3%bc', 'a+b=c+d', '%F4%90%80%80', '%C0%80'];
      return [single.map((s) => [...s].map((c) => c.codePointAt(0))), cases.map((s) => [...new URLSearchParams(s)].map(([k, v]) => [k, v, [...v].map((c) => c.codePointAt(0))]))];`,
    'urlencoded serialization of every ASCII character': `const all = String.fromCharCode(...Array.from({ length: 128 }, (_, i) => i));
      return [new URLSearchParams([[all, all]]).toString(), new URLSearchParams({ 'é ü': '€😀', '\\uD800x': '\\uDFFF' }).toString(), new URLSearchParams([['', '']]).toString(), new URLSearchParams().toString()];`,
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

describeConformance('runtime conformance with Node', conformanceCases);

/**
 * URL-ish strings from small alphabets of parts that sit on either side of the URL fast path's
 * conditions, some mutated by a random character, some relative to a random base. Seeded, so a
 * failure reproduces. Special schemes only (the fast path's domain); left out are parts
 * where core-js (the slow path) and Node 20 are known to differ: "^" in paths, invalid
 * punycode (so "xn--" hosts are never mutated), file: URLs, UTS #46 mappings, and segments
 * starting with "." (Node 20 leaves "/b/.a/.." as it is).
 */
function urlLikeInputs(count: number, seed: number): [input: string, base?: string][] {
  let state = seed;
  const random = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const schemes = ['http://', 'https://', 'ws://', 'wss://', 'http://', 'https://', 'HTTP://', 'Https://', 'wS://', 'ftp://', 'http:', 'http:/', 'http:///', 'http:\\\\', 'https:/\\'];
  const userinfo = ['', '', '', '', '', 'u@', 'u:p@', ':@'];
  const hosts = ['a.com', 'example.org', 'localhost', 'A.com', 'a_b.c', 'a-b.c', '-a.c', 'a..b', 'a.com.', '127.0.0.1', '1.2.3', '0x7f.1', '256.1.1.1', '1.2.3.4.5', '01.2.3.4',
    '10.0.0.255', '[::1]', 'xn--mnchen-3ya.de', 'münchen.de', 'a b', 'a%41', '', 'a.1', 'a.0x', 'ab--c.d', '1e3', '99.com', 'x.y.z'];
  const ports = ['', '', '', '', ':80', ':443', ':0', ':8080', ':65535', ':65536', ':080', ':', ':x', ':1'];
  const segments = ['a', 'b', 'fn', 'hello', 'é', '.', '..', '%2e', '%2E%2e', 'a.', '..a', '', 'a b', '%20', '%', '%zz', '%41', "'", '"', '|', '~', ':', '@', '!$&()*+,;=', '\\', '\t', '[x]', '{x}', 'x`', '<', 'Z'];
  const queries = ['', '', '', '?', '?a=b', '?name=x&a=b', "?'", '?a b', '?%zz', '?é', '??', '?a=1&a=2', '?+%2B', '?x=y/z:w@v', '?{}', '?"', '?\\', '?a=%C3%BC'];
  const fragments = ['', '', '', '#', '#f', '#a b', "#'", '#a#b', '#é', '#?x', '#%zz', '#`'];
  const noise = ['A', 'a', '0', '9', '.', '/', '\\', ':', '?', '#', '%', '2', 'e', '@', ' ', '\t', '\n', "'", '-', '_', 'x', '[', ']', 'é', '&', '=', '+'];
  const path = (): string => Array.from({ length: Math.floor(random() * 4) }, () => `/${pick(segments)}`).join('');
  const absolute = (): string => pick(schemes) + pick(userinfo) + pick(hosts) + pick(ports) + path() + pick(queries) + pick(fragments);
  const mutate = (text: string): string => {
    // Not inside a scheme, and not making one: the inputs stay special.
    const from = text.indexOf(':') + 1;
    const at = from + Math.floor(random() * (text.length + 1 - from));
    const mutated = random() < 0.7 ? text.slice(0, at) + pick(noise) + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(mutated)?.[0].toLowerCase();
    return scheme === undefined || ['http:', 'https:', 'ws:', 'wss:', 'ftp:'].includes(scheme) ? mutated : text;
  };
  const inputs: [string, string?][] = [];
  for (let i = 0; i < count; i++) {
    const mutable = (text: string): boolean => !text.includes('xn--') && random() < 0.3;
    if (random() < 0.35) {
      const reference = pick(['', '/', '//', '?', '#', './', '../', '', 'g', 'http:', 'https:']) + path().slice(random() < 0.5 ? 1 : 0) + pick(queries) + pick(fragments);
      inputs.push([mutable(reference) ? mutate(reference) : reference, absolute()]);
    } else {
      const input = absolute();
      inputs.push([mutable(input) ? mutate(input) : input]);
    }
  }
  return inputs;
}

describe('URL differential check with Node', () => {
  let runtime: LoadedRuntime;
  before(async () => {
    runtime = await loadRuntime();
  });
  after(() => runtime.isolate.dispose());

  test('random URL-ish strings parse to the same components as in Node', async () => {
    const inputs = urlLikeInputs(4000, 20240611);
    const script = `(() => { ${PRELUDE}
      const inputs = ${JSON.stringify(inputs)};
      const setters = [['pathname', '/x/y'], ['pathname', '/a b'], ['pathname', '/x?y'], ['search', 'q=1'], ['search', ''], ['search', "?'"], ['hash', 'h'], ['hash', ''], ['hash', 'a b'],
        ['host', 'b.example:81'], ['host', 'b.example'], ['hostname', 'c.example'], ['hostname', 'C.example'], ['port', '81'], ['port', ''], ['protocol', 'https'], ['username', 'me']];
      return JSON.stringify(inputs.map(([input, base], index) => {
        const parsed = parseUrl(input, base);
        // And once more through href, relative resolution and searchParams' round trip.
        const again = typeof parsed === 'string' ? parsed : parseUrl(parsed[0]);
        const params = attempt(() => { const u = new URL(input, base); u.searchParams.append('k', 'v w'); return u.href; });
        const [setter, value] = setters[index % setters.length];
        const set = attempt(() => { const u = new URL(input, base); u[setter] = value; return urlParts(u); });
        // Node's own canParse goes wrong on non-ASCII input once V8 takes its fast API path.
        const ascii = /^[\\0-\\x7f]*$/.test(input + (base ?? ''));
        return [parsed, again, params, set, ascii ? URL.canParse(input, base) : null];
      }));
    })()`;
    const inIsolate = JSON.parse((await runtime.context.eval(script, { timeout: 20_000 })) as string) as unknown[];
    const inNode = JSON.parse(runInThisContext(script) as string) as unknown[];
    const mismatches = inputs
      .map((input, index) => [JSON.stringify(input), JSON.stringify(inIsolate[index]), JSON.stringify(inNode[index])])
      .filter(([, isolate, node]) => isolate !== node)
      .map(([input, isolate, node]) => `${input}\n  isolate ${isolate}\n  node    ${node}`);
    assert.deepEqual(mismatches.slice(0, Number(process.env['URL_MISMATCHES'] ?? 5)), [], `${mismatches.length} of ${inputs.length} inputs differ`);
  });
});

// ---------------------------------------------------------------------------------------------
// Part two: install() and dispatch() as the host drives them.

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
  after(disposeLoadedFunctions);

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
        const present = ['URL', 'URLSearchParams', 'Headers', 'Request', 'Response', 'TextEncoder', 'TextDecoder', 'console', 'atob', 'btoa', 'queueMicrotask',
          'DOMException', 'structuredClone', 'Event', 'CustomEvent', 'EventTarget', 'AbortController', 'AbortSignal', 'ReadableStream', 'WritableStream',
          'TransformStream', 'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader', 'WritableStreamDefaultWriter', 'ByteLengthQueuingStrategy',
          'CountQueuingStrategy', 'TextEncoderStream', 'TextDecoderStream', 'crypto', 'Crypto', 'SubtleCrypto', 'CryptoKey',
          'fetch', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'];
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

  test('the full URL parser loads on first use and leaves the globals alone', async () => {
    const fn = await loadFunction(`const { URL: OwnURL, URLSearchParams: OwnParams, Request: OwnRequest } = globalThis;
      const globalNames = () => Object.getOwnPropertyNames(globalThis).sort().join();
      export default {
        fetch(request) {
          const before = globalNames();
          const fast = new URL(request.url).pathname;
          const slow = new URL('HTTP://Example.COM:80/a/./b/../c?x=1#y').href;
          const set = new URL(request.url); set.hostname = 'B.example'; set.searchParams.append('k', 'v');
          return Response.json({
            fast, slow, set: set.href,
            globalsChanged: globalNames() !== before,
            same: [URL === OwnURL, URLSearchParams === OwnParams, Request === OwnRequest, set instanceof OwnURL, set.searchParams instanceof OwnParams],
            coreJsStore: '__core-js_shared__' in globalThis,
          });
        },
      };`);
    const result = await fn.dispatch({ url: 'https://fn.example/p?q=1' });
    assertOk(result);
    assert.deepEqual(JSON.parse(bodyText(result.body)), {
      fast: '/p',
      slow: 'http://example.com/a/c?x=1#y',
      set: 'https://b.example/p?q=1&k=v',
      globalsChanged: false,
      same: [true, true, true, true, true],
      coreJsStore: false,
    });
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
  AbortSignal: {
    'timeout(): TimeoutError after the delay': `// Node's timeout timer does not keep the event loop alive; this one does, for the test.
      const keepAlive = setTimeout(() => {}, 1000);
      try {
        const s = AbortSignal.timeout(1); const before = s.aborted;
        await new Promise((resolve) => s.addEventListener('abort', resolve));
        return [before, s.aborted, s.reason.name, s.reason.message, s.reason.code, s.reason instanceof DOMException];
      } finally { clearTimeout(keepAlive); }`,
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
