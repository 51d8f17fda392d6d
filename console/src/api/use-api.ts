import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './client.js';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  /** Loads again (keeps showing the current data meanwhile). */
  reload: () => void;
}

/**
 * GETs an API path and reloads when it changes (or every `refreshMs`). A null path loads
 * nothing. Answers of superseded requests are dropped.
 */
export function useApi<T>(path: string | null, refreshMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({ data: null, error: null, loading: path !== null });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  const reload = useCallback(() => setTick((value) => value + 1), []);

  useEffect(() => {
    if (path === null) return;
    const request = ++latest.current;
    const abort = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    api<T>(path, { signal: abort.signal }).then(
      (data) => request === latest.current && setState({ data, error: null, loading: false }),
      (error: unknown) => {
        if (request !== latest.current || (error instanceof DOMException && error.name === 'AbortError')) return;
        setState((previous) => ({ data: previous.data, error: error instanceof ApiError ? error : new ApiError(0, 'CLIENT', String(error)), loading: false }));
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

  return { ...state, reload };
}
