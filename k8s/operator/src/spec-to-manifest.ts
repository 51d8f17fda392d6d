import { dnsLabel, validateManifest, type AliasTarget, type Manifest, type ManifestProblem } from '@isola/core';
import type { FunctionResource } from './function-resource.js';

/** The alias a Function's deploys go to when its spec names none. */
export const defaultAlias = 'latest';
/** In `weights`, the version this spec deployed. */
export const currentVersionKey = 'current';

/** What a Function asks for, checked: the manifest to deploy and the traffic to set. */
export interface DesiredFunction {
  name: string;
  /** As the platform takes it (`name` added, source and traffic fields left out); defaults not applied. */
  manifest: Record<string, unknown>;
  /** The manifest with the platform's defaults: what the spec's hash covers. */
  normalized: Manifest;
  alias: string;
  /** Weights by version number or `current`; null: the alias points at the current version. */
  weights: Record<string, number> | null;
}

export type SpecCheck = { ok: true; desired: DesiredFunction } | { ok: false; problems: ManifestProblem[] };

const trafficFields = new Set(['source', 'alias', 'weights']);

/**
 * Turns a Function's spec into the manifest the control plane takes, with every problem found
 * by the platform's own rules, located at the resource's paths (`spec.routes.0.path`).
 */
export function checkSpec(resource: FunctionResource): SpecCheck {
  const problems: ManifestProblem[] = [];
  const name = resource.metadata.name;
  if (!dnsLabel.safeParse(name).success) {
    problems.push({ path: 'metadata.name', message: 'is the function name, so it must be a DNS label: 1-63 of a-z, 0-9 and -' });
  }
  const spec = resource.spec ?? {};
  if ('name' in spec) problems.push({ path: 'spec.name', message: 'unknown field: the function name is metadata.name' });
  const manifest: Record<string, unknown> = { name };
  for (const [key, value] of Object.entries(spec)) if (!trafficFields.has(key) && key !== 'name') manifest[key] = value;
  const checked = validateManifest(manifest);
  if (!checked.ok) {
    for (const problem of checked.problems) {
      if (problem.path === 'name') continue; // reported as metadata.name above
      problems.push({ path: problem.path === '' ? 'spec' : `spec.${problem.path}`, message: problem.message });
    }
  }
  const alias = spec.alias ?? defaultAlias;
  if (typeof alias !== 'string' || !/^[a-z][a-z0-9-]{0,62}$/.test(alias)) {
    problems.push({ path: 'spec.alias', message: 'must be 1-63 of a-z, 0-9 and -, starting with a letter (an alias name)' });
  }
  const weights = spec.weights ?? null;
  if (weights !== null) problems.push(...weightProblems(weights));
  if (!checked.ok || problems.length > 0) return { ok: false, problems };
  return { ok: true, desired: { name, manifest, normalized: checked.manifest, alias, weights } };
}

function weightProblems(weights: Record<string, number>): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const keys = Object.keys(weights);
  if (keys.length === 0 || keys.length > 10) problems.push({ path: 'spec.weights', message: 'must name 1 to 10 versions' });
  for (const [key, weight] of Object.entries(weights)) {
    if (key !== currentVersionKey && !/^[1-9]\d{0,8}$/.test(key)) {
      problems.push({ path: `spec.weights.${key}`, message: `keys are version numbers or "${currentVersionKey}" (the version this spec deployed)` });
    }
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) problems.push({ path: `spec.weights.${key}`, message: 'must be a whole percent, 0 to 100' });
  }
  const total = Object.values(weights).reduce((sum, weight) => sum + weight, 0);
  if (total !== 100) problems.push({ path: 'spec.weights', message: `weights add up to ${total}; they must add up to 100` });
  return problems;
}

/** The alias target for the platform, `current` replaced by the version this spec deployed. */
export function aliasTargetOf(desired: DesiredFunction, currentVersion: number): AliasTarget {
  if (desired.weights === null) return { version: currentVersion };
  const weights: Record<string, number> = {};
  for (const [key, weight] of Object.entries(desired.weights)) {
    const version = key === currentVersionKey ? String(currentVersion) : key;
    weights[version] = (weights[version] ?? 0) + weight;
  }
  return { weights };
}

/** One line per problem, as status messages and Events show them. */
export function describeProblems(problems: ManifestProblem[]): string {
  return problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
}
