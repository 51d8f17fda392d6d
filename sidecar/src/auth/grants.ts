import { defaultComponentNames } from '@isola/core';

/** What a function version's manifest lets it reach through the sidecar, precomputed for the hot path. */
export interface Grants {
  state: ReadonlySet<string>;
  /** pub/sub component → topics. */
  pubsub: ReadonlyMap<string, ReadonlySet<string>>;
  configuration: ReadonlySet<string>;
  lock: ReadonlySet<string>;
  secrets: ReadonlySet<string>;
  /** Functions it may call. */
  services: ReadonlySet<string>;
}

/**
 * Grants from a manifest's `bindings:`, read structurally so binding types added to the manifest
 * schema later (`queue`) need no change here: state/config/lock/secret name a `store`, pubsub a
 * `pubsub` and `topic`, queue a `topic` (and `pubsub`, default "pubsub"), service a `function`.
 */
export function grantsOf(bindings: Readonly<Record<string, unknown>>): Grants {
  const state = new Set<string>();
  const pubsub = new Map<string, Set<string>>();
  const configuration = new Set<string>();
  const lock = new Set<string>();
  const secrets = new Set<string>();
  const services = new Set<string>();
  const addTopic = (component: string, topic: string) => {
    const topics = pubsub.get(component) ?? new Set<string>();
    topics.add(topic);
    pubsub.set(component, topics);
  };
  for (const binding of Object.values(bindings)) {
    if (typeof binding !== 'object' || binding === null) continue;
    const { type, store, topic, function: fn } = binding as Record<string, unknown>;
    const component = (binding as Record<string, unknown>).pubsub;
    if (type === 'state' && typeof store === 'string') state.add(store);
    else if (type === 'config' && typeof store === 'string') configuration.add(store);
    else if (type === 'lock' && typeof store === 'string') lock.add(store);
    else if (type === 'secret' && typeof store === 'string') secrets.add(store);
    else if (type === 'service' && typeof fn === 'string') services.add(fn);
    else if (type === 'pubsub' && typeof component === 'string' && typeof topic === 'string') addTopic(component, topic);
    else if (type === 'queue' && typeof topic === 'string') addTopic(typeof component === 'string' ? component : defaultComponentNames.pubsub, topic);
  }
  return { state, pubsub, configuration, lock, secrets, services };
}
