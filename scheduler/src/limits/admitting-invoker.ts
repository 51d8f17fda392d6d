import { refusedOutcome, type FunctionAdmission, type InvocationOutcome, type InvocationRequest, type Invoker } from '@isola/core';

/** Added to `limits.timeoutMs` for a lease's life: dispatch and queueing before the run starts. */
const leaseSlackMs = 5_000;

/**
 * Applies a function's platform-wide limits (`limits.maxInFlight`, `limits.rateLimit`) in front
 * of another invoker: gateways wrap their node placement with it (sync calls), worker nodes
 * their scheduler (async invocations and message batches). A refused invocation comes back as
 * a RATE_LIMITED outcome with `retryAfterMs` and no worker id — it never ran. Functions without
 * either limit pass straight through, without a Redis call.
 */
export class AdmittingInvoker implements Invoker {
  constructor(
    private readonly inner: Invoker,
    private readonly admission: FunctionAdmission,
  ) {}

  readyWorkers(): number {
    return this.inner.readyWorkers();
  }

  invoke(request: InvocationRequest): Promise<InvocationOutcome> {
    const { maxInFlight, rateLimit } = request.limits;
    if (maxInFlight === undefined && rateLimit === undefined) return this.inner.invoke(request);
    return this.invokeAdmitted(request);
  }

  private async invokeAdmitted(request: InvocationRequest): Promise<InvocationOutcome> {
    const { maxInFlight, rateLimit, timeoutMs } = request.limits;
    const admission = await this.admission.admit({
      function: request.function.name,
      invocationId: request.invocationId,
      ...(maxInFlight === undefined ? {} : { maxInFlight }),
      ...(rateLimit === undefined ? {} : { rateLimit }),
      leaseMs: timeoutMs + leaseSlackMs,
    });
    if (!admission.admitted) {
      return refusedOutcome({ code: 'RATE_LIMITED', message: admission.message, details: { reason: admission.reason }, retryAfterMs: admission.retryAfterMs });
    }
    try {
      return await this.inner.invoke(request);
    } finally {
      void admission.release();
    }
  }
}
