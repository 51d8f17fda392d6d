import type { ErrorShape } from '@isola/core';

/**
 * Maps what isolated-vm throws on the host side to Isola error codes. isolated-vm reports
 * limits only through message text, so the texts are matched here and nowhere else.
 */
export function classifyVmError(error: unknown, context: { timeoutMs: number; memoryMb: number; phase: 'load' | 'run' }): ErrorShape {
  const message = error instanceof Error ? error.message : String(error);
  // V8 collected a pending promise nothing referenced (`new Promise(() => {})`, sooner with
  // allocation, e.g. timers): it could never settle, so the function could never finish. The
  // same outcome as when the deadline catches it first, whenever the collector runs.
  if (/Promise was abandoned/.test(message)) {
    return {
      code: 'FUNCTION_TIMEOUT',
      message: `the function can never finish: it waits on a promise that nothing can settle any more (found before limits.timeoutMs, ${context.timeoutMs} ms, ran out)`,
    };
  }
  if (/timed out/i.test(message)) {
    return { code: 'FUNCTION_TIMEOUT', message: `the function ran longer than limits.timeoutMs (${context.timeoutMs} ms)` };
  }
  if (/memory limit/i.test(message) || /disposed/i.test(message)) {
    return { code: 'FUNCTION_MEMORY_LIMIT', message: `the function used more memory than limits.memoryMb (${context.memoryMb} MB); the instance was discarded` };
  }
  if (context.phase === 'load') {
    return { code: 'FUNCTION_LOAD_FAILED', message: `the function failed while loading: ${message}` };
  }
  return { code: 'FUNCTION_ERROR', message };
}
