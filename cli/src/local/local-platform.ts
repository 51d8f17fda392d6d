// The platform's parts a local run needs, in one process and without Redis: a worker process
// forked by the same Supervisor (real isolated-vm, the same runtime and limits), fed by a
// FunctionDirectory instead of the function store; the real sidecar with in-memory components
// whose data the host keeps (MemoryBackends); a small gateway for service bindings; and the
// message trigger over the in-memory topics. `isola dev` and the testing helper run on it.
import { randomBytes } from 'node:crypto';
import {
  createLogger,
  defaultComponentNames,
  freePort,
  loadConfig,
  wasRefused,
  type Config,
  type InvocationOutcome,
  type InvocationRequest,
  type Logger,
  type Manifest,
} from '@isola/core';
import { Scheduler } from '@isola/scheduler';
import { inMemoryComponents, MemoryBackends, startSidecar, type Sidecar } from '@isola/sidecar';
import { Supervisor } from '@isola/worker-pool';
import { FunctionDirectory } from './function-directory.js';
import type { InvocationReport, LocalFunction } from './local-function.js';
import { LocalMessageTrigger } from './local-message-trigger.js';
import { LocalRpcGateway } from './local-rpc-gateway.js';

export interface LocalPlatformOptions {
  /** Platform settings (body and log limits, heartbeats); default: loadConfig() of this process's environment. */
  config?: Config;
  /** The platform's own log (JSON on stderr); default: warnings and errors only. */
  logger?: Logger;
  /** The in-memory components' data, when the host keeps it (isola dev --persist); default a new one. */
  memory?: MemoryBackends;
  /** Where warnings for the author go (a secret not set, a message that became a dead letter). */
  warn?: (message: string) => void;
}

/** How long an invocation waits for a worker that is (re)starting, e.g. after a crash. */
const workerWaitMs = 10_000;

export class LocalPlatform {
  readonly messages: LocalMessageTrigger;
  private readonly functions = new Map<string, LocalFunction>();
  private readonly listeners = new Set<(report: InvocationReport) => void>();
  /** Store names of the sidecar's in-memory components now, by building block (see inMemoryComponents). */
  private components = {
    state: new Set<string>([defaultComponentNames.state]),
    configuration: new Set<string>([defaultComponentNames.configuration]),
    lock: new Set<string>([defaultComponentNames.lock]),
  };

  private constructor(
    readonly directory: FunctionDirectory,
    readonly memory: MemoryBackends,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly secretKey: Buffer,
    private sidecar: Sidecar,
    private readonly supervisor: Supervisor,
    private readonly scheduler: Scheduler,
    private readonly gateway: LocalRpcGateway,
    readonly warn: (message: string) => void,
  ) {
    this.messages = new LocalMessageTrigger(this, warn);
  }

  static async start(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
    const config = options.config ?? loadConfig();
    const logger = options.logger ?? createLogger({ level: 'warn' });
    const memory = options.memory ?? new MemoryBackends();
    const secretKey = randomBytes(32);
    const directory = new FunctionDirectory();
    // The workers are told the sidecar's URL when they start: a port chosen now lets both start at once.
    const sidecarPort = await freePort();
    const gateway = await LocalRpcGateway.start(secretKey);
    // The worker processes get their functions from the directory (over IPC), and never Redis.
    const env: NodeJS.ProcessEnv = { ...process.env, ISOLA_SECRET_KEY: secretKey.toString('hex'), ISOLA_SIDECAR_URL: `http://127.0.0.1:${sidecarPort}`, ISOLA_LOG_LEVEL: logger.level };
    delete env.REDIS_URL;
    const supervisor = new Supervisor({
      workers: 1,
      env,
      logger: logger.child({ component: 'supervisor' }),
      heartbeatTimeoutMs: config.heartbeatTimeoutMs,
      functions: directory,
      onFunctionCrash: (key, reason) => scheduler.recordCrash(key, reason),
    });
    const scheduler = new Scheduler(supervisor, { logger: logger.child({ component: 'scheduler' }), maxInFlightPerWorker: config.workerMaxInFlight });
    const [sidecar, workers] = await Promise.allSettled([startLocalSidecar(config, logger, secretKey, directory, memory, gateway.url, sidecarPort, {}), supervisor.start()]);
    if (sidecar.status === 'rejected' || workers.status === 'rejected') {
      await supervisor.stop();
      if (sidecar.status === 'fulfilled') await sidecar.value.close();
      await gateway.close();
      throw sidecar.status === 'rejected' ? sidecar.reason : (workers as PromiseRejectedResult).reason;
    }
    const platform = new LocalPlatform(directory, memory, config, logger, secretKey, sidecar.value, supervisor, scheduler, gateway, options.warn ?? ((message) => logger.warn(message)));
    gateway.serve(platform);
    return platform;
  }

