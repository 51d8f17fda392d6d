import type { FunctionEvent, Logger, RouteClaim } from '@isola/core';
import { HttpRouteMatcher, type RouteMatch } from './http-route-matcher.js';

/** Where the table comes from: the route claims in Redis (FunctionStore.routeClaims). */
export interface RouteClaimSource {
  routeClaims(): Promise<RouteClaim[]>;
}

/** After a failed read, the next try. */
const retryMs = 1_000;

/**
 * Every function's `routes:`, held in memory so a request is routed without a Redis round trip.
 * Push invalidation like the AliasCache: an event that may move a function's routes (a promoted
 * deploy, an alias change, a delete) re-reads the whole table, one HGETALL; so does a lost
 * event subscription. The gateway that made a change re-reads at once (`refresh`), so its own
 * client is served the new route as soon as the API answered.
 */
export class HttpRouteTable {
  private matcher = new HttpRouteMatcher([]);
  /** The functions that hold at least one route. */
  private holders = new Set<string>();
  /** The read in progress or last finished (never rejects). */
  private tail: Promise<void> = Promise.resolve();
  /** A read queued behind `tail`, shared by every refresh asked for before it starts. */
  private queued: Promise<void> | null = null;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly source: RouteClaimSource,
    private readonly logger: Logger,
  ) {}

  match(method: string, target: string): RouteMatch | null {
    return this.matcher.match(method, target);
  }

  /** Whether the function holds a route in the table as last read (its deploys may move routes). */
  holds(name: string): boolean {
    return this.holders.has(name);
  }

  /**
   * Re-reads the table. A read that already started may predate the change being announced, so
   * a refresh waits for it and reads again; refreshes asked for meanwhile share that one read.
   */
  refresh(): Promise<void> {
    if (this.queued !== null) return this.queued;
    const next = this.tail.then(() => {
      this.queued = null;
      return this.read();
    });
    this.queued = next;
    this.tail = next.catch(() => undefined);
    return next;
  }

  onEvent(event: FunctionEvent): void {
    if ((event.type === 'deployed' && event.promoted) || event.type === 'aliases' || event.type === 'deleted') this.refreshInBackground();
  }

  /** Refreshes, logging a failure and trying again a second later until a read succeeds. */
  refreshInBackground(): void {
    this.refresh().catch((error: unknown) => {
      this.logger.warn({ err: error }, `could not read the HTTP routes; serving the previous table, trying again in ${retryMs} ms`);
      if (this.retry === null && !this.closed) {
        this.retry = setTimeout(() => {
          this.retry = null;
          this.refreshInBackground();
        }, retryMs);
        this.retry.unref();
      }
    });
  }

  close(): void {
    this.closed = true;
    if (this.retry !== null) clearTimeout(this.retry);
  }

  private async read(): Promise<void> {
    const claims = await this.source.routeClaims();
    this.matcher = new HttpRouteMatcher(claims);
    this.holders = new Set(claims.map((claim) => claim.function));
  }
}
