import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IsolaClient, type Logger } from '@isola/core';
import type { KubeConfig } from '@kubernetes/client-node';
import { Counter, Gauge, Registry } from 'prom-client';
import type { OperatorConfig } from './config.js';
import { EventRecorder } from './events.js';
import { FunctionWatcher } from './function-watcher.js';
import { KubeApi } from './kube.js';
import { LeaderElector } from './leader-election.js';
import { FunctionReconciler, RetryableError } from './reconciler.js';
import { WorkerScaler } from './scaler.js';
import { SourceResolver } from './source.js';
import { WorkQueue } from './work-queue.js';

/**
 * The Isola operator: one replica at a time (the Lease holder) watches the namespace's Function
 * resources, reconciles each into the platform through the control-plane API, and scales the
 * worker Deployment from the platform's load. Followers only keep trying for the lease.
 */
export class Operator {
  readonly kube: KubeApi;
  readonly platform: IsolaClient;
  readonly elector: LeaderElector;
  readonly scaler: WorkerScaler;
  private watcher: FunctionWatcher | null = null;
  private queue: WorkQueue | null = null;
  private server: Server | null = null;
  private readonly registry = new Registry();
  private readonly reconciles: Counter<'result'>;
  private readonly sources: SourceResolver;
  /** Serialises leading and stopping, which both start or stop the workers. */
  private transitions: Promise<void> = Promise.resolve();

  constructor(
    readonly config: OperatorConfig,
    kubeConfig: KubeConfig,
    private readonly logger: Logger,
  ) {
    this.kube = new KubeApi(kubeConfig, config.namespace);
    this.platform = new IsolaClient(config.url, config.token);
    this.sources = new SourceResolver(
      { readConfigMap: (_namespace, name) => this.kube.readConfigMap(name), fetch: (input, init) => fetch(input, init) },
      { maxDownloadBytes: config.maxSourceBytes, maxUnpackedBytes: config.maxSourceBytes * 4, downloadTimeoutMs: 30_000 },
    );
    this.scaler = new WorkerScaler(this.kube, this.platform, config.scale, logger.child({ component: 'scaler' }));
    this.elector = new LeaderElector(
      this.kube,
      { lease: config.lease, identity: config.identity, leaseDurationMs: config.leaseDurationMs, renewDeadlineMs: config.renewDeadlineMs, retryPeriodMs: config.retryPeriodMs },
      { started: () => this.transition(() => this.lead()), stopped: () => this.transition(() => this.follow()) },
      logger.child({ component: 'leader-election' }),
    );
    this.reconciles = new Counter({ name: 'isola_operator_reconciles_total', help: 'Function reconciles by result (ok, retry, error)', labelNames: ['result'], registers: [this.registry] });
    this.gauge('isola_operator_leader', '1 while this replica holds the lease and acts', () => (this.elector.isLeader ? 1 : 0));
    this.gauge('isola_operator_functions', 'Function resources in the watched namespace (leader only)', () => this.watcher?.names().length ?? 0);
    this.gauge('isola_operator_queue_length', 'Functions waiting for or in a reconcile', () => this.queue?.length ?? 0);
    this.gauge(
      'isola_operator_worker_replicas_desired',
      'Worker replicas the scaler decided on last (for an HPA or KEDA on an external metric instead of the operator scaling)',
      () => this.scaler.last?.applied ?? null,
    );
    this.gauge('isola_operator_worker_demand', 'Invocations running plus waiting in queues, as the scaler saw them last', () => this.scaler.last?.recommended.demand ?? null);
  }

  private gauge(name: string, help: string, value: () => number | null): void {
    const gauge: Gauge = new Gauge({
      name,
      help,
      registers: [this.registry],
      collect: () => {
        const now = value();
        if (now !== null) gauge.set(now);
      },
    });
  }

  /** Serves health and metrics, then competes for the lease. */
  async start(): Promise<void> {
    if (this.config.port >= 0) await this.serve();
    this.elector.start();
  }

  /** Releases the lease (after stopping the work) and closes the health server. */
  async stop(): Promise<void> {
    await this.elector.stop();
    await this.transition(() => this.follow());
    if (this.server !== null) await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server = null;
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  /** Where the health server listens (after start). */
  get address(): string | null {
    const address = this.server?.address() as AddressInfo | null | undefined;
    return address ? `http://127.0.0.1:${address.port}` : null;
  }

  private transition(step: () => Promise<void>): Promise<void> {
    this.transitions = this.transitions.then(step, step);
    return this.transitions;
  }

  private async lead(): Promise<void> {
    if (this.watcher !== null) return;
    const log = this.logger.child({ component: 'reconciler' });
    const events = new EventRecorder(this.kube, this.config.identity, log);
    let watcher: FunctionWatcher | null = null;
    const reconciler = new FunctionReconciler({
      kube: this.kube,
      platform: this.platform,
      sources: this.sources,
      events,
      cached: (name) => watcher?.get(name),
      observe: (resource) => watcher?.observe(resource),
      logger: log,
    });
    const queue = new WorkQueue(
      async (name) => {
        const outcome = await reconciler.reconcile(name);
        this.reconciles.inc({ result: 'ok' });
        return outcome;
      },
      {
        concurrency: this.config.concurrency,
        baseDelayMs: this.config.retryBaseMs,
        maxDelayMs: this.config.retryMaxMs,
        onError: (name, error, failures, retryInMs) => {
          this.reconciles.inc({ result: error instanceof RetryableError ? 'retry' : 'error' });
          log.warn({ function: name, failures, retryInMs, err: error instanceof RetryableError ? error.message : error }, 'reconcile failed; retrying');
        },
      },
    );
    watcher = new FunctionWatcher(
      this.kube,
      { changed: (name) => queue.add(name), removed: () => undefined },
      { resyncMs: this.config.resyncMs, watchTimeoutSeconds: 300, retryMs: 500, maxRetryMs: 30_000 },
      this.logger.child({ component: 'watcher' }),
    );
    this.watcher = watcher;
    this.queue = queue;
    watcher.start();
    this.scaler.start();
  }

  private async follow(): Promise<void> {
    const watcher = this.watcher;
    const queue = this.queue;
    this.watcher = null;
    this.queue = null;
    watcher?.stop();
    await Promise.all([queue?.stop(), this.scaler.stop()]);
  }

  private async serve(): Promise<void> {
    this.server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?', 1)[0];
      if (path === '/healthz') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, leader: this.isLeader }));
      } else if (path === '/readyz') {
        void this.ready().then((ready) => {
          response.writeHead(ready.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(ready));
        });
      } else if (path === '/metrics') {
        void this.registry.metrics().then((text) => response.writeHead(200, { 'content-type': this.registry.contentType }).end(text));
      } else {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found: /healthz, /readyz and /metrics are served' }));
      }
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.config.port, this.config.host, () => resolve());
    });
  }

  /** Ready: the Kubernetes API answers (a follower is ready too: it stands by), and a leader has listed its Functions. */
  private async ready(): Promise<{ ok: boolean; leader: boolean; reason?: string }> {
    const leader = this.isLeader;
    try {
      await this.kube.readLease(this.config.lease);
    } catch (error) {
      return { ok: false, leader, reason: `the Kubernetes API does not answer: ${(error as Error).message}` };
    }
    if (leader && this.watcher !== null && !this.watcher.hasSynced) return { ok: false, leader, reason: 'listing Functions' };
    return { ok: true, leader };
  }
}
