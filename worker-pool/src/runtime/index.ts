// The in-isolate runtime: Web APIs as globals plus the install/dispatch entry points the host
// calls. Bundled into one IIFE script (scripts/build-runtime.mjs) that every pool isolate runs
// before user code. It uses no Node APIs: there are none in an isolate.
import { deliverConfigUpdate } from './bindings/config.js';
import { BindingError } from './bindings/binding-error.js';
import { completeSidecarCall } from './bindings/sidecar-call.js';
import type { BindingErrorConstructor } from './bindings/types.js';
import { dispatch, start, warmup } from './dispatch.js';
import { dispatchEvent, startEvent } from './event-dispatch.js';
import { collect } from './fast-path.js';
import { install } from './installed-function.js';
import type { IsolaRuntime } from './contract.js';
import { connectHost } from './host-bridge.js';
import { writeLog } from './log-capture.js';
import { AbortController, AbortSignal } from './web/abort.js';
import { atob, btoa } from './web/base64.js';
import { createConsole } from './web/console.js';
import { formatValue } from './web/console-format.js';
import { createCrypto, Crypto } from './web/crypto.js';
import { DOMException } from './web/dom-exception.js';
import { CustomEvent, Event, EventTarget, setListenerErrorReporter } from './web/events.js';
import { fetch } from './web/fetch.js';
import { Headers } from './web/headers.js';
import { Request } from './web/request.js';
import { Response } from './web/response.js';
import { createQueueMicrotask } from './web/microtask.js';
import { registerPlatformClasses, structuredClone } from './web/structured-clone.js';
import * as streams from './web/streams.js';
import { CryptoKey, SubtleCrypto } from './web/subtle-crypto.js';
import { TextDecoderStream, TextEncoderStream } from './web/text-encoding-streams.js';
import { TextDecoder, TextEncoder } from './web/text-encoding.js';
import { clearInterval, clearTimeout, runTimers, setInterval, setTimeout } from './web/timers.js';
import { URL, URLSearchParams } from './web/url.js';

export type * from './contract.js';

/**
 * Web API classes by global name. Names are set explicitly because the bundle is minified
 * (class bindings get renamed), and user code does look at `constructor.name` and
 * Object.prototype.toString.
 */
const webClasses = {
  URL,
  URLSearchParams,
  Headers,
  Request,
  Response,
  TextEncoder,
  TextDecoder,
  TextEncoderStream,
  TextDecoderStream,
  DOMException,
  Crypto,
  SubtleCrypto,
  CryptoKey,
  Event,
  CustomEvent,
  EventTarget,
  AbortController,
  AbortSignal,
  ReadableStream: streams.ReadableStream,
  ReadableStreamDefaultReader: streams.ReadableStreamDefaultReader,
  ReadableStreamBYOBReader: streams.ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest: streams.ReadableStreamBYOBRequest,
  ReadableStreamDefaultController: streams.ReadableStreamDefaultController,
  ReadableByteStreamController: streams.ReadableByteStreamController,
  WritableStream: streams.WritableStream,
  WritableStreamDefaultWriter: streams.WritableStreamDefaultWriter,
  WritableStreamDefaultController: streams.WritableStreamDefaultController,
  TransformStream: streams.TransformStream,
  TransformStreamDefaultController: streams.TransformStreamDefaultController,
  ByteLengthQueuingStrategy: streams.ByteLengthQueuingStrategy,
  CountQueuingStrategy: streams.CountQueuingStrategy,
} satisfies Record<string, { prototype: object }>;

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
  structuredClone,
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
// Not a Web API: the class binding methods reject with, for `error instanceof BindingError`.
Object.defineProperty(BindingError, 'name', { value: 'BindingError', configurable: true });
defineGlobal('BindingError', BindingError satisfies BindingErrorConstructor);
defineGlobal('console', createConsole(writeLog));
defineGlobal('crypto', createCrypto());

// Instances of these are platform objects: structuredClone refuses them, as browsers do.
registerPlatformClasses(webClasses);
setListenerErrorReporter((error) => writeLog('error', `[isola] uncaught error in an event listener: ${formatValue(error)}`));

const runtime: IsolaRuntime = { install, dispatch, dispatchEvent, start, startEvent, collect, warmup, connectHost, runTimers, deliverConfigUpdate, completeSidecarCall };
// Configurable, so the host can delete it once it holds References to its functions.
Object.defineProperty(globalThis, '__isolaRuntime', { value: Object.freeze(runtime), configurable: true, enumerable: false });
