import type { Logger } from '@isola/core';
import type { V1Lease } from '@kubernetes/client-node';
import { describeKubeError, statusCodeOf, type KubeApi } from './kube.js';

export interface LeaderElectionOptions {
  /** The Lease's name (in the operator's namespace). */
  lease: string;
  /** This replica (the pod name). */
  identity: string;
  /** A leader that has not renewed for this long is replaced. */
  leaseDurationMs: number;
  /** A leader that could not renew for this long stops acting (before anyone may replace it). */
  renewDeadlineMs: number;
  /** How often a leader renews and a candidate tries. */
  retryPeriodMs: number;
}

export interface LeadershipCallbacks {
  started(): void;
  /** Called when leadership is lost or given up; everything the leader runs must stop. */
  stopped(): void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's: a candidate takes the
 * lease when it is free or its holder has not renewed within leaseDuration (measured on this
 * replica's clock, from when it last saw the lease change, so clock skew does not matter);
 * every write carries the lease's resourceVersion, so of two replicas racing one gets 409. A
 * leader that cannot renew within renewDeadline (< leaseDuration) stops before another may
 * start. Stopping releases the lease so a successor need not wait.
 */
export class LeaderElector {
  private leading = false;
  private timer: NodeJS.Timeout | null = null;
  private lastRenewed = 0;
  private observed: { record: string; at: number } | null = null;
  private stopped = false;
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly kube: KubeApi,
    private readonly options: LeaderElectionOptions,
    private readonly callbacks: LeadershipCallbacks,
    private readonly logger: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.current = this.attempt().finally(() => {
        if (!this.stopped) {
          this.timer = setTimeout(tick, this.options.retryPeriodMs);
          this.timer.unref();
        }
      });
    };
    tick();
  }

  /** Stops trying; a leader stops acting and releases the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.current.catch(() => undefined);
    if (!this.leading) return;
    this.lose('stopping');
    try {
      const lease = await this.kube.readLease(this.options.lease);
      if (lease?.spec?.holderIdentity === this.options.identity) {
        await this.kube.replaceLease({ ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new Date() } });
        this.logger.info({ lease: this.options.lease }, 'released the leader lease');
      }
    } catch (error) {
      this.logger.warn({ err: describeKubeError(error) }, 'could not release the leader lease; a successor takes it when it expires');
    }
  }

  private async attempt(): Promise<void> {
    try {
      await this.tryAcquireOrRenew();
    } catch (error) {
      this.logger.warn({ err: describeKubeError(error) }, this.leading ? 'could not renew the leader lease' : 'could not read the leader lease');
    }
    if (this.leading && Date.now() - this.lastRenewed > this.options.renewDeadlineMs) this.lose('the lease could not be renewed in time');
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const { lease: name, identity } = this.options;
    const now = new Date();
    const durationSeconds = Math.max(1, Math.round(this.options.leaseDurationMs / 1000));
    const existing = await this.kube.readLease(name);
    if (existing === null) {
      try {
        await this.kube.createLease({
          metadata: { name },
          spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        });
      } catch (error) {
        if (statusCodeOf(error) === 409) return; // another replica created it first
        throw error;
      }
      this.win();
      return;
    }
    const spec = existing.spec ?? {};
    const record = `${spec.holderIdentity ?? ''}|${String(spec.renewTime ?? '')}|${existing.metadata?.resourceVersion ?? ''}`;
    if (this.observed === null || this.observed.record !== record) this.observed = { record, at: Date.now() };
    const holder = spec.holderIdentity ?? '';
    const heldFor = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder !== identity && holder !== '' && Date.now() < this.observed.at + heldFor) {
      if (this.leading) this.lose(`${holder} holds the lease`);
      return;
    }
    const taking = holder !== identity;
    const next: V1Lease = {
      ...existing,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: now,
        ...(taking ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
      },
    };
    try {
      await this.kube.replaceLease(next);
    } catch (error) {
      if (statusCodeOf(error) === 409) {
        if (this.leading) this.lose('another replica wrote the lease');
        return;
      }
      throw error;
    }
    this.win();
  }

  private win(): void {
    this.lastRenewed = Date.now();
    if (this.leading) return;
    this.leading = true;
    this.logger.info({ lease: this.options.lease, identity: this.options.identity }, 'became the leader');
    this.callbacks.started();
  }

  private lose(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.logger.warn({ lease: this.options.lease, why }, 'stopped leading');
    this.callbacks.stopped();
  }
}
