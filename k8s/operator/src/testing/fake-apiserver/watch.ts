// Watch streams: chunked JSON lines of {type, object}, started from a resourceVersion (or with
// the current state as ADDED events), filtered by namespace, name and selectors, with BOOKMARKs,
// timeoutSeconds, and the 410 Expired ERROR event a compacted resourceVersion gets.
import type { ServerResponse } from 'node:http';
import { apiVersionOf, storageKey, type ResourceType } from './resources.js';
import type { Selector } from './selectors.js';
import { errors, type MetaStatus } from './status.js';
import type { ObjectStore } from './store.js';
import type { K8sObject, StoredEvent } from './types.js';

export interface WatchRequest {
  type: ResourceType;
  namespace: string | undefined;
  /** Set by the legacy /watch/.../name form. */
  name: string | undefined;
  selector: Selector;
  /** The resourceVersion query parameter: '' or '0' start from the current state. */
  resourceVersion: string;
  sendInitialEvents: boolean | undefined;
  allowBookmarks: boolean;
  timeoutSeconds: number | undefined;
  /** The request path, for FakeApiServer.openWatches(prefix). */
  path: string;
}

type WireEvent = { type: string; object: unknown };

export class WatchStream {
  private ended = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    readonly request: WatchRequest,
    private readonly res: ServerResponse,
    private readonly store: ObjectStore,
    private readonly onEnd: (stream: WatchStream) => void,
  ) {
    res.on('close', () => this.end());
  }

  /**
   * Starts the stream: the backlog (current objects or history), then live events through
   * deliver(). Returns false when the stream ended at once (410 Expired).
   */
  start(bookmarkIntervalMs: number): boolean {
    const { request } = this;
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    this.res.flushHeaders();
    const fromNow = request.resourceVersion === '' || request.resourceVersion === '0';
    const initial = request.sendInitialEvents ?? fromNow;
    if (initial) {
      for (const object of this.store.list(storageKey(request.type), request.namespace)) {
        if (this.selects(object)) this.write({ type: 'ADDED', object: this.served(object) });
      }
      if (request.sendInitialEvents && request.allowBookmarks) this.bookmark({ 'k8s.io/initial-events-end': 'true' });
    }
    if (!fromNow) {
      const requested = Number(request.resourceVersion);
      const backlog = this.store.eventsAfter(requested);
      if (backlog === undefined) {
        this.fail(errors.expired(requested, this.store.compactedBefore));
        return false;
      }
      if (!initial) for (const event of backlog) this.deliver(event);
    }
    if (request.allowBookmarks) this.timers.push(setInterval(() => this.bookmark(), bookmarkIntervalMs));
    if (request.timeoutSeconds !== undefined) this.timers.push(setTimeout(() => this.end(), request.timeoutSeconds * 1000));
    return true;
  }

  /** Sends a stored change if this watch sees it, turned into ADDED/DELETED when the object enters or leaves the selection. */
  deliver(event: StoredEvent): void {
    if (this.ended || event.resource !== storageKey(this.request.type)) return;
    const now = event.type !== 'DELETED' && this.selects(event.object);
    const before = event.type !== 'ADDED' && event.previous !== undefined && this.selects(event.previous);
    if (event.type === 'DELETED') {
      if (this.selects(event.object)) this.write({ type: 'DELETED', object: this.served(event.object) });
    } else if (now && before) this.write({ type: 'MODIFIED', object: this.served(event.object) });
    else if (now) this.write({ type: 'ADDED', object: this.served(event.object) });
    else if (before && event.previous) {
      // Left the selection: DELETED with the last state it was seen in, at the change's resourceVersion.
      const last = this.served(event.previous);
      last.metadata.resourceVersion = String(event.resourceVersion);
      this.write({ type: 'DELETED', object: last });
    }
  }

  /** Ends the stream with an ERROR event carrying `status` (what a real server does on 410). */
  fail(status: MetaStatus): void {
    this.write({ type: 'ERROR', object: status });
    this.end();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const timer of this.timers) clearTimeout(timer);
    if (!this.res.writableEnded) this.res.end();
    this.onEnd(this);
  }

  private selects(object: K8sObject): boolean {
    const { namespace, name, selector } = this.request;
    if (namespace !== undefined && object.metadata.namespace !== namespace) return false;
    if (name !== undefined && object.metadata.name !== name) return false;
    return selector(object);
  }

  private served(object: K8sObject): K8sObject {
    const copy = structuredClone(object);
    copy.apiVersion = apiVersionOf(this.request.type);
    return copy;
  }

  private bookmark(annotations?: Record<string, string>): void {
    const metadata: Record<string, unknown> = { resourceVersion: String(this.store.resourceVersion) };
    if (annotations) metadata['annotations'] = annotations;
    this.write({ type: 'BOOKMARK', object: { kind: this.request.type.kind, apiVersion: apiVersionOf(this.request.type), metadata } });
  }

  private write(event: WireEvent): void {
    if (!this.ended && !this.res.writableEnded) this.res.write(`${JSON.stringify(event)}\n`);
  }
}

/** Every open watch; feeds them the store's changes. */
export class WatchHub {
  private readonly streams = new Set<WatchStream>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ObjectStore,
    private readonly bookmarkIntervalMs: number,
  ) {
    this.unsubscribe = store.subscribe((event) => {
      for (const stream of [...this.streams]) stream.deliver(event);
    });
  }

  open(request: WatchRequest, res: ServerResponse): void {
    const stream = new WatchStream(request, res, this.store, (s) => this.streams.delete(s));
    this.streams.add(stream);
    stream.start(this.bookmarkIntervalMs);
  }

  count(pathPrefix?: string): number {
    return [...this.streams].filter((s) => pathPrefix === undefined || s.request.path.startsWith(pathPrefix)).length;
  }

  /** 410 Expired to every open watch, then forget the history (see ObjectStore.compact). */
  expire(): void {
    const current = this.store.resourceVersion;
    this.store.compact();
    for (const stream of [...this.streams]) stream.fail(errors.expired(current, this.store.compactedBefore));
  }

  /** Ends the watches on resources no longer served (a deleted CRD). */
  endFor(types: readonly ResourceType[]): void {
    const keys = new Set(types.map(storageKey));
    for (const stream of [...this.streams]) if (keys.has(storageKey(stream.request.type))) stream.end();
  }

  close(): void {
    this.unsubscribe();
    for (const stream of [...this.streams]) stream.end();
  }
}
