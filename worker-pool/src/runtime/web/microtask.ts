// queueMicrotask. The callback runs after an intrinsic `await`, which user code cannot patch
// (Promise.prototype.then can be replaced); an error it throws is reported to the log, as a
// browser reports it to the console, instead of being lost.
import type { LogWriter } from './console.js';
import { formatValue } from './console-format.js';

export function createQueueMicrotask(write: LogWriter): (callback: () => void) => void {
  return function queueMicrotask(callback: () => void): void {
    if (typeof callback !== 'function') {
      throw new TypeError(`The "callback" argument must be of type function. Received ${callback === null ? 'null' : typeof callback}`);
    }
    void (async () => {
      await undefined;
      try {
        callback();
      } catch (error) {
        write('error', `[isola] uncaught error in a queueMicrotask callback: ${formatValue(error)}`);
      }
    })();
  };
}
