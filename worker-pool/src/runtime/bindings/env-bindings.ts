// The binding objects of env, one per manifest binding, built by a registry of kinds (each kind's
// methods in its own file). Built once per instance at install(): a function without bindings
// builds nothing.
import type { BindingTypes } from '../contract.js';
import { configBinding } from './config.js';
import { lockBinding } from './lock.js';
import { pubSubBinding, queueBinding } from './messaging.js';
import { secretBinding } from './secret.js';
import { serviceBinding } from './service.js';
import { stateBinding } from './state.js';
import type { BindingsByType, BindingType } from './types.js';

const bindingKinds = {
  state: stateBinding,
  pubsub: pubSubBinding,
  config: configBinding,
  lock: lockBinding,
  secret: secretBinding,
  service: serviceBinding,
  queue: queueBinding,
} satisfies { [K in BindingType]: (name: string) => BindingsByType[K] };

// Captured at load: install() runs after the user module's top level, which may replace them.
const freeze = Object.freeze;
const objectKeys = Object.keys;

/** Adds env.NAME for every binding to `env`; each object frozen (service bindings are Proxies over a frozen target). */
export function addBindings(env: Record<string, unknown>, types: BindingTypes): void {
  const names = objectKeys(types);
  for (let index = 0; index < names.length; index += 1) {
    const name = names[index] as string;
    const create = bindingKinds[types[name] as BindingType] as ((name: string) => object) | undefined;
    if (create === undefined) throw new TypeError(`install: binding ${name} has an unknown type ${String(types[name])}`);
    env[name] = freeze(create(name));
  }
}
