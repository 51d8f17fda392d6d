// FakeApiServer: an in-process stand-in for the Kubernetes API server, for tests that cannot
// run a real one. It speaks the real REST and watch protocol over HTTP, so the real
// @kubernetes/client-node and kubectl work against it unmodified.
//
// Imitated: discovery (legacy, not aggregated), CRUD with metav1.Status errors, uid /
// resourceVersion / generation / creationTimestamp, optimistic concurrency, status and scale
// subresources, finalizers and deletionTimestamp, merge / JSON / strategic merge patches
// (strategic approximated, see patch.ts), label and field selectors, watches (history,
// bookmarks, timeoutSeconds, 410 Expired), Table output for kubectl get, CRDs served at once,
// dryRun=All, generateName, namespace existence on create, Secret stringData.
//
// Not imitated: authentication and authorization (the bearer token is only recorded as the
// user), admission (no defaulting beyond Secret.type and Namespace status.phase, no quotas),
// validation of specs (built-in or against a CRD's openAPIV3Schema; no pruning of unknown
// fields, no CRD defaults), server-side apply (415), OpenAPI documents (404; kubectl needs
// --validate=false), aggregated discovery, protobuf and YAML request bodies (415: kubectl's
// typed commands such as `kubectl create namespace` send protobuf; `kubectl apply` sends JSON;
// responses are always JSON, which every client accepts), LIST paging (limit and
// continue are ignored: everything comes in one page) and resourceVersion semantics on LIST
// (always the latest), CRD version conversion beyond rewriting apiVersion, field selectors
// other than metadata.name and metadata.namespace, propagationPolicy (no garbage collector:
// owner references are never followed), graceful deletion periods, managedFields, and the
// controllers (nothing creates Pods or ReplicaSets or writes Deployment status; tests play
// those parts with putObject). Deleting a Namespace deletes what is in it at once; deleting a
// CRD removes its objects at once, whatever their finalizers.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { handle } from './http.js';
import { Registry } from './registry.js';
import { ResourceRegistry, storageKey } from './resources.js';
import { ObjectStore } from './store.js';
import type { Fault, FakeApiServerOptions, K8sObject, RecordedRequest } from './types.js';
import { WatchHub } from './watch.js';

export interface ClientOptions {
  /** The bearer token, which the server records as the user. Default "admin". */
  user?: string;
  /** The kubeconfig context's namespace. Default "default". */
  namespace?: string;
}

interface ActiveFault extends Fault {
  remaining: number;
}

export class FakeApiServer {
  /** Every request served, in the order the responses started. */
  readonly requests: RecordedRequest[] = [];
  private readonly store: ObjectStore;
  private readonly registry: Registry;
  private readonly hub: WatchHub;
  private readonly faults: ActiveFault[] = [];
  private port = 0;

  private constructor(
    private readonly server: Server,
    options: FakeApiServerOptions,
  ) {
    this.store = new ObjectStore(options.historyLimit ?? 1000);
    this.hub = new WatchHub(this.store, (options.bookmarkIntervalSeconds ?? 1) * 1000);
    this.registry = new Registry(this.store, new ResourceRegistry(), (types) => this.hub.endFor(types));
  }

  /** Starts a server on 127.0.0.1 on a free port. */
  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const server = createServer();
    const fake = new FakeApiServer(server, options);
    server.on('request', (req, res) => {
      void handle(
        {
          registry: fake.registry,
          hub: fake.hub,
          serverAddress: () => `127.0.0.1:${fake.port}`,
          record: (request) => fake.requests.push(request),
          takeFault: (method, path) => fake.takeFault(method, path),
        },
        req,
        res,
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.port = (server.address() as AddressInfo).port;
    return fake;
  }

  /** http://127.0.0.1:PORT */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A client-node KubeConfig for this server (plain HTTP, which client-node allows with skipTLSVerify). */
  kubeConfig(options: ClientOptions = {}): KubeConfig {
    const config = new KubeConfig();
    config.loadFromString(JSON.stringify(this.kubeconfigDocument(options)));
    return config;
  }

  /** Writes a kubeconfig file for kubectl (mode 0600) and returns its path. */
  writeKubeconfig(path: string, options: ClientOptions = {}): string {
    writeFileSync(path, `${JSON.stringify(this.kubeconfigDocument(options), null, 2)}\n`, { mode: 0o600 });
    return path;
  }

  /** A stored object (a copy), or undefined. `namespace` is ignored for cluster-scoped kinds. */
  getObject(apiVersion: string, kind: string, namespace: string | null, name: string): K8sObject | undefined {
    const type = this.typeOf(apiVersion, kind);
    const object = this.registry.find(type, namespace ?? undefined, name);
    return object && this.registry.served(type, object);
  }

  /** Stored objects of a kind (copies, in resourceVersion order), in one namespace or all. */
  listObjects(apiVersion: string, kind: string, namespace?: string): K8sObject[] {
    const type = this.typeOf(apiVersion, kind);
    return this.store.list(storageKey(type), type.namespaced ? namespace : undefined).map((o) => this.registry.served(type, o));
  }

  /**
   * Creates or replaces an object as a client would (uid, resourceVersion, generation, watch
   * events), except that .status is kept as given: tests play the controllers. A namespaced
   * object without metadata.namespace goes to "default"; its namespace need not exist.
   */
  putObject(object: K8sObject): K8sObject {
    return this.registry.put(object);
  }

  /** Deletes an object as a client would (finalizers hold it); false when there was none. */
  deleteObject(apiVersion: string, kind: string, namespace: string | null, name: string): boolean {
    const type = this.typeOf(apiVersion, kind);
    if (!this.registry.find(type, namespace ?? undefined, name)) return false;
    this.registry.delete(type, namespace ?? undefined, name);
    return true;
  }

  /** The store's latest resourceVersion. */
  get resourceVersion(): string {
    return String(this.store.resourceVersion);
  }

  /**
   * Ends every open watch with an ERROR 410 Expired event and forgets history, so resuming from
   * any resourceVersion seen so far gets 410 too (what a real server does after etcd compaction).
   */
  expireWatches(): void {
    this.hub.expire();
  }

  /** Makes matching requests fail with `status` (a metav1 Status body) `times` times (default 1). */
  injectFault(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** Open watch connections, optionally only those whose path starts with `pathPrefix`. */
  openWatches(pathPrefix?: string): number {
    return this.hub.count(pathPrefix);
  }

  /** Ends open watches and stops listening. */
  async close(): Promise<void> {
    this.hub.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const index = this.faults.findIndex((f) => (f.method === undefined || f.method.toUpperCase() === method) && f.path.test(path));
    const fault = this.faults[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private typeOf(apiVersion: string, kind: string) {
    const type = this.registry.resources.byKind(apiVersion, kind);
    if (!type) throw new Error(`the fake API server serves no ${kind} in ${apiVersion}`);
    return type;
  }

  private kubeconfigDocument({ user = 'admin', namespace = 'default' }: ClientOptions) {
    return {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: user, user: { token: user } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user, namespace } }],
      'current-context': 'fake',
      preferences: {},
    };
  }
}
