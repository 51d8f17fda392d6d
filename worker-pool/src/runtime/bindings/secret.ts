// env.NAME for `{ type: secret }`: reads one secret from the bound secret store component.
import { callName, stringArg } from './arguments.js';
import { callBinding, jsonArray } from './sidecar-call.js';
import type { SecretBinding } from './types.js';

export function secretBinding(name: string): SecretBinding {
  return {
    async get(key: string) {
      return (await callBinding(name, 'get', jsonArray([stringArg(key, `${callName(name, 'get')}: the key`)]))) as string;
    },
  };
}
