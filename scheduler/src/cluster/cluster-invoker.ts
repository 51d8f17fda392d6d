import type { Redis } from 'ioredis';
import { Pool } from 'undici';
import {
  decodeInvocationOutcome,
  encodeInvocationRequest,
  instanceKey,
  invocationFrameType,
  readNodeDirectory,
  refusedOutcome,
  type FunctionEvent,
  type InvocationOutcome,
  type InvocationRequest,
  type Invoker,
  type Logger,
  type NodeInfo,
} from '@isola/core';
import { rendezvousOrder } from './rendezvous.js';
import { nodeStateHeader, nodeTokenHeader } from './node-protocol.js';

/**
 * The worker node living in this very process (`isola up`): invoked directly, not over HTTP,
 * and always known with its live load, whatever the directory says.
 */
export interface LocalNode {
  id: string;
  invoker: Invoker & { inFlight(): number; capacity(): number };
}

export interface ClusterInvokerOptions {
  /** Reads the node directory. */
  redis: Redis;
  /** The credential node servers expect (nodeAuthToken). */
  nodeToken: string;
  logger: Logger;
  local?: LocalNode;
  /** How often the directory is re-read besides on node events. Default 1,000. */
  refreshIntervalMs?: number;
  /** How long a node that refused connections is skipped. Default 3,000. */
  downForMs?: number;
  /** Connections per remote node (opened as needed). Default 1,024. */
  connectionsPerNode?: number;
}

interface NodeView {
  info: NodeInfo;
  local: LocalNode | null;
  /** Invocations this gateway has running on the node. */
  inFlight: number;
  /** This gateway's share of the node's reported inFlight (its own count when the report was read). */
  inFlightAtReport: number;
  downUntil: number;
  pool: Pool | null;
}

/** Per worker process of a node: how much busier its home node may be than the least busy one before a function spills over. */
const spillSlackPerWorker = 4;

/**
 * Places synchronous invocations on the platform's worker nodes (SPEC §1 scheduler): every
 * gateway reads the node directory in Redis, ranks the nodes for each function version by
 * rendezvous hashing — so all gateways send a version to the same home node and its instances
 * stay warm there — and spills to the least busy node only when the home node is clearly
 * busier. A node at capacity is skipped; when every node is, the invocation is refused with
 * 503 OVERLOADED and a Retry-After.
 *
 * An invocation is sent again to another node only when the first never took it (connection
 * refused, node draining or full). One that a node took and then lost (the node died) fails
 * with WORKER_LOST: synchronous calls are not repeated behind the caller's back.
 */
export class ClusterInvoker implements Invoker {
  private nodes: NodeView[] = [];
  private readonly views = new Map<string, NodeView>();
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  private closed = false;

  constructor(private readonly options: ClusterInvokerOptions) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshIntervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Node events (join, drain, leave) make the directory be read at once. */
  onEvent(event: FunctionEvent): void {
    if (event.type === 'nodes') void this.refresh();
  }

  readyWorkers(): number {
    const now = Date.now();
    return this.nodes.reduce((sum, node) => sum + (node.local !== null ? node.local.invoker.readyWorkers() : node.downUntil > now ? 0 : node.info.workers), 0);
  }

