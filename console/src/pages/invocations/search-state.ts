// The invocation search lives in the URL's query (wouter's useSearch), so a search can be
// bookmarked and the back button returns to it.
import { invocationStatuses, type InvocationStatusFilter } from './record.js';

export type TimeRange = '15m' | '1h' | '24h' | '7d' | 'custom';

export const timeRanges: { id: TimeRange; label: string; ms?: number }[] = [
  { id: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: 'custom', label: 'Custom range…' },
];

export const defaultRange: TimeRange = '24h';

export interface SearchState {
  /** Empty until the user (or the default) picks one: the API lists one function at a time. */
  fn: string;
  status: InvocationStatusFilter | '';
  range: TimeRange;
  /** datetime-local values (local time, `YYYY-MM-DDTHH:mm`), for the custom range. */
  from: string;
  to: string;
}

export function parseSearch(search: string): SearchState {
  const params = new URLSearchParams(search);
  const status = params.get('status') ?? '';
  const range = params.get('range') ?? '';
  return {
    fn: params.get('function') ?? '',
    status: (invocationStatuses as readonly string[]).includes(status) ? (status as InvocationStatusFilter) : '',
    range: timeRanges.some((entry) => entry.id === range) ? (range as TimeRange) : defaultRange,
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
}

export function searchQuery(state: SearchState): string {
  const params = new URLSearchParams();
  if (state.fn !== '') params.set('function', state.fn);
  if (state.status !== '') params.set('status', state.status);
  params.set('range', state.range);
  if (state.range === 'custom') {
    if (state.from !== '') params.set('from', state.from);
    if (state.to !== '') params.set('to', state.to);
  }
  return params.toString();
}

/** The since/until bounds (ISO) a search asks for, relative ranges counted from `now`. */
export function bounds(state: SearchState, now = Date.now()): { since?: string; until?: string } {
  if (state.range === 'custom') {
    const since = localToIso(state.from);
    const until = localToIso(state.to);
    return { ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) };
  }
  const ms = timeRanges.find((entry) => entry.id === state.range)?.ms;
  return ms === undefined ? {} : { since: new Date(now - ms).toISOString() };
}

function localToIso(value: string): string | undefined {
  if (value === '') return undefined;
  const time = new Date(value).getTime();
  return Number.isFinite(time) ? new Date(time).toISOString() : undefined;
}

/** A Date as a datetime-local input's value (local time, minutes). */
export function toLocalInput(time: number): string {
  const date = new Date(time - new Date(time).getTimezoneOffset() * 60_000);
  return date.toISOString().slice(0, 16);
}

/** Why a custom range cannot be searched, or null. */
export function rangeProblem(state: SearchState): string | null {
  if (state.range !== 'custom') return null;
  if (state.from === '' && state.to === '') return 'Pick a start, an end, or both.';
  const { since, until } = bounds(state);
  if (since !== undefined && until !== undefined && since > until) return 'The start is after the end.';
  return null;
}
