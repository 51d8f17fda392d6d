import { createHash } from 'node:crypto';
import { ApiError, PlatformUnreachableError, type AliasTarget, type FunctionSummary, type IsolaClient, type Logger } from '@isola/core';
import { functionFinalizer, withCondition, type Condition, type FunctionResource, type FunctionStatus } from './function-resource.js';
import { describeKubeError, statusCodeOf, type KubeApi } from './kube.js';
import { aliasTargetOf, checkSpec, describeProblems, type DesiredFunction } from './spec-to-manifest.js';
import { SourceError, type SourceResolver } from './source.js';
import type { EventRecorder } from './events.js';
import type { ReconcileOutcome } from './work-queue.js';

export interface ReconcilerDeps {
  kube: KubeApi;
  platform: IsolaClient;
  sources: SourceResolver;
  events: EventRecorder;
  /** The operator's copy of each Function (the watcher's cache). */
  cached(name: string): FunctionResource | undefined;
  /** Hands a Function the operator wrote back to the cache, so the next pass sees the write. */
  observe(resource: FunctionResource): void;
  logger: Logger;
}

/** A failure that ends this pass; the queue retries it with back-off. */
export class RetryableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryableError';
  }
}

type Outcome = { ready: Omit<Condition, 'lastTransitionTime' | 'type'>; deployed: Omit<Condition, 'lastTransitionTime' | 'type'>; degraded: Omit<Condition, 'lastTransitionTime' | 'type'>; lastError?: string };

/**
 * Brings the platform in line with one Function: deploys its spec when the spec's hash (manifest
 * with defaults + source digest) differs from the one deployed or the platform lost that version,
 * points the alias where the spec says, deletes the function when the resource goes (finalizer),
 * and writes what happened in status and Events. Level-based: every pass compares the resource
 * with the platform, so a resync repairs drift (a function deleted behind its back, an alias moved).
 */