  async invoke(request: InvocationRequest): Promise<InvocationOutcome> {
    const now = Date.now();
    if (this.nodes.length === 0 && this.options.local !== undefined) this.apply([]);
    const live = this.nodes.filter((node) => node.downUntil <= now);
    if (live.length === 0) {
      return refusedOutcome({
        code: this.nodes.length === 0 ? 'NOT_READY' : 'OVERLOADED',
        message:
          this.nodes.length === 0
            ? 'no worker node is running: start `isola worker` (or `isola up`) against this Redis'
            : 'no worker node is reachable right now; retry shortly',
        retryAfterMs: 1_000,
      });
    }
    const ranked = rendezvousOrder(instanceKey(request.function), live, (node) => node.info.id);
    const tried = new Set<NodeView>();
    for (;;) {
      const node = choose(ranked, tried);
      if (node === null) break;
      tried.add(node);
      const outcome = await this.send(node, request);
      if (outcome !== null) return outcome;
    }
    const ready = live.some((node) => workersOf(node) > 0);
    return refusedOutcome({
      code: 'OVERLOADED',
      message: ready ? 'every worker of the platform is busy; retry shortly' : 'no worker process is ready to run the invocation (they may be restarting); retry shortly',
      retryAfterMs: 1_000,
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    await Promise.all([...this.views.values()].map((view) => view.pool?.close()));
    this.views.clear();
    this.nodes = [];
  }

  /** Runs the invocation on a node; null when the node did not take it (try another). */
  private async send(node: NodeView, request: InvocationRequest): Promise<InvocationOutcome | null> {
    node.inFlight += 1;
    try {
      if (node.local !== null) {
        const outcome = await node.local.invoker.invoke(request);
        // The local scheduler had no worker with room: another node may have.
        return !outcome.ok && outcome.error.code === 'OVERLOADED' && outcome.workerId === '' ? null : outcome;
      }
      return await this.sendRemote(node, node.pool as Pool, request);
    } finally {
      node.inFlight -= 1;
    }
  }

  private async sendRemote(node: NodeView, pool: Pool, request: InvocationRequest): Promise<InvocationOutcome | null> {
    // The node enforces the function's limits itself (load and run may each take timeoutMs); this
    // only ends the wait for a node that went silent without closing its connections.
    const silentAfterMs = 2 * request.limits.timeoutMs + 5_000;
    let status: number;
    let state: string | string[] | undefined;
    let body: Buffer;
    try {
      const response = await pool.request({
        method: 'POST',
        path: '/v1/invocations',
        headers: { 'content-type': invocationFrameType, [nodeTokenHeader]: this.options.nodeToken },
        body: encodeInvocationRequest(request),
        headersTimeout: silentAfterMs,
        bodyTimeout: silentAfterMs,
      });
      status = response.statusCode;
      state = response.headers[nodeStateHeader];
      body = Buffer.from(await response.body.arrayBuffer());
      if (status === 200) return decodeInvocationOutcome(body);
    } catch (error) {
      const code = (error as { code?: string }).code;
      this.markDown(node, error);
      // Refused before anything was sent: the node is gone; another may take it.
      if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'UND_ERR_CONNECT_TIMEOUT') return null;
      return refusedOutcome({
        code: 'WORKER_LOST',
        message: `the worker node ${node.info.id} running the invocation stopped answering (${(error as Error).message}); it was not run again`,
      });
    }
    if (status === 503 && (state === 'draining' || state === 'full')) {
      // Not taken: draining nodes hand new work back; a full one is busier than the directory said.
      if (state === 'draining') node.downUntil = Date.now() + (this.options.downForMs ?? 3_000);
      else node.info.inFlight = Math.max(node.info.inFlight, node.info.capacity);
      return null;
    }
    if (status === 401) {
      this.options.logger.error({ node: node.info.id }, 'a worker node refused this gateway: every process of the platform needs the same secret key (ISOLA_SECRET_KEY or the key file)');
      node.downUntil = Date.now() + (this.options.downForMs ?? 3_000);
      return null;
    }
    return refusedOutcome({ code: 'INTERNAL', message: `worker node ${node.info.id} answered ${status}: ${body.toString('utf8').slice(0, 200)}` });
  }

  private markDown(node: NodeView, error: unknown): void {
    if (node.downUntil <= Date.now()) this.options.logger.warn({ node: node.info.id, url: node.info.url, err: error }, 'worker node unreachable; skipping it');
    node.downUntil = Date.now() + (this.options.downForMs ?? 3_000);
  }

  /** Re-reads the directory (one run at a time; a request during a run makes one more run). */
  private refresh(): Promise<void> {
    if (this.refreshing !== null) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.refreshAgain = false;
          this.apply(await readNodeDirectory(this.options.redis));
        } while (this.refreshAgain && !this.closed);
      } catch (error) {
        this.options.logger.warn({ err: error }, 'could not read the node directory; keeping the last view');
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private apply(infos: readonly NodeInfo[]): void {
    if (this.closed) return;
    const seen = new Set<string>();
    const local = this.options.local;
    if (local !== undefined) {
      seen.add(local.id);
      if (!this.views.has(local.id)) {
        const info: NodeInfo = { id: local.id, url: '', workers: 0, capacity: 0, inFlight: 0, startedAt: Date.now() };
        this.views.set(local.id, { info, local, inFlight: 0, inFlightAtReport: 0, downUntil: 0, pool: null });
      }
    }
    for (const info of infos) {
      if (info.id === local?.id) continue;
      seen.add(info.id);
      let view = this.views.get(info.id);
      if (view === undefined || view.info.url !== info.url) {
        void view?.pool?.close();
        view = { info, local: null, inFlight: view?.inFlight ?? 0, inFlightAtReport: 0, downUntil: 0, pool: this.pool(info.url) };
        this.views.set(info.id, view);
      } else {
        view.info = info;
      }
      view.inFlightAtReport = view.inFlight;
    }
    for (const [id, view] of this.views) {
      if (seen.has(id)) continue;
      this.views.delete(id);
      // Invocations still running on it keep their connections until they end.
      if (view.pool !== null) void view.pool.close();
    }
    this.nodes = [...this.views.values()];
  }

  private pool(url: string): Pool {
    return new Pool(url, { connections: this.options.connectionsPerNode ?? 1_024, keepAliveTimeout: 30_000, connectTimeout: 2_000 });
  }
}

/** The node's load as this gateway estimates it: the others' share as last reported, plus its own now (exact for the local node). */
function loadOf(node: NodeView): number {
  if (node.local !== null) return node.local.invoker.inFlight();
  return Math.max(0, node.info.inFlight - node.inFlightAtReport) + node.inFlight;
}

function capacityOf(node: NodeView): number {
  return node.local !== null ? node.local.invoker.capacity() : node.info.capacity;
}

function workersOf(node: NodeView): number {
  return node.local !== null ? node.local.invoker.readyWorkers() : node.info.workers;
}

/**
 * The home node (first ranked) unless it is full or clearly busier than the least busy node;
 * then the least busy node with room. Null when no untried node has room.
 */
function choose(ranked: readonly NodeView[], tried: ReadonlySet<NodeView>): NodeView | null {
  let home: NodeView | null = null;
  let least: NodeView | null = null;
  for (const node of ranked) {
    if (tried.has(node) || loadOf(node) >= capacityOf(node)) continue;
    home ??= node;
    if (least === null || loadOf(node) < loadOf(least)) least = node;
  }
  if (home === null || least === null) return null;
  return loadOf(home) <= loadOf(least) + spillSlackPerWorker * Math.max(1, workersOf(home)) ? home : least;
}

