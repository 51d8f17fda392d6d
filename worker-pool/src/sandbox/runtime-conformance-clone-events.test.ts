// structuredClone, Event/EventTarget and AbortController/AbortSignal in the sandbox runtime,
// compared with Node's own (part one), then what only the sandbox has: refusing to clone
// platform objects as browsers do, listener errors in the log, AbortSignal.timeout without timers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertOk,
  bodyText,
  describeConformance,
  disposeLoadedFunctions,
  loadFunction,
  loadRuntime,
  messages,
  type ConformanceCases,
  type LoadedRuntime,
} from './runtime-test-harness.js';

// What a thrown value looks like, DOMExceptions included (name, message, legacy code).
const FAILURE = `const failure = (fn) => { try { fn(); return 'no error'; } catch (e) { return [e.name, e.message, e.code, e instanceof DOMException, e instanceof Error]; } };
  const failureName = (fn) => { try { fn(); return 'no error'; } catch (e) { return [e.name, e instanceof DOMException]; } };`;

const conformanceCases: ConformanceCases = {
  structuredClone: {
    'primitives': `const values = [1, 'a', true, null, undefined, NaN, Infinity, 2n ** 70n, -0, ''];
      return values.map((v) => { const c = structuredClone(v); return [typeof c, String(c), Object.is(c, v)]; });`,
    'plain objects and arrays: own enumerable string keys, getters run, prototype dropped': `
      class Point { constructor() { this.x = 1; this.y = 2; } sum() { return 3; } }
      const source = { b: 1, a: { nested: [1, 'two', { three: 3 }] }, 2: 'index', [Symbol('s')]: 'dropped' };
      Object.defineProperty(source, 'hidden', { value: 1, enumerable: false });
      Object.defineProperty(source, 'computed', { get() { return 'got'; }, enumerable: true });
      Object.defineProperty(source, '__proto__', { value: { own: true }, enumerable: true, configurable: true, writable: true });
      const c = structuredClone(source); const p = structuredClone(new Point()); const inherited = structuredClone(Object.create({ inh: 1 }, { own: { value: 2, enumerable: true } }));
      return [Object.keys(c), JSON.stringify(c), Object.getPrototypeOf(c) === Object.prototype, c.__proto__, Object.getPrototypeOf(p) === Object.prototype, JSON.stringify(p), JSON.stringify(inherited), c !== source, c.a !== source.a];`,
    'arrays keep holes, length and extra properties': `const a = [1, , 3]; a.extra = 'x'; a.length = 5; const c = structuredClone(a);
      return [c.length, Object.keys(c), 1 in c, 4 in c, c.extra, Array.isArray(c), structuredClone([]).length, structuredClone(new Array(3)).length];`,
    'Date, RegExp and boxed primitives': `const d = structuredClone(new Date(1700000000000)); const invalid = structuredClone(new Date(NaN));
      const r = structuredClone(Object.assign(/a+b/gimsuy, { lastIndex: 3 })); const dFlag = structuredClone(/x/d);
      const boxed = structuredClone([new Number(4), new String('s'), new Boolean(false), Object(5n)]);
      return [d instanceof Date, d.getTime(), String(invalid.getTime()), r instanceof RegExp, r.source, r.flags, r.lastIndex, dFlag.flags,
        boxed.map((b) => [typeof b, Object.prototype.toString.call(b), String(b.valueOf())])];`,
    'Map and Set, entries cloned and shared references kept': `const key = { k: 1 }; const m = new Map([[key, new Set([key, 'v'])], ['s', 2]]); m.extra = 1;
      const c = structuredClone(m); const [[ck, cv]] = c;
      return [c instanceof Map, c.size, ck !== key, cv instanceof Set, cv.has(ck), [...cv].length, c.get('s'), c.extra, class extends Map {} && structuredClone(new (class extends Map {})([[1, 2]])).constructor === Map];`,
    'ArrayBuffer, typed arrays and DataView share one cloned buffer': `const buffer = new ArrayBuffer(8); new Uint8Array(buffer).set([1, 2, 3, 4, 5, 6, 7, 8]);
      const c = structuredClone({ a: new Uint8Array(buffer, 2, 3), b: new DataView(buffer, 1, 4), buffer, f: new Float64Array([1.5, NaN, -0]), big: new BigInt64Array([-1n]), u16: new Uint16Array([65535]) });
      const sub = structuredClone(new Uint8Array(buffer).subarray(6));
      return [c.a.buffer === c.buffer, c.b.buffer === c.buffer, c.buffer !== buffer, c.a.byteOffset, Array.from(c.a), c.b.byteOffset, c.b.byteLength, c.b.getUint8(0),
        Array.from(c.f).map(String), String(c.big[0]), c.u16[0], Object.prototype.toString.call(c.a), sub.length, sub.byteOffset, sub.buffer.byteLength, Array.from(sub)];`,
    'resizable ArrayBuffer stays resizable': `const b = new ArrayBuffer(2, { maxByteLength: 8 }); new Uint8Array(b)[1] = 9; const c = structuredClone(b);
      return [c.resizable, c.maxByteLength, c.byteLength, new Uint8Array(c)[1], structuredClone(new ArrayBuffer(1)).resizable];`,
    'errors: the seven kept types, message, stack, cause': `class MyError extends Error { constructor(m) { super(m); this.name = 'MyError'; this.extra = 1; } }
      const kinds = [new Error('e'), new EvalError('ev'), new RangeError('r'), new ReferenceError('rf'), new SyntaxError('s'), new TypeError('t'), new URIError('u'), new MyError('mine'), new AggregateError([1], 'agg')];
      const clones = kinds.map((e) => structuredClone(e));
      const renamed = new RangeError('x'); renamed.name = 'TypeError';
      const noMessage = structuredClone(new Error()); const withCause = structuredClone(new Error('outer', { cause: { inner: [1] } }));
      const numberMessage = new Error('m'); numberMessage.message = 5;
      return [clones.map((c) => [c.constructor.name, c.name, c.message, c.extra, c instanceof Error]), clones.map((c, i) => c.stack === kinds[i].stack),
        structuredClone(renamed).constructor.name, Object.getOwnPropertyNames(noMessage), noMessage.message, Object.getOwnPropertyNames(withCause), withCause.cause,
        Object.getOwnPropertyDescriptor(withCause, 'cause').enumerable, Object.getOwnPropertyDescriptor(withCause, 'message').enumerable, structuredClone(numberMessage).message];`,
    'circular and shared references': `const o = { name: 'o' }; o.self = o; o.list = [o, o]; const shared = { s: 1 }; o.pair = [shared, shared];
      const m = new Map(); m.set('me', m); const a = []; a.push(a);
      const c = structuredClone(o); const cm = structuredClone(m); const ca = structuredClone(a);
      return [c.self === c, c.list[0] === c, c.list[1] === c, c.pair[0] === c.pair[1], c.pair[0] !== shared, cm.get('me') === cm, ca[0] === ca];`,
    'functions, symbols and other uncloneables throw DataCloneError': `${FAILURE}
      return [failure(() => structuredClone(() => {})), failure(() => structuredClone(function named(a) { return a; })), failure(() => structuredClone(Symbol('x'))),
        failure(() => structuredClone({ deep: [1, { f() {} }] })), failure(() => structuredClone([Symbol.iterator])), failure(() => structuredClone(new WeakMap())),
        failure(() => structuredClone(new WeakSet())), failure(() => structuredClone(new WeakRef({}))), failure(() => structuredClone(Promise.resolve())),
        failure(() => structuredClone(Object(Symbol('boxed')))), failure(() => structuredClone((function () { return arguments; })(1))), failure(() => structuredClone(class A {}))];`,
    'errors thrown by getters propagate': `${FAILURE}
      return [failure(() => structuredClone({ get x() { throw new RangeError('from getter'); } }))];`,
    'arguments and transfer option': `${FAILURE}
      const buffer = new Uint8Array([1, 2, 3]).buffer; const moved = structuredClone({ buffer }, { transfer: [buffer] });
      return [Array.from(new Uint8Array(moved.buffer)), structuredClone(1, null), structuredClone(2, {}), structuredClone(3, { transfer: [] }), failureName(() => structuredClone()),
        failureName(() => structuredClone(1, 5)), failureName(() => structuredClone(1, { transfer: 5 })), failureName(() => structuredClone(1, { transfer: [5] })),
        (() => { const b = new ArrayBuffer(1); return failure(() => structuredClone(1, { transfer: [b, b] })); })()];`,
  },
  Event: {
    'defaults and init': `${FAILURE}
      const e = new Event('custom'); const i = new Event('x', { bubbles: 1, cancelable: 'yes', composed: true });
      const fields = (ev) => [ev.type, ev.bubbles, ev.cancelable, ev.composed, ev.defaultPrevented, ev.eventPhase, ev.target, ev.currentTarget, ev.srcElement, ev.returnValue, ev.cancelBubble, ev.isTrusted, ev.composedPath()];
      return [fields(e), fields(i), typeof e.timeStamp, e.timeStamp >= 0, new Event(1).type, Object.prototype.toString.call(e), String(e), Event.name,
        [Event.NONE, Event.CAPTURING_PHASE, Event.AT_TARGET, Event.BUBBLING_PHASE], failureName(() => new Event()), failureName(() => Event('x'))];`,
    'preventDefault and cancelBubble': `const a = new Event('a'); a.preventDefault(); const b = new Event('b', { cancelable: true }); b.preventDefault();
      const d = new Event('d'); d.cancelBubble = true; d.cancelBubble = false;
      return [a.defaultPrevented, b.defaultPrevented, b.returnValue, d.cancelBubble];`,
    'CustomEvent detail': `return [new CustomEvent('x').detail, new CustomEvent('x', { detail: { a: 1 } }).detail, new CustomEvent('x', { detail: undefined }).detail, new CustomEvent('x') instanceof Event, Object.prototype.toString.call(new CustomEvent('y'))];`,
  },
  EventTarget: {
    'dispatch: this, target, phase, order and return value': `const t = new EventTarget(); const seen = [];
      t.addEventListener('go', function (e) { seen.push(['first', this === t, e.target === t, e.currentTarget === t, e.eventPhase, e.composedPath().length]); });
      t.addEventListener('go', { handleEvent(e) { seen.push(['object', this !== t, e.type]); } });
      t.addEventListener('go', (e) => { e.preventDefault(); seen.push(['arrow']); });
      t.addEventListener('other', () => seen.push(['never']));
      const e = new Event('go', { cancelable: true }); const result = t.dispatchEvent(e);
      const plain = new Event('go'); const plainResult = t.dispatchEvent(plain);
      return [seen, result, e.defaultPrevented, e.eventPhase, e.currentTarget, e.target === t, e.composedPath(), plainResult];`,
    'duplicates, once, removal, and listeners changed during dispatch': `const t = new EventTarget(); const seen = [];
      const a = () => seen.push('a'); const late = () => seen.push('late');
      t.addEventListener('x', a); t.addEventListener('x', a); t.addEventListener('x', a, { once: false });
      t.addEventListener('x', () => seen.push('once'), { once: true });
      const removed = () => seen.push('removed');
      t.addEventListener('x', () => { seen.push('remover'); t.removeEventListener('x', removed); t.addEventListener('x', late); });
      t.addEventListener('x', removed);
      t.dispatchEvent(new Event('x')); seen.push('|'); t.dispatchEvent(new Event('x')); seen.push('|');
      t.removeEventListener('x', a); t.removeEventListener('x', null); t.dispatchEvent(new Event('x'));
      return seen;`,
    'stopImmediatePropagation': `const t = new EventTarget(); const seen = [];
      t.addEventListener('x', (e) => { seen.push(1); e.stopImmediatePropagation(); seen.push(e.cancelBubble); }); t.addEventListener('x', () => seen.push(2));
      const result = t.dispatchEvent(new Event('x'));
      return [seen, result];`,
    'signal option removes the listener': `const t = new EventTarget(); const seen = []; const c = new AbortController();
      t.addEventListener('x', () => seen.push('with signal'), { signal: c.signal }); t.addEventListener('x', () => seen.push('plain'));
      t.addEventListener('x', () => seen.push('pre-aborted'), { signal: AbortSignal.abort() });
      t.dispatchEvent(new Event('x')); c.abort(); t.dispatchEvent(new Event('x'));
      return seen;`,
    'argument errors are TypeErrors': `${FAILURE} const t = new EventTarget();
      return [failureName(() => t.addEventListener('x')), failureName(() => t.addEventListener()), failureName(() => t.addEventListener('x', 1)),
        failureName(() => t.addEventListener('x', () => {}, { signal: 1 })), failureName(() => t.dispatchEvent({ type: 'x' })), failureName(() => t.dispatchEvent()),
        t.addEventListener('x', {}, {}), Object.prototype.toString.call(t)];`,
  },
  AbortController: {
    'abort with the default reason': `const c = new AbortController(); const s = c.signal; const events = [];
      s.addEventListener('abort', (e) => events.push(['listener', e.type, e.isTrusted, e.target === s, e.cancelable, e.bubbles, s.aborted]));
      s.onabort = (e) => events.push(['onabort', e.type]);
      const before = [s.aborted, s.reason, s === c.signal, typeof s.onabort];
      c.abort(); const first = s.reason; c.abort('again');
      return [before, events, s.aborted, first.name, first.message, first.code, first instanceof DOMException, s.reason === first, Object.prototype.toString.call(c), Object.prototype.toString.call(s)];`,
    'abort reasons, throwIfAborted, onabort replacement': `const c = new AbortController(); const seen = []; const reason = new RangeError('why');
      c.signal.onabort = () => seen.push('replaced'); c.signal.addEventListener('abort', () => seen.push('listener')); c.signal.onabort = () => seen.push('handler');
      let thrown = null; try { c.signal.throwIfAborted(); } catch (e) { thrown = e; }
      c.abort(reason); let after = null; try { c.signal.throwIfAborted(); } catch (e) { after = e; }
      const nulled = new AbortController(); nulled.signal.onabort = () => seen.push('removed'); nulled.signal.onabort = null; nulled.abort();
      const plain = new AbortController(); plain.abort(0);
      return [seen, thrown, after === reason, c.signal.reason === reason, plain.signal.reason, nulled.signal.onabort];`,
  },
  AbortSignal: {
    'static abort and the illegal constructor': `${FAILURE} const a = AbortSignal.abort(); const b = AbortSignal.abort('because');
      return [a.aborted, a.reason.name, a.reason.code, b.reason, failureName(() => new AbortSignal()), a instanceof EventTarget, AbortSignal.name];`,
    'any(): aborted inputs, following, events': `${FAILURE} const seen = [];
      const pre = AbortSignal.any([new AbortController().signal, AbortSignal.abort('first'), AbortSignal.abort('second')]);
      const a = new AbortController(); const b = new AbortController(); const any = AbortSignal.any([a.signal, b.signal]);
      a.signal.addEventListener('abort', () => seen.push(['source', any.aborted])); any.addEventListener('abort', () => seen.push(['any', any.reason]));
      const before = any.aborted; b.abort('b wins'); a.abort('too late');
      const never = AbortSignal.any([]);
      return [pre.aborted, pre.reason, before, seen, any.reason, never.aborted, failureName(() => AbortSignal.any(5)), failureName(() => AbortSignal.any([1]))];`,
    'Request.signal follows init.signal, the input Request and clones': `${FAILURE}
      const c = new AbortController(); const r = new Request('http://a.com', { signal: c.signal }); const cl = r.clone();
      const before = [r.signal === c.signal, r.signal === r.signal, r.signal instanceof AbortSignal, r.signal.aborted, cl.signal === r.signal];
      const seen = []; r.signal.addEventListener('abort', () => seen.push('request'));
      c.abort('stop'); const pre = new Request('http://a.com', { signal: AbortSignal.abort('pre') });
      return [before, seen, r.signal.aborted, r.signal.reason, cl.signal.aborted, cl.signal.reason, new Request('http://a.com').signal.aborted, new Request('http://a.com', { signal: null }).signal.aborted,
        pre.signal.reason, new Request(pre).signal.reason, new Request(pre, { signal: null }).signal.aborted, failureName(() => new Request('http://a.com', { signal: 1 }))];`,
  },
};

