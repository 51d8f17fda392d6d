import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { toApiError, type ApiError } from './client.js';

export interface Action {
  /** True while `run` is working. */
  busy: boolean;
  /** Why the last run failed, until the next one starts. */
  error: ApiError | null;
  /** Runs `work`; resolves with whether it succeeded (a failure lands in `error`, never throws). */
  run: (work: () => Promise<void>) => Promise<boolean>;
  setError: (error: ApiError | null) => void;
}

/**
 * One API action of a form or a button (save, delete, revoke…): busy while it runs, its failure
 * as an ApiError. Nothing is set once the component has gone (the action may have navigated away
 * or signed out).
 */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (failure) {
      if (mounted.current) setError(toApiError(failure));
      return false;
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, []);

  return { busy, error, run, setError };
}
