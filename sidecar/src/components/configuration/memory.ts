import type { ConfigurationItem, ConfigurationItems, ConfigurationStore } from './configuration-store.js';

type Listener = (items: ConfigurationItems) => void;

/**
 * The items of one in-memory configuration store, with synchronous access: what
 * `configuration.in-memory` serves, and what a host embedding the sidecar (isola dev, the
 * testing helper) seeds, changes and saves. Every change reaches the subscriptions to its key
 * (and those to every key) at once, in order.
 */
export class MemoryConfigurationData {
  private readonly items = new Map<string, { value: string; version: string }>();
  private readonly byKey = new Map<string, Set<Listener>>();
  private readonly everyKey = new Set<Listener>();

  /** The items of these keys (missing ones left out); every item when `keys` is empty. */
  get(keys: readonly string[]): ConfigurationItems {
    const names = keys.length > 0 ? keys : [...this.items.keys()];
    const found: ConfigurationItems = {};
    for (const key of names) {
      const item = this.items.get(key);
      if (item !== undefined) found[key] = itemOf(item.value, item.version);
    }
    return found;
  }

  /** Sets an item (an empty version: one without a version) and tells its subscribers. */
  set(key: string, value: string, version = ''): void {
    this.items.set(key, { value, version });
    this.notify(key, itemOf(value, version));
  }

  /** Deletes an item; its subscribers get an empty value and version, as Dapr sends a deletion. */
  remove(key: string): void {
    if (!this.items.delete(key)) return;
    this.notify(key, itemOf('', ''));
  }

  /** Calls `listener` with each change of `keys` (of every key when empty); returns the function that stops it. */
  subscribe(keys: readonly string[], listener: Listener): () => void {
    if (keys.length === 0) {
      this.everyKey.add(listener);
      return () => this.everyKey.delete(listener);
    }
    const unique = [...new Set(keys)];
    for (const key of unique) {
      const listeners = this.byKey.get(key) ?? new Set<Listener>();
      listeners.add(listener);
      this.byKey.set(key, listeners);
    }
    return () => {
      for (const key of unique) {
        const listeners = this.byKey.get(key);
        listeners?.delete(listener);
        if (listeners?.size === 0) this.byKey.delete(key);
      }
    };
  }

  private notify(key: string, item: ConfigurationItem): void {
    // A subscription to several keys gets each change once, like one to every key.
    const listeners = new Set([...(this.byKey.get(key) ?? []), ...this.everyKey]);
    for (const listener of listeners) listener({ [key]: item });
  }
}

function itemOf(value: string, version: string): ConfigurationItem {
  return { value, version, metadata: {} };
}

/** `configuration.in-memory`: items in the sidecar process (see MemoryConfigurationData); for tests and local runs. */
export class MemoryConfigurationStore implements ConfigurationStore {
  constructor(readonly data = new MemoryConfigurationData()) {}

  async get(keys: readonly string[]): Promise<ConfigurationItems> {
    return this.data.get(keys);
  }

  async subscribe(keys: readonly string[], onChange: Listener): Promise<() => Promise<void>> {
    const stop = this.data.subscribe(keys, onChange);
    return async () => void stop();
  }

  async close(): Promise<void> {}
}