export class FunctionReconciler {
  /** Specs (hash and traffic) the control plane refused, by function: not sent again until they change. */
  private readonly refused = new Map<string, string>();

  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(name: string): Promise<ReconcileOutcome | void> {
    let resource = this.deps.cached(name);
    if (resource === undefined) return;
    if (resource.metadata.deletionTimestamp !== undefined) return this.finalize(resource);
    if (!(resource.metadata.finalizers ?? []).includes(functionFinalizer)) {
      resource = await this.writeResource({ ...resource, metadata: { ...resource.metadata, finalizers: [...(resource.metadata.finalizers ?? []), functionFinalizer] } });
    }

    const check = checkSpec(resource);
    if (!check.ok) {
      const message = `the spec is invalid: ${describeProblems(check.problems)}`;
      this.deps.events.emit(resource, 'Warning', 'InvalidSpec', message);
      await this.writeStatus(resource, {
        ready: { status: 'False', reason: 'InvalidSpec', message },
        deployed: { status: 'False', reason: 'InvalidSpec', message: 'nothing deployed for this generation; fix the spec' },
        degraded: this.previousServing(resource, 'InvalidSpec'),
        lastError: message,
      });
      return; // only a new spec can fix it
    }
    const desired = check.desired;

    let files: Record<string, string>;
    let specHash: string;
    try {
      const source = await this.deps.sources.resolve(resource);
      files = source.files;
      specHash = hashOf(desired, source.digest);
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      this.deps.events.emit(resource, 'Warning', error.reason, error.message);
      await this.writeStatus(resource, {
        ready: { status: 'False', reason: error.reason, message: error.message },
        deployed: { status: 'False', reason: error.reason, message: error.message },
        degraded: this.previousServing(resource, error.reason),
        lastError: error.message,
      });
      if (error.retryable) throw new RetryableError(error.message);
      return;
    }

    const attempt = `${specHash}/${desired.alias}/${JSON.stringify(desired.weights)}`;
    if (this.refused.get(desired.name) === attempt) return; // its status already says why
    try {
      const platform = await this.platformCopy(desired.name);
      let version = resource.status?.version;
      let codeHash = resource.status?.codeHash;
      const stillThere = platform !== null && version !== undefined && platform.versions.some((v) => v.version === version && v.codeHash === codeHash);
      if (resource.status?.specHash !== specHash || !stillThere) {
        const promote = platform === null || (desired.alias === 'latest' && desired.weights === null);
        const deployed = await this.deps.platform.deploy(desired.manifest, files, { promote });
        version = deployed.version;
        codeHash = deployed.codeHash;
        this.deps.logger.info({ function: desired.name, version, codeHash, generation: resource.metadata.generation }, 'deployed');
        this.deps.events.emit(resource, 'Normal', 'Deployed', `deployed version ${version} (code ${codeHash.slice(0, 12)})`);
      }
      const target = aliasTargetOf(desired, version as number);
      const current = platform?.summary.aliases[desired.alias];
      if (current === undefined || !sameTarget(current, target) || platform === null) {
        await this.deps.platform.setAlias(desired.name, desired.alias, target);
        if (desired.weights !== null || desired.alias !== 'latest') {
          this.deps.events.emit(resource, 'Normal', 'TrafficSet', `alias ${desired.alias} → ${describeTarget(target)}`);
        }
      }
      const health = platform?.summary.health;
      const unhealthy = health !== undefined && (health.status === 'quarantined' || health.status === 'failing' || health.status === 'degraded');
      await this.writeStatus(
        resource,
        {
          ready: { status: 'True', reason: 'Deployed', message: `version ${version} serves alias ${desired.alias}` },
          deployed: { status: 'True', reason: 'Deployed', message: `version ${version} holds generation ${resource.metadata.generation ?? 0}` },
          degraded: unhealthy
            ? { status: 'True', reason: capitalize(health.status), message: health.reason ?? `the platform reports ${health.status}` }
            : { status: 'False', reason: 'Healthy', message: health === undefined ? 'no problem reported' : `the platform reports ${health.status}` },
        },
        { version: version as number, codeHash: codeHash as string, specHash, url: `/fn/${desired.name}/`, traffic: { alias: desired.alias, ...target } },
      );
      this.refused.delete(desired.name);
    } catch (error) {
      const retried = await this.platformFailed(resource, error);
      if (!retried) this.refused.set(desired.name, attempt);
    }
  }

  /** The resource is being deleted: delete the function on the platform, then let it go. */
  private async finalize(resource: FunctionResource): Promise<void> {
    const finalizers = resource.metadata.finalizers ?? [];
    if (!finalizers.includes(functionFinalizer)) return;
    const name = resource.metadata.name;
    try {
      await this.deps.platform.deleteFunction(name);
      this.deps.logger.info({ function: name }, 'deleted from the platform');
      this.deps.events.emit(resource, 'Normal', 'Deleted', `function ${name} deleted from the platform`);
    } catch (error) {
      if (!(error instanceof ApiError && error.httpStatus === 404)) {
        const message = `could not delete function ${name} from the platform: ${error instanceof Error ? error.message : String(error)}`;
        this.deps.events.emit(resource, 'Warning', 'DeleteFailed', message);
        throw new RetryableError(message);
      }
    }
    await this.writeResource({ ...resource, metadata: { ...resource.metadata, finalizers: finalizers.filter((entry) => entry !== functionFinalizer) } });
  }

  private async platformCopy(name: string): Promise<{ summary: FunctionSummary; versions: { version: number; codeHash: string }[] } | null> {
    try {
      const [summary, versions] = await Promise.all([this.deps.platform.getFunction(name, { stats: true }), this.deps.platform.versions(name)]);
      return { summary, versions };
    } catch (error) {
      if (error instanceof ApiError && error.httpStatus === 404) return null;
      throw error;
    }
  }

