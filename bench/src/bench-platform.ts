import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { spawnPlatform, type SpawnedPlatform } from '@isola/cli/testing';
import { processTree } from './process-tree.js';
import { parseServerTiming, serverTimingDurations, type ServerTiming } from './server-timing.js';

/** Workers the bench runs with: ISOLA_WORKERS, else one per core (the platform's default). */
export const benchWorkers = Number(process.env.ISOLA_WORKERS ?? cpus().length);

/**
 * BENCH_CPU_PROF=<dir>: every `isola up` the bench starts runs under `--cpu-prof` and writes its
 * profile there when it stops (worker processes are not profiled: the supervisor sets their flags).
 */
const cpuProfileDir = process.env.BENCH_CPU_PROF;

export interface TimedResponse {
  status: number;
  elapsedMs: number;
  coldStart: boolean;
  timing: ServerTiming;
}

interface PlainResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * The real platform (`isola up` as a child process, see spawnPlatform) with what a benchmark
 * needs on top: every request checked, and whatever the platform logged at error level or
 * its unexpected exit folded into the error, so a failure says what went wrong.
 */
export class BenchPlatform {
  private readonly errorLines: string[] = [];
  private exit: string | null = null;
  private stopping = false;
  private readonly agent = new Agent({ keepAlive: true });

  private constructor(readonly platform: SpawnedPlatform) {
    let partial = '';
    platform.process.stderr?.on('data', (chunk: string | Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      // The platform logs at level "error" here, so every line on stderr is a problem.
      for (const line of lines) if (line.trim() !== '') this.errorLines.push(line);
    });
    platform.process.once('exit', (code, signal) => {
      if (!this.stopping) this.exit = `isola up exited unexpectedly (code ${code}, signal ${signal})`;
    });
  }

  static async start(): Promise<BenchPlatform> {
    const platform = await spawnPlatform({
      env: { ISOLA_LOG_LEVEL: 'error', ISOLA_WORKERS: String(benchWorkers) },
      ...(cpuProfileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] } : {}),
    });
    return new BenchPlatform(platform);
  }

  get url(): string {
    return this.platform.url;
  }

  get token(): string {
    return this.platform.token;
  }

  get sidecarUrl(): string {
    return this.platform.sidecarUrl;
  }

  /** The port of the gRPC trigger. */
  get grpcPort(): number {
    return Number(this.platform.grpcAddress.split(':').at(-1));
  }

  /** The platform's private redis-server, read from its command line. */
  get redisUrl(): string {
    const redis = processTree(this.pid).find((process) => process.role === 'redis-server');
    if (redis === undefined) throw new Error('the platform runs no redis-server of its own (is REDIS_URL set?)');
    const cmdline = readFileSync(`/proc/${redis.pid}/cmdline`, 'utf8');
    // redis-server rewrites its title to "redis-server <bind>:<port>"; the original had --port N.
    const port = /--port\0(\d+)/.exec(cmdline)?.[1] ?? /:(\d+)/.exec(cmdline)?.[1];
    if (port === undefined) throw new Error(`cannot read the port of redis-server ${redis.pid} from its command line ${JSON.stringify(cmdline.replaceAll('\0', ' ').trim())}`);
    return `redis://127.0.0.1:${port}`;
  }

  get pid(): number {
    const pid = this.platform.process.pid;
    if (pid === undefined) throw new Error('isola up has no pid');
    return pid;
  }

  /** Lines the platform wrote on stderr (errors and fatal errors, as JSON lines). */
  errors(): readonly string[] {
    return this.errorLines;
  }

  /**
   * `POST /api/v1/functions`, as `isola deploy` does; throws unless the answer is 201. Returns
   * the deploy's own split from its Server-Timing header (`bundle`, `store`; ms, 0 when absent).
   */
  async deploy(manifest: Record<string, unknown>, files: Record<string, string>): Promise<{ bundleMs: number; storeMs: number }> {
    const path = '/api/v1/functions';
    const response = await this.send('POST', path, JSON.stringify({ manifest, files }));
    if (response.status !== 201) throw this.failure(`deploying ${String(manifest.name)}: POST ${path} answered ${response.status}: ${response.body.slice(0, 500)}`);
    const durations = serverTimingDurations([response.headers['server-timing'] ?? []].flat().join(', '));
    return { bundleMs: durations.get('bundle') ?? 0, storeMs: durations.get('store') ?? 0 };
  }

  /** GET `path`, read the whole body; throws unless the answer is 200 with Server-Timing. */
  async get(path: string): Promise<TimedResponse> {
    const started = performance.now();
    const response = await this.send('GET', path);
    const elapsedMs = performance.now() - started;
    if (response.status !== 200) throw this.failure(`GET ${path} answered ${response.status}: ${response.body.slice(0, 500)}`);
    return {
      status: response.status,
      elapsedMs,
      coldStart: response.headers['x-isola-cold-start'] === 'true',
      timing: parseServerTiming([response.headers['server-timing'] ?? []].flat().join(', ')),
    };
  }

  /**
   * One request over keep-alive connections with node:http: a cheaper client than fetch, so
   * less of the client's own time lands in the measurements.
   */
  private send(method: string, path: string, body?: string): Promise<PlainResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.platform.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return new Promise<PlainResponse>((resolve, reject) => {
      const request = httpRequest(new URL(path, this.url), { method, headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      request.on('error', reject);
      request.end(body);
    }).catch((error: unknown) => {
      throw this.failure(`${method} ${path} failed: ${(error as Error).message}`);
    });
  }

  /** An error that carries the platform's state: exit, and the last lines it logged. */
  failure(message: string): Error {
    const details = [message];
    if (this.exit !== null) details.push(this.exit);
    if (this.errorLines.length > 0) details.push(`the platform logged ${this.errorLines.length} error line(s); the last ones:\n${this.errorLines.slice(-10).join('\n')}`);
    const output = this.platform.output().trim().split('\n').slice(-5).join('\n');
    if (output !== '') details.push(`its last lines on stdout:\n${output}`);
    return new Error(details.join('\n'));
  }

  /** Throws if the platform died or logged errors during the benchmark. */
  assertHealthy(section: string): void {
    if (this.exit !== null || this.errorLines.length > 0) throw this.failure(`the platform was not healthy during the ${section} benchmark`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.agent.destroy();
    const code = await this.platform.stop();
    if (code !== 0 && this.exit === null) throw this.failure(`isola up did not stop cleanly (exit code ${code})`);
  }
}
