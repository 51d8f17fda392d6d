import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, isAbortError, toApiError, type ApiError } from './client.js';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  /** Loads again (keeps showing the current data meanwhile). */
  reload: () => void;
}

interface Answer<T> {
  /** The path the data and error belong to: another path's answer is never shown for this one. */
  path: string | null;
  data: T | null;
  error: ApiError | null;
  loading: boolean;
}

/**
 * GETs an API path and reloads when it changes (or every `refreshMs`). A null path loads
 * nothing. Answers of superseded requests are dropped, and a new path starts empty rather than
 * showing the previous path's answer.
 */
export function useApi<T>(path: string | null, refreshMs?: number): Loaded<T> {
  const [state, setState] = useState<Answer<T>>({ path, data: null, error: null, loading: path !== null });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  const reload = useCallback(() => setTick((value) => value + 1), []);

  useEffect(() => {
    if (path === null) return;
    const request = ++latest.current;
    const abort = new AbortController();
    setState((previous) => (previous.path === path ? { ...previous, loading: true } : { path, data: null, error: null, loading: true }));
    api<T>(path, { signal: abort.signal }).then(
      (data) => request === latest.current && setState({ path, data, error: null, loading: false }),
      (error: unknown) => {
        if (request !== latest.current || isAbortError(error)) return;
        setState((previous) => ({ path, data: previous.path === path ? previous.data : null, error: toApiError(error), loading: false }));
      },
    );
    return () => abort.abort();
  }, [path, tick]);

  useEffect(() => {
    if (refreshMs === undefined || path === null) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, path, reload]);

  const current = state.path === path;
  return { data: current ? state.data : null, error: current ? state.error : null, loading: path !== null && (!current || state.loading), reload };
}
