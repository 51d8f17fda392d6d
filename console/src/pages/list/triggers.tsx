// What starts a function, read from its manifest: shown as chips in the functions list and
// matched by the list's search box.
import type { FunctionSummary, Manifest } from '../../api/types.js';

export interface TriggerChip {
  kind: 'http' | 'cron' | 'queue';
  label: string;
  title: string;
}

/**
 * Every function is reachable over HTTP at /fn/<name>, but one that only declares crons or
 * queues rarely has a `fetch` handler: the HTTP chip shows when routes are declared, when the
 * function is public, or when nothing else triggers it.
 */
export function triggerChips(manifest: Manifest): TriggerChip[] {
  const chips: TriggerChip[] = [];
  const crons = manifest.crons ?? [];
  const queues = manifest.queues ?? [];
  const routes = manifest.routes ?? [];
  if (routes.length > 0 || manifest.public || (crons.length === 0 && queues.length === 0)) {
    const where = routes.length > 0 ? routes.map((route) => route.path).join(', ') : `/fn/${manifest.name}/*`;
    chips.push({
      kind: 'http',
      label: manifest.public ? 'HTTP · public' : 'HTTP · private',
      title: `${where} — ${manifest.public ? 'no token needed' : 'needs a token'}`,
    });
  }
  if (crons.length > 0) {
    const schedules = crons.map((cron) => (typeof cron === 'string' ? cron : `${cron.schedule}${cron.timezone === undefined ? '' : ` (${cron.timezone})`}`));
    chips.push({ kind: 'cron', label: crons.length === 1 ? 'cron' : `${crons.length} crons`, title: schedules.join('\n') });
  }
  for (const queue of queues) {
    chips.push({
      kind: 'queue',
      label: queue.topic,
      title: `consumes topic ${queue.topic} (batches of ${queue.batchSize}, ${queue.maxRetries} retries${queue.deadLetter === undefined ? '' : `, dead letters to ${queue.deadLetter}`})`,
    });
  }
  return chips;
}

export function TriggerChips(props: { manifest: Manifest }) {
  const chips = triggerChips(props.manifest);
  if (chips.length === 0) return <span class="muted">–</span>;
  return (
    <span class="chips">
      {chips.map((chip) => (
        <span key={chip.kind + chip.label} class={`chip chip-${chip.kind}`} title={chip.title}>
          {chip.kind === 'queue' && (
            <span class="chip-kind" aria-hidden="true">
              ⇶
            </span>
          )}
          {chip.kind === 'queue' && <span class="visually-hidden">queue </span>}
          {chip.label}
        </span>
      ))}
    </span>
  );
}

/** Lower-case text the search box matches: name, trigger kinds and topics, binding types and names. */
export function searchText(fn: FunctionSummary): string {
  const manifest = fn.manifest;
  const parts = [fn.name];
  for (const chip of triggerChips(manifest)) parts.push(chip.kind, chip.label);
  if ((manifest.crons ?? []).length > 0) parts.push('cron', 'schedule', 'scheduled');
  if ((manifest.queues ?? []).length > 0) parts.push('queue', 'message', 'topic');
  if (manifest.public) parts.push('public');
  for (const [name, binding] of Object.entries(manifest.bindings ?? {})) {
    parts.push(name, binding.type);
    if (typeof binding.function === 'string') parts.push(binding.function, 'rpc', 'service');
  }
  return parts.join(' ').toLowerCase();
}

/** Every word of the query appears somewhere in the function's search text. */
export function matchesQuery(fn: FunctionSummary, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) return true;
  const text = searchText(fn);
  return words.every((word) => text.includes(word));
}
