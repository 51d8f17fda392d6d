// A function's logs as they happen: the recent lines first, then a live tail over SSE that
// resumes after drops without losing or repeating lines.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, apiPath, toApiError } from '../../api/client.js';
import { followEventStream, type StreamState } from '../../api/sse.js';
import type { LogLine } from '../../api/types.js';

export interface LogFilter {
  /** Minimum level ('' for all). */
  level: string;
  search: string;
  invocationId: string | null;
}

export type TailState = { kind: 'loading' } | StreamState;

export interface LiveLogs {
  lines: LogLine[];
  /** Lines that arrived while paused, not shown yet. */
  pending: number;
  state: TailState;
  /** Whether older lines exist than the first one loaded. */
  more: boolean;
  clear: () => void;
}

/** The most lines kept (shown or pending): the DOM stays light on a chatty function. */
export const maxLines = 2000;
const flushMs = 120;

/** Stream ids (`<ms>-<seq>`) in order. */
function after(a: string, b: string): boolean {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs > bMs || (aMs === bMs && aSeq > bSeq);
}

const capped = (lines: LogLine[]) => (lines.length > maxLines ? lines.slice(lines.length - maxLines) : lines);

/**
 * Loads the last 200 matching lines, then follows. Filters are applied by the gateway; a change
 * starts over. While `paused`, new lines are counted and kept aside; they are shown on resume.
 * Everything stops when the component unmounts.
 */
export function useLiveLogs(name: string, filter: LogFilter, paused: boolean): LiveLogs {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [pending, setPending] = useState(0);
  const [state, setState] = useState<TailState>({ kind: 'loading' });
  const [more, setMore] = useState(false);
  const pausedRef = useRef(paused);
  const held = useRef<LogLine[]>([]);
  const heldCount = useRef(0);
  pausedRef.current = paused;

  useEffect(() => {
    const abort = new AbortController();
    const query = { level: filter.level, search: filter.search, invocationId: filter.invocationId };
    const path = `/functions/${encodeURIComponent(name)}/logs`;
    let lastId: string | null = null;
    let batch: LogLine[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLines([]);
    setPending(0);
    setMore(false);
    held.current = [];
    heldCount.current = 0;
    setState({ kind: 'loading' });

    const flush = () => {
      timer = undefined;
      const arrived = batch;
      batch = [];
      if (arrived.length === 0) return;
      if (pausedRef.current) {
        held.current = capped(held.current.concat(arrived));
        heldCount.current += arrived.length;
        setPending(heldCount.current);
      } else {
        setLines((previous) => capped(previous.concat(arrived)));
      }
    };

    (async () => {
      try {
        const recent = await api<{ lines: LogLine[]; more: boolean }>(apiPath(path, { ...query, limit: 200 }), { signal: abort.signal });
        if (abort.signal.aborted) return;
        setLines(recent.lines);
        setMore(recent.more);
        lastId = recent.lines.at(-1)?.id ?? null;
      } catch (error) {
        if (abort.signal.aborted) return;
        setState({ kind: 'failed', error: toApiError(error) });
        return;
      }
      await followEventStream({
        url: apiPath(path, { ...query, follow: true }),
        signal: abort.signal,
        lastEventId: lastId,
        onState: (next) => !abort.signal.aborted && setState(next),
        onEvent: (event) => {
          if (abort.signal.aborted) return;
          if (event.type === 'error') {
            setState({ kind: 'waiting', retryAt: Date.now() + 1000, reason: readError(event.data) });
            return;
          }
          if (event.type !== 'message') return;
          let line: LogLine;
          try {
            line = JSON.parse(event.data) as LogLine;
          } catch {
            return;
          }
          if (lastId !== null && !after(line.id, lastId)) return;
          lastId = line.id;
          batch.push(line);
          timer ??= setTimeout(flush, flushMs);
        },
      });
    })();

    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [name, filter.level, filter.search, filter.invocationId]);

  // Resuming shows what was held back.
  useEffect(() => {
    if (paused || heldCount.current === 0) return;
    const shown = held.current;
    held.current = [];
    heldCount.current = 0;
    setPending(0);
    setLines((previous) => capped(previous.concat(shown)));
  }, [paused]);

  const clear = () => {
    setLines([]);
    setMore(false);
    held.current = [];
    heldCount.current = 0;
    setPending(0);
  };

  return { lines, pending, state, more, clear };
}

function readError(data: string): string {
  try {
    const body = JSON.parse(data) as { error?: { message?: string } };
    return body.error?.message ?? 'the live tail stopped';
  } catch {
    return 'the live tail stopped';
  }
}
