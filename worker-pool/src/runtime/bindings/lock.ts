// env.NAME for `{ type: lock }`: acquire and release distributed locks on the bound store, under
// the function's key prefix (the sidecar applies it).
import { callName, optionsArg, secondsArg, stringArg } from './arguments.js';
import { callBinding, jsonArray, plainJson } from './sidecar-call.js';
import type { LockBinding } from './types.js';

export function lockBinding(name: string): LockBinding {
  return {
    async acquire(resourceId: string, options: { ttlSeconds: number; owner?: string }) {
      const what = callName(name, 'acquire');
      const resourceJson = stringArg(resourceId, `${what}: the resource id`);
      const given = optionsArg(options, `${what}: options`);
      const ttlSeconds = secondsArg(given['ttlSeconds'], `${what}: options.ttlSeconds`);
      const owner = given['owner'];
      // Without an owner the host picks a random one and returns it.
      const ownerJson = owner === undefined ? 'null' : stringArg(owner, `${what}: options.owner`);
      return (await callBinding(name, 'acquire', jsonArray([resourceJson, plainJson(ttlSeconds), ownerJson]))) as { acquired: boolean; owner: string };
    },
    async release(resourceId: string, owner: string) {
      const what = callName(name, 'release');
      const args = jsonArray([stringArg(resourceId, `${what}: the resource id`), stringArg(owner, `${what}: the owner`)]);
      return (await callBinding(name, 'release', args)) as 'released' | 'not-found' | 'not-owner';
    },
  };
}
