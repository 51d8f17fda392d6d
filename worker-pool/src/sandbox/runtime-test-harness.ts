// Shared by the runtime conformance tests: loads the in-isolate runtime bundle into real
// isolated-vm isolates the way the host does, runs the same snippet there and in Node
// (part one of each test file), and drives install()/dispatch() (part two).
// Every process that loads isolated-vm needs --no-node-snapshot.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInThisContext } from 'node:vm';
import ivm from 'isolated-vm';
import { connectHostBridges, type HostBridges } from './host-bridges.js';

export const bundleSource = readFileSync(new URL('../runtime/runtime.bundle.js', import.meta.url), 'utf8');

// The contract as the host sees it (mirrors src/runtime/contract.ts, which this project
// cannot import: it is compiled separately, without Node types).
export type LogLine = { level: 'debug' | 'log' | 'info' | 'warn' | 'error'; time: number; message: string };
export type DispatchResult =
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

export interface LoadedRuntime {
  isolate: ivm.Isolate;
  context: ivm.Context;
  install: ivm.Reference<InstallFn>;
  dispatch: ivm.Reference<DispatchFn>;
  bridges: HostBridges;
}

/** What the host does (prepared-isolate.ts): run the bundle, take References, connect the host bridges, delete the global. */
export async function loadRuntime(): Promise<LoadedRuntime> {
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

// Helpers available to every case, defined identically in both environments.
export const PRELUDE = `
  const attempt = (fn) => { try { return fn(); } catch (error) { return 'throws ' + error.name; } };
  const attemptAsync = async (fn) => { try { return await fn(); } catch (error) { return 'rejects ' + error.name; } };
  const bytes = (source) => Array.from(source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength));
  const codePoints = (text) => Array.from(text, (c) => c.codePointAt(0).toString(16));
  const fields = (r) => ({ status: r.status, ok: r.ok, statusText: r.statusText, type: r.type, redirected: r.redirected, url: r.url, bodyUsed: r.bodyUsed, headers: [...r.headers] });
  const urlParts = (u) => [u.href, u.origin, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, [...u.searchParams]];
  const parseUrl = (input, base) => attempt(() => urlParts(base === undefined ? new URL(input) : new URL(input, base)));
`;


/** Cases by API, then by name; each is the body of an async function returning a JSON-serializable value. */
export type ConformanceCases = Record<string, Record<string, string>>;

/** Runs each case in one isolate with the runtime and in Node, and requires identical JSON. */
export function describeConformance(title: string, conformanceCases: ConformanceCases): void {
  describe(title, () => {
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
}

export type Meta = { invocationId: string; method: string; url: string; headers: [string, string][]; maxResponseBytes?: number };
export type OkResult = Extract<DispatchResult, { ok: true }>;
export type FailedResult = Extract<DispatchResult, { ok: false }>;

export interface LoadedFunction {
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

export async function installModule(runtime: LoadedRuntime, source: string, env: Record<string, string>, maxLogBytes: number): Promise<void> {
  const module = await evaluateModule(runtime, source);
  await runtime.install.apply(undefined, [module.namespace.derefInto(), JSON.stringify(env), maxLogBytes], { timeout: 1000 });
}

const loadedFunctions: LoadedFunction[] = [];

/** Disposes every isolate loadFunction() made (call it from an `after` hook). */
export function disposeLoadedFunctions(): void {
  for (const loaded of loadedFunctions.splice(0)) loaded.dispose();
}

export async function loadFunction(source: string, options: { env?: Record<string, string>; maxLogBytes?: number } = {}): Promise<LoadedFunction> {
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

export function assertOk(result: DispatchResult): asserts result is OkResult {
  assert.equal(result.ok, true, `expected ok, got ${JSON.stringify(result)}`);
}

export function assertFailed(result: DispatchResult, code: string): asserts result is FailedResult {
  assert.equal(result.ok, false, `expected ${code}, got ${JSON.stringify(result)}`);
  assert.equal((result as FailedResult).error.code, code);
}

export const bodyText = (body: Uint8Array | null): string => (body === null ? '<null>' : new TextDecoder().decode(body));
export const messages = (logs: LogLine[]): [string, string][] => logs.map((line) => [line.level, line.message]);