  /** Records a failed platform call; throws (to retry) for those another try may fix, answers false for the others. */
  private async platformFailed(resource: FunctionResource, error: unknown): Promise<false> {
    if (!(error instanceof ApiError || error instanceof PlatformUnreachableError || (error instanceof Error && error.name === 'IsolaError'))) throw error;
    const status = error instanceof ApiError ? error.httpStatus : null;
    const unavailable = error instanceof PlatformUnreachableError || status === null || status >= 500 || status === 429 || status === 408;
    const refused = status === 401 || status === 403;
    const reason = unavailable ? 'ControlPlaneUnavailable' : refused ? 'Unauthorized' : 'DeployFailed';
    const message = refused
      ? `the control plane refused the operator's token (ISOLA_TOKEN): ${error.message}`
      : unavailable && !(error instanceof PlatformUnreachableError)
        ? `the control plane at ${this.deps.platform.url} is unavailable (${status === null ? (error as { code?: string }).code : `HTTP ${status}`}): ${error.message}`
        : error.message;
    this.deps.events.emit(resource, 'Warning', reason, message);
    await this.writeStatus(resource, {
      ready: { status: unavailable ? 'Unknown' : 'False', reason, message },
      deployed: { status: unavailable ? 'Unknown' : 'False', reason, message },
      degraded: this.previousServing(resource, reason),
      lastError: message,
    });
    // A spec the platform refuses (bundling errors, unknown versions in weights) waits for a new spec.
    if (unavailable || refused) throw new RetryableError(message);
    return false;
  }

  /** Degraded when an older version keeps serving while this generation is not deployed. */
  private previousServing(resource: FunctionResource, reason: string): Omit<Condition, 'lastTransitionTime' | 'type'> {
    const version = resource.status?.version;
    if (version === undefined) return { status: 'False', reason: 'NeverDeployed', message: 'no version of this resource was deployed yet' };
    return { status: 'True', reason, message: `this generation is not deployed; version ${version} keeps serving` };
  }

  private async writeStatus(resource: FunctionResource, outcome: Outcome, deployed?: Partial<FunctionStatus>): Promise<void> {
    const now = new Date();
    const generation = resource.metadata.generation ?? 0;
    const previous = resource.status ?? {};
    let conditions = previous.conditions;
    conditions = withCondition(conditions, { type: 'Ready', ...outcome.ready, observedGeneration: generation }, now);
    conditions = withCondition(conditions, { type: 'Deployed', ...outcome.deployed, observedGeneration: generation }, now);
    conditions = withCondition(conditions, { type: 'Degraded', ...outcome.degraded, observedGeneration: generation }, now);
    const next: FunctionStatus = { ...previous, ...deployed, observedGeneration: generation, conditions };
    if (outcome.lastError === undefined) delete next.lastError;
    else next.lastError = outcome.lastError;
    if (JSON.stringify(next) === JSON.stringify(previous)) return;
    try {
      this.deps.observe(await this.deps.kube.writeStatus(resource.metadata.name, next));
    } catch (error) {
      if (statusCodeOf(error) === 404) return; // deleted meanwhile
      throw new RetryableError(`could not write the status of Function ${resource.metadata.name}: ${describeKubeError(error)}`);
    }
  }

  private async writeResource(resource: FunctionResource): Promise<FunctionResource> {
    try {
      const written = await this.deps.kube.replaceFunction(resource);
      this.deps.observe(written);
      return written;
    } catch (error) {
      // 409: changed since it was read; the watch brings the new copy and the queue retries.
      throw new RetryableError(`could not update Function ${resource.metadata.name}: ${describeKubeError(error)}`);
    }
  }
}

/** What decides whether to deploy: the manifest with defaults applied and the source's digest. */
function hashOf(desired: DesiredFunction, sourceDigest: string): string {
  return createHash('sha256').update(JSON.stringify(canonical(desired.normalized))).update(sourceDigest).digest('hex');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
  }
  return value;
}

function sameTarget(a: AliasTarget, b: AliasTarget): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function describeTarget(target: AliasTarget): string {
  if ('version' in target) return `version ${target.version}`;
  return Object.entries(target.weights).map(([version, weight]) => `v${version} ${weight}%`).join(', ');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
