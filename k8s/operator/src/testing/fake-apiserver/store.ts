// The object store: the etcd of the fake. One global resourceVersion counter, objects keyed by
// resource/namespace/name, and a bounded history of changes that watches resume from.
import type { K8sObject, StoredEvent, WatchEventType } from './types.js';

export type StoreListener = (event: StoredEvent) => void;

const objectKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export class ObjectStore {
  private readonly objects = new Map<string, Map<string, K8sObject>>();
  private readonly history: StoredEvent[] = [];
  private readonly listeners = new Set<StoreListener>();
  private revision = 0;
  /** Watches may resume from a resourceVersion >= this; older ones were compacted away. */
  private oldestResumable = 0;

  constructor(private readonly historyLimit: number) {}

  get resourceVersion(): number {
    return this.revision;
  }

  get compactedBefore(): number {
    return this.oldestResumable;
  }

  get(resource: string, namespace: string | undefined, name: string): K8sObject | undefined {
    return this.objects.get(resource)?.get(objectKey(namespace, name));
  }

  /** Objects of one resource (in one namespace when given), in resourceVersion order. */
  list(resource: string, namespace?: string): K8sObject[] {
    const all = [...(this.objects.get(resource)?.values() ?? [])];
    return all
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
  }

  /**
   * Writes (ADDED, MODIFIED) or removes (DELETED) an object under a new resourceVersion and tells
   * the listeners. The object is stored as given (callers hand over a fresh copy).
   */
  commit(type: WatchEventType, resource: string, object: K8sObject, previous?: K8sObject): K8sObject {
    this.revision += 1;
    object.metadata.resourceVersion = String(this.revision);
    const key = objectKey(object.metadata.namespace, object.metadata.name ?? '');
    let objects = this.objects.get(resource);
    if (!objects) this.objects.set(resource, (objects = new Map()));
    if (type === 'DELETED') objects.delete(key);
    else objects.set(key, object);
    const event: StoredEvent = { type, resource, object, resourceVersion: this.revision };
    if (previous) event.previous = previous;
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped) this.oldestResumable = Math.max(this.oldestResumable, dropped.resourceVersion);
    }
    for (const listener of this.listeners) listener(event);
    return object;
  }

  /**
   * The events after `resourceVersion`, or undefined when some of them were compacted away
   * (the watch then gets 410 Expired).
   */
  eventsAfter(resourceVersion: number): StoredEvent[] | undefined {
    if (resourceVersion < this.oldestResumable) return undefined;
    return this.history.filter((e) => e.resourceVersion > resourceVersion);
  }

  /**
   * Forgets all history, as an etcd compaction does, so every resourceVersion handed out so far
   * is too old to resume from. The counter moves on by one so a fresh LIST hands out one that is
   * not (otherwise a client that re-lists would loop on 410).
   */
  compact(): void {
    this.history.length = 0;
    this.revision += 1;
    this.oldestResumable = this.revision;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
