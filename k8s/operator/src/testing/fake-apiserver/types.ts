// The shapes the fake API server deals in: objects as plain JSON, its options, and what it
// records about requests.

/** metav1.ObjectMeta, as JSON. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: unknown[];
  [key: string]: unknown;
}

/** Any Kubernetes object, as the API server stores and serves it (JSON). */
export type K8sObject = { apiVersion: string; kind: string; metadata: ObjectMeta; [key: string]: unknown };

export interface FakeApiServerOptions {
  /** How many past events watches may resume from; a resourceVersion older than that gets 410 Gone. Default 1000. */
  historyLimit?: number;
  /** Seconds between BOOKMARK events on watches that asked for them (allowWatchBookmarks). Default 1. */
  bookmarkIntervalSeconds?: number;
}

/** One request the server answered. */
export interface RecordedRequest {
  method: string;
  /** The URL path, without the query. */
  path: string;
  query: Record<string, string>;
  /** The bearer token, which is how this server names users. */
  user: string | null;
  contentType: string | null;
  status: number;
  /** Date.now() when the response status was sent (for a watch: when the stream started). */
  at: number;
}

/** Makes matching requests fail; see FakeApiServer.injectFault. */
export interface Fault {
  /** Only requests with this method (any when absent). */
  method?: string;
  /** Tested against the request path (without the query). */
  path: RegExp;
  status: number;
  /** How many requests fail; default 1. */
  times?: number;
  message?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** A change committed to the store, kept in the history watches resume from. */
export interface StoredEvent {
  type: WatchEventType;
  /** The resource's storage key (group/plural), see ResourceType.key. */
  resource: string;
  /** The object after the change (for DELETED: as it was deleted, with the deletion's resourceVersion). */
  object: K8sObject;
  /** The object before the change (MODIFIED and DELETED), to decide selector transitions. */
  previous?: K8sObject;
  resourceVersion: number;
}
