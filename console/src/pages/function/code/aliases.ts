// Reading alias targets: which versions an alias sends traffic to, and how much.
import type { AliasTarget } from '../../../api/types.js';

/** The alias every trigger serves unless a request names another. */
export const defaultAlias = 'latest';

/** The rule the gateway applies to alias names (functions-api.ts `aliasName`). */
export const aliasNamePattern = /^[a-z][a-z0-9-]{0,62}$/;
export const aliasNameRule = 'An alias name is 1-63 of a-z, 0-9 and -, starting with a letter.';

/** Version → percent of the alias's traffic (100 for a single version), largest share first. */
export function targetShares(target: AliasTarget): Map<number, number> {
  if ('version' in target) return new Map([[target.version, 100]]);
  return new Map(
    Object.entries(target.weights)
      .map(([version, weight]): [number, number] => [Number(version), weight])
      // The main share first; the newer version first on a tie.
      .sort(([versionA, a], [versionB, b]) => b - a || versionB - versionA),
  );
}

/** Aliases first by `latest`, then by name. */
export function sortedAliases(aliases: Record<string, AliasTarget>): [string, AliasTarget][] {
  return Object.entries(aliases).sort(([a], [b]) => (a === defaultAlias ? -1 : b === defaultAlias ? 1 : a.localeCompare(b)));
}

/** For each version, the aliases sending it traffic: `latest` or `latest 90%`. */
export function aliasLabels(aliases: Record<string, AliasTarget>): Map<number, string[]> {
  const labels = new Map<number, string[]>();
  for (const [alias, target] of sortedAliases(aliases)) {
    const split = !('version' in target);
    for (const [version, share] of targetShares(target)) {
      if (split && share === 0) continue;
      labels.set(version, [...(labels.get(version) ?? []), split ? `${alias} ${share}%` : alias]);
    }
  }
  return labels;
}

/** "version 2" or "version 2 90%, version 3 10%". */
export function describeTarget(target: AliasTarget): string {
  if ('version' in target) return `version ${target.version}`;
  return [...targetShares(target)].map(([version, share]) => `version ${version} ${share}%`).join(', ');
}
