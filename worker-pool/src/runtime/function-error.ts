// What a handler threw, as a plain FUNCTION_ERROR the host can copy out of the isolate. Shared by
// every handler kind (fetch, scheduled, queue).
import type { DispatchError } from './contract.js';
import { withoutRuntimeFrames } from './stack-frames.js';
import { formatValue } from './web/console-format.js';

/** FUNCTION_ERROR from anything thrown; never throws itself (user getters may). */
export function functionError(thrown: unknown): DispatchError {
  if (thrown instanceof Error) {
    const details: { name?: string; stack?: string } = {};
    const name = read(() => thrown.name);
    const stack = read(() => thrown.stack);
    if (typeof name === 'string') details.name = name;
    if (typeof stack === 'string') details.stack = withoutRuntimeFrames(stack);
    const message = read(() => thrown.message);
    return { code: 'FUNCTION_ERROR', message: typeof message === 'string' ? message : formatValue(message), details };
  }
  let message: string;
  try {
    message = String(thrown);
  } catch {
    message = formatValue(thrown); // e.g. Object.create(null) has no toString
  }
  return { code: 'FUNCTION_ERROR', message };
}

function read(get: () => unknown): unknown {
  try {
    return get();
  } catch {
    return undefined;
  }
}
