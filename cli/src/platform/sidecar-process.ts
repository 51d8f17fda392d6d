// `isola up` runs the sidecar as a process of its own, as it runs in a container of its own beside
// the worker in a Kubernetes pod: forked from here as `isola sidecar`, restarted when it dies,
// stopped with the platform. Its port is decided before it starts (the worker processes are told
// the URL when they start, while the sidecar may still be starting) and kept across restarts.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IsolaError, type Logger } from '@isola/core';

const binPath = fileURLToPath(new URL('../bin.js', import.meta.url));

/** What the child and this process say to each other over IPC. */
export type SidecarChildMessage = { type: 'ready'; url: string };
export type SidecarParentMessage = { type: 'gateway'; url: string };

export interface SidecarProcessOptions {
  /** The child's environment (REDIS_URL, ISOLA_DATA_DIR...). */
  env: NodeJS.ProcessEnv;
  /** The port it listens on (ISOLA_SIDECAR_PORT, or one found free). */
  port: number;
  logger: Logger;
  /** How long a start may take before it is an error. Default 30 s. */
  startTimeoutMs?: number;
  /** How long a stop waits for the child to exit before it is killed. Default 5 s. */
  stopTimeoutMs?: number;
}

const restartDelaysMs = [200, 1_000, 5_000];

export class SidecarProcess {
  private child: ChildProcess | null = null;
  private stopping = false;
  private gatewayUrl: string | null = null;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private startedAt = 0;

  constructor(private readonly options: SidecarProcessOptions) {}

  /** Forks the sidecar and resolves once it listens. */
  async start(): Promise<void> {
    await this.spawn();
  }

  /** Gives the sidecar the gateway it forwards service invocations to (now, and after every restart). */
  setGatewayUrl(url: string): void {
    this.gatewayUrl = url;
    this.send({ type: 'gateway', url });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.options.stopTimeoutMs ?? 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** For an exit that cannot wait. */
  kill(): void {
    this.stopping = true;
    this.child?.kill('SIGKILL');
  }

  private spawn(): Promise<SidecarChildMessage> {
    const env = { ...this.options.env, ISOLA_SIDECAR_PORT: String(this.options.port) };
    // No --no-node-snapshot: the sidecar loads no isolated-vm, and starts faster and smaller with Node's snapshot.
    const child = fork(binPath, ['sidecar'], { env, execArgv: ['--max-semi-space-size=1'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    this.startedAt = Date.now();
    const timeoutMs = this.options.startTimeoutMs ?? 30_000;
    return new Promise<SidecarChildMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new IsolaError('NOT_READY', `the sidecar did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        reject(new IsolaError('NOT_READY', `the sidecar exited before it was ready (${signal ?? `exit code ${code}`}); its error is above`));
      };
      child.once('exit', onExit);
      child.on('message', (message: SidecarChildMessage) => {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        child.off('exit', onExit);
        child.once('exit', (code, signal) => this.exited(code, signal));
        if (this.gatewayUrl !== null) this.send({ type: 'gateway', url: this.gatewayUrl });
        resolve(message);
      });
    });
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    this.child = null;
    if (this.stopping) return;
    // A sidecar that ran for a while starts the back-off over.
    if (Date.now() - this.startedAt > 60_000) this.restarts = 0;
    const delayMs = restartDelaysMs[Math.min(this.restarts, restartDelaysMs.length - 1)] as number;
    this.restarts += 1;
    this.options.logger.error({ component: 'sidecar', code, signal, restartInMs: delayMs }, 'the sidecar exited; restarting it (bindings fail with UNAVAILABLE meanwhile)');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.spawn().then(
        () => this.options.logger.info({ component: 'sidecar', port: this.options.port }, 'the sidecar is back'),
        (error: unknown) => {
          this.options.logger.error({ component: 'sidecar', err: error }, 'the sidecar did not restart');
          this.exited(null, null);
        },
      );
    }, delayMs);
    this.restartTimer.unref();
  }

  private send(message: SidecarParentMessage): void {
    const child = this.child;
    if (child?.connected === true) child.send(message);
  }
}
