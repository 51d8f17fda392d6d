// The in-isolate runtime: Web APIs as globals plus the install/dispatch entry points the host
// calls. Bundled into one IIFE script (scripts/build-runtime.mjs) that every pool isolate runs
// before user code. It uses no Node APIs: there are none in an isolate.
//
// Import order matters: ./web/url.js (core-js) must run before our Request/Headers exist.
import './web/url.js';
import { dispatch, install, warmup } from './dispatch.js';
import type { IsolaRuntime } from './contract.js';
import { connectHost } from './host-bridge.js';
import { writeLog } from './log-capture.js';
import { atob, btoa } from './web/base64.js';
import { createConsole } from './web/console.js';
import { createCrypto, Crypto } from './web/crypto.js';
import { DOMException } from './web/dom-exception.js';
import { fetch } from './web/fetch.js';
import { Headers } from './web/headers.js';
import { Request } from './web/request.js';
import { Response } from './web/response.js';
import { createQueueMicrotask } from './web/microtask.js';
import { CryptoKey, SubtleCrypto } from './web/subtle-crypto.js';
import { TextDecoder, TextEncoder } from './web/text-encoding.js';
import { clearInterval, clearTimeout, runTimers, setInterval, setTimeout } from './web/timers.js';

export type * from './contract.js';

/**
 * Web API classes by global name. Names are set explicitly because the bundle is minified
 * (class bindings get renamed), and user code does look at `constructor.name` and
 * Object.prototype.toString.
 */
const webClasses = { Headers, Request, Response, TextEncoder, TextDecoder, DOMException, Crypto, SubtleCrypto, CryptoKey } satisfies Record<string, abstract new (...args: never[]) => unknown>;

function defineGlobal(name: string, value: unknown): void {
  // Like WebIDL interfaces: writable and configurable, but not enumerable.
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

for (const [name, webClass] of Object.entries(webClasses)) {
  Object.defineProperty(webClass, 'name', { value: name, configurable: true });
  Object.defineProperty(webClass.prototype, Symbol.toStringTag, { value: name, configurable: true });
  defineGlobal(name, webClass);
}
/** Web API functions by global name (named explicitly for the same reason as the classes). */
const webFunctions = {
  atob,
  btoa,
  queueMicrotask: createQueueMicrotask(writeLog),
  setTimeout,
  clearTimeout,
  setInterval,
  clearInterval,
  fetch,
} satisfies Record<string, (...args: never[]) => unknown>;

for (const [name, webFunction] of Object.entries(webFunctions)) {
  Object.defineProperty(webFunction, 'name', { value: name, configurable: true });
  defineGlobal(name, webFunction);
}
defineGlobal('console', createConsole(writeLog));
defineGlobal('crypto', createCrypto());

// core-js keeps its internal store on this global; it holds its module state by reference too,
// so the global can go and user code sees a clean global object.
delete (globalThis as Record<string, unknown>)['__core-js_shared__'];

const runtime: IsolaRuntime = { install, dispatch, warmup, connectHost, runTimers };
// Configurable, so the host can delete it once it holds References to its functions.
Object.defineProperty(globalThis, '__isolaRuntime', { value: Object.freeze(runtime), configurable: true, enumerable: false });
