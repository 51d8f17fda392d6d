// The synchronous fast path. The host starts a dispatch (start() for fetch, startEvent() for the
// other handlers) with applySync on its own thread: the handler runs until its first real wait,
// and the microtask checkpoint at the end of that call settles handlers that never wait for I/O.
// collect() then hands over the result, or null when the invocation is still waiting (a timer,
// a fetch, a binding call); the runtime then tells the host when it has settled
// (dispatchSettled) and the host collects it. Synchronous calls cost a few microseconds; an
// asynchronous call through isolated-vm's thread pool costs tens.
import type { DispatchResult, EventResult } from './contract.js';
import { callHost } from './host-bridge.js';

type Result = DispatchResult | EventResult;

interface StartedDispatch {
  settled: boolean;
  /** collect() found it running: the host waits for dispatchSettled. */
  awaited: boolean;
  result?: Result;
  fault?: unknown;
}

/** Dispatches started and not yet handed to the host, by ticket. */
const started = new Map<number, StartedDispatch>();
let lastTicket = 0;

/** Follows a started dispatch; returns its ticket. */
export function track(dispatch: Promise<Result>): number {
  lastTicket += 1;
  const ticket = lastTicket;
  const entry: StartedDispatch = { settled: false, awaited: false };
  started.set(ticket, entry);
  const settle = () => {
    entry.settled = true;
    if (entry.awaited) callHost('dispatchSettled', [ticket]);
  };
  dispatch.then(
    (result) => {
      entry.result = result;
      settle();
    },
    (fault: unknown) => {
      entry.fault = fault;
      settle();
    },
  );
  return ticket;
}

/** The settled result of a started dispatch (and forgets it), or null while it still runs. */
export function collect(ticket: number): Result | null {
  const entry = started.get(ticket);
  if (entry === undefined) throw new Error(`no dispatch was started with ticket ${ticket}`);
  if (!entry.settled) {
    entry.awaited = true;
    return null;
  }
  started.delete(ticket);
  if (entry.result === undefined) throw entry.fault;
  return entry.result;
}
