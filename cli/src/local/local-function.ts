// One function folder running locally: built from its folder, added to the local platform's
// directory as a new version on every (re)load, and invoked through the platform's scheduler
// on a forked worker, the path production invocations take. What each invocation did is
// reported to the platform's listeners (isola dev prints it; the testing helper keeps the logs).
import { randomUUID } from 'node:crypto';
import {
  rpcInvocation,
  statusOf,
  type FunctionVersionWithCode,
  type HttpRequestPayload,
  type InvocationOutcome,
  type InvocationRequest,
  type Manifest,
  type QueueBatchPayload,
  type ScheduledEventPayload,
} from '@isola/core';
import { devVarsFile, readDevVars } from './dev-vars.js';
import { buildFunctionFolder, type FunctionBuild } from './function-build.js';
import type { LocalPlatform } from './local-platform.js';

export interface LocalFunctionOptions {
  /** Beat the manifest's vars of the same names. */
  vars?: Record<string, string>;
  /** The function's secrets; default: read from the folder's .dev.vars on each load. */
  secrets?: Record<string, string>;
}

/** What one invocation did, for whoever watches (isola dev's output, the testing helper's logs). */
export interface InvocationReport {
  function: string;
  version: number;
  invocationId: string;
  trigger: InvocationRequest['trigger'];
  /** What ran, in a few words: `GET /cart?id=1`, `scheduled "0 * * * *"`, `queue orders (2 messages)`, `rpc add`. */
  label: string;
  outcome: InvocationOutcome;
  /** The HTTP status a client of the platform would get: the response's, or the error code's. */
  status: number;
  elapsedMs: number;
}

export interface RpcCallOptions {
  /** Function-to-function calls that led here (service bindings). */
  callDepth?: number;
  metadata?: Record<string, string>;
}

export class LocalFunction {
  private version: FunctionVersionWithCode;

  private constructor(
    private readonly platform: LocalPlatform,
    readonly folder: string,
    private readonly options: LocalFunctionOptions,
    version: FunctionVersionWithCode,
    /** The secrets the manifest lists that have no value, as last warned about. */
    private missingSecrets: string,
  ) {
    this.version = version;
  }

  /**
   * Builds the folder (or takes `built`, its build made beforehand) and adds it to the platform.
   * Throws INVALID_MANIFEST or BUNDLE_FAILED, every problem listed.
   */
  static async load(platform: LocalPlatform, folder: string, options: LocalFunctionOptions = {}, built?: FunctionBuild): Promise<LocalFunction> {
    const { version, missingSecrets } = await LocalFunction.build(platform, folder, options, built);
    const fn = new LocalFunction(platform, folder, options, version, '');
    fn.warnOfMissingSecrets(missingSecrets);
    await platform.register(fn);
    return fn;
  }

  get name(): string {
    return this.version.name;
  }

  get manifest(): Manifest {
    return this.version.manifest;
  }

  /** The version running now (a new one after each reload). */
  get current(): FunctionVersionWithCode {
    return this.version;
  }

  /**
   * Builds the folder again and makes it the version that runs, with its secrets read anew; the
   * instances of the previous version go. Returns null when nothing the function runs with
   * changed (the same bundle, manifest and secrets). When the build fails, the previous version
   * keeps running and the error is thrown.
   */
  async reload(): Promise<FunctionVersionWithCode | null> {
    const previous = this.version;
    const { version, missingSecrets } = await LocalFunction.build(this.platform, this.folder, this.options, undefined, previous);
    if (version === previous) return null;
    this.version = version;
    this.warnOfMissingSecrets(missingSecrets);
    await this.platform.replaced(this, previous);
    return version;
  }

  /** Runs `fetch` with the request. */
  fetch(request: HttpRequestPayload): Promise<InvocationReport> {
    const url = new URL(request.url);
    return this.run({ ...this.base(), trigger: 'http', request }, `${request.method} ${url.pathname}${url.search}`);
  }

  /** Runs `scheduled` for one tick. */
  scheduled(event: ScheduledEventPayload): Promise<InvocationReport> {
    return this.run({ ...this.base(), trigger: 'scheduled', scheduled: event }, `scheduled ${JSON.stringify(event.cron)}`);
  }

  /** Runs `queue` with one batch. */
  queue(batch: QueueBatchPayload): Promise<InvocationReport> {
    const count = batch.messages.length;
    return this.run({ ...this.base(), trigger: 'queue', batch }, `queue ${batch.queue} (${count} message${count === 1 ? '' : 's'})`);
  }

  /** Calls an RPC method with a JSON array of arguments. */
  rpc(method: string, argsJson: string, options: RpcCallOptions = {}): Promise<InvocationReport> {
    const request = rpcInvocation(this.version, randomUUID(), { method, argsJson }, options);
    return this.run(request, `rpc ${method}`);
  }

  private base(): { invocationId: string; function: InvocationRequest['function']; limits: Manifest['limits'] } {
    const { name, version, codeHash, manifest } = this.version;
    return { invocationId: randomUUID(), function: { name, version, codeHash }, limits: manifest.limits };
  }

  private async run(request: InvocationRequest, label: string): Promise<InvocationReport> {
    const started = performance.now();
    const outcome = await this.platform.invoke(request);
    const report: InvocationReport = {
      function: request.function.name,
      version: request.function.version,
      invocationId: request.invocationId,
      trigger: request.trigger,
      label,
      outcome,
      status: outcome.ok ? outcome.response.status : statusOf(outcome.error.code),
      elapsedMs: performance.now() - started,
    };
    this.platform.report(report);
    return report;
  }

  /** Warns of secrets listed in the manifest without a value, once per change of that list. */
  private warnOfMissingSecrets(missing: string[]): void {
    const key = missing.join(',');
    if (key === this.missingSecrets) return;
    this.missingSecrets = key;
    if (missing.length === 0) return;
    const where = this.options.secrets === undefined ? `${devVarsFile} beside isola.yaml` : 'the secrets option';
    this.platform.warn(`${this.name}: secret${missing.length === 1 ? '' : 's'} ${missing.join(', ')} listed in isola.yaml but not set; put ${missing.map((name) => `${name}=...`).join(', ')} in ${where}`);
  }

  private static async build(
    platform: LocalPlatform,
    folder: string,
    options: LocalFunctionOptions,
    built?: FunctionBuild,
    current?: FunctionVersionWithCode,
  ): Promise<{ version: FunctionVersionWithCode; missingSecrets: string[] }> {
    const build = built ?? (await buildFunctionFolder(folder));
    const manifest: Manifest = options.vars === undefined ? build.manifest : { ...build.manifest, vars: { ...build.manifest.vars, ...options.vars } };
    const secrets = options.secrets ?? readDevVars(folder);
    const missingSecrets = manifest.secrets.filter((key) => !Object.hasOwn(secrets, key));
    const unchanged =
      current !== undefined &&
      current.codeHash === build.codeHash &&
      JSON.stringify(current.manifest) === JSON.stringify(manifest) &&
      JSON.stringify(await platform.directory.secrets(manifest.name)) === JSON.stringify(secrets);
    if (unchanged) return { version: current, missingSecrets };
    platform.directory.setSecrets(manifest.name, secrets);
    const version = platform.directory.add({ name: manifest.name, codeHash: build.codeHash, manifest, code: build.code });
    return { version, missingSecrets };
  }
}
