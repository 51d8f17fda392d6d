// The Logs tab can be opened filtered by one invocation: `#/functions/<name>/logs?invocation=<id>`
// (the query lives in the hash, see hash-location.ts), so the link also works in a new tab.
import type { ComponentChildren } from 'preact';
import { Link } from 'wouter-preact';

const param = 'invocation';

/** The invocation id the Logs tab should filter by, from a useSearch() string. */
export function invocationParam(search: string): string | null {
  const value = new URLSearchParams(search).get(param);
  return value === null || value.trim() === '' ? null : value.trim();
}

/** The route of a function's logs filtered by an invocation. */
export function logsRoute(name: string, invocationId: string): string {
  return `/functions/${encodeURIComponent(name)}/logs?${param}=${encodeURIComponent(invocationId)}`;
}

/** A link to the Logs tab filtered by `invocationId`. */
export function LogsLink(props: { name: string; invocationId: string; children: ComponentChildren }) {
  return <Link href={logsRoute(props.name, props.invocationId)}>{props.children}</Link>;
}
