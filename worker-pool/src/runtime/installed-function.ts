// The user module's handlers and env, bound once per isolate by install(). Every entry point
// (dispatch for fetch, dispatchEvent for scheduled and queue) reads them from here.
import { addBindings } from './bindings/env-bindings.js';
import type { BindingTypes } from './contract.js';
import { setMaxLogBytes } from './log-capture.js';
import { jsonParse } from './primordials.js';

const NO_DEFAULT_EXPORT =
  "the function's module has no default export object: write export default { async fetch(request, env, ctx) { ... } }";

export interface InstalledFunction {
  /** The module's default export: handler name → handler (or anything else the author put there). */
  readonly handlers: Record<string, unknown>;
  /** vars and secrets (strings) and bindings (objects; see bindings/types.ts). */
  readonly env: Readonly<Record<string, unknown>>;
}

let installed: InstalledFunction | null = null;

/** Binds the user module's default export and env; called once per isolate. */
export function install(namespace: object, envJson: string, maxLogBytes: number, bindingsJson?: string): void {
  if (installed !== null) throw new Error('the runtime is already installed in this isolate');
  const exported: unknown = (namespace as { default?: unknown }).default;
  if (typeof exported !== 'object' || exported === null) throw new Error(NO_DEFAULT_EXPORT);
  setMaxLogBytes(maxLogBytes);
  const env = jsonParse(envJson) as Record<string, unknown>;
  if (bindingsJson !== undefined) addBindings(env, jsonParse(bindingsJson) as BindingTypes);
  installed = Object.freeze({ handlers: exported as Record<string, unknown>, env: Object.freeze(env) });
}

/** The installed function; `entryPoint` names the caller in the error when install() has not run. */
export function installedFunction(entryPoint: string): InstalledFunction {
  if (installed === null) throw new Error(`${entryPoint} was called before install`);
  return installed;
}
