import type { Logger } from '@isola/core';
import { DaprError, isCallerFault } from '../api/dapr-error.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { CallOutcome, SidecarMetrics } from './sidecar-metrics.js';

/** Governance of one component's calls, from its metadata (docs/sidecar.md, "Governance"). */
export interface GovernanceSettings {
  /** How long one attempt may take. */
  timeoutMs: number;
  /** Further attempts after a failure, for idempotent operations only. */
  maxRetries: number;
  /** Back-off before the first retry; doubled for each next one (with jitter). */
  retryBaseMs: number;
  /** Consecutive failed calls that open the circuit. */
  breakerFailures: number;
  /** How long an open circuit refuses calls before one probe. */
  breakerCooldownMs: number;
}

export const defaultGovernance: GovernanceSettings = { timeoutMs: 5_000, maxRetries: 2, retryBaseMs: 25, breakerFailures: 5, breakerCooldownMs: 5_000 };

export interface CallOptions {
  /** Whether doing it twice has the effect of doing it once (then a failed attempt is retried). */
  idempotent: boolean;
  /** Dapr's error code for a failure of this operation (ERR_STATE_GET...). */
  errorCode: string;
}

class AttemptTimeout extends Error {}

/**
 * Wraps every call into one component: a timeout per attempt, retries with exponential back-off
 * for idempotent operations, and the component's circuit breaker; records each call in the
 * metrics. A caller's mistake the component refused (a DaprError 4xx: a wrong ETag, a missing
 * secret) is an answer, not a failure: never retried, never counted against the circuit.
 */
export class Governor {
  private readonly breaker: CircuitBreaker;

  constructor(
    readonly component: string,
    readonly settings: GovernanceSettings,
    private readonly metrics: SidecarMetrics,
    private readonly logger: Logger,
  ) {
    this.breaker = new CircuitBreaker({
      failures: settings.breakerFailures,
      cooldownMs: settings.breakerCooldownMs,
      onTransition: (from, to) => {
        metrics.circuitTransition(component, from, to);
        const fields = { component, from, to };
        if (to === 'open') logger.warn({ ...fields, retryInMs: settings.breakerCooldownMs }, 'circuit opened: calls to the component fail fast until a probe succeeds');
        else logger.info(fields, to === 'closed' ? 'circuit closed: the component answers again' : 'circuit half-open: probing the component');
      },
    });
    metrics.circuitState(component, 'closed');
  }

  get circuit(): CircuitBreaker['state'] {
    return this.breaker.state;
  }

  async run<T>(operation: string, options: CallOptions, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const done = (outcome: CallOutcome) => this.metrics.call(this.component, operation, outcome, (performance.now() - started) / 1000);
    if (!this.breaker.admit()) {
      done('rejected');
      const retryInMs = Math.max(0, this.breaker.retryAt - Date.now());
      throw new DaprError(
        503,
        'ERR_CIRCUIT_OPEN',
        `component "${this.component}" is failing (${this.settings.breakerFailures} calls failed in a row): its circuit is open and calls fail fast; it will be tried again at ${new Date(this.breaker.retryAt).toISOString()} (in ${Math.ceil(retryInMs / 1000)} s)`,
        Math.max(1, Math.ceil(retryInMs / 1000)),
      );
    }
    // A probe is one attempt: a retry would hold the half-open circuit longer for nothing.
    const attempts = options.idempotent && this.breaker.state === 'closed' ? 1 + this.settings.maxRetries : 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await this.attempt(call);
        this.breaker.success();
        done('success');
        return result;
      } catch (error) {
        if (isCallerFault(error)) {
          this.breaker.success();
          done('caller_error');
          throw error;
        }
        if (attempt < attempts) {
          this.metrics.retry(this.component, operation);
          await delay(this.settings.retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
          continue;
        }
        this.breaker.failure();
        const timedOut = error instanceof AttemptTimeout;
        done(timedOut ? 'timeout' : 'failure');
        const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
        const reason = timedOut
          ? `did not answer within ${this.settings.timeoutMs} ms (metadata timeoutMs)`
          : `failed: ${error instanceof Error ? error.message : String(error)}`;
        this.logger.debug({ component: this.component, operation, err: error }, 'component call failed');
        throw new DaprError(500, options.errorCode, `${operation} on component "${this.component}" ${reason}${tries}`);
      }
    }
  }

  private async attempt<T>(call: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new AttemptTimeout()), this.settings.timeoutMs);
    });
    try {
      return await Promise.race([call(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