  /** Settings the platform runs with (ISOLA_MAX_BODY_BYTES and the others). */
  get settings(): Config {
    return this.config;
  }

  /** The function of that name, if one runs here. */
  function(name: string): LocalFunction | undefined {
    return this.functions.get(name);
  }

  /** The function consuming a topic (its manifest's `queues:`), and how. */
  consumerOf(topic: string): { fn: LocalFunction; config: Manifest['queues'][number] } | null {
    for (const fn of this.functions.values()) {
      const config = fn.manifest.queues.find((queue) => queue.topic === topic);
      if (config !== undefined) return { fn, config };
    }
    return null;
  }

  /** Runs an invocation on a worker (waiting a while for one that is restarting). */
  async invoke(request: InvocationRequest): Promise<InvocationOutcome> {
    const deadline = Date.now() + workerWaitMs;
    for (;;) {
      const outcome = await this.scheduler.invoke(request);
      if (!wasRefused(outcome) || this.scheduler.readyWorkers() > 0 || Date.now() > deadline) return outcome;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Calls `listener` with every invocation's report; returns the function that stops it. */
  onInvocation(listener: (report: InvocationReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  report(report: InvocationReport): void {
    for (const listener of this.listeners) listener(report);
  }

  /** Adds a loaded function (LocalFunction.load calls it). */
  async register(fn: LocalFunction): Promise<void> {
    const existing = this.functions.get(fn.name);
    if (existing !== undefined && existing !== fn) {
      throw new Error(`two folders define the function "${fn.name}": ${existing.folder} and ${fn.folder}; give one another name in its isola.yaml`);
    }
    this.functions.set(fn.name, fn);
    await this.ensureComponents();
  }

  /** A function was reloaded: its previous version's instances go (and its name may have changed). */
  async replaced(fn: LocalFunction, previous: { name: string }): Promise<void> {
    this.supervisor.evict(previous.name);
    if (previous.name !== fn.name) {
      this.functions.delete(previous.name);
      await this.register(fn);
      return;
    }
    await this.ensureComponents();
  }

  async close(): Promise<void> {
    this.messages.close();
    await this.supervisor.stop();
    await this.sidecar.close();
    await this.gateway.close();
  }

  /**
   * Gives every store the functions bind an in-memory component. A store none had before needs
   * a new sidecar: it restarts on the same port (the workers know its URL), and the data stays
   * with the host.
   */
  private async ensureComponents(): Promise<void> {
    const wanted = { state: new Set<string>(), configuration: new Set<string>(), lock: new Set<string>() };
    for (const fn of this.functions.values()) {
      for (const binding of Object.values(fn.manifest.bindings)) {
        if (binding.type === 'state') wanted.state.add(binding.store);
        else if (binding.type === 'config') wanted.configuration.add(binding.store);
        else if (binding.type === 'lock') wanted.lock.add(binding.store);
      }
    }
    const missing = (['state', 'configuration', 'lock'] as const).some((block) => [...wanted[block]].some((name) => !this.components[block].has(name)));
    if (!missing) return;
    for (const block of ['state', 'configuration', 'lock'] as const) for (const name of this.components[block]) wanted[block].add(name);
    const port = Number(new URL(this.sidecar.url).port);
    await this.sidecar.close();
    const stores = { state: [...wanted.state], configuration: [...wanted.configuration], lock: [...wanted.lock] };
    this.sidecar = await startLocalSidecar(this.config, this.logger, this.secretKey, this.directory, this.memory, this.gateway.url, port, stores);
    this.components = wanted;
  }
}

/** The sidecar of a local run: no Redis, in-memory components (the defaults plus `stores`), manifests and secrets from the directory. */
function startLocalSidecar(
  config: Config,
  logger: Logger,
  secretKey: Buffer,
  directory: FunctionDirectory,
  memory: MemoryBackends,
  gatewayUrl: string,
  port: number,
  stores: Partial<Record<'state' | 'configuration' | 'lock', string[]>>,
): Promise<Sidecar> {
  return startSidecar({
    config: { ...config, sidecarHost: '127.0.0.1', sidecarPort: port },
    logger,
    secretKey,
    // Outside callers are not expected: a random admin token nobody knows.
    adminToken: randomBytes(24).toString('hex'),
    components: inMemoryComponents(stores),
    functions: directory,
    functionSecrets: directory,
    memory,
    gatewayUrl,
  });
}
