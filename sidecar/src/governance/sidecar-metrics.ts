import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { circuitStates, type CircuitState } from './circuit-breaker.js';

/** How a component call ended, as the `outcome` label says. */
export type CallOutcome = 'success' | 'caller_error' | 'failure' | 'timeout' | 'rejected';

/**
 * The sidecar's Prometheus metrics, in a registry of its own (the sidecar is its own process,
 * and tests start several in one). Served unauthenticated on `GET /metrics`.
 */
export class SidecarMetrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'component' | 'operation' | 'outcome'>;
  private readonly latency: Histogram<'component' | 'operation'>;
  private readonly circuit: Gauge<'component'>;
  private readonly transitions: Counter<'component' | 'from' | 'to'>;
  private readonly retries: Counter<'component' | 'operation'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'isola_sidecar_' });
    this.calls = new Counter({
      name: 'isola_sidecar_component_calls_total',
      help: 'Component calls by component, operation and outcome (success, caller_error, failure, timeout, rejected by an open circuit)',
      labelNames: ['component', 'operation', 'outcome'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'isola_sidecar_component_call_seconds',
      help: 'Latency of component calls, retries included',
      labelNames: ['component', 'operation'],
      buckets: [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.circuit = new Gauge({
      name: 'isola_sidecar_circuit_state',
      help: 'Circuit breaker state per component: 0 closed, 1 half-open, 2 open',
      labelNames: ['component'],
      registers: [this.registry],
    });
    this.transitions = new Counter({
      name: 'isola_sidecar_circuit_transitions_total',
      help: 'Circuit breaker state changes per component',
      labelNames: ['component', 'from', 'to'],
      registers: [this.registry],
    });
    this.retries = new Counter({
      name: 'isola_sidecar_component_retries_total',
      help: 'Attempts made again after a failure (idempotent operations only)',
      labelNames: ['component', 'operation'],
      registers: [this.registry],
    });
  }

  call(component: string, operation: string, outcome: CallOutcome, seconds: number): void {
    this.calls.inc({ component, operation, outcome });
    this.latency.observe({ component, operation }, seconds);
  }

  retry(component: string, operation: string): void {
    this.retries.inc({ component, operation });
  }

  circuitState(component: string, state: CircuitState): void {
    this.circuit.set({ component }, circuitStates.indexOf(state));
  }

  circuitTransition(component: string, from: CircuitState, to: CircuitState): void {
    this.transitions.inc({ component, from, to });
    this.circuitState(component, to);
  }
}
