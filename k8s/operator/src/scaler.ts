import type { ClusterLoad, IsolaClient, Logger } from '@isola/core';
import { describeKubeError, type KubeApi } from './kube.js';

export interface ScaleSettings {
  /** The worker Deployment whose replicas the operator sets; '' turns scaling off. */
  deployment: string;
  min: number;
  max: number;
  /** Share of the nodes' capacity (running invocations) to aim for: 0.7 leaves 30 % for bursts. */
  targetUtilization: number;
  /** A lower replica count is applied only once every recommendation this long has been as low. */
  downStabilizationMs: number;
  intervalMs: number;
  /** Traffic is async only (queues, crons, async invocations): allows min 0 (docs/kubernetes.md). */
  asyncOnly: boolean;
}

export interface Recommendation {
  replicas: number;
  /** Invocations running plus those waiting in queues. */
  demand: number;
  /** Invocations one replica runs at once (from the nodes), null when no node is up. */
  perReplica: number | null;
}

/**
 * Replicas for the load now: enough nodes that running plus waiting invocations fill
 * `targetUtilization` of their capacity, within [min, max]. With no node up the capacity of one
 * is unknown: any demand asks for one (the next interval sizes from it). Zero only when there
 * is no demand at all and min is 0 (async-only traffic).
 */
export function recommend(load: ClusterLoad, settings: ScaleSettings): Recommendation {
  const demand = load.totals.inFlight + load.queues.waiting;
  const perReplica = load.totals.nodes > 0 && load.totals.capacity > 0 ? load.totals.capacity / load.totals.nodes : null;
  let replicas: number;
  if (perReplica === null) replicas = demand > 0 ? 1 : 0;
  else replicas = Math.ceil(demand / (perReplica * settings.targetUtilization));
  replicas = Math.min(settings.max, Math.max(settings.min, replicas, demand > 0 ? 1 : 0));
  return { replicas, demand, perReplica };
}

/**
 * Scale-down stabilisation as the HPA's: the replicas applied are the highest recommendation of
 * the window, so a dip in load does not remove nodes that the next burst needs. Scaling up is
 * immediate.
 */
export class Stabilizer {
  private readonly history: { at: number; replicas: number }[] = [];

  constructor(private readonly windowMs: number) {}

  next(recommended: number, now: number): number {
    this.history.push({ at: now, replicas: recommended });
    while (this.history.length > 0 && (this.history[0] as { at: number }).at < now - this.windowMs) this.history.shift();
    return Math.max(...this.history.map((entry) => entry.replicas));
  }

  reset(): void {
    this.history.length = 0;
  }
}

export interface ScaleDecision {
  at: number;
  current: number;
  recommended: Recommendation;
  applied: number;
}

/** Every interval (on the leader): reads the platform's load, decides, and sets the Deployment's scale. */
export class WorkerScaler {
  private timer: NodeJS.Timeout | null = null;
  private readonly stabilizer: Stabilizer;
  private running: Promise<void> = Promise.resolve();
  last: ScaleDecision | null = null;

  constructor(
    private readonly kube: KubeApi,
    private readonly platform: IsolaClient,
    private readonly settings: ScaleSettings,
    private readonly logger: Logger,
  ) {
    this.stabilizer = new Stabilizer(settings.downStabilizationMs);
  }

  start(): void {
    if (this.settings.deployment === '' || this.timer !== null) return;
    this.stabilizer.reset();
    const tick = () => {
      this.running = this.step().finally(() => {
        if (this.timer !== null) this.timer = setTimeout(tick, this.settings.intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One decision; errors are logged and the next interval tries again. */
  async step(): Promise<void> {
    const { deployment } = this.settings;
    try {
      const [load, current] = await Promise.all([this.platform.cluster(), this.kube.readReplicas(deployment)]);
      const recommended = recommend(load, this.settings);
      const applied = this.stabilizer.next(recommended.replicas, Date.now());
      this.last = { at: Date.now(), current, recommended, applied };
      if (applied !== current) {
        await this.kube.writeReplicas(deployment, applied);
        this.logger.info({ deployment, from: current, to: applied, demand: recommended.demand, perReplica: recommended.perReplica }, 'scaled the worker pool');
      }
    } catch (error) {
      this.logger.warn({ err: error instanceof Error && error.name !== 'ApiException' ? error.message : describeKubeError(error), deployment }, 'could not scale the worker pool this interval');
    }
  }
}
