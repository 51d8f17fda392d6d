/**
 * Rendezvous (highest-random-weight) hashing: every gateway ranks the nodes for a key the same
 * way without talking to the others, and when a node joins or leaves only the keys it ranks
 * first move. Placing a function version on its first-ranked node keeps its instances warm
 * there (affinity) however many gateways share the nodes.
 */
export function rendezvousOrder<T>(key: string, items: readonly T[], idOf: (item: T) => string): T[] {
  if (items.length <= 1) return [...items];
  const keyHash = fnv1a(key, 0x811c9dc5);
  return items
    .map((item) => ({ item, score: mix(fnv1a(idOf(item), keyHash)) }))
    .sort((a, b) => b.score - a.score || (idOf(a.item) < idOf(b.item) ? -1 : 1))
    .map(({ item }) => item);
}

/** 32-bit FNV-1a over the string's UTF-16 code units, from a seed. */
function fnv1a(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** A finaliser (murmur3's) so that similar ids get unrelated scores. */
function mix(value: number): number {
  let hash = value;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