describeConformance('structuredClone, events and abort: conformance with Node', conformanceCases);

describe('sandbox-only behaviour', () => {
  let runtime: LoadedRuntime;
  before(async () => {
    runtime = await loadRuntime();
  });
  after(() => runtime.isolate.dispose());
  const run = async (body: string): Promise<unknown> =>
    JSON.parse((await runtime.context.eval(`(async () => { ${FAILURE} return JSON.stringify(await (async () => { ${body} })()); })()`, { promise: true, timeout: 1000 })) as string);

  test('structuredClone refuses Web API objects (platform objects), as browsers do; DOMException is cloneable', async () => {
    // Node 20 clones these as empty objects; browsers and workerd throw DataCloneError.
    assert.deepEqual(
      await run(`return [new Headers(), new Request('http://a.com'), new Response('x'), new URL('http://a.com'), new URLSearchParams('a=1'), new AbortController().signal,
        new ReadableStream(), new Event('x'), new TextEncoder(), new (class extends Headers {})()].map((value) => failure(() => structuredClone(value)));`),
      [
        ['DataCloneError', '#<Headers> could not be cloned.', 25, true, true],
        ['DataCloneError', '#<Request> could not be cloned.', 25, true, true],
        ['DataCloneError', '#<Response> could not be cloned.', 25, true, true],
        ['DataCloneError', '#<URL> could not be cloned.', 25, true, true],
        ['DataCloneError', '#<URLSearchParams> could not be cloned.', 25, true, true],
        ['DataCloneError', '#<AbortSignal> could not be cloned.', 25, true, true],
        ['DataCloneError', '#<ReadableStream> could not be cloned.', 25, true, true],
        ['DataCloneError', '#<Event> could not be cloned.', 25, true, true],
        ['DataCloneError', '#<TextEncoder> could not be cloned.', 25, true, true],
        ['DataCloneError', '#<Headers> could not be cloned.', 25, true, true],
      ],
    );
    assert.deepEqual(await run(`const c = structuredClone(new DOMException('gone', 'AbortError')); return [c instanceof DOMException, c.name, c.message, c.code];`), [true, 'AbortError', 'gone', 20]);
    // A toStringTag alone does not make an object a Headers (or a Date): it is cloned as an ordinary object.
    assert.deepEqual(await run(`return [structuredClone({ [Symbol.toStringTag]: 'Headers', a: 1 }), structuredClone({ [Symbol.toStringTag]: 'Date', b: 2 })];`), [{ a: 1 }, { b: 2 }]);
  });

  test('structuredClone does not go through user-patched built-ins', async () => {
    assert.deepEqual(
      await run(`const input = { m: new Map([[1, 2]]), s: new Set([3]), a: [4] };
        const saved = [Map.prototype.set, Set.prototype.add, Object.keys, Array.prototype.push];
        Map.prototype.set = Set.prototype.add = Object.keys = Array.prototype.push = () => { throw new Error('patched'); };
        try { const c = structuredClone(input); return [[...c.m], [...c.s], c.a]; }
        finally { [Map.prototype.set, Set.prototype.add, Object.keys, Array.prototype.push] = saved; }`),
      [[[1, 2]], [3], [4]],
    );
  });

  test('AbortSignal.timeout() says clearly that there are no timers when setTimeout is missing', async () => {
    // Timers exist in the sandbox; take setTimeout away to see what a missing one looks like.
    assert.deepEqual(await run(`const saved = globalThis.setTimeout; delete globalThis.setTimeout; try { return failure(() => AbortSignal.timeout(10)); } finally { globalThis.setTimeout = saved; }`), [
      'NotSupportedError',
      'AbortSignal.timeout() needs setTimeout, which this sandbox does not provide',
      9,
      true,
      true,
    ]);
    assert.deepEqual(await run(`return [failureName(() => AbortSignal.timeout(-1)), failureName(() => AbortSignal.timeout(NaN)), failureName(() => AbortSignal.timeout())];`), [
      ['TypeError', false],
      ['TypeError', false],
      ['TypeError', false],
    ]);
  });

  test('Event follows the DOM spec where Node does not', async () => {
    // Node 20: no constants on Event.prototype, no returnValue setter, preventDefault works in a
    // passive listener, and the stop flags stay set after a dispatch. Browsers follow the spec.
    assert.deepEqual(
      await run(`const t = new EventTarget(); const seen = [];
        t.addEventListener('x', (e) => { seen.push(1); e.stopImmediatePropagation(); });
        t.addEventListener('p', (e) => { e.preventDefault(); seen.push(['passive', e.defaultPrevented]); }, { passive: true });
        const e = new Event('x'); t.dispatchEvent(e); t.dispatchEvent(e);
        const p = new Event('p', { cancelable: true }); const notPrevented = t.dispatchEvent(p);
        const r = new Event('r', { cancelable: true }); r.returnValue = false;
        return [seen, notPrevented, p.defaultPrevented, r.defaultPrevented, new Event('x').AT_TARGET];`),
      [[1, 1, ['passive', false]], true, false, true, 2],
    );
  });

  test('capture listeners run first at the target, as in the DOM spec and browsers', async () => {
    // Node runs them in registration order; browsers (and the spec) run the capturing ones first.
    assert.deepEqual(
      await run(`const t = new EventTarget(); const order = [];
        t.addEventListener('x', () => order.push('bubble')); t.addEventListener('x', () => order.push('capture'), true); t.addEventListener('x', () => order.push('capture-option'), { capture: true });
        t.dispatchEvent(new Event('x')); return order;`),
      ['capture', 'capture-option', 'bubble'],
    );
  });
});

describe('event listener errors in an invocation', () => {
  after(disposeLoadedFunctions);

  test('a throwing listener is logged and the others still run', async () => {
    const fn = await loadFunction(`export default {
      fetch() {
        const t = new EventTarget(); const seen = [];
        t.addEventListener('x', () => { throw new TypeError('listener broke'); });
        t.addEventListener('x', () => seen.push('second ran'));
        const controller = new AbortController(); controller.signal.onabort = () => { throw new Error('onabort broke'); };
        t.dispatchEvent(new Event('x')); controller.abort();
        return Response.json(seen);
      },
    };`);
    const result = await fn.dispatch();
    assertOk(result);
    assert.equal(bodyText(result.body), '["second ran"]');
    const lines = messages(result.logs);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.[0], 'error');
    assert.match(lines[0]?.[1] ?? '', /^\[isola\] uncaught error in an event listener: TypeError: listener broke/);
    assert.match(lines[1]?.[1] ?? '', /^\[isola\] uncaught error in an event listener: Error: onabort broke/);
  });
});
