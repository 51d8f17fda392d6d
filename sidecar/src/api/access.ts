import type { SidecarCaller } from '../auth/caller-auth.js';
import type { Grants } from '../auth/grants.js';
import { keyPrefixOf, type Components, type LoadedComponent } from '../components/components.js';
import type { BuildingBlock } from '../components/registry.js';
import { DaprError } from './dapr-error.js';

interface BlockAccess {
  /** Dapr's code and status for a component name that is not configured. */
  notFound: [number, string];
  what: string;
  /** The manifest binding that grants a component, as the 403 message suggests it. */
  binding(name: string): string;
  granted(grants: Grants, name: string): boolean;
}

const access: Record<Exclude<BuildingBlock, 'pubsub'>, BlockAccess> & { pubsub: Omit<BlockAccess, 'granted'> } = {
  state: { notFound: [400, 'ERR_STATE_STORE_NOT_FOUND'], what: 'state store', binding: (name) => `{ type: state, store: ${name} }`, granted: (grants, name) => grants.state.has(name) },
  // Dapr answers 401 for a secret store it does not know.
  secrets: { notFound: [401, 'ERR_SECRET_STORE_NOT_FOUND'], what: 'secret store', binding: (name) => `{ type: secret, store: ${name} }`, granted: (grants, name) => grants.secrets.has(name) },
  configuration: { notFound: [400, 'ERR_CONFIGURATION_STORE_NOT_FOUND'], what: 'configuration store', binding: (name) => `{ type: config, store: ${name} }`, granted: (grants, name) => grants.configuration.has(name) },
  lock: { notFound: [400, 'ERR_LOCK_STORE_NOT_FOUND'], what: 'lock store', binding: (name) => `{ type: lock, store: ${name} }`, granted: (grants, name) => grants.lock.has(name) },
  pubsub: { notFound: [400, 'ERR_PUBSUB_NOT_FOUND'], what: 'pub/sub component', binding: (name) => `{ type: queue, pubsub: ${name}, topic: <topic> }` },
};

/** A component a caller reached, with the prefix its keys get (empty for admins and shared stores). */
export interface Reached<B extends BuildingBlock> {
  component: LoadedComponent<B>;
  prefix: string;
}

/**
 * Finds the component a request names and checks that the caller may use it: a function only
 * what its manifest binds (and, when the component has Dapr `scopes`, only if it is listed).
 * Secret stores of type secretstores.isola are always open to a function: it reads its own.
 */
export function reach<B extends Exclude<BuildingBlock, 'pubsub'>>(components: Components, block: B, name: string, caller: SidecarCaller): Reached<B> {
  const component = find(components, block, name);
  if (caller.kind === 'admin') return { component, prefix: '' };
  checkScopes(component, caller.name);
  const rules = access[block];
  const ownSecrets = block === 'secrets' && component.definition.type === 'secretstores.isola';
  if (!ownSecrets && !rules.granted(caller.grants, name)) throw unbound(caller, `${rules.what} "${name}"`, rules.binding(name));
  return { component, prefix: block === 'state' || block === 'lock' ? keyPrefixOf(component, caller.name) : '' };
}

/** A pub/sub component and topic a caller may publish to: a function needs a pubsub or queue binding of that topic. */
export function reachTopic(components: Components, name: string, topic: string, caller: SidecarCaller): LoadedComponent<'pubsub'> {
  const component = find(components, 'pubsub', name);
  if (caller.kind === 'admin') return component;
  checkScopes(component, caller.name);
  if (caller.grants.pubsub.get(name)?.has(topic) !== true) {
    const queueBinding = name === 'pubsub' ? `{ type: queue, topic: ${topic} }` : `{ type: queue, pubsub: ${name}, topic: ${topic} }`;
    throw unbound(caller, `topic "${topic}" of pub/sub component "${name}"`, queueBinding);
  }
  return component;
}

/** A function a caller may invoke: a function needs a service binding to it. */
export function checkService(caller: SidecarCaller, target: string): void {
  if (caller.kind === 'function' && !caller.grants.services.has(target)) throw unbound(caller, `function "${target}"`, `{ type: service, function: ${target} }`);
}

function find<B extends BuildingBlock>(components: Components, block: B, name: string): LoadedComponent<B> {
  const component = components.find(block, name);
  if (component === undefined) {
    const rules = access[block];
    const known = components.list().filter((candidate) => candidate.block === block).map((candidate) => candidate.definition.name);
    throw new DaprError(rules.notFound[0], rules.notFound[1], `${rules.what} "${name}" is not configured; ${known.length === 0 ? 'the sidecar has none' : `the sidecar has ${known.join(', ')}`}`);
  }
  return component;
}

function checkScopes(component: LoadedComponent, fn: string): void {
  const scopes = component.definition.scopes;
  if (scopes !== null && !scopes.includes(fn)) {
    throw new DaprError(403, 'ERR_PERMISSION_DENIED', `component "${component.definition.name}" is scoped to ${scopes.join(', ')}; add "${fn}" to its scopes in ${component.definition.source}`);
  }
}

function unbound(caller: Extract<SidecarCaller, { kind: 'function' }>, what: string, binding: string): DaprError {
  return new DaprError(403, 'ERR_PERMISSION_DENIED', `function ${caller.name}@${caller.version} has no binding to ${what}; add one to its isola.yaml, e.g. bindings: { NAME: ${binding} }, and deploy again`);
}
