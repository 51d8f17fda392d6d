/**
 * Processes a test started (platforms, roles, redis-servers) are signalled when the test process
 * ends, also when the test runner stops it for a timeout (SIGTERM) — else they would outlive it.
 */
const reaped = new Set<() => void>();
let installed = false;

/** Calls `stop` (which must be synchronous: a signal) when this process exits; returns the undo. */
export function reapOnExit(stop: () => void): () => void {
  if (!installed) {
    installed = true;
    const reapAll = () => {
      for (const reap of reaped) {
        try {
          reap();
        } catch {
          // Gone already.
        }
      }
      reaped.clear();
    };
    process.once('exit', reapAll);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        reapAll();
        process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
      });
    }
  }
  reaped.add(stop);
  return () => reaped.delete(stop);
}
