/** Circuit states, in the order of the `isola_sidecar_circuit_state` gauge (0 closed, 1 half-open, 2 open). */
export const circuitStates = ['closed', 'half-open', 'open'] as const;
export type CircuitState = (typeof circuitStates)[number];

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failures: number;
  /** How long the circuit stays open before one probe call is let through. */
  cooldownMs: number;
  /** Told of every change of state. */
  onTransition: (from: CircuitState, to: CircuitState) => void;
  now?: () => number;
}

/**
 * A circuit breaker for one component: closed → open after `failures` consecutive failures →
 * after `cooldownMs` half-open, letting exactly one probe through → closed when it succeeds,
 * open again (a new cooldown) when it fails. While open (and while the probe runs) calls are
 * refused at once, so a dead backend costs callers nothing but the error.
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    return this.current;
  }

  /** When an open circuit lets the next probe through (epoch ms); 0 when not open. */
  get retryAt(): number {
    return this.current === 'open' ? this.openedAt + this.options.cooldownMs : 0;
  }

  /**
   * Whether a call may go ahead now. A true answer for a half-open circuit makes that call the
   * probe: it must end in success() or failure().
   */
  admit(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (this.now() < this.retryAt) return false;
      this.move('half-open');
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  /** The component answered (a caller's mistake it refused counts too: the component works). */
  success(): void {
    this.consecutiveFailures = 0;
    this.probing = false;
    if (this.current !== 'closed') this.move('closed');
  }

  failure(): void {
    this.probing = false;
    this.consecutiveFailures += 1;
    if (this.current === 'half-open' || (this.current === 'closed' && this.consecutiveFailures >= this.options.failures)) {
      this.openedAt = this.now();
      this.move('open');
    }
  }

  private move(to: CircuitState): void {
    const from = this.current;
    this.current = to;
    this.options.onTransition(from, to);
  }
}
