import { useEffect, useRef } from 'preact/hooks';
import { apiPath } from '../../api/client.js';
import type { FunctionSummary, VersionInfo } from '../../api/types.js';
import { useApi, type Loaded } from '../../api/use-api.js';

/**
 * The function's versions, newest first. Listed again when `fn` shows that a deploy or an alias
 * change happened (here or elsewhere: the function page refreshes `fn` every 15 s).
 */
export function useVersionList(fn: FunctionSummary): Loaded<{ versions: VersionInfo[] }> {
  const versions = useApi<{ versions: VersionInfo[] }>(apiPath(`/functions/${encodeURIComponent(fn.name)}/versions`));
  const { reload } = versions;
  const changes = `${fn.version}:${JSON.stringify(fn.aliases)}`;
  const seen = useRef({ name: fn.name, changes });
  useEffect(() => {
    const before = seen.current;
    seen.current = { name: fn.name, changes };
    // Another function is a new path, which useApi loads by itself.
    if (before.name === fn.name && before.changes !== changes) reload();
  }, [fn.name, changes, reload]);
  return versions;
}
