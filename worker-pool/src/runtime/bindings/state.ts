// env.NAME for `{ type: state }`: get, getWithEtag, put, delete and getBulk on the bound store,
// under the function's key prefix (the sidecar applies it).
import { callName, optionsArg, secondsArg, stringArg } from './arguments.js';
import { jsonOf } from './json-value.js';
import { callBinding, jsonArray, plainJson } from './sidecar-call.js';
import type { StateBinding, StateEntry, StatePutOptions } from './types.js';

const isArray = Array.isArray;

export function stateBinding(name: string): StateBinding {
  const key = (operation: string, value: unknown) => stringArg(value, `${callName(name, operation)}: the key`);
  const etagOf = (operation: string, options: Record<string, unknown>): string | null => {
    const etag = options['etag'];
    if (etag === undefined) return null;
    stringArg(etag, `${callName(name, operation)}: options.etag`);
    return etag as string;
  };
  return {
    async get<T>(stateKey: string) {
      return (await callBinding(name, 'get', jsonArray([key('get', stateKey)]))) as T | null;
    },
    async getWithEtag<T>(stateKey: string) {
      return (await callBinding(name, 'getWithEtag', jsonArray([key('getWithEtag', stateKey)]))) as { value: T; etag: string } | null;
    },
    async put(stateKey: string, value: unknown, options?: StatePutOptions) {
      const what = callName(name, 'put');
      const keyJson = key('put', stateKey);
      const valueJson = jsonOf(value, `${what}: the value`);
      const given = optionsArg(options, `${what}: options`);
      const concurrency = given['concurrency'];
      if (concurrency !== undefined && concurrency !== 'first-write' && concurrency !== 'last-write') {
        throw new TypeError(`${what}: options.concurrency must be "first-write" or "last-write"`);
      }
      const ttl = given['ttlSeconds'];
      const settings = plainJson({
        etag: etagOf('put', given),
        concurrency: concurrency ?? null,
        ttlSeconds: ttl === undefined ? null : secondsArg(ttl, `${what}: options.ttlSeconds`),
      });
      await callBinding(name, 'put', jsonArray([keyJson, valueJson, settings]));
    },
    async delete(stateKey: string, options?: { etag?: string }) {
      const keyJson = key('delete', stateKey);
      const etag = etagOf('delete', optionsArg(options, `${callName(name, 'delete')}: options`));
      await callBinding(name, 'delete', jsonArray([keyJson, plainJson(etag)]));
    },
    async getBulk<T>(keys: readonly string[]) {
      const what = callName(name, 'getBulk');
      if (!isArray(keys)) throw new TypeError(`${what}: keys must be an array of strings`);
      const parts: string[] = [];
      for (let index = 0; index < keys.length; index += 1) parts[index] = stringArg(keys[index], `${what}: keys[${index}]`);
      if (parts.length === 0) return [];
      return (await callBinding(name, 'getBulk', jsonArray([jsonArray(parts)]))) as StateEntry<T>[];
    },
  };
}
