import { MemoryConfigurationData } from './configuration/memory.js';
import { MemoryTopics } from './pubsub/memory.js';
import { MemoryStateData, type MemoryStateEntry } from './state/memory.js';

/** What the in-memory components hold, as a host saves it (JSON): state entries and configuration items by component and key. */
export interface MemorySnapshot {
  state: Record<string, Record<string, MemoryStateEntry>>;
  configuration: Record<string, Record<string, { value: string; version: string }>>;
}

/**
 * The data behind a sidecar's in-memory components, by component name, plus the in-memory
 * topics. A sidecar makes its own (lost when it stops); a host embedding the sidecar (isola dev,
 * the testing helper) hands one in to seed it, read it, watch it and save it, and keeps it
 * across sidecar restarts. Locks are left out: they live and lapse with their sidecar.
 */
export class MemoryBackends {
  readonly topics = new MemoryTopics();
  private readonly states = new Map<string, MemoryStateData>();
  private readonly configurations = new Map<string, MemoryConfigurationData>();
  private readonly listeners = new Set<() => void>();

  /** The entries of the state component of that name (made on first use). */
  state(component: string): MemoryStateData {
    let data = this.states.get(component);
    if (data === undefined) {
      data = new MemoryStateData();
      data.onChange(() => this.changed());
      this.states.set(component, data);
    }
    return data;
  }

  /** The items of the configuration component of that name (made on first use). */
  configuration(component: string): MemoryConfigurationData {
    let data = this.configurations.get(component);
    if (data === undefined) {
      data = new MemoryConfigurationData();
      data.subscribe([], () => this.changed());
      this.configurations.set(component, data);
    }
    return data;
  }

  /** Calls `listener` after any change of state or configuration; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): MemorySnapshot {
    const snapshot: MemorySnapshot = { state: {}, configuration: {} };
    for (const [component, data] of this.states) {
      const entries = data.entriesWithPrefix();
      if (entries.size > 0) snapshot.state[component] = Object.fromEntries(entries);
    }
    for (const [component, data] of this.configurations) {
      const items = Object.entries(data.get([]));
      if (items.length > 0) snapshot.configuration[component] = Object.fromEntries(items.map(([key, item]) => [key, { value: item.value, version: item.version }]));
    }
    return snapshot;
  }

  /** Puts back what snapshot() gave (state replaced per component, configuration items set). */
  restore(snapshot: Partial<MemorySnapshot>): void {
    for (const [component, entries] of Object.entries(snapshot.state ?? {})) this.state(component).replace(Object.entries(entries));
    for (const [component, items] of Object.entries(snapshot.configuration ?? {})) {
      const data = this.configuration(component);
      for (const [key, item] of Object.entries(items)) data.set(key, item.value, item.version);
    }
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
