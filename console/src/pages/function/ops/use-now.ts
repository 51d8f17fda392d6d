import { useEffect, useState } from 'preact/hooks';

/** The current time, refreshed every `ms` so that relative times ("in 3 minutes") stay true. */
export function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
