// Hash routing with the query inside the hash: `/#/functions/cart-api/logs?invocation=…`.
// wouter's own hash hook keeps the query before the `#`, where it lingers across pages; here
// the path and the query both live in the hash, so each page owns its query and links can
// carry one.
import { useSyncExternalStore } from 'preact/compat';

function subscribe(onChange: () => void): () => void {
  addEventListener('hashchange', onChange);
  return () => removeEventListener('hashchange', onChange);
}

function hash(): string {
  const value = location.hash.replace(/^#/, '');
  return value.startsWith('/') ? value : `/${value}`;
}

export function hashPath(): string {
  const value = hash();
  const query = value.indexOf('?');
  return query < 0 ? value : value.slice(0, query);
}

export function hashSearch(): string {
  const value = hash();
  const query = value.indexOf('?');
  return query < 0 ? '' : value.slice(query + 1);
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = `${location.pathname}${location.search}#${to}`;
  if (options.replace === true) history.replaceState(history.state, '', url);
  else history.pushState(history.state, '', url);
  // pushState and replaceState do not fire hashchange themselves.
  dispatchEvent(new HashChangeEvent('hashchange'));
}

/** A wouter location hook: [path without the query, navigate]. */
export function useHashPath(): [string, typeof navigate] {
  return [useSyncExternalStore(subscribe, hashPath), navigate];
}

/** A wouter search hook: the query inside the hash, without `?`. */
export function useHashSearch(): string {
  return useSyncExternalStore(subscribe, hashSearch);
}

/** How links render their href. */
export const hashHref = (href: string): string => `#${href}`;
