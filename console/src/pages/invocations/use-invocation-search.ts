import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, apiPath, ApiError, isAbortError, toApiError } from '../../api/client.js';
import type { InvocationPage } from '../../api/types.js';
import type { DetailedRecord } from './record.js';
import { bounds, type SearchState } from './search-state.js';

const pageSize = 50;

export interface InvocationSearch {
  records: DetailedRecord[];
  /** True while more pages exist. */
  more: boolean;
  loading: boolean;
  error: ApiError | null;
  /** When the gateway does not filter by time (older versions), the console does, page by page. */
  filteredHere: boolean;
  loadMore: () => void;
}

interface Run {
  fn: string;
  status: string;
  since?: string;
  until?: string;
}

let boundsSupport: Promise<boolean> | null = null;

/**
 * Whether the gateway filters records by since/until, read once from its OpenAPI document (so
 * that an older platform is not sent a query it refuses). Unknown counts as yes: a 400 naming
 * the bounds still switches to filtering here.
 */
function gatewayFiltersByTime(): Promise<boolean> {
  boundsSupport ??= api<{ paths?: Record<string, { get?: { parameters?: { name: string }[] } }> }>('/api/v1/openapi.json').then(
    (document) => {
      const parameters = document.paths?.['/api/v1/functions/{name}/invocations']?.get?.parameters;
      return parameters === undefined || parameters.some((parameter) => parameter.name === 'since');
    },
    () => true,
  );
  return boundsSupport;
}

/** A platform that predates since/until answers 400 naming them: search without, filter here. */
function refusesTimeBounds(error: unknown): boolean {
  if (!(error instanceof ApiError) || error.status !== 400) return false;
  const text = [error.message, ...error.problems.map((problem) => `${problem.path} ${problem.message}`)].join(' ');
  return /\b(since|until)\b/.test(text);
}

/**
 * Pages through a function's invocation records, newest first. `generation` changes start a
 * new search (relative time ranges are resolved then); `loadMore` appends the next page.
 */
export function useInvocationSearch(state: SearchState | null, generation: number): InvocationSearch {
  const [records, setRecords] = useState<DetailedRecord[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [filteredHere, setFilteredHere] = useState(false);
  const run = useRef<Run | null>(null);
  const serverBounds = useRef(true);
  const request = useRef(0);
  const abort = useRef<AbortController | null>(null);

  const fetchPage = useCallback(async (target: Run, after: string | null, append: boolean) => {
    const id = ++request.current;
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setLoading(true);
    setError(null);
    const load = (withBounds: boolean) =>
      api<InvocationPage>(
        apiPath(`/functions/${encodeURIComponent(target.fn)}/invocations`, {
          status: target.status,
          limit: pageSize,
          cursor: after,
          ...(withBounds ? { since: target.since, until: target.until } : {}),
        }),
        { signal: controller.signal },
      );
    try {
      if (serverBounds.current && (target.since !== undefined || target.until !== undefined)) serverBounds.current = await gatewayFiltersByTime();
      let page: InvocationPage;
      let filtering = !serverBounds.current && (target.since !== undefined || target.until !== undefined);
      try {
        page = await load(serverBounds.current);
      } catch (failure) {
        if (!serverBounds.current || !refusesTimeBounds(failure)) throw failure;
        serverBounds.current = false;
        filtering = target.since !== undefined || target.until !== undefined;
        page = await load(false);
      }
      if (id !== request.current) return;
      let next = page.nextCursor;
      let found = page.invocations as DetailedRecord[];
      if (filtering) {
        const since = target.since === undefined ? -Infinity : Date.parse(target.since);
        const until = target.until === undefined ? Infinity : Date.parse(target.until);
        const time = (record: DetailedRecord) => (record.startedAt === undefined ? 0 : Date.parse(record.startedAt));
        // Newest first: once a record is older than `since`, so is everything after it.
        if (found.some((record) => time(record) < since)) next = null;
        found = found.filter((record) => time(record) >= since && time(record) <= until);
      }
      setFilteredHere(filtering);
      setRecords((previous) => (append ? [...previous, ...found] : found));
      setCursor(next);
    } catch (failure) {
      if (id !== request.current || isAbortError(failure)) return;
      setError(toApiError(failure));
      if (!append) setRecords([]);
    } finally {
      if (id === request.current) setLoading(false);
    }
  }, []);

  const fn = state?.fn ?? '';
  const key = state === null ? null : JSON.stringify(state);
  useEffect(() => {
    if (state === null || fn === '') {
      run.current = null;
      setRecords([]);
      setCursor(null);
      return;
    }
    const target: Run = { fn: state.fn, status: state.status, ...bounds(state) };
    run.current = target;
    setRecords([]);
    setCursor(null);
    void fetchPage(target, null, false);
    // `key` stands for `state`, whose object identity changes every render.
  }, [key, generation, fetchPage]);

  // Unmounting supersedes whatever is in flight: its answer (or abort) updates nothing.
  useEffect(
    () => () => {
      request.current++;
      abort.current?.abort();
    },
    [],
  );

  const loadMore = useCallback(() => {
    if (run.current !== null && cursor !== null) void fetchPage(run.current, cursor, true);
  }, [cursor, fetchPage]);

  return { records, more: cursor !== null, loading, error, filteredHere, loadMore };
}
