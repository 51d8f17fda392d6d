import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { InvocationOutcome } from '@isola/core';

const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Per-invocation measurements as Prometheus metrics (`GET /metrics`): counts by outcome,
 * cold starts, wall and CPU time, and the instance heap each function leaves behind.
 */
export class InvocationMetrics {
  readonly registry = new Registry();
  private readonly invocations: Counter<'function' | 'status' | 'code'>;
  private readonly coldStarts: Counter<'function'>;
  private readonly duration: Histogram<'function'>;
  private readonly cpu: Histogram<'function'>;
  private readonly heap: Gauge<'function'>;

  constructor(readyWorkers: () => number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'isola_gateway_' });
    this.invocations = new Counter({
      name: 'isola_invocations_total',
      help: 'Invocations finished, by function, HTTP status and error code ("" when it succeeded)',
      labelNames: ['function', 'status', 'code'],
      registers,
    });
    this.coldStarts = new Counter({ name: 'isola_cold_starts_total', help: 'Invocations that had to load an instance', labelNames: ['function'], registers });
    this.duration = new Histogram({
      name: 'isola_invocation_duration_seconds',
      help: 'Time from the gateway receiving a request to the outcome, including any cold start',
      labelNames: ['function'],
      buckets: latencyBuckets,
      registers,
    });
    this.cpu = new Histogram({
      name: 'isola_invocation_cpu_seconds',
      help: "CPU time the function's isolate used for the invocation",
      labelNames: ['function'],
      buckets: latencyBuckets,
      registers,
    });
    this.heap = new Gauge({ name: 'isola_instance_heap_bytes', help: "The instance's used heap after its latest invocation", labelNames: ['function'], registers });
    new Gauge({
      name: 'isola_workers_ready',
      help: 'Worker processes ready to take invocations',
      registers,
      collect() {
        this.set(readyWorkers());
      },
    });
  }

  record(fn: string, status: number, outcome: InvocationOutcome, seconds: number): void {
    this.invocations.inc({ function: fn, status: String(status), code: outcome.ok ? '' : outcome.error.code });
    if (outcome.coldStart) this.coldStarts.inc({ function: fn });
    this.duration.observe({ function: fn }, seconds);
    const { cpuMs, heapBytes } = outcome.timings;
    if (cpuMs !== undefined) this.cpu.observe({ function: fn }, cpuMs / 1000);
    if (heapBytes !== undefined) this.heap.set({ function: fn }, heapBytes);
  }
}
